//! `/api/v1/auth/*`: sign-up, verification, sign-in, sessions, password reset.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::json;

use crate::domain::{DisplayName, Email, FieldError, Password, Role, Weakness};
use crate::error::ApiError;
use crate::i18n::Text;
use crate::services::accounts::{self, AccountError, Caller, Registration};
use crate::services::rate_limits::{Attempt, LimitError};
use crate::services::sessions;
use crate::services::sign_in;

use super::blocking::with_conn;
use super::extractors::{ClientIp, MaybeUser};
use super::language::{parse_locale, parse_time_zone, AcceptLanguage};
use super::AppState;

impl From<FieldError> for ApiError {
    fn from(e: FieldError) -> Self {
        ApiError::invalid_field(e.field, e.message)
    }
}

impl From<LimitError> for ApiError {
    fn from(e: LimitError) -> Self {
        match e {
            LimitError::Exceeded(e) => ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                Text::new("problem-rate_limited-attempts"),
            )
            .retry_after(e.retry_after_secs),
            LimitError::Database(e) => ApiError::from(e),
        }
    }
}

impl From<AccountError> for ApiError {
    fn from(e: AccountError) -> Self {
        match e {
            AccountError::EmailTaken => {
                ApiError::conflict("email_taken", Text::new("problem-email_taken"))
            }
            AccountError::InvalidCredentials => ApiError::unauthorized(
                "invalid_credentials",
                Text::new("problem-invalid_credentials"),
            ),
            AccountError::Locked { retry_after_secs } => ApiError::new(
                StatusCode::LOCKED,
                "account_locked",
                Text::new("problem-account_locked"),
            )
            .retry_after(retry_after_secs),
            AccountError::Disabled => ApiError::new(
                StatusCode::FORBIDDEN,
                "account_disabled",
                Text::new("problem-account_disabled"),
            ),
            AccountError::InvalidToken => ApiError::unauthorized(
                "invalid_token",
                Text::new("problem-invalid_token-used_or_expired"),
            ),
            AccountError::WrongPassword => ApiError::new(
                StatusCode::FORBIDDEN,
                "invalid_current_password",
                Text::new("problem-invalid_current_password"),
            )
            .with("field", "current_password"),
            AccountError::WeakPassword(w) => weak_password("new_password", w),
            AccountError::RefreshTokenReused => ApiError::unauthorized(
                "refresh_token_reused",
                Text::new("problem-refresh_token_reused"),
            ),
            AccountError::Database(e) => ApiError::from(e),
            AccountError::Internal(e) => ApiError::internal(e),
        }
    }
}

/// 422 with the weakness's own code, naming the field.
pub fn weak_password(field: &str, weakness: Weakness) -> ApiError {
    ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        weakness.code(),
        weakness.detail(),
    )
    .with("field", field)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegisterBody {
    email: String,
    password: String,
    display_name: String,
    role: String,
    /// `en` or `zh-CN`; absent: the one Accept-Language prefers, else the
    /// deployment's default.
    #[serde(default)]
    locale: Option<String>,
    /// An IANA time zone; absent: the deployment's default.
    #[serde(default)]
    time_zone: Option<String>,
}

pub async fn register(
    state: web::Data<AppState>,
    ip: ClientIp,
    asked: AcceptLanguage,
    body: web::Json<RegisterBody>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let role = match body.role.parse::<Role>() {
        Ok(role) if role.self_service() => role,
        _ => {
            return Err(ApiError::invalid_field(
                "role",
                Text::new("problem-invalid_field-register_role"),
            ))
        }
    };
    let registration = Registration {
        email: Email::parse(&body.email)?,
        password: Password::parse("password", body.password)?,
        display_name: DisplayName::parse(&body.display_name)?,
        role,
        locale: match &body.locale {
            Some(tag) => parse_locale("locale", tag)?,
            None => asked.0.unwrap_or(state.config.language.locale),
        },
        time_zone: body
            .time_zone
            .as_deref()
            .map(|z| parse_time_zone("time_zone", z))
            .transpose()?,
    };
    registration
        .password
        .check_strength(
            registration.email.as_str(),
            registration.display_name.as_str(),
        )
        .map_err(|w| weak_password("password", w))?;
    let app = state.clone();
    let account = with_conn(&state, move |conn| {
        let attempt = Attempt::Register {
            client_ip: &ip.0,
            email: &registration.email,
        };
        app.config.rate_limits.hit(conn, attempt)?;
        Ok(accounts::register(
            conn,
            registration,
            &app.config.public_base_url,
            &app.config.language,
        )?)
    })
    .await?;
    Ok(HttpResponse::Created().json(account))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenBody {
    token: String,
}

/// Open to anyone with the link; a caller signed in to the same account
/// keeps their session when this first verification ends the others (an
/// access token that no longer works is refused, not ignored: see
/// [`MaybeUser`]).
pub async fn verify_email(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: MaybeUser,
    body: web::Json<TokenBody>,
) -> Result<HttpResponse, ApiError> {
    let token = body.into_inner().token;
    let caller = user.0.map(|u| Caller {
        user_id: u.id,
        session_id: u.session_id,
        request_id: super::audit::request_id(&req),
    });
    let app = state.clone();
    let account = with_conn(&state, move |conn| {
        Ok(accounts::verify_email(
            conn,
            &token,
            caller.as_ref(),
            &app.revocations,
            &app.config.language,
        )?)
    })
    .await?;
    Ok(HttpResponse::Ok().json(account))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmailBody {
    email: String,
}

pub async fn resend_verification(
    state: web::Data<AppState>,
    ip: ClientIp,
    asked: AcceptLanguage,
    body: web::Json<EmailBody>,
) -> Result<HttpResponse, ApiError> {
    let email = Email::parse(&body.into_inner().email)?;
    let app = state.clone();
    with_conn(&state, move |conn| {
        let attempt = Attempt::VerificationMail {
            client_ip: &ip.0,
            email: &email,
        };
        app.config.rate_limits.hit(conn, attempt)?;
        Ok(accounts::resend_verification(
            conn,
            &email,
            &app.config.public_base_url,
        )?)
    })
    .await?;
    Ok(accepted(&state, asked, "notice-verification-resent"))
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
        return Err(ApiError::invalid_field(
            "password",
            Text::new("problem-invalid_field-sign_in_password_long"),
        ));
    }
    let app = state.clone();
    let pair = with_conn(&state, move |conn| {
        let attempt = Attempt::Login { client_ip: &ip.0 };
        app.config.rate_limits.hit(conn, attempt)?;
        Ok(sign_in::login(
            conn,
            &body.email,
            &body.password,
            &ip.0,
            &app.config.lockout,
            &app.sessions(),
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
        Ok(sessions::refresh(conn, &token, &app.sessions())?)
    })
    .await?;
    Ok(HttpResponse::Ok().json(pair))
}

pub async fn logout(
    state: web::Data<AppState>,
    body: web::Json<RefreshBody>,
) -> Result<HttpResponse, ApiError> {
    let token = body.into_inner().refresh_token;
    let app = state.clone();
    with_conn(&state, move |conn| {
        Ok(sessions::logout(conn, &token, &app.revocations)?)
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

pub async fn password_reset_request(
    state: web::Data<AppState>,
    ip: ClientIp,
    asked: AcceptLanguage,
    body: web::Json<EmailBody>,
) -> Result<HttpResponse, ApiError> {
    let email = Email::parse(&body.into_inner().email)?;
    let app = state.clone();
    with_conn(&state, move |conn| {
        let attempt = Attempt::PasswordReset {
            client_ip: &ip.0,
            email: &email,
        };
        app.config.rate_limits.hit(conn, attempt)?;
        Ok(accounts::request_password_reset(
            conn,
            &email,
            &app.config.public_base_url,
        )?)
    })
    .await?;
    Ok(accepted(&state, asked, "notice-password-reset-requested"))
}

/// 202 with a notice in the request's language: the same whether or not an
/// account uses the address.
fn accepted(state: &AppState, asked: AcceptLanguage, notice: &'static str) -> HttpResponse {
    let locale = asked.0.unwrap_or(state.config.language.locale);
    HttpResponse::Accepted().json(json!({
        "status": "accepted",
        "detail": Text::new(notice).in_locale(locale),
    }))
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
    let app = state.clone();
    with_conn(&state, move |conn| {
        Ok(accounts::confirm_password_reset(
            conn,
            &token,
            &password,
            &app.revocations,
        )?)
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
