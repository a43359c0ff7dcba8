//! `POST /operator/bank-statements`: the custodian's CSV statement, matched
//! against the ledger.

use actix_web::http::header;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use futures_util::StreamExt;
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::domain::statement;
use crate::error::ApiError;
use crate::i18n::Text;
use crate::services::statements;

use super::audit::{self, Entry};
use super::blocking::with_conn;
use super::extractors::OperatorUser;
use super::AppState;

/// Largest statement accepted (a month of a busy platform fits many times over).
pub const MAX_BYTES: usize = 10 * 1024 * 1024;

pub async fn upload(
    req: HttpRequest,
    state: web::Data<AppState>,
    operator: OperatorUser,
    mut payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !content_type.starts_with("text/csv") {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            Text::new("problem-unsupported_media_type-csv"),
        ));
    }
    let too_large = || {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            Text::new("problem-payload_too_large-statement").number("limit", MAX_BYTES as i64),
        )
    };
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > MAX_BYTES) {
        return Err(too_large());
    }
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| {
            ApiError::bad_request(
                "bad_request",
                Text::new("problem-bad_request-unreadable").text("error", e.to_string()),
            )
        })?;
        if body.len() + chunk.len() > MAX_BYTES {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    let lines = statement::parse(&body).map_err(|e| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_statement",
            e.message,
        )
        .with("line", e.line)
    })?;
    let digest = hex::encode(Sha256::digest(&body));
    let actor = audit::actor(&req, &operator.0);
    // Matching only reads; the audit record is its own short write, so a
    // large statement never holds the write lock while it is matched.
    let report = with_conn(&state, move |conn| {
        let report = statements::match_statement(conn, &lines)?;
        let details = json!({
            "sha256": digest,
            "lines": report.lines,
            "matched": report.matched.len(),
            "amount_mismatches": report.amount_mismatches.len(),
            "unmatched_in_statement": report.unmatched_in_statement.len(),
            "unmatched_in_ledger": report.unmatched_in_ledger.len(),
        });
        audit::record_with(conn, &actor, |_| {
            let entry = Entry {
                action: "bank_statement.matched",
                subject_type: "bank_statement",
                subject_id: digest.clone(),
                details,
            };
            Ok(((), entry))
        })?;
        Ok(report)
    })
    .await?;
    Ok(HttpResponse::Ok().json(report))
}
