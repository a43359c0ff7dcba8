//! Email: written to the outbox inside the transaction of the event that causes
//! it, as data ([`Message`]); the relay writes it in the reader's language
//! (HTML and plain text) and sends it, with retries and backoff.

pub mod backlog;
pub mod content;
pub mod layout;
pub mod message;
pub mod outbox;
pub mod relay;
pub mod render;
pub mod samples;
pub mod subject;
pub mod transport;

pub use message::{Message, TakeBack};
pub use outbox::{enqueue, enqueue_with_id, Email};
pub use relay::Relay;
pub use transport::Transport;
