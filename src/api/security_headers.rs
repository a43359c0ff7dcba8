//! Headers every answer carries, errors included: no MIME sniffing, no
//! referrer, never framed, nothing loaded on the API's behalf; and
//! `Cache-Control: no-store` on whatever carries tokens or personal data
//! (everything under `/api/v1/auth`, `/api/v1/me` and `/api/v1/operator`,
//! and any answer to a request that sent credentials), so neither a shared
//! cache nor the browser's disk keeps it. `Strict-Transport-Security` is
//! sent when the public URL is https.

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderMap, HeaderValue};
use actix_web::middleware::Next;
use actix_web::web;

use super::AppState;

const PRIVATE_PREFIXES: [&str; 3] = ["/api/v1/auth", "/api/v1/me", "/api/v1/operator"];

fn under(path: &str, prefix: &str) -> bool {
    path.strip_prefix(prefix)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

pub async fn add(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let private = PRIVATE_PREFIXES.iter().any(|p| under(req.path(), p))
        || req.headers().contains_key(header::AUTHORIZATION);
    let https = req
        .app_data::<web::Data<AppState>>()
        .is_some_and(|s| s.config.public_base_url.starts_with("https://"));
    let request = req.request().clone();
    // An error is rendered here, so that its answer carries the headers too.
    let mut res = match next.call(req).await {
        Ok(res) => res.map_into_left_body(),
        Err(error) => ServiceResponse::from_err(error, request).map_into_right_body(),
    };
    set(res.headers_mut(), private, https);
    Ok(res)
}

fn set(headers: &mut HeaderMap, private: bool, https: bool) {
    let fixed = [
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "no-referrer"),
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; frame-ancestors 'none'",
        ),
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
