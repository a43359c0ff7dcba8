//! Single-use mailed tokens (`user_tokens`) and rotating refresh tokens.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{refresh_tokens, user_tokens};
use super::AnyConnection;

pub const PURPOSE_VERIFY_EMAIL: &str = "verify_email";
pub const PURPOSE_PASSWORD_RESET: &str = "password_reset";

pub fn insert_user_token(
    conn: &mut AnyConnection,
    token_hash: &str,
    user_id: &str,
    purpose: &str,
    now: NaiveDateTime,
    expires_at: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::insert_into(user_tokens::table)
        .values((
            user_tokens::token_hash.eq(token_hash),
            user_tokens::user_id.eq(user_id),
            user_tokens::purpose.eq(purpose),
            user_tokens::expires_at.eq(expires_at),
            user_tokens::created_at.eq(now),
        ))
        .execute(conn)
}

/// The user an unused, unexpired token belongs to (a read: see
/// [`consume_user_token`] to spend it).
pub fn find_user_token(
    conn: &mut AnyConnection,
    token_hash: &str,
    purpose: &str,
    now: NaiveDateTime,
) -> QueryResult<Option<String>> {
    user_tokens::table
        .find(token_hash)
        .filter(user_tokens::purpose.eq(purpose))
        .filter(user_tokens::used_at.is_null())
        .filter(user_tokens::expires_at.gt(now))
        .select(user_tokens::user_id)
        .first(conn)
        .optional()
}

/// Spends a single-use token: succeeds for exactly one caller, and only while
/// it is unused and unexpired. Returns the user it belongs to.
pub fn consume_user_token(
    conn: &mut AnyConnection,
    token_hash: &str,
    purpose: &str,
    now: NaiveDateTime,
) -> QueryResult<Option<String>> {
    diesel::update(
        user_tokens::table
            .filter(user_tokens::token_hash.eq(token_hash))
            .filter(user_tokens::purpose.eq(purpose))
            .filter(user_tokens::used_at.is_null())
            .filter(user_tokens::expires_at.gt(now)),
    )
    .set(user_tokens::used_at.eq(Some(now)))
    .returning(user_tokens::user_id)
    .get_result(conn)
    .optional()
}

/// Spends every outstanding token of `purpose` a user has (after one of them
/// was used, the others must not work).
pub fn spend_all_user_tokens(
    conn: &mut AnyConnection,
    user_id: &str,
    purpose: &str,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        user_tokens::table
            .filter(user_tokens::user_id.eq(user_id))
            .filter(user_tokens::purpose.eq(purpose))
            .filter(user_tokens::used_at.is_null()),
    )
    .set(user_tokens::used_at.eq(Some(now)))
    .execute(conn)
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = refresh_tokens)]
pub struct RefreshToken {
    pub token_hash: String,
    pub family_id: String,
    pub user_id: String,
    pub expires_at: NaiveDateTime,
    pub rotated_at: Option<NaiveDateTime>,
    pub revoked_at: Option<NaiveDateTime>,
}

impl RefreshToken {
    pub fn insert(
        conn: &mut AnyConnection,
        token_hash: &str,
        family_id: &str,
        user_id: &str,
        now: NaiveDateTime,
        expires_at: NaiveDateTime,
    ) -> QueryResult<usize> {
        diesel::insert_into(refresh_tokens::table)
            .values((
                refresh_tokens::token_hash.eq(token_hash),
                refresh_tokens::family_id.eq(family_id),
                refresh_tokens::user_id.eq(user_id),
                refresh_tokens::expires_at.eq(expires_at),
                refresh_tokens::created_at.eq(now),
            ))
            .execute(conn)
    }

    pub fn find(conn: &mut AnyConnection, token_hash: &str) -> QueryResult<Option<Self>> {
        refresh_tokens::table
            .find(token_hash)
            .select(Self::as_select())
            .first(conn)
            .optional()
    }

    /// Marks the token spent. Exactly one of several concurrent callers wins.
    pub fn rotate(
        conn: &mut AnyConnection,
        token_hash: &str,
        now: NaiveDateTime,
    ) -> QueryResult<bool> {
        diesel::update(
            refresh_tokens::table
                .find(token_hash)
                .filter(refresh_tokens::rotated_at.is_null())
                .filter(refresh_tokens::revoked_at.is_null()),
        )
        .set(refresh_tokens::rotated_at.eq(Some(now)))
        .execute(conn)
        .map(|n| n == 1)
    }

    pub fn revoke_family(
        conn: &mut AnyConnection,
        family_id: &str,
        now: NaiveDateTime,
    ) -> QueryResult<usize> {
        diesel::update(
            refresh_tokens::table
                .filter(refresh_tokens::family_id.eq(family_id))
                .filter(refresh_tokens::revoked_at.is_null()),
        )
        .set(refresh_tokens::revoked_at.eq(Some(now)))
        .execute(conn)
    }

    /// Revokes every refresh token of a user but those of the session `keep`.
    pub fn revoke_all_of_user(
        conn: &mut AnyConnection,
        user_id: &str,
        keep: Option<&str>,
        now: NaiveDateTime,
    ) -> QueryResult<usize> {
        diesel::update(
            refresh_tokens::table
                .filter(refresh_tokens::user_id.eq(user_id))
                .filter(refresh_tokens::family_id.ne(keep.unwrap_or("")))
                .filter(refresh_tokens::revoked_at.is_null()),
        )
        .set(refresh_tokens::revoked_at.eq(Some(now)))
        .execute(conn)
    }
}
