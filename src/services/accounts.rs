//! Accounts: registration, email verification and password reset (sign-in
//! and sessions are in [`super::sign_in`] and [`super::sessions`]). Each
//! function is one unit of work over one connection; they block (argon2,
//! diesel) and are called from `web::block`.

use chrono::TimeDelta;
use diesel::result::{DatabaseErrorKind, Error as DieselError};

use crate::auth::opaque::{hash_token, looks_like_token, new_token};
use crate::auth::password::hash_password;
use crate::auth::Revocations;
use crate::db::sessions::Ended;
use crate::db::tokens::{
    consume_user_token, find_user_token, insert_user_token, spend_all_user_tokens,
    PURPOSE_PASSWORD_RESET, PURPOSE_VERIFY_EMAIL,
};
use crate::db::users::{NewUser, User};
use crate::db::{clock, new_id, sign_in, write_transaction, AnyConnection};
use crate::domain::{DisplayName, Email, Password, Role, Weakness};
use crate::i18n::{Defaults, Locale, Text, TimeZone};
use crate::mail::{self, enqueue, Message};

use super::error::{Refusal, RefusalKind, ServiceResult};
use super::sessions;

const VERIFY_EMAIL_TTL_HOURS: i64 = 24;
const PASSWORD_RESET_TTL_MINUTES: i64 = 60;

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("an account with this email already exists")]
    EmailTaken,
    #[error("email or password is wrong")]
    InvalidCredentials,
    #[error("account locked")]
    Locked { retry_after_secs: u64 },
    #[error("the account is disabled")]
    Disabled,
    #[error("the token is invalid, used or expired")]
    InvalidToken,
    #[error("the current password is wrong")]
    WrongPassword,
    #[error("{}", .0.detail())]
    WeakPassword(Weakness),
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
    /// The language of their emails and problems: theirs, or the
    /// deployment's default while they have not chosen one.
    pub locale: Locale,
    /// Their time zone, or the deployment's default.
    pub time_zone: &'static str,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

impl AccountView {
    pub fn of(u: User, defaults: &Defaults) -> Self {
        let reader = defaults.reader(u.locale.as_deref(), u.time_zone.as_deref());
        Self {
            id: u.id,
            email: u.email,
            display_name: u.display_name,
            role: u.role,
            email_verified: u.email_verified_at.is_some(),
            locale: reader.locale,
            time_zone: reader.time_zone.name(),
            created_at: u.created_at.and_utc(),
        }
    }
}

pub struct Registration {
    pub email: Email,
    pub password: Password,
    pub display_name: DisplayName,
    pub role: Role,
    /// Chosen, or read from Accept-Language, or the deployment's default.
    pub locale: Locale,
    /// Chosen; none: the deployment's default, whatever it is then.
    pub time_zone: Option<TimeZone>,
}

/// A person's choice of language or time zone (each left as it is when
/// not given).
pub struct LanguageChoice {
    pub locale: Option<Locale>,
    pub time_zone: Option<TimeZone>,
}

/// Creates an unverified account and mails its verification link.
pub fn register(
    conn: &mut AnyConnection,
    reg: Registration,
    public_base_url: &str,
    defaults: &Defaults,
) -> Result<AccountView, AccountError> {
    let password_hash = hash_password(reg.password.expose())?;
    let id = new_id();
    let now = clock(conn)?;
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
                locale: Some(reg.locale.tag()),
                time_zone: reg.time_zone.map(|z| z.name()),
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
        let user = User::find(conn, &id)?.ok_or(DieselError::NotFound)?;
        enqueue(conn, &verification_email(&user, link))?;
        Ok(user)
    })
    .map(|user| AccountView::of(user, defaults))
}

/// Redeems an email verification token (once).
///
/// The first verification of an address ends every session of the account
/// but `caller`'s own (when the link is opened signed in to the same
/// account): whoever registered the address first and signed in without
/// owning it (a squatter) loses access the moment its owner proves it.
/// Audited (`user.email_verified`, with the sessions ended).
pub fn verify_email(
    conn: &mut AnyConnection,
    token: &str,
    caller: Option<&Caller>,
    revocations: &Revocations,
    defaults: &Defaults,
) -> Result<AccountView, AccountError> {
    if !looks_like_token(token) {
        return Err(AccountError::InvalidToken);
    }
    let now = clock(conn)?;
    let (view, ended) = write_transaction(conn, |conn| -> Result<_, AccountError> {
        let user_id = consume_user_token(conn, &hash_token(token), PURPOSE_VERIFY_EMAIL, now)?
            .ok_or(AccountError::InvalidToken)?;
        let first = User::mark_email_verified(conn, &user_id, now)? == 1;
        spend_all_user_tokens(conn, &user_id, PURPOSE_VERIFY_EMAIL, now)?;
        let user = User::find(conn, &user_id)?.ok_or(AccountError::InvalidToken)?;
        if !first {
            return Ok((AccountView::of(user, defaults), Vec::new()));
        }
        let keep = caller
            .filter(|c| c.user_id == user_id)
            .map(|c| c.session_id.as_str());
        // The stored reason is `signed_out` (the schema's list has no
        // `email_verified`); the audit record says why.
        let ended = sessions::end_all_but(conn, &user_id, keep, Ended::SignedOut, now)?;
        let actor = crate::db::audit::Actor {
            id: Some(user_id.clone()),
            role: user.role.clone(),
            request_id: caller.and_then(|c| c.request_id.clone()),
        };
        crate::db::audit::record(
            conn,
            &actor,
            "user.email_verified",
            "user",
            &user_id,
            &serde_json::json!({"sessions_ended": ended.len()}),
        )?;
        Ok((AccountView::of(user, defaults), ended))
    })?;
    revocations.note(&ended, now);
    Ok(view)
}

/// Who is calling, when it matters which session they are in.
#[derive(Debug, Clone)]
pub struct Caller {
    pub user_id: String,
    pub session_id: String,
    pub request_id: Option<String>,
}

/// Refuses (403 `email_not_verified`) an account whose email address is not
/// verified yet: moving money and submitting offerings need a verified
/// address, so an address someone registered without owning it can do
/// neither.
pub fn require_verified_email(conn: &mut AnyConnection, user_id: &str) -> ServiceResult<()> {
    let verified = User::find(conn, user_id)?.is_some_and(|u| u.email_verified_at.is_some());
    if verified {
        return Ok(());
    }
    Err(Refusal::new(
        RefusalKind::Forbidden,
        "email_not_verified",
        Text::new("problem-email_not_verified-account"),
    )
    .into())
}

/// Mails a new verification link when the email belongs to an account that
/// is not verified yet; does nothing visible otherwise. Earlier links stay
/// valid until one of them is used.
pub fn resend_verification(
    conn: &mut AnyConnection,
    email: &Email,
    public_base_url: &str,
) -> Result<(), AccountError> {
    let token = new_token();
    let now = clock(conn)?;
    write_transaction(conn, |conn| {
        let Some(user) = User::find_by_email(conn, email.as_str())?
            .filter(|u| u.email_verified_at.is_none() && u.disabled_at.is_none())
        else {
            return Ok(());
        };
        insert_user_token(
            conn,
            &hash_token(&token),
            &user.id,
            PURPOSE_VERIFY_EMAIL,
            now,
            now + TimeDelta::hours(VERIFY_EMAIL_TTL_HOURS),
        )?;
        let link = format!("{public_base_url}/verify-email?token={token}");
        enqueue(conn, &verification_email(&user, link))?;
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
    let now = clock(conn)?;
    write_transaction(conn, |conn| {
        let Some(user) =
            User::find_by_email(conn, email.as_str())?.filter(|u| u.disabled_at.is_none())
        else {
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
        let message = Message::PasswordReset {
            link,
            valid_minutes: PASSWORD_RESET_TTL_MINUTES,
        };
        enqueue(conn, &mail::Email::to_user(&user, message))?;
        Ok(())
    })
}

/// Sets a new password with a reset token; spends every other reset token
/// of the account, ends every session (access tokens included) and lifts
/// every sign-in lock.
pub fn confirm_password_reset(
    conn: &mut AnyConnection,
    token: &str,
    new_password: &Password,
    revocations: &Revocations,
) -> Result<(), AccountError> {
    if !looks_like_token(token) {
        return Err(AccountError::InvalidToken);
    }
    let token_hash = hash_token(token);
    // A made-up token costs a lookup, not an argon2 hash.
    let at = clock(conn)?;
    let owner = find_user_token(conn, &token_hash, PURPOSE_PASSWORD_RESET, at)?
        .ok_or(AccountError::InvalidToken)?;
    if let Some(user) = User::find(conn, &owner)? {
        new_password
            .check_strength(&user.email, &user.display_name)
            .map_err(AccountError::WeakPassword)?;
    }
    let hash = hash_password(new_password.expose())?;
    let now = clock(conn)?;
    let ended = write_transaction(conn, |conn| -> Result<_, AccountError> {
        let user_id = find_user_token(conn, &token_hash, PURPOSE_PASSWORD_RESET, now)?
            .ok_or(AccountError::InvalidToken)?;
        // The user's row first: of two links used at once, the second waits
        // here and then finds itself spent by the first.
        User::hold(conn, &user_id)?;
        consume_user_token(conn, &token_hash, PURPOSE_PASSWORD_RESET, now)?
            .ok_or(AccountError::InvalidToken)?;
        let user = User::find(conn, &user_id)?.ok_or(AccountError::InvalidToken)?;
        if user.disabled_at.is_some() {
            return Err(AccountError::Disabled);
        }
        spend_all_user_tokens(conn, &user_id, PURPOSE_PASSWORD_RESET, now)?;
        User::set_password_hash(conn, &user_id, &hash, now)?;
        sign_in::clear_email(conn, &user.email)?;
        Ok(sessions::end_all(
            conn,
            &user_id,
            Ended::PasswordReset,
            now,
        )?)
    })?;
    revocations.note(&ended, now);
    Ok(())
}

/// A password change as its owner asks for it, signed in.
pub struct PasswordChange<'a> {
    pub current: &'a str,
    pub new: &'a Password,
    pub client_ip: &'a str,
}

/// Sets a new password for a signed-in user who gives the current one (a
/// wrong one counts as a failed sign-in, see
/// [`sign_in::check_current_password`](super::sign_in::check_current_password)),
/// ends every other session of the account (the caller's stays), audits
/// `user.password_changed` and mails the owner.
pub fn change_password(
    conn: &mut AnyConnection,
    caller: &Caller,
    change: &PasswordChange<'_>,
    policy: &super::sign_in::LockoutPolicy,
    revocations: &Revocations,
) -> Result<usize, AccountError> {
    let user = User::find(conn, &caller.user_id)?.ok_or(AccountError::InvalidToken)?;
    if user.disabled_at.is_some() {
        return Err(AccountError::Disabled);
    }
    super::sign_in::check_current_password(conn, &user, change.current, change.client_ip, policy)?;
    change
        .new
        .check_strength(&user.email, &user.display_name)
        .map_err(AccountError::WeakPassword)?;
    let hash = hash_password(change.new.expose())?;
    let now = clock(conn)?;
    let ended = write_transaction(conn, |conn| -> Result<_, AccountError> {
        // The row as it was checked: a reset, another change or disabling
        // committed meanwhile refuses this one.
        if !User::hold_for_sign_in(conn, &user.id, &user.password_hash)? {
            return Err(AccountError::WrongPassword);
        }
        User::set_password_hash(conn, &user.id, &hash, now)?;
        // Stored as `password_reset` (the schema's list of reasons has no
        // `password_changed`); the audit record says which.
        let ended = sessions::end_all_but(
            conn,
            &user.id,
            Some(&caller.session_id),
            Ended::PasswordReset,
            now,
        )?;
        let actor = crate::db::audit::Actor {
            id: Some(user.id.clone()),
            role: user.role.clone(),
            request_id: caller.request_id.clone(),
        };
        crate::db::audit::record(
            conn,
            &actor,
            "user.password_changed",
            "user",
            &user.id,
            &serde_json::json!({"sessions_ended": ended.len()}),
        )?;
        enqueue(conn, &mail::Email::to_user(&user, Message::PasswordChanged))?;
        Ok(ended)
    })?;
    revocations.note(&ended, now);
    Ok(ended.len())
}

pub fn me(
    conn: &mut AnyConnection,
    user_id: &str,
    defaults: &Defaults,
) -> Result<Option<AccountView>, AccountError> {
    Ok(User::find(conn, user_id)?.map(|u| AccountView::of(u, defaults)))
}

/// Sets the language and time zone a person reads in; their account as it
/// is then, or none when it no longer exists.
pub fn choose_language(
    conn: &mut AnyConnection,
    user_id: &str,
    choice: &LanguageChoice,
    defaults: &Defaults,
) -> Result<Option<AccountView>, AccountError> {
    write_transaction(conn, |conn| {
        let now = clock(conn)?;
        User::set_language(
            conn,
            user_id,
            choice.locale.map(Locale::tag),
            choice.time_zone.map(|z| z.name()),
            now,
        )?;
        Ok(User::find(conn, user_id)?.map(|u| AccountView::of(u, defaults)))
    })
}

/// The verification email, with its link.
fn verification_email(user: &User, link: String) -> mail::Email {
    let message = Message::VerifyEmail {
        link,
        valid_hours: VERIFY_EMAIL_TTL_HOURS,
    };
    mail::Email::to_user(user, message)
}

/// Makes an operator (command line only); its email counts as verified.
pub fn create_operator(
    conn: &mut AnyConnection,
    email: &Email,
    password: &Password,
    display_name: &DisplayName,
) -> Result<String, AccountError> {
    password
        .check_strength(email.as_str(), display_name.as_str())
        .map_err(AccountError::WeakPassword)?;
    let password_hash = hash_password(password.expose())?;
    let id = new_id();
    let now = clock(conn)?;
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
                locale: None,
                time_zone: None,
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
