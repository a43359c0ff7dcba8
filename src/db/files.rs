//! Stored files: their bytes as chunks, each with its SHA-256. A file is
//! written in small transactions of its own before anything names it, then
//! completed; see the migration `000009_offering_documents`.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{stored_file_chunks, stored_files};
use super::{write_transaction, AnyConnection};

/// One chunk as stored: its length, hash and (in the database store) bytes.
#[derive(Debug, Queryable)]
pub struct Chunk {
    pub size: i32,
    pub sha256: String,
    pub bytes: Option<Vec<u8>>,
}

/// Starts a file.
pub fn create(
    conn: &mut AnyConnection,
    id: &str,
    storage: &str,
    chunk_size: i32,
    now: NaiveDateTime,
) -> QueryResult<()> {
    write_transaction(conn, |conn| {
        diesel::insert_into(stored_files::table)
            .values((
                stored_files::id.eq(id),
                stored_files::storage.eq(storage),
                stored_files::chunk_size.eq(chunk_size),
                stored_files::size.eq(0_i64),
                stored_files::created_at.eq(now),
            ))
            .execute(conn)
            .map(drop)
    })
}

/// Adds chunk `seq` of an incomplete file (`bytes` None when the bytes are
/// kept elsewhere).
pub fn put_chunk(
    conn: &mut AnyConnection,
    file_id: &str,
    seq: i32,
    size: i32,
    sha256: &str,
    bytes: Option<&[u8]>,
) -> QueryResult<()> {
    write_transaction(conn, |conn| {
        diesel::insert_into(stored_file_chunks::table)
            .values((
                stored_file_chunks::file_id.eq(file_id),
                stored_file_chunks::seq.eq(seq),
                stored_file_chunks::size.eq(size),
                stored_file_chunks::sha256.eq(sha256),
                stored_file_chunks::bytes.eq(bytes),
            ))
            .execute(conn)
            .map(drop)
    })
}

/// Marks a file whole: its size and hash. Part of the transaction that
/// names it.
pub fn complete(
    conn: &mut AnyConnection,
    file_id: &str,
    size: i64,
    sha256: &str,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    diesel::update(stored_files::table)
        .filter(stored_files::id.eq(file_id))
        .filter(stored_files::completed_at.is_null())
        .set((
            stored_files::size.eq(size),
            stored_files::sha256.eq(Some(sha256)),
            stored_files::completed_at.eq(Some(now)),
        ))
        .execute(conn)
        .map(|n| n == 1)
}

/// Removes a file that nothing names (an upload refused or dropped).
pub fn delete(conn: &mut AnyConnection, file_id: &str) -> QueryResult<()> {
    write_transaction(conn, |conn| {
        diesel::delete(stored_file_chunks::table.filter(stored_file_chunks::file_id.eq(file_id)))
            .execute(conn)?;
        diesel::delete(stored_files::table.filter(stored_files::id.eq(file_id)))
            .execute(conn)
            .map(drop)
    })
}

/// Chunk `seq` of a file.
pub fn chunk(conn: &mut AnyConnection, file_id: &str, seq: i32) -> QueryResult<Option<Chunk>> {
    stored_file_chunks::table
        .filter(stored_file_chunks::file_id.eq(file_id))
        .filter(stored_file_chunks::seq.eq(seq))
        .select((
            stored_file_chunks::size,
            stored_file_chunks::sha256,
            stored_file_chunks::bytes,
        ))
        .first(conn)
        .optional()
}

/// Files of this storage kind that no document version names and that
/// were started before `before`: uploads that were refused, dropped or cut
/// off by a crash.
pub fn abandoned(
    conn: &mut AnyConnection,
    storage: &str,
    before: NaiveDateTime,
    limit: i64,
) -> QueryResult<Vec<String>> {
    use super::schema::document_versions;
    stored_files::table
        .filter(stored_files::storage.eq(storage))
        .filter(stored_files::created_at.lt(before))
        .filter(diesel::dsl::not(diesel::dsl::exists(
            document_versions::table.filter(document_versions::file_id.eq(stored_files::id)),
        )))
        .select(stored_files::id)
        .order(stored_files::created_at)
        .limit(limit)
        .load(conn)
}
