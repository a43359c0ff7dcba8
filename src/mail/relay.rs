//! The relay: sends due outbox messages, retrying failures with backoff.
//!
//! Several servers may relay from one outbox. Each claims a batch for a
//! lease and renews it while it works through the batch; a relay that dies
//! leaves its claim to run out, and another relay sends what it had not.
//!
//! A claimed batch is sent `MAIL_SENDERS` messages at a time (each sender
//! with its own connection to the mail server): one SMTP conversation takes
//! tens of milliseconds whatever the machine does, so one at a time could
//! never keep up with a launch.
//!
//! Messages the mail server accepted are marked sent together, one write
//! for up to [`MARK_EVERY`] of them and at least every [`MARK_WITHIN`]
//! (and before each renewal and at the end of a batch): a write per message
//! would cost a launch a second transaction per subscription, against the
//! same database the subscriptions are committed to. The guarantee: a relay
//! killed mid-batch leaves at most the messages accepted since its last
//! mark — at most [`MARK_EVERY`] plus those its senders had just sent,
//! within [`MARK_WITHIN`] — to be sent
//! once more, under the same Message-ID, by which receivers drop a
//! duplicate. Exactly once cannot be had across a crash between the mail
//! server's "accepted" and the mark.

use std::collections::{HashSet, VecDeque};
use std::sync::{mpsc, Mutex};
use std::time::{Duration, Instant};

use lettre::message::Mailbox;

use crate::config::MailConfig;
use crate::db::DbPool;
use crate::i18n::Defaults;

use super::outbox::{claim_due, mark_failed, mark_sent, renew, OutboxMessage};
use super::transport::SendError;
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
    senders: usize,
    instance: String,
    /// The language and time zone of readers who have not chosen theirs.
    language: Defaults,
}

impl Relay {
    /// `pool` should be the relay's own, with relaxed commits: its marks
    /// are bookkeeping (see [`crate::db::build_pool_relaxed`]).
    pub fn new(
        pool: DbPool,
        config: &MailConfig,
        language: Defaults,
        instance: String,
    ) -> anyhow::Result<Self> {
        Ok(Self {
            pool,
            transport: Transport::from_config(config)?,
            from: config.from.parse()?,
            retry_base: config.retry_base,
            lease: config.lease,
            senders: config.senders,
            instance,
            language,
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
            sent += self.send_batch(&mut conn, batch)?;
            if (claimed as i64) < BATCH {
                return Ok(sent);
            }
        }
    }

    /// Sends a claimed batch, [`MailConfig::senders`] messages at a time,
    /// while this thread marks what was accepted, records failures and
    /// renews the claim. A message is taken for sending only while the
    /// claim on it is known to hold for two thirds of the lease at least.
    fn send_batch(
        &self,
        conn: &mut crate::db::AnyConnection,
        batch: Vec<OutboxMessage>,
    ) -> anyhow::Result<usize> {
        let unfinished: HashSet<String> = batch.iter().map(|m| m.id.clone()).collect();
        let waiting = Mutex::new(VecDeque::from(batch));
        let (done, results) = mpsc::channel::<(OutboxMessage, Result<(), SendError>)>();
        std::thread::scope(|scope| {
            for _ in 0..self.senders {
                let done = done.clone();
                let waiting = &waiting;
                scope.spawn(move || loop {
                    let next = waiting.lock().ok().and_then(|mut q| q.pop_front());
                    let Some(message) = next else { return };
                    let result = self.transport.send(&self.from, &message, &self.language);
                    if done.send((message, result)).is_err() {
                        return;
                    }
                });
            }
            drop(done);
            let outcome = self.settle(conn, unfinished, &waiting, &results);
            // On a database error nothing more is taken; the senders finish
            // what they hold, and it is sent again once the claim runs out.
            if outcome.is_err() {
                if let Ok(mut q) = waiting.lock() {
                    q.clear();
                }
            }
            outcome
        })
    }

    /// The coordinating side of [`Self::send_batch`]: until every sender
    /// is done, marks accepted messages in batches, records failures, and
    /// renews the claim on what is not sent yet (being sent, or waiting:
    /// a waiting message whose claim another relay took is dropped).
    fn settle(
        &self,
        conn: &mut crate::db::AnyConnection,
        mut unfinished: HashSet<String>,
        waiting: &Mutex<VecDeque<OutboxMessage>>,
        results: &mpsc::Receiver<(OutboxMessage, Result<(), SendError>)>,
    ) -> anyhow::Result<usize> {
        let mut sent = 0;
        let mut accepted = Accepted::default();
        let mut renewed = Instant::now();
        loop {
            match results.recv_timeout(MARK_WITHIN) {
                Ok((message, Ok(()))) => {
                    unfinished.remove(&message.id);
                    accepted.push(message.id);
                }
                Ok((message, Err(e))) => {
                    unfinished.remove(&message.id);
                    tracing::warn!(id = %message.id, attempt = message.attempts + 1,
                        error = %e.message, "email not sent");
                    mark_failed(
                        conn,
                        &message,
                        &self.instance,
                        &e.message,
                        self.retry_base,
                        e.permanent,
                    )?;
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
            }
            if accepted.due() {
                sent += accepted.mark(conn, &self.instance)?;
            }
            // Renewed well before it runs out, so that no other relay takes
            // a message over while this one may still send it.
            if renewed.elapsed() > self.lease / 3 {
                sent += accepted.mark(conn, &self.instance)?;
                let mut queue = waiting
                    .lock()
                    .map_err(|_| anyhow::anyhow!("a mail sender panicked"))?;
                let ids: Vec<String> = unfinished.iter().cloned().collect();
                let held = renew(conn, &ids, &self.instance, self.lease)?;
                renewed = Instant::now();
                queue.retain(|m| held.contains(&m.id));
            }
        }
        sent += accepted.mark(conn, &self.instance)?;
        Ok(sent)
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
