//! Email: written to the outbox inside the transaction of the event that causes
//! it, then sent by the relay with retries and backoff.

pub mod backlog;
pub mod outbox;
pub mod relay;
pub mod subject;
pub mod templates;
pub mod transport;

pub use outbox::{enqueue, enqueue_with_id, Email};
pub use relay::Relay;
pub use transport::Transport;
