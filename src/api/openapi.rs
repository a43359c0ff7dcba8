//! The API contract, served as written.

use actix_web::HttpResponse;

pub const SPEC: &str = include_str!("../../openapi.yaml");

pub async fn spec() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/yaml")
        .body(SPEC)
}
