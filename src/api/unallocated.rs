//! Operators' view and resolution of money that matched no deposit.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::json;

use crate::db::audit::record;
use crate::error::ApiError;
use crate::i18n::Text;
use crate::services::unallocated;

use super::audit;
use super::blocking::with_conn;
use super::extractors::OperatorUser;
use super::idempotency::{self, IdempotencyKey};
use super::pagination::check_limit;
use super::problems::check_identifier;
use super::query::Query;
use super::AppState;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    status: Option<String>,
    limit: Option<i64>,
    cursor: Option<String>,
}

pub async fn list(
    state: web::Data<AppState>,
    _operator: OperatorUser,
    query: Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.into_inner();
    let limit = check_limit(q.limit)?;
    if let Some(status) = &q.status {
        if !matches!(status.as_str(), "open" | "credited" | "returned") {
            return Err(ApiError::bad_request(
                "invalid_query",
                Text::new("problem-invalid_query-unallocated_status"),
            ));
        }
    }
    let currency = state.config.currency.clone();
    let page = with_conn(&state, move |conn| {
        Ok(unallocated::list(
            conn,
            q.status.as_deref(),
            q.cursor.as_deref(),
            limit,
            &currency,
        )?)
    })
    .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// An operator's note on a resolution: optional, at most 500 characters.
pub(super) fn check_note(note: &Option<String>) -> Result<(), ApiError> {
    match note {
        Some(n) if n.chars().count() > 500 || n.chars().any(char::is_control) => Err(
            ApiError::invalid_field("note", Text::new("problem-invalid_field-note_long")),
        ),
        _ => Ok(()),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreditBody {
    investor_id: String,
    note: Option<String>,
}

pub async fn credit(
    req: HttpRequest,
    state: web::Data<AppState>,
    operator: OperatorUser,
    key: IdempotencyKey,
    path: web::Path<String>,
    body: web::Json<CreditBody>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let body = body.into_inner();
    check_note(&body.note)?;
    check_identifier("investor_id", &body.investor_id)?;
    let fingerprint = idempotency::fingerprint(
        &req,
        &json!({"investor_id": body.investor_id, "note": body.note}),
    );
    let currency = state.config.currency.clone();
    let actor = audit::actor(&req, &operator.0);
    let operator_id = operator.0.id.clone();
    idempotency::run(
        &state,
        operator.0.id,
        key,
        fingerprint,
        StatusCode::OK,
        move |conn| {
            let view = unallocated::credit(
                conn,
                &id,
                &body.investor_id,
                &operator_id,
                body.note.as_deref(),
                &currency,
            )?;
            let details = json!({"investor_id": body.investor_id, "amount": view.amount,
                                 "bank_txn_id": view.bank_txn_id, "note": body.note});
            record(
                conn,
                &actor,
                "unallocated_deposit.credited",
                "unallocated_deposit",
                &id,
                &details,
            )?;
            serde_json::to_value(view).map_err(ApiError::internal)
        },
    )
    .await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReturnBody {
    /// The bank's id of the transfer that sent the money back, if known.
    bank_txn_id: Option<String>,
    note: Option<String>,
}

pub async fn mark_returned(
    req: HttpRequest,
    state: web::Data<AppState>,
    operator: OperatorUser,
    key: IdempotencyKey,
    path: web::Path<String>,
    body: web::Json<ReturnBody>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let body = body.into_inner();
    check_note(&body.note)?;
    if let Some(t) = &body.bank_txn_id {
        check_identifier("bank_txn_id", t)?;
    }
    let fingerprint = idempotency::fingerprint(
        &req,
        &json!({"bank_txn_id": body.bank_txn_id, "note": body.note}),
    );
    let currency = state.config.currency.clone();
    let actor = audit::actor(&req, &operator.0);
    let operator_id = operator.0.id.clone();
    idempotency::run(
        &state,
        operator.0.id,
        key,
        fingerprint,
        StatusCode::OK,
        move |conn| {
            let view = unallocated::mark_returned(
                conn,
                &id,
                body.bank_txn_id.as_deref(),
                &operator_id,
                body.note.as_deref(),
                &currency,
            )?;
            let details = json!({"amount": view.amount, "bank_txn_id": view.bank_txn_id,
                                 "return_bank_txn_id": body.bank_txn_id, "note": body.note});
            record(
                conn,
                &actor,
                "unallocated_deposit.returned",
                "unallocated_deposit",
                &id,
                &details,
            )?;
            serde_json::to_value(view).map_err(ApiError::internal)
        },
    )
    .await
}
