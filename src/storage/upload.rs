//! Receiving a file: chunk by chunk into storage, hashed and inspected as it
//! arrives.

use actix_web::web::{self, Bytes};
use futures_util::{Stream, StreamExt};
use sha2::{Digest, Sha256};

use crate::db::{files, new_id, now};
use crate::domain::document::{FileType, Inspector};

use super::{Storage, StorageError, CHUNK_SIZE};

/// A file stored whole, not yet named by anything.
#[derive(Debug, Clone)]
pub struct StoredFile {
    pub id: String,
    pub size: i64,
    pub sha256: String,
    pub file_type: FileType,
}

/// Stores the body as a new file, at most `limit` bytes. Refused bytes,
/// a body over the limit or a broken one leave nothing behind (what was
/// written is deleted; what a crash leaves is pruned later).
pub async fn upload<S, E>(
    storage: &Storage,
    body: S,
    limit: u64,
) -> Result<StoredFile, StorageError>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
    E: std::fmt::Display,
{
    let id = new_id();
    let created = {
        let (pool, id, kind) = (storage.pool.clone(), id.clone(), storage.kind());
        web::block(move || -> Result<(), StorageError> {
            let mut conn = pool.get()?;
            files::create(&mut conn, &id, kind, CHUNK_SIZE as i32, now())?;
            Ok(())
        })
        .await
    };
    created.map_err(|e| StorageError::Internal(e.into()))??;
    let result = receive(storage, &id, body, limit).await;
    if result.is_err() {
        discard(storage, &id).await;
    }
    result
}

/// Removes a file that nothing names (an upload refused at any stage).
/// Best effort: what this misses, the retention job removes a day later.
pub async fn discard(storage: &Storage, file_id: &str) {
    // The objects first: a row left behind is pruned later, objects
    // without a row would never be found.
    if let Some(objects) = &storage.objects {
        if let Err(e) = objects.delete_file(file_id).await {
            tracing::warn!(file = %file_id, error = %e, "could not remove a refused upload's objects");
            return;
        }
    }
    let (pool, file) = (storage.pool.clone(), file_id.to_string());
    let removed = web::block(move || -> Result<(), StorageError> {
        let mut conn = pool.get()?;
        files::delete(&mut conn, &file)?;
        Ok(())
    })
    .await;
    let error = match removed {
        Ok(Ok(())) => return,
        Ok(Err(e)) => e.to_string(),
        Err(e) => e.to_string(),
    };
    tracing::warn!(file = %file_id, %error, "could not remove a refused upload");
}

async fn receive<S, E>(
    storage: &Storage,
    id: &str,
    mut body: S,
    limit: u64,
) -> Result<StoredFile, StorageError>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
    E: std::fmt::Display,
{
    let mut inspector = Inspector::default();
    let mut whole = Sha256::new();
    let mut buffer: Vec<u8> = Vec::with_capacity(CHUNK_SIZE);
    let mut size: u64 = 0;
    let mut seq: i32 = 0;
    while let Some(piece) = body.next().await {
        let piece = piece.map_err(|e| StorageError::Payload(e.to_string()))?;
        size += piece.len() as u64;
        if size > limit {
            return Err(StorageError::TooLarge { limit });
        }
        inspector.feed(&piece).map_err(StorageError::Refused)?;
        whole.update(&piece);
        let mut rest: &[u8] = &piece;
        while !rest.is_empty() {
            let take = (CHUNK_SIZE - buffer.len()).min(rest.len());
            buffer.extend_from_slice(&rest[..take]);
            rest = &rest[take..];
            if buffer.len() == CHUNK_SIZE {
                buffer = write_chunk(storage, id, seq, buffer).await?;
                seq += 1;
            }
        }
    }
    let file_type = inspector.finish().map_err(StorageError::Refused)?;
    if !buffer.is_empty() {
        write_chunk(storage, id, seq, buffer).await?;
    }
    Ok(StoredFile {
        id: id.to_string(),
        size: size as i64,
        sha256: hex::encode(whole.finalize()),
        file_type,
    })
}

/// Writes one chunk and hands its buffer back, emptied, for the next. In
/// object storage the object is written before the chunk's row: a row
/// always has its bytes.
async fn write_chunk(
    storage: &Storage,
    id: &str,
    seq: i32,
    buffer: Vec<u8>,
) -> Result<Vec<u8>, StorageError> {
    let hash = hex::encode(Sha256::digest(&buffer));
    let size = buffer.len() as i32;
    let (buffer, in_row) = match &storage.objects {
        Some(objects) => {
            // The store takes the bytes; the next chunk gets a new buffer.
            objects.put(id, seq, Bytes::from(buffer)).await?;
            (Vec::with_capacity(CHUNK_SIZE), false)
        }
        None => (buffer, true),
    };
    let (pool, id) = (storage.pool.clone(), id.to_string());
    web::block(move || -> Result<Vec<u8>, StorageError> {
        let mut conn = pool.get()?;
        let bytes = in_row.then_some(buffer.as_slice());
        files::put_chunk(&mut conn, &id, seq, size, &hash, bytes)?;
        let mut buffer = buffer;
        buffer.clear();
        Ok(buffer)
    })
    .await
    .map_err(|e| StorageError::Internal(e.into()))?
}
