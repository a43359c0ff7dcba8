//! The `users` table.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::users;
use super::{contains_pattern, lower, AnyConnection, Backend, LIKE_ESCAPE};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = users)]
pub struct User {
    pub id: String,
    pub email: String,
    pub password_hash: String,
    pub display_name: String,
    pub role: String,
    pub email_verified_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub disabled_at: Option<NaiveDateTime>,
    /// `en` or `zh-CN`; unset: the deployment's default.
    pub locale: Option<String>,
    /// An IANA time zone; unset: the deployment's default.
    pub time_zone: Option<String>,
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
    pub locale: Option<&'a str>,
    pub time_zone: Option<&'a str>,
}

impl User {
    /// Sets what is given of a person's locale and time zone.
    pub fn set_language(
        conn: &mut AnyConnection,
        id: &str,
        locale: Option<&str>,
        time_zone: Option<&str>,
        now: NaiveDateTime,
    ) -> QueryResult<usize> {
        let row = users::table.find(id);
        let mut changed = 0;
        if let Some(locale) = locale {
            changed = diesel::update(row)
                .set((users::locale.eq(locale), users::updated_at.eq(now)))
                .execute(conn)?;
        }
        if let Some(zone) = time_zone {
            changed = diesel::update(row)
                .set((users::time_zone.eq(zone), users::updated_at.eq(now)))
                .execute(conn)?;
        }
        Ok(changed)
    }

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

    /// A page of users by (email, id), from after `after` (the last email
    /// and id seen). With `email_contains`, only those whose email contains
    /// it, whatever the case of its ASCII letters (emails are ASCII), its `%`
    /// and `_` matching themselves: the same on SQLite and PostgreSQL.
    pub fn page_by_email(
        conn: &mut AnyConnection,
        email_contains: Option<&str>,
        after: Option<(String, String)>,
        limit: i64,
    ) -> QueryResult<Vec<User>> {
        let mut query = users::table
            .select(User::as_select())
            .order_by((users::email.asc(), users::id.asc()))
            .limit(limit)
            .into_boxed::<Backend>();
        if let Some(needle) = email_contains {
            let pattern = contains_pattern(&needle.to_ascii_lowercase());
            query = query.filter(lower(users::email).like(pattern).escape(LIKE_ESCAPE));
        }
        if let Some((email, id)) = after {
            query = query.filter(
                users::email
                    .gt(email.clone())
                    .or(users::email.eq(email).and(users::id.gt(id))),
            );
        }
        query.load(conn)
    }

    pub fn insert(conn: &mut AnyConnection, new: &NewUser<'_>) -> QueryResult<usize> {
        diesel::insert_into(users::table).values(new).execute(conn)
    }

    /// Locks the user's row for the rest of the transaction, while the
    /// password is still `password_hash` and the account is enabled; false
    /// if either changed (a reset or disabling committed meanwhile).
    pub fn hold_for_sign_in(
        conn: &mut AnyConnection,
        id: &str,
        password_hash: &str,
    ) -> QueryResult<bool> {
        diesel::update(
            users::table
                .find(id)
                .filter(users::password_hash.eq(password_hash))
                .filter(users::disabled_at.is_null()),
        )
        .set(users::updated_at.eq(users::updated_at))
        .execute(conn)
        .map(|n| n == 1)
    }

    /// Locks the user's row for the rest of the transaction.
    pub fn hold(conn: &mut AnyConnection, id: &str) -> QueryResult<bool> {
        diesel::update(users::table.find(id))
            .set(users::updated_at.eq(users::updated_at))
            .execute(conn)
            .map(|n| n == 1)
    }

    /// Claims the right to email the owner about failed sign-ins: true for
    /// one caller, unless the owner was alerted after `quiet_since`.
    pub fn claim_sign_in_alert(
        conn: &mut AnyConnection,
        id: &str,
        now: NaiveDateTime,
        quiet_since: NaiveDateTime,
    ) -> QueryResult<bool> {
        diesel::update(
            users::table.find(id).filter(
                users::sign_in_alert_at
                    .is_null()
                    .or(users::sign_in_alert_at.lt(quiet_since)),
            ),
        )
        .set(users::sign_in_alert_at.eq(Some(now)))
        .execute(conn)
        .map(|n| n == 1)
    }

    /// Disables (`Some(now)`) or re-enables (`None`) an account.
    pub fn set_disabled(
        conn: &mut AnyConnection,
        id: &str,
        disabled_at: Option<NaiveDateTime>,
        now: NaiveDateTime,
    ) -> QueryResult<usize> {
        diesel::update(users::table.find(id))
            .set((
                users::disabled_at.eq(disabled_at),
                users::updated_at.eq(now),
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
            .set((users::password_hash.eq(hash), users::updated_at.eq(now)))
            .execute(conn)
    }
}
