//! The request's id: the one in its log span, its audit records and its
//! `X-Request-Id` response header.
//!
//! A caller (or a proxy in front of us) may send `X-Request-Id` to tie our
//! records to its own; a well-formed one is kept, anything else is replaced by
//! a fresh UUID. The id is a correlation handle chosen by the caller, not proof
//! of anything.
//!
//! tracing_actix_web also files a `RequestId` of its own in every request, but
//! that one is always a fresh UUID and cannot carry an id given upstream, so it
//! is not used: [`assign`] files ours, and [`current`] is where everything else
//! reads it.

use std::fmt;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::middleware::Next;
use actix_web::{HttpMessage, HttpRequest, HttpResponse, ResponseError};

pub const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The longest id accepted from a caller.
pub const MAX_LEN: usize = 64;

#[derive(Clone, Debug, PartialEq)]
pub struct RequestId(String);

impl RequestId {
    /// An id from a caller: 1 to 64 characters of `A-Z a-z 0-9 . _ : -`,
    /// which covers UUIDs, ULIDs and hex trace ids, and is safe in a log line,
    /// a header and a CSV cell.
    pub fn parse(raw: &str) -> Option<Self> {
        let ok = (1..=MAX_LEN).contains(&raw.len())
            && raw
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b':' | b'-'));
        ok.then(|| Self(raw.to_string()))
    }

    pub fn generate() -> Self {
        Self(uuid::Uuid::new_v4().to_string())
    }

    /// The caller's id if there is exactly one and it is well-formed.
    fn from_request(req: &ServiceRequest) -> Option<Self> {
        let mut values = req.headers().get_all(X_REQUEST_ID);
        let value = values.next()?;
        if values.next().is_some() {
            return None;
        }
        value.to_str().ok().and_then(Self::parse)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The id [`assign`] gave this request.
pub fn current(req: &HttpRequest) -> Option<RequestId> {
    req.extensions().get::<RequestId>().cloned()
}

/// Outermost middleware: gives the request its id before anything else runs
/// (the log span is opened with it) and puts it on whatever answer comes back,
/// errors included.
pub async fn assign(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let id = RequestId::from_request(&req).unwrap_or_else(RequestId::generate);
    let value = HeaderValue::from_str(id.as_str()).ok();
    req.extensions_mut().insert(id);
    match (next.call(req).await, value) {
        (Ok(mut res), Some(value)) => {
            res.headers_mut().insert(X_REQUEST_ID, value);
            Ok(res)
        }
        (Err(error), Some(value)) => Err(Tagged { error, value }.into()),
        (outcome, None) => outcome,
    }
}

/// An error that left the inner services unrendered: it is rendered as it
/// would have been, with the id added. (The request is gone by then, so the
/// answer cannot be built here as a `ServiceResponse`.)
#[derive(Debug)]
struct Tagged {
    error: actix_web::Error,
    value: HeaderValue,
}

impl fmt::Display for Tagged {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.error, f)
    }
}

impl ResponseError for Tagged {
    fn status_code(&self) -> StatusCode {
        self.error.as_response_error().status_code()
    }

    fn error_response(&self) -> HttpResponse {
        let mut res = self.error.error_response();
        res.headers_mut().insert(X_REQUEST_ID, self.value.clone());
        res
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_well_formed_ids_only() {
        for good in [
            "a",
            "0190b7e2-9f1c-7a3e-8d4f-2b6c1e0a9d55",
            "01J8ZK3V6Q8R9S0T1U2V3W4X5Y",
            "edge:trace.7_c-1",
            &"x".repeat(MAX_LEN),
        ] {
            assert_eq!(RequestId::parse(good).map(|id| id.0), Some(good.into()));
        }
        for bad in [
            "",
            &"x".repeat(MAX_LEN + 1),
            "has space",
            "semi;colon",
            "new\nline",
            "quote\"",
            "é",
            "a/b",
        ] {
            assert!(RequestId::parse(bad).is_none(), "{bad:?}");
        }
    }

    #[test]
    fn generated_ids_are_well_formed() {
        let id = RequestId::generate();
        assert_eq!(RequestId::parse(id.as_str()), Some(id));
    }
}
