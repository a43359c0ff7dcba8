//! Accounts: registration, email verification, sign-in, token refresh,
//! logout and password reset. Each function is one unit of work over one
//! connection; they block (argon2, diesel) and are called from `web::block`.

use std::time::Duration;

use chrono::{NaiveDateTime, TimeDelta};
use diesel::result::{DatabaseErrorKind, Error as DieselError};

use crate::auth::opaque::{hash_token, looks_like_token, new_token};
use crate::auth::password::{hash_password, verify_against_dummy, verify_password};
use crate::auth::JwtKeys;
use crate::db::tokens::{
    consume_user_token, insert_user_token, RefreshToken, PURPOSE_PASSWORD_RESET,
    PURPOSE_VERIFY_EMAIL,
};
use crate::db::users::{NewUser, User};
use crate::db::{new_id, now, throttle, write_transaction, AnyConnection};
use crate::domain::{DisplayName, Email, Password, Role};
use crate::mail::{enqueue, templates};

const VERIFY_EMAIL_TTL_HOURS: i64 = 24;
const PASSWORD_RESET_TTL_MINUTES: i64 = 60;
const LOCKOUT: TimeDelta = TimeDelta::minutes(15);

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("an account with this email already exists")]
    EmailTaken,
    #[error("email or password is wrong")]
    InvalidCredentials,
    #[error("account locked")]
    Locked { retry_after_secs: u64 },
    #[error("too many login attempts")]
    RateLimited { retry_after_secs: u64 },
    #[error("the token is invalid, used or expired")]
    InvalidToken,
    #[error("the refresh token was already used; every session of that login is revoked")]
    RefreshTokenReused,
    #[error(transparent)]
    Database(#[from] DieselError),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

/// What a user may see of their account.
#[derive(Debug, Clone, serde::Serialize)]
pub struct AccountView {
    pub id: String,
    pub email: String,
    pub display_name: String,
    pub role: String,
    pub email_verified: bool,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

impl From<User> for AccountView {
    fn from(u: User) -> Self {
        Self {
            id: u.id,
            email: u.email,
            display_name: u.display_name,
            role: u.role,
            email_verified: u.email_verified_at.is_some(),
            created_at: u.created_at.and_utc(),
        }
    }
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct TokenPair {
    pub access_token: String,
    pub token_type: &'static str,
    pub expires_in: u64,
    pub refresh_token: String,
}

/// What sign-in needs to know of the configuration.
pub struct SessionSettings<'a> {
    pub jwt: &'a JwtKeys,
    pub refresh_ttl: Duration,
}

pub struct Registration {
    pub email: Email,
    pub password: Password,
    pub display_name: DisplayName,
    pub role: Role,
}

fn delta(d: Duration) -> TimeDelta {
    TimeDelta::from_std(d).unwrap_or(TimeDelta::days(30))
}

/// Creates an unverified account and mails its verification link.
pub fn register(
    conn: &mut AnyConnection,
    reg: Registration,
    public_base_url: &str,
) -> Result<AccountView, AccountError> {
    let password_hash = hash_password(reg.password.expose())?;
    let id = new_id();
    let now = now();
    let token = new_token();
    write_transaction(conn, |conn| {
        let inserted = User::insert(
            conn,
            &NewUser {
                id: &id,
                email: reg.email.as_str(),
                password_hash: &password_hash,
                display_name: reg.display_name.as_str(),
                role: reg.role.as_str(),
                email_verified_at: None,
                created_at: now,
                updated_at: now,
            },
        );
        match inserted {
            Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => {
                return Err(AccountError::EmailTaken)
            }
            other => other?,
        };
        insert_user_token(
            conn,
            &hash_token(&token),
            &id,
            PURPOSE_VERIFY_EMAIL,
            now,
            now + TimeDelta::hours(VERIFY_EMAIL_TTL_HOURS),
        )?;
        let link = format!("{public_base_url}/verify-email?token={token}");
        enqueue(
            conn,
            &templates::verify_email(reg.email.as_str(), &link, VERIFY_EMAIL_TTL_HOURS),
        )?;
        Ok(())
    })?;
    Ok(AccountView {
        id,
        email: reg.email.as_str().to_string(),
        display_name: reg.display_name.as_str().to_string(),
        role: reg.role.as_str().to_string(),
        email_verified: false,
        created_at: now.and_utc(),
    })
}

/// Redeems an email verification token (once).
pub fn verify_email(conn: &mut AnyConnection, token: &str) -> Result<AccountView, AccountError> {
    if !looks_like_token(token) {
        return Err(AccountError::InvalidToken);
    }
    let now = now();
    write_transaction(conn, |conn| {
        let user_id = consume_user_token(conn, &hash_token(token), PURPOSE_VERIFY_EMAIL, now)?
            .ok_or(AccountError::InvalidToken)?;
        User::mark_email_verified(conn, &user_id, now)?;
        let user = User::find(conn, &user_id)?.ok_or(AccountError::InvalidToken)?;
        Ok(user.into())
    })
}

/// Counts a login attempt from `client_ip` against the per-minute limit.
pub fn throttle_login(
    conn: &mut AnyConnection,
    client_ip: &str,
    limit_per_minute: u32,
) -> Result<(), AccountError> {
    let epoch = chrono::Utc::now().timestamp();
    let window = epoch - epoch.rem_euclid(60);
    let attempts = write_transaction(conn, |conn| {
        // Now and then, forget windows older than an hour.
        if epoch.rem_euclid(97) == 0 {
            throttle::prune(conn, window - 3600)?;
        }
        throttle::count_attempt(conn, client_ip, window)
    })?;
    if attempts as i64 > limit_per_minute as i64 {
        return Err(AccountError::RateLimited {
            retry_after_secs: (window + 60 - epoch).max(1) as u64,
        });
    }
    Ok(())
}

/// Checks the password and opens a new session (a new refresh-token family).
///
/// Takes the same argon2 time whether or not the email exists.
pub fn login(
    conn: &mut AnyConnection,
    email: &str,
    password: &str,
    settings: &SessionSettings<'_>,
) -> Result<TokenPair, AccountError> {
    let Some(user) = Email::parse(email)
        .ok()
        .map(|e| User::find_by_email(conn, e.as_str()))
        .transpose()?
        .flatten()
    else {
        verify_against_dummy(password);
        return Err(AccountError::InvalidCredentials);
    };
    let now = now();
    if let Some(until) = user.locked_until.filter(|until| *until > now) {
        verify_against_dummy(password);
        return Err(AccountError::Locked {
            retry_after_secs: seconds_until(now, until),
        });
    }
    if !verify_password(password, &user.password_hash) {
        let locked = write_transaction(conn, |conn| {
            User::record_failed_login(conn, &user.id, now, now + LOCKOUT)
        })?;
        if locked {
            tracing::warn!(user = %user.id, "account locked after repeated failed logins");
        }
        return Err(AccountError::InvalidCredentials);
    }
    let role: Role = user
        .role
        .parse()
        .map_err(|_| anyhow::anyhow!("user {} has unknown role {:?}", user.id, user.role))?;
    let refresh_token = new_token();
    write_transaction(conn, |conn| {
        if user.failed_logins > 0 || user.locked_until.is_some() {
            User::clear_failed_logins(conn, &user.id)?;
        }
        RefreshToken::insert(
            conn,
            &hash_token(&refresh_token),
            &new_id(),
            &user.id,
            now,
            now + delta(settings.refresh_ttl),
        )
    })?;
    token_pair(settings, &user.id, role, refresh_token)
}

/// Exchanges a refresh token for a new pair. A token that was already rotated
/// (or revoked) is treated as stolen: its whole family is revoked.
pub fn refresh(
    conn: &mut AnyConnection,
    presented: &str,
    settings: &SessionSettings<'_>,
) -> Result<TokenPair, AccountError> {
    if !looks_like_token(presented) {
        return Err(AccountError::InvalidToken);
    }
    let hash = hash_token(presented);
    let now = now();
    let new_refresh = new_token();
    // The revocation must commit even though the caller gets an error, so the
    // transaction returns an outcome rather than failing.
    enum Outcome {
        Rotated(User),
        Reused,
        Invalid,
    }
    let outcome = write_transaction(conn, |conn| -> Result<Outcome, AccountError> {
        let Some(token) = RefreshToken::find(conn, &hash)? else {
            return Ok(Outcome::Invalid);
        };
        if token.revoked_at.is_some() || token.rotated_at.is_some() {
            RefreshToken::revoke_family(conn, &token.family_id, now)?;
            return Ok(Outcome::Reused);
        }
        if token.expires_at <= now {
            return Ok(Outcome::Invalid);
        }
        if !RefreshToken::rotate(conn, &hash, now)? {
            // A concurrent refresh rotated it first: the same token twice.
            RefreshToken::revoke_family(conn, &token.family_id, now)?;
            return Ok(Outcome::Reused);
        }
        let Some(user) = User::find(conn, &token.user_id)? else {
            return Ok(Outcome::Invalid);
        };
        RefreshToken::insert(
            conn,
            &hash_token(&new_refresh),
            &token.family_id,
            &user.id,
            now,
            now + delta(settings.refresh_ttl),
        )?;
        Ok(Outcome::Rotated(user))
    })?;
    match outcome {
        Outcome::Rotated(user) => {
            let role: Role = user
                .role
                .parse()
                .map_err(|_| anyhow::anyhow!("user {} has unknown role", user.id))?;
            token_pair(settings, &user.id, role, new_refresh)
        }
        Outcome::Reused => {
            tracing::warn!("refresh token reuse detected; family revoked");
            Err(AccountError::RefreshTokenReused)
        }
        Outcome::Invalid => Err(AccountError::InvalidToken),
    }
}

/// Ends the session the refresh token belongs to (its whole family).
/// Answers the same for an unknown token, so logout cannot probe tokens.
pub fn logout(conn: &mut AnyConnection, presented: &str) -> Result<(), AccountError> {
    if !looks_like_token(presented) {
        return Ok(());
    }
    let now = now();
    write_transaction(conn, |conn| {
        if let Some(token) = RefreshToken::find(conn, &hash_token(presented))? {
            RefreshToken::revoke_family(conn, &token.family_id, now)?;
        }
        Ok(())
    })
}

/// Mails a reset link when the email belongs to an account; does nothing
/// visible otherwise (the caller answers the same either way).
pub fn request_password_reset(
    conn: &mut AnyConnection,
    email: &Email,
    public_base_url: &str,
) -> Result<(), AccountError> {
    let token = new_token();
    let now = now();
    write_transaction(conn, |conn| {
        let Some(user) = User::find_by_email(conn, email.as_str())? else {
            return Ok(());
        };
        insert_user_token(
            conn,
            &hash_token(&token),
            &user.id,
            PURPOSE_PASSWORD_RESET,
            now,
            now + TimeDelta::minutes(PASSWORD_RESET_TTL_MINUTES),
        )?;
        let link = format!("{public_base_url}/reset-password?token={token}");
        enqueue(
            conn,
            &templates::password_reset(&user.email, &link, PASSWORD_RESET_TTL_MINUTES),
        )?;
        Ok(())
    })
}

/// Sets a new password with a reset token, and signs out every session.
pub fn confirm_password_reset(
    conn: &mut AnyConnection,
    token: &str,
    new_password: &Password,
) -> Result<(), AccountError> {
    if !looks_like_token(token) {
        return Err(AccountError::InvalidToken);
    }
    let hash = hash_password(new_password.expose())?;
    let now = now();
    write_transaction(conn, |conn| {
        let user_id = consume_user_token(conn, &hash_token(token), PURPOSE_PASSWORD_RESET, now)?
            .ok_or(AccountError::InvalidToken)?;
        User::set_password_hash(conn, &user_id, &hash, now)?;
        RefreshToken::revoke_all_of_user(conn, &user_id, now)?;
        Ok(())
    })
}

pub fn me(conn: &mut AnyConnection, user_id: &str) -> Result<Option<AccountView>, AccountError> {
    Ok(User::find(conn, user_id)?.map(AccountView::from))
}

/// Makes an operator (command line only); its email counts as verified.
pub fn create_operator(
    conn: &mut AnyConnection,
    email: &Email,
    password: &Password,
    display_name: &DisplayName,
) -> Result<String, AccountError> {
    let password_hash = hash_password(password.expose())?;
    let id = new_id();
    let now = now();
    let inserted = write_transaction(conn, |conn| {
        User::insert(
            conn,
            &NewUser {
                id: &id,
                email: email.as_str(),
                password_hash: &password_hash,
                display_name: display_name.as_str(),
                role: Role::Operator.as_str(),
                email_verified_at: Some(now),
                created_at: now,
                updated_at: now,
            },
        )?;
        let details = serde_json::json!({"email": email.as_str()});
        crate::db::audit::record(
            conn,
            &crate::db::audit::Actor::system("cli"),
            "operator.created",
            "user",
            &id,
            &details,
        )
    });
    match inserted {
        Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => {
            Err(AccountError::EmailTaken)
        }
        other => other.map(|_| id).map_err(AccountError::from),
    }
}

fn token_pair(
    settings: &SessionSettings<'_>,
    user_id: &str,
    role: Role,
    refresh_token: String,
) -> Result<TokenPair, AccountError> {
    Ok(TokenPair {
        access_token: settings.jwt.issue(user_id, role)?,
        token_type: "Bearer",
        expires_in: settings.jwt.ttl().as_secs(),
        refresh_token,
    })
}

fn seconds_until(now: NaiveDateTime, until: NaiveDateTime) -> u64 {
    (until - now).num_seconds().max(1) as u64
}
