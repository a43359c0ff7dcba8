//! The relay: sends due outbox messages, retrying failures with backoff.
//!
//! Several servers may relay from one outbox. Each claims a batch for a
//! lease and renews it while it works through the batch; a relay that dies
//! leaves its claim to run out, and another relay sends what it had not.
//!
//! Messages the mail server accepted are marked sent together, one write
//! for up to [`MARK_EVERY`] of them and at least every [`MARK_WITHIN`]
//! (and before each renewal and at the end of a batch): a write per message
//! would cost a launch a second transaction per subscription, against the
//! same database the subscriptions are committed to. The guarantee: a relay
//! killed mid-batch leaves at most the messages accepted since its last
//! mark — at most [`MARK_EVERY`], sent within [`MARK_WITHIN`] — to be sent
//! once more, under the same Message-ID, by which receivers drop a
//! duplicate. Exactly once cannot be had across a crash between the mail
//! server's "accepted" and the mark.

use std::time::{Duration, Instant};

use lettre::message::Mailbox;

use crate::config::MailConfig;
use crate::db::DbPool;

use super::outbox::{claim_due, mark_failed, mark_sent, renew, OutboxMessage};
use super::Transport;

/// Messages claimed at once.
const BATCH: i64 = 100;
/// The most accepted messages marked sent in one write.
pub const MARK_EVERY: usize = 50;
/// The longest an accepted message waits for its mark.
pub const MARK_WITHIN: Duration = Duration::from_millis(250);

pub struct Relay {
    pool: DbPool,
    transport: Transport,
    from: Mailbox,
    retry_base: Duration,
    lease: Duration,
    instance: String,
}

impl Relay {
    /// `pool` should be the relay's own, with relaxed commits: its marks
    /// are bookkeeping (see [`crate::db::build_pool_relaxed`]).
    pub fn new(pool: DbPool, config: &MailConfig, instance: String) -> anyhow::Result<Self> {
        Ok(Self {
            pool,
            transport: Transport::from_config(config)?,
            from: config.from.parse()?,
            retry_base: config.retry_base,
            lease: config.lease,
            instance,
        })
    }

    /// Sends what is due now; returns how many were sent. Blocking.
    pub fn run_once(&self) -> anyhow::Result<usize> {
        let mut conn = self.pool.get()?;
        let mut sent = 0;
        loop {
            let batch = claim_due(&mut conn, &self.instance, self.lease, BATCH)?;
            if batch.is_empty() {
                return Ok(sent);
            }
            let claimed = batch.len();
            let mut renewed = Instant::now();
            let mut accepted = Accepted::default();
            let mut queue: Vec<OutboxMessage> = batch.into_iter().rev().collect();
            while let Some(message) = queue.pop() {
                // Renewed well before it runs out, so that no other relay
                // takes a message over while this one may still send it.
                if renewed.elapsed() > self.lease / 3 {
                    sent += accepted.mark(&mut conn, &self.instance)?;
                    let mut ids: Vec<String> = queue.iter().map(|m| m.id.clone()).collect();
                    ids.push(message.id.clone());
                    let held = renew(&mut conn, &ids, &self.instance, self.lease)?;
                    renewed = Instant::now();
                    queue.retain(|m| held.contains(&m.id));
                    if !held.contains(&message.id) {
                        continue;
                    }
                }
                match self.transport.send(&self.from, &message) {
                    Ok(()) => accepted.push(message.id),
                    Err(e) => {
                        tracing::warn!(id = %message.id, attempt = message.attempts + 1,
                            error = %e.message, "email not sent");
                        mark_failed(
                            &mut conn,
                            &message,
                            &self.instance,
                            &e.message,
                            self.retry_base,
                            e.permanent,
                        )?;
                    }
                }
                if accepted.due() {
                    sent += accepted.mark(&mut conn, &self.instance)?;
                }
            }
            sent += accepted.mark(&mut conn, &self.instance)?;
            if (claimed as i64) < BATCH {
                return Ok(sent);
            }
        }
    }
}

/// Messages the mail server accepted, not yet marked sent.
#[derive(Default)]
struct Accepted {
    ids: Vec<String>,
    oldest: Option<Instant>,
}

impl Accepted {
    fn push(&mut self, id: String) {
        self.oldest.get_or_insert_with(Instant::now);
        self.ids.push(id);
    }

    fn due(&self) -> bool {
        self.ids.len() >= MARK_EVERY || self.oldest.is_some_and(|t| t.elapsed() >= MARK_WITHIN)
    }

    /// Marks them sent in one write; how many were marked.
    fn mark(
        &mut self,
        conn: &mut crate::db::AnyConnection,
        instance: &str,
    ) -> anyhow::Result<usize> {
        if self.ids.is_empty() {
            return Ok(0);
        }
        let marked = mark_sent(conn, &self.ids, instance)?;
        self.ids.clear();
        self.oldest = None;
        Ok(marked)
    }
}
