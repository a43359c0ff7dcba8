//! Cancelling a subscription (one transaction, in the lock order of
//! [`crate::db`]), and an investor's own subscriptions. Subscribing goes
//! through the group-committed write path, [`crate::pipeline`].

use std::collections::BTreeSet;

use chrono::NaiveDateTime;

use crate::config::Config;
use crate::db::offerings::Offering;
use crate::db::page::DEFAULT_LIMIT;
use crate::db::subscriptions::Subscription;
use crate::db::users::User;
use crate::db::{clock, write_transaction, AnyConnection};
use crate::domain::rules::Withdrawal;
use crate::i18n::Text;
use crate::ledger::{ensure_account, lock_balance, AccountKind, EntryKind, JournalBatch, Leg};
use crate::mail::enqueue;
use crate::mail::{Email, Message};

use super::error::{not_found, Refusal, RefusalKind, ServiceResult};
use super::offerings::{id_cursor, next_id_cursor};
use super::views::{utc, Page, PortfolioSubscriptionView, SubscriptionView};

fn conflict(code: &'static str, detail: Text) -> Refusal {
    Refusal::new(RefusalKind::Conflict, code, detail)
}

/// Takes back the investor's own active subscription, as the deployment's
/// rule profile allows; the money returns at once.
/// - Cancellation (reg_cf, cn_private): while the offering is open and the
///   cancellation window has not closed.
/// - Revocation (eu_ecsp): within the reflection period of a
///   non-sophisticated investor's subscription (`revocable_until`), whatever
///   the round's state until it settles; a subscription without one (a
///   sophisticated investor's) cannot be taken back.
///
/// A subscription awaiting reconfirmation after a material change may be
/// cancelled (declined) under every profile, whether the round is open or
/// funded and whatever the window. If the investor leads the round and their
/// commitment falls below the minimum, the lead withdraws (see
/// [`super::leads::after_release`]).
///
/// Times are the database's clock; see [`release`] for the transaction.
pub fn cancel(
    conn: &mut AnyConnection,
    investor_id: &str,
    subscription_id: &str,
    config: &Config,
) -> ServiceResult<(SubscriptionView, Release)> {
    write_transaction(conn, |conn| {
        let now = clock(conn)?;
        let sub = Subscription::find(conn, subscription_id)?
            .filter(|s| s.investor_id == investor_id)
            .ok_or_else(|| not_found("subscription"))?;
        if sub.status != "active" {
            return Err(conflict(
                "subscription_not_active",
                Text::new("problem-subscription_not_active-cancel"),
            )
            .with("subscription_status", sub.status.clone())
            .into());
        }
        let offering =
            Offering::find(conn, &sub.offering_id)?.ok_or_else(|| not_found("offering"))?;
        // Awaiting, the investor may cancel whatever the window (past the
        // deadline too, until the sweeper gets there: the same outcome).
        let how = if sub.reconfirmation.as_deref() == Some(AWAITING) {
            Release::Declined
        } else {
            match config.rules.profile.withdrawal() {
                Withdrawal::UntilBeforeDeadline => {
                    cancellable(&offering, config.rules.cancellation_cutoff, now)?
                }
                Withdrawal::Reflection { .. } => revocable(&sub, &offering, now)?,
            }
        };
        let released = release(conn, sub, &offering, how, now, config)?;
        let view = SubscriptionView::new(released.subscription, Some(released.offering_status));
        Ok((view, how))
    })
}

/// Whether a subscription to `offering` may be cancelled at `now`: the
/// round open, its deadline further than `cutoff`.
fn cancellable(
    offering: &Offering,
    cutoff: chrono::TimeDelta,
    now: NaiveDateTime,
) -> ServiceResult<Release> {
    let until = offering
        .closes_at
        .checked_sub_signed(cutoff)
        .unwrap_or(NaiveDateTime::MIN);
    let window_closed = |detail: Text| {
        conflict("cancellation_window_closed", detail)
            .with("offering_status", offering.status.clone())
            .with("cancellable_until", utc(until).to_rfc3339())
    };
    if offering.status != "open" {
        let not_open = Text::new("problem-cancellation_window_closed-not_open");
        return Err(window_closed(not_open).into());
    }
    if now >= until {
        return Err(window_closed(Text::new("problem-cancellation_window_closed-cutoff")).into());
    }
    Ok(Release::Cancelled { cutoff })
}

/// Whether a subscription may be revoked at `now` (eu_ecsp): within its
/// reflection period, before the round settles or is refunded.
fn revocable(
    sub: &Subscription,
    offering: &Offering,
    now: NaiveDateTime,
) -> ServiceResult<Release> {
    let Some(until) = sub.revocable_until else {
        return Err(conflict(
            "cancellation_not_offered",
            Text::new("problem-cancellation_not_offered"),
        )
        .into());
    };
    if now >= until {
        return Err(conflict(
            "reflection_period_over",
            Text::new("problem-reflection_period_over"),
        )
        .with("revocable_until", utc(until).to_rfc3339())
        .into());
    }
    if !matches!(offering.status.as_str(), "open" | "funded") {
        return Err(conflict(
            "cancellation_window_closed",
            Text::new("problem-cancellation_window_closed-not_open"),
        )
        .with("offering_status", offering.status.clone())
        .into());
    }
    Ok(Release::Revoked)
}

impl Release {
    /// The audit log's action for a release the investor asked for.
    pub fn action(self) -> &'static str {
        match self {
            Release::Revoked => "subscription.revoked",
            Release::Cancelled { .. } | Release::Declined | Release::Lapsed => {
                "subscription.cancelled"
            }
        }
    }
}

/// A subscription awaiting reconfirmation.
pub const AWAITING: &str = "awaiting";

/// Why an active subscription's money goes back to its investor.
#[derive(Debug, Clone, Copy)]
pub enum Release {
    /// The investor cancelled within the window (the offering open, its
    /// deadline further than `cutoff`).
    Cancelled { cutoff: chrono::TimeDelta },
    /// The investor revoked it within its reflection period (eu_ecsp).
    Revoked,
    /// The investor cancelled instead of reconfirming a material change.
    Declined,
    /// Not reconfirmed by the deadline: cancelled by the sweeper.
    Lapsed,
}

/// A released subscription and its offering's status after it.
pub struct Released {
    pub subscription: Subscription,
    pub offering_status: String,
}

/// Cancels `sub` and returns its money to the investor: a cancellation
/// entry (escrow to cash), the email, the subscription, the offering's
/// raised amount. Inside the caller's transaction, in the lock order of
/// [`crate::db`]: the investor's cash account, then the new rows, then the
/// offering's escrow, the subscription and the offering — the hot rows,
/// held only for the last few statements. Once the escrow is held, a
/// settlement or refund of this round has either committed (and the
/// conditional changes below see it) or not begun; any change that does
/// not apply rolls everything back.
///
/// Released after a material change (declined or lapsed), a round funded
/// before its deadline opens again for the amount; one funded at its
/// deadline that falls below its minimum fails (and is refunded).
pub fn release(
    conn: &mut AnyConnection,
    sub: Subscription,
    offering: &Offering,
    how: Release,
    now: NaiveDateTime,
    config: &Config,
) -> ServiceResult<Released> {
    let currency = config.currency.as_str();
    let investor = User::find(conn, &sub.investor_id)?.ok_or_else(|| not_found("investor"))?;
    let changed_meanwhile = || {
        conflict(
            "subscription_not_active",
            Text::new("problem-subscription_not_active-changed"),
        )
    };
    // (1) The investor. Whoever releases one of their subscriptions holds
    // their cash account first: a release of the same subscription that
    // committed meanwhile is seen here, and this one refuses (409) instead
    // of writing a second cancellation entry.
    let cash = ensure_account(conn, AccountKind::InvestorCash, &sub.investor_id, currency)?;
    lock_balance(conn, &cash)?;
    let still_active = Subscription::find(conn, &sub.id)?.is_some_and(|s| s.status == "active");
    if !still_active {
        return Err(changed_meanwhile().into());
    }
    // (2) The new rows, before any hot lock.
    let escrow = ensure_account(conn, AccountKind::OfferingEscrow, &offering.id, currency)?;
    let mut journal = JournalBatch::default();
    journal.push(
        EntryKind::Cancellation,
        &sub.id,
        format!(
            "Cancellation of {} shares of {}",
            sub.shares, offering.title
        ),
        &[
            Leg {
                account_id: &cash,
                amount: sub.amount,
            },
            Leg {
                account_id: &escrow,
                amount: -sub.amount,
            },
        ],
    )?;
    let changes = journal.insert(conn, now)?;
    let (offering_title, shares, amount) = (offering.title.clone(), sub.shares, sub.amount);
    let currency = currency.to_string();
    let message = match how {
        Release::Lapsed => Message::SubscriptionLapsed {
            offering_title,
            shares,
            amount,
            currency,
        },
        Release::Cancelled { .. } | Release::Declined | Release::Revoked => {
            Message::SubscriptionCancelled {
                offering_title,
                shares,
                amount,
                currency,
            }
        }
    };
    enqueue(conn, &Email::to_user(&investor, message))?;
    // (3) The hot rows: escrow, subscription, offering.
    lock_balance(conn, &escrow)?;
    let reconfirmation = match how {
        Release::Cancelled { .. } | Release::Revoked => None,
        Release::Declined => Some("declined"),
        Release::Lapsed => Some("lapsed"),
    };
    let moved = match reconfirmation {
        None => Subscription::transition(conn, &sub.id, "active", "cancelled", now)?,
        Some(to) => Subscription::end_awaiting(conn, &sub.id, to, now)?,
    };
    if !moved {
        return Err(changed_meanwhile().into());
    }
    changes.apply(conn, &BTreeSet::from([escrow]))?;
    let offering_status = match how {
        Release::Cancelled { cutoff } => {
            if !Offering::subtract_raised(conn, &offering.id, sub.amount, now, cutoff)? {
                return Err(conflict(
                    "cancellation_window_closed",
                    Text::new("problem-cancellation_window_closed-closed"),
                )
                .with("offering_status", offering.status.clone())
                .into());
            }
            offering.status.clone()
        }
        Release::Declined | Release::Lapsed | Release::Revoked => {
            Offering::release_raised(conn, &offering.id, sub.amount, now)?
                .ok_or_else(changed_meanwhile)?
        }
    };
    // One investor fewer in the round if this was their last subscription.
    Offering::count_out_if_gone(conn, &offering.id, &sub.investor_id, now)?;
    if offering.lead_min_bps.is_some() {
        let investor_id = sub.investor_id.clone();
        super::leads::after_release(conn, offering, &investor_id, &investor_id, config, now)?;
    }
    let subscription = Subscription {
        status: "cancelled".to_string(),
        reconfirmation: reconfirmation.map(str::to_string).or(sub.reconfirmation),
        updated_at: now,
        ..sub
    };
    Ok(Released {
        subscription,
        offering_status,
    })
}

pub fn list_mine(
    conn: &mut AnyConnection,
    investor_id: &str,
    cursor: Option<&str>,
    limit: Option<i64>,
) -> ServiceResult<Page<PortfolioSubscriptionView>> {
    let limit = limit.unwrap_or(DEFAULT_LIMIT);
    let before = id_cursor(cursor, "my-subscriptions")?;
    let mut rows = Subscription::page_of_investor(conn, investor_id, before.as_deref(), limit + 1)?;
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let next_cursor = next_id_cursor(&rows, more, "my-subscriptions", |(s, _)| &s.id);
    // The versions in force, worked out once per offering of the page.
    let mut histories = std::collections::HashMap::new();
    let mut items = Vec::with_capacity(rows.len());
    for (s, offering) in rows {
        if !histories.contains_key(&s.offering_id) {
            let history = super::documents::in_force(conn, &s.offering_id)?;
            histories.insert(s.offering_id.clone(), history);
        }
        let documents = histories
            .get(&s.offering_id)
            .map(|in_force| in_force(s.documents_revision))
            .unwrap_or_default();
        items.push(PortfolioSubscriptionView::new(s, offering, documents));
    }
    Ok(Page { items, next_cursor })
}
