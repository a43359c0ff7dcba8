//! The `subscriptions` table.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::BigInt;

use super::prepared::Writes;
use super::schema::{offerings, subscriptions};
use super::{AnyConnection, Backend};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = subscriptions)]
pub struct Subscription {
    pub id: String,
    pub offering_id: String,
    pub investor_id: String,
    pub shares: i64,
    pub amount: i64,
    pub status: String,
    pub entry_id: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// The offering's documents revision the investor subscribed under:
    /// which version of each document was in force.
    pub documents_revision: i64,
    /// After a material change: `awaiting`, `reconfirmed` or `lapsed`.
    pub reconfirmation: Option<String>,
    /// The latest material change the investor was asked about.
    pub material_change_id: Option<String>,
    /// The deadline of that reconfirmation.
    pub reconfirm_by: Option<NaiveDateTime>,
    /// EU ECSP: a non-sophisticated investor may revoke it until then.
    pub revocable_until: Option<NaiveDateTime>,
    /// The investor acknowledged the warning of an investment above their
    /// threshold (EU ECSP).
    pub risk_acknowledged: bool,
}

/// Statuses that count as money committed by the investor.
pub const COMMITTED: [&str; 2] = ["active", "settled"];

impl Subscription {
    /// Inserts these new (active) subscriptions, one statement for those
    /// that share their times. Rows of one batch share their times (the
    /// batch's clock), and so does the end of their reflection period
    /// (eu_ecsp), which each row has or not.
    pub fn insert_many(conn: &mut AnyConnection, rows: &[Subscription]) -> QueryResult<()> {
        let mut writes = Writes::new(conn);
        Self::write_many(&mut writes, rows)?;
        writes.run(conn)
    }

    /// [`Self::insert_many`], as writes to be run with others.
    pub fn write_many(writes: &mut Writes, rows: &[Subscription]) -> QueryResult<()> {
        use super::prepared::Column;
        for group in
            rows.chunk_by(|a, b| (a.created_at, a.updated_at) == (b.created_at, b.updated_at))
        {
            let Some(first) = group.first() else {
                continue;
            };
            let revocable_until = group.iter().find_map(|s| s.revocable_until);
            if group
                .iter()
                .any(|s| s.revocable_until.is_some() && s.revocable_until != revocable_until)
            {
                return Err(diesel::result::Error::QueryBuilderError(
                    "subscriptions of one batch with different reflection periods".into(),
                ));
            }
            let values: Vec<_> = group
                .iter()
                .map(|s| {
                    let status = s.status.as_str();
                    (
                        &s.id,
                        &s.offering_id,
                        &s.investor_id,
                        s.shares,
                        s.amount,
                        status,
                        &s.entry_id,
                        s.documents_revision,
                        i64::from(s.revocable_until.is_some()),
                        i64::from(s.risk_acknowledged),
                    )
                })
                .collect();
            let t = Column::Text;
            let statement = writes
                .statement()
                .sql(
                    "INSERT INTO subscriptions (id, offering_id, investor_id, shares, amount, \
                     status, entry_id, documents_revision, created_at, updated_at, \
                     revocable_until, risk_acknowledged) SELECT ",
                )
                .columns(&[
                    t,
                    t,
                    t,
                    Column::BigInt,
                    Column::BigInt,
                    t,
                    t,
                    Column::BigInt,
                ])
                .sql(", ")
                .timestamp(first.created_at)
                .sql(", ")
                .timestamp(first.updated_at)
                .sql(", CASE WHEN CAST(r.v ->> 8 AS INTEGER) = 1 THEN ")
                .timestamp(revocable_until.unwrap_or(first.created_at))
                .sql(" END, (CAST(r.v ->> 9 AS INTEGER) = 1)")
                .from_rows(&values)?;
            writes.push(statement);
        }
        Ok(())
    }

    /// Which of these (investor, offering) pairs already hold an active or
    /// settled subscription: one index probe each.
    pub fn holding(
        conn: &mut AnyConnection,
        pairs: &[(&str, &str)],
    ) -> QueryResult<std::collections::HashSet<(String, String)>> {
        use super::prepared::{Column, Statement};
        if pairs.is_empty() {
            return Ok(Default::default());
        }
        #[derive(diesel::QueryableByName)]
        struct Pair {
            #[diesel(sql_type = diesel::sql_types::Text)]
            investor_id: String,
            #[diesel(sql_type = diesel::sql_types::Text)]
            offering_id: String,
        }
        let rows: Vec<Pair> = Statement::new(conn)
            .planned_each_run()
            .sql("WITH p (investor_id, offering_id) AS (")
            .rows(&[Column::Text, Column::Text], pairs)?
            .sql(
                ") SELECT p.investor_id, p.offering_id FROM p WHERE EXISTS (SELECT 1 \
                 FROM subscriptions s WHERE s.offering_id = p.offering_id \
                 AND s.status IN ('active', 'settled') AND s.investor_id = p.investor_id)",
            )
            .load(conn)?;
        Ok(rows
            .into_iter()
            .map(|p| (p.investor_id, p.offering_id))
            .collect())
    }

    /// The latest end of a reflection period among the offering's active
    /// subscriptions (eu_ecsp), if any has one.
    pub fn latest_revocable(
        conn: &mut AnyConnection,
        offering_id: &str,
    ) -> QueryResult<Option<NaiveDateTime>> {
        subscriptions::table
            .filter(subscriptions::offering_id.eq(offering_id))
            .filter(subscriptions::status.eq("active"))
            .select(diesel::dsl::max(subscriptions::revocable_until))
            .first(conn)
    }

    /// What each of these investors has committed to each of these offerings,
    /// by (investor, offering); pairs with nothing committed are absent.
    pub fn committed_by_pair(
        conn: &mut AnyConnection,
        investor_ids: &[&str],
        offering_ids: &[&str],
    ) -> QueryResult<HashMap<(String, String), i64>> {
        if investor_ids.is_empty() || offering_ids.is_empty() {
            return Ok(HashMap::new());
        }
        let rows: Vec<(String, String, i64)> = subscriptions::table
            .filter(subscriptions::investor_id.eq_any(investor_ids))
            .filter(subscriptions::offering_id.eq_any(offering_ids))
            .filter(subscriptions::status.eq_any(COMMITTED))
            .group_by((subscriptions::investor_id, subscriptions::offering_id))
            .select((
                subscriptions::investor_id,
                subscriptions::offering_id,
                sum_amount(),
            ))
            .load(conn)?;
        Ok(rows.into_iter().map(|(i, o, sum)| ((i, o), sum)).collect())
    }

    /// What each of these investors has committed on the platform since
    /// `since`, by investor; investors with nothing are absent.
    pub fn committed_since_by_investor(
        conn: &mut AnyConnection,
        investor_ids: &[&str],
        since: NaiveDateTime,
    ) -> QueryResult<HashMap<String, i64>> {
        if investor_ids.is_empty() {
            return Ok(HashMap::new());
        }
        let rows: Vec<(String, i64)> = subscriptions::table
            .filter(subscriptions::investor_id.eq_any(investor_ids))
            .filter(subscriptions::created_at.ge(since))
            .filter(subscriptions::status.eq_any(COMMITTED))
            .group_by(subscriptions::investor_id)
            .select((subscriptions::investor_id, sum_amount()))
            .load(conn)?;
        Ok(rows.into_iter().collect())
    }

    pub fn find(conn: &mut AnyConnection, id: &str) -> QueryResult<Option<Subscription>> {
        subscriptions::table
            .find(id)
            .select(Subscription::as_select())
            .first(conn)
            .optional()
    }

    /// Changes the status if it is still `from`; false when someone else did first.
    pub fn transition(
        conn: &mut AnyConnection,
        id: &str,
        from: &str,
        to: &str,
        now: NaiveDateTime,
    ) -> QueryResult<bool> {
        diesel::update(
            subscriptions::table
                .find(id)
                .filter(subscriptions::status.eq(from)),
        )
        .set((
            subscriptions::status.eq(to),
            subscriptions::updated_at.eq(now),
        ))
        .execute(conn)
        .map(|n| n == 1)
    }

    /// Ends an awaited reconfirmation by cancelling: `declined` (by the
    /// investor) or `lapsed` (at the deadline). False when the subscription
    /// no longer awaits (reconfirmed, or ended by another transaction).
    pub fn end_awaiting(
        conn: &mut AnyConnection,
        id: &str,
        reconfirmation: &str,
        now: NaiveDateTime,
    ) -> QueryResult<bool> {
        diesel::update(
            subscriptions::table
                .find(id)
                .filter(subscriptions::status.eq("active"))
                .filter(subscriptions::reconfirmation.eq("awaiting")),
        )
        .set((
            subscriptions::status.eq("cancelled"),
            subscriptions::reconfirmation.eq(reconfirmation),
            subscriptions::updated_at.eq(now),
        ))
        .execute(conn)
        .map(|n| n == 1)
    }

    /// What the investor has committed on the platform since `since`.
    pub fn committed_since(
        conn: &mut AnyConnection,
        investor_id: &str,
        since: NaiveDateTime,
    ) -> QueryResult<i64> {
        subscriptions::table
            .filter(subscriptions::investor_id.eq(investor_id))
            .filter(subscriptions::created_at.ge(since))
            .filter(subscriptions::status.eq_any(COMMITTED))
            .select(sum_amount())
            .get_result(conn)
    }

    /// Whether the account has invested in the offering (holds a committed
    /// subscription: active, or settled into shares).
    pub fn has_invested(
        conn: &mut AnyConnection,
        offering_id: &str,
        investor_id: &str,
    ) -> QueryResult<bool> {
        diesel::select(diesel::dsl::exists(
            subscriptions::table
                .filter(subscriptions::offering_id.eq(offering_id))
                .filter(subscriptions::investor_id.eq(investor_id))
                .filter(subscriptions::status.eq_any(COMMITTED)),
        ))
        .get_result(conn)
    }

    /// Money of the investor held in escrow (active subscriptions).
    pub fn active_total_of_investor(
        conn: &mut AnyConnection,
        investor_id: &str,
    ) -> QueryResult<i64> {
        subscriptions::table
            .filter(subscriptions::investor_id.eq(investor_id))
            .filter(subscriptions::status.eq("active"))
            .select(sum_amount())
            .get_result(conn)
    }

    /// A page of subscriptions, newest first, by investor or by offering.
    pub fn page(
        conn: &mut AnyConnection,
        investor_id: Option<&str>,
        offering_id: Option<&str>,
        before_id: Option<&str>,
        limit: i64,
    ) -> QueryResult<Vec<Subscription>> {
        let mut query = subscriptions::table
            .select(Subscription::as_select())
            .order_by(subscriptions::id.desc())
            .limit(limit)
            .into_boxed::<Backend>();
        if let Some(investor) = investor_id {
            query = query.filter(subscriptions::investor_id.eq(investor.to_string()));
        }
        if let Some(offering) = offering_id {
            query = query.filter(subscriptions::offering_id.eq(offering.to_string()));
        }
        if let Some(before) = before_id {
            query = query.filter(subscriptions::id.lt(before.to_string()));
        }
        query.load(conn)
    }
}

/// What an investor's portfolio shows of the offering beside each of their
/// subscriptions.
#[derive(Debug, Clone, Queryable)]
pub struct OfferingBrief {
    pub title: String,
    pub status: String,
    pub security_type: String,
    pub price_per_share: i64,
}

impl Subscription {
    /// A page of the investor's subscriptions, newest first, each with its
    /// offering's brief (one query).
    pub fn page_of_investor(
        conn: &mut AnyConnection,
        investor_id: &str,
        before_id: Option<&str>,
        limit: i64,
    ) -> QueryResult<Vec<(Subscription, OfferingBrief)>> {
        let mut query = subscriptions::table
            .inner_join(offerings::table)
            .filter(subscriptions::investor_id.eq(investor_id.to_string()))
            .select((
                Subscription::as_select(),
                (
                    offerings::title,
                    offerings::status,
                    offerings::security_type,
                    offerings::price_per_share,
                ),
            ))
            .order_by(subscriptions::id.desc())
            .limit(limit)
            .into_boxed::<Backend>();
        if let Some(before) = before_id {
            query = query.filter(subscriptions::id.lt(before.to_string()));
        }
        query.load(conn)
    }
}

/// `SUM(amount)` as BIGINT on both backends (PostgreSQL sums BIGINT as NUMERIC,
/// which the two-backend connection does not map), zero when there are no rows.
fn sum_amount() -> diesel::expression::SqlLiteral<BigInt> {
    diesel::dsl::sql::<BigInt>("CAST(COALESCE(SUM(subscriptions.amount), 0) AS BIGINT)")
}
