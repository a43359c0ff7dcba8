//! Lead investors of led rounds: an operator appoints one; the offering's
//! sponsor and operators see every appointment.

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::json;

use crate::domain::Role;
use crate::error::ApiError;
use crate::i18n::Text;
use crate::services::leads as service;

use super::audit::{self, Entry};
use super::blocking::with_conn;
use super::extractors::{AuthUser, OperatorUser};
use super::offerings::viewer;
use super::AppState;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppointBody {
    investor_id: String,
    /// The lead's carry, in basis points of the followers' profit.
    #[serde(deserialize_with = "super::json_int::exact")]
    carry_bps: i64,
    /// The terms of the lead's role, as followers read them.
    terms: String,
}

/// `PUT /operator/offerings/{id}/lead`: appoints (or replaces, before they
/// committed) the round's lead.
pub async fn appoint(
    req: HttpRequest,
    state: web::Data<AppState>,
    operator: OperatorUser,
    path: web::Path<String>,
    body: web::Json<AppointBody>,
) -> Result<HttpResponse, ApiError> {
    let offering_id = path.into_inner();
    let body = body.into_inner();
    let actor = audit::actor(&req, &operator.0);
    let view = audit::audited(&state, actor, move |conn| {
        let view = service::appoint(
            conn,
            &operator.0.id,
            &offering_id,
            &body.investor_id,
            body.carry_bps,
            &body.terms,
        )?;
        let entry = Entry {
            action: "offering.lead_appointed",
            subject_type: "offering",
            subject_id: offering_id,
            details: json!({"investor_id": view.investor_id, "carry_bps": view.carry_bps,
                            "min_commitment": view.min_commitment,
                            "committed": view.committed, "status": view.status}),
        };
        Ok((view, entry))
    })
    .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// `GET /offerings/{id}/leads`: every appointment, newest first (the
/// offering's sponsor and operators).
pub async fn history(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    if user.role == Role::Investor {
        return Err(ApiError::forbidden(Text::new(
            "problem-forbidden-lead_history",
        )));
    }
    let offering_id = path.into_inner();
    let items = with_conn(&state, move |conn| {
        Ok(service::history(conn, &viewer(&user), &offering_id)?)
    })
    .await?;
    Ok(HttpResponse::Ok().json(json!({ "items": items })))
}
