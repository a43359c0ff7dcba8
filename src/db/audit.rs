//! The append-only audit log.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use super::prepared::Writes;
use super::schema::audit_log;
use super::{new_id, now, AnyConnection, Backend};

/// Who acted: a user (with role), or the system itself (`actor_id` None).
#[derive(Debug, Clone)]
pub struct Actor {
    pub id: Option<String>,
    pub role: String,
    pub request_id: Option<String>,
}

impl Actor {
    pub fn system(what: &str) -> Self {
        Self {
            id: None,
            role: what.to_string(),
            request_id: None,
        }
    }
}

/// Appends one record. Call it in the transaction of the action it records.
pub fn record(
    conn: &mut AnyConnection,
    actor: &Actor,
    action: &str,
    subject_type: &str,
    subject_id: &str,
    details: &serde_json::Value,
) -> QueryResult<usize> {
    diesel::insert_into(audit_log::table)
        .values((
            audit_log::id.eq(new_id()),
            audit_log::at.eq(now()),
            audit_log::actor_id.eq(actor.id.as_deref()),
            audit_log::actor_role.eq(&actor.role),
            audit_log::action.eq(action),
            audit_log::subject_type.eq(subject_type),
            audit_log::subject_id.eq(subject_id),
            audit_log::request_id.eq(actor.request_id.as_deref()),
            audit_log::details.eq(details.to_string()),
        ))
        .execute(conn)
}

/// One record of [`record_many`].
pub struct NewRecord<'a> {
    pub actor: &'a Actor,
    pub action: &'a str,
    pub subject_type: &'a str,
    pub subject_id: &'a str,
    pub details: serde_json::Value,
}

/// Appends many records at once (a group commit), all at `at`.
pub fn record_many(
    conn: &mut AnyConnection,
    records: &[NewRecord<'_>],
    at: NaiveDateTime,
) -> QueryResult<()> {
    let mut writes = Writes::new(conn);
    write_many(&mut writes, records, at)?;
    writes.run(conn)
}

/// [`record_many`], as writes to be run with others.
pub fn write_many(
    writes: &mut Writes,
    records: &[NewRecord<'_>],
    at: NaiveDateTime,
) -> QueryResult<()> {
    use super::prepared::Column;
    if records.is_empty() {
        return Ok(());
    }
    let rows: Vec<_> = records
        .iter()
        .map(|r| {
            (
                new_id(),
                &r.actor.id,
                &r.actor.role,
                r.action,
                r.subject_type,
                r.subject_id,
                &r.actor.request_id,
                r.details.to_string(),
            )
        })
        .collect();
    let statement = writes
        .statement()
        .sql(
            "INSERT INTO audit_log (id, actor_id, actor_role, action, subject_type, subject_id, \
             request_id, details, at) SELECT ",
        )
        .columns(&[Column::Text; 8])
        .sql(", ")
        .timestamp(at)
        .from_rows(&rows)?;
    writes.push(statement);
    Ok(())
}

#[derive(Debug, Queryable, Selectable, Serialize)]
#[diesel(table_name = audit_log)]
pub struct AuditRecord {
    pub id: String,
    #[serde(serialize_with = "as_utc")]
    pub at: NaiveDateTime,
    pub actor_id: Option<String>,
    pub actor_role: String,
    pub action: String,
    pub subject_type: String,
    pub subject_id: String,
    pub request_id: Option<String>,
    #[serde(serialize_with = "as_json")]
    pub details: String,
}

fn as_utc<S: serde::Serializer>(t: &NaiveDateTime, s: S) -> Result<S::Ok, S::Error> {
    t.and_utc().serialize(s)
}

fn as_json<S: serde::Serializer>(text: &str, s: S) -> Result<S::Ok, S::Error> {
    serde_json::from_str::<serde_json::Value>(text)
        .unwrap_or(serde_json::Value::String(text.to_string()))
        .serialize(s)
}

#[derive(Debug, Default)]
pub struct AuditFilter {
    pub action: Option<String>,
    pub actor_id: Option<String>,
    pub subject_type: Option<String>,
    pub subject_id: Option<String>,
    pub since: Option<NaiveDateTime>,
    pub until: Option<NaiveDateTime>,
    pub before_id: Option<String>,
}

/// Newest first.
pub fn page(
    conn: &mut AnyConnection,
    f: &AuditFilter,
    limit: i64,
) -> QueryResult<Vec<AuditRecord>> {
    let mut q = audit_log::table
        .select(AuditRecord::as_select())
        .order_by(audit_log::id.desc())
        .limit(limit)
        .into_boxed::<Backend>();
    if let Some(v) = &f.action {
        q = q.filter(audit_log::action.eq(v.clone()));
    }
    if let Some(v) = &f.actor_id {
        q = q.filter(audit_log::actor_id.eq(v.clone()));
    }
    if let Some(v) = &f.subject_type {
        q = q.filter(audit_log::subject_type.eq(v.clone()));
    }
    if let Some(v) = &f.subject_id {
        q = q.filter(audit_log::subject_id.eq(v.clone()));
    }
    if let Some(v) = f.since {
        q = q.filter(audit_log::at.ge(v));
    }
    if let Some(v) = f.until {
        q = q.filter(audit_log::at.lt(v));
    }
    if let Some(v) = &f.before_id {
        q = q.filter(audit_log::id.lt(v.clone()));
    }
    q.load(conn)
}
