//! Sessions: what a sign-in opens, a refresh renews, and logout, a password
//! reset, an operator's sign-out or disabling ends. A session is a row in
//! `sessions`, the family of its rotating refresh tokens, and the `sid` of
//! its access tokens; ending it ends all three (see `auth::revocations`).

use std::time::Duration;

use chrono::{NaiveDateTime, TimeDelta};

use crate::auth::opaque::{hash_token, looks_like_token, new_token};
use crate::auth::{JwtKeys, Revocations};
use crate::db::sessions::{self, Ended};
use crate::db::tokens::RefreshToken;
use crate::db::users::User;
use crate::db::{clock, new_id, write_transaction, AnyConnection};
use crate::domain::Role;

use super::accounts::AccountError;

#[derive(Debug, Clone, serde::Serialize)]
pub struct TokenPair {
    pub access_token: String,
    pub token_type: &'static str,
    pub expires_in: u64,
    pub refresh_token: String,
}

/// What sessions need to know of the server.
#[derive(Clone, Copy)]
pub struct SessionSettings<'a> {
    pub jwt: &'a JwtKeys,
    pub refresh_ttl: Duration,
    pub revocations: &'a Revocations,
}

/// A session opened inside the caller's transaction; its tokens are
/// signed once that transaction has committed.
pub struct Opened {
    session_id: String,
    refresh_token: String,
}

fn delta(d: Duration) -> TimeDelta {
    TimeDelta::from_std(d).unwrap_or(TimeDelta::days(30))
}

/// Records a new session and its first refresh token.
pub fn open(
    conn: &mut AnyConnection,
    user_id: &str,
    now: NaiveDateTime,
    refresh_ttl: Duration,
) -> diesel::QueryResult<Opened> {
    let opened = Opened {
        session_id: new_id(),
        refresh_token: new_token(),
    };
    sessions::insert(conn, &opened.session_id, user_id, now)?;
    RefreshToken::insert(
        conn,
        &hash_token(&opened.refresh_token),
        &opened.session_id,
        user_id,
        now,
        now + delta(refresh_ttl),
    )?;
    Ok(opened)
}

/// The tokens of an opened (committed) session.
pub fn tokens(
    settings: &SessionSettings<'_>,
    user: &User,
    opened: Opened,
) -> Result<TokenPair, AccountError> {
    let role: Role = user
        .role
        .parse()
        .map_err(|_| anyhow::anyhow!("user {} has unknown role {:?}", user.id, user.role))?;
    Ok(TokenPair {
        access_token: settings.jwt.issue(&user.id, role, &opened.session_id)?,
        token_type: "Bearer",
        expires_in: settings.jwt.ttl().as_secs(),
        refresh_token: opened.refresh_token,
    })
}

/// Exchanges a refresh token for a new pair. A token that was already rotated
/// (or revoked) is treated as stolen: its whole session is ended.
pub fn refresh(
    conn: &mut AnyConnection,
    presented: &str,
    settings: &SessionSettings<'_>,
) -> Result<TokenPair, AccountError> {
    if !looks_like_token(presented) {
        return Err(AccountError::InvalidToken);
    }
    let hash = hash_token(presented);
    let now = clock(conn)?;
    let new_refresh = new_token();
    // The revocation must commit even though the caller gets an error, so the
    // transaction returns an outcome rather than failing.
    enum Outcome {
        Rotated(Box<User>, String),
        Reused(Vec<String>),
        Invalid,
    }
    let outcome = write_transaction(conn, |conn| -> Result<Outcome, AccountError> {
        let Some(token) = RefreshToken::find(conn, &hash)? else {
            return Ok(Outcome::Invalid);
        };
        let reused = |conn: &mut AnyConnection| -> Result<Outcome, AccountError> {
            let ended = sessions::revoke(conn, &token.family_id, Ended::RefreshReuse)?;
            RefreshToken::revoke_family(conn, &token.family_id, now)?;
            Ok(Outcome::Reused(ended))
        };
        // The session first: a revocation committing meanwhile (a reset, a
        // sign-out) is seen here, never after the new token is written.
        match sessions::hold(conn, &token.family_id)? {
            None => return Ok(Outcome::Invalid),
            Some(false) => return reused(conn),
            Some(true) => {}
        }
        if token.revoked_at.is_some() || token.rotated_at.is_some() {
            return reused(conn);
        }
        if token.expires_at <= now {
            return Ok(Outcome::Invalid);
        }
        if !RefreshToken::rotate(conn, &hash, now)? {
            // A concurrent refresh rotated it first: the same token twice.
            return reused(conn);
        }
        let Some(user) = User::find(conn, &token.user_id)?.filter(|u| u.disabled_at.is_none())
        else {
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
        Ok(Outcome::Rotated(Box::new(user), token.family_id))
    })?;
    match outcome {
        Outcome::Rotated(user, session_id) => tokens(
            settings,
            &user,
            Opened {
                session_id,
                refresh_token: new_refresh,
            },
        ),
        Outcome::Reused(ended) => {
            settings.revocations.note(&ended, now);
            tracing::warn!("refresh token reuse detected; session ended");
            Err(AccountError::RefreshTokenReused)
        }
        Outcome::Invalid => Err(AccountError::InvalidToken),
    }
}

/// Ends the session the refresh token belongs to, with its access tokens.
/// Answers the same for an unknown token, so logout cannot probe tokens.
pub fn logout(
    conn: &mut AnyConnection,
    presented: &str,
    revocations: &Revocations,
) -> Result<(), AccountError> {
    if !looks_like_token(presented) {
        return Ok(());
    }
    let now = clock(conn)?;
    let ended = write_transaction(conn, |conn| -> diesel::QueryResult<_> {
        let Some(token) = RefreshToken::find(conn, &hash_token(presented))? else {
            return Ok(Vec::new());
        };
        let ended = sessions::revoke(conn, &token.family_id, Ended::Logout)?;
        RefreshToken::revoke_family(conn, &token.family_id, now)?;
        Ok(ended)
    })?;
    revocations.note(&ended, now);
    Ok(())
}

/// Ends every session of a user inside the caller's transaction; returns
/// the sessions ended, for [`Revocations::note`] once it has committed.
pub fn end_all(
    conn: &mut AnyConnection,
    user_id: &str,
    why: Ended,
    now: NaiveDateTime,
) -> diesel::QueryResult<Vec<String>> {
    end_all_but(conn, user_id, None, why, now)
}

/// [`end_all`], sparing the session `keep` (the caller's own).
pub fn end_all_but(
    conn: &mut AnyConnection,
    user_id: &str,
    keep: Option<&str>,
    why: Ended,
    now: NaiveDateTime,
) -> diesel::QueryResult<Vec<String>> {
    // Sessions before tokens, in the order `refresh` takes them.
    let ended = sessions::revoke_all_of_user(conn, user_id, keep, why)?;
    RefreshToken::revoke_all_of_user(conn, user_id, keep, now)?;
    Ok(ended)
}
