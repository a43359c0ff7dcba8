//! Every HTTP answer, counted by route pattern and status and timed: a
//! middleware on the API server.

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::Error;

pub const REQUESTS: &str = "crowdfund_http_requests_total";
pub const REQUEST_DURATION: &str = "crowdfund_http_request_duration_seconds";
pub(super) const DURATION_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// The `route` of a request that matched no route: paths a client made up
/// never become labels (each would be a new series).
pub const UNMATCHED: &str = "unmatched";

pub(super) fn describe() {
    ::metrics::describe_counter!(
        REQUESTS,
        "HTTP requests answered, by method, route pattern (\"unmatched\" when none) and status."
    );
    ::metrics::describe_histogram!(
        REQUEST_DURATION,
        ::metrics::Unit::Seconds,
        "Time from a request's arrival to its answer's head, by method and route pattern."
    );
}

/// Counts and times the request, whichever layer inside answers it.
pub async fn record(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let started = Instant::now();
    // The pattern the path matches (`/api/v1/offerings/{id}`), never the
    // path itself: ids stay out of the labels.
    let route = req.match_pattern().unwrap_or_else(|| UNMATCHED.to_string());
    let method = method_label(req.method());
    let answer = next.call(req).await;
    let status = match &answer {
        Ok(response) => response.status(),
        Err(error) => error.as_response_error().status_code(),
    };
    ::metrics::counter!(
        REQUESTS,
        "method" => method,
        "route" => route.clone(),
        "status" => status.as_str().to_string(),
    )
    .increment(1);
    ::metrics::histogram!(REQUEST_DURATION, "method" => method, "route" => route)
        .record(started.elapsed().as_secs_f64());
    answer
}

/// The method, from a fixed set: any other a client sends is `OTHER`.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "OTHER",
    }
}
