//! The signed-in user's own account.

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use crate::domain::Password;
use crate::error::ApiError;
use crate::i18n::Text;
use crate::services::accounts::{self, Caller, LanguageChoice, PasswordChange};
use crate::services::rate_limits::Attempt;

use super::blocking::with_conn;
use super::extractors::{AuthUser, ClientIp};
use super::json_object::Object;
use super::language::{parse_locale, parse_time_zone};
use super::AppState;

pub async fn get_me(state: web::Data<AppState>, user: AuthUser) -> Result<HttpResponse, ApiError> {
    let app = state.clone();
    let view = with_conn(&state, move |conn| {
        accounts::me(conn, &user.id, &app.config.language)?.ok_or_else(gone)
    })
    .await?;
    Ok(HttpResponse::Ok().json(view))
}

fn gone() -> ApiError {
    ApiError::unauthorized(
        "invalid_token",
        Text::new("problem-invalid_token-account_gone"),
    )
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LanguageFields {
    #[serde(default)]
    locale: Option<String>,
    #[serde(default)]
    time_zone: Option<String>,
}

/// `PATCH /api/v1/me`: the language and time zone the caller reads their
/// emails (and problems) in; what is not given stays as it is (an empty
/// body changes nothing and answers the account).
pub async fn choose_language(
    state: web::Data<AppState>,
    user: AuthUser,
    body: web::Json<Object<LanguageFields>>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner().0;
    let choice = LanguageChoice {
        locale: body
            .locale
            .as_deref()
            .map(|l| parse_locale("locale", l))
            .transpose()?,
        time_zone: body
            .time_zone
            .as_deref()
            .map(|z| parse_time_zone("time_zone", z))
            .transpose()?,
    };
    let app = state.clone();
    let view = with_conn(&state, move |conn| {
        accounts::choose_language(conn, &user.id, &choice, &app.config.language)?.ok_or_else(gone)
    })
    .await?;
    Ok(HttpResponse::Ok().json(view))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PasswordBody {
    current_password: String,
    new_password: String,
}

/// `POST /api/v1/me/password`: the current password for a new one; every
/// other session of the account ends, this one stays.
pub async fn change_password(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: AuthUser,
    ip: ClientIp,
    body: web::Json<PasswordBody>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    if body.current_password.chars().count() > 1024 {
        return Err(ApiError::invalid_field(
            "current_password",
            Text::new("problem-invalid_field-current_password_long"),
        ));
    }
    let new = Password::parse("new_password", body.new_password)?;
    let caller = Caller {
        user_id: user.id,
        session_id: user.session_id,
        request_id: super::audit::request_id(&req),
    };
    let app = state.clone();
    let ended = with_conn(&state, move |conn| {
        // Guesses at the current password are held to the sign-in rate.
        let attempt = Attempt::Login { client_ip: &ip.0 };
        app.config.rate_limits.hit(conn, attempt)?;
        let change = PasswordChange {
            current: &body.current_password,
            new: &new,
            client_ip: &ip.0,
        };
        Ok(accounts::change_password(
            conn,
            &caller,
            &change,
            &app.config.lockout,
            &app.revocations,
        )?)
    })
    .await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "sessions_ended": ended })))
}
