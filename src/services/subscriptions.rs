//! Subscribing for shares and cancelling a subscription: each one database
//! transaction that checks every cap, moves the money in the ledger and
//! updates the offering.
//!
//! Lock order (PostgreSQL), the same in every transaction that touches these
//! rows, so that they never deadlock:
//!   1. the investor's cash account (`SELECT ... FOR UPDATE`): serializes one
//!      investor's concurrent requests, so the sums behind the per-investor and
//!      12-month caps cannot be raced;
//!   2. the offering's escrow account (balance update in the ledger posting);
//!   3. the offering row itself (the conditional `raised` update), touched
//!      last: it is the hot row every subscriber contends for, so it is held
//!      only from that statement to the commit.
//!
//! On SQLite the transaction takes the database's write lock at BEGIN, which
//! serializes everything.

use chrono::NaiveDateTime;

use crate::config::Rules;
use crate::db::offerings::Offering;
use crate::db::page::DEFAULT_LIMIT;
use crate::db::profiles::InvestorProfile;
use crate::db::subscriptions::Subscription;
use crate::db::users::User;
use crate::db::{new_id, now, write_transaction, AnyConnection};
use crate::domain::Shares;
use crate::ledger::{ensure_account, lock_balance, post, AccountKind, EntryKind, Leg};
use crate::mail::enqueue;
use crate::mail::templates::{self, Confirmation};

use super::error::{not_found, Refusal, RefusalKind, ServiceResult};
use super::offerings::{id_cursor, next_id_cursor, notify_closed};
use super::profiles::limit_of;
use super::views::{utc, Page, SubscriptionView};

fn conflict(code: &'static str, detail: impl Into<String>) -> Refusal {
    Refusal::new(RefusalKind::Conflict, code, detail)
}

fn invalid(code: &'static str, detail: impl Into<String>) -> Refusal {
    Refusal::new(RefusalKind::Invalid, code, detail)
}

fn remaining_shares(o: &Offering) -> i64 {
    (o.target_amount - o.raised) / o.price_per_share
}

/// Why an offering takes no subscription now, if it does not.
fn not_open(o: &Offering, now: chrono::NaiveDateTime) -> Option<Refusal> {
    let refusal = |detail: &str| {
        Some(
            conflict("offering_not_open", detail.to_string())
                .with("offering_status", o.status.clone()),
        )
    };
    if o.status != "open" {
        return refusal("The offering is not open for subscriptions.");
    }
    if o.opens_at.is_some_and(|at| at > now) {
        return refusal("The offering has not opened yet.");
    }
    if o.closes_at <= now {
        return refusal("The offering's deadline has passed.");
    }
    None
}

/// Subscribes `investor` for `shares` of the offering.
pub fn subscribe(
    conn: &mut AnyConnection,
    investor_id: &str,
    offering_id: &str,
    shares: Shares,
    rules: &Rules,
    currency: &str,
) -> ServiceResult<SubscriptionView> {
    let now = now();
    write_transaction(conn, |conn| {
        let offering = Offering::find(conn, offering_id)?
            .filter(|o| o.status != "draft" && o.status != "in_review")
            .ok_or_else(|| not_found("offering"))?;
        if let Some(refusal) = not_open(&offering, now) {
            return Err(refusal.into());
        }
        let amount = shares.cost(offering.price_per_share)?.get();

        let investor = User::find(conn, investor_id)?.ok_or_else(|| not_found("investor"))?;
        if investor.email_verified_at.is_none() {
            return Err(Refusal::new(
                RefusalKind::Forbidden,
                "email_not_verified",
                "Verify your email address before subscribing.",
            )
            .into());
        }
        let profile = InvestorProfile::find(conn, investor_id)?;
        let kyc_status = profile
            .as_ref()
            .map_or("missing", |p| p.kyc_status.as_str());
        if kyc_status != "approved" {
            return Err(Refusal::new(
                RefusalKind::Forbidden,
                "kyc_required",
                "Your identity must be verified (KYC approved) before subscribing.",
            )
            .with("kyc_status", kyc_status)
            .into());
        }
        let Some(profile) = profile else {
            return Err(not_found("investor profile"));
        };
        if amount < offering.min_subscription {
            let min_shares = (offering.min_subscription + offering.price_per_share - 1)
                / offering.price_per_share;
            return Err(invalid(
                "below_minimum",
                "The amount is below the offering's minimum subscription.",
            )
            .with("min_subscription", offering.min_subscription)
            .with("min_shares", min_shares)
            .into());
        }
        // Early answer without any lock; the conditional update below is the guard.
        if amount > offering.target_amount - offering.raised {
            return Err(exceeds_remaining(&offering).into());
        }

        // (1) The investor's lock.
        let cash = ensure_account(conn, AccountKind::InvestorCash, investor_id, currency)?;
        let available = lock_balance(conn, &cash)?;

        if let Some(max) = offering.max_per_investor {
            let already = Subscription::committed_in_offering(conn, investor_id, offering_id)?;
            if already + amount > max {
                return Err(invalid(
                    "above_investor_max",
                    "This would take you above the offering's maximum per investor.",
                )
                .with("max_per_investor", max)
                .with("already_subscribed", already)
                .with("remaining_allowed", (max - already).max(0))
                .into());
            }
        }
        let limit = limit_of(conn, &profile, &rules.reg_cf, now)?;
        if let Some(remaining) = limit.remaining {
            if amount > remaining {
                return Err(invalid(
                    "investment_limit_exceeded",
                    "This would exceed your 12-month investment limit.",
                )
                .with("annual_limit", limit.annual_limit)
                .with("remaining_limit", remaining)
                .into());
            }
        }
        if available < amount {
            return Err(invalid(
                "insufficient_funds",
                "Your available balance does not cover the amount.",
            )
            .with("available", available)
            .with("amount", amount)
            .into());
        }

        // (2) Money: investor cash -> offering escrow.
        let subscription_id = new_id();
        let escrow = ensure_account(conn, AccountKind::OfferingEscrow, offering_id, currency)?;
        let entry_id = post(
            conn,
            EntryKind::Subscription,
            &subscription_id,
            &format!(
                "Subscription for {} shares of {}",
                shares.get(),
                offering.title
            ),
            &[
                Leg {
                    account_id: &cash,
                    amount: -amount,
                },
                Leg {
                    account_id: &escrow,
                    amount,
                },
            ],
        )?;
        Subscription::insert(
            conn,
            &subscription_id,
            offering_id,
            investor_id,
            shares.get(),
            amount,
            &entry_id,
            now,
        )?;
        enqueue(
            conn,
            &templates::subscription_confirmed(&Confirmation {
                to: &investor.email,
                subscription_id: &subscription_id,
                date: utc(now),
                offering_title: &offering.title,
                security_type: &offering.security_type,
                price_per_share: offering.price_per_share,
                shares: shares.get(),
                amount,
                currency,
            }),
        )?;

        // (3) The hot row, last: never above target, funded exactly at target.
        // Checked against the time now, not when the transaction began: it may
        // have waited for locks across the deadline.
        let Some((_, status)) = Offering::add_raised(conn, offering_id, amount, crate::db::now())?
        else {
            let fresh = Offering::find(conn, offering_id)?.ok_or_else(|| not_found("offering"))?;
            return Err(not_open(&fresh, now)
                .unwrap_or_else(|| exceeds_remaining(&fresh))
                .into());
        };
        if status == "funded" {
            if let Some(funded) = Offering::find(conn, offering_id)? {
                notify_closed(conn, &funded, "funded", currency)?;
            }
        }
        let subscription =
            Subscription::find(conn, &subscription_id)?.ok_or_else(|| not_found("subscription"))?;
        Ok(SubscriptionView::new(subscription, Some(status)))
    })
}

fn exceeds_remaining(o: &Offering) -> Refusal {
    conflict(
        "exceeds_remaining",
        format!(
            "Only {} shares remain in this offering.",
            remaining_shares(o)
        ),
    )
    .with("remaining_shares", remaining_shares(o))
    .with("remaining_amount", o.target_amount - o.raised)
}

/// Cancels the investor's own active subscription while the offering is open
/// and the cancellation window has not closed; the money returns at once.
pub fn cancel(
    conn: &mut AnyConnection,
    investor_id: &str,
    subscription_id: &str,
    rules: &Rules,
    currency: &str,
) -> ServiceResult<SubscriptionView> {
    let now = now();
    write_transaction(conn, |conn| {
        let sub = Subscription::find(conn, subscription_id)?
            .filter(|s| s.investor_id == investor_id)
            .ok_or_else(|| not_found("subscription"))?;
        if sub.status != "active" {
            return Err(conflict(
                "subscription_not_active",
                "Only an active subscription can be cancelled.",
            )
            .with("subscription_status", sub.status.clone())
            .into());
        }
        let offering =
            Offering::find(conn, &sub.offering_id)?.ok_or_else(|| not_found("offering"))?;
        let cutoff = offering
            .closes_at
            .checked_sub_signed(rules.cancellation_cutoff)
            .unwrap_or(NaiveDateTime::MIN);
        let window_closed = |detail: &str| {
            conflict("cancellation_window_closed", detail.to_string())
                .with("offering_status", offering.status.clone())
                .with("cancellable_until", utc(cutoff).to_rfc3339())
        };
        if offering.status != "open" {
            return Err(window_closed(
                "The offering is no longer open; subscriptions can no longer be cancelled.",
            )
            .into());
        }
        if now >= cutoff {
            return Err(
                window_closed("Cancellations close before the offering's deadline.").into(),
            );
        }

        // Same lock order as subscribing and settling: the investor, then the
        // escrow, then the subscription rows, then the offering. Once the
        // escrow is held, a settlement or refund of this round has either
        // committed (and the checks below see it) or not begun.
        let cash = ensure_account(conn, AccountKind::InvestorCash, investor_id, currency)?;
        lock_balance(conn, &cash)?;
        let escrow = ensure_account(conn, AccountKind::OfferingEscrow, &offering.id, currency)?;
        lock_balance(conn, &escrow)?;
        let offering_now =
            Offering::find(conn, &offering.id)?.ok_or_else(|| not_found("offering"))?;
        if offering_now.status != "open" {
            return Err(window_closed("The offering closed meanwhile.").into());
        }
        if !Subscription::transition(conn, subscription_id, "active", "cancelled", now)? {
            return Err(conflict(
                "subscription_not_active",
                "The subscription was changed meanwhile.",
            )
            .into());
        }
        post(
            conn,
            EntryKind::Cancellation,
            subscription_id,
            &format!(
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
        if !Offering::subtract_raised(
            conn,
            &offering.id,
            sub.amount,
            crate::db::now(),
            rules.cancellation_cutoff,
        )? {
            return Err(window_closed("The offering closed meanwhile.").into());
        }
        if let Some(investor) = User::find(conn, investor_id)? {
            enqueue(
                conn,
                &templates::subscription_cancelled(
                    &investor.email,
                    &offering.title,
                    sub.shares,
                    sub.amount,
                    currency,
                ),
            )?;
        }
        let sub =
            Subscription::find(conn, subscription_id)?.ok_or_else(|| not_found("subscription"))?;
        Ok(SubscriptionView::new(sub, Some(offering.status)))
    })
}

pub fn list_mine(
    conn: &mut AnyConnection,
    investor_id: &str,
    cursor: Option<&str>,
    limit: Option<i64>,
) -> ServiceResult<Page<SubscriptionView>> {
    let limit = limit.unwrap_or(DEFAULT_LIMIT);
    let before = id_cursor(cursor, "my-subscriptions")?;
    let mut rows = Subscription::page(conn, Some(investor_id), None, before.as_deref(), limit + 1)?;
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let next_cursor = next_id_cursor(&rows, more, "my-subscriptions", |s| &s.id);
    Ok(Page {
        items: rows
            .into_iter()
            .map(|s| SubscriptionView::new(s, None))
            .collect(),
        next_cursor,
    })
}
