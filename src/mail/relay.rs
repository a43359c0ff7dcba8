//! The relay: sends due outbox messages, retrying failures with backoff.
//!
//! Several servers may relay from one outbox. Each claims a batch for a
//! lease and renews it while it works through the batch; a relay that dies
//! leaves its claim to run out, and another relay sends what it had not.
//! Each message is marked sent right after the mail server accepted it, so
//! a relay killed mid-batch leaves at most the one message it was sending
//! to be sent again (under the same Message-ID, by which receivers drop a
//! duplicate). Exactly once cannot be had across a crash between the mail
//! server's "accepted" and the mark.

use std::time::{Duration, Instant};

use lettre::message::Mailbox;

use crate::config::MailConfig;
use crate::db::DbPool;

use super::outbox::{claim_due, mark_failed, mark_sent, renew, OutboxMessage};
use super::Transport;

/// Messages claimed at once.
const BATCH: i64 = 100;

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
            let mut queue: Vec<OutboxMessage> = batch.into_iter().rev().collect();
            while let Some(message) = queue.pop() {
                // Renewed well before it runs out, so that no other relay
                // takes a message over while this one may still send it.
                if renewed.elapsed() > self.lease / 3 {
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
                    Ok(()) => sent += mark_sent(&mut conn, &[message.id], &self.instance)?,
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
            }
            if (claimed as i64) < BATCH {
                return Ok(sent);
            }
        }
    }
}
