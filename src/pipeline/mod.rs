//! The group-committed write path for subscriptions.
//!
//! A hot launch sends thousands of subscriptions to one offering in a few
//! minutes. Committed one by one, they serialize on the offering's row and
//! each waits for its own flush to disk; the database spends its time
//! waiting, not working. Here the requests of each server queue on a writer
//! (a thread with its own connection; one on SQLite, a few on PostgreSQL,
//! chosen by investor), which takes whatever has queued — up to
//! [`Settings::max_batch`] requests, waiting at most [`Settings::window`]
//! for more — and runs them as one transaction ([`subscribe`]): one commit,
//! one flush, each hot row updated once by the batch's total. Nobody is
//! answered before that commit, so an acknowledged subscription is durable.
//!
//! Several servers on one PostgreSQL each batch their own requests; their
//! batches serialize on the hot rows in the database, never in memory.
//!
//! A batch that fails as a whole (a database error, not a refusal: refusals
//! are answers) is retried one request at a time, so that one bad request
//! never fails the others; nothing of a failed transaction is applied. A
//! request whose investor's account another transaction holds (a withdrawal,
//! a large refund) is not waited for: it goes into the next batches until
//! the account is free, or is answered 503 `database_busy` after
//! [`writer::HELD_AT_MOST`].

mod rules;
mod subscribe;
mod writer;

use std::sync::mpsc::{sync_channel, SyncSender, TrySendError};
use std::sync::Arc;

use tokio::sync::oneshot;

use crate::config::Config;
use crate::db::audit::Actor;
use crate::db::{DatabaseUrl, DbPool};
use crate::domain::Shares;
use crate::error::ApiError;
use crate::jobs::Threads;

/// How batches are formed: part of the configuration, read with it.
pub use crate::config::WritePathSettings as Settings;

/// A subscription request, parsed and authenticated by the HTTP layer.
pub struct SubscribeRequest {
    pub investor_id: String,
    pub offering_id: String,
    pub shares: Shares,
    /// The investor acknowledged the warning of a large investment
    /// (eu_ecsp; ignored elsewhere).
    pub acknowledge_risk: bool,
    /// The Idempotency-Key and what identifies the request it was sent with.
    pub key: String,
    pub fingerprint: String,
    pub actor: Actor,
}

/// The HTTP answer to a request, as saved under its Idempotency-Key.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub body: String,
    /// The answer of an earlier request with the same key.
    pub replayed: bool,
    /// The problem's code when this (first) answer is a refusal.
    pub code: Option<&'static str>,
    /// The refusal as data, to be written in the reader's language (a
    /// replay is the saved body as it was).
    pub problem: Option<crate::error::Problem>,
}

struct Job {
    request: SubscribeRequest,
    answer: oneshot::Sender<Result<Reply, ApiError>>,
    /// When a batch first found the investor's account held by another
    /// transaction (the request then waits for a later batch).
    held_since: Option<std::time::Instant>,
}

/// The handle requests are queued through; cheap to clone. The writers stop
/// when the last handle is dropped, after answering what was queued.
#[derive(Clone)]
pub struct Pipeline {
    writers: Arc<[SyncSender<Job>]>,
}

impl Pipeline {
    /// Starts the writers on `pool`, which should be theirs alone (one
    /// connection per writer): requests never wait for a connection behind
    /// readers. It need not test connections on checkout (a round trip per
    /// batch): a writer replaces a dead one itself ([`DbPool::heal`]). The
    /// writers' threads go into `threads`, to be joined at shutdown.
    pub fn start(
        pool: DbPool,
        config: Arc<Config>,
        settings: Settings,
        threads: &mut Threads,
    ) -> std::io::Result<Self> {
        let count = Self::writers_for(&config.database_url, &settings) as usize;
        let per_writer = (settings.queue / count).max(1);
        let mut writers = Vec::with_capacity(count);
        for _ in 0..count {
            let (jobs, queue) = sync_channel(per_writer);
            threads.add(
                "write-pipeline",
                writer::spawn(pool.clone(), config.clone(), settings, queue)?,
            );
            writers.push(jobs);
        }
        Ok(Self {
            writers: writers.into(),
        })
    }

    /// How many writers there are (the size their pool needs).
    pub fn writers_for(url: &DatabaseUrl, settings: &Settings) -> u32 {
        match url {
            DatabaseUrl::Sqlite(_) => 1,
            DatabaseUrl::Postgres(_) => settings.writers.max(1) as u32,
        }
    }

    /// Queues a subscription and waits for the commit of its batch.
    pub async fn subscribe(&self, request: SubscribeRequest) -> Result<Reply, ApiError> {
        let (answer, reply) = oneshot::channel();
        let mut hasher = std::hash::DefaultHasher::new();
        std::hash::Hash::hash(&request.investor_id, &mut hasher);
        let writer = std::hash::Hasher::finish(&hasher) as usize % self.writers.len();
        self.writers[writer]
            .try_send(Job {
                request,
                answer,
                held_since: None,
            })
            .map_err(|e| match e {
                TrySendError::Full(_) => ApiError::new(
                    actix_web::http::StatusCode::SERVICE_UNAVAILABLE,
                    "overloaded",
                    crate::i18n::Text::new("problem-overloaded-write_queue"),
                )
                .retry_after(1),
                TrySendError::Disconnected(_) => {
                    ApiError::unavailable(anyhow::anyhow!("the write pipeline has stopped"))
                }
            })?;
        reply.await.map_err(|_| {
            ApiError::unavailable(anyhow::anyhow!(
                "the write pipeline stopped before answering"
            ))
        })?
    }
}
