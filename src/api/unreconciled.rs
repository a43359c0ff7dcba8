//! Operators' view and resolution of money that left the bank and matched
//! no transfer of ours.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::json;

use crate::db::audit::record;
use crate::error::ApiError;
use crate::i18n::Text;
use crate::services::unreconciled::{self, Target};

use super::audit;
use super::blocking::with_conn;
use super::extractors::OperatorUser;
use super::idempotency::{self, IdempotencyKey};
use super::pagination::check_limit;
use super::problems::check_identifier;
use super::query::Query;
use super::unallocated::check_note;
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
        if !matches!(status.as_str(), "open" | "assigned" | "written_off") {
            return Err(ApiError::bad_request(
                "invalid_query",
                Text::new("problem-invalid_query-unreconciled_status"),
            ));
        }
    }
    let currency = state.config.currency.clone();
    let page = with_conn(&state, move |conn| {
        Ok(unreconciled::list(
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssignBody {
    withdrawal_id: Option<String>,
    deposit_id: Option<String>,
    unallocated_deposit_id: Option<String>,
    note: Option<String>,
}

pub async fn assign(
    req: HttpRequest,
    state: web::Data<AppState>,
    operator: OperatorUser,
    key: IdempotencyKey,
    path: web::Path<String>,
    body: web::Json<AssignBody>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let body = body.into_inner();
    check_note(&body.note)?;
    let named = [
        ("withdrawal_id", &body.withdrawal_id),
        ("deposit_id", &body.deposit_id),
        ("unallocated_deposit_id", &body.unallocated_deposit_id),
    ];
    if named.iter().filter(|(_, id)| id.is_some()).count() != 1 {
        return Err(ApiError::invalid_field(
            "withdrawal_id",
            Text::new("problem-invalid_field-match_exactly_one"),
        ));
    }
    for (field, id) in named {
        if let Some(id) = id {
            check_identifier(field, id)?;
        }
    }
    let fingerprint = idempotency::fingerprint(
        &req,
        &json!({"withdrawal_id": body.withdrawal_id, "deposit_id": body.deposit_id,
                "unallocated_deposit_id": body.unallocated_deposit_id, "note": body.note}),
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
            let target = match (
                &body.withdrawal_id,
                &body.deposit_id,
                &body.unallocated_deposit_id,
            ) {
                (Some(w), _, _) => Target::Withdrawal(w),
                (None, Some(d), _) => Target::Deposit(d),
                (None, None, Some(u)) => Target::Unallocated(u),
                (None, None, None) => {
                    return Err(ApiError::invalid_field(
                        "withdrawal_id",
                        Text::new("problem-invalid_field-match_one_of"),
                    ))
                }
            };
            let view = unreconciled::assign(
                conn,
                &id,
                target,
                &operator_id,
                body.note.as_deref(),
                &currency,
            )?;
            let details = json!({"amount": view.amount, "bank_txn_id": view.bank_txn_id,
                                 "assigned_kind": view.assigned_kind,
                                 "assigned_id": view.assigned_id, "note": body.note});
            record(
                conn,
                &actor,
                "unreconciled_movement.assigned",
                "unreconciled_movement",
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
pub struct WriteOffBody {
    /// Why the platform takes the loss: required.
    reason: String,
}

pub async fn write_off(
    req: HttpRequest,
    state: web::Data<AppState>,
    operator: OperatorUser,
    key: IdempotencyKey,
    path: web::Path<String>,
    body: web::Json<WriteOffBody>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let reason = body.into_inner().reason;
    if reason.trim().is_empty() {
        return Err(ApiError::invalid_field(
            "reason",
            Text::new("problem-invalid_field-write_off_reason"),
        ));
    }
    check_note(&Some(reason.clone())).map_err(|_| {
        ApiError::invalid_field(
            "reason",
            Text::new("problem-invalid_field-write_off_reason_long"),
        )
    })?;
    let fingerprint = idempotency::fingerprint(&req, &json!({ "reason": reason }));
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
            let view = unreconciled::write_off(conn, &id, &operator_id, &reason, &currency)?;
            let details = json!({"amount": view.amount, "bank_txn_id": view.bank_txn_id,
                                 "reason": reason});
            record(
                conn,
                &actor,
                "unreconciled_movement.written_off",
                "unreconciled_movement",
                &id,
                &details,
            )?;
            serde_json::to_value(view).map_err(ApiError::internal)
        },
    )
    .await
}
