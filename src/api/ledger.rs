//! The operators' view of the books.

use actix_web::{web, HttpResponse};

use crate::error::ApiError;
use crate::i18n::Text;
use crate::ledger::{invariants, seal};

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

/// The newest seal of the ledger's hash chain, to be copied off the database.
pub async fn seal_head(
    state: web::Data<AppState>,
    _operator: OperatorUser,
) -> Result<HttpResponse, ApiError> {
    let head = with_conn(&state, |conn| Ok(seal::head(conn)?)).await?;
    match head {
        Some(head) => Ok(HttpResponse::Ok().json(head)),
        None => Err(ApiError::new(
            actix_web::http::StatusCode::NOT_FOUND,
            "no_seal_yet",
            Text::new("problem-no_seal_yet"),
        )),
    }
}
