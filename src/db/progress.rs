//! What the live progress streams read: an offering's figures with the two
//! numbers every change of them gets (migration 000008): `version`, counting
//! the offering's own changes, and `change_seq`, one sequence over all
//! offerings.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::offerings;
use super::AnyConnection;

/// One offering's figures as committed.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = offerings)]
pub struct ProgressRow {
    pub id: String,
    pub sponsor_id: String,
    pub status: String,
    pub raised: i64,
    pub target_amount: i64,
    pub price_per_share: i64,
    pub closes_at: NaiveDateTime,
    pub version: i64,
    pub change_seq: i64,
    /// Distinct investors holding an active or settled subscription, kept
    /// by every change of one (so a change of it is a change of the row).
    pub investor_count: i64,
}

/// The figures of these offerings.
pub fn read(conn: &mut AnyConnection, ids: &[String]) -> QueryResult<Vec<ProgressRow>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    offerings::table
        .filter(offerings::id.eq_any(ids))
        .order(offerings::change_seq.asc())
        .select(ProgressRow::as_select())
        .load(conn)
}

/// The offerings in these statuses, and those in `also_statuses` that
/// changed after sequence number `after` or were updated at or after
/// `updated_since`, oldest change first: what a catalogue stream sends when
/// a client connects or comes back.
pub fn catalogue(
    conn: &mut AnyConnection,
    statuses: &[&str],
    also_statuses: &[&str],
    after: i64,
    updated_since: NaiveDateTime,
) -> QueryResult<Vec<ProgressRow>> {
    offerings::table
        .filter(
            offerings::status
                .eq_any(statuses)
                .or(offerings::status.eq_any(also_statuses).and(
                    offerings::change_seq
                        .gt(after)
                        .or(offerings::updated_at.ge(updated_since)),
                )),
        )
        .order(offerings::change_seq.asc())
        .select(ProgressRow::as_select())
        .load(conn)
}

/// Ids of the offerings changed after sequence number `after`, with the
/// highest number seen (SQLite, where numbers are taken in commit order).
pub fn changed_after(conn: &mut AnyConnection, after: i64) -> QueryResult<(Vec<String>, i64)> {
    let rows: Vec<(String, i64)> = offerings::table
        .filter(offerings::change_seq.gt(after))
        .order(offerings::change_seq.asc())
        .select((offerings::id, offerings::change_seq))
        .load(conn)?;
    let last = rows.last().map_or(after, |(_, seq)| *seq);
    Ok((rows.into_iter().map(|(id, _)| id).collect(), last))
}

/// The highest sequence number given so far (0 on a new database).
pub fn last_change(conn: &mut AnyConnection) -> QueryResult<i64> {
    offerings::table
        .select(diesel::dsl::max(offerings::change_seq))
        .first::<Option<i64>>(conn)
        .map(|seq| seq.unwrap_or(0))
}
