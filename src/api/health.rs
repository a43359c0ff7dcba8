//! Liveness and readiness.

use actix_web::{web, HttpResponse};
use diesel::connection::SimpleConnection;
use serde_json::json;

use crate::error::ApiError;

use super::blocking::with_conn;
use super::AppState;

/// The process is up.
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({"status": "ok"}))
}

/// The database answers.
pub async fn readyz(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let backend = state.config.database_url.backend_name();
    with_conn(&state, |conn| {
        conn.batch_execute("SELECT 1")
            .map_err(|e| ApiError::unavailable(e).with("check", "database"))
    })
    .await
    .map_err(|mut e| {
        e.code = "database_unavailable";
        e.detail = "The database does not answer.".into();
        e
    })?;
    Ok(HttpResponse::Ok().json(json!({"status": "ready", "database": backend})))
}
