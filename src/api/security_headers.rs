//! Headers every answer carries, errors included: no MIME sniffing, no
//! referrer, never framed, nothing loaded on the API's behalf; and
//! `Cache-Control: no-store` on whatever carries tokens or personal data
//! (everything under `/api/v1/auth`, `/api/v1/me` and `/api/v1/operator`,
//! and any answer to a request that sent credentials), so neither a shared
//! cache nor the browser's disk keeps it. `Strict-Transport-Security` is
//! sent when the public URL is https. The operator console (`/console`)
//! gets its own Content-Security-Policy, which lets its own files run.

use std::fmt;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderMap, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::middleware::Next;
use actix_web::{web, HttpResponse, ResponseError};

use super::AppState;

const PRIVATE_PREFIXES: [&str; 3] = ["/api/v1/auth", "/api/v1/me", "/api/v1/operator"];

fn under(path: &str, prefix: &str) -> bool {
    path.strip_prefix(prefix)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

pub async fn add(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let kind = Kind {
        console: under(req.path(), crate::console::PREFIX),
        private: PRIVATE_PREFIXES.iter().any(|p| under(req.path(), p))
            || req.headers().contains_key(header::AUTHORIZATION),
        https: req
            .app_data::<web::Data<AppState>>()
            .is_some_and(|s| s.config.public_base_url.starts_with("https://")),
    };
    match next.call(req).await {
        Ok(mut res) => {
            set(res.headers_mut(), kind);
            Ok(res)
        }
        Err(error) => Err(Hardened { error, kind }.into()),
    }
}

/// Which headers an answer gets beyond the fixed ones.
#[derive(Debug, Clone, Copy)]
struct Kind {
    console: bool,
    private: bool,
    https: bool,
}

/// An error that left the inner services unrendered: rendered as it would
/// have been, with the headers added. (The request cannot be kept to render
/// it here: the router needs it unshared.)
#[derive(Debug)]
struct Hardened {
    error: actix_web::Error,
    kind: Kind,
}

impl fmt::Display for Hardened {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.error, f)
    }
}

impl ResponseError for Hardened {
    fn status_code(&self) -> StatusCode {
        self.error.as_response_error().status_code()
    }

    fn error_response(&self) -> HttpResponse {
        let mut res = self.error.error_response();
        set(res.headers_mut(), self.kind);
        res
    }
}

fn set(
    headers: &mut HeaderMap,
    Kind {
        console,
        private,
        https,
    }: Kind,
) {
    let policy = if console {
        crate::console::CONTENT_SECURITY_POLICY
    } else {
        "default-src 'none'; frame-ancestors 'none'"
    };
    let fixed = [
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::CONTENT_SECURITY_POLICY, policy),
        (header::X_FRAME_OPTIONS, "DENY"),
    ];
    for (name, value) in fixed {
        headers.insert(name, HeaderValue::from_static(value));
    }
    if private {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if https {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::under;

    #[test]
    fn prefixes_match_whole_segments() {
        assert!(under("/api/v1/me", "/api/v1/me"));
        assert!(under("/api/v1/me/account", "/api/v1/me"));
        assert!(!under("/api/v1/meetings", "/api/v1/me"));
        assert!(!under("/api/v1/offerings", "/api/v1/me"));
    }
}
