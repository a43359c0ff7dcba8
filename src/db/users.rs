//! The `users` table.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::users;
use super::AnyConnection;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = users)]
pub struct User {
    pub id: String,
    pub email: String,
    pub password_hash: String,
    pub display_name: String,
    pub role: String,
    pub email_verified_at: Option<NaiveDateTime>,
    pub failed_logins: i32,
    pub locked_until: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = users)]
pub struct NewUser<'a> {
    pub id: &'a str,
    pub email: &'a str,
    pub password_hash: &'a str,
    pub display_name: &'a str,
    pub role: &'a str,
    pub email_verified_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// Failed logins in a row before an account is locked.
pub const MAX_FAILED_LOGINS: i32 = 5;

impl User {
    pub fn find(conn: &mut AnyConnection, id: &str) -> QueryResult<Option<User>> {
        users::table
            .find(id)
            .select(User::as_select())
            .first(conn)
            .optional()
    }

    pub fn find_by_email(conn: &mut AnyConnection, email: &str) -> QueryResult<Option<User>> {
        users::table
            .filter(users::email.eq(email))
            .select(User::as_select())
            .first(conn)
            .optional()
    }

    pub fn insert(conn: &mut AnyConnection, new: &NewUser<'_>) -> QueryResult<usize> {
        diesel::insert_into(users::table).values(new).execute(conn)
    }

    /// Counts a failed login; the fifth in a row locks the account until `lock_until`.
    /// Returns true when this attempt locked it.
    pub fn record_failed_login(
        conn: &mut AnyConnection,
        id: &str,
        now: NaiveDateTime,
        lock_until: NaiveDateTime,
    ) -> QueryResult<bool> {
        let failures: i32 = diesel::update(users::table.find(id))
            .set((
                users::failed_logins.eq(users::failed_logins + 1),
                users::updated_at.eq(now),
            ))
            .returning(users::failed_logins)
            .get_result(conn)?;
        if failures < MAX_FAILED_LOGINS {
            return Ok(false);
        }
        diesel::update(users::table.find(id))
            .set((
                users::failed_logins.eq(0),
                users::locked_until.eq(Some(lock_until)),
            ))
            .execute(conn)?;
        Ok(true)
    }

    pub fn clear_failed_logins(conn: &mut AnyConnection, id: &str) -> QueryResult<usize> {
        diesel::update(users::table.find(id))
            .set((
                users::failed_logins.eq(0),
                users::locked_until.eq(None::<NaiveDateTime>),
            ))
            .execute(conn)
    }

    pub fn mark_email_verified(
        conn: &mut AnyConnection,
        id: &str,
        now: NaiveDateTime,
    ) -> QueryResult<usize> {
        diesel::update(
            users::table
                .find(id)
                .filter(users::email_verified_at.is_null()),
        )
        .set((
            users::email_verified_at.eq(Some(now)),
            users::updated_at.eq(now),
        ))
        .execute(conn)
    }

    pub fn set_password_hash(
        conn: &mut AnyConnection,
        id: &str,
        hash: &str,
        now: NaiveDateTime,
    ) -> QueryResult<usize> {
        diesel::update(users::table.find(id))
            .set((
                users::password_hash.eq(hash),
                users::failed_logins.eq(0),
                users::locked_until.eq(None::<NaiveDateTime>),
                users::updated_at.eq(now),
            ))
            .execute(conn)
    }
}
