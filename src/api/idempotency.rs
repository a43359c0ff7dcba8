//! `Idempotency-Key` on money-moving requests: a replay returns the first
//! response; the same key with another body is refused (422); a replay while
//! the first request still runs is refused (409).
//!
//! The key is claimed in its own short transaction; the work and its saved
//! response then commit together, so a response is never saved for work that
//! did not happen, nor work done without its response saved. A refusal (4xx)
//! is saved too; a failure on our side (5xx) releases the key for a retry.

use std::future::{ready, Ready};

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::{FromRequest, HttpRequest, HttpResponse};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::db::idempotency::{claim, complete, release, release_soon, Claim};
use crate::db::{write_transaction, AnyConnection};
use crate::error::{ApiError, PROBLEM_JSON};

use super::blocking::with_conn;
use super::AppState;

pub const HEADER: &str = "Idempotency-Key";

pub struct IdempotencyKey(pub String);

impl FromRequest for IdempotencyKey {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let value = req.headers().get(HEADER).map(|v| v.to_str().map(str::trim));
        ready(match value {
            None => Err(ApiError::bad_request(
                "idempotency_key_required",
                "Send an Idempotency-Key header (e.g. a UUID) with this request.",
            )),
            Some(Ok(k))
                if !k.is_empty() && k.len() <= 255 && k.bytes().all(|b| b.is_ascii_graphic()) =>
            {
                Ok(IdempotencyKey(k.to_string()))
            }
            Some(_) => Err(ApiError::bad_request(
                "invalid_idempotency_key",
                "The Idempotency-Key must be 1 to 255 visible ASCII characters.",
            )),
        })
    }
}

/// What identifies "the same request": method, path and the JSON body.
pub fn fingerprint(req: &HttpRequest, body: &Value) -> String {
    let mut hasher = Sha256::new();
    hasher.update(req.method().as_str());
    hasher.update(b" ");
    hasher.update(req.path());
    hasher.update(b"\n");
    hasher.update(body.to_string());
    hex::encode(hasher.finalize())
}

/// Runs `work` once per (user, key); answers `success` with its body.
pub async fn run<F>(
    state: &AppState,
    user_id: String,
    key: IdempotencyKey,
    fingerprint: String,
    success: StatusCode,
    work: F,
) -> Result<HttpResponse, ApiError>
where
    F: FnOnce(&mut AnyConnection) -> Result<Value, ApiError> + Send + 'static,
{
    let key = key.0;
    let pool = state.pool.clone();
    let (status, body, replayed) = with_conn(state, move |conn| {
        let token = match claim(conn, &user_id, &key, &fingerprint)? {
            Claim::Acquired { token } => token,
            Claim::Replay { status, body } => return Ok((status, body, true)),
            Claim::InProgress => return Err(ApiError::idempotency_in_progress()),
            Claim::Mismatch => return Err(ApiError::idempotency_mismatch()),
        };
        let lost_key = || {
            ApiError::conflict(
                "idempotency_in_progress",
                "This request took too long and another request with the same Idempotency-Key took over.",
            )
        };
        let outcome = write_transaction(conn, |conn| -> Result<String, ApiError> {
            let body = work(conn)?.to_string();
            if !complete(conn, &user_id, &key, token, success.as_u16(), &body)? {
                return Err(lost_key());
            }
            Ok(body)
        });
        match outcome {
            Ok(body) => Ok((success.as_u16(), body, false)),
            // Lost the key to a takeover: the other request answers for it.
            Err(e) if e.code == "idempotency_in_progress" => Err(e),
            Err(e) if e.status.is_client_error() => {
                let body = e.body().to_string();
                if complete(conn, &user_id, &key, token, e.status.as_u16(), &body).is_err() {
                    // The refusal could not be saved: free the key, so
                    // that a retry is refused (or served) afresh.
                    release_soon(&pool, &user_id, &key, token);
                }
                Err(e)
            }
            // Not done: let go of the key so that a retry runs. The
            // connection may be what failed, so another is used if need be.
            Err(e) => {
                if release(conn, &user_id, &key, token).is_err() {
                    release_soon(&pool, &user_id, &key, token);
                }
                Err(e)
            }
        }
    })
    .await?;
    Ok(respond(status, body, replayed))
}

/// The response for a saved (or just saved) answer.
pub fn respond(status: u16, body: String, replayed: bool) -> HttpResponse {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    let mut response = HttpResponse::build(status);
    response.content_type(if status.is_success() {
        "application/json"
    } else {
        PROBLEM_JSON
    });
    if replayed {
        response.insert_header(("Idempotent-Replayed", "true"));
    }
    response.body(body)
}
