//! The process-wide Prometheus recorder: built and installed once, however
//! many servers the process starts (the tests start many), with every
//! metric's help text and every histogram's buckets.

use std::sync::OnceLock;

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use super::{http, outbox, pools, streams, subscriptions, write_path};

static INSTALLED: OnceLock<Result<PrometheusHandle, String>> = OnceLock::new();

/// Installs the recorder on first call; every call returns a handle on it.
/// Fails when another recorder was installed first (not by this module).
pub fn install() -> anyhow::Result<PrometheusHandle> {
    INSTALLED
        .get_or_init(|| build().map_err(|e| e.to_string()))
        .clone()
        .map_err(|e| anyhow::anyhow!("cannot install the metrics recorder: {e}"))
}

fn build() -> anyhow::Result<PrometheusHandle> {
    // Explicit buckets render each histogram as a Prometheus histogram
    // (aggregatable across servers), not as a summary.
    let mut builder = PrometheusBuilder::new();
    for (name, buckets) in [
        (http::REQUEST_DURATION, http::DURATION_BUCKETS),
        (write_path::BATCH_REQUESTS, write_path::BATCH_BUCKETS),
        (write_path::COMMIT_DURATION, write_path::COMMIT_BUCKETS),
        (streams::COMMIT_TO_EVENT, streams::LATENCY_BUCKETS),
    ] {
        builder = builder.set_buckets_for_metric(Matcher::Full(name.to_string()), buckets)?;
    }
    let recorder = builder.build_recorder();
    let handle = recorder.handle();
    ::metrics::set_global_recorder(recorder)
        .map_err(|_| anyhow::anyhow!("another metrics recorder is installed"))?;
    // Help text goes to the recorder installed now: described after it.
    http::describe();
    subscriptions::describe();
    write_path::describe();
    pools::describe();
    outbox::describe();
    super::jobs::describe();
    streams::describe();
    Ok(handle)
}
