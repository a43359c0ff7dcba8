//! The outbox table: queueing, claiming and settling messages.

use std::time::Duration;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::prepared::Writes;
use crate::db::schema::outbox;
use crate::db::users::User;
use crate::db::{new_id, now, write_transaction, AnyConnection};

use super::message::Message;

/// An email to be sent: to whom, in their language and time zone as they
/// chose them (unset: the deployment's defaults when it is sent), and what
/// it says, as data ([`Message`]); the relay writes its words.
#[derive(Debug, Clone)]
pub struct Email {
    pub to: String,
    pub locale: Option<String>,
    pub time_zone: Option<String>,
    pub message: Message,
}

impl Email {
    /// `message` to `user`, as they read.
    pub fn to_user(user: &User, message: Message) -> Self {
        Self {
            to: user.email.clone(),
            locale: user.locale.clone(),
            time_zone: user.time_zone.clone(),
            message,
        }
    }
}

/// After this many failed attempts a message is marked failed and left alone.
pub const MAX_ATTEMPTS: i32 = 12;
/// The backoff never grows beyond this.
const MAX_BACKOFF: Duration = Duration::from_secs(3600);

/// Queues `email`. Call it inside the transaction of the event that causes the
/// email: if that transaction rolls back, nothing is sent.
pub fn enqueue(conn: &mut AnyConnection, email: &Email) -> QueryResult<String> {
    let id = new_id();
    enqueue_with_id(conn, &id, email)?;
    Ok(id)
}

/// Queues `email` under a chosen id: queued again (a retried request,
/// another server doing the same work), it is still one message.
pub fn enqueue_with_id(conn: &mut AnyConnection, id: &str, email: &Email) -> QueryResult<usize> {
    use diesel::sql_types::{Nullable, Text, Timestamp};
    crate::db::raw::sql(
        "INSERT INTO outbox (id, recipient, kind, params, locale, time_zone, created_at, attempts, \
         next_attempt_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 0, $7) ON CONFLICT (id) DO NOTHING",
    )
    .bind::<Text, _>(id)
    .bind::<Text, _>(&email.to)
    .bind::<Text, _>(email.message.kind())
    .bind::<Text, _>(email.message.to_params())
    .bind::<Nullable<Text>, _>(email.locale.as_deref())
    .bind::<Nullable<Text>, _>(email.time_zone.as_deref())
    .bind::<Timestamp, _>(now())
    .execute(conn)
}

/// Queues many emails, each under its id, in one statement; same contract
/// as [`enqueue_with_id`].
pub fn enqueue_many(
    conn: &mut AnyConnection,
    emails: &[(String, Email)],
    at: NaiveDateTime,
) -> QueryResult<()> {
    let mut writes = Writes::new(conn);
    write_many(&mut writes, emails, at)?;
    writes.run(conn)
}

/// [`enqueue_many`], as writes to be run with others.
pub fn write_many(
    writes: &mut Writes,
    emails: &[(String, Email)],
    at: NaiveDateTime,
) -> QueryResult<()> {
    use crate::db::prepared::Column;
    if emails.is_empty() {
        return Ok(());
    }
    type Row<'a> = (
        &'a str,
        &'a str,
        &'static str,
        String,
        Option<&'a str>,
        Option<&'a str>,
    );
    let rows: Vec<Row<'_>> = emails
        .iter()
        .map(|(id, e)| {
            (
                id.as_str(),
                e.to.as_str(),
                e.message.kind(),
                e.message.to_params(),
                e.locale.as_deref(),
                e.time_zone.as_deref(),
            )
        })
        .collect();
    let statement = writes
        .statement()
        .sql(
            "INSERT INTO outbox (id, recipient, kind, params, locale, time_zone, created_at, \
             attempts, next_attempt_at) SELECT ",
        )
        .columns(&[Column::Text; 6])
        .sql(", ")
        .timestamp(at)
        .sql(", 0, ")
        .timestamp(at)
        .from_rows(&rows)?
        .sql(" ON CONFLICT (id) DO NOTHING");
    writes.push(statement);
    Ok(())
}

/// Which investors a notice goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Investors<'a> {
    /// The offering's investors with a subscription still active (their
    /// money in escrow).
    Active { offering_id: &'a str },
    /// Those who have invested in the offering: a subscription active or
    /// settled into shares.
    Committed { offering_id: &'a str },
    /// Those whose subscription awaits reconfirmation of this material change.
    Awaiting { material_change_id: &'a str },
}

/// Queues the same message to every such investor, each in their own
/// language, in one statement however many they are. Each message's id is
/// `{id_prefix}{investor id}`: one row per notice and person, however many
/// subscriptions or roles they hold and however often it is queued.
pub fn enqueue_to_investors(
    conn: &mut AnyConnection,
    who: Investors<'_>,
    id_prefix: &str,
    message: &Message,
    at: NaiveDateTime,
) -> QueryResult<usize> {
    use diesel::sql_types::{Text, Timestamp};
    let (filter, key) = match who {
        Investors::Active { offering_id } => {
            ("s.offering_id = $5 AND s.status = 'active'", offering_id)
        }
        Investors::Committed { offering_id } => (
            "s.offering_id = $5 AND s.status IN ('active', 'settled')",
            offering_id,
        ),
        Investors::Awaiting { material_change_id } => (
            "s.material_change_id = $5 AND s.status = 'active' AND s.reconfirmation = 'awaiting'",
            material_change_id,
        ),
    };
    crate::db::raw::sql(format!(
        "INSERT INTO outbox (id, recipient, kind, params, locale, time_zone, created_at, attempts, \
         next_attempt_at) \
         SELECT $1 || u.id, u.email, $2, $3, u.locale, u.time_zone, $4, 0, $4 FROM users u \
         WHERE u.id IN (SELECT s.investor_id FROM subscriptions s WHERE {filter}) \
         ON CONFLICT (id) DO NOTHING"
    ))
    .bind::<Text, _>(id_prefix)
    .bind::<Text, _>(message.kind())
    .bind::<Text, _>(message.to_params())
    .bind::<Timestamp, _>(at)
    .bind::<Text, _>(key)
    .execute(conn)
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = outbox)]
pub struct OutboxMessage {
    pub id: String,
    pub recipient: String,
    /// An older release's message: its subject and text, as they were queued.
    pub subject: Option<String>,
    pub body_text: Option<String>,
    /// What the message says, as data (`Message`), and to whom.
    pub params: Option<String>,
    pub locale: Option<String>,
    pub time_zone: Option<String>,
    pub attempts: i32,
}

/// Claims up to `limit` due messages for `instance` for `lease`.
///
/// On PostgreSQL the candidate rows are locked with `FOR UPDATE SKIP LOCKED`,
/// so instances claiming at the same moment take disjoint sets; on SQLite the
/// write transaction already admits one claimer at a time. A claim whose
/// holder died runs out after `lease` and the message becomes due again.
pub fn claim_due(
    conn: &mut AnyConnection,
    instance: &str,
    lease: Duration,
    limit: i64,
) -> QueryResult<Vec<OutboxMessage>> {
    write_transaction(conn, |conn| {
        // Leases are set and compared by the database's clock: a relay on a
        // server running fast must not take another's lease for run out.
        let now = crate::db::clock(conn)?;
        let due = outbox::table
            .select(outbox::id)
            .filter(outbox::sent_at.is_null())
            .filter(outbox::failed_at.is_null())
            .filter(outbox::next_attempt_at.le(now))
            .filter(
                outbox::claimed_until
                    .is_null()
                    .or(outbox::claimed_until.lt(now)),
            )
            .order(outbox::next_attempt_at.asc())
            .limit(limit);
        let ids: Vec<String> = match conn {
            AnyConnection::Postgresql(c) => due.for_update().skip_locked().load(c)?,
            AnyConnection::Sqlite(c) => due.load(c)?,
        };
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        diesel::update(outbox::table.filter(outbox::id.eq_any(&ids)))
            .set((
                outbox::claimed_by.eq(instance),
                outbox::claimed_until.eq(now + lease_delta(lease)),
            ))
            .execute(conn)?;
        outbox::table
            .filter(outbox::id.eq_any(&ids))
            .order(outbox::next_attempt_at.asc())
            .select(OutboxMessage::as_select())
            .load(conn)
    })
}

/// Extends `instance`'s claim on these messages by `lease`; returns those it
/// still held (the others ran out and were taken over by another relay).
pub fn renew(
    conn: &mut AnyConnection,
    ids: &[String],
    instance: &str,
    lease: Duration,
) -> QueryResult<Vec<String>> {
    let held = || {
        outbox::table
            .filter(outbox::id.eq_any(ids))
            .filter(outbox::claimed_by.eq(instance))
            .filter(outbox::sent_at.is_null())
    };
    write_transaction(conn, |conn| {
        let now = crate::db::clock(conn)?;
        diesel::update(held())
            .set(outbox::claimed_until.eq(now + lease_delta(lease)))
            .execute(conn)?;
        held().select(outbox::id).load(conn)
    })
}

/// Marks these messages, claimed by `instance`, as sent.
///
/// In a write transaction, like every write of the relay: on SQLite that
/// queues it on the write gate with the write pipeline. A lone `UPDATE`
/// would poll for the write lock in `busy_timeout`'s 100 ms steps, and in a
/// launch the pipeline holds that lock nearly all the time: measured, the
/// relay then delivered 461 messages in a run where it delivers thousands.
pub fn mark_sent(conn: &mut AnyConnection, ids: &[String], instance: &str) -> QueryResult<usize> {
    if ids.is_empty() {
        return Ok(0);
    }
    write_transaction(conn, |conn| {
        diesel::update(
            outbox::table
                .filter(outbox::id.eq_any(ids))
                .filter(outbox::claimed_by.eq(instance)),
        )
        .set((
            outbox::sent_at.eq(now()),
            outbox::attempts.eq(outbox::attempts + 1),
            outbox::claimed_by.eq(None::<String>),
            outbox::claimed_until.eq(None::<NaiveDateTime>),
            outbox::last_error.eq(None::<String>),
        ))
        .execute(conn)
    })
}

/// Records a failed attempt and schedules the next one with exponential
/// backoff; after [`MAX_ATTEMPTS`] (or when `permanent`) the message is failed.
pub fn mark_failed(
    conn: &mut AnyConnection,
    message: &OutboxMessage,
    instance: &str,
    error: &str,
    retry_base: Duration,
    permanent: bool,
) -> QueryResult<usize> {
    let attempts = message.attempts + 1;
    let give_up = permanent || attempts >= MAX_ATTEMPTS;
    let error: String = error.chars().take(500).collect();
    // A write transaction for the write gate (see `mark_sent`).
    write_transaction(conn, |conn| {
        let now = crate::db::clock(conn)?;
        diesel::update(
            outbox::table
                .filter(outbox::id.eq(&message.id))
                .filter(outbox::claimed_by.eq(instance)),
        )
        .set((
            outbox::attempts.eq(attempts),
            outbox::next_attempt_at.eq(now + lease_delta(backoff(retry_base, attempts))),
            outbox::failed_at.eq(give_up.then_some(now)),
            outbox::claimed_by.eq(None::<String>),
            outbox::claimed_until.eq(None::<NaiveDateTime>),
            outbox::last_error.eq(Some(error)),
        ))
        .execute(conn)
    })
}

/// `base * 2^(attempts-1)`, capped at an hour.
pub fn backoff(base: Duration, attempts: i32) -> Duration {
    let exponent = attempts.saturating_sub(1).clamp(0, 20) as u32;
    base.saturating_mul(2u32.saturating_pow(exponent))
        .min(MAX_BACKOFF)
}

fn lease_delta(d: Duration) -> chrono::TimeDelta {
    chrono::TimeDelta::from_std(d).unwrap_or(chrono::TimeDelta::hours(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_is_capped() {
        let base = Duration::from_secs(30);
        assert_eq!(backoff(base, 1), Duration::from_secs(30));
        assert_eq!(backoff(base, 2), Duration::from_secs(60));
        assert_eq!(backoff(base, 4), Duration::from_secs(240));
        assert_eq!(backoff(base, 12), MAX_BACKOFF);
        assert_eq!(backoff(base, 0), Duration::from_secs(30));
    }
}
