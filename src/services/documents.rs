//! Offering documents: publishing versions (an amendment once the offering
//! is approved, its investors told), listing them, who may read which, the
//! signed links to restricted ones, and which versions each subscription was
//! made under.

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::Serialize;

use crate::auth::links::{self, LinkRefusal, SignedLink};
use crate::auth::KeyRing;
use crate::db::documents::{self, Document, Version};
use crate::db::profiles::InvestorProfile;
use crate::db::{files, new_id, now, write_transaction, AnyConnection};
use crate::domain::document::{DocumentKind, Visibility};
use crate::domain::{OfferingStatus, Role};
use crate::i18n::Text;
use crate::mail::outbox::{enqueue_to_investors, Investors};
use crate::storage::StoredFile;

use super::error::{not_found, Refusal, RefusalKind, ServiceError, ServiceResult};
use super::offerings::{id_cursor, next_id_cursor, visible, Viewer};
use super::views::{utc, Page};

#[derive(Debug, Clone, Serialize)]
pub struct VersionView {
    pub version: i32,
    pub file_name: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    /// Published after the offering was approved: its investors were told.
    pub amendment: bool,
    pub created_at: DateTime<Utc>,
    /// Where anyone can download it: public documents of offerings
    /// everyone can see. Otherwise null: ask for a signed link.
    pub download_url: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct DocumentView {
    pub id: String,
    pub offering_id: String,
    pub kind: String,
    pub visibility: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub current: VersionView,
    /// Every version, newest first (on the document's own page only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub versions: Option<Vec<VersionView>>,
}

#[derive(Debug, Clone, Serialize)]
pub struct LinkView {
    pub url: String,
    pub expires_at: DateTime<Utc>,
}

/// A document version in force when a subscription was made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InForce {
    pub document_id: String,
    pub kind: String,
    pub version: i32,
    pub file_name: String,
}

/// Where the URLs of an offering's documents start.
pub fn documents_path(base_url: &str, offering_id: &str) -> String {
    format!(
        "{}/api/v1/offerings/{offering_id}/documents",
        base_url.trim_end_matches('/')
    )
}

fn content_url(base_url: &str, offering_id: &str, document_id: &str, version: i32) -> String {
    format!(
        "{}/{document_id}/versions/{version}/content",
        documents_path(base_url, offering_id)
    )
}

/// What a signed link names: one version of one document.
fn link_subject(document_id: &str, version: i32) -> String {
    format!("{document_id}/{version}")
}

struct Urls<'a> {
    base_url: &'a str,
    /// Whether the offering is one everyone can see.
    public_offering: bool,
}

fn version_view(d: &Document, v: Version, urls: &Urls<'_>) -> VersionView {
    let open = urls.public_offering && d.visibility == Visibility::Public.as_str();
    VersionView {
        download_url: open.then(|| content_url(urls.base_url, &d.offering_id, &d.id, v.version)),
        version: v.version,
        file_name: v.file_name,
        content_type: v.content_type,
        size: v.size,
        sha256: v.sha256,
        amendment: v.amendment,
        created_at: utc(v.created_at),
    }
}

fn document_view(
    d: Document,
    current: Version,
    versions: Option<Vec<Version>>,
    urls: &Urls<'_>,
) -> DocumentView {
    let current = version_view(&d, current, urls);
    let versions = versions.map(|vs| vs.into_iter().map(|v| version_view(&d, v, urls)).collect());
    DocumentView {
        current,
        versions,
        created_at: utc(d.created_at),
        updated_at: utc(d.updated_at),
        id: d.id,
        offering_id: d.offering_id,
        kind: d.kind,
        visibility: d.visibility,
    }
}

/// What a new version is of: a new document, or the next version of one.
#[derive(Debug, Clone)]
pub enum Target {
    New {
        kind: DocumentKind,
        visibility: Visibility,
    },
    Existing {
        document_id: String,
    },
}

fn frozen(status: &str) -> ServiceError {
    Refusal::new(
        RefusalKind::Conflict,
        "document_frozen",
        Text::new("problem-document_frozen"),
    )
    .with("offering_status", status.to_string())
    .into()
}

/// Publishes `file` as a new version: in a draft freely, while the round
/// is open or funded as an amendment (its investors are emailed, one
/// message each); in review and after the round has ended, refused.
pub fn publish(
    conn: &mut AnyConnection,
    sponsor_id: &str,
    offering_id: &str,
    target: Target,
    file_name: &str,
    file: &StoredFile,
    base_url: &str,
) -> ServiceResult<DocumentView> {
    let now = now();
    write_transaction(conn, |conn| -> ServiceResult<DocumentView> {
        let offering = documents::begin_revision(conn, offering_id, sponsor_id)?
            .ok_or_else(|| not_found("offering"))?;
        let status: OfferingStatus = offering
            .status
            .parse()
            .map_err(|_| ServiceError::Internal(anyhow::anyhow!("unknown offering status")))?;
        let amendment = match status {
            OfferingStatus::Draft => false,
            OfferingStatus::Open | OfferingStatus::Funded => true,
            _ => return Err(frozen(&offering.status)),
        };
        let (mut document, version) = match target {
            Target::New { kind, visibility } => {
                let d = Document {
                    id: new_id(),
                    offering_id: offering_id.to_string(),
                    kind: kind.as_str().to_string(),
                    visibility: visibility.as_str().to_string(),
                    current_version: 1,
                    created_at: now,
                    updated_at: now,
                };
                documents::insert_document(conn, &d)?;
                (d, 1)
            }
            Target::Existing { document_id } => {
                let d = documents::find(conn, offering_id, &document_id)?
                    .ok_or_else(|| not_found("document"))?;
                let next = d.current_version + 1;
                documents::set_current_version(conn, &d.id, next, now)?;
                (d, next)
            }
        };
        document.current_version = version;
        document.updated_at = now;
        if !files::complete(conn, &file.id, file.size, &file.sha256, now)? {
            return Err(ServiceError::Internal(anyhow::anyhow!(
                "stored file {} was already named or removed",
                file.id
            )));
        }
        let v = Version {
            document_id: document.id.clone(),
            version,
            file_id: file.id.clone(),
            file_name: file_name.to_string(),
            content_type: file.file_type.content_type().to_string(),
            size: file.size,
            sha256: file.sha256.clone(),
            offering_revision: offering.revision,
            amendment,
            uploaded_by: sponsor_id.to_string(),
            created_at: now,
        };
        documents::insert_version(conn, &v)?;
        if amendment {
            notify_amendment(conn, &document, &v, &offering.title, base_url, now)?;
        }
        let urls = Urls {
            base_url,
            public_offering: status.is_public(),
        };
        Ok(document_view(document, v, None, &urls))
    })
}

fn notify_amendment(
    conn: &mut AnyConnection,
    d: &Document,
    v: &Version,
    offering_title: &str,
    base_url: &str,
    now: NaiveDateTime,
) -> ServiceResult<()> {
    let message = crate::mail::Message::DocumentAmended {
        offering_title: offering_title.to_string(),
        document_kind: d.kind.clone(),
        file_name: v.file_name.clone(),
        version: i64::from(v.version),
        documents_url: documents_path(base_url, &d.offering_id),
    };
    // One message per investor and amendment, whatever else they are.
    enqueue_to_investors(
        conn,
        Investors::Active {
            offering_id: &d.offering_id,
        },
        &format!("amendment:{}:{}:", d.id, v.version),
        &message,
        now,
    )?;
    Ok(())
}

/// The offering's documents, for anyone who can see the offering.
pub fn list(
    conn: &mut AnyConnection,
    viewer: Option<&Viewer>,
    offering_id: &str,
    cursor: Option<&str>,
    limit: i64,
    base_url: &str,
) -> ServiceResult<Page<DocumentView>> {
    let offering = visible(conn, offering_id, viewer)?;
    let urls = Urls {
        base_url,
        public_offering: is_public(&offering.status),
    };
    let after = id_cursor(cursor, "documents")?;
    let mut rows = documents::list(conn, offering_id, after.as_deref(), limit + 1)?;
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let next_cursor = next_id_cursor(&rows, more, "documents", |(d, _)| &d.id);
    let items = rows
        .into_iter()
        .map(|(d, v)| document_view(d, v, None, &urls))
        .collect();
    Ok(Page { items, next_cursor })
}

fn is_public(status: &str) -> bool {
    status
        .parse::<OfferingStatus>()
        .is_ok_and(OfferingStatus::is_public)
}

/// One document with every version.
pub fn get(
    conn: &mut AnyConnection,
    viewer: Option<&Viewer>,
    offering_id: &str,
    document_id: &str,
    base_url: &str,
) -> ServiceResult<DocumentView> {
    let offering = visible(conn, offering_id, viewer)?;
    let document =
        documents::find(conn, offering_id, document_id)?.ok_or_else(|| not_found("document"))?;
    let versions = documents::versions(conn, document_id)?;
    let Some(current) = versions.first().cloned() else {
        return Err(not_found("document"));
    };
    let urls = Urls {
        base_url,
        public_offering: is_public(&offering.status),
    };
    Ok(document_view(document, current, Some(versions), &urls))
}

/// A version to send, and the chunk size its file is stored in.
#[derive(Debug)]
pub struct Download {
    pub version: Version,
    pub chunk_size: i32,
    /// Whether anyone may cache it (a public document of a public offering).
    pub public: bool,
}

/// How the content of a version is asked for.
pub enum Access<'a> {
    /// A plain request (the caller's token, if any, is `viewer`).
    Plain(Option<&'a Viewer>),
    /// Through a signed link.
    Signed(&'a SignedLink, &'a KeyRing),
}

/// The version, if this access may read it: a public document of an
/// offering the caller can see through a plain URL; any document through a
/// valid, unexpired link.
pub fn download(
    conn: &mut AnyConnection,
    access: Access<'_>,
    offering_id: &str,
    document_id: &str,
    version: i32,
) -> ServiceResult<Download> {
    let public = match access {
        Access::Plain(viewer) => {
            let offering = visible(conn, offering_id, viewer)?;
            let document = documents::find(conn, offering_id, document_id)?
                .ok_or_else(|| not_found("document"))?;
            if document.visibility != Visibility::Public.as_str() {
                return Err(Refusal::new(
                    RefusalKind::Forbidden,
                    "signed_link_required",
                    Text::new("problem-signed_link_required"),
                )
                .into());
            }
            is_public(&offering.status)
        }
        Access::Signed(link, keys) => {
            let subject = link_subject(document_id, version);
            links::verify(keys, &subject, link, Utc::now().timestamp()).map_err(|r| {
                ServiceError::from(match r {
                    LinkRefusal::Expired => Refusal::new(
                        RefusalKind::Forbidden,
                        "link_expired",
                        Text::new("problem-link_expired"),
                    ),
                    LinkRefusal::Invalid => Refusal::new(
                        RefusalKind::Forbidden,
                        "invalid_link",
                        Text::new("problem-invalid_link-document"),
                    ),
                })
            })?;
            documents::find(conn, offering_id, document_id)?
                .ok_or_else(|| not_found("document"))?;
            false
        }
    };
    let (version, chunk_size) =
        documents::version(conn, document_id, version)?.ok_or_else(|| not_found("version"))?;
    Ok(Download {
        version,
        chunk_size,
        public,
    })
}

/// A signed link to a version (the current one by default), for the
/// offering's sponsor, operators, and investors whose identity is verified.
/// What signing a link takes.
pub struct LinkSettings<'a> {
    pub keys: &'a KeyRing,
    pub ttl: chrono::TimeDelta,
    pub base_url: &'a str,
}

pub fn link(
    conn: &mut AnyConnection,
    viewer: &Viewer,
    offering_id: &str,
    document_id: &str,
    version: Option<i32>,
    settings: &LinkSettings<'_>,
) -> ServiceResult<LinkView> {
    let offering = visible(conn, offering_id, Some(viewer))?;
    if viewer.role == Role::Investor {
        let verified = InvestorProfile::find(conn, &viewer.user_id)?
            .is_some_and(|p| p.approved_basis().is_some());
        if !verified {
            return Err(Refusal::new(
                RefusalKind::Forbidden,
                "verification_required",
                Text::new("problem-verification_required"),
            )
            .into());
        }
    } else if viewer.role == Role::Sponsor && offering.sponsor_id != viewer.user_id {
        return Err(Refusal::new(
            RefusalKind::Forbidden,
            "forbidden",
            Text::new("problem-forbidden-sponsor_documents"),
        )
        .into());
    }
    let document =
        documents::find(conn, offering_id, document_id)?.ok_or_else(|| not_found("document"))?;
    let version = version.unwrap_or(document.current_version);
    documents::version(conn, document_id, version)?.ok_or_else(|| not_found("version"))?;
    let expires_at = Utc::now() + settings.ttl;
    let signed = links::sign(
        settings.keys,
        &link_subject(document_id, version),
        expires_at.timestamp(),
    )
    .ok_or_else(|| ServiceError::Internal(anyhow::anyhow!("the signing key was refused")))?;
    Ok(LinkView {
        url: format!(
            "{}?expires={}&key={}&signature={}",
            content_url(settings.base_url, offering_id, document_id, version),
            signed.expires,
            signed.key,
            signed.signature
        ),
        expires_at: DateTime::from_timestamp(signed.expires, 0).unwrap_or(expires_at),
    })
}

/// The versions of the offering's documents in force at a revision.
pub fn in_force(
    conn: &mut AnyConnection,
    offering_id: &str,
) -> diesel::QueryResult<impl Fn(i64) -> Vec<InForce>> {
    let history = documents::history(conn, offering_id)?;
    Ok(move |revision: i64| {
        let mut latest: Vec<InForce> = Vec::new();
        for began in &history {
            if began.revision > revision {
                break;
            }
            let entry = InForce {
                document_id: began.document_id.clone(),
                kind: began.kind.clone(),
                version: began.version,
                file_name: began.file_name.clone(),
            };
            match latest
                .iter_mut()
                .find(|e| e.document_id == began.document_id)
            {
                Some(e) => *e = entry,
                None => latest.push(entry),
            }
        }
        latest
    })
}
