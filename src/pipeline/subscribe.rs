//! One batch of subscriptions: one database transaction, whatever its size.
//!
//! 1. Every Idempotency-Key is claimed in one statement; a key that exists
//!    answers its request (replay, mismatch, in progress) without work.
//! 2. Users, profiles, offerings and accounts are read once for the batch;
//!    the investors' cash accounts are locked, in id order. An investor whose
//!    account another transaction holds is skipped, not waited for: their
//!    requests go into a later batch ([`Outcome::Held`]).
//! 3. Each request is checked in arrival order against that state
//!    ([`super::rules`]), which moves as requests are accepted.
//! 4. The rows are written set-based: journal entries, postings,
//!    subscriptions, confirmation emails, audit records, the saved answers.
//! 5. The hot rows come last, each once by the batch's total: cash
//!    and escrow balances (one statement), then each offering's `raised` (a
//!    conditional update: never above target, funded exactly at target).
//!
//! Optimistic mode reads the offerings without locking them. Another writer
//! (of this server or another) may add to an offering meanwhile; the
//! conditional update keeps it within its target regardless, and the batch
//! stands as long as each offering ends in the status the batch expected.
//! If not (the round funded or closed under it), the batch rolls back
//! ([`BatchError::Contended`]) and runs again in locked mode, which locks
//! the escrow accounts and offerings (in the lock order, see [`crate::db`])
//! before reading them.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use serde_json::json;

use crate::config::Config;
use crate::db::audit::{self, NewRecord};
use crate::db::idempotency::{claim_many, complete_many, existing, unclaim_many, BatchKey, Claim};
use crate::db::offerings::Offering;
use crate::db::prepared::Writes;
use crate::db::profiles::InvestorProfile;
use crate::db::subscriptions::Subscription;
use crate::db::{clock, new_id, write_transaction, AnyConnection};
use crate::domain::rules::{cn_private, Profile, Withdrawal};
use crate::error::ApiError;
use crate::ledger::{
    ensure_account, find_accounts_of_two, lock_accounts_skipping_held, lock_in_order, AccountKind,
    EntryKind, JournalBatch, Leg,
};
use crate::mail::outbox;
use crate::mail::{Email, Message, TakeBack};
use crate::services::offerings::notify_closed;
use crate::services::profiles::LIMIT_WINDOW;
use crate::services::views::{utc, SubscriptionView};
use crate::services::{Refusal, ServiceError};

use super::rules::{accept, Admitted, Ask, Investor, State};
use super::{Reply, SubscribeRequest};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Optimistic,
    Locked,
}

#[derive(Debug)]
pub enum BatchError {
    /// Another transaction changed an offering this batch read without a
    /// lock; nothing was written. Run the batch again in locked mode.
    Contended,
    Failed(ServiceError),
}

impl<E: Into<ServiceError>> From<E> for BatchError {
    fn from(e: E) -> Self {
        BatchError::Failed(e.into())
    }
}

/// The answer to each request of a batch, by position.
pub enum Outcome {
    Answer(Reply),
    /// The same key and body as the earlier request at this position in the
    /// batch: answered with its reply, as a replay.
    SameAs(usize),
    /// Not run: another transaction holds the investor's cash account (a
    /// withdrawal, a large refund). Its key was let go; it goes into a later
    /// batch, so that one held row never fails the others.
    Held,
}

struct Accepted {
    index: usize,
    admitted: Admitted,
}

/// Runs one batch in one transaction; answers nothing until it committed.
pub fn run(
    conn: &mut AnyConnection,
    requests: &[&SubscribeRequest],
    mode: Mode,
    config: &Config,
) -> Result<Vec<Outcome>, BatchError> {
    write_transaction(conn, |conn| {
        run_in_transaction(conn, requests, mode, config)
    })
}

fn run_in_transaction(
    conn: &mut AnyConnection,
    requests: &[&SubscribeRequest],
    mode: Mode,
    config: &Config,
) -> Result<Vec<Outcome>, BatchError> {
    let now = clock(conn)?;
    let read_at = std::time::Instant::now();
    let mut outcomes: Vec<Option<Outcome>> = requests.iter().map(|_| None).collect();

    // (1) Keys. A key repeated within the batch that this batch claims is
    // the same request sent twice (it gets the first one's answer) or a
    // mismatch; a key that exists already answers each request by its own
    // body.
    let mut first_with_key: HashMap<(&str, &str), usize> = HashMap::new();
    let mut repeats = Vec::new();
    let mut keys = Vec::new();
    for (i, r) in requests.iter().enumerate() {
        match first_with_key.get(&(r.investor_id.as_str(), r.key.as_str())) {
            Some(&first) => repeats.push((i, first)),
            None => {
                first_with_key.insert((&r.investor_id, &r.key), i);
                keys.push(BatchKey {
                    user_id: &r.investor_id,
                    key: &r.key,
                    request_hash: &r.fingerprint,
                });
            }
        }
    }
    let claimed = claim_many(conn, &keys, now)?;
    let is_claimed =
        |i: usize| claimed.contains(&(requests[i].investor_id.clone(), requests[i].key.clone()));
    let unclaimed = first_with_key.values().copied().filter(|&i| !is_claimed(i));
    for i in unclaimed.chain(repeats.iter().map(|&(i, _)| i).filter(|&i| !is_claimed(i))) {
        let r = requests[i];
        let claim = existing(conn, &r.investor_id, &r.key, &r.fingerprint)?;
        outcomes[i] = Some(Outcome::Answer(claim_answer(claim)));
    }
    for &(i, first) in repeats.iter().filter(|&&(i, _)| is_claimed(i)) {
        outcomes[i] = Some(if requests[i].fingerprint == requests[first].fingerprint {
            Outcome::SameAs(first)
        } else {
            Outcome::Answer(claim_answer(Claim::Mismatch))
        });
    }
    let live: Vec<usize> = (0..requests.len())
        .filter(|&i| outcomes[i].is_none())
        .collect();

    // (2) State, read once. Lock order: cash accounts, escrow accounts,
    // offerings, each in id order.
    let investor_ids = distinct(live.iter().map(|&i| requests[i].investor_id.as_str()));
    let offering_ids = distinct(live.iter().map(|&i| requests[i].offering_id.as_str()));
    let people = InvestorProfile::find_with_users(conn, &investor_ids)?;
    let (cash_accounts, held) =
        lock_accounts_skipping_held(conn, AccountKind::InvestorCash, &investor_ids)?;
    let live = if held.is_empty() {
        live
    } else {
        let (waiting, live): (Vec<usize>, Vec<usize>) = live
            .into_iter()
            .partition(|&i| held.contains(&requests[i].investor_id));
        let keys: Vec<(&str, &str)> = waiting
            .iter()
            .map(|&i| (requests[i].investor_id.as_str(), requests[i].key.as_str()))
            .collect();
        unclaim_many(conn, &keys)?;
        for i in waiting {
            outcomes[i] = Some(Outcome::Held);
        }
        live
    };
    // Read after the cash accounts are locked: whoever makes an investor
    // owe more locks their cash account first. The offerings' escrow
    // accounts come with them (unlocked, one query).
    let (receivables, escrow_accounts) = find_accounts_of_two(
        conn,
        (AccountKind::InvestorReceivable, &investor_ids),
        (AccountKind::OfferingEscrow, &offering_ids),
    )?;
    let mut offerings = Offering::find_many(conn, &offering_ids, false)?;
    let open: Vec<&str> = offerings
        .values()
        .filter(|o| o.status == "open")
        .map(|o| o.id.as_str())
        .collect();
    // Offering id -> its escrow account's id, for the open ones (approval
    // creates it; an older round may get it here, before any hot lock is
    // taken).
    let mut escrows: HashMap<String, String> = escrow_accounts
        .into_iter()
        .filter(|(offering, _)| open.contains(&offering.as_str()))
        .map(|(offering, account)| (offering, account.id))
        .collect();
    for id in &open {
        if !escrows.contains_key(*id) {
            let escrow = ensure_account(conn, AccountKind::OfferingEscrow, id, &config.currency)?;
            escrows.insert(id.to_string(), escrow);
        }
    }
    if mode == Mode::Locked {
        // The hot rows of the open offerings only (a closed one takes no
        // subscription, and its settlement or refund may hold them).
        let escrow_ids: Vec<&str> = open
            .iter()
            .filter_map(|id| escrows.get(*id).map(String::as_str))
            .collect();
        lock_in_order(conn, &escrow_ids)?;
        let fresh = Offering::find_many(conn, &open, true)?;
        offerings.extend(fresh);
    }
    // What an investor already holds in an offering, where a rule needs the
    // amount: the offering's cap per investor, the rule profile's look at
    // the whole round (cn_private: an investor not qualified by what they
    // declared; eu_ecsp: a non-sophisticated one), a lead's commitment.
    // Summing costs more the more an investor has subscribed: only these
    // are summed (whether an investor holds anything at all is `holding`).
    let needs_round_amount = |investor_id: &str| {
        let basis = people
            .get(investor_id)
            .and_then(|(_, profile)| profile.as_ref())
            .and_then(|p| p.approved_basis());
        match config.rules.profile {
            Profile::RegCf => false,
            Profile::CnPrivate => basis
                .is_some_and(|b| cn_private::qualified_by_declaration(&b.qualification).is_none()),
            Profile::EuEcsp => basis.is_some_and(|b| !b.sophisticated),
        }
    };
    let mut summed_investors: BTreeSet<&str> = BTreeSet::new();
    let mut summed_offerings: BTreeSet<&str> = BTreeSet::new();
    for &i in &live {
        let r = requests[i];
        let Some(o) = offerings.get(&r.offering_id) else {
            continue;
        };
        if o.max_per_investor.is_some() || needs_round_amount(&r.investor_id) {
            summed_investors.insert(&r.investor_id);
            summed_offerings.insert(&o.id);
        }
        if let Some(lead) = o.lead_investor_id.as_deref() {
            summed_investors.insert(lead);
            summed_offerings.insert(&o.id);
        }
    }
    let committed = Subscription::committed_by_pair(
        conn,
        &summed_investors.into_iter().collect::<Vec<_>>(),
        &summed_offerings.into_iter().collect::<Vec<_>>(),
    )?;
    let pairs: Vec<(&str, &str)> = live
        .iter()
        .map(|&i| {
            (
                requests[i].investor_id.as_str(),
                requests[i].offering_id.as_str(),
            )
        })
        .filter(|(_, id)| offerings.get(*id).is_some_and(|o| o.status == "open"))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let holding = Subscription::holding(conn, &pairs)?;
    let limited: Vec<&str> = people
        .values()
        .filter_map(|(_, profile)| profile.as_ref())
        .filter(|p| p.approved_basis().is_some_and(|b| !b.finances.accredited))
        .map(|p| p.user_id.as_str())
        .collect();
    let committed_12m =
        Subscription::committed_since_by_investor(conn, &limited, now - LIMIT_WINDOW)?;
    let mut state = State {
        investors: people
            .values()
            .map(|(u, profile)| {
                let investor = Investor {
                    email_verified: u.email_verified_at.is_some(),
                    profile: profile.clone(),
                    available: cash_accounts.get(&u.id).map_or(0, |a| a.balance),
                    committed_12m: committed_12m.get(&u.id).copied().unwrap_or(0),
                    owed: receivables.get(&u.id).map_or(0, |a| -a.balance),
                };
                (u.id.clone(), investor)
            })
            .collect(),
        offerings,
        committed,
        holding,
    };

    // (3) Each request in arrival order.
    let mut accepted = Vec::new();
    for &i in &live {
        let r = requests[i];
        let ask = Ask {
            investor_id: &r.investor_id,
            offering_id: &r.offering_id,
            shares: r.shares,
            acknowledge_risk: r.acknowledge_risk,
        };
        match accept(&mut state, &ask, &config.rules, now) {
            Ok(admitted) => accepted.push(Accepted { index: i, admitted }),
            Err(refusal) => outcomes[i] = Some(Outcome::Answer(refusal_answer(refusal))),
        }
    }

    // (4) The rows, set-based.
    let mut journal = JournalBatch::default();
    let mut subscriptions = Vec::with_capacity(accepted.len());
    let mut emails = Vec::with_capacity(accepted.len());
    // Per offering: (amount, new investors).
    let mut totals: BTreeMap<&str, (i64, i64)> = BTreeMap::new();
    let mut last_accepted: HashMap<&str, usize> = HashMap::new();
    for a in &accepted {
        let r = requests[a.index];
        let amount = a.admitted.amount;
        let (Some(offering), Some(investor), Some(cash)) = (
            state.offerings.get(&r.offering_id),
            people.get(&r.investor_id).map(|(user, _)| user),
            cash_accounts.get(&r.investor_id),
        ) else {
            return Err(BatchError::Failed(ServiceError::Internal(anyhow::anyhow!(
                "an accepted subscription lost its offering, investor or cash account"
            ))));
        };
        let Some(escrow) = escrows.get(&r.offering_id).cloned() else {
            return Err(BatchError::Failed(ServiceError::Internal(anyhow::anyhow!(
                "an accepted subscription's offering has no escrow account"
            ))));
        };
        let subscription_id = new_id();
        let entry_id = journal.push(
            EntryKind::Subscription,
            &subscription_id,
            format!(
                "Subscription for {} shares of {}",
                r.shares.get(),
                offering.title
            ),
            &[
                Leg {
                    account_id: &cash.id,
                    amount: -amount,
                },
                Leg {
                    account_id: &escrow,
                    amount,
                },
            ],
        )?;
        let confirmed = Message::SubscriptionConfirmed {
            subscription_id: subscription_id.clone(),
            at: utc(now),
            offering_title: offering.title.clone(),
            security_type: offering.security_type.clone(),
            price_per_share: offering.price_per_share,
            shares: r.shares.get(),
            amount,
            currency: config.currency.clone(),
            take_back: take_back(config, offering, &a.admitted),
        };
        emails.push((new_id(), Email::to_user(investor, confirmed)));
        subscriptions.push(Subscription {
            id: subscription_id,
            offering_id: r.offering_id.clone(),
            investor_id: r.investor_id.clone(),
            shares: r.shares.get(),
            amount,
            status: "active".to_string(),
            entry_id,
            created_at: now,
            updated_at: now,
            documents_revision: offering.documents_revision,
            reconfirmation: None,
            material_change_id: None,
            reconfirm_by: None,
            revocable_until: a.admitted.revocable_until,
            risk_acknowledged: a.admitted.risk_acknowledged,
        });
        let total = totals.entry(r.offering_id.as_str()).or_default();
        total.0 += amount;
        total.1 += i64::from(a.admitted.new_investor);
        last_accepted.insert(r.offering_id.as_str(), a.index);
    }
    // The new rows go in together: one statement on PostgreSQL.
    let mut writes = Writes::new(conn);
    let changes = journal.write(&mut writes, now)?;
    Subscription::write_many(&mut writes, &subscriptions)?;
    outbox::write_many(&mut writes, &emails, now)?;

    // The answers, known from memory: the request that funds a round is the
    // last one accepted for it, and is told so.
    let mut views = Vec::with_capacity(accepted.len());
    for (a, subscription) in accepted.iter().zip(subscriptions) {
        let offering_id = requests[a.index].offering_id.as_str();
        let funded_here = state
            .offerings
            .get(offering_id)
            .is_some_and(|o| o.status == "funded")
            && last_accepted.get(offering_id) == Some(&a.index);
        let offering_status = if funded_here { "funded" } else { "open" };
        views.push((
            a.index,
            SubscriptionView::new(subscription, Some(offering_status.to_string())),
        ));
    }
    let audit: Vec<NewRecord<'_>> = views
        .iter()
        .map(|(i, view)| NewRecord {
            actor: &requests[*i].actor,
            action: "subscription.created",
            subject_type: "subscription",
            subject_id: &view.id,
            details: json!({"offering_id": view.offering_id, "shares": view.shares,
                            "amount": view.amount, "offering_status": view.offering_status}),
        })
        .collect();
    audit::write_many(&mut writes, &audit, now)?;
    writes.run(conn)?;
    for (i, view) in &views {
        let body = serde_json::to_string(view).map_err(anyhow::Error::from)?;
        outcomes[*i] = Some(Outcome::Answer(Reply {
            status: 201,
            body,
            replayed: false,
            code: None,
            problem: None,
        }));
    }
    let answers: Vec<(&str, &str, u16, &str)> = first_with_key
        .values()
        .filter(|&&i| is_claimed(i))
        .filter_map(|&i| match &outcomes[i] {
            Some(Outcome::Answer(reply)) => Some((
                requests[i].investor_id.as_str(),
                requests[i].key.as_str(),
                reply.status,
                reply.body.as_str(),
            )),
            _ => None,
        })
        .collect();
    complete_many(conn, &answers)?;

    // (5) The hot rows, last and once each. Another writer may have moved an
    // offering since it was read (this server's other writers, another
    // server): the conditional update still never takes it above its target,
    // and as long as it ends in the status this batch expects, every
    // acceptance stands (a refusal for lack of room speaks of the offering as
    // the batch read it). Otherwise the batch runs again with the offerings
    // locked.
    let escrow_ids: BTreeSet<String> = escrows.into_values().collect();
    changes.apply(conn, &escrow_ids)?;
    let totals: Vec<(&str, i64, i64)> = totals
        .into_iter()
        .map(|(id, (amount, investors))| (id, amount, investors))
        .collect();
    // The deadline by the clock now, not when the batch began: it may have
    // waited for locks across it (the batch then runs again, and refuses).
    // The database's clock as read above, moved on by the time since (a
    // round trip less than reading it again).
    let since = chrono::TimeDelta::from_std(read_at.elapsed())
        .map_err(|e| BatchError::Failed(ServiceError::Internal(e.into())))?;
    let deadline_check = now + since;
    let changed = Offering::add_raised(conn, &totals, deadline_check)?;
    for (offering_id, _, _) in &totals {
        let (Some(now_is), Some(expected)) = (
            changed.get(*offering_id),
            state.offerings.get_mut(*offering_id),
        ) else {
            return Err(BatchError::Contended);
        };
        // A document published since the offering was read: the
        // subscriptions would name versions no longer in force.
        // A lead appointed or withdrawn meanwhile: followers were checked
        // against another lead.
        if now_is.status != expected.status
            || now_is.documents_revision != expected.documents_revision
            || now_is.lead_revision != expected.lead_revision
        {
            return Err(BatchError::Contended);
        }
        expected.raised = now_is.raised;
        if now_is.status == "funded" {
            notify_closed(conn, expected, "funded", &config.currency)?;
        }
    }

    outcomes
        .into_iter()
        .map(|o| {
            o.ok_or_else(|| {
                BatchError::Failed(ServiceError::Internal(anyhow::anyhow!(
                    "a request of the batch was left without an answer"
                )))
            })
        })
        .collect()
}

/// How the investor may take an accepted subscription back, for its
/// confirmation.
fn take_back(config: &Config, offering: &Offering, admitted: &Admitted) -> TakeBack {
    if let Some(until) = admitted.revocable_until {
        return TakeBack::RevokeUntil { until: utc(until) };
    }
    match config.rules.profile.withdrawal() {
        Withdrawal::UntilBeforeDeadline => TakeBack::CancelUntil {
            until: utc(offering
                .closes_at
                .checked_sub_signed(config.rules.cancellation_cutoff)
                .unwrap_or(offering.closes_at)),
        },
        Withdrawal::Reflection { .. } => TakeBack::Not,
    }
}

fn distinct<'a>(ids: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
    let set: HashSet<&str> = ids.collect();
    let mut ids: Vec<&str> = set.into_iter().collect();
    ids.sort_unstable();
    ids
}

fn refusal_answer(refusal: Refusal) -> Reply {
    let error = ApiError::from(ServiceError::Refused(refusal));
    Reply {
        status: error.status.as_u16(),
        body: error.body().to_string(),
        replayed: false,
        code: Some(error.code),
        problem: Some(error.problem()),
    }
}

/// The answer for a key that this batch did not claim.
fn claim_answer(claim: Claim) -> Reply {
    let error = match claim {
        Claim::Replay { status, body } => {
            return Reply {
                status,
                body,
                replayed: true,
                code: None,
                problem: None,
            }
        }
        Claim::Mismatch => ApiError::idempotency_mismatch(),
        Claim::InProgress | Claim::Acquired => ApiError::idempotency_in_progress(),
    };
    Reply {
        status: error.status.as_u16(),
        body: error.body().to_string(),
        replayed: false,
        code: Some(error.code),
        problem: Some(error.problem()),
    }
}
