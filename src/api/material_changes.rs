//! Material changes: the sponsor or an operator declares an amendment
//! material; investors reconfirm (or cancel) their subscriptions.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::json;

use crate::domain::text::{self, Lines};
use crate::domain::Role;
use crate::error::ApiError;
use crate::i18n::Text;
use crate::services::material_changes as service;

use super::audit::{self, Entry};
use super::blocking::with_conn;
use super::extractors::{AuthUser, InvestorUser};
use super::offerings::viewer;
use super::AppState;

pub const MAX_REASON_CHARS: usize = 2_000;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeclareBody {
    /// What changed, in words the investors are sent.
    reason: String,
}

fn sponsor_or_operator(user: &AuthUser) -> Result<(), ApiError> {
    match user.role {
        Role::Sponsor | Role::Operator => Ok(()),
        Role::Investor => Err(ApiError::forbidden(Text::new(
            "problem-forbidden-material_change_declarer",
        ))),
    }
}

/// `POST /offerings/{id}/documents/{document_id}/versions/{version}/material`.
pub async fn declare(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<(String, String, String)>,
    body: web::Json<DeclareBody>,
) -> Result<HttpResponse, ApiError> {
    sponsor_or_operator(&user)?;
    let (offering_id, document_id, version) = path.into_inner();
    let version = super::documents::version_number(&version)?;
    let reason = text::required("reason", &body.reason, MAX_REASON_CHARS, Lines::Many)?;
    let config = state.config.clone();
    let actor = audit::actor(&req, &user);
    let view = audit::audited(&state, actor, move |conn| {
        let declaration = service::Declaration {
            offering_id,
            document_id,
            version,
            reason,
        };
        let view = service::declare(
            conn,
            &viewer(&user),
            &declaration,
            &config.reconfirmation,
            &config.public_base_url,
        )?;
        let entry = Entry {
            action: "material_change.declared",
            subject_type: "material_change",
            subject_id: view.id.clone(),
            details: json!({"offering_id": view.offering_id, "document_id": view.document_id,
                            "version": view.version, "reason": view.reason,
                            "deadline": view.deadline, "awaiting": view.awaiting}),
        };
        Ok((view, entry))
    })
    .await?;
    Ok(HttpResponse::build(StatusCode::CREATED).json(view))
}

/// `GET /offerings/{id}/material-changes`: the sponsor's and operators' view.
pub async fn list(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    sponsor_or_operator(&user)?;
    let offering_id = path.into_inner();
    let items = with_conn(&state, move |conn| {
        Ok(service::list(conn, &viewer(&user), &offering_id)?)
    })
    .await?;
    Ok(HttpResponse::Ok().json(json!({ "items": items })))
}

/// `POST /subscriptions/{id}/reconfirm`.
pub async fn reconfirm(
    req: HttpRequest,
    state: web::Data<AppState>,
    investor: InvestorUser,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let actor = audit::actor(&req, &investor.0);
    let view = audit::audited(&state, actor, move |conn| {
        let view = service::reconfirm(conn, &investor.0.id, &id)?;
        let entry = Entry {
            action: "subscription.reconfirmed",
            subject_type: "subscription",
            subject_id: id,
            details: json!({"offering_id": view.offering_id,
                            "material_change_id": view.material_change_id}),
        };
        Ok((view, entry))
    })
    .await?;
    Ok(HttpResponse::Ok().json(view))
}
