//! Liveness and readiness.

use actix_web::{web, HttpResponse};
use diesel::connection::SimpleConnection;
use serde_json::json;

use crate::db::Fault;
use crate::error::ApiError;
use crate::i18n::Text;

use super::blocking::with_conn;
use super::AppState;

/// The process is up.
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({"status": "ok"}))
}

/// The database answers: 503 `database_unavailable` while it does not,
/// within a quarter of a second when it is known to be away.
pub async fn readyz(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let backend = state.config.database_url.backend_name();
    with_conn(&state, |conn| {
        conn.batch_execute("SELECT 1").map_err(ApiError::from)
    })
    .await
    .map_err(|e| {
        let mut not_ready =
            ApiError::fault(Fault::Unavailable, anyhow::anyhow!("{e}")).with("check", "database");
        not_ready.detail = Text::new("problem-database_unavailable-not_ready");
        not_ready
    })?;
    Ok(HttpResponse::Ok().json(json!({"status": "ready", "database": backend})))
}
