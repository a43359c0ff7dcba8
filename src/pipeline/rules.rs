//! The caps a subscription must pass, checked in memory against the state a
//! batch read (and locked) once. Each accepted request updates that state
//! before the next one is checked, so the requests of one batch see each
//! other exactly as if they had committed one by one in arrival order.

use crate::i18n::Text;
use std::collections::HashMap;

use chrono::NaiveDateTime;

use crate::db::offerings::Offering;
use crate::db::profiles::InvestorProfile;
use crate::domain::limits::{annual_limit, remaining, RegCfRule};
use crate::domain::Shares;
use crate::services::{Refusal, RefusalKind};

/// What the batch knows about one investor, kept current as it accepts.
pub struct Investor {
    pub email_verified: bool,
    pub profile: Option<InvestorProfile>,
    /// Available cash (the locked balance of their cash account; 0 if none).
    pub available: i64,
    /// Committed on the platform within the Reg CF window.
    pub committed_12m: i64,
    /// What they owe the platform (a deposit taken back after it was
    /// spent): nothing new is subscribed until it is paid.
    pub owed: i64,
}

/// The state one batch checks against: offerings (raised and status move as
/// requests are accepted), investors, and what each investor has committed
/// to each offering.
pub struct State {
    pub offerings: HashMap<String, Offering>,
    pub investors: HashMap<String, Investor>,
    pub committed: HashMap<(String, String), i64>,
}

fn conflict(code: &'static str, detail: Text) -> Refusal {
    Refusal::new(RefusalKind::Conflict, code, detail)
}

fn invalid(code: &'static str, detail: Text) -> Refusal {
    Refusal::new(RefusalKind::Invalid, code, detail)
}

fn not_found(what: &str) -> Refusal {
    Refusal::new(
        RefusalKind::NotFound,
        "not_found",
        crate::services::error::no_such(what),
    )
}

/// Why an offering takes no subscription at `now`, if it does not.
pub fn not_open(o: &Offering, now: NaiveDateTime) -> Option<Refusal> {
    let refusal = |detail: Text| {
        Some(conflict("offering_not_open", detail).with("offering_status", o.status.clone()))
    };
    if o.status != "open" {
        return refusal(Text::new("problem-offering_not_open-closed"));
    }
    if o.opens_at.is_some_and(|at| at > now) {
        return refusal(Text::new("problem-offering_not_open-not_yet"));
    }
    if o.closes_at <= now {
        return refusal(Text::new("problem-offering_not_open-deadline_passed"));
    }
    None
}

pub fn exceeds_remaining(o: &Offering) -> Refusal {
    let remaining_shares = (o.target_amount - o.raised) / o.price_per_share;
    conflict(
        "exceeds_remaining",
        Text::new("problem-exceeds_remaining").number("remaining_shares", remaining_shares),
    )
    .with("remaining_shares", remaining_shares)
    .with("remaining_amount", o.target_amount - o.raised)
}

/// One request against the state: the amount it moves if it is accepted (the
/// state is then updated), or why it is refused (the state is unchanged).
/// The checks run in the order the API documents its refusals.
pub fn accept(
    state: &mut State,
    investor_id: &str,
    offering_id: &str,
    shares: Shares,
    rule: &RegCfRule,
    now: NaiveDateTime,
) -> Result<i64, Refusal> {
    let offering = state
        .offerings
        .get_mut(offering_id)
        .filter(|o| o.status != "draft" && o.status != "in_review")
        .ok_or_else(|| not_found("offering"))?;
    if let Some(refusal) = not_open(offering, now) {
        return Err(refusal);
    }
    let amount = shares
        .cost(offering.price_per_share)
        .map_err(Refusal::from)?
        .get();
    let investor = state
        .investors
        .get_mut(investor_id)
        .ok_or_else(|| not_found("investor"))?;
    if !investor.email_verified {
        return Err(Refusal::new(
            RefusalKind::Forbidden,
            "email_not_verified",
            Text::new("problem-email_not_verified-subscribe"),
        ));
    }
    if investor.owed > 0 {
        return Err(crate::services::receivables::outstanding(investor.owed));
    }
    let kyc_status = investor
        .profile
        .as_ref()
        .map_or("missing", |p| p.kyc_status.as_str());
    // The limit last approved is in force, also while a change of the
    // figures behind it waits for review; without one there is no limit
    // to invest under.
    let Some(basis) = investor.profile.as_ref().and_then(|p| p.approved_basis()) else {
        return Err(Refusal::new(
            RefusalKind::Forbidden,
            "kyc_required",
            Text::new("problem-kyc_required"),
        )
        .with("kyc_status", kyc_status));
    };
    if amount < offering.min_subscription {
        let min_shares =
            (offering.min_subscription + offering.price_per_share - 1) / offering.price_per_share;
        return Err(invalid("below_minimum", Text::new("problem-below_minimum"))
            .with("min_subscription", offering.min_subscription)
            .with("min_shares", min_shares));
    }
    if amount > offering.target_amount - offering.raised {
        return Err(exceeds_remaining(offering));
    }
    let pair = (investor_id.to_string(), offering_id.to_string());
    let already = state.committed.get(&pair).copied().unwrap_or(0);
    if let Some(max) = offering.max_per_investor {
        if already + amount > max {
            return Err(invalid(
                "above_investor_max",
                Text::new("problem-above_investor_max"),
            )
            .with("max_per_investor", max)
            .with("already_subscribed", already)
            .with("remaining_allowed", (max - already).max(0)));
        }
    }
    let limit = annual_limit(rule, &basis.finances);
    if let Some(left) = remaining(
        limit,
        investor.committed_12m,
        basis.external_investments_12m,
    ) {
        if amount > left {
            return Err(invalid(
                "investment_limit_exceeded",
                Text::new("problem-investment_limit_exceeded"),
            )
            .with("annual_limit", limit)
            .with("remaining_limit", left));
        }
    }
    if investor.available < amount {
        return Err(invalid(
            "insufficient_funds",
            Text::new("problem-insufficient_funds-subscribe"),
        )
        .with("available", investor.available)
        .with("amount", amount));
    }

    investor.available -= amount;
    investor.committed_12m += amount;
    state.committed.insert(pair, already + amount);
    offering.raised += amount;
    if offering.raised == offering.target_amount {
        offering.status = "funded".to_string();
        offering.closed_at = Some(now);
    }
    Ok(amount)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn offering(target: i64, max_per_investor: Option<i64>) -> Offering {
        let t = chrono::NaiveDate::from_ymd_opt(2026, 1, 1)
            .unwrap()
            .and_hms_opt(0, 0, 0)
            .unwrap();
        Offering {
            id: "o".into(),
            sponsor_id: "s".into(),
            title: "T".into(),
            summary: String::new(),
            description: String::new(),
            security_type: "equity".into(),
            price_per_share: 100,
            target_amount: target,
            min_raise: target,
            min_subscription: 100,
            max_per_investor,
            opens_at: None,
            closes_at: t + chrono::TimeDelta::days(30),
            status: "open".into(),
            raised: 0,
            rejection_reason: None,
            created_at: t,
            updated_at: t,
            submitted_at: None,
            approved_at: None,
            fee_bps: None,
            documents_revision: 0,
            closed_at: None,
        }
    }

    fn investor(cash: i64) -> Investor {
        let t = chrono::NaiveDate::from_ymd_opt(2026, 1, 1)
            .unwrap()
            .and_hms_opt(0, 0, 0)
            .unwrap();
        Investor {
            owed: 0,
            email_verified: true,
            profile: Some(InvestorProfile {
                user_id: "i".into(),
                legal_name: "I".into(),
                country: "US".into(),
                annual_income: 0,
                net_worth: 0,
                accredited: true,
                external_investments_12m: 0,
                kyc_status: "approved".into(),
                kyc_reason: None,
                kyc_decided_at: None,
                created_at: t,
                updated_at: t,
                approved_annual_income: Some(0),
                approved_net_worth: Some(0),
                approved_accredited: Some(true),
                approved_external_investments_12m: Some(0),
            }),
            available: cash,
            committed_12m: 0,
        }
    }

    fn state(target: i64, max: Option<i64>, cash: i64) -> State {
        State {
            offerings: [("o".to_string(), offering(target, max))].into(),
            investors: [
                ("a".to_string(), investor(cash)),
                ("b".to_string(), investor(cash)),
            ]
            .into(),
            committed: HashMap::new(),
        }
    }

    fn now() -> NaiveDateTime {
        chrono::NaiveDate::from_ymd_opt(2026, 1, 2)
            .unwrap()
            .and_hms_opt(0, 0, 0)
            .unwrap()
    }

    fn shares(n: i64) -> Shares {
        Shares::parse(n).unwrap()
    }

    #[test]
    fn requests_see_the_ones_accepted_before_them() {
        let mut s = state(500, None, 1_000);
        let rule = RegCfRule::default();
        assert_eq!(
            accept(&mut s, "a", "o", shares(3), &rule, now()).unwrap(),
            300
        );
        // Only 2 shares remain: 3 more are refused, 2 fund the round exactly.
        let r = accept(&mut s, "b", "o", shares(3), &rule, now()).unwrap_err();
        assert_eq!(r.code, "exceeds_remaining");
        assert_eq!(r.figures["remaining_shares"], 2);
        assert_eq!(
            accept(&mut s, "b", "o", shares(2), &rule, now()).unwrap(),
            200
        );
        assert_eq!(s.offerings["o"].status, "funded");
        // After the funding request, the round is closed to the rest of the batch.
        let r = accept(&mut s, "a", "o", shares(1), &rule, now()).unwrap_err();
        assert_eq!(r.code, "offering_not_open");
        assert_eq!(s.offerings["o"].raised, 500);
    }

    #[test]
    fn a_refusal_leaves_the_state_unchanged() {
        let mut s = state(10_000, Some(400), 500);
        let rule = RegCfRule::default();
        accept(&mut s, "a", "o", shares(3), &rule, now()).unwrap();
        let r = accept(&mut s, "a", "o", shares(2), &rule, now()).unwrap_err();
        assert_eq!(r.code, "above_investor_max");
        assert_eq!(r.figures["remaining_allowed"], 100);
        let r = accept(&mut s, "b", "o", shares(4), &rule, now());
        assert_eq!(r.unwrap(), 400);
        let r = accept(&mut s, "a", "o", shares(1), &rule, now());
        assert_eq!(r.unwrap(), 100);
        // a has 500 - 300 - 100 = 100 left; b has 100 left.
        let r = accept(&mut s, "b", "o", shares(2), &rule, now()).unwrap_err();
        assert_eq!(r.code, "above_investor_max");
        assert_eq!(s.investors["a"].available, 100);
        assert_eq!(s.offerings["o"].raised, 800);
    }

    #[test]
    fn cash_is_spent_across_offerings_in_one_batch() {
        let mut s = state(10_000, None, 250);
        let mut second = offering(10_000, None);
        second.id = "p".into();
        s.offerings.insert("p".into(), second);
        let rule = RegCfRule::default();
        accept(&mut s, "a", "o", shares(2), &rule, now()).unwrap();
        let r = accept(&mut s, "a", "p", shares(1), &rule, now()).unwrap_err();
        assert_eq!(r.code, "insufficient_funds");
        assert_eq!(r.figures["available"], 50);
    }
}
