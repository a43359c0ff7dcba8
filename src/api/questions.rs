//! `/offerings/{id}/questions`: the offering's questions and answers, and
//! operators hiding and restoring posts.

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::json;

use crate::domain::text::{self, Lines};
use crate::error::ApiError;
use crate::services::questions::{self as service, Moderation, NewPost, Posting};

use super::audit::{self, Entry};
use super::blocking::with_conn;
use super::extractors::{AuthUser, MaybeUser, OperatorUser};
use super::offerings::viewer;
use super::pagination::PageQuery;
use super::query::Query;
use super::AppState;

pub const MAX_POST_CHARS: usize = 4_000;
pub const MAX_REASON_CHARS: usize = 500;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PostBody {
    body: String,
    /// Every poster says, on every post, whether they are paid to promote
    /// the offering and whether they work for its sponsor.
    paid_promoter: bool,
    sponsor_affiliated: bool,
}

fn checked(b: PostBody) -> Result<NewPost, ApiError> {
    Ok(NewPost {
        body: text::required("body", &b.body, MAX_POST_CHARS, Lines::Many)?,
        paid_promoter: b.paid_promoter,
        sponsor_affiliated: b.sponsor_affiliated,
    })
}

/// `POST /offerings/{id}/questions`.
pub async fn ask(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<String>,
    body: web::Json<PostBody>,
) -> Result<HttpResponse, ApiError> {
    post(state, user, path.into_inner(), None, body.into_inner()).await
}

/// `POST /offerings/{id}/questions/{question_id}/replies`.
pub async fn reply(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<(String, String)>,
    body: web::Json<PostBody>,
) -> Result<HttpResponse, ApiError> {
    let (offering_id, question_id) = path.into_inner();
    post(
        state,
        user,
        offering_id,
        Some(question_id),
        body.into_inner(),
    )
    .await
}

/// A question (`question_id` None) or a reply to one.
async fn post(
    state: web::Data<AppState>,
    user: AuthUser,
    offering_id: String,
    question_id: Option<String>,
    body: PostBody,
) -> Result<HttpResponse, ApiError> {
    let new = checked(body)?;
    let config = state.config.clone();
    let view = with_conn(&state, move |conn| {
        let posting = Posting {
            limits: &config.rate_limits,
            base_url: &config.public_base_url,
        };
        let viewer = viewer(&user);
        Ok(match &question_id {
            None => service::ask(conn, &viewer, &offering_id, new, &posting)?,
            Some(q) => service::reply(conn, &viewer, &offering_id, q, new, &posting)?,
        })
    })
    .await?;
    Ok(HttpResponse::Created().json(view))
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReasonBody {
    reason: String,
}

async fn moderate(
    req: HttpRequest,
    state: web::Data<AppState>,
    operator: OperatorUser,
    path: web::Path<(String, String)>,
    body: web::Json<ReasonBody>,
    action: Moderation,
) -> Result<HttpResponse, ApiError> {
    let reason = text::required("reason", &body.reason, MAX_REASON_CHARS, Lines::One)?;
    let (offering_id, post_id) = path.into_inner();
    let actor = audit::actor(&req, &operator.0);
    let view = audit::audited(&state, actor, move |conn| {
        let view = service::moderate(
            conn,
            &operator.0.id,
            &offering_id,
            &post_id,
            action,
            &reason,
        )?;
        let entry = Entry {
            action: match action {
                Moderation::Hide => "post.hidden",
                Moderation::Restore => "post.restored",
            },
            subject_type: "offering_post",
            subject_id: view.id.clone(),
            details: json!({"offering_id": offering_id, "reason": reason}),
        };
        Ok((view, entry))
    })
    .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// `POST /operator/offerings/{id}/posts/{post_id}/hide`.
pub async fn hide(
    req: HttpRequest,
    state: web::Data<AppState>,
    operator: OperatorUser,
    path: web::Path<(String, String)>,
    body: web::Json<ReasonBody>,
) -> Result<HttpResponse, ApiError> {
    moderate(req, state, operator, path, body, Moderation::Hide).await
}

/// `POST /operator/offerings/{id}/posts/{post_id}/restore`.
pub async fn restore(
    req: HttpRequest,
    state: web::Data<AppState>,
    operator: OperatorUser,
    path: web::Path<(String, String)>,
    body: web::Json<ReasonBody>,
) -> Result<HttpResponse, ApiError> {
    moderate(req, state, operator, path, body, Moderation::Restore).await
}
