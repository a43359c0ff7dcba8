//! Recording operator actions and money movements in the audit log, in the
//! same transaction as the action; and the operators' view of the log.

use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::Value;

use crate::db::audit::{self, Actor, AuditFilter};
use crate::db::{write_transaction, AnyConnection};
use crate::error::ApiError;
use crate::services::offerings::{id_cursor, next_id_cursor};
use crate::services::views::Page;

use super::blocking::with_conn;
use super::extractors::{AuthUser, OperatorUser};
use super::pagination::check_limit;
use super::query::Query;
use super::AppState;

/// The signed-in user as an audit actor, with the request's id.
pub fn actor(req: &HttpRequest, user: &AuthUser) -> Actor {
    Actor {
        id: Some(user.id.clone()),
        role: user.role.as_str().to_string(),
        request_id: request_id(req),
    }
}

/// The request's id (see [`super::request_id`]), as audit records keep it.
pub fn request_id(req: &HttpRequest) -> Option<String> {
    super::request_id::current(req).map(|id| id.to_string())
}

/// What to write in the log about an action.
pub struct Entry {
    pub action: &'static str,
    pub subject_type: &'static str,
    pub subject_id: String,
    pub details: Value,
}

/// Runs `work` in a transaction and appends its audit record in the same one.
pub fn record_with<T>(
    conn: &mut AnyConnection,
    actor: &Actor,
    work: impl FnOnce(&mut AnyConnection) -> Result<(T, Entry), ApiError>,
) -> Result<T, ApiError> {
    write_transaction(conn, |conn| {
        let (value, entry) = work(conn)?;
        audit::record(
            conn,
            actor,
            entry.action,
            entry.subject_type,
            &entry.subject_id,
            &entry.details,
        )?;
        Ok(value)
    })
}

/// [`record_with`] off the async workers.
pub async fn audited<T, F>(state: &AppState, actor: Actor, work: F) -> Result<T, ApiError>
where
    F: FnOnce(&mut AnyConnection) -> Result<(T, Entry), ApiError> + Send + 'static,
    T: Send + 'static,
{
    with_conn(state, move |conn| record_with(conn, &actor, work)).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    action: Option<String>,
    actor_id: Option<String>,
    subject_type: Option<String>,
    subject_id: Option<String>,
    since: Option<DateTime<Utc>>,
    until: Option<DateTime<Utc>>,
    limit: Option<i64>,
    cursor: Option<String>,
}

pub async fn list(
    state: web::Data<AppState>,
    _operator: OperatorUser,
    query: Query<AuditQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.into_inner();
    let limit = check_limit(q.limit)?;
    let page = with_conn(&state, move |conn| {
        let filter = AuditFilter {
            action: q.action,
            actor_id: q.actor_id,
            subject_type: q.subject_type,
            subject_id: q.subject_id,
            since: q.since.map(within_years),
            until: q.until.map(within_years),
            before_id: id_cursor(q.cursor.as_deref(), "audit")?,
        };
        let mut rows = audit::page(conn, &filter, limit + 1)?;
        let more = rows.len() as i64 > limit;
        rows.truncate(limit as usize);
        let next_cursor = next_id_cursor(&rows, more, "audit", |r| &r.id);
        Ok(Page {
            items: rows,
            next_cursor,
        })
    })
    .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// A bound of the filter, moved into 1900-01-01..=9999-12-31 UTC. Every
/// RFC 3339 time is a valid bound (with its offset, from year -1 to
/// 10000), but times are compared as text on SQLite, where years outside
/// four digits sort wrongly; no record lies outside that range, so moving
/// a bound to its edge matches the same records.
fn within_years(t: DateTime<Utc>) -> chrono::NaiveDateTime {
    use chrono::NaiveDate;
    let first = NaiveDate::from_ymd_opt(1900, 1, 1).and_then(|d| d.and_hms_opt(0, 0, 0));
    let last = NaiveDate::from_ymd_opt(9999, 12, 31)
        .and_then(|d| d.and_hms_micro_opt(23, 59, 59, 999_999));
    match (first, last) {
        (Some(first), Some(last)) => t.naive_utc().clamp(first, last),
        _ => t.naive_utc(),
    }
}
