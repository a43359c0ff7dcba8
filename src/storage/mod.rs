//! Where documents' bytes live, streamed in and out in fixed-size chunks so
//! that no file is ever held whole in memory: an upload keeps one chunk
//! (plus what the socket delivered) per request, a download one chunk per
//! response.
//!
//! The bytes are kept in the database by default (every server sees every
//! file, and a backup holds them), or in S3-compatible object storage when
//! configured ([`objects`]); the database keeps every file's metadata and
//! every chunk's SHA-256 either way. Each chunk's hash is checked before any
//! of its bytes are sent, so a download (a range too) never serves bytes
//! other than those uploaded.

mod download;
pub mod objects;
mod upload;

pub use download::{download, ByteRange};
pub use objects::Objects;
pub use upload::{discard, upload, StoredFile};

use crate::db::{files, AnyConnection, CheckoutError, DbPool};
use crate::domain::document::Refused;

/// Bytes per chunk: what one upload or download holds at a time.
pub const CHUNK_SIZE: usize = 512 * 1024;

/// The storage kinds `stored_files.storage` names.
pub const DATABASE: &str = "database";
pub const OBJECT_STORE: &str = "object_store";

/// Where new files go, and where to find the bytes of files kept outside
/// the database.
#[derive(Clone)]
pub struct Storage {
    pub pool: DbPool,
    pub objects: Option<Objects>,
}

impl Storage {
    /// The kind new files are stored as.
    fn kind(&self) -> &'static str {
        if self.objects.is_some() {
            OBJECT_STORE
        } else {
            DATABASE
        }
    }
}

/// Deletes the objects, then the rows, of uploads that nothing names and
/// that started before `before` (see `db::retention`, which prunes those
/// kept in the database). For the retention job, on its own runtime (with
/// its own client: see [`Objects::s3`]); returns how many files it removed.
pub fn prune_abandoned_objects(
    objects: &Objects,
    runtime: &tokio::runtime::Runtime,
    conn: &mut AnyConnection,
    before: chrono::NaiveDateTime,
) -> anyhow::Result<usize> {
    /// Files per run: the rest wait for the next.
    const FILES_PER_RUN: i64 = 100;
    let ids = files::abandoned(conn, OBJECT_STORE, before, FILES_PER_RUN)?;
    for id in &ids {
        // The objects first: a row without objects is pruned again next
        // time; objects without a row would never be found.
        runtime.block_on(objects.delete_file(id))?;
        files::delete(conn, id)?;
    }
    Ok(ids.len())
}

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
    /// The object store failed (unreachable, refused, or lost an object).
    #[error("object storage: {0}")]
    ObjectStore(#[from] object_store::Error),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}
