//! The `sessions` table: one row per sign-in, ended by a revocation that
//! every server's access-token check learns of (see `auth::revocations`).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::sessions;
use super::AnyConnection;

/// Why a session ended; stored as text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    Logout,
    RefreshReuse,
    PasswordReset,
    SignedOut,
    Disabled,
}

impl Ended {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Logout => "logout",
            Self::RefreshReuse => "refresh_reuse",
            Self::PasswordReset => "password_reset",
            Self::SignedOut => "signed_out",
            Self::Disabled => "disabled",
        }
    }
}

/// A revoked session, as the revocation poll reads it.
#[derive(Debug, Clone, Queryable)]
pub struct Revoked {
    pub id: String,
    pub revoked_at: NaiveDateTime,
}

pub fn insert(
    conn: &mut AnyConnection,
    id: &str,
    user_id: &str,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::insert_into(sessions::table)
        .values((
            sessions::id.eq(id),
            sessions::user_id.eq(user_id),
            sessions::created_at.eq(now),
        ))
        .execute(conn)
}

/// Locks a session's row for the rest of the transaction and says whether
/// it is still open (`None`: no such session). Taken before its refresh
/// tokens by everything that renews or ends a session, so a renewal and a
/// revocation never interleave.
pub fn hold(conn: &mut AnyConnection, id: &str) -> QueryResult<Option<bool>> {
    diesel::update(sessions::table.find(id))
        .set(sessions::user_id.eq(sessions::user_id))
        .returning(sessions::revoked_at)
        .get_result::<Option<NaiveDateTime>>(conn)
        .optional()
        .map(|row| row.map(|revoked_at| revoked_at.is_none()))
}

/// Ends one session; returns its id when this call ended it.
///
/// `revoked_at` is the database's clock, not this server's: every server's
/// revocation poll reads the rows revoked since its last poll by that same
/// clock, so a server whose clock runs fast or slow neither skips nor hides
/// a revocation.
pub fn revoke(conn: &mut AnyConnection, id: &str, why: Ended) -> QueryResult<Vec<String>> {
    let now = super::clock(conn)?;
    diesel::update(
        sessions::table
            .find(id)
            .filter(sessions::revoked_at.is_null()),
    )
    .set((
        sessions::revoked_at.eq(Some(now)),
        sessions::revoked_reason.eq(Some(why.as_str())),
    ))
    .returning(sessions::id)
    .get_results(conn)
}

/// Ends every open session of a user but `keep`; returns the ids it ended.
/// Stamped by the database's clock, as [`revoke`].
pub fn revoke_all_of_user(
    conn: &mut AnyConnection,
    user_id: &str,
    keep: Option<&str>,
    why: Ended,
) -> QueryResult<Vec<String>> {
    let now = super::clock(conn)?;
    diesel::update(
        sessions::table
            .filter(sessions::user_id.eq(user_id))
            .filter(sessions::id.ne(keep.unwrap_or("")))
            .filter(sessions::revoked_at.is_null()),
    )
    .set((
        sessions::revoked_at.eq(Some(now)),
        sessions::revoked_reason.eq(Some(why.as_str())),
    ))
    .returning(sessions::id)
    .get_results(conn)
}

/// Sessions revoked at or after `since` (by the database's clock).
pub fn revoked_since(conn: &mut AnyConnection, since: NaiveDateTime) -> QueryResult<Vec<Revoked>> {
    sessions::table
        .filter(sessions::revoked_at.ge(since))
        .select((sessions::id, sessions::revoked_at.assume_not_null()))
        .load(conn)
}
