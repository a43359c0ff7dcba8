//! Sponsor updates: posted on an approved offering, published at once or at
//! a chosen time, public or for the offering's investors only, each emailed
//! once to every investor of the offering.

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::Serialize;

use crate::db::offerings::Offering;
use crate::db::page::{time_value, Cursor};
use crate::db::subscriptions::Subscription;
use crate::db::updates::{self, Shown, Update};
use crate::db::{clock, new_id, write_transaction, AnyConnection};
use crate::domain::document::Visibility;
use crate::domain::rich_text::{self, BodyFormat};
use crate::domain::Role;
use crate::i18n::Text;
use crate::mail::outbox::{enqueue_to_investors, Investors};
use crate::mail::Message;

use super::error::{not_found, Refusal, RefusalKind, ServiceResult};
use super::offerings::{invalid_cursor, status_of, visible, Viewer};
use super::views::{utc, Page};

/// How many due updates one pass of the publisher takes.
const BATCH: i64 = 100;

/// The list's name in its cursors.
const LIST: &str = "updates";

#[derive(Debug, Clone, Serialize)]
pub struct UpdateView {
    pub id: String,
    pub offering_id: String,
    pub title: String,
    /// As the sponsor wrote it.
    pub body: String,
    pub body_format: String,
    /// The body as HTML safe to insert into a page.
    pub body_html: String,
    pub audience: String,
    pub publish_at: DateTime<Utc>,
    /// Null while it waits for `publish_at` (seen by its sponsor and operators only).
    pub published_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl UpdateView {
    fn new(u: Update) -> Self {
        let format = BodyFormat::parse(&u.body_format).unwrap_or(BodyFormat::Text);
        Self {
            body_html: rich_text::to_html(&u.body, format),
            id: u.id,
            offering_id: u.offering_id,
            title: u.title,
            body: u.body,
            body_format: u.body_format,
            audience: u.audience,
            publish_at: utc(u.publish_at),
            published_at: u.published_at.map(utc),
            created_at: utc(u.created_at),
        }
    }
}

/// A new update, its fields already checked.
#[derive(Debug, Clone)]
pub struct NewUpdate {
    pub title: String,
    pub body: String,
    pub format: BodyFormat,
    pub audience: Visibility,
    /// None: now.
    pub publish_at: Option<NaiveDateTime>,
}

/// The furthest ahead an update may be scheduled.
pub const MAX_SCHEDULE_DAYS: i64 = 366;

/// Posts an update on the sponsor's offering (once it is approved): published
/// now, with its emails queued in the same transaction, or left for the
/// publisher when `publish_at` is still ahead by the database's clock.
pub fn post(
    conn: &mut AnyConnection,
    sponsor_id: &str,
    offering_id: &str,
    new: NewUpdate,
    base_url: &str,
) -> ServiceResult<UpdateView> {
    write_transaction(conn, |conn| -> ServiceResult<UpdateView> {
        let offering = Offering::find(conn, offering_id)?
            .filter(|o| o.sponsor_id == sponsor_id)
            .ok_or_else(|| not_found("offering"))?;
        if !status_of(&offering)?.is_public() {
            return Err(Refusal::new(
                RefusalKind::Conflict,
                "offering_not_public",
                Text::new("problem-offering_not_public"),
            )
            .with("offering_status", offering.status.clone())
            .into());
        }
        let now = clock(conn)?;
        let publish_at = new.publish_at.map_or(now, |at| at.max(now));
        if publish_at > now + chrono::TimeDelta::days(MAX_SCHEDULE_DAYS) {
            return Err(Refusal::new(
                RefusalKind::Invalid,
                "invalid_field",
                Text::new("problem-invalid_field-publish_at-schedule")
                    .number("days", MAX_SCHEDULE_DAYS),
            )
            .with("field", "publish_at")
            .into());
        }
        let mut update = Update {
            id: new_id(),
            offering_id: offering_id.to_string(),
            author_id: sponsor_id.to_string(),
            title: new.title,
            body: new.body,
            body_format: new.format.as_str().to_string(),
            audience: new.audience.as_str().to_string(),
            publish_at,
            published_at: None,
            created_at: now,
        };
        updates::insert(conn, &update)?;
        if publish_at <= now && publish(conn, &update, &offering, base_url, now)? {
            update.published_at = Some(now);
        }
        Ok(UpdateView::new(update))
    })
}

fn update_url(base_url: &str, offering_id: &str, update_id: &str) -> String {
    format!(
        "{}/api/v1/offerings/{offering_id}/updates/{update_id}",
        base_url.trim_end_matches('/')
    )
}

/// Marks the update published and queues its email to every investor of
/// the offering; false (and nothing queued) when it already was published.
fn publish(
    conn: &mut AnyConnection,
    update: &Update,
    offering: &Offering,
    base_url: &str,
    now: NaiveDateTime,
) -> ServiceResult<bool> {
    if !updates::mark_published(conn, &update.id, now)? {
        return Ok(false);
    }
    let message = Message::OfferingUpdate {
        offering_title: offering.title.clone(),
        title: update.title.clone(),
        body: update.body.clone(),
        url: update_url(base_url, &offering.id, &update.id),
    };
    enqueue_to_investors(
        conn,
        Investors::Committed {
            offering_id: &offering.id,
        },
        &format!("update:{}:", update.id),
        &message,
        now,
    )?;
    Ok(true)
}

/// Publishes the scheduled updates that have fallen due by the database's
/// clock, each in its own transaction; returns how many this caller
/// published. Run by the sweeper of every server: an update is published
/// (and emailed) once, by whichever gets to it first.
pub fn publish_due(conn: &mut AnyConnection, base_url: &str) -> ServiceResult<usize> {
    let now = clock(conn)?;
    let mut published = 0;
    for id in updates::due(conn, now, BATCH)? {
        let done = write_transaction(conn, |conn| -> ServiceResult<bool> {
            let Some(update) = updates::find_any(conn, &id)? else {
                return Ok(false);
            };
            let Some(offering) = Offering::find(conn, &update.offering_id)? else {
                return Ok(false);
            };
            publish(conn, &update, &offering, base_url, now)
        })?;
        if done {
            tracing::info!(update = %id, "scheduled update published");
            published += 1;
        }
    }
    Ok(published)
}

/// What this viewer may read of the offering's updates.
fn shown(
    conn: &mut AnyConnection,
    offering: &Offering,
    viewer: Option<&Viewer>,
) -> ServiceResult<Shown> {
    let Some(viewer) = viewer else {
        return Ok(Shown {
            investors_only: false,
            unpublished: false,
        });
    };
    let privileged = viewer.role == Role::Operator || viewer.user_id == offering.sponsor_id;
    let investor = !privileged
        && viewer.role == Role::Investor
        && Subscription::has_invested(conn, &offering.id, &viewer.user_id)?;
    Ok(Shown {
        investors_only: privileged || investor,
        unpublished: privileged,
    })
}

/// The offering's updates this viewer may read, newest first: public ones
/// for everyone, investors-only ones for the offering's investors, its
/// sponsor and operators, scheduled ones for the sponsor and operators.
pub fn list(
    conn: &mut AnyConnection,
    viewer: Option<&Viewer>,
    offering_id: &str,
    cursor: Option<&str>,
    limit: i64,
) -> ServiceResult<Page<UpdateView>> {
    let offering = visible(conn, offering_id, viewer)?;
    let shown = shown(conn, &offering, viewer)?;
    let after = match cursor {
        Some(text) => {
            let c = Cursor::decode(text, LIST).ok_or_else(invalid_cursor)?;
            Some((c.time(), c.id))
        }
        None => None,
    };
    let mut rows = updates::list(conn, offering_id, shown, after, limit + 1)?;
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let next_cursor =
        super::offerings::next_cursor(&rows, more, LIST, |u| (time_value(u.publish_at), &u.id));
    Ok(Page {
        items: rows.into_iter().map(UpdateView::new).collect(),
        next_cursor,
    })
}

/// One update, if this viewer may read it (404 otherwise: an update for
/// investors says nothing of itself to anyone else).
pub fn get(
    conn: &mut AnyConnection,
    viewer: Option<&Viewer>,
    offering_id: &str,
    update_id: &str,
) -> ServiceResult<UpdateView> {
    let offering = visible(conn, offering_id, viewer)?;
    let shown = shown(conn, &offering, viewer)?;
    let update = updates::find(conn, offering_id, update_id)?
        .filter(|u| shown.investors_only || u.audience == Visibility::Public.as_str())
        .filter(|u| shown.unpublished || u.published_at.is_some())
        .ok_or_else(|| not_found("update"))?;
    Ok(UpdateView::new(update))
}
