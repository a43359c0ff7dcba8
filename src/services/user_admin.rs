//! What operators can do to an account's access: sign it out everywhere,
//! disable it (sign-in refused, every session ended) and enable it again.
//! Each is one transaction; the caller audits it in the same one and, once
//! it has committed, notes the ended sessions (see `auth::revocations`).

use chrono::NaiveDateTime;
use diesel::QueryResult;

use crate::db::page::Cursor;
use crate::db::sessions::Ended;
use crate::db::tokens::{spend_all_user_tokens, PURPOSE_PASSWORD_RESET, PURPOSE_VERIFY_EMAIL};
use crate::db::users::User;
use crate::db::AnyConnection;

use super::error::ServiceResult;
use super::sessions;
use super::views::Page;

/// An account as operators see it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct UserStatus {
    pub id: String,
    pub email: String,
    pub display_name: String,
    pub role: String,
    pub email_verified: bool,
    pub disabled: bool,
    pub disabled_at: Option<chrono::DateTime<chrono::Utc>>,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

impl From<User> for UserStatus {
    fn from(u: User) -> Self {
        Self {
            id: u.id,
            email: u.email,
            display_name: u.display_name,
            role: u.role,
            email_verified: u.email_verified_at.is_some(),
            disabled: u.disabled_at.is_some(),
            disabled_at: u.disabled_at.map(|t| t.and_utc()),
            created_at: u.created_at.and_utc(),
        }
    }
}

/// An account as operators see it. `None`: no such user.
pub fn status(conn: &mut AnyConnection, user_id: &str) -> QueryResult<Option<UserStatus>> {
    Ok(User::find(conn, user_id)?.map(UserStatus::from))
}

/// The list of users that [`find`] pages through (its cursors' sort).
const BY_EMAIL: &str = "users_by_email";

/// Accounts as operators see them, by email then id; with `email_contains`
/// (already trimmed, not empty), those whose email contains it in any case.
pub fn find(
    conn: &mut AnyConnection,
    email_contains: Option<&str>,
    cursor: Option<&str>,
    limit: i64,
) -> ServiceResult<Page<UserStatus>> {
    let after = match cursor {
        Some(text) => {
            let c = Cursor::decode(text, BY_EMAIL).ok_or_else(super::offerings::invalid_cursor)?;
            Some((c.v, c.id))
        }
        None => None,
    };
    let mut rows = User::page_by_email(conn, email_contains, after, limit + 1)?;
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let next_cursor =
        super::offerings::next_cursor(&rows, more, BY_EMAIL, |u| (u.email.clone(), &u.id));
    Ok(Page {
        items: rows.into_iter().map(UserStatus::from).collect(),
        next_cursor,
    })
}

/// The account after the change, and the sessions it ended.
pub struct Changed {
    pub user: UserStatus,
    pub ended_sessions: Vec<String>,
}

/// Ends every session of the user. `None`: no such user.
pub fn sign_out(
    conn: &mut AnyConnection,
    user_id: &str,
    now: NaiveDateTime,
) -> QueryResult<Option<Changed>> {
    let Some(user) = User::find(conn, user_id)? else {
        return Ok(None);
    };
    let ended_sessions = sessions::end_all(conn, user_id, Ended::SignedOut, now)?;
    Ok(Some(Changed {
        user: user.into(),
        ended_sessions,
    }))
}

/// Disables the account (keeping the first time it was disabled), ends
/// every session and spends every outstanding reset and verification link,
/// so that enabling it again revives none of them; again on an already
/// disabled account ends any session that may remain.
pub fn disable(
    conn: &mut AnyConnection,
    user_id: &str,
    now: NaiveDateTime,
) -> QueryResult<Option<Changed>> {
    let Some(user) = User::find(conn, user_id)? else {
        return Ok(None);
    };
    if user.disabled_at.is_none() {
        User::set_disabled(conn, user_id, Some(now), now)?;
    }
    let ended_sessions = sessions::end_all(conn, user_id, Ended::Disabled, now)?;
    for purpose in [PURPOSE_PASSWORD_RESET, PURPOSE_VERIFY_EMAIL] {
        spend_all_user_tokens(conn, user_id, purpose, now)?;
    }
    let user = User::find(conn, user_id)?.unwrap_or(user);
    Ok(Some(Changed {
        user: user.into(),
        ended_sessions,
    }))
}

/// Lets the account sign in again. The links spent by disabling stay
/// spent: the owner asks for new ones.
pub fn enable(
    conn: &mut AnyConnection,
    user_id: &str,
    now: NaiveDateTime,
) -> QueryResult<Option<Changed>> {
    if User::find(conn, user_id)?.is_none() {
        return Ok(None);
    }
    User::set_disabled(conn, user_id, None, now)?;
    Ok(User::find(conn, user_id)?.map(|user| Changed {
        user: user.into(),
        ended_sessions: Vec::new(),
    }))
}
