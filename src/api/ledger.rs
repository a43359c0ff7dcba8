//! The operators' view of the books.

use actix_web::{web, HttpResponse};

use crate::error::ApiError;
use crate::ledger::invariants;

use super::blocking::with_conn;
use super::extractors::OperatorUser;
use super::AppState;

/// Balances by account kind and every invariant, checked now.
pub async fn trial_balance(
    state: web::Data<AppState>,
    _operator: OperatorUser,
) -> Result<HttpResponse, ApiError> {
    let report = with_conn(&state, |conn| Ok(invariants::check(conn)?)).await?;
    Ok(HttpResponse::Ok().json(report))
}
