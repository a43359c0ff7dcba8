//! The log span each request runs in, opened by tracing_actix_web's
//! `TracingLogger`. It carries our request id ([`super::request_id`]) and the
//! client address as [`super::client_ip`] resolves it; the crate's default span
//! would use its own id and believe any `Forwarded`/`X-Forwarded-For` header.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::USER_AGENT;
use actix_web::http::StatusCode;
use tracing::field::Empty;
use tracing::Span;
use tracing_actix_web::{DefaultRootSpanBuilder, RootSpanBuilder};

use super::client_ip::client_ip;
use super::request_id;

pub struct RequestSpan;

impl RootSpanBuilder for RequestSpan {
    fn on_request_start(request: &ServiceRequest) -> Span {
        let req = request.request();
        let request_id = request_id::current(req)
            .map(|id| id.to_string())
            .unwrap_or_default();
        let client_ip = client_ip(req).map(|ip| ip.to_string()).unwrap_or_default();
        let user_agent = request
            .headers()
            .get(USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        tracing::info_span!(
            "HTTP request",
            http.method = %request.method(),
            http.target = %request.uri().path_and_query().map(|p| p.as_str()).unwrap_or(""),
            http.client_ip = %client_ip,
            http.user_agent = %user_agent,
            http.status_code = Empty,
            otel.status_code = Empty,
            request_id = %request_id,
            exception.message = Empty,
            exception.details = Empty,
        )
    }

    fn on_request_end<B: MessageBody>(
        span: Span,
        outcome: &Result<ServiceResponse<B>, actix_web::Error>,
    ) {
        // Records the status and any error into the fields declared above.
        DefaultRootSpanBuilder::on_request_end(span.clone(), outcome);
        let _entered = span.enter();
        let failed = match outcome {
            Ok(response) => response
                .response()
                .error()
                .map(|e| (response.status(), e.to_string())),
            Err(e) => Some((e.as_response_error().status_code(), e.to_string())),
        };
        match failed {
            Some((status, error)) if status.is_client_error() => {
                tracing::warn!(%error, "request refused");
            }
            // The database away, busy or full, or an overload: expected in
            // an outage, and logged with its cause where it was met.
            Some((StatusCode::SERVICE_UNAVAILABLE, _)) => {}
            Some((_, error)) => tracing::error!(%error, "request failed"),
            None => {}
        }
    }
}
