//! `/api/v1/auth/*`: sign-up, verification, sign-in, sessions, password reset.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::json;

use crate::domain::{DisplayName, Email, FieldError, Password, Role};
use crate::error::ApiError;
use crate::services::accounts::{self, AccountError, Registration, SessionSettings};

use super::blocking::with_conn;
use super::extractors::ClientIp;
use super::AppState;

impl From<FieldError> for ApiError {
    fn from(e: FieldError) -> Self {
        ApiError::invalid_field(e.field, format!("{} {}", e.field, e.message))
    }
}

impl From<AccountError> for ApiError {
    fn from(e: AccountError) -> Self {
        let detail = e.to_string();
        match e {
            AccountError::EmailTaken => ApiError::conflict("email_taken", detail),
            AccountError::InvalidCredentials => {
                ApiError::unauthorized("invalid_credentials", detail)
            }
            AccountError::Locked { retry_after_secs } => ApiError::new(
                StatusCode::LOCKED,
                "account_locked",
                "Too many failed logins: the account is locked for a while.",
            )
            .retry_after(retry_after_secs),
            AccountError::RateLimited { retry_after_secs } => ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                "Too many login attempts from this address. Try again later.",
            )
            .retry_after(retry_after_secs),
            AccountError::InvalidToken => ApiError::unauthorized("invalid_token", detail),
            AccountError::RefreshTokenReused => {
                ApiError::unauthorized("refresh_token_reused", detail)
            }
            AccountError::Database(e) => ApiError::from(e),
            AccountError::Internal(e) => ApiError::internal(e),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegisterBody {
    email: String,
    password: String,
    display_name: String,
    role: String,
}

pub async fn register(
    state: web::Data<AppState>,
    body: web::Json<RegisterBody>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let role = match body.role.parse::<Role>() {
        Ok(role) if role.self_service() => role,
        _ => {
            return Err(ApiError::invalid_field(
                "role",
                "role must be 'investor' or 'sponsor'",
            ))
        }
    };
    let registration = Registration {
        email: Email::parse(&body.email)?,
        password: Password::parse("password", body.password)?,
        display_name: DisplayName::parse(&body.display_name)?,
        role,
    };
    let base = state.config.public_base_url.clone();
    let account = with_conn(&state, move |conn| {
        Ok(accounts::register(conn, registration, &base)?)
    })
    .await?;
    Ok(HttpResponse::Created().json(account))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenBody {
    token: String,
}

pub async fn verify_email(
    state: web::Data<AppState>,
    body: web::Json<TokenBody>,
) -> Result<HttpResponse, ApiError> {
    let token = body.into_inner().token;
    let account = with_conn(&state, move |conn| {
        Ok(accounts::verify_email(conn, &token)?)
    })
    .await?;
    Ok(HttpResponse::Ok().json(account))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginBody {
    email: String,
    password: String,
}

pub async fn login(
    state: web::Data<AppState>,
    ip: ClientIp,
    body: web::Json<LoginBody>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    if body.password.chars().count() > 1024 {
        return Err(ApiError::invalid_field("password", "password is too long"));
    }
    let limit = state.config.login_rate_limit_per_minute;
    let app = state.clone();
    let pair = with_conn(&state, move |conn| {
        accounts::throttle_login(conn, &ip.0, limit)?;
        let settings = SessionSettings {
            jwt: &app.jwt,
            refresh_ttl: app.config.refresh_token_ttl,
        };
        Ok(accounts::login(
            conn,
            &body.email,
            &body.password,
            &settings,
        )?)
    })
    .await?;
    Ok(HttpResponse::Ok().json(pair))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RefreshBody {
    refresh_token: String,
}

pub async fn refresh(
    state: web::Data<AppState>,
    body: web::Json<RefreshBody>,
) -> Result<HttpResponse, ApiError> {
    let token = body.into_inner().refresh_token;
    let app = state.clone();
    let pair = with_conn(&state, move |conn| {
        let settings = SessionSettings {
            jwt: &app.jwt,
            refresh_ttl: app.config.refresh_token_ttl,
        };
        Ok(accounts::refresh(conn, &token, &settings)?)
    })
    .await?;
    Ok(HttpResponse::Ok().json(pair))
}

pub async fn logout(
    state: web::Data<AppState>,
    body: web::Json<RefreshBody>,
) -> Result<HttpResponse, ApiError> {
    let token = body.into_inner().refresh_token;
    with_conn(&state, move |conn| Ok(accounts::logout(conn, &token)?)).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResetRequestBody {
    email: String,
}

pub async fn password_reset_request(
    state: web::Data<AppState>,
    body: web::Json<ResetRequestBody>,
) -> Result<HttpResponse, ApiError> {
    let email = Email::parse(&body.into_inner().email)?;
    let base = state.config.public_base_url.clone();
    with_conn(&state, move |conn| {
        Ok(accounts::request_password_reset(conn, &email, &base)?)
    })
    .await?;
    Ok(HttpResponse::Accepted().json(json!({
        "status": "accepted",
        "detail": "If an account uses this address, a reset link is on its way."
    })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResetConfirmBody {
    token: String,
    new_password: String,
}

pub async fn password_reset_confirm(
    state: web::Data<AppState>,
    body: web::Json<ResetConfirmBody>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let password = Password::parse("new_password", body.new_password)?;
    let token = body.token;
    with_conn(&state, move |conn| {
        Ok(accounts::confirm_password_reset(conn, &token, &password)?)
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
