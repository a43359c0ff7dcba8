//! Offerings through their life: drafting, review, publication, cancellation,
//! and what each party may see of them.

use chrono::{NaiveDateTime, TimeDelta};

use crate::config::Rules;
use crate::db::offerings::{ListFilter, Offering, OfferingTermsRow};
use crate::db::page::{time_value, Cursor, SortKey};
use crate::db::subscriptions::Subscription;
use crate::db::users::User;
use crate::db::{new_id, now, write_transaction, AnyConnection};
use crate::domain::{OfferingStatus, OfferingTerms, Role};
use crate::i18n::Text;
use crate::ledger::{ensure_account, AccountKind};
use crate::mail::outbox::Investors;
use crate::mail::{enqueue, Email, Message};

use super::error::{not_found, Refusal, RefusalKind, ServiceError, ServiceResult};
use super::views::{OfferingView, Page, SubscriptionView};

/// Who is looking: visibility and ownership depend on it.
#[derive(Debug, Clone)]
pub struct Viewer {
    pub user_id: String,
    pub role: Role,
}

/// Fields a sponsor may change on a draft; absent fields stay as they are.
/// `Some(None)` clears an optional field.
#[derive(Debug, Default, Clone)]
pub struct TermsPatch {
    pub title: Option<String>,
    pub summary: Option<String>,
    pub description: Option<String>,
    pub security_type: Option<String>,
    pub price_per_share: Option<i64>,
    pub target_amount: Option<i64>,
    pub min_raise: Option<Option<i64>>,
    pub min_subscription: Option<Option<i64>>,
    pub max_per_investor: Option<Option<i64>>,
    pub max_investors: Option<Option<i64>>,
    pub lead_min_bps: Option<Option<i32>>,
    pub opens_at: Option<Option<NaiveDateTime>>,
    pub closes_at: Option<NaiveDateTime>,
}

fn row(t: &OfferingTerms) -> OfferingTermsRow<'_> {
    OfferingTermsRow {
        title: &t.title,
        summary: &t.summary,
        description: &t.description,
        security_type: &t.security_type,
        price_per_share: t.price_per_share,
        target_amount: t.target_amount,
        min_raise: t.min_raise,
        min_subscription: t.min_subscription,
        max_per_investor: t.max_per_investor,
        max_investors: t.max_investors,
        lead_min_bps: t.lead_min_bps,
        opens_at: t.opens_at,
        closes_at: t.closes_at,
    }
}

fn terms_of(o: &Offering) -> OfferingTerms {
    OfferingTerms {
        title: o.title.clone(),
        summary: o.summary.clone(),
        description: o.description.clone(),
        security_type: o.security_type.clone(),
        price_per_share: o.price_per_share,
        target_amount: o.target_amount,
        min_raise: o.min_raise,
        min_subscription: o.min_subscription,
        max_per_investor: o.max_per_investor,
        max_investors: o.max_investors,
        lead_min_bps: o.lead_min_bps,
        opens_at: o.opens_at,
        closes_at: o.closes_at,
    }
}

pub(crate) fn status_of(o: &Offering) -> ServiceResult<OfferingStatus> {
    o.status.parse().map_err(|_| {
        ServiceError::Internal(anyhow::anyhow!(
            "offering {} has status {:?}",
            o.id,
            o.status
        ))
    })
}

fn wrong_state(o: &Offering, detail: Text) -> ServiceError {
    Refusal::new(RefusalKind::Conflict, "invalid_offering_state", detail)
        .with("offering_status", o.status.clone())
        .into()
}

/// The views of these offerings (a query more for each led round's lead).
fn views_of(
    conn: &mut AnyConnection,
    rows: Vec<Offering>,
    currency: &str,
) -> ServiceResult<Vec<OfferingView>> {
    rows.into_iter()
        .map(|o| view_of(conn, o, currency))
        .collect()
}

pub fn view_of(
    conn: &mut AnyConnection,
    o: Offering,
    currency: &str,
) -> ServiceResult<OfferingView> {
    let lead = super::leads::lead_of(conn, &o)?;
    Ok(OfferingView::new(o, lead, currency))
}

/// The offering as it is now (after a change), for the answer.
fn fresh_view(conn: &mut AnyConnection, id: &str, currency: &str) -> ServiceResult<OfferingView> {
    let offering = Offering::find(conn, id)?.ok_or_else(|| not_found("offering"))?;
    view_of(conn, offering, currency)
}

/// A new draft of `sponsor`.
pub fn create(
    conn: &mut AnyConnection,
    sponsor_id: &str,
    terms: &OfferingTerms,
    rules: &Rules,
    currency: &str,
) -> ServiceResult<OfferingView> {
    let now = now();
    let profile = rules.profile;
    terms.validate(now, rules.min_offering_duration, profile.max_investors())?;
    // The profile's limit on investors, unless the sponsor set a lower one.
    let terms = OfferingTerms {
        max_investors: terms.max_investors.or(profile.max_investors()),
        ..terms.clone()
    };
    let id = new_id();
    write_transaction(conn, |conn| {
        Offering::insert(conn, &id, sponsor_id, &row(&terms), profile.as_str(), now)
    })?;
    fresh_view(conn, &id, currency)
}

/// Loads an offering the viewer may see, or answers 404 (existence is not
/// revealed): drafts and offerings in review only to their sponsor and operators.
pub(crate) fn visible(
    conn: &mut AnyConnection,
    id: &str,
    viewer: Option<&Viewer>,
) -> ServiceResult<Offering> {
    let offering = Offering::find(conn, id)?.ok_or_else(|| not_found("offering"))?;
    let public = status_of(&offering)?.is_public();
    let privileged =
        viewer.is_some_and(|v| v.role == Role::Operator || v.user_id == offering.sponsor_id);
    if public || privileged {
        Ok(offering)
    } else {
        Err(not_found("offering"))
    }
}

/// Loads an offering that belongs to the sponsor (404 otherwise).
fn owned(conn: &mut AnyConnection, id: &str, sponsor_id: &str) -> ServiceResult<Offering> {
    Offering::find(conn, id)?
        .filter(|o| o.sponsor_id == sponsor_id)
        .ok_or_else(|| not_found("offering"))
}

pub fn get(
    conn: &mut AnyConnection,
    id: &str,
    viewer: Option<&Viewer>,
    currency: &str,
) -> ServiceResult<OfferingView> {
    let offering = visible(conn, id, viewer)?;
    view_of(conn, offering, currency)
}

pub fn update_draft(
    conn: &mut AnyConnection,
    sponsor_id: &str,
    id: &str,
    patch: TermsPatch,
    rules: &Rules,
    currency: &str,
) -> ServiceResult<OfferingView> {
    let now = now();
    write_transaction(conn, |conn| -> ServiceResult<()> {
        let offering = owned(conn, id, sponsor_id)?;
        if offering.status != "draft" {
            return Err(wrong_state(
                &offering,
                Text::new("problem-invalid_offering_state-edit"),
            ));
        }
        let mut t = terms_of(&offering);
        let price_changed = patch.price_per_share.is_some();
        let target_changed = patch.target_amount.is_some();
        if let Some(v) = patch.title {
            t.title = v;
        }
        if let Some(v) = patch.summary {
            t.summary = v;
        }
        if let Some(v) = patch.description {
            t.description = v;
        }
        if let Some(v) = patch.security_type {
            t.security_type = v;
        }
        if let Some(v) = patch.price_per_share {
            t.price_per_share = v;
        }
        if let Some(v) = patch.target_amount {
            t.target_amount = v;
        }
        // Cleared (null) defaults again: min_raise to the target, min_subscription to one share.
        match patch.min_raise {
            Some(Some(v)) => t.min_raise = v,
            Some(None) => t.min_raise = t.target_amount,
            None if target_changed && offering.min_raise == offering.target_amount => {
                t.min_raise = t.target_amount
            }
            None => {}
        }
        match patch.min_subscription {
            Some(Some(v)) => t.min_subscription = v,
            Some(None) => t.min_subscription = t.price_per_share,
            None if price_changed && offering.min_subscription == offering.price_per_share => {
                t.min_subscription = t.price_per_share
            }
            None => {}
        }
        if let Some(v) = patch.max_per_investor {
            t.max_per_investor = v;
        }
        // Cleared (null), the profile's limit applies again.
        if let Some(v) = patch.max_investors {
            t.max_investors = v.or(rules.profile.max_investors());
        }
        if let Some(v) = patch.lead_min_bps {
            t.lead_min_bps = v;
        }
        if let Some(v) = patch.opens_at {
            t.opens_at = v;
        }
        if let Some(v) = patch.closes_at {
            t.closes_at = v;
        }
        t.validate(
            now,
            rules.min_offering_duration,
            rules.profile.max_investors(),
        )?;
        if !Offering::update_draft_terms(conn, id, &row(&t), now)? {
            return Err(wrong_state(
                &offering,
                Text::new("problem-invalid_offering_state-edit"),
            ));
        }
        Ok(())
    })?;
    get(
        conn,
        id,
        Some(&Viewer {
            user_id: sponsor_id.to_string(),
            role: Role::Sponsor,
        }),
        currency,
    )
}

/// draft -> in_review. The terms are checked again against the clock.
pub fn submit(
    conn: &mut AnyConnection,
    sponsor_id: &str,
    id: &str,
    min_duration: TimeDelta,
    currency: &str,
) -> ServiceResult<OfferingView> {
    let now = now();
    write_transaction(conn, |conn| -> ServiceResult<()> {
        let offering = owned(conn, id, sponsor_id)?;
        if offering.status != "draft" {
            return Err(wrong_state(
                &offering,
                Text::new("problem-invalid_offering_state-submit"),
            ));
        }
        super::accounts::require_verified_email(conn, sponsor_id)?;
        terms_of(&offering).validate(now, min_duration, None)?;
        if !Offering::mark_submitted(conn, id, now)? {
            return Err(wrong_state(
                &offering,
                Text::new("problem-invalid_offering_state-submit"),
            ));
        }
        Ok(())
    })?;
    get(
        conn,
        id,
        Some(&Viewer {
            user_id: sponsor_id.to_string(),
            role: Role::Sponsor,
        }),
        currency,
    )
}

/// in_review -> open. Opens now unless a later `opens_at` was set; the
/// offering's escrow account is created here, and the platform fee in force
/// now is fixed on it: the round settles on the terms it was approved on.
pub fn approve(
    conn: &mut AnyConnection,
    id: &str,
    min_duration: TimeDelta,
    fee_bps: i64,
    currency: &str,
) -> ServiceResult<OfferingView> {
    let fee_bps = i32::try_from(fee_bps)
        .map_err(|_| super::ServiceError::Internal(anyhow::anyhow!("fee out of range")))?;
    let now = now();
    write_transaction(conn, |conn| -> ServiceResult<()> {
        let offering = Offering::find(conn, id)?.ok_or_else(|| not_found("offering"))?;
        if offering.status != "in_review" {
            return Err(wrong_state(
                &offering,
                Text::new("problem-invalid_offering_state-approve"),
            ));
        }
        let terms = terms_of(&offering);
        if let Err(e) = terms.validate(now, min_duration, None) {
            return Err(Refusal::new(
                RefusalKind::Conflict,
                "offering_window_too_short",
                Text::new("problem-offering_window_too_short").nested("error", e.message),
            )
            .with("field", e.field)
            .into());
        }
        let opens_at = terms.opens_at.map_or(now, |at| at.max(now));
        ensure_account(conn, AccountKind::OfferingEscrow, id, currency)?;
        if !Offering::mark_approved(conn, id, opens_at, fee_bps, now)? {
            return Err(wrong_state(
                &offering,
                Text::new("problem-invalid_offering_state-approve"),
            ));
        }
        Ok(())
    })?;
    fresh_view(conn, id, currency)
}

/// in_review -> draft, with the reason the sponsor will read.
pub fn reject(
    conn: &mut AnyConnection,
    id: &str,
    reason: &str,
    currency: &str,
) -> ServiceResult<OfferingView> {
    let now = now();
    write_transaction(conn, |conn| -> ServiceResult<()> {
        let offering = Offering::find(conn, id)?.ok_or_else(|| not_found("offering"))?;
        if !Offering::mark_rejected(conn, id, reason, now)? {
            return Err(wrong_state(
                &offering,
                Text::new("problem-invalid_offering_state-reject"),
            ));
        }
        Ok(())
    })?;
    fresh_view(conn, id, currency)
}

/// draft | in_review | open -> cancelled, by its sponsor or an operator.
/// Investors with active subscriptions are told; their money stays in escrow
/// until the refund returns it.
pub fn cancel(
    conn: &mut AnyConnection,
    viewer: &Viewer,
    id: &str,
    currency: &str,
) -> ServiceResult<OfferingView> {
    let now = now();
    write_transaction(conn, |conn| -> ServiceResult<()> {
        let offering = match viewer.role {
            Role::Operator => Offering::find(conn, id)?.ok_or_else(|| not_found("offering"))?,
            Role::Sponsor => owned(conn, id, &viewer.user_id)?,
            Role::Investor => return Err(not_found("offering")),
        };
        if !status_of(&offering)?.can_cancel() {
            return Err(wrong_state(
                &offering,
                Text::new("problem-invalid_offering_state-cancel"),
            ));
        }
        if !Offering::mark_cancelled(conn, id, now)? {
            return Err(wrong_state(
                &offering,
                Text::new("problem-invalid_offering_state-changed"),
            ));
        }
        notify_closed(conn, &offering, "cancelled", currency)?;
        Ok(())
    })?;
    fresh_view(conn, id, currency)
}

/// Emails the investors with active subscriptions, and the sponsor, that the
/// offering is now `status` (funded, failed, cancelled). The investors' notice
/// is one set-based statement, however many they are: it runs under the
/// offering's hot locks when a subscription funds the round.
pub fn notify_closed(
    conn: &mut AnyConnection,
    offering: &Offering,
    status: &str,
    currency: &str,
) -> ServiceResult<()> {
    let notice = Message::OfferingClosed {
        offering_title: offering.title.clone(),
        status: status.to_string(),
    };
    crate::mail::outbox::enqueue_to_investors(
        conn,
        Investors::Active {
            offering_id: &offering.id,
        },
        &format!("closed-{}-", offering.id),
        &notice,
        crate::db::now(),
    )?;
    if let Some(sponsor) = User::find(conn, &offering.sponsor_id)? {
        let message = Message::OfferingClosedSponsor {
            offering_title: offering.title.clone(),
            status: status.to_string(),
            raised: offering.raised,
            currency: currency.to_string(),
        };
        enqueue(conn, &Email::to_user(&sponsor, message))?;
    }
    Ok(())
}

pub const SORTS: [&str; 3] = ["closes_at", "raised", "created_at"];

pub struct PublicQuery {
    pub status: Option<OfferingStatus>,
    pub search: Option<String>,
    pub sort: SortKey,
    pub cursor: Option<String>,
    pub limit: i64,
}

pub fn list_public(
    conn: &mut AnyConnection,
    q: PublicQuery,
    currency: &str,
) -> ServiceResult<Page<OfferingView>> {
    // Checked first: a cursor this server did not make is refused even when
    // the status asked for leaves nothing to list.
    let sort_name = q.sort.name();
    let cursor = match &q.cursor {
        Some(text) => Some(Cursor::decode(text, &sort_name).ok_or_else(invalid_cursor)?),
        None => None,
    };
    let statuses: Vec<String> = match q.status {
        Some(s) if s.is_public() => vec![s.as_str().to_string()],
        Some(_) => {
            return Ok(Page {
                items: Vec::new(),
                next_cursor: None,
            })
        }
        None => OfferingStatus::ALL
            .iter()
            .filter(|s| s.is_public())
            .map(|s| s.as_str().to_string())
            .collect(),
    };
    let rows = Offering::list(
        conn,
        &ListFilter {
            statuses,
            search: q.search,
            sort: q.sort,
            cursor,
            limit: q.limit + 1,
        },
    )?;
    let more = rows.len() as i64 > q.limit;
    let rows: Vec<Offering> = rows.into_iter().take(q.limit as usize).collect();
    let next_cursor = next_cursor(&rows, more, &sort_name, |o| {
        let value = match q.sort.column {
            "raised" => o.raised.to_string(),
            "closes_at" => time_value(o.closes_at),
            _ => time_value(o.created_at),
        };
        (value, &o.id)
    });
    let items = views_of(conn, rows, currency)?;
    Ok(Page { items, next_cursor })
}

/// The cursors' sort of [`list_by_status`].
const BY_STATUS: &str = "operator_offerings";

/// Offerings in one status, whatever it is (drafts and offerings in review
/// included), for operators: oldest first by `created_at`, then id. Both
/// never change, so a page boundary stays put however the offerings
/// change while an operator pages through.
pub fn list_by_status(
    conn: &mut AnyConnection,
    status: OfferingStatus,
    cursor: Option<&str>,
    limit: i64,
    currency: &str,
) -> ServiceResult<Page<OfferingView>> {
    let cursor = match cursor {
        Some(text) => Some(Cursor::decode(text, BY_STATUS).ok_or_else(invalid_cursor)?),
        None => None,
    };
    let sort = SortKey {
        column: "created_at",
        descending: false,
    };
    let mut rows = Offering::list(
        conn,
        &ListFilter {
            statuses: vec![status.as_str().to_string()],
            search: None,
            sort,
            cursor,
            limit: limit + 1,
        },
    )?;
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let next_cursor = next_cursor(&rows, more, BY_STATUS, |o| {
        (time_value(o.created_at), &o.id)
    });
    let items = views_of(conn, rows, currency)?;
    Ok(Page { items, next_cursor })
}

pub fn invalid_cursor() -> ServiceError {
    Refusal::new(
        RefusalKind::BadRequest,
        "invalid_cursor",
        Text::new("problem-invalid_cursor"),
    )
    .into()
}

/// Decodes an id-only cursor (lists ordered by id).
pub fn id_cursor(cursor: Option<&str>, list: &str) -> ServiceResult<Option<String>> {
    match cursor {
        Some(text) => Ok(Some(
            Cursor::decode(text, list).ok_or_else(invalid_cursor)?.id,
        )),
        None => Ok(None),
    }
}

pub fn next_id_cursor<T>(
    items: &[T],
    more: bool,
    list: &str,
    id: impl Fn(&T) -> &str,
) -> Option<String> {
    next_cursor(items, more, list, |t| (String::new(), id(t)))
}

/// The cursor of the page after `items` (None on the last page): the last
/// item's sort value and id, by `key`.
pub fn next_cursor<T>(
    items: &[T],
    more: bool,
    list: &str,
    key: impl Fn(&T) -> (String, &str),
) -> Option<String> {
    let last = items.last().filter(|_| more)?;
    let (value, id) = key(last);
    Some(Cursor::new(list, value, id).encode())
}

pub fn list_mine(
    conn: &mut AnyConnection,
    sponsor_id: &str,
    cursor: Option<&str>,
    limit: i64,
    currency: &str,
) -> ServiceResult<Page<OfferingView>> {
    let after = id_cursor(cursor, "mine")?;
    let mut rows = Offering::list_by_sponsor(conn, sponsor_id, after.as_deref(), limit + 1)?;
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let next_cursor = next_id_cursor(&rows, more, "mine", |o| &o.id);
    let items = views_of(conn, rows, currency)?;
    Ok(Page { items, next_cursor })
}

/// The subscribers of an offering: for its sponsor and operators only.
pub fn subscribers(
    conn: &mut AnyConnection,
    viewer: &Viewer,
    offering_id: &str,
    cursor: Option<&str>,
    limit: i64,
) -> ServiceResult<Page<SubscriptionView>> {
    let offering = Offering::find(conn, offering_id)?.ok_or_else(|| not_found("offering"))?;
    let allowed = viewer.role == Role::Operator
        || (viewer.role == Role::Sponsor && viewer.user_id == offering.sponsor_id);
    if !allowed {
        return Err(not_found("offering"));
    }
    let before = id_cursor(cursor, "subscribers")?;
    let mut rows = Subscription::page(conn, None, Some(offering_id), before.as_deref(), limit + 1)?;
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let next_cursor = next_id_cursor(&rows, more, "subscribers", |s| &s.id);
    Ok(Page {
        items: rows
            .into_iter()
            .map(|s| SubscriptionView::new(s, None))
            .collect(),
        next_cursor,
    })
}
