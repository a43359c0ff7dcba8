//! Metrics in the Prometheus text format, served on an address of their own
//! (`METRICS_BIND_ADDR`, off by default) by [`server::MetricsServer`].
//!
//! The `metrics` facade records into one process-wide recorder (the
//! exporter's, installed once by [`recorder::install`]); until it is
//! installed every call here costs next to nothing. Each file holds one
//! area's metrics: their names, help text and buckets, and the calls that
//! record them.
//!
//! | metric | kind | labels |
//! |---|---|---|
//! | `crowdfund_http_requests_total` | counter | `method`, `route`, `status` |
//! | `crowdfund_http_request_duration_seconds` | histogram | `method`, `route` |
//! | `crowdfund_subscriptions_total` | counter | `outcome` |
//! | `crowdfund_write_batch_requests` | histogram | |
//! | `crowdfund_write_batch_commit_duration_seconds` | histogram | |
//! | `crowdfund_db_pool_max_connections` | gauge | `pool` |
//! | `crowdfund_db_pool_connections` | gauge | `pool` |
//! | `crowdfund_db_pool_idle_connections` | gauge | `pool` |
//! | `crowdfund_db_pool_in_use_connections` | gauge | `pool` |
//! | `crowdfund_outbox_backlog_messages` | gauge | |
//! | `crowdfund_outbox_oldest_age_seconds` | gauge | |
//! | `crowdfund_outbox_sample_success` | gauge | |
//! | `crowdfund_job_last_success_timestamp_seconds` | gauge | `job` |
//! | `crowdfund_stream_clients` | gauge | `stream` |
//! | `crowdfund_stream_commit_to_event_seconds` | histogram | |

pub mod http;
pub mod jobs;
pub mod outbox;
pub mod pools;
pub mod recorder;
pub mod server;
pub mod streams;
pub mod subscriptions;
pub mod write_path;

pub use server::MetricsServer;
pub use streams::{
    stream_client_connected, stream_client_disconnected, stream_event_latency, StreamKind,
};
