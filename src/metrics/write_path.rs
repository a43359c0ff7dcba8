//! The write path's batches (see [`crate::pipeline`]): how many requests
//! each carries, and how long its transaction takes to commit.

use std::time::Duration;

pub const BATCH_REQUESTS: &str = "crowdfund_write_batch_requests";
pub const COMMIT_DURATION: &str = "crowdfund_write_batch_commit_duration_seconds";
pub(super) const BATCH_BUCKETS: &[f64] = &[
    1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 512.0, 1024.0, 4096.0,
];
pub(super) const COMMIT_BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
];

pub(super) fn describe() {
    ::metrics::describe_histogram!(
        BATCH_REQUESTS,
        ::metrics::Unit::Count,
        "Subscription requests in each batch the write path formed."
    );
    ::metrics::describe_histogram!(
        COMMIT_DURATION,
        ::metrics::Unit::Seconds,
        "Time from a write-path batch's first statement to its commit, for each committed \
         batch (a batch run again after another server moved its offering counts both runs)."
    );
}

/// A batch was formed from the queue.
pub fn batch_formed(requests: usize) {
    ::metrics::histogram!(BATCH_REQUESTS).record(requests as f64);
}

/// A batch's transaction committed, `took` after it began.
pub fn batch_committed(took: Duration) {
    ::metrics::histogram!(COMMIT_DURATION).record(took.as_secs_f64());
}
