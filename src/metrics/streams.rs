//! The live-progress streams' metrics, recorded by the stream code: clients
//! connected to each kind of stream, and how long a committed change takes
//! to reach them as an event.

use std::time::Duration;

pub const CLIENTS: &str = "crowdfund_stream_clients";
pub const COMMIT_TO_EVENT: &str = "crowdfund_stream_commit_to_event_seconds";
pub(super) const LATENCY_BUCKETS: &[f64] = &[
    0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// Which stream a client is connected to (the `stream` label).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamKind {
    /// One offering's progress.
    Offering,
    /// The open catalogue.
    Catalogue,
}

impl StreamKind {
    pub fn as_str(self) -> &'static str {
        match self {
            StreamKind::Offering => "offering",
            StreamKind::Catalogue => "catalogue",
        }
    }
}

pub(super) fn describe() {
    ::metrics::describe_gauge!(
        CLIENTS,
        ::metrics::Unit::Count,
        "Clients connected to the live-progress streams, by stream (offering, catalogue)."
    );
    ::metrics::describe_histogram!(
        COMMIT_TO_EVENT,
        ::metrics::Unit::Seconds,
        "Time from a change's commit to the stream event that carries it."
    );
    // Shown at zero before the first client connects.
    for kind in [StreamKind::Offering, StreamKind::Catalogue] {
        ::metrics::gauge!(CLIENTS, "stream" => kind.as_str()).increment(0.0);
    }
}

/// A client connected to a stream of this kind.
pub fn stream_client_connected(kind: StreamKind) {
    ::metrics::gauge!(CLIENTS, "stream" => kind.as_str()).increment(1.0);
}

/// A client of a stream of this kind went away (or the stream ended).
pub fn stream_client_disconnected(kind: StreamKind) {
    ::metrics::gauge!(CLIENTS, "stream" => kind.as_str()).decrement(1.0);
}

/// An event left for its clients `latency` after the commit it reports.
pub fn stream_event_latency(latency: Duration) {
    ::metrics::histogram!(COMMIT_TO_EVENT).record(latency.as_secs_f64());
}
