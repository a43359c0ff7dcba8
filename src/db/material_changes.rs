//! Material changes and the reconfirmations they ask for (migration 000011).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{material_changes, subscriptions};
use super::AnyConnection;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = material_changes)]
pub struct MaterialChange {
    pub id: String,
    pub offering_id: String,
    /// `amendment` (a document version declared material) or
    /// `lead_withdrawn` (no document).
    pub kind: String,
    pub document_id: Option<String>,
    pub version: Option<i32>,
    pub reason: String,
    pub declared_by: String,
    pub declared_at: NaiveDateTime,
    pub deadline: NaiveDateTime,
    pub remind_at: NaiveDateTime,
    pub reminded_at: Option<NaiveDateTime>,
}

pub fn insert(conn: &mut AnyConnection, c: &MaterialChange) -> QueryResult<()> {
    diesel::insert_into(material_changes::table)
        .values(c)
        .execute(conn)
        .map(drop)
}

pub fn find(conn: &mut AnyConnection, id: &str) -> QueryResult<Option<MaterialChange>> {
    material_changes::table
        .find(id)
        .select(MaterialChange::as_select())
        .first(conn)
        .optional()
}

/// Whether this version was already declared material.
pub fn declared(conn: &mut AnyConnection, document_id: &str, version: i32) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        material_changes::table
            .filter(material_changes::document_id.eq(document_id))
            .filter(material_changes::version.eq(version)),
    ))
    .get_result(conn)
}

/// The offering's material changes, newest first.
pub fn of_offering(
    conn: &mut AnyConnection,
    offering_id: &str,
) -> QueryResult<Vec<MaterialChange>> {
    material_changes::table
        .filter(material_changes::offering_id.eq(offering_id))
        .select(MaterialChange::as_select())
        .order(material_changes::id.desc())
        .load(conn)
}

/// Every active subscription of the offering made before the amendment
/// (under an earlier documents revision) now awaits reconfirmation of
/// `change` until `deadline` (one that awaited an earlier change awaits
/// this one, with the later deadline). Returns how many.
pub fn ask_reconfirmation(
    conn: &mut AnyConnection,
    change: &MaterialChange,
    amendment_revision: i64,
) -> QueryResult<usize> {
    diesel::update(
        subscriptions::table
            .filter(subscriptions::offering_id.eq(&change.offering_id))
            .filter(subscriptions::status.eq("active"))
            .filter(subscriptions::documents_revision.lt(amendment_revision)),
    )
    .set((
        subscriptions::reconfirmation.eq("awaiting"),
        subscriptions::material_change_id.eq(&change.id),
        subscriptions::reconfirm_by.eq(change.deadline),
        subscriptions::updated_at.eq(change.declared_at),
    ))
    .execute(conn)
}

/// Every active subscription of the offering but the lead's now awaits
/// reconfirmation of `change` (the lead withdrew). Returns how many.
pub fn ask_followers(
    conn: &mut AnyConnection,
    change: &MaterialChange,
    lead_id: &str,
) -> QueryResult<usize> {
    diesel::update(
        subscriptions::table
            .filter(subscriptions::offering_id.eq(&change.offering_id))
            .filter(subscriptions::status.eq("active"))
            .filter(subscriptions::investor_id.ne(lead_id)),
    )
    .set((
        subscriptions::reconfirmation.eq("awaiting"),
        subscriptions::material_change_id.eq(&change.id),
        subscriptions::reconfirm_by.eq(change.deadline),
        subscriptions::updated_at.eq(change.declared_at),
    ))
    .execute(conn)
}

/// The investor reconfirms before the deadline; false when the
/// subscription does not await (or no longer: its deadline has passed).
pub fn reconfirm(
    conn: &mut AnyConnection,
    subscription_id: &str,
    investor_id: &str,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    diesel::update(
        subscriptions::table
            .find(subscription_id)
            .filter(subscriptions::investor_id.eq(investor_id))
            .filter(subscriptions::status.eq("active"))
            .filter(subscriptions::reconfirmation.eq("awaiting"))
            .filter(subscriptions::reconfirm_by.gt(now)),
    )
    .set((
        subscriptions::reconfirmation.eq("reconfirmed"),
        subscriptions::updated_at.eq(now),
    ))
    .execute(conn)
    .map(|n| n == 1)
}

/// Subscriptions whose reconfirmation deadline has passed unanswered.
pub fn lapsed(
    conn: &mut AnyConnection,
    now: NaiveDateTime,
    limit: i64,
) -> QueryResult<Vec<String>> {
    subscriptions::table
        .filter(subscriptions::reconfirmation.eq("awaiting"))
        .filter(subscriptions::status.eq("active"))
        .filter(subscriptions::reconfirm_by.le(now))
        .select(subscriptions::id)
        .order(subscriptions::reconfirm_by)
        .limit(limit)
        .load(conn)
}

/// How many of the offering's subscriptions await reconfirmation.
pub fn awaiting(conn: &mut AnyConnection, offering_id: &str) -> QueryResult<i64> {
    subscriptions::table
        .filter(subscriptions::offering_id.eq(offering_id))
        .filter(subscriptions::status.eq("active"))
        .filter(subscriptions::reconfirmation.eq("awaiting"))
        .count()
        .get_result(conn)
}

/// How the subscriptions asked about a change answered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Answers {
    pub awaiting: i64,
    pub reconfirmed: i64,
    pub declined: i64,
    pub lapsed: i64,
}

pub fn answers(conn: &mut AnyConnection, change_id: &str) -> QueryResult<Answers> {
    let rows: Vec<(Option<String>, i64)> = subscriptions::table
        .filter(subscriptions::material_change_id.eq(change_id))
        .group_by(subscriptions::reconfirmation)
        .select((subscriptions::reconfirmation, diesel::dsl::count_star()))
        .load(conn)?;
    let mut answers = Answers::default();
    for (state, n) in rows {
        match state.as_deref() {
            Some("awaiting") => answers.awaiting += n,
            Some("reconfirmed") => answers.reconfirmed += n,
            Some("declined") => answers.declined += n,
            Some("lapsed") => answers.lapsed += n,
            _ => {}
        }
    }
    Ok(answers)
}

/// Changes whose reminder is due (and whose deadline is still ahead).
pub fn reminders_due(
    conn: &mut AnyConnection,
    now: NaiveDateTime,
    limit: i64,
) -> QueryResult<Vec<String>> {
    material_changes::table
        .filter(material_changes::reminded_at.is_null())
        .filter(material_changes::remind_at.le(now))
        .filter(material_changes::deadline.gt(now))
        .select(material_changes::id)
        .order(material_changes::remind_at)
        .limit(limit)
        .load(conn)
}

/// Marks the reminder sent; false when another server sent it first.
pub fn mark_reminded(conn: &mut AnyConnection, id: &str, now: NaiveDateTime) -> QueryResult<bool> {
    diesel::update(
        material_changes::table
            .find(id)
            .filter(material_changes::reminded_at.is_null()),
    )
    .set(material_changes::reminded_at.eq(now))
    .execute(conn)
    .map(|n| n == 1)
}
