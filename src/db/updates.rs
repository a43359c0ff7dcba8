//! Sponsor updates on an offering (migration 000010).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::offering_updates;
use super::AnyConnection;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = offering_updates)]
pub struct Update {
    pub id: String,
    pub offering_id: String,
    pub author_id: String,
    pub title: String,
    pub body: String,
    pub body_format: String,
    pub audience: String,
    pub publish_at: NaiveDateTime,
    pub published_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
}

pub fn insert(conn: &mut AnyConnection, u: &Update) -> QueryResult<()> {
    diesel::insert_into(offering_updates::table)
        .values(u)
        .execute(conn)
        .map(drop)
}

pub fn find(conn: &mut AnyConnection, offering_id: &str, id: &str) -> QueryResult<Option<Update>> {
    offering_updates::table
        .filter(offering_updates::id.eq(id))
        .filter(offering_updates::offering_id.eq(offering_id))
        .select(Update::as_select())
        .first(conn)
        .optional()
}

pub fn find_any(conn: &mut AnyConnection, id: &str) -> QueryResult<Option<Update>> {
    offering_updates::table
        .find(id)
        .select(Update::as_select())
        .first(conn)
        .optional()
}

/// Which updates of an offering a list shows.
#[derive(Debug, Clone, Copy)]
pub struct Shown {
    /// Updates for the offering's investors too, not only public ones.
    pub investors_only: bool,
    /// Scheduled updates not yet published too (their author and operators).
    pub unpublished: bool,
}

/// The offering's updates newest first (by publication time, then id),
/// after the keyset `(publish_at, id)`.
pub fn list(
    conn: &mut AnyConnection,
    offering_id: &str,
    shown: Shown,
    after: Option<(NaiveDateTime, String)>,
    limit: i64,
) -> QueryResult<Vec<Update>> {
    let mut q = offering_updates::table
        .filter(offering_updates::offering_id.eq(offering_id))
        .select(Update::as_select())
        .order((
            offering_updates::publish_at.desc(),
            offering_updates::id.desc(),
        ))
        .limit(limit)
        .into_boxed();
    if !shown.investors_only {
        q = q.filter(offering_updates::audience.eq("public"));
    }
    if !shown.unpublished {
        q = q.filter(offering_updates::published_at.is_not_null());
    }
    if let Some((at, id)) = after {
        q = q.filter(
            offering_updates::publish_at
                .lt(at)
                .or(offering_updates::publish_at
                    .eq(at)
                    .and(offering_updates::id.lt(id))),
        );
    }
    q.load(conn)
}

/// Marks the update published at `at`; false when it already was (another
/// server, or an earlier pass, published it first).
pub fn mark_published(conn: &mut AnyConnection, id: &str, at: NaiveDateTime) -> QueryResult<bool> {
    diesel::update(offering_updates::table)
        .filter(offering_updates::id.eq(id))
        .filter(offering_updates::published_at.is_null())
        .set(offering_updates::published_at.eq(at))
        .execute(conn)
        .map(|n| n == 1)
}

/// Unpublished updates whose time has come, oldest first.
pub fn due(conn: &mut AnyConnection, now: NaiveDateTime, limit: i64) -> QueryResult<Vec<String>> {
    offering_updates::table
        .filter(offering_updates::published_at.is_null())
        .filter(offering_updates::publish_at.le(now))
        .select(offering_updates::id)
        .order(offering_updates::publish_at)
        .limit(limit)
        .load(conn)
}
