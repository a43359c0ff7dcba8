//! `/offerings/{id}/updates`: the sponsor posts updates (now or scheduled,
//! public or for the offering's investors); readers list them.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::json;

use crate::domain::document::Visibility;
use crate::domain::rich_text::BodyFormat;
use crate::domain::text::{self, Lines};
use crate::error::ApiError;
use crate::i18n::Text;
use crate::services::updates::{self as service, NewUpdate};

use super::audit::{self, Entry};
use super::blocking::with_conn;
use super::extractors::{MaybeUser, SponsorUser};
use super::offerings::{naive, viewer};
use super::pagination::PageQuery;
use super::query::Query;
use super::AppState;

pub const MAX_TITLE_CHARS: usize = 200;
pub const MAX_BODY_CHARS: usize = 20_000;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateBody {
    title: String,
    body: String,
    #[serde(default)]
    body_format: Option<String>,
    #[serde(default)]
    audience: Option<String>,
    #[serde(default)]
    publish_at: Option<DateTime<Utc>>,
}

fn checked(b: UpdateBody) -> Result<NewUpdate, ApiError> {
    let format = match b.body_format.as_deref() {
        None => BodyFormat::Text,
        Some(f) => BodyFormat::parse(f).ok_or_else(|| {
            ApiError::invalid_field(
                "body_format",
                Text::new("problem-invalid_field-update_body_format"),
            )
        })?,
    };
    let audience = match b.audience.as_deref() {
        None => Visibility::Public,
        Some(a) => Visibility::parse(a).map_err(|_| {
            ApiError::invalid_field(
                "audience",
                Text::new("problem-invalid_field-update_audience"),
            )
        })?,
    };
    Ok(NewUpdate {
        title: text::required("title", &b.title, MAX_TITLE_CHARS, Lines::One)?,
        body: text::required("body", &b.body, MAX_BODY_CHARS, Lines::Many)?,
        format,
        audience,
        publish_at: b.publish_at.map(naive),
    })
}

/// `POST /offerings/{id}/updates`.
pub async fn create(
    req: HttpRequest,
    state: web::Data<AppState>,
    sponsor: SponsorUser,
    path: web::Path<String>,
    body: web::Json<UpdateBody>,
) -> Result<HttpResponse, ApiError> {
    let new = checked(body.into_inner())?;
    let offering_id = path.into_inner();
    let base_url = state.config.public_base_url.clone();
    let actor = audit::actor(&req, &sponsor.0);
    let view = audit::audited(&state, actor, move |conn| {
        let view = service::post(conn, &sponsor.0.id, &offering_id, new, &base_url)?;
        let entry = Entry {
            action: "update.posted",
            subject_type: "offering_update",
            subject_id: view.id.clone(),
            details: json!({"offering_id": view.offering_id, "audience": view.audience,
                            "publish_at": view.publish_at}),
        };
        Ok((view, entry))
    })
    .await?;
    Ok(HttpResponse::Created()
        .insert_header((
            header::LOCATION,
            format!("/api/v1/offerings/{}/updates/{}", view.offering_id, view.id),
        ))
        .json(view))
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
    let page = with_conn(&state, move |conn| {
        Ok(service::list(
            conn,
            user.0.as_ref().map(viewer).as_ref(),
            &id,
            q.cursor.as_deref(),
            limit,
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
    let (offering_id, update_id) = path.into_inner();
    let view = with_conn(&state, move |conn| {
        Ok(service::get(
            conn,
            user.0.as_ref().map(viewer).as_ref(),
            &offering_id,
            &update_id,
        )?)
    })
    .await?;
    Ok(HttpResponse::Ok().json(view))
}
