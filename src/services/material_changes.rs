//! Material changes: an amendment its sponsor or an operator declares
//! material. Every subscription active when it is declared, and made before
//! the amendment, then awaits its investor's reconfirmation for a number of
//! business days (by the deployment's holiday calendar): the investor is
//! emailed at once and reminded before the deadline, and may reconfirm or
//! cancel until then. At the deadline, silence cancels the subscription and
//! returns its money, once, by whichever server's sweeper gets to it first.
//! The round cannot settle while any subscription awaits.

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::Serialize;

use crate::config::ReconfirmationSettings;
use crate::db::audit::{self, Actor};
use crate::db::documents;
use crate::db::material_changes::{self, Answers, MaterialChange};
use crate::db::offerings::Offering;
use crate::db::subscriptions::Subscription;
use crate::db::{clock, new_id, write_transaction, AnyConnection};
use crate::domain::Role;
use crate::i18n::Text;
use crate::ledger::{find_account, lock_balance, AccountKind};
use crate::mail::outbox::{enqueue_to_investors, Investors};
use crate::mail::Message;

use super::documents::documents_path;
use super::error::{not_found, Refusal, RefusalKind, ServiceError, ServiceResult};
use super::offerings::{notify_closed, Viewer};
use super::subscriptions::{release, Release, AWAITING};
use super::views::{utc, SubscriptionView};

/// How many lapsed subscriptions (or due reminders) one sweep takes.
const BATCH: i64 = 200;

#[derive(Debug, Clone, Serialize)]
pub struct MaterialChangeView {
    pub id: String,
    pub offering_id: String,
    /// `amendment` (a document version declared material) or
    /// `lead_withdrawn` (the lead's commitment fell below the minimum).
    pub kind: String,
    /// The amended document and version (null for a lead's withdrawal).
    pub document_id: Option<String>,
    pub version: Option<i32>,
    pub reason: String,
    pub declared_at: DateTime<Utc>,
    /// Subscriptions not reconfirmed by then are cancelled and refunded.
    pub deadline: DateTime<Utc>,
    pub remind_at: DateTime<Utc>,
    pub reminded_at: Option<DateTime<Utc>>,
    pub awaiting: i64,
    pub reconfirmed: i64,
    pub declined: i64,
    pub lapsed: i64,
}

impl MaterialChangeView {
    fn new(c: MaterialChange, a: Answers) -> Self {
        Self {
            id: c.id,
            offering_id: c.offering_id,
            kind: c.kind,
            document_id: c.document_id,
            version: c.version,
            reason: c.reason,
            declared_at: utc(c.declared_at),
            deadline: utc(c.deadline),
            remind_at: utc(c.remind_at),
            reminded_at: c.reminded_at.map(utc),
            awaiting: a.awaiting,
            reconfirmed: a.reconfirmed,
            declined: a.declined,
            lapsed: a.lapsed,
        }
    }
}

fn conflict(code: &'static str, detail: Text) -> Refusal {
    Refusal::new(RefusalKind::Conflict, code, detail)
}

/// The offering, if this viewer may declare its changes: its sponsor, or an
/// operator (404 for anyone else: another sponsor learns nothing).
fn declarable(conn: &mut AnyConnection, viewer: &Viewer, id: &str) -> ServiceResult<Offering> {
    Offering::find(conn, id)?
        .filter(|o| viewer.role == Role::Operator || o.sponsor_id == viewer.user_id)
        .ok_or_else(|| not_found("offering"))
}

/// What a notice about a change says.
struct Notice<'a> {
    change: &'a MaterialChange,
    offering_title: &'a str,
    about: About<'a>,
    base_url: &'a str,
}

/// What changed.
enum About<'a> {
    Amendment { kind: &'a str, file_name: &'a str },
    LeadWithdrawn,
}

fn queue_notice(
    conn: &mut AnyConnection,
    n: &Notice<'_>,
    reminder: bool,
    now: NaiveDateTime,
) -> ServiceResult<usize> {
    let message = match n.about {
        About::Amendment { kind, file_name } => Message::MaterialChange {
            offering_title: n.offering_title.to_string(),
            document_kind: kind.to_string(),
            file_name: file_name.to_string(),
            version: i64::from(n.change.version.unwrap_or_default()),
            reason: n.change.reason.clone(),
            deadline: utc(n.change.deadline),
            documents_url: documents_path(n.base_url, &n.change.offering_id),
            reminder,
        },
        About::LeadWithdrawn => Message::LeadWithdrawn {
            offering_title: n.offering_title.to_string(),
            deadline: utc(n.change.deadline),
            offering_url: format!(
                "{}/api/v1/offerings/{}",
                n.base_url.trim_end_matches('/'),
                n.change.offering_id
            ),
            reminder,
        },
    };
    let prefix = if reminder { "reminder" } else { "material" };
    Ok(enqueue_to_investors(
        conn,
        Investors::Awaiting {
            material_change_id: &n.change.id,
        },
        &format!("{prefix}:{}:", n.change.id),
        &message,
        now,
    )?)
}

/// Which version is declared material, and why (in the investors' words).
#[derive(Debug, Clone)]
pub struct Declaration {
    pub offering_id: String,
    pub document_id: String,
    pub version: i32,
    pub reason: String,
}

/// Declares an amendment (a version published after approval) material,
/// while the round is open or funded. Returns the change with how many
/// subscriptions now await reconfirmation. The caller audits it.
pub fn declare(
    conn: &mut AnyConnection,
    viewer: &Viewer,
    declaration: &Declaration,
    settings: &ReconfirmationSettings,
    base_url: &str,
) -> ServiceResult<MaterialChangeView> {
    let Declaration {
        offering_id,
        document_id,
        version,
        reason,
    } = declaration;
    let (offering_id, document_id, version) =
        (offering_id.as_str(), document_id.as_str(), *version);
    write_transaction(conn, |conn| -> ServiceResult<MaterialChangeView> {
        declarable(conn, viewer, offering_id)?;
        // The escrow first (the lock order of `crate::db`): a settlement or
        // refund of this round has committed, and is seen below, or waits.
        if let Some(escrow) = find_account(conn, AccountKind::OfferingEscrow, offering_id)? {
            lock_balance(conn, &escrow.id)?;
        }
        let offering = declarable(conn, viewer, offering_id)?;
        if !matches!(offering.status.as_str(), "open" | "funded") {
            return Err(conflict(
                "offering_not_open",
                Text::new("problem-offering_not_open-material_change"),
            )
            .with("offering_status", offering.status.clone())
            .into());
        }
        let document = documents::find(conn, offering_id, document_id)?
            .ok_or_else(|| not_found("document"))?;
        let (amended, _) =
            documents::version(conn, document_id, version)?.ok_or_else(|| not_found("version"))?;
        if !amended.amendment {
            return Err(conflict("not_an_amendment", Text::new("problem-not_an_amendment")).into());
        }
        if material_changes::declared(conn, document_id, version)? {
            return Err(conflict("already_declared", Text::new("problem-already_declared")).into());
        }
        let now = clock(conn)?;
        let deadline = settings
            .calendar
            .add_business_days(now, settings.business_days);
        let change = MaterialChange {
            id: new_id(),
            offering_id: offering_id.to_string(),
            kind: "amendment".to_string(),
            document_id: Some(document_id.to_string()),
            version: Some(version),
            reason: reason.clone(),
            declared_by: viewer.user_id.clone(),
            declared_at: now,
            deadline,
            remind_at: (deadline - settings.reminder_before).max(now),
            reminded_at: None,
        };
        material_changes::insert(conn, &change)?;
        material_changes::ask_reconfirmation(conn, &change, amended.offering_revision)?;
        let kind = document.kind.as_str();
        queue_notice(
            conn,
            &Notice {
                change: &change,
                offering_title: &offering.title,
                about: About::Amendment {
                    kind,
                    file_name: &amended.file_name,
                },
                base_url,
            },
            false,
            now,
        )?;
        let answers = material_changes::answers(conn, &change.id)?;
        Ok(MaterialChangeView::new(change, answers))
    })
}

/// The lead of `offering` withdrew (their commitment fell below the
/// minimum), inside the caller's transaction, which holds the offering's
/// escrow: every follower's active subscription awaits reconfirmation, as
/// after a material change, and is told so. `by` is who caused it (the
/// lead cancelling, or an operator). Returns the change.
pub fn lead_withdrew(
    conn: &mut AnyConnection,
    offering: &Offering,
    lead_id: &str,
    by: &str,
    settings: &ReconfirmationSettings,
    base_url: &str,
    now: NaiveDateTime,
) -> ServiceResult<MaterialChange> {
    let deadline = settings
        .calendar
        .add_business_days(now, settings.business_days);
    let change = MaterialChange {
        id: new_id(),
        offering_id: offering.id.clone(),
        kind: "lead_withdrawn".to_string(),
        document_id: None,
        version: None,
        reason: "The lead investor withdrew their commitment.".to_string(),
        declared_by: by.to_string(),
        declared_at: now,
        deadline,
        remind_at: (deadline - settings.reminder_before).max(now),
        reminded_at: None,
    };
    material_changes::insert(conn, &change)?;
    material_changes::ask_followers(conn, &change, lead_id)?;
    queue_notice(
        conn,
        &Notice {
            change: &change,
            offering_title: &offering.title,
            about: About::LeadWithdrawn,
            base_url,
        },
        false,
        now,
    )?;
    Ok(change)
}

/// The offering's material changes, newest first, with their answers (its
/// sponsor and operators).
pub fn list(
    conn: &mut AnyConnection,
    viewer: &Viewer,
    offering_id: &str,
) -> ServiceResult<Vec<MaterialChangeView>> {
    declarable(conn, viewer, offering_id)?;
    material_changes::of_offering(conn, offering_id)?
        .into_iter()
        .map(|c| {
            let answers = material_changes::answers(conn, &c.id)?;
            Ok(MaterialChangeView::new(c, answers))
        })
        .collect()
}

/// The investor reconfirms a subscription that awaits, before its deadline.
pub fn reconfirm(
    conn: &mut AnyConnection,
    investor_id: &str,
    subscription_id: &str,
) -> ServiceResult<SubscriptionView> {
    write_transaction(conn, |conn| -> ServiceResult<SubscriptionView> {
        let now = clock(conn)?;
        let done = material_changes::reconfirm(conn, subscription_id, investor_id, now)?;
        let sub = Subscription::find(conn, subscription_id)?
            .filter(|s| s.investor_id == investor_id)
            .ok_or_else(|| not_found("subscription"))?;
        if done {
            return Ok(SubscriptionView::new(sub, None));
        }
        let awaiting = sub.status == "active" && sub.reconfirmation.as_deref() == Some(AWAITING);
        if !awaiting {
            return Err(conflict(
                "not_awaiting_reconfirmation",
                Text::new("problem-not_awaiting_reconfirmation"),
            )
            .with("subscription_status", sub.status.clone())
            .with("reconfirmation", sub.reconfirmation.clone())
            .into());
        }
        Err(conflict(
            "reconfirmation_closed",
            Text::new("problem-reconfirmation_closed"),
        )
        .with(
            "reconfirm_by",
            sub.reconfirm_by.map(|t| utc(t).to_rfc3339()),
        )
        .into())
    })
}

/// Cancels and refunds the subscriptions whose reconfirmation deadline has
/// passed by the database's clock, each in its own transaction; returns
/// how many this caller cancelled. Run by every server's sweeper: each is
/// cancelled once, by whichever gets to it first (the others find it no
/// longer awaiting).
pub fn lapse_due(conn: &mut AnyConnection, config: &crate::config::Config) -> ServiceResult<usize> {
    let currency = config.currency.as_str();
    let now = clock(conn)?;
    let mut lapsed = 0;
    for id in material_changes::lapsed(conn, now, BATCH)? {
        let outcome = write_transaction(conn, |conn| -> ServiceResult<bool> {
            let Some(sub) = Subscription::find(conn, &id)? else {
                return Ok(false);
            };
            let Some(offering) = Offering::find(conn, &sub.offering_id)? else {
                return Ok(false);
            };
            let (amount, change) = (sub.amount, sub.material_change_id.clone());
            let released = release(conn, sub, &offering, Release::Lapsed, now, config)?;
            if released.offering_status == "failed" && offering.status != "failed" {
                notify_closed(conn, &offering, "failed", currency)?;
            }
            audit::record(
                conn,
                &Actor::system("sweeper"),
                "subscription.lapsed",
                "subscription",
                &id,
                &serde_json::json!({"offering_id": offering.id, "amount": amount,
                                    "material_change_id": change,
                                    "offering_status": released.offering_status}),
            )?;
            Ok(true)
        });
        match outcome {
            Ok(true) => lapsed += 1,
            Ok(false) => {}
            // Another server lapsed (or the investor answered) meanwhile.
            Err(ServiceError::Refused(_)) => {}
            Err(e) => {
                tracing::warn!(subscription = %id, error = ?e, "a lapsed subscription could not be cancelled")
            }
        }
    }
    if lapsed > 0 {
        tracing::info!(
            lapsed,
            "subscriptions not reconfirmed were cancelled and refunded"
        );
    }
    Ok(lapsed)
}

/// Sends the reminders that are due (once per change, by whichever server
/// marks it first) to the investors still awaiting.
pub fn remind_due(conn: &mut AnyConnection, base_url: &str) -> ServiceResult<usize> {
    let now = clock(conn)?;
    let mut sent = 0;
    for id in material_changes::reminders_due(conn, now, BATCH)? {
        sent += write_transaction(conn, |conn| -> ServiceResult<usize> {
            if !material_changes::mark_reminded(conn, &id, now)? {
                return Ok(0);
            }
            let Some(change) = material_changes::find(conn, &id)? else {
                return Ok(0);
            };
            let Some(offering) = Offering::find(conn, &change.offering_id)? else {
                return Ok(0);
            };
            let (kind, file_name) = match (&change.document_id, change.version) {
                (Some(document_id), Some(version)) => {
                    let document = documents::find(conn, &change.offering_id, document_id)?;
                    let version = documents::version(conn, document_id, version)?;
                    (
                        Some(document.map_or_else(|| "other".to_string(), |d| d.kind)),
                        version.map(|(v, _)| v.file_name).unwrap_or_default(),
                    )
                }
                _ => (None, String::new()),
            };
            let about = match &kind {
                Some(kind) => About::Amendment {
                    kind,
                    file_name: &file_name,
                },
                None => About::LeadWithdrawn,
            };
            queue_notice(
                conn,
                &Notice {
                    change: &change,
                    offering_title: &offering.title,
                    about,
                    base_url,
                },
                true,
                now,
            )
        })?;
    }
    Ok(sent)
}

/// Refuses to settle a round while any of its subscriptions awaits
/// reconfirmation.
pub fn ensure_none_awaiting(conn: &mut AnyConnection, offering_id: &str) -> ServiceResult<()> {
    let awaiting = material_changes::awaiting(conn, offering_id)?;
    if awaiting > 0 {
        return Err(conflict(
            "reconfirmations_pending",
            Text::new("problem-reconfirmations_pending"),
        )
        .with("awaiting", awaiting)
        .into());
    }
    Ok(())
}
