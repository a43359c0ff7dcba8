//! The writer thread: forms batches from the queue, runs them, answers.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::mpsc::{Receiver, RecvTimeoutError, TryRecvError};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::config::Config;
use crate::db::{DbPool, Fault};
use crate::error::ApiError;

use super::subscribe::{self, BatchError, Mode, Outcome};
use super::{Job, Reply, Settings, SubscribeRequest};

/// After a batch found an offering moved by another server, batches lock
/// the offerings up front for this long: under a multi-server hot launch
/// that is cheaper than reading, being overtaken and running again.
const LOCKED_MODE_FOR: Duration = Duration::from_secs(2);

/// A request whose investor's account another transaction holds is tried
/// again in later batches, this long apart at the least, and answered 503
/// `database_busy` once it has waited this long in all.
const HELD_RETRY_EVERY: Duration = Duration::from_millis(20);
pub(super) const HELD_AT_MOST: Duration = Duration::from_secs(5);

pub(super) fn spawn(
    pool: DbPool,
    config: Arc<Config>,
    settings: Settings,
    queue: Receiver<Job>,
) -> std::io::Result<std::thread::JoinHandle<()>> {
    std::thread::Builder::new()
        .name("write-pipeline".to_string())
        .spawn(move || {
            let mut writer = Writer {
                pool,
                config,
                locked_until: None,
            };
            let mut held = Vec::new();
            while let Some(batch) = next_batch(&queue, &settings, std::mem::take(&mut held)) {
                let size = batch.len();
                crate::metrics::write_path::batch_formed(size);
                let started = Instant::now();
                let outcome = catch_unwind(AssertUnwindSafe(|| writer.process(batch)));
                tracing::debug!(size, micros = started.elapsed().as_micros() as u64, "batch");
                match outcome {
                    Ok(carried) => held = carried,
                    // The batch's answer channels were dropped with it: its
                    // requests got a 503 and nothing of it was committed.
                    Err(_) => tracing::error!(size, "the write pipeline panicked on a batch"),
                }
            }
        })
}

/// Waits for the first request, then takes what else is queued (waiting up
/// to the window for more). Requests held over from earlier batches come
/// first, after a short pause (new ones join them meanwhile). None when
/// every handle is gone and nothing is queued or held over.
fn next_batch(queue: &Receiver<Job>, settings: &Settings, held: Vec<Job>) -> Option<Vec<Job>> {
    let mut batch = held;
    // The window opens when the batch's first request is there.
    let deadline = if batch.is_empty() {
        batch.push(queue.recv().ok()?);
        Instant::now() + settings.window
    } else {
        Instant::now() + HELD_RETRY_EVERY.max(settings.window)
    };
    while batch.len() < settings.max_batch {
        match queue.try_recv() {
            Ok(job) => batch.push(job),
            Err(TryRecvError::Disconnected) => break,
            Err(TryRecvError::Empty) => {
                let left = deadline.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    break;
                }
                match queue.recv_timeout(left) {
                    Ok(job) => batch.push(job),
                    Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => break,
                }
            }
        }
    }
    Some(batch)
}

struct Writer {
    pool: DbPool,
    config: Arc<Config>,
    locked_until: Option<Instant>,
}

impl Writer {
    /// Runs a batch and answers it; returns the requests held over for a
    /// later batch.
    fn process(&mut self, batch: Vec<Job>) -> Vec<Job> {
        let requests: Vec<&SubscribeRequest> = batch.iter().map(|j| &j.request).collect();
        let started = Instant::now();
        match self.run(&requests) {
            Ok(outcomes) => {
                crate::metrics::write_path::batch_committed(started.elapsed());
                answer(batch, outcomes)
            }
            // Retried one by one, so that one bad request cannot fail the
            // rest; not when the database is busy or away (503): that would
            // only multiply the wait.
            Err(error) if batch.len() > 1 && error.status.as_u16() != 503 => {
                tracing::warn!(size = batch.len(), %error, cause = ?error.source,
                    "batch failed; retrying its requests one by one");
                batch
                    .into_iter()
                    .flat_map(|job| self.process(vec![job]))
                    .collect()
            }
            Err(error) => {
                tracing::warn!(size = batch.len(), %error, cause = ?error.source, "batch failed");
                for job in batch {
                    let _ = job.answer.send(Err(copy_of(&error)));
                }
                Vec::new()
            }
        }
    }

    /// Runs the batch, optimistically unless another server recently
    /// overtook one; again, locked, if it is overtaken now (and once more if
    /// a deadline passed while it ran).
    fn run(&mut self, requests: &[&SubscribeRequest]) -> Result<Vec<Outcome>, ApiError> {
        let mut conn = self.pool.get()?;
        let locked = self.locked_until.is_some_and(|t| Instant::now() < t);
        let mut mode = if locked {
            Mode::Locked
        } else {
            Mode::Optimistic
        };
        for _ in 0..3 {
            match subscribe::run(&mut conn, requests, mode, &self.config) {
                Ok(outcomes) => return Ok(outcomes),
                Err(BatchError::Failed(e)) => {
                    let error = ApiError::from(e);
                    if error.code == "database_unavailable" {
                        // The writers' connections are not tested on
                        // checkout: a dead one is replaced here.
                        self.pool.heal(&mut conn);
                    }
                    return Err(error);
                }
                Err(BatchError::Contended) => {
                    if mode == Mode::Optimistic {
                        self.locked_until = Some(Instant::now() + LOCKED_MODE_FOR);
                    }
                    mode = Mode::Locked;
                }
            }
        }
        Err(ApiError::internal(anyhow::anyhow!(
            "an offering kept changing under its lock"
        )))
    }
}

/// The same problem for another request of the batch (the cause is logged once).
fn copy_of(error: &ApiError) -> ApiError {
    let mut copy = ApiError::new(error.status, error.code, error.detail.clone());
    copy.extra = error.extra.clone();
    copy.retry_after = error.retry_after;
    copy
}

/// Sends each request its answer; a repeated key gets its first request's.
/// Returns the requests held over (and those repeating their keys), unless
/// they have waited too long: those are answered `database_busy`.
fn answer(batch: Vec<Job>, outcomes: Vec<Outcome>) -> Vec<Job> {
    let replies: Vec<Option<Reply>> = outcomes
        .iter()
        .map(|o| match o {
            Outcome::Answer(reply) => Some(reply.clone()),
            Outcome::SameAs(_) | Outcome::Held => None,
        })
        .collect();
    let is_held = |i: usize| matches!(outcomes.get(i), Some(Outcome::Held));
    let mut held = Vec::new();
    for (job, outcome) in batch.into_iter().zip(outcomes.iter()) {
        let reply = match outcome {
            Outcome::Answer(reply) => reply.clone(),
            Outcome::Held => {
                held.push(job);
                continue;
            }
            Outcome::SameAs(first) if is_held(*first) => {
                held.push(job);
                continue;
            }
            Outcome::SameAs(first) => match replies.get(*first).cloned().flatten() {
                Some(reply) => Reply {
                    replayed: true,
                    ..reply
                },
                None => {
                    let _ = job.answer.send(Err(ApiError::idempotency_in_progress()));
                    continue;
                }
            },
        };
        // The client may have gone away; its answer is saved under its key.
        let _ = job.answer.send(Ok(reply));
    }
    let now = Instant::now();
    held.into_iter()
        .filter_map(|mut job| {
            let since = *job.held_since.get_or_insert(now);
            if now.duration_since(since) < HELD_AT_MOST {
                return Some(job);
            }
            let _ = job.answer.send(Err(ApiError::fault(
                Fault::Busy,
                anyhow::anyhow!("the investor's account stayed held by another transaction"),
            )));
            None
        })
        .collect()
}
