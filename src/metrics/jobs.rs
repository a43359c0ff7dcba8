//! When each background job last finished a pass without error.

use std::time::{SystemTime, UNIX_EPOCH};

pub const LAST_SUCCESS: &str = "crowdfund_job_last_success_timestamp_seconds";

pub(super) fn describe() {
    ::metrics::describe_gauge!(
        LAST_SUCCESS,
        ::metrics::Unit::Seconds,
        "Unix time at which each background job last finished a pass without error."
    );
}

/// The job named `job` just finished a pass without error.
pub fn succeeded(job: &'static str) {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64());
    ::metrics::gauge!(LAST_SUCCESS, "job" => job).set(now);
}
