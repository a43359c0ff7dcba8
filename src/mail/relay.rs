//! The relay: sends due outbox messages, retrying failures with backoff.

use std::time::Duration;

use lettre::message::Mailbox;

use crate::config::MailConfig;
use crate::db::DbPool;

use super::outbox::{claim_due, mark_failed, mark_sent};
use super::Transport;

/// Messages claimed at once; their sends are marked in one statement.
const BATCH: i64 = 100;
/// Long enough for a batch of sends with their timeouts.
const LEASE: Duration = Duration::from_secs(600);

pub struct Relay {
    pool: DbPool,
    transport: Transport,
    from: Mailbox,
    retry_base: Duration,
    instance: String,
}

impl Relay {
    pub fn new(pool: DbPool, config: &MailConfig, instance: String) -> anyhow::Result<Self> {
        Ok(Self {
            pool,
            transport: Transport::from_config(config)?,
            from: config.from.parse()?,
            retry_base: config.retry_base,
            instance,
        })
    }

    /// Sends what is due now; returns how many were sent. Blocking.
    pub fn run_once(&self) -> anyhow::Result<usize> {
        let mut conn = self.pool.get()?;
        let mut sent = 0;
        loop {
            let batch = claim_due(&mut conn, &self.instance, LEASE, BATCH)?;
            if batch.is_empty() {
                return Ok(sent);
            }
            // Marked once for the batch, after its sends: a relay that dies in
            // between sends those again after the lease, under the same
            // Message-ID, which receivers use to drop the duplicate.
            let mut delivered = Vec::with_capacity(batch.len());
            for message in &batch {
                match self.transport.send(&self.from, message) {
                    Ok(()) => delivered.push(message.id.clone()),
                    Err(e) => {
                        tracing::warn!(id = %message.id, attempt = message.attempts + 1,
                            error = %e.message, "email not sent");
                        mark_failed(
                            &mut conn,
                            message,
                            &self.instance,
                            &e.message,
                            self.retry_base,
                            e.permanent,
                        )?;
                    }
                }
            }
            sent += mark_sent(&mut conn, &delivered, &self.instance)?;
            if (batch.len() as i64) < BATCH {
                return Ok(sent);
            }
        }
    }
}
