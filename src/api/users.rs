//! `/api/v1/operator/users/*`: an operator looks an account up, signs a user
//! out everywhere, disables an account, or enables it again. The changes are
//! audited in the same transaction.

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::json;

use crate::db::now;
use crate::domain::text::{self, Lines};
use crate::error::ApiError;
use crate::i18n::Text;
use crate::services::user_admin::{self, Changed};

use super::audit::{self, Entry};
use super::blocking::with_conn;
use super::extractors::OperatorUser;
use super::optional_json::OptionalJson;
use super::pagination::check_limit;
use super::query::{search_text, Query};
use super::AppState;

fn no_such_user() -> ApiError {
    ApiError::not_found(Text::new("problem-not_found-user_id"))
}

/// Runs an audited change to a user's access, then makes this server refuse
/// the ended sessions at once (the others learn of them on their next poll).
async fn change<F>(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    operator: &OperatorUser,
    user_id: String,
    action: &'static str,
    details: serde_json::Value,
    work: F,
) -> Result<HttpResponse, ApiError>
where
    F: FnOnce(
            &mut crate::db::AnyConnection,
            &str,
            chrono::NaiveDateTime,
        ) -> diesel::QueryResult<Option<Changed>>
        + Send
        + 'static,
{
    let actor = audit::actor(req, &operator.0);
    let at = now();
    let changed = audit::audited(state, actor, move |conn| {
        let changed = work(conn, &user_id, at)?.ok_or_else(no_such_user)?;
        let mut details = details;
        details["sessions_ended"] = json!(changed.ended_sessions.len());
        let entry = Entry {
            action,
            subject_type: "user",
            subject_id: user_id,
            details,
        };
        Ok((changed, entry))
    })
    .await?;
    state.revocations.note(&changed.ended_sessions, at);
    Ok(HttpResponse::Ok().json(json!({
        "user": changed.user,
        "sessions_ended": changed.ended_sessions.len(),
    })))
}

/// An account as operators see it: role, whether its email is verified,
/// whether it is disabled.
pub async fn get_one(
    state: web::Data<AppState>,
    _operator: OperatorUser,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let user = with_conn(&state, move |conn| Ok(user_admin::status(conn, &id)?))
        .await?
        .ok_or_else(no_such_user)?;
    Ok(HttpResponse::Ok().json(user))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FindQuery {
    email: Option<String>,
    limit: Option<i64>,
    cursor: Option<String>,
}

/// Accounts whose email contains the text given (any case), by email: every
/// account without one.
pub async fn find(
    state: web::Data<AppState>,
    _operator: OperatorUser,
    query: Query<FindQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.into_inner();
    let email = search_text("email", q.email, 200)?;
    let limit = check_limit(q.limit)?;
    let page = with_conn(&state, move |conn| {
        Ok(user_admin::find(
            conn,
            email.as_deref(),
            q.cursor.as_deref(),
            limit,
        )?)
    })
    .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// The body of sign-out and enable, both optional: why, for the audit log.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReasonBody {
    reason: Option<String>,
}

/// The optional reason, cleaned as a disabling's reason is.
fn optional_reason(body: OptionalJson<ReasonBody>) -> Result<Option<String>, ApiError> {
    let reason = body
        .0
        .and_then(|b| b.reason)
        .map(|r| text::clean("reason", &r, 1000, Lines::Many))
        .transpose()?;
    Ok(reason.filter(|r| !r.is_empty()))
}

pub async fn sign_out(
    req: HttpRequest,
    state: web::Data<AppState>,
    operator: OperatorUser,
    path: web::Path<String>,
    body: OptionalJson<ReasonBody>,
) -> Result<HttpResponse, ApiError> {
    let reason = optional_reason(body)?;
    let id = path.into_inner();
    change(
        &req,
        &state,
        &operator,
        id,
        "user.signed_out",
        json!({"reason": reason}),
        user_admin::sign_out,
    )
    .await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DisableBody {
    reason: String,
}

pub async fn disable(
    req: HttpRequest,
    state: web::Data<AppState>,
    operator: OperatorUser,
    path: web::Path<String>,
    body: web::Json<DisableBody>,
) -> Result<HttpResponse, ApiError> {
    let reason = text::required("reason", &body.into_inner().reason, 1000, Lines::Many)?;
    let id = path.into_inner();
    if id == operator.0.id {
        return Err(ApiError::conflict(
            "own_account",
            Text::new("problem-own_account"),
        ));
    }
    change(
        &req,
        &state,
        &operator,
        id,
        "user.disabled",
        json!({"reason": reason}),
        user_admin::disable,
    )
    .await
}

pub async fn enable(
    req: HttpRequest,
    state: web::Data<AppState>,
    operator: OperatorUser,
    path: web::Path<String>,
    body: OptionalJson<ReasonBody>,
) -> Result<HttpResponse, ApiError> {
    let reason = optional_reason(body)?;
    let id = path.into_inner();
    change(
        &req,
        &state,
        &operator,
        id,
        "user.enabled",
        json!({"reason": reason}),
        user_admin::enable,
    )
    .await
}
