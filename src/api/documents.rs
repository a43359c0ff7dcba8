//! `/offerings/{id}/documents`: sponsors upload versions (the body is the
//! file, streamed), anyone who can see the offering lists them, and the
//! content is served with ETag and ranges: public documents at a plain URL,
//! restricted ones through signed links only.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::json;

use crate::auth::links::SignedLink;
use crate::domain::document::{self, DocumentKind, Visibility};
use crate::error::ApiError;
use crate::i18n::Text;
use crate::services::documents::{self as service, Access, Target};
use crate::storage::{self, ByteRange, StorageError, StoredFile};

use super::audit::{self, Entry};
use super::blocking::with_conn;
use super::content::{self, Part};
use super::extractors::{AuthUser, MaybeUser, SponsorUser};
use super::offerings::viewer;
use super::pagination::PageQuery;
use super::query::Query;
use super::AppState;

/// 422 whatever the refusal: the request is well formed (its Content-Type
/// is not read), what it carries is not an acceptable document.
impl From<document::Refused> for ApiError {
    fn from(r: document::Refused) -> Self {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, r.code, r.detail)
    }
}

fn too_large(limit: u64) -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "file_too_large",
        Text::new("problem-file_too_large").number("limit", limit as i64),
    )
    .with("max_bytes", limit)
}

impl From<StorageError> for ApiError {
    fn from(e: StorageError) -> Self {
        match e {
            StorageError::Refused(r) => r.into(),
            StorageError::TooLarge { limit } => too_large(limit),
            StorageError::Payload(detail) => ApiError::bad_request(
                "bad_request",
                Text::new("problem-bad_request-upload_unreadable").text("error", detail),
            ),
            StorageError::Checkout(e) => e.into(),
            StorageError::Database(e) => e.into(),
            StorageError::ObjectStore(e) => {
                tracing::warn!(error = %e, "object storage failed");
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "storage_unavailable",
                    Text::new("problem-storage_unavailable"),
                )
                .retry_after(5)
            }
            StorageError::Internal(e) => ApiError::internal(e),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewDocumentQuery {
    kind: String,
    name: String,
    #[serde(default)]
    visibility: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewVersionQuery {
    name: String,
}

/// Receives the body as a file named `name`, within the size limit, and
/// checks its name against its bytes; nothing is kept if it is refused.
async fn receive(
    req: &HttpRequest,
    state: &AppState,
    payload: web::Payload,
    name: &str,
) -> Result<StoredFile, ApiError> {
    let limit = state.config.documents.max_bytes;
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(too_large(limit));
    }
    let file = storage::upload(&state.storage, payload, limit).await?;
    if let Err(refused) = document::check_extension(name, file.file_type) {
        storage::discard(&state.storage, &file.id).await;
        return Err(refused.into());
    }
    Ok(file)
}

async fn publish(
    req: HttpRequest,
    state: web::Data<AppState>,
    sponsor: SponsorUser,
    offering_id: String,
    target: Target,
    name: String,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let file = receive(&req, &state, payload, &name).await?;
    let file_id = file.id.clone();
    let base_url = state.config.public_base_url.clone();
    let actor = audit::actor(&req, &sponsor.0);
    let published = audit::audited(&state, actor, move |conn| {
        let view = service::publish(
            conn,
            &sponsor.0.id,
            &offering_id,
            target,
            &name,
            &file,
            &base_url,
        )?;
        let entry = Entry {
            action: "document.published",
            subject_type: "document",
            subject_id: view.id.clone(),
            details: json!({"offering_id": view.offering_id, "version": view.current.version,
                            "sha256": view.current.sha256, "amendment": view.current.amendment}),
        };
        Ok((view, entry))
    })
    .await;
    match published {
        Ok(view) => Ok(HttpResponse::Created()
            .insert_header((
                header::LOCATION,
                format!(
                    "/api/v1/offerings/{}/documents/{}",
                    view.offering_id, view.id
                ),
            ))
            .json(view)),
        Err(e) => {
            storage::discard(&state.storage, &file_id).await;
            Err(e)
        }
    }
}

/// `POST /offerings/{id}/documents?kind=&name=&visibility=`: a new document.
pub async fn create(
    req: HttpRequest,
    state: web::Data<AppState>,
    sponsor: SponsorUser,
    path: web::Path<String>,
    query: Query<NewDocumentQuery>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let q = query.into_inner();
    let target = Target::New {
        kind: DocumentKind::parse(&q.kind)?,
        visibility: match q.visibility.as_deref() {
            Some(v) => Visibility::parse(v)?,
            None => Visibility::Public,
        },
    };
    let name = document::tidy_file_name(&q.name)?;
    publish(
        req,
        state,
        sponsor,
        path.into_inner(),
        target,
        name,
        payload,
    )
    .await
}

/// `POST /offerings/{id}/documents/{document_id}/versions?name=`: the next version.
pub async fn create_version(
    req: HttpRequest,
    state: web::Data<AppState>,
    sponsor: SponsorUser,
    path: web::Path<(String, String)>,
    query: Query<NewVersionQuery>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let (offering_id, document_id) = path.into_inner();
    let name = document::tidy_file_name(&query.into_inner().name)?;
    publish(
        req,
        state,
        sponsor,
        offering_id,
        Target::Existing { document_id },
        name,
        payload,
    )
    .await
}

pub async fn list(
    state: web::Data<AppState>,
    user: MaybeUser,
    path: web::Path<String>,
    query: Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.into_inner();
    let limit = q.limit()?;
    let id = path.into_inner();
    let base_url = state.config.public_base_url.clone();
    let page = with_conn(&state, move |conn| {
        Ok(service::list(
            conn,
            user.0.as_ref().map(viewer).as_ref(),
            &id,
            q.cursor.as_deref(),
            limit,
            &base_url,
        )?)
    })
    .await?;
    Ok(HttpResponse::Ok().json(page))
}

pub async fn get_one(
    state: web::Data<AppState>,
    user: MaybeUser,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (offering_id, document_id) = path.into_inner();
    let base_url = state.config.public_base_url.clone();
    let view = with_conn(&state, move |conn| {
        Ok(service::get(
            conn,
            user.0.as_ref().map(viewer).as_ref(),
            &offering_id,
            &document_id,
            &base_url,
        )?)
    })
    .await?;
    Ok(HttpResponse::Ok().json(view))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct LinkBody {
    #[serde(default, deserialize_with = "super::json_int::optional")]
    version: Option<i64>,
}

/// `POST /offerings/{id}/documents/{document_id}/links`: a short-lived
/// signed link to a version (the current one unless `version` is given).
pub async fn create_link(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<(String, String)>,
    body: Option<web::Json<LinkBody>>,
) -> Result<HttpResponse, ApiError> {
    let (offering_id, document_id) = path.into_inner();
    let version = match body.map(|b| b.into_inner().version).unwrap_or_default() {
        None => None,
        Some(v) => Some(i32::try_from(v).ok().filter(|v| *v >= 1).ok_or_else(|| {
            ApiError::invalid_field("version", Text::new("problem-invalid_field-link_version"))
        })?),
    };
    let config = state.config.clone();
    let keys = state.config.jwt_keys.clone();
    let link = with_conn(&state, move |conn| {
        Ok(service::link(
            conn,
            &viewer(&user),
            &offering_id,
            &document_id,
            version,
            &service::LinkSettings {
                keys: &keys,
                ttl: config.documents.link_ttl,
                base_url: &config.public_base_url,
            },
        )?)
    })
    .await?;
    Ok(HttpResponse::Created().json(link))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContentQuery {
    expires: Option<i64>,
    key: Option<String>,
    signature: Option<String>,
}

/// A version number from the path: not one (or below 1) is no such version.
pub(super) fn version_number(raw: &str) -> Result<i32, ApiError> {
    raw.parse()
        .ok()
        .filter(|v: &i32| *v >= 1)
        .ok_or_else(|| ApiError::not_found(Text::new("problem-not_found-version_number")))
}

/// `GET /offerings/{id}/documents/{document_id}/versions/{version}/content`.
pub async fn content(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: MaybeUser,
    path: web::Path<(String, String, String)>,
    query: Query<ContentQuery>,
) -> Result<HttpResponse, ApiError> {
    let (offering_id, document_id, version) = path.into_inner();
    let version = version_number(&version)?;
    let q = query.into_inner();
    let link = match (q.expires, q.key, q.signature) {
        (None, None, None) => None,
        (Some(expires), Some(key), Some(signature)) => Some(SignedLink {
            expires,
            key,
            signature,
        }),
        // Part of a link opens nothing.
        _ => {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "invalid_link",
                Text::new("problem-invalid_link-partial"),
            ))
        }
    };
    let keys = state.config.jwt_keys.clone();
    let found = with_conn(&state, move |conn| {
        let viewer = user.0.as_ref().map(viewer);
        let access = match &link {
            Some(link) => Access::Signed(link, &keys),
            None => Access::Plain(viewer.as_ref()),
        };
        Ok(service::download(
            conn,
            access,
            &offering_id,
            &document_id,
            version,
        )?)
    })
    .await?;
    let v = &found.version;
    let etag = format!("\"{}\"", v.sha256);
    let size = v.size as u64;
    let cache = if found.public {
        "public, max-age=31536000, immutable"
    } else {
        "private, no-store"
    };
    let response = |status: StatusCode| {
        let mut r = HttpResponse::build(status);
        r.insert_header((header::ETAG, etag.clone()))
            .insert_header((header::ACCEPT_RANGES, "bytes"))
            .insert_header((header::CACHE_CONTROL, cache));
        r
    };
    let whole = ByteRange {
        start: 0,
        end: size.saturating_sub(1),
    };
    let (mut builder, range) = match content::part(req.headers(), &etag, size) {
        Part::NotModified => return Ok(response(StatusCode::NOT_MODIFIED).finish()),
        Part::Unsatisfiable => {
            return Ok(response(StatusCode::RANGE_NOT_SATISFIABLE)
                .insert_header((header::CONTENT_RANGE, format!("bytes */{size}")))
                .finish())
        }
        Part::Whole => (response(StatusCode::OK), whole),
        Part::Range(r) => {
            let mut b = response(StatusCode::PARTIAL_CONTENT);
            b.insert_header((
                header::CONTENT_RANGE,
                format!("bytes {}-{}/{size}", r.start, r.end),
            ));
            (b, r)
        }
    };
    let stream = storage::download(
        state.storage.clone(),
        v.file_id.clone(),
        found.chunk_size as u64,
        range,
    );
    Ok(builder
        .insert_header((header::CONTENT_TYPE, v.content_type.clone()))
        .insert_header((
            header::CONTENT_DISPOSITION,
            content::disposition(&v.file_name),
        ))
        .no_chunking(range.size())
        .streaming(stream))
}
