//! The caps a subscription must pass, checked in memory against the state a
//! batch read (and locked) once. Each accepted request updates that state
//! before the next one is checked, so the requests of one batch see each
//! other exactly as if they had committed one by one in arrival order.

use crate::i18n::Text;
use std::collections::{HashMap, HashSet};

use chrono::NaiveDateTime;

use crate::config::Rules;
use crate::db::offerings::Offering;
use crate::db::profiles::{ApprovedBasis, InvestorProfile};
use crate::domain::rules::reg_cf::{annual_limit, remaining};
use crate::domain::rules::{admits_investor, cn_private, eu_ecsp, leads, Profile};
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
    /// What each investor has committed to each offering, where a rule
    /// needs the amount (see [`super::subscribe`]).
    pub committed: HashMap<(String, String), i64>,
    /// The (investor, offering) pairs that already hold an active or
    /// settled subscription: who counts as a new investor of a round.
    pub holding: HashSet<(String, String)>,
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

/// One request of a batch, as the rules see it.
pub struct Ask<'a> {
    pub investor_id: &'a str,
    pub offering_id: &'a str,
    pub shares: Shares,
    /// The investor acknowledged the warning of a large investment (eu_ecsp).
    pub acknowledge_risk: bool,
}

/// What an accepted request moves and records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Admitted {
    pub amount: i64,
    /// The investor was not yet among the round's investors.
    pub new_investor: bool,
    /// eu_ecsp, a non-sophisticated investor: revocable until then.
    pub revocable_until: Option<NaiveDateTime>,
    /// The warning was due and acknowledged.
    pub risk_acknowledged: bool,
}

/// One request against the state: what it moves if it is accepted (the
/// state is then updated), or why it is refused (the state is unchanged).
/// The checks run in the order the API documents its refusals: the
/// offering's (open, amount, caps, its lead), then the investor's under the
/// deployment's rule profile, then their cash.
pub fn accept(
    state: &mut State,
    ask: &Ask<'_>,
    rules: &Rules,
    now: NaiveDateTime,
) -> Result<Admitted, Refusal> {
    let (investor_id, offering_id) = (ask.investor_id, ask.offering_id);
    let offering = state
        .offerings
        .get_mut(offering_id)
        .filter(|o| o.status != "draft" && o.status != "in_review")
        .ok_or_else(|| not_found("offering"))?;
    if let Some(refusal) = not_open(offering, now) {
        return Err(refusal);
    }
    let amount = ask
        .shares
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
    // The figures last approved are in force, also while a change of them
    // waits for review; without any there is nothing to invest under.
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
    if let Some(min_bps) = offering.lead_min_bps {
        if offering.lead_investor_id.as_deref() != Some(investor_id) {
            let min =
                leads::min_commitment(offering.target_amount, min_bps, offering.price_per_share);
            let lead_committed = offering
                .lead_investor_id
                .as_ref()
                .and_then(|lead| {
                    state
                        .committed
                        .get(&(lead.clone(), offering_id.to_string()))
                })
                .copied()
                .unwrap_or(0);
            if !leads::committed(lead_committed, min) {
                return Err(conflict(
                    "lead_commitment_pending",
                    Text::new(if offering.lead_investor_id.is_some() {
                        "problem-lead_commitment_pending"
                    } else {
                        "problem-lead_commitment_pending-no_lead"
                    }),
                )
                .with("lead_min_commitment", min)
                .with("lead_committed", lead_committed));
            }
        }
    }
    let new_investor = !state.holding.contains(&pair);
    if !admits_investor(
        offering.max_investors,
        offering.investor_count,
        !new_investor,
    ) {
        let max = offering.max_investors.unwrap_or_default();
        return Err(conflict(
            "investor_limit_reached",
            Text::new("problem-investor_limit_reached").number("max_investors", max),
        )
        .with("max_investors", max)
        .with("investor_count", offering.investor_count));
    }
    let standing = Standing {
        basis: &basis,
        profile: investor.profile.as_ref(),
        committed_12m: investor.committed_12m,
        amount,
        in_round: already + amount,
    };
    let (revocable_until, risk_acknowledged) =
        market_rules(rules, &standing, ask.acknowledge_risk, now)?;
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
    state.committed.insert(pair.clone(), already + amount);
    state.holding.insert(pair);
    if new_investor {
        offering.investor_count += 1;
    }
    offering.raised += amount;
    if offering.raised == offering.target_amount {
        offering.status = "funded".to_string();
        offering.closed_at = Some(now);
    }
    Ok(Admitted {
        amount,
        new_investor,
        revocable_until,
        risk_acknowledged,
    })
}

/// What the market's rules look at for one request.
struct Standing<'a> {
    basis: &'a ApprovedBasis,
    profile: Option<&'a InvestorProfile>,
    committed_12m: i64,
    amount: i64,
    /// What the investor would then hold in the round in all.
    in_round: i64,
}

/// The deployment's rule profile on one investor: whether they may invest
/// this much, and what it records (a reflection period, an acknowledged
/// warning).
fn market_rules(
    rules: &Rules,
    s: &Standing<'_>,
    acknowledge_risk: bool,
    now: NaiveDateTime,
) -> Result<(Option<NaiveDateTime>, bool), Refusal> {
    match rules.profile {
        Profile::RegCf => {
            let limit = annual_limit(&rules.reg_cf, &s.basis.finances);
            let left = remaining(limit, s.committed_12m, s.basis.external_investments_12m);
            if let Some(left) = left.filter(|&left| s.amount > left) {
                return Err(invalid(
                    "investment_limit_exceeded",
                    Text::new("problem-investment_limit_exceeded"),
                )
                .with("annual_limit", limit)
                .with("remaining_limit", left));
            }
            Ok((None, false))
        }
        Profile::CnPrivate => {
            if cn_private::qualifies(&s.basis.qualification, s.in_round).is_none() {
                return Err(Refusal::new(
                    RefusalKind::Forbidden,
                    "not_qualified_investor",
                    Text::new("problem-not_qualified_investor")
                        .number("round_minimum", cn_private::ROUND_AMOUNT / 100),
                )
                .with("round_minimum_unqualified", cn_private::ROUND_AMOUNT)
                .with("in_round", s.in_round));
            }
            Ok((None, false))
        }
        Profile::EuEcsp => {
            if s.basis.sophisticated {
                return Ok((None, false));
            }
            let profile = s.profile;
            let missing = eu_ecsp::missing_step(
                profile.and_then(|p| p.knowledge_test_passed_at),
                profile.and_then(|p| p.loss_simulation_at),
                now,
            );
            match missing {
                Some(eu_ecsp::Missing::KnowledgeTest) => {
                    return Err(Refusal::new(
                        RefusalKind::Forbidden,
                        "knowledge_test_required",
                        Text::new("problem-knowledge_test_required"),
                    ))
                }
                Some(eu_ecsp::Missing::LossSimulation) => {
                    return Err(Refusal::new(
                        RefusalKind::Forbidden,
                        "loss_simulation_required",
                        Text::new("problem-loss_simulation_required"),
                    ))
                }
                None => {}
            }
            let net_worth = s.basis.finances.net_worth;
            let warned = eu_ecsp::needs_warning(net_worth, s.in_round);
            if warned && !acknowledge_risk {
                let threshold = eu_ecsp::warning_threshold(net_worth);
                return Err(conflict(
                    "risk_warning_required",
                    Text::new("problem-risk_warning_required"),
                )
                .with("warning_threshold", threshold)
                .with("in_round", s.in_round));
            }
            Ok((Some(eu_ecsp::revocable_until(now)), warned))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::rules::reg_cf::RegCfRule;

    fn t0() -> NaiveDateTime {
        chrono::NaiveDate::from_ymd_opt(2026, 1, 1)
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .unwrap()
    }

    fn now() -> NaiveDateTime {
        t0() + chrono::TimeDelta::days(1)
    }

    fn offering(target: i64, max_per_investor: Option<i64>) -> Offering {
        let t = t0();
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
            rule_profile: "reg_cf".into(),
            max_investors: None,
            investor_count: 0,
            lead_min_bps: None,
            lead_investor_id: None,
            lead_revision: 0,
        }
    }

    fn investor(cash: i64) -> Investor {
        let t = t0();
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
                investor_type: "individual".into(),
                financial_assets: 0,
                average_income_3y: 0,
                sophisticated: false,
                approved_investor_type: Some("individual".into()),
                approved_financial_assets: Some(0),
                approved_average_income_3y: Some(0),
                approved_sophisticated: Some(false),
                knowledge_test_passed_at: None,
                knowledge_test_score: None,
                loss_simulation_at: None,
                loss_capacity: None,
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
            holding: HashSet::new(),
        }
    }

    fn rules(profile: Profile) -> Rules {
        Rules {
            profile,
            min_offering_duration: chrono::TimeDelta::days(21),
            cancellation_cutoff: chrono::TimeDelta::hours(48),
            reg_cf_min_open: chrono::TimeDelta::days(21),
            reg_cf: RegCfRule::default(),
            platform_fee_bps: 500,
        }
    }

    fn ask<'a>(investor: &'a str, offering: &'a str, shares: i64) -> Ask<'a> {
        Ask {
            investor_id: investor,
            offering_id: offering,
            shares: Shares::parse(shares).unwrap(),
            acknowledge_risk: false,
        }
    }

    fn amount(s: &mut State, a: Ask<'_>, profile: Profile) -> Result<i64, Refusal> {
        accept(s, &a, &rules(profile), now()).map(|x| x.amount)
    }

    #[test]
    fn requests_see_the_ones_accepted_before_them() {
        let mut s = state(500, None, 1_000);
        let p = Profile::RegCf;
        assert_eq!(amount(&mut s, ask("a", "o", 3), p).unwrap(), 300);
        // Only 2 shares remain: 3 more are refused, 2 fund the round exactly.
        let r = amount(&mut s, ask("b", "o", 3), p).unwrap_err();
        assert_eq!(r.code, "exceeds_remaining");
        assert_eq!(r.figures["remaining_shares"], 2);
        assert_eq!(amount(&mut s, ask("b", "o", 2), p).unwrap(), 200);
        assert_eq!(s.offerings["o"].status, "funded");
        // After the funding request, the round is closed to the rest of the batch.
        let r = amount(&mut s, ask("a", "o", 1), p).unwrap_err();
        assert_eq!(r.code, "offering_not_open");
        assert_eq!(s.offerings["o"].raised, 500);
    }

    #[test]
    fn a_refusal_leaves_the_state_unchanged() {
        let mut s = state(10_000, Some(400), 500);
        let p = Profile::RegCf;
        amount(&mut s, ask("a", "o", 3), p).unwrap();
        let r = amount(&mut s, ask("a", "o", 2), p).unwrap_err();
        assert_eq!(r.code, "above_investor_max");
        assert_eq!(r.figures["remaining_allowed"], 100);
        assert_eq!(amount(&mut s, ask("b", "o", 4), p).unwrap(), 400);
        assert_eq!(amount(&mut s, ask("a", "o", 1), p).unwrap(), 100);
        // a has 500 - 300 - 100 = 100 left; b has 100 left.
        let r = amount(&mut s, ask("b", "o", 2), p).unwrap_err();
        assert_eq!(r.code, "above_investor_max");
        assert_eq!(s.investors["a"].available, 100);
        assert_eq!(s.offerings["o"].raised, 800);
        assert_eq!(s.offerings["o"].investor_count, 2);
    }

    #[test]
    fn cash_is_spent_across_offerings_in_one_batch() {
        let mut s = state(10_000, None, 250);
        let mut second = offering(10_000, None);
        second.id = "p".into();
        s.offerings.insert("p".into(), second);
        amount(&mut s, ask("a", "o", 2), Profile::RegCf).unwrap();
        let r = amount(&mut s, ask("a", "p", 1), Profile::RegCf).unwrap_err();
        assert_eq!(r.code, "insufficient_funds");
        assert_eq!(r.figures["available"], 50);
    }

    #[test]
    fn the_investor_cap_counts_each_investor_once() {
        let mut s = state(10_000, None, 1_000);
        s.offerings.get_mut("o").unwrap().max_investors = Some(1);
        let p = Profile::CnPrivate;
        s.investors
            .get_mut("a")
            .unwrap()
            .profile
            .as_mut()
            .unwrap()
            .approved_financial_assets = Some(cn_private::FINANCIAL_ASSETS);
        s.investors
            .get_mut("b")
            .unwrap()
            .profile
            .as_mut()
            .unwrap()
            .approved_financial_assets = Some(cn_private::FINANCIAL_ASSETS);
        let first = accept(&mut s, &ask("a", "o", 1), &rules(p), now()).unwrap();
        assert!(first.new_investor);
        // The same investor again is not a new one.
        let again = accept(&mut s, &ask("a", "o", 1), &rules(p), now()).unwrap();
        assert!(!again.new_investor);
        let r = amount(&mut s, ask("b", "o", 1), p).unwrap_err();
        assert_eq!(r.code, "investor_limit_reached");
        assert_eq!(r.figures["max_investors"], 1);
        assert_eq!(s.offerings["o"].investor_count, 1);
    }

    #[test]
    fn cn_private_admits_the_qualified_or_a_million_in_the_round() {
        let mut s = state(200_000_000, None, 200_000_000);
        let p = Profile::CnPrivate;
        let r = amount(&mut s, ask("a", "o", 1), p).unwrap_err();
        assert_eq!(r.code, "not_qualified_investor");
        // ¥1,000,000 in the one round qualifies anyone for it.
        assert_eq!(
            amount(&mut s, ask("a", "o", 1_000_000), p).unwrap(),
            100_000_000
        );
        // ... and then more of it.
        assert_eq!(amount(&mut s, ask("a", "o", 1), p).unwrap(), 100);
        s.investors
            .get_mut("b")
            .unwrap()
            .profile
            .as_mut()
            .unwrap()
            .approved_average_income_3y = Some(cn_private::AVERAGE_INCOME);
        assert_eq!(amount(&mut s, ask("b", "o", 1), p).unwrap(), 100);
    }

    #[test]
    fn eu_ecsp_asks_the_test_the_simulation_and_the_warning_of_the_non_sophisticated() {
        let mut s = state(1_000_000, None, 1_000_000);
        let p = Profile::EuEcsp;
        let r = amount(&mut s, ask("a", "o", 1), p).unwrap_err();
        assert_eq!(r.code, "knowledge_test_required");
        let profile = s.investors.get_mut("a").unwrap().profile.as_mut().unwrap();
        profile.knowledge_test_passed_at = Some(t0());
        let r = amount(&mut s, ask("a", "o", 1), p).unwrap_err();
        assert_eq!(r.code, "loss_simulation_required");
        let profile = s.investors.get_mut("a").unwrap().profile.as_mut().unwrap();
        profile.loss_simulation_at = Some(t0());
        let small = accept(&mut s, &ask("a", "o", 1_000), &rules(p), now()).unwrap();
        assert_eq!(
            small.revocable_until,
            Some(now() + chrono::TimeDelta::days(4))
        );
        assert!(!small.risk_acknowledged);
        // EUR 1,000 in the round already: one more cent needs the warning.
        let r = amount(&mut s, ask("a", "o", 1), p).unwrap_err();
        assert_eq!(r.code, "risk_warning_required");
        assert_eq!(r.figures["warning_threshold"], 100_000);
        let mut acknowledged = ask("a", "o", 1);
        acknowledged.acknowledge_risk = true;
        let big = accept(&mut s, &acknowledged, &rules(p), now()).unwrap();
        assert!(big.risk_acknowledged);
        // A sophisticated investor has none of it.
        let b = s.investors.get_mut("b").unwrap().profile.as_mut().unwrap();
        b.approved_sophisticated = Some(true);
        let free = accept(&mut s, &ask("b", "o", 5_000), &rules(p), now()).unwrap();
        assert_eq!(free.revocable_until, None);
    }

    #[test]
    fn followers_wait_for_the_leads_commitment() {
        let mut s = state(10_000, None, 10_000);
        let o = s.offerings.get_mut("o").unwrap();
        o.lead_min_bps = Some(2_000);
        let p = Profile::RegCf;
        let r = amount(&mut s, ask("b", "o", 1), p).unwrap_err();
        assert_eq!(r.code, "lead_commitment_pending");
        s.offerings.get_mut("o").unwrap().lead_investor_id = Some("a".into());
        let r = amount(&mut s, ask("b", "o", 1), p).unwrap_err();
        assert_eq!(r.figures["lead_min_commitment"], 2_000);
        // The lead subscribes 10 shares, then 10 more: in, followers follow.
        amount(&mut s, ask("a", "o", 10), p).unwrap();
        assert_eq!(
            amount(&mut s, ask("b", "o", 1), p).unwrap_err().code,
            "lead_commitment_pending"
        );
        amount(&mut s, ask("a", "o", 10), p).unwrap();
        assert_eq!(amount(&mut s, ask("b", "o", 1), p).unwrap(), 100);
    }
}
