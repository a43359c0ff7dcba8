//! Questions and answers on an offering: the communication channel every
//! offering has. Anyone who can see the offering reads it; signed-in
//! accounts post, each post stating whether its author is paid to promote
//! the offering or works for its sponsor; the sponsor's own posts are
//! marked as the sponsor's. Operators hide and restore posts, with a
//! reason, but never change what was written.

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::Serialize;

use crate::db::offerings::Offering;
use crate::db::posts::{self, Post, Signed};
use crate::db::users::User;
use crate::db::{clock, new_id, write_transaction, AnyConnection};
use crate::domain::rich_text::{self, BodyFormat};
use crate::domain::Role;
use crate::i18n::Text;
use crate::mail::{enqueue_with_id, Email, Message};

use super::error::{not_found, Refusal, RefusalKind, ServiceResult};
use super::offerings::{id_cursor, next_id_cursor, visible, Viewer};
use super::rate_limits::{Attempt, LimitError, RateLimits};
use super::views::{utc, Page};

/// The list's name in its cursors.
const LIST: &str = "questions";

#[derive(Debug, Clone, Serialize)]
pub struct Hidden {
    pub at: DateTime<Utc>,
    pub reason: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct PostView {
    pub id: String,
    /// The question a reply answers; null on a question.
    pub question_id: Option<String>,
    pub author_name: String,
    /// Written by the offering's sponsor.
    pub from_sponsor: bool,
    /// The author is paid to promote the offering.
    pub paid_promoter: bool,
    /// The author works for, or is, the offering's sponsor.
    pub sponsor_affiliated: bool,
    /// As written, to be shown as text. Null when the post is hidden
    /// (except to operators).
    pub body: Option<String>,
    /// The body as escaped HTML, safe to insert into a page.
    pub body_html: Option<String>,
    pub created_at: DateTime<Utc>,
    /// Set when an operator hid the post.
    pub hidden: Option<Hidden>,
    /// A question's replies, oldest first.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replies: Option<Vec<PostView>>,
}

fn view((p, author_name): Signed, operator: bool) -> PostView {
    let readable = p.hidden_at.is_none() || operator;
    PostView {
        body_html: readable.then(|| rich_text::to_html(&p.body, BodyFormat::Text)),
        body: readable.then_some(p.body),
        hidden: p.hidden_at.map(|at| Hidden {
            at: utc(at),
            reason: p.hidden_reason.unwrap_or_default(),
        }),
        id: p.id,
        question_id: p.question_id,
        author_name,
        from_sponsor: p.from_sponsor,
        paid_promoter: p.paid_promoter,
        sponsor_affiliated: p.sponsor_affiliated,
        created_at: utc(p.created_at),
        replies: None,
    }
}

/// What a poster states about themselves, and what they wrote (checked).
#[derive(Debug, Clone)]
pub struct NewPost {
    pub body: String,
    pub paid_promoter: bool,
    pub sponsor_affiliated: bool,
}

/// What posting needs besides the post.
pub struct Posting<'a> {
    pub limits: &'a RateLimits,
    pub base_url: &'a str,
}

fn questions_url(base_url: &str, offering_id: &str) -> String {
    format!(
        "{}/api/v1/offerings/{offering_id}/questions",
        base_url.trim_end_matches('/')
    )
}

/// Counts the post against its author's limit (the offering's own sponsor
/// answering and operators are not limited). Counted in its own
/// transaction, so that refused posts count too.
fn count_post(
    conn: &mut AnyConnection,
    offering: &Offering,
    viewer: &Viewer,
    limits: &RateLimits,
) -> ServiceResult<()> {
    if viewer.role == Role::Operator || viewer.user_id == offering.sponsor_id {
        return Ok(());
    }
    limits
        .hit(
            conn,
            Attempt::Post {
                account_id: &viewer.user_id,
            },
        )
        .map_err(|e| match e {
            LimitError::Exceeded(e) => Refusal::new(
                RefusalKind::TooMany,
                "rate_limited",
                Text::new("problem-rate_limited-posts"),
            )
            .with("retry_after", e.retry_after_secs)
            .into(),
            LimitError::Database(e) => e.into(),
        })
}

fn new_row(
    offering: &Offering,
    viewer: &Viewer,
    question_id: Option<String>,
    new: NewPost,
    now: NaiveDateTime,
) -> Post {
    let from_sponsor = viewer.user_id == offering.sponsor_id;
    Post {
        id: new_id(),
        offering_id: offering.id.clone(),
        question_id,
        author_id: viewer.user_id.clone(),
        body: new.body,
        from_sponsor,
        paid_promoter: new.paid_promoter,
        // The sponsor's own account is the sponsor, whatever it ticked.
        sponsor_affiliated: new.sponsor_affiliated || from_sponsor,
        hidden_at: None,
        hidden_by: None,
        hidden_reason: None,
        created_at: now,
    }
}

fn signed(conn: &mut AnyConnection, post: Post) -> ServiceResult<Signed> {
    let name = User::find(conn, &post.author_id)?
        .map(|u| u.display_name)
        .unwrap_or_default();
    Ok((post, name))
}

/// Asks a question on an offering the viewer can see; its sponsor is
/// emailed (unless the sponsor asked).
pub fn ask(
    conn: &mut AnyConnection,
    viewer: &Viewer,
    offering_id: &str,
    new: NewPost,
    posting: &Posting<'_>,
) -> ServiceResult<PostView> {
    let offering = visible(conn, offering_id, Some(viewer))?;
    count_post(conn, &offering, viewer, posting.limits)?;
    write_transaction(conn, |conn| -> ServiceResult<PostView> {
        let post = new_row(&offering, viewer, None, new, clock(conn)?);
        posts::insert(conn, &post)?;
        if !post.from_sponsor {
            if let Some(sponsor) = User::find(conn, &offering.sponsor_id)? {
                let message = Message::NewQuestion {
                    offering_title: offering.title.clone(),
                    question: post.body.clone(),
                    url: questions_url(posting.base_url, &offering.id),
                };
                let email = Email::to_user(&sponsor, message);
                enqueue_with_id(conn, &format!("question:{}", post.id), &email)?;
            }
        }
        let operator = viewer.role == Role::Operator;
        Ok(view(signed(conn, post)?, operator))
    })
}

/// Replies to a question (not hidden); when the sponsor answers, whoever
/// asked is emailed.
pub fn reply(
    conn: &mut AnyConnection,
    viewer: &Viewer,
    offering_id: &str,
    question_id: &str,
    new: NewPost,
    posting: &Posting<'_>,
) -> ServiceResult<PostView> {
    let offering = visible(conn, offering_id, Some(viewer))?;
    let question = posts::find(conn, offering_id, question_id)?
        .filter(|q| q.question_id.is_none())
        .ok_or_else(|| not_found("question"))?;
    if question.hidden_at.is_some() {
        return Err(Refusal::new(
            RefusalKind::Conflict,
            "post_hidden",
            Text::new("problem-post_hidden"),
        )
        .into());
    }
    count_post(conn, &offering, viewer, posting.limits)?;
    write_transaction(conn, |conn| -> ServiceResult<PostView> {
        let post = new_row(
            &offering,
            viewer,
            Some(question.id.clone()),
            new,
            clock(conn)?,
        );
        posts::insert(conn, &post)?;
        if post.from_sponsor && question.author_id != viewer.user_id {
            if let Some(asker) = User::find(conn, &question.author_id)? {
                let message = Message::QuestionAnswered {
                    offering_title: offering.title.clone(),
                    answer: post.body.clone(),
                    url: questions_url(posting.base_url, &offering.id),
                };
                let email = Email::to_user(&asker, message);
                enqueue_with_id(conn, &format!("answer:{}", post.id), &email)?;
            }
        }
        let operator = viewer.role == Role::Operator;
        Ok(view(signed(conn, post)?, operator))
    })
}

/// The offering's questions newest first, each with its replies.
pub fn list(
    conn: &mut AnyConnection,
    viewer: Option<&Viewer>,
    offering_id: &str,
    cursor: Option<&str>,
    limit: i64,
) -> ServiceResult<Page<PostView>> {
    visible(conn, offering_id, viewer)?;
    let operator = viewer.is_some_and(|v| v.role == Role::Operator);
    let before = id_cursor(cursor, LIST)?;
    let mut rows = posts::questions(conn, offering_id, before.as_deref(), limit + 1)?;
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let next_cursor = next_id_cursor(&rows, more, LIST, |(p, _)| &p.id);
    let ids: Vec<String> = rows.iter().map(|(p, _)| p.id.clone()).collect();
    let mut replies = posts::replies(conn, &ids)?;
    let items = rows
        .into_iter()
        .map(|row| {
            let id = row.0.id.clone();
            let mut question = view(row, operator);
            let (mine, rest): (Vec<Signed>, Vec<Signed>) = replies
                .drain(..)
                .partition(|(r, _)| r.question_id.as_deref() == Some(id.as_str()));
            replies = rest;
            question.replies = Some(mine.into_iter().map(|r| view(r, operator)).collect());
            question
        })
        .collect();
    Ok(Page { items, next_cursor })
}

/// Hides or restores a post.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Moderation {
    Hide,
    Restore,
}

/// An operator hides or restores a post; the caller audits it with `reason`.
pub fn moderate(
    conn: &mut AnyConnection,
    operator_id: &str,
    offering_id: &str,
    post_id: &str,
    action: Moderation,
    reason: &str,
) -> ServiceResult<PostView> {
    write_transaction(conn, |conn| -> ServiceResult<PostView> {
        posts::find(conn, offering_id, post_id)?.ok_or_else(|| not_found("post"))?;
        let now = clock(conn)?;
        let changed = match action {
            Moderation::Hide => posts::hide(conn, post_id, operator_id, reason, now)?,
            Moderation::Restore => posts::restore(conn, post_id)?,
        };
        if !changed {
            let (code, detail) = match action {
                Moderation::Hide => ("already_hidden", Text::new("problem-already_hidden")),
                Moderation::Restore => ("not_hidden", Text::new("problem-not_hidden")),
            };
            return Err(Refusal::new(RefusalKind::Conflict, code, detail).into());
        }
        let post = posts::find(conn, offering_id, post_id)?.ok_or_else(|| not_found("post"))?;
        Ok(view(signed(conn, post)?, true))
    })
}
