//! The one application error type, rendered as RFC 9457 `application/problem+json`.
//!
//! Every error a client sees has `type`, `title`, `status`, `detail` and a stable
//! machine-readable `code`, plus any figures the client needs (`extra`). Internal
//! causes are logged with the request's span and never sent to the client.

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde_json::{Map, Value};

use crate::db::{CheckoutError, Fault};
use crate::i18n::{Locale, Text};

pub const PROBLEM_JSON: &str = "application/problem+json";

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    /// Written in the reader's language when the answer is sent.
    pub detail: Text,
    pub extra: Map<String, Value>,
    /// Seconds, for 429/423/503 answers.
    pub retry_after: Option<u64>,
    /// Logged, never shown.
    pub source: Option<anyhow::Error>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, detail: impl Into<Text>) -> Self {
        Self {
            status,
            code,
            detail: detail.into(),
            extra: Map::new(),
            retry_after: None,
            source: None,
        }
    }

    /// Adds a figure the client needs (`remaining_shares`, `field`, ...).
    pub fn with(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.extra.insert(key.to_string(), value.into());
        self
    }

    pub fn retry_after(mut self, seconds: u64) -> Self {
        self.retry_after = Some(seconds.max(1));
        self
    }

    pub fn bad_request(code: &'static str, detail: impl Into<Text>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, detail)
    }

    /// A field that parsed but is not acceptable; names the field.
    pub fn invalid_field(field: &str, detail: impl Into<Text>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_field", detail).with("field", field)
    }

    pub fn unauthorized(code: &'static str, detail: impl Into<Text>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, code, detail)
    }

    pub fn forbidden(detail: impl Into<Text>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", detail)
    }

    pub fn not_found(detail: impl Into<Text>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", detail)
    }

    pub fn conflict(code: &'static str, detail: impl Into<Text>) -> Self {
        Self::new(StatusCode::CONFLICT, code, detail)
    }

    /// An Idempotency-Key sent again with another request.
    pub fn idempotency_mismatch() -> Self {
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "idempotency_key_mismatch",
            Text::new("problem-idempotency_key_mismatch"),
        )
    }

    /// An Idempotency-Key whose first request is still being processed.
    pub fn idempotency_in_progress() -> Self {
        Self::conflict(
            "idempotency_in_progress",
            Text::new("problem-idempotency_in_progress"),
        )
    }

    /// Something went wrong on our side; the cause goes to the log only.
    /// A cause that is the database's state (away, busy, full, read-only)
    /// is answered as that fault, whatever path it took here.
    pub fn internal(source: impl Into<anyhow::Error>) -> Self {
        let source = source.into();
        if let Some(fault) = fault_in(&source) {
            return Self::fault(fault, source);
        }
        let mut e = Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            Text::new("problem-internal_error"),
        );
        e.source = Some(source);
        e
    }

    pub fn unavailable(source: impl Into<anyhow::Error>) -> Self {
        let mut e = Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "service_unavailable",
            Text::new("problem-service_unavailable"),
        )
        .retry_after(2);
        e.source = Some(source.into());
        e
    }

    /// The problem in English.
    pub fn body(&self) -> Value {
        self.problem().body(Locale::En)
    }

    /// What the answer says, to be written in the reader's language.
    pub fn problem(&self) -> Problem {
        Problem {
            status: self.status,
            code: self.code,
            detail: self.detail.clone(),
            extra: self.extra.clone(),
        }
    }
}

/// A problem as data: kept in the extensions of the response that carries
/// it, so that the body can be written again in the language the request
/// asks for (`api::problems::localize`).
#[derive(Debug, Clone)]
pub struct Problem {
    pub status: StatusCode,
    pub code: &'static str,
    pub detail: Text,
    pub extra: Map<String, Value>,
}

impl Problem {
    /// The problem+json document in `locale`: `title` and `detail` in its
    /// words, `code` and the figures as they are.
    pub fn body(&self, locale: Locale) -> Value {
        problem_body(
            self.status,
            self.code,
            &title(self.status, locale),
            &self.detail.in_locale(locale),
            &self.extra,
        )
    }
}

/// The title of a status in `locale` (`problem-title-404`); the status's
/// reason phrase for one the files do not name.
pub fn title(status: StatusCode, locale: Locale) -> String {
    let key = format!("problem-title-{}", status.as_u16());
    crate::i18n::text(locale, &key, &crate::i18n::Args::new())
        .unwrap_or_else(|_| status.canonical_reason().unwrap_or("Error").to_string())
}

/// The problem+json document for a status and code.
pub fn problem_body(
    status: StatusCode,
    code: &str,
    title: &str,
    detail: &str,
    extra: &Map<String, Value>,
) -> Value {
    let mut body = Map::new();
    body.insert(
        "type".into(),
        Value::String(format!("https://crowdfund.dev/problems/{code}")),
    );
    body.insert("title".into(), Value::String(title.to_string()));
    body.insert("status".into(), Value::from(status.as_u16()));
    body.insert("detail".into(), Value::String(detail.to_string()));
    body.insert("code".into(), Value::String(code.to_string()));
    for (k, v) in extra {
        body.entry(k.clone()).or_insert_with(|| v.clone());
    }
    Value::Object(body)
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}: {}", self.status.as_u16(), self.code, self.detail)
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        if let Some(source) = &self.source {
            if self.status == StatusCode::INTERNAL_SERVER_ERROR {
                tracing::error!(code = self.code, error = ?source, "request failed");
            } else if self.status.is_server_error() {
                // A fault of the database or an overload: expected, and
                // logged where it is noticed (see `db::health`).
                tracing::warn!(code = self.code, error = %source, "request not served");
            } else {
                tracing::warn!(code = self.code, error = ?source, "request refused");
            }
        }
        let mut response = HttpResponse::build(self.status);
        response.insert_header((header::CONTENT_TYPE, PROBLEM_JSON));
        if let Some(secs) = self.retry_after {
            response.insert_header((header::RETRY_AFTER, HeaderValue::from(secs)));
        }
        if self.status == StatusCode::UNAUTHORIZED {
            response.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
        }
        let problem = self.problem();
        let body = problem.body(Locale::En).to_string();
        response.extensions_mut().insert(problem);
        response.body(body)
    }
}

impl From<diesel::result::Error> for ApiError {
    fn from(e: diesel::result::Error) -> Self {
        match e {
            diesel::result::Error::NotFound => {
                ApiError::not_found(Text::new("problem-not_found-no_such_resource"))
            }
            other => ApiError::internal(other),
        }
    }
}

impl ApiError {
    /// The 503 for a fault of the database. Whatever the request was, it was
    /// applied whole or not at all; a write sent with an Idempotency-Key
    /// can be sent again with the same key to find out which.
    pub fn fault(fault: Fault, source: impl Into<anyhow::Error>) -> Self {
        let (code, detail, retry) = match fault {
            Fault::Unavailable => (
                "database_unavailable",
                Text::new("problem-database_unavailable-retry"),
                2,
            ),
            Fault::Busy => ("database_busy", Text::new("problem-database_busy"), 1),
            Fault::StorageFull => ("storage_full", Text::new("problem-storage_full"), 30),
            Fault::ReadOnly => (
                "database_read_only",
                Text::new("problem-database_read_only"),
                30,
            ),
        };
        let mut e = Self::new(StatusCode::SERVICE_UNAVAILABLE, code, detail).retry_after(retry);
        e.source = Some(source.into());
        e
    }
}

/// The database fault anywhere in an error's chain of causes.
fn fault_in(error: &anyhow::Error) -> Option<Fault> {
    error.chain().find_map(|cause| {
        if let Some(e) = cause.downcast_ref::<diesel::result::Error>() {
            return Fault::of(e);
        }
        match cause.downcast_ref::<CheckoutError>() {
            Some(CheckoutError::Unreachable(_)) => Some(Fault::Unavailable),
            _ => None,
        }
    })
}

impl From<CheckoutError> for ApiError {
    fn from(e: CheckoutError) -> Self {
        match e {
            CheckoutError::Unreachable(_) => Self::fault(Fault::Unavailable, e),
            CheckoutError::Exhausted => {
                let mut busy = Self::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "overloaded",
                    Text::new("problem-overloaded-connections"),
                )
                .retry_after(1);
                busy.source = Some(e.into());
                busy
            }
        }
    }
}

impl From<actix_web::error::BlockingError> for ApiError {
    fn from(e: actix_web::error::BlockingError) -> Self {
        ApiError::internal(anyhow::anyhow!("blocking task failed: {e}"))
    }
}
