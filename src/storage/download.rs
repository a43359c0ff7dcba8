//! Sending a file, or a range of it, chunk by chunk, each chunk checked
//! against its SHA-256 before any of its bytes leave.

use actix_web::web::{self, Bytes};
use futures_util::Stream;
use sha2::{Digest, Sha256};

use crate::db::files;

use super::Storage;

/// Bytes `start..=end` of a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ByteRange {
    pub start: u64,
    pub end: u64,
}

impl ByteRange {
    /// How many bytes: at least one.
    pub fn size(&self) -> u64 {
        self.end - self.start + 1
    }
}

struct Cursor {
    storage: Storage,
    file_id: String,
    chunk_size: u64,
    /// The next byte to send, and the last.
    next: u64,
    end: u64,
}

/// The bytes of `range` of the file, as a stream. A chunk that is missing
/// or does not match its hash ends the stream with an error (the client
/// sees the response cut off, never wrong bytes) and is logged.
pub fn download(
    storage: Storage,
    file_id: String,
    chunk_size: u64,
    range: ByteRange,
) -> impl Stream<Item = Result<Bytes, std::io::Error>> {
    let cursor = Cursor {
        storage,
        file_id,
        chunk_size: chunk_size.max(1),
        next: range.start,
        end: range.end,
    };
    futures_util::stream::try_unfold(cursor, |mut c| async move {
        if c.next > c.end {
            return Ok(None);
        }
        let seq = c.next / c.chunk_size;
        let bytes = read_chunk(&c, seq).await?;
        let chunk_start = seq * c.chunk_size;
        let from = (c.next - chunk_start) as usize;
        let to = ((c.end - chunk_start + 1) as usize).min(bytes.len());
        if from >= to {
            return Err(broken(&c.file_id, seq, "is shorter than the file's size"));
        }
        let piece = bytes.slice(from..to);
        c.next = chunk_start + to as u64;
        Ok(Some((piece, c)))
    })
}

async fn read_chunk(c: &Cursor, seq: u64) -> Result<Bytes, std::io::Error> {
    let (pool, id) = (c.storage.pool.clone(), c.file_id.clone());
    let seq = i32::try_from(seq).map_err(|_| broken(&c.file_id, seq, "is out of range"))?;
    let found = web::block(move || -> Result<Option<files::Chunk>, String> {
        let mut conn = pool.get().map_err(|e| e.to_string())?;
        files::chunk(&mut conn, &id, seq).map_err(|e| e.to_string())
    })
    .await
    .map_err(|e| std::io::Error::other(e.to_string()))?
    .map_err(std::io::Error::other)?;
    let Some(chunk) = found else {
        return Err(broken(&c.file_id, seq as u64, "is missing"));
    };
    let bytes = match (chunk.bytes, &c.storage.objects) {
        (Some(bytes), _) => Bytes::from(bytes),
        (None, Some(objects)) => objects.get(&c.file_id, seq).await.map_err(|e| {
            broken(
                &c.file_id,
                seq as u64,
                &format!("could not be read from object storage ({e})"),
            )
        })?,
        (None, None) => {
            return Err(broken(
                &c.file_id,
                seq as u64,
                "is kept in object storage, which this server is not configured with",
            ))
        }
    };
    if bytes.len() != chunk.size as usize || hex::encode(Sha256::digest(&bytes)) != chunk.sha256 {
        return Err(broken(&c.file_id, seq as u64, "does not match its hash"));
    }
    Ok(bytes)
}

fn broken(file_id: &str, seq: u64, what: &str) -> std::io::Error {
    tracing::error!(file = %file_id, chunk = seq, "a stored chunk {what}: download cut off");
    std::io::Error::other(format!("chunk {seq} of file {file_id} {what}"))
}
