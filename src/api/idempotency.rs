//! `Idempotency-Key` on money-moving requests: a replay returns the first
//! response; the same key with another body is refused (422); a replay while
//! the first request still runs is refused (409).
//!
//! The key, the work and its saved response commit together in one
//! transaction (the protocol the write pipeline's batches follow too, see
//! [`crate::db::idempotency`]): a response is never saved for work that did
//! not happen, nor work done without its response saved. A refusal (4xx) is
//! saved too, with the work's own changes rolled back; a failure on our side
//! (5xx) rolls everything back, the claim with it, so a retry runs afresh.

use std::future::{ready, Ready};

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::{FromRequest, HttpRequest, HttpResponse};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::db::idempotency::{claim_one, complete_many, Claim};
use crate::db::{write_transaction, AnyConnection};
use crate::error::{ApiError, PROBLEM_JSON};
use crate::i18n::Text;

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
                Text::new("problem-idempotency_key_required"),
            )),
            Some(Ok(k))
                if !k.is_empty() && k.len() <= 255 && k.bytes().all(|b| b.is_ascii_graphic()) =>
            {
                Ok(IdempotencyKey(k.to_string()))
            }
            Some(_) => Err(ApiError::bad_request(
                "invalid_idempotency_key",
                Text::new("problem-invalid_idempotency_key"),
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
    let answer = with_conn(state, move |conn| {
        write_transaction(conn, |conn| -> Result<Result<Answer, ApiError>, ApiError> {
            match claim_one(conn, &user_id, &key, &fingerprint)? {
                Claim::Acquired => {}
                Claim::Replay { status, body } => {
                    return Ok(Ok(Answer {
                        status,
                        body,
                        replayed: true,
                    }))
                }
                Claim::InProgress => return Ok(Err(ApiError::idempotency_in_progress())),
                Claim::Mismatch => return Ok(Err(ApiError::idempotency_mismatch())),
            }
            // A savepoint: a refusal undoes the work, not the claim.
            let (status, body, outcome) = match write_transaction(conn, work) {
                Ok(value) => {
                    let body = value.to_string();
                    let answer = Answer {
                        status: success.as_u16(),
                        body: body.clone(),
                        replayed: false,
                    };
                    (success.as_u16(), body, Ok(answer))
                }
                Err(refusal) if refusal.status.is_client_error() => (
                    refusal.status.as_u16(),
                    refusal.body().to_string(),
                    Err(refusal),
                ),
                // Not done: nothing of it stays, the claim included.
                Err(failure) => return Err(failure),
            };
            complete_many(conn, &[(&user_id, &key, status, &body)])?;
            Ok(outcome)
        })
    })
    .await??;
    Ok(respond(answer.status, answer.body, answer.replayed, None))
}

/// What a keyed request is answered: its own success or a saved one.
struct Answer {
    status: u16,
    body: String,
    replayed: bool,
}

/// The response for a saved (or just saved) answer: a refusal given as
/// data (`problem`) is written again in the request's language by
/// `problems::localize`; a saved body is sent as it was saved.
pub fn respond(
    status: u16,
    body: String,
    replayed: bool,
    problem: Option<crate::error::Problem>,
) -> HttpResponse {
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
    let mut response = response.body(body);
    if let Some(problem) = problem {
        response.extensions_mut().insert(problem);
    }
    response
}
