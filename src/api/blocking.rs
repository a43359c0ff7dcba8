//! Running database work off the async workers.

use actix_web::web;

use crate::db::AnyConnection;
use crate::error::ApiError;

use super::AppState;

/// Checks out a connection and runs `f` on the blocking thread pool, so that
/// neither the pool wait nor diesel nor argon2 ever stalls an actix worker.
pub async fn with_conn<T, F>(state: &AppState, f: F) -> Result<T, ApiError>
where
    F: FnOnce(&mut AnyConnection) -> Result<T, ApiError> + Send + 'static,
    T: Send + 'static,
{
    let pool = state.pool.clone();
    web::block(move || {
        let mut conn = pool.get()?;
        f(&mut conn)
    })
    .await?
}
