//! Turning every failure actix itself produces (bad JSON, wrong content type,
//! oversized body, unknown route, wrong method) into problem+json.

use actix_web::body::EitherBody;
use actix_web::body::MessageBody;
use actix_web::dev::ServiceResponse;
use actix_web::error::{JsonPayloadError, PathError, QueryPayloadError};
use actix_web::http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use actix_web::http::StatusCode;
use actix_web::middleware::{ErrorHandlerResponse, ErrorHandlers};
use actix_web::{web, HttpRequest, HttpResponse};

use crate::error::{ApiError, Problem, PROBLEM_JSON};
use crate::i18n::{Locale, Text};

/// Largest JSON body accepted, but for offerings.
pub const JSON_LIMIT: usize = 64 * 1024;

/// Largest offering (create or patch): every field at its longest (20,000
/// characters of description and 1,200 of title and summary), even when
/// each character is written as a JSON escaped surrogate pair (12 bytes).
pub const OFFERING_JSON_LIMIT: usize = 256 * 1024;

pub fn json_config() -> web::JsonConfig {
    json_config_with_limit(JSON_LIMIT)
}

pub fn json_config_with_limit(limit: usize) -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(limit)
        .error_handler(|err, _req| json_error(err).into())
}

pub fn path_config() -> web::PathConfig {
    web::PathConfig::default().error_handler(|err: PathError, _req| {
        ApiError::not_found(
            Text::new("problem-not_found-path_segment").text("error", err.to_string()),
        )
        .into()
    })
}

pub fn query_config() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|err: QueryPayloadError, _req| {
        ApiError::bad_request(
            "invalid_query",
            Text::new("problem-invalid_query-query_string").text("error", err.to_string()),
        )
        .into()
    })
}

fn json_error(err: JsonPayloadError) -> ApiError {
    match err {
        JsonPayloadError::ContentType => ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            Text::new("problem-unsupported_media_type-json"),
        ),
        JsonPayloadError::Overflow { limit }
        | JsonPayloadError::OverflowKnownLength { limit, .. } => ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            Text::new("problem-payload_too_large-json").number("limit", limit as i64),
        ),
        JsonPayloadError::Deserialize(e) if e.is_data() => ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
            Text::new("problem-invalid_body-shape").text("error", e.to_string()),
        ),
        JsonPayloadError::Deserialize(e) => ApiError::bad_request(
            "malformed_json",
            Text::new("problem-malformed_json").text("error", e.to_string()),
        ),
        other => ApiError::bad_request(
            "bad_request",
            Text::new("problem-bad_request-unreadable").text("error", other.to_string()),
        ),
    }
}

/// Answer for paths no route matches.
pub async fn route_not_found(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    Err(ApiError::new(
        StatusCode::NOT_FOUND,
        "route_not_found",
        Text::new("problem-route_not_found-path").text("path", req.path()),
    ))
}

/// Rewrites any error response that is not problem+json yet.
pub fn error_handlers<B: 'static>() -> ErrorHandlers<B> {
    ErrorHandlers::new().default_handler(problemize)
}

fn problemize<B>(res: ServiceResponse<B>) -> actix_web::Result<ErrorHandlerResponse<B>> {
    let already = res
        .headers()
        .get(CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(PROBLEM_JSON.as_bytes()));
    if already {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    }
    let status = res.status();
    let (code, detail) = match status {
        StatusCode::NOT_FOUND => ("route_not_found", "problem-route_not_found-any"),
        StatusCode::METHOD_NOT_ALLOWED => ("method_not_allowed", "problem-method_not_allowed"),
        StatusCode::PAYLOAD_TOO_LARGE => ("payload_too_large", "problem-payload_too_large-any"),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => (
            "unsupported_media_type",
            "problem-unsupported_media_type-any",
        ),
        s if s.is_server_error() => ("internal_error", "problem-internal_error"),
        _ => ("bad_request", "problem-bad_request-any"),
    };
    let problem = Problem {
        status,
        code,
        detail: Text::new(detail),
        extra: Default::default(),
    };
    // Keep what middleware added (CORS, Allow, Retry-After); replace the body.
    let headers = res.headers().clone();
    let (req, _) = res.into_parts();
    let mut builder = HttpResponse::build(status);
    for (name, value) in headers.iter() {
        if name != CONTENT_TYPE && name != CONTENT_LENGTH {
            builder.append_header((name.clone(), value.clone()));
        }
    }
    builder.insert_header((CONTENT_TYPE, PROBLEM_JSON));
    let mut response = builder.body(problem.body(Locale::En).to_string());
    response.extensions_mut().insert(problem);
    let response: ServiceResponse<EitherBody<B>> =
        ServiceResponse::new(req, response).map_into_right_body();
    Ok(ErrorHandlerResponse::Response(response))
}

/// Writes every problem in the language the request asks for: the first
/// supported one of its `Accept-Language`, else the deployment's
/// `DEFAULT_LOCALE`. The answer's `code` and figures stay as they are; its
/// `title` and `detail` are written again from the [`Problem`] the answer
/// carries. Answers that are not problems pass untouched.
pub async fn localize(
    req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody, String>>, actix_web::Error> {
    let fallback = req
        .app_data::<web::Data<crate::api::AppState>>()
        .map_or(Locale::En, |s| s.config.language.locale);
    let locale = super::language::AcceptLanguage::of(req.request())
        .0
        .unwrap_or(fallback);
    match next.call(req).await {
        Ok(res) => Ok(rewrite(res, locale)),
        Err(error) => Err(Localized { error, locale }.into()),
    }
}

fn rewrite<B>(res: ServiceResponse<B>, locale: Locale) -> ServiceResponse<EitherBody<B, String>> {
    let problem = match locale {
        Locale::En => None,
        _ => res.response().extensions().get::<Problem>().cloned(),
    };
    match problem {
        Some(problem) => res.map_body(|head, _| {
            head.headers.remove(CONTENT_LENGTH);
            EitherBody::right(problem.body(locale).to_string())
        }),
        None => res.map_into_left_body(),
    }
}

/// An error that left the inner services unrendered, rendered as it
/// would have been, in the request's language.
#[derive(Debug)]
struct Localized {
    error: actix_web::Error,
    locale: Locale,
}

impl std::fmt::Display for Localized {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(&self.error, f)
    }
}

impl actix_web::ResponseError for Localized {
    fn status_code(&self) -> StatusCode {
        self.error.as_response_error().status_code()
    }

    fn error_response(&self) -> HttpResponse {
        let res = self.error.error_response();
        let problem = match self.locale {
            Locale::En => None,
            locale => res
                .extensions()
                .get::<Problem>()
                .map(|p| p.body(locale).to_string()),
        };
        match problem {
            Some(body) => res.set_body(body).map_into_boxed_body(),
            None => res,
        }
    }
}

/// Refuses control characters in the path or query (percent-encoded: the
/// HTTP parser already refuses them raw) before any handler sees them: no
/// identifier, search text or cursor legitimately contains one, and
/// PostgreSQL refuses NUL in text. The one check for every path id and
/// query value; cursors, which carry text inside them, are checked when
/// they are decoded (`db::page::Cursor::decode`).
pub async fn reject_control_characters(
    req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody>,
) -> Result<ServiceResponse<impl actix_web::body::MessageBody>, actix_web::Error> {
    let uri = req.uri();
    if has_encoded_control(uri.path()) || uri.query().is_some_and(has_encoded_control) {
        return Err(ApiError::bad_request(
            "invalid_characters",
            Text::new("problem-invalid_characters"),
        )
        .into());
    }
    next.call(req).await
}

/// Whether `s`, percent-decoded, holds a control character: C0, DEL or C1
/// (U+0080..U+009F, `%C2%80` and up).
fn has_encoded_control(s: &str) -> bool {
    let bytes = s.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = (bytes[i] == b'%')
            .then(|| bytes.get(i + 1..i + 3))
            .flatten()
            .filter(|h| h.iter().all(u8::is_ascii_hexdigit))
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match escaped {
            Some(b) => {
                decoded.push(b);
                i += 3;
            }
            None => {
                decoded.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&decoded)
        .chars()
        .any(char::is_control)
}

/// An identifier named in a request body (an id, a bank transaction id, a
/// reference): 1 to 100 printable characters, or 422 `invalid_field`. A
/// control character would reach the database, which refuses some outright.
pub fn check_identifier(field: &str, value: &str) -> Result<(), ApiError> {
    if value.trim().is_empty() || value.len() > 100 || value.chars().any(char::is_control) {
        return Err(ApiError::invalid_field(
            field,
            Text::new("problem-invalid_field-identifier").text("field", field),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::has_encoded_control;

    #[test]
    fn finds_encoded_control_characters() {
        assert!(has_encoded_control("/api/v1/offerings/%00"));
        assert!(has_encoded_control("q=a%0ab"));
        assert!(has_encoded_control("q=%7F"));
        assert!(has_encoded_control("/api/v1/offerings/a%C2%85b"));
        assert!(!has_encoded_control("/api/v1/offerings/%C3%A9%E2%80%AE"));
        assert!(!has_encoded_control("q=solar%20farm&x=%C3%A9"));
        assert!(!has_encoded_control("q=100%"));
        assert!(!has_encoded_control("q=%+1"));
    }
}
