//! One client's stream: the figures it has not seen yet, then each change
//! the hub publishes, until the client goes or the server stops.
//!
//! Events carry the figures, not the difference: a client that missed some
//! (it was away, or too slow to keep up) only needs the latest, so a client
//! that falls behind is sent the current figures read again from the
//! database, and a client that comes back with `Last-Event-ID` is sent what
//! changed since, then the live events. Each offering's events are sent in
//! version order, each version at most once.

use std::collections::{HashMap, VecDeque};
use std::convert::Infallible;
use std::sync::Arc;

use actix_web_lab::sse;
use futures_util::Stream;
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::{broadcast, watch};

use crate::db::{progress, DbPool};
use crate::services::progress::{catalogue, is_public};
use crate::services::views::ProgressEvent;

use super::{Hub, Published, Seat, StreamKind};

/// What a stream follows.
#[derive(Debug, Clone)]
pub enum Target {
    /// One offering; event ids are its versions.
    Offering(String),
    /// The open catalogue; event ids are change numbers among all offerings.
    Catalogue,
}

/// The stream of SSE events for one client. `live` must have been taken
/// from the hub before `first` was read, so that no change committed after
/// that read is missed. `last_event_id` is the client's (already sent
/// what `first` holds for it, on the offering stream: its version).
pub fn events(
    seat: Seat,
    hub: &Hub,
    live: broadcast::Receiver<Arc<Published>>,
    target: Target,
    first: Vec<ProgressEvent>,
    last_event_id: Option<i64>,
    pool: DbPool,
) -> impl Stream<Item = Result<sse::Event, Infallible>> {
    // The id is a version on an offering's stream, a change number on the
    // catalogue's.
    let mut sent = HashMap::new();
    let mut last_sequence = 0;
    match (&target, last_event_id) {
        (Target::Offering(id), Some(version)) => {
            sent.insert(id.clone(), version);
        }
        (Target::Catalogue, Some(sequence)) => last_sequence = sequence,
        (_, None) => {}
    }
    let follower = Follower {
        target,
        live,
        closing: hub.closing(),
        queue: first
            .into_iter()
            .map(|e| Arc::new(Published::new(e)))
            .collect(),
        sent,
        last_sequence,
        pool,
        _seat: seat,
    };
    futures_util::stream::unfold(follower, |mut f| async move {
        let event = f.next().await?;
        Some((Ok(event), f))
    })
}

struct Follower {
    target: Target,
    live: broadcast::Receiver<Arc<Published>>,
    closing: watch::Receiver<bool>,
    /// Events to send before listening again.
    queue: VecDeque<Arc<Published>>,
    /// The last version sent of each offering.
    sent: HashMap<String, i64>,
    /// The highest change number sent (the catalogue's resume point).
    last_sequence: i64,
    pool: DbPool,
    _seat: Seat,
}

impl Follower {
    /// The next event to send; None ends the stream.
    async fn next(&mut self) -> Option<sse::Event> {
        loop {
            while let Some(event) = self.queue.pop_front() {
                if let Some(sse) = self.accept(&event) {
                    return Some(sse);
                }
            }
            if *self.closing.borrow() {
                return None;
            }
            tokio::select! {
                biased;
                // The server is stopping (or the hub is gone).
                _ = self.closing.changed() => return None,
                got = self.live.recv() => match got {
                    Ok(event) => self.queue.push_back(event),
                    Err(RecvError::Lagged(_)) => {
                        // Too slow to keep up: the current figures instead.
                        // A database error ends the stream; the client comes
                        // back with its Last-Event-ID.
                        let current = self.read_current().await?;
                        self.queue
                            .extend(current.into_iter().map(|e| Arc::new(Published::new(e))));
                    }
                    Err(RecvError::Closed) => return None,
                },
            }
        }
    }

    /// The SSE event for `event` if this client follows it and has not had
    /// this version yet.
    fn accept(&mut self, published: &Published) -> Option<sse::Event> {
        let event = &published.event;
        let id = match &self.target {
            Target::Offering(id) if *id == event.offering_id => event.version,
            Target::Catalogue if is_public(&event.status) => event.sequence,
            _ => return None,
        };
        let seen = self.sent.get(&event.offering_id).copied();
        if seen.is_some_and(|v| v >= event.version) {
            return None;
        }
        self.sent.insert(event.offering_id.clone(), event.version);
        self.last_sequence = self.last_sequence.max(event.sequence);
        let data = sse::Data::new(published.json.clone());
        Some(sse::Event::Data(data.event("progress").id(id.to_string())))
    }

    async fn read_current(&self) -> Option<Vec<ProgressEvent>> {
        let pool = self.pool.clone();
        let target = self.target.clone();
        let after = self.last_sequence;
        let read = actix_web::rt::task::spawn_blocking(move || {
            let mut conn = pool.get().ok()?;
            match target {
                Target::Offering(id) => progress::read(&mut conn, &[id])
                    .ok()
                    .map(ProgressEvent::all),
                Target::Catalogue => catalogue(&mut conn, Some(after)).ok(),
            }
        });
        read.await.ok().flatten()
    }
}

impl Target {
    pub fn kind(&self) -> StreamKind {
        match self {
            Self::Offering(_) => StreamKind::Offering,
            Self::Catalogue => StreamKind::Catalogue,
        }
    }
}
