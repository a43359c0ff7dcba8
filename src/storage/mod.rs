//! Where documents' bytes live, streamed in and out in fixed-size chunks so
//! that no file is ever held whole in memory: an upload keeps one chunk
//! (plus what the socket delivered) per request, a download one chunk per
//! response.
//!
//! The bytes are kept in the database (every server sees every file, and a
//! backup holds them). Each chunk carries its SHA-256, checked before any of
//! its bytes are sent, so a download (a range too) never serves bytes other
//! than those uploaded.

mod download;
mod upload;

pub use download::{download, ByteRange};
pub use upload::{discard, upload, StoredFile};

use crate::db::CheckoutError;
use crate::domain::document::Refused;

/// Bytes per chunk: what one upload or download holds at a time.
pub const CHUNK_SIZE: usize = 512 * 1024;

/// The storage kinds `stored_files.storage` names.
pub const DATABASE: &str = "database";

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// The bytes are not an acceptable document.
    #[error("{0}")]
    Refused(Refused),
    /// More bytes than the limit.
    #[error("the file is larger than {limit} bytes")]
    TooLarge { limit: u64 },
    /// The client's body could not be read (cut off, timed out).
    #[error("the request body could not be read: {0}")]
    Payload(String),
    #[error(transparent)]
    Checkout(#[from] CheckoutError),
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}
