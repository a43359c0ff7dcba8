//! Offering documents and their versions (migration 000009).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{document_versions, offering_documents, offerings, stored_files};
use super::AnyConnection;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = offering_documents)]
pub struct Document {
    pub id: String,
    pub offering_id: String,
    pub kind: String,
    pub visibility: String,
    pub current_version: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = document_versions)]
pub struct Version {
    pub document_id: String,
    pub version: i32,
    pub file_id: String,
    pub file_name: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    pub offering_revision: i64,
    pub amendment: bool,
    pub uploaded_by: String,
    pub created_at: NaiveDateTime,
}

/// The offering as a new version finds it, locked until the version commits.
#[derive(Debug, Queryable)]
pub struct Publishing {
    pub status: String,
    pub title: String,
    /// The revision the new version begins.
    pub revision: i64,
}

/// Counts a new version on the sponsor's offering and locks its row until
/// commit: subscriptions committed before name the versions in force until
/// now, those committed after name this one. None: no such offering of
/// this sponsor.
pub fn begin_revision(
    conn: &mut AnyConnection,
    offering_id: &str,
    sponsor_id: &str,
) -> QueryResult<Option<Publishing>> {
    diesel::update(offerings::table)
        .filter(offerings::id.eq(offering_id))
        .filter(offerings::sponsor_id.eq(sponsor_id))
        .set(offerings::documents_revision.eq(offerings::documents_revision + 1))
        .returning((
            offerings::status,
            offerings::title,
            offerings::documents_revision,
        ))
        .get_result(conn)
        .optional()
}

pub fn insert_document(conn: &mut AnyConnection, d: &Document) -> QueryResult<()> {
    diesel::insert_into(offering_documents::table)
        .values((
            offering_documents::id.eq(&d.id),
            offering_documents::offering_id.eq(&d.offering_id),
            offering_documents::kind.eq(&d.kind),
            offering_documents::visibility.eq(&d.visibility),
            offering_documents::current_version.eq(d.current_version),
            offering_documents::created_at.eq(d.created_at),
            offering_documents::updated_at.eq(d.updated_at),
        ))
        .execute(conn)
        .map(drop)
}

pub fn set_current_version(
    conn: &mut AnyConnection,
    id: &str,
    version: i32,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(offering_documents::table.find(id))
        .set((
            offering_documents::current_version.eq(version),
            offering_documents::updated_at.eq(now),
        ))
        .execute(conn)
        .map(drop)
}

pub fn insert_version(conn: &mut AnyConnection, v: &Version) -> QueryResult<()> {
    diesel::insert_into(document_versions::table)
        .values(v)
        .execute(conn)
        .map(drop)
}

/// A document of this offering.
pub fn find(
    conn: &mut AnyConnection,
    offering_id: &str,
    id: &str,
) -> QueryResult<Option<Document>> {
    offering_documents::table
        .filter(offering_documents::id.eq(id))
        .filter(offering_documents::offering_id.eq(offering_id))
        .select(Document::as_select())
        .first(conn)
        .optional()
}

/// The offering's documents after `after_id`, in id order, each with its
/// current version.
pub fn list(
    conn: &mut AnyConnection,
    offering_id: &str,
    after_id: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<(Document, Version)>> {
    let mut q = offering_documents::table
        .inner_join(
            document_versions::table.on(document_versions::document_id
                .eq(offering_documents::id)
                .and(document_versions::version.eq(offering_documents::current_version))),
        )
        .filter(offering_documents::offering_id.eq(offering_id))
        .select((Document::as_select(), Version::as_select()))
        .order(offering_documents::id)
        .limit(limit)
        .into_boxed();
    if let Some(after) = after_id {
        q = q.filter(offering_documents::id.gt(after.to_string()));
    }
    q.load(conn)
}

/// Every version of a document, newest first.
pub fn versions(conn: &mut AnyConnection, document_id: &str) -> QueryResult<Vec<Version>> {
    document_versions::table
        .filter(document_versions::document_id.eq(document_id))
        .select(Version::as_select())
        .order(document_versions::version.desc())
        .load(conn)
}

/// One version and the chunk size its file is stored in.
pub fn version(
    conn: &mut AnyConnection,
    document_id: &str,
    version: i32,
) -> QueryResult<Option<(Version, i32)>> {
    document_versions::table
        .inner_join(stored_files::table.on(stored_files::id.eq(document_versions::file_id)))
        .filter(document_versions::document_id.eq(document_id))
        .filter(document_versions::version.eq(version))
        .select((Version::as_select(), stored_files::chunk_size))
        .first(conn)
        .optional()
}

/// A version and the offering's revision it began.
#[derive(Debug, Clone, Queryable)]
pub struct Began {
    pub document_id: String,
    pub kind: String,
    pub version: i32,
    pub file_name: String,
    pub revision: i64,
}

/// When each version of the offering's documents began, oldest first: what
/// works out which were in force at a revision.
pub fn history(conn: &mut AnyConnection, offering_id: &str) -> QueryResult<Vec<Began>> {
    document_versions::table
        .inner_join(offering_documents::table)
        .filter(offering_documents::offering_id.eq(offering_id))
        .select((
            document_versions::document_id,
            offering_documents::kind,
            document_versions::version,
            document_versions::file_name,
            document_versions::offering_revision,
        ))
        .order((
            document_versions::offering_revision,
            document_versions::document_id,
        ))
        .load(conn)
}
