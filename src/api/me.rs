//! The signed-in user's own account.

use actix_web::{web, HttpResponse};

use crate::error::ApiError;
use crate::services::accounts;

use super::blocking::with_conn;
use super::extractors::AuthUser;
use super::AppState;

pub async fn get_me(state: web::Data<AppState>, user: AuthUser) -> Result<HttpResponse, ApiError> {
    let view = with_conn(&state, move |conn| {
        accounts::me(conn, &user.id)?
            .ok_or_else(|| ApiError::unauthorized("invalid_token", "The account no longer exists."))
    })
    .await?;
    Ok(HttpResponse::Ok().json(view))
}
