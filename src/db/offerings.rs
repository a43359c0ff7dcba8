//! The `offerings` table.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::Text;

use super::page::{Cursor, SortKey};
use super::schema::{offerings, subscriptions};
use super::{contains_pattern, lower, AnyConnection, Backend, LIKE_ESCAPE};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = offerings)]
pub struct Offering {
    pub id: String,
    pub sponsor_id: String,
    pub title: String,
    pub summary: String,
    pub description: String,
    pub security_type: String,
    pub price_per_share: i64,
    pub target_amount: i64,
    pub min_raise: i64,
    pub min_subscription: i64,
    pub max_per_investor: Option<i64>,
    pub opens_at: Option<NaiveDateTime>,
    pub closes_at: NaiveDateTime,
    pub status: String,
    pub raised: i64,
    pub rejection_reason: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub submitted_at: Option<NaiveDateTime>,
    pub approved_at: Option<NaiveDateTime>,
    pub closed_at: Option<NaiveDateTime>,
    /// The platform fee fixed at approval (None: approved before it was
    /// recorded, or not approved yet).
    pub fee_bps: Option<i32>,
    /// How many document versions have been published on the offering
    /// (see [`crate::db::documents`]).
    pub documents_revision: i64,
    /// The rule profile it was created under (see [`crate::domain::rules`]).
    pub rule_profile: String,
    /// At most this many distinct investors (200 under cn_private).
    pub max_investors: Option<i64>,
    /// Distinct investors holding an active or settled subscription.
    pub investor_count: i64,
    /// A led round: the lead commits at least this share of the target
    /// (basis points) before followers may subscribe.
    pub lead_min_bps: Option<i32>,
    /// The lead in office (see [`crate::db::leads`]).
    pub lead_investor_id: Option<String>,
    /// Moves with each appointment and withdrawal of the lead.
    pub lead_revision: i64,
}

/// An offering as [`Offering::add_raised`] left it.
#[derive(Debug, QueryableByName)]
pub struct Raised {
    #[diesel(sql_type = Text)]
    pub id: String,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub raised: i64,
    #[diesel(sql_type = Text)]
    pub status: String,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub documents_revision: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub lead_revision: i64,
}

#[derive(Debug, Insertable, AsChangeset)]
#[diesel(table_name = offerings)]
#[diesel(treat_none_as_null = true)]
pub struct OfferingTermsRow<'a> {
    pub title: &'a str,
    pub summary: &'a str,
    pub description: &'a str,
    pub security_type: &'a str,
    pub price_per_share: i64,
    pub target_amount: i64,
    pub min_raise: i64,
    pub min_subscription: i64,
    pub max_per_investor: Option<i64>,
    pub max_investors: Option<i64>,
    pub lead_min_bps: Option<i32>,
    pub opens_at: Option<NaiveDateTime>,
    pub closes_at: NaiveDateTime,
}

/// How the public list is filtered and ordered.
pub struct ListFilter {
    pub statuses: Vec<String>,
    pub search: Option<String>,
    pub sort: SortKey,
    pub cursor: Option<Cursor>,
    pub limit: i64,
}

impl Offering {
    pub fn insert(
        conn: &mut AnyConnection,
        id: &str,
        sponsor_id: &str,
        terms: &OfferingTermsRow<'_>,
        rule_profile: &str,
        now: NaiveDateTime,
    ) -> QueryResult<usize> {
        diesel::insert_into(offerings::table)
            .values((
                terms,
                offerings::rule_profile.eq(rule_profile),
                offerings::id.eq(id),
                offerings::sponsor_id.eq(sponsor_id),
                offerings::status.eq("draft"),
                offerings::raised.eq(0),
                offerings::created_at.eq(now),
                offerings::updated_at.eq(now),
            ))
            .execute(conn)
    }

    pub fn find(conn: &mut AnyConnection, id: &str) -> QueryResult<Option<Offering>> {
        offerings::table
            .find(id)
            .select(Offering::as_select())
            .first(conn)
            .optional()
    }

    /// The offerings with these ids that exist, by id. With `lock`, their rows
    /// are locked in id order (PostgreSQL `FOR NO KEY UPDATE`) until the
    /// transaction ends.
    pub fn find_many(
        conn: &mut AnyConnection,
        ids: &[&str],
        lock: bool,
    ) -> QueryResult<HashMap<String, Offering>> {
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        let query = || {
            offerings::table
                .filter(offerings::id.eq_any(ids))
                .order(offerings::id.asc())
        };
        let rows: Vec<Offering> = match conn {
            AnyConnection::Postgresql(c) if lock => query()
                .select(Offering::as_select())
                .for_no_key_update()
                .load(c)?,
            _ => query().select(Offering::as_select()).load(conn)?,
        };
        Ok(rows.into_iter().map(|o| (o.id.clone(), o)).collect())
    }

    /// Rewrites the terms of a draft; false when it is no longer a draft.
    pub fn update_draft_terms(
        conn: &mut AnyConnection,
        id: &str,
        terms: &OfferingTermsRow<'_>,
        now: NaiveDateTime,
    ) -> QueryResult<bool> {
        diesel::update(
            offerings::table
                .find(id)
                .filter(offerings::status.eq("draft")),
        )
        .set((terms, offerings::updated_at.eq(now)))
        .execute(conn)
        .map(|n| n == 1)
    }

    /// draft | in_review | open -> cancelled; false when it was in none of them.
    pub fn mark_cancelled(
        conn: &mut AnyConnection,
        id: &str,
        now: NaiveDateTime,
    ) -> QueryResult<bool> {
        diesel::update(offerings::table.find(id).filter(offerings::status.eq_any([
            "draft",
            "in_review",
            "open",
        ])))
        .set((
            offerings::status.eq("cancelled"),
            offerings::closed_at.eq(Some(now)),
            offerings::updated_at.eq(now),
        ))
        .execute(conn)
        .map(|n| n == 1)
    }

    pub fn mark_submitted(
        conn: &mut AnyConnection,
        id: &str,
        now: NaiveDateTime,
    ) -> QueryResult<bool> {
        diesel::update(
            offerings::table
                .find(id)
                .filter(offerings::status.eq("draft")),
        )
        .set((
            offerings::status.eq("in_review"),
            offerings::submitted_at.eq(Some(now)),
            offerings::rejection_reason.eq(None::<String>),
            offerings::updated_at.eq(now),
        ))
        .execute(conn)
        .map(|n| n == 1)
    }

    pub fn mark_rejected(
        conn: &mut AnyConnection,
        id: &str,
        reason: &str,
        now: NaiveDateTime,
    ) -> QueryResult<bool> {
        diesel::update(
            offerings::table
                .find(id)
                .filter(offerings::status.eq("in_review")),
        )
        .set((
            offerings::status.eq("draft"),
            offerings::rejection_reason.eq(Some(reason)),
            offerings::updated_at.eq(now),
        ))
        .execute(conn)
        .map(|n| n == 1)
    }

    pub fn mark_approved(
        conn: &mut AnyConnection,
        id: &str,
        opens_at: NaiveDateTime,
        fee_bps: i32,
        now: NaiveDateTime,
    ) -> QueryResult<bool> {
        diesel::update(
            offerings::table
                .find(id)
                .filter(offerings::status.eq("in_review")),
        )
        .set((
            offerings::status.eq("open"),
            offerings::opens_at.eq(Some(opens_at)),
            offerings::fee_bps.eq(Some(fee_bps)),
            offerings::approved_at.eq(Some(now)),
            offerings::updated_at.eq(now),
        ))
        .execute(conn)
        .map(|n| n == 1)
    }

    /// Adds each (amount, new investors) to its offering's `raised` and
    /// `investor_count` if the offering is open, its deadline is after `now`,
    /// the amount fits under the target and the investors under
    /// `max_investors`; marks it `funded` when it reaches the target exactly. Returns the new
    /// (raised, status) of each offering it changed, by id: an offering
    /// missing from the answer changed nothing.
    ///
    /// One conditional UPDATE: race-free on both backends without an explicit
    /// lock — each row either changes or does not. Several offerings' rows
    /// are locked in id order first, so that two batches never deadlock.
    pub fn add_raised(
        conn: &mut AnyConnection,
        amounts: &[(&str, i64, i64)],
        now: NaiveDateTime,
    ) -> QueryResult<HashMap<String, Raised>> {
        if amounts.is_empty() {
            return Ok(HashMap::new());
        }
        if amounts.len() > 1 {
            let ids: Vec<&str> = amounts.iter().map(|(id, _, _)| *id).collect();
            Self::find_many(conn, &ids, true)?;
        }
        // Kept prepared: a launch does not add offerings (see `db::prepared`).
        let changed: Vec<Raised> = super::prepared::Statement::new(conn)
            .sql("WITH delta (id, amount, investors) AS (")
            .rows(
                &[
                    super::prepared::Column::Text,
                    super::prepared::Column::BigInt,
                    super::prepared::Column::BigInt,
                ],
                amounts,
            )?
            .sql(
                ") UPDATE offerings SET raised = offerings.raised + delta.amount, \
                 investor_count = offerings.investor_count + delta.investors, \
                 status = CASE WHEN offerings.raised + delta.amount = offerings.target_amount \
                          THEN 'funded' ELSE offerings.status END, \
                 closed_at = CASE WHEN offerings.raised + delta.amount = offerings.target_amount \
                             THEN ",
            )
            .timestamp(now)
            .sql(" ELSE offerings.closed_at END, updated_at = ")
            .timestamp(now)
            .sql(" FROM delta WHERE offerings.id = delta.id AND ")
            // SQLite, planning once without statistics, would otherwise walk
            // every open offering by (status, closes_at) and look each up in
            // the batch; `+` leaves it the primary key from the batch's rows.
            .sql(match conn {
                AnyConnection::Sqlite(_) => "+offerings.status = 'open'",
                AnyConnection::Postgresql(_) => "offerings.status = 'open'",
            })
            .sql(" AND offerings.closes_at > ")
            .timestamp(now)
            .sql(
                " AND offerings.raised + delta.amount <= offerings.target_amount \
                 AND (offerings.max_investors IS NULL \
                      OR offerings.investor_count + delta.investors <= offerings.max_investors) \
                 RETURNING offerings.id, offerings.raised, offerings.status, \
                 offerings.documents_revision, offerings.lead_revision",
            )
            .load(conn)?;
        Ok(changed.into_iter().map(|c| (c.id.clone(), c)).collect())
    }

    /// Counts `investor_id` out of the offering's investors if they no
    /// longer hold an active or settled subscription in it (after one was
    /// released, in the same transaction, which holds the offering's row).
    pub fn count_out_if_gone(
        conn: &mut AnyConnection,
        id: &str,
        investor_id: &str,
        now: NaiveDateTime,
    ) -> QueryResult<bool> {
        let holds = diesel::dsl::exists(
            subscriptions::table
                .filter(subscriptions::offering_id.eq(id))
                .filter(subscriptions::investor_id.eq(investor_id))
                .filter(subscriptions::status.eq_any(super::subscriptions::COMMITTED)),
        );
        diesel::update(
            offerings::table
                .find(id)
                .filter(offerings::investor_count.gt(0))
                .filter(diesel::dsl::not(holds)),
        )
        .set((
            offerings::investor_count.eq(offerings::investor_count - 1),
            offerings::updated_at.eq(now),
        ))
        .execute(conn)
        .map(|n| n == 1)
    }

    /// Takes `amount` off `raised` while the offering is still open and its
    /// deadline is more than `cutoff` away.
    pub fn subtract_raised(
        conn: &mut AnyConnection,
        id: &str,
        amount: i64,
        now: NaiveDateTime,
        cutoff: chrono::TimeDelta,
    ) -> QueryResult<bool> {
        let window_ends_after = now.checked_add_signed(cutoff).unwrap_or(NaiveDateTime::MAX);
        diesel::update(
            offerings::table
                .find(id)
                .filter(offerings::status.eq("open"))
                .filter(offerings::closes_at.gt(window_ends_after))
                .filter(offerings::raised.ge(amount)),
        )
        .set((
            offerings::raised.eq(offerings::raised - amount),
            offerings::updated_at.eq(now),
        ))
        .execute(conn)
        .map(|n| n == 1)
    }

    /// Takes `amount` off the raised amount of an open or funded offering
    /// after a material change cost it a subscription; returns its status
    /// after. A round funded before its deadline (its target reached) is
    /// open again; one funded at its deadline that falls below its minimum
    /// has failed. None when the offering is neither open nor funded.
    pub fn release_raised(
        conn: &mut AnyConnection,
        id: &str,
        amount: i64,
        now: NaiveDateTime,
    ) -> QueryResult<Option<String>> {
        use diesel::sql_types::{BigInt, Timestamp};
        #[derive(QueryableByName)]
        struct After {
            #[diesel(sql_type = Text)]
            status: String,
        }
        let after: Option<After> = crate::db::raw::sql(
            "UPDATE offerings SET raised = raised - $1, \
             status = CASE WHEN status = 'funded' AND closes_at > $2 THEN 'open' \
                           WHEN status = 'funded' AND raised - $1 < min_raise THEN 'failed' \
                           ELSE status END, \
             closed_at = CASE WHEN status = 'funded' AND closes_at > $2 THEN NULL \
                              ELSE closed_at END, \
             updated_at = $2 \
             WHERE id = $3 AND status IN ('open', 'funded') AND raised >= $1 \
             RETURNING status",
        )
        .bind::<BigInt, _>(amount)
        .bind::<Timestamp, _>(now)
        .bind::<Text, _>(id)
        .get_result(conn)
        .optional()?;
        Ok(after.map(|a| a.status))
    }

    /// Open offerings whose deadline has passed.
    pub fn due_for_closing(
        conn: &mut AnyConnection,
        now: NaiveDateTime,
        limit: i64,
    ) -> QueryResult<Vec<String>> {
        offerings::table
            .filter(offerings::status.eq("open"))
            .filter(offerings::closes_at.le(now))
            .filter(diesel::dsl::not(offerings::id.eq_any(
                super::job_failures::held_back_ids(super::job_failures::CLOSE, now),
            )))
            .select(offerings::id)
            .order(offerings::closes_at.asc())
            .limit(limit)
            .load(conn)
    }

    /// Closes an open offering past its deadline: funded if it raised at least
    /// min_raise, failed otherwise. Exactly one caller wins; returns the new
    /// status for that caller.
    pub fn close_at_deadline(
        conn: &mut AnyConnection,
        id: &str,
        now: NaiveDateTime,
    ) -> QueryResult<Option<String>> {
        use diesel::dsl::case_when;
        diesel::update(
            offerings::table
                .find(id)
                .filter(offerings::status.eq("open"))
                .filter(offerings::closes_at.le(now)),
        )
        .set((
            offerings::status.eq(case_when(
                offerings::raised.ge(offerings::min_raise),
                "funded".into_sql::<Text>(),
            )
            .otherwise("failed".into_sql::<Text>())),
            offerings::closed_at.eq(Some(now)),
            offerings::updated_at.eq(now),
        ))
        .returning(offerings::status)
        .get_result(conn)
        .optional()
    }

    pub fn list(conn: &mut AnyConnection, filter: &ListFilter) -> QueryResult<Vec<Offering>> {
        let mut query = offerings::table
            .select(Offering::as_select())
            .filter(offerings::status.eq_any(&filter.statuses))
            .into_boxed::<Backend>();
        if let Some(search) = &filter.search {
            let pattern = contains_pattern(&search.to_lowercase());
            query = query.filter(
                lower(offerings::title)
                    .like(pattern.clone())
                    .escape(LIKE_ESCAPE)
                    .or(lower(offerings::summary).like(pattern).escape(LIKE_ESCAPE)),
            );
        }
        macro_rules! keyset {
            ($col:expr, $value:expr, $desc:expr) => {{
                if let Some(cursor) = &filter.cursor {
                    let v = $value(cursor);
                    let id = cursor.id.clone();
                    query = if $desc {
                        query.filter($col.lt(v).or($col.eq(v).and(offerings::id.lt(id))))
                    } else {
                        query.filter($col.gt(v).or($col.eq(v).and(offerings::id.gt(id))))
                    };
                }
                query = if $desc {
                    query.order_by(($col.desc(), offerings::id.desc()))
                } else {
                    query.order_by(($col.asc(), offerings::id.asc()))
                };
            }};
        }
        let desc = filter.sort.descending;
        match filter.sort.column {
            "closes_at" => keyset!(offerings::closes_at, |c: &Cursor| c.time(), desc),
            "raised" => keyset!(offerings::raised, |c: &Cursor| c.number(), desc),
            _ => keyset!(offerings::created_at, |c: &Cursor| c.time(), desc),
        }
        query.limit(filter.limit).load(conn)
    }

    pub fn list_by_sponsor(
        conn: &mut AnyConnection,
        sponsor_id: &str,
        after_id: Option<&str>,
        limit: i64,
    ) -> QueryResult<Vec<Offering>> {
        let mut query = offerings::table
            .select(Offering::as_select())
            .filter(offerings::sponsor_id.eq(sponsor_id))
            .order_by(offerings::id.desc())
            .limit(limit)
            .into_boxed::<Backend>();
        if let Some(after) = after_id {
            query = query.filter(offerings::id.lt(after.to_string()));
        }
        query.load(conn)
    }
}
