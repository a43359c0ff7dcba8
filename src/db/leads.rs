//! The `offering_leads` table (migration 000013) and the lead in office
//! kept on the offering (`offerings.lead_investor_id`, `lead_revision`).
//!
//! Every appointment is a row; at most one per offering is in office
//! (`ended_at` NULL, a unique index). Appointing or withdrawing a lead moves
//! the offering's `lead_revision`, so that a batch of subscriptions that read
//! the offering before sees it changed (see [`crate::pipeline::subscribe`]).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{offering_leads, offerings, subscriptions, users};
use super::AnyConnection;

/// One appointment of a lead investor.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = offering_leads)]
pub struct Lead {
    pub id: String,
    pub offering_id: String,
    pub investor_id: String,
    /// The lead's carry, in basis points of the followers' profit.
    pub carry_bps: i32,
    pub terms: String,
    /// The operator who appointed them.
    pub appointed_by: String,
    pub appointed_at: NaiveDateTime,
    pub ended_at: Option<NaiveDateTime>,
    /// `withdrew` (their commitment fell below the minimum) or `replaced`
    /// (another lead was appointed before they committed).
    pub end_reason: Option<String>,
}

/// Why an appointment ended.
pub const WITHDREW: &str = "withdrew";
pub const REPLACED: &str = "replaced";

/// The offering's lead in office, with their display name.
pub fn in_office(
    conn: &mut AnyConnection,
    offering_id: &str,
) -> QueryResult<Option<(Lead, String)>> {
    offering_leads::table
        .inner_join(users::table.on(users::id.eq(offering_leads::investor_id)))
        .filter(offering_leads::offering_id.eq(offering_id))
        .filter(offering_leads::ended_at.is_null())
        .select((Lead::as_select(), users::display_name))
        .first(conn)
        .optional()
}

/// Appoints `lead`: ends the appointment in office, if any, as `replaced`;
/// records the new one; makes its investor the offering's lead. Inside the
/// caller's transaction, which has checked that the lead in office (if
/// any) has not committed. Returns the investor replaced, if any.
pub fn appoint(conn: &mut AnyConnection, lead: &Lead) -> QueryResult<Option<String>> {
    let replaced: Option<String> = offering_leads::table
        .filter(offering_leads::offering_id.eq(&lead.offering_id))
        .filter(offering_leads::ended_at.is_null())
        .select(offering_leads::investor_id)
        .first(conn)
        .optional()?;
    end(conn, &lead.offering_id, REPLACED, lead.appointed_at)?;
    diesel::insert_into(offering_leads::table)
        .values(lead)
        .execute(conn)?;
    set_in_office(
        conn,
        &lead.offering_id,
        Some(&lead.investor_id),
        lead.appointed_at,
    )?;
    Ok(replaced)
}

/// The lead in office, `investor_id`, withdrew: their appointment ends as
/// `withdrew` and the offering has no lead. False when they were not the
/// lead in office.
pub fn withdraw(
    conn: &mut AnyConnection,
    offering_id: &str,
    investor_id: &str,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let ended = diesel::update(
        offering_leads::table
            .filter(offering_leads::offering_id.eq(offering_id))
            .filter(offering_leads::investor_id.eq(investor_id))
            .filter(offering_leads::ended_at.is_null()),
    )
    .set((
        offering_leads::ended_at.eq(Some(now)),
        offering_leads::end_reason.eq(Some(WITHDREW)),
    ))
    .execute(conn)?;
    if ended == 0 {
        return Ok(false);
    }
    set_in_office(conn, offering_id, None, now)?;
    Ok(true)
}

/// Every appointment of the offering's leads, newest first, each with the
/// investor's display name.
pub fn history(conn: &mut AnyConnection, offering_id: &str) -> QueryResult<Vec<(Lead, String)>> {
    offering_leads::table
        .inner_join(users::table.on(users::id.eq(offering_leads::investor_id)))
        .filter(offering_leads::offering_id.eq(offering_id))
        .select((Lead::as_select(), users::display_name))
        .order((
            offering_leads::appointed_at.desc(),
            offering_leads::id.desc(),
        ))
        .load(conn)
}

/// What `investor_id`'s subscriptions in the offering that were cancelled
/// at `at` (by the transaction releasing them, which stamps them so)
/// amounted to.
pub fn released_at(
    conn: &mut AnyConnection,
    offering_id: &str,
    investor_id: &str,
    at: NaiveDateTime,
) -> QueryResult<i64> {
    subscriptions::table
        .filter(subscriptions::offering_id.eq(offering_id))
        .filter(subscriptions::investor_id.eq(investor_id))
        .filter(subscriptions::status.eq("cancelled"))
        .filter(subscriptions::updated_at.eq(at))
        .select(diesel::dsl::sql::<diesel::sql_types::BigInt>(
            "CAST(COALESCE(SUM(subscriptions.amount), 0) AS BIGINT)",
        ))
        .get_result(conn)
}

fn end(
    conn: &mut AnyConnection,
    offering_id: &str,
    reason: &str,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        offering_leads::table
            .filter(offering_leads::offering_id.eq(offering_id))
            .filter(offering_leads::ended_at.is_null()),
    )
    .set((
        offering_leads::ended_at.eq(Some(now)),
        offering_leads::end_reason.eq(Some(reason)),
    ))
    .execute(conn)
}

fn set_in_office(
    conn: &mut AnyConnection,
    offering_id: &str,
    investor_id: Option<&str>,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(offerings::table.find(offering_id))
        .set((
            offerings::lead_investor_id.eq(investor_id),
            offerings::lead_revision.eq(offerings::lead_revision + 1),
            offerings::updated_at.eq(now),
        ))
        .execute(conn)
}
