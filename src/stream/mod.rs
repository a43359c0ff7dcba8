//! Live progress: committed changes of offerings, fanned out to the clients
//! following them over Server-Sent Events.
//!
//! Every change of an offering's raised amount or status is numbered in the
//! database (migration 000008). Each server has one [`source`] thread that
//! learns of the changes — on PostgreSQL from `LISTEN offering_progress`,
//! so a subscription committed by any server reaches the clients of every
//! server; on SQLite by reading past the last number it saw — reads the
//! figures of the changed offerings from the database, at most once per
//! [`StreamSettings::event_interval`] however hot they are, and hands them
//! to the [`Hub`], which every open stream listens to. The figures sent are
//! always read from the database after the commit: what a client sees is
//! what the ledger holds.

pub mod follow;
pub mod source;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use tokio::sync::{broadcast, watch};

use crate::config::StreamSettings;
/// Which stream a client follows (a label of the stream metrics).
pub use crate::metrics::StreamKind;
use crate::metrics::{stream_client_connected, stream_client_disconnected};
use crate::services::views::ProgressEvent;

/// Events a slow stream may fall behind by before it is sent the current
/// figures instead (read again from the database).
const BACKLOG: usize = 1024;

/// The in-process fan-out of one server; cheap to clone.
#[derive(Clone)]
pub struct Hub(Arc<Inner>);

struct Inner {
    events: broadcast::Sender<Arc<Published>>,
    clients: AtomicUsize,
    settings: StreamSettings,
    closing: watch::Sender<bool>,
}

impl Hub {
    pub fn new(settings: StreamSettings) -> Self {
        let (events, _) = broadcast::channel(BACKLOG);
        let (closing, _) = watch::channel(false);
        Self(Arc::new(Inner {
            events,
            clients: AtomicUsize::new(0),
            settings,
            closing,
        }))
    }

    pub fn settings(&self) -> &StreamSettings {
        &self.0.settings
    }

    /// A place for one more stream, or None when the server holds as many
    /// as it may or is stopping. The place is given back when the [`Seat`]
    /// is dropped.
    pub fn seat(&self, kind: StreamKind) -> Option<Seat> {
        if self.is_closed() {
            return None;
        }
        let max = self.0.settings.max_clients;
        self.0
            .clients
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < max).then_some(n + 1)
            })
            .ok()?;
        stream_client_connected(kind);
        Some(Seat {
            hub: self.clone(),
            kind,
        })
    }

    /// Whether any stream is open (else nothing needs reading).
    pub fn has_listeners(&self) -> bool {
        self.0.events.receiver_count() > 0
    }

    /// Every event published from now on.
    pub fn listen(&self) -> broadcast::Receiver<Arc<Published>> {
        self.0.events.subscribe()
    }

    /// Hands committed figures to every stream listening.
    pub fn publish(&self, event: ProgressEvent) {
        // An error means nobody listens: nothing to do.
        let _ = self.0.events.send(Arc::new(Published::new(event)));
    }

    /// Set once the server stops: every stream then ends.
    pub fn closing(&self) -> watch::Receiver<bool> {
        self.0.closing.subscribe()
    }

    /// Ends every stream (the server is stopping: a draining server would
    /// otherwise wait for streams that never end). New streams are refused.
    pub fn close(&self) {
        self.0.closing.send_replace(true);
    }

    pub fn is_closed(&self) -> bool {
        *self.0.closing.borrow()
    }
}

/// An event with its JSON, written once for all the streams that send it.
pub struct Published {
    pub event: ProgressEvent,
    pub json: bytestring::ByteString,
}

impl Published {
    pub fn new(event: ProgressEvent) -> Self {
        // A struct of strings and integers always serializes.
        let json = serde_json::to_string(&event).unwrap_or_default().into();
        Self { event, json }
    }
}

/// One open stream's place; given back on drop.
pub struct Seat {
    hub: Hub,
    kind: StreamKind,
}

impl Drop for Seat {
    fn drop(&mut self) {
        self.hub.0.clients.fetch_sub(1, Ordering::AcqRel);
        stream_client_disconnected(self.kind);
    }
}
