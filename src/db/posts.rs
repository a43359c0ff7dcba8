//! Questions and answers on an offering (migration 000010).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{offering_posts, users};
use super::AnyConnection;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = offering_posts)]
pub struct Post {
    pub id: String,
    pub offering_id: String,
    pub question_id: Option<String>,
    pub author_id: String,
    pub body: String,
    pub from_sponsor: bool,
    pub paid_promoter: bool,
    pub sponsor_affiliated: bool,
    pub hidden_at: Option<NaiveDateTime>,
    pub hidden_by: Option<String>,
    pub hidden_reason: Option<String>,
    pub created_at: NaiveDateTime,
}

/// A post and the display name of its author.
pub type Signed = (Post, String);

pub fn insert(conn: &mut AnyConnection, p: &Post) -> QueryResult<()> {
    diesel::insert_into(offering_posts::table)
        .values(p)
        .execute(conn)
        .map(drop)
}

pub fn find(conn: &mut AnyConnection, offering_id: &str, id: &str) -> QueryResult<Option<Post>> {
    offering_posts::table
        .filter(offering_posts::id.eq(id))
        .filter(offering_posts::offering_id.eq(offering_id))
        .select(Post::as_select())
        .first(conn)
        .optional()
}

/// The offering's questions newest first, after `before_id`.
pub fn questions(
    conn: &mut AnyConnection,
    offering_id: &str,
    before_id: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<Signed>> {
    let mut q = offering_posts::table
        .inner_join(users::table.on(users::id.eq(offering_posts::author_id)))
        .filter(offering_posts::offering_id.eq(offering_id))
        .filter(offering_posts::question_id.is_null())
        .select((Post::as_select(), users::display_name))
        .order(offering_posts::id.desc())
        .limit(limit)
        .into_boxed();
    if let Some(before) = before_id {
        q = q.filter(offering_posts::id.lt(before.to_string()));
    }
    q.load(conn)
}

/// The replies to these questions, oldest first.
pub fn replies(conn: &mut AnyConnection, question_ids: &[String]) -> QueryResult<Vec<Signed>> {
    if question_ids.is_empty() {
        return Ok(Vec::new());
    }
    offering_posts::table
        .inner_join(users::table.on(users::id.eq(offering_posts::author_id)))
        .filter(offering_posts::question_id.eq_any(question_ids))
        .select((Post::as_select(), users::display_name))
        .order(offering_posts::id)
        .load(conn)
}

/// Hides the post with a reason; false when it was already hidden.
pub fn hide(
    conn: &mut AnyConnection,
    id: &str,
    by: &str,
    reason: &str,
    at: NaiveDateTime,
) -> QueryResult<bool> {
    diesel::update(offering_posts::table)
        .filter(offering_posts::id.eq(id))
        .filter(offering_posts::hidden_at.is_null())
        .set((
            offering_posts::hidden_at.eq(at),
            offering_posts::hidden_by.eq(by),
            offering_posts::hidden_reason.eq(reason),
        ))
        .execute(conn)
        .map(|n| n == 1)
}

/// Shows a hidden post again; false when it was not hidden.
pub fn restore(conn: &mut AnyConnection, id: &str) -> QueryResult<bool> {
    diesel::update(offering_posts::table)
        .filter(offering_posts::id.eq(id))
        .filter(offering_posts::hidden_at.is_not_null())
        .set((
            offering_posts::hidden_at.eq(None::<NaiveDateTime>),
            offering_posts::hidden_by.eq(None::<String>),
            offering_posts::hidden_reason.eq(None::<String>),
        ))
        .execute(conn)
        .map(|n| n == 1)
}
