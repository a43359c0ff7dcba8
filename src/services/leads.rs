//! Rounds led by a lead investor (领投 + 跟投): an operator appoints the
//! lead of a led round (`lead_min_bps` set), who must commit at least
//! [`min_commitment`] before followers may subscribe (the subscribe path
//! checks it, see [`crate::pipeline::rules`]). A lead whose commitment
//! falls below the minimum withdraws, and the followers are asked to
//! reconfirm; a led round settles only with a committed lead.

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::Serialize;

use crate::config::Config;
use crate::db::leads::{self, Lead};
use crate::db::offerings::Offering;
use crate::db::profiles::InvestorProfile;
use crate::db::subscriptions::Subscription;
use crate::db::users::User;
use crate::db::{clock, new_id, write_transaction, AnyConnection};
use crate::domain::rules::leads::{committed as is_committed, min_commitment};
use crate::domain::text::{self, Lines};
use crate::domain::{FieldError, Role};
use crate::i18n::Text;
use crate::ledger::{find_account, lock_balance, AccountKind};

use super::error::{not_found, Refusal, RefusalKind, ServiceResult};
use super::offerings::Viewer;
use super::views::utc;

/// The longest terms of an appointment, in characters.
pub const MAX_TERMS_CHARS: usize = 2_000;

/// The lead in office, as the offering shows them.
#[derive(Debug, Clone, Serialize)]
pub struct LeadView {
    pub investor_id: String,
    /// Their display name.
    pub name: String,
    /// Their carry, in basis points of the followers' profit.
    pub carry_bps: i32,
    pub terms: String,
    pub appointed_at: DateTime<Utc>,
    /// What they must commit before followers may subscribe.
    pub min_commitment: i64,
    /// What they hold in the round (active and settled subscriptions).
    pub committed: i64,
    /// `appointed` (not yet committed) or `committed`.
    pub status: &'static str,
}

/// One appointment, as the offering's history lists it.
#[derive(Debug, Clone, Serialize)]
pub struct AppointmentView {
    pub id: String,
    pub investor_id: String,
    pub name: String,
    pub carry_bps: i32,
    pub terms: String,
    pub appointed_by: String,
    pub appointed_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
    /// `withdrew` or `replaced`; null while in office.
    pub end_reason: Option<String>,
}

fn conflict(code: &'static str, detail: Text) -> Refusal {
    Refusal::new(RefusalKind::Conflict, code, detail)
}

/// The least the offering's lead must commit; None for a round not led.
fn minimum(o: &Offering) -> Option<i64> {
    o.lead_min_bps
        .map(|bps| min_commitment(o.target_amount, bps, o.price_per_share))
}

/// What `investor_id` holds in the offering (active and settled).
fn committed_in(
    conn: &mut AnyConnection,
    investor_id: &str,
    offering_id: &str,
) -> ServiceResult<i64> {
    let held = Subscription::committed_by_pair(conn, &[investor_id], &[offering_id])?;
    Ok(held
        .get(&(investor_id.to_string(), offering_id.to_string()))
        .copied()
        .unwrap_or(0))
}

fn view(
    conn: &mut AnyConnection,
    o: &Offering,
    lead: Lead,
    name: String,
) -> ServiceResult<LeadView> {
    let min = minimum(o).unwrap_or(0);
    let committed = committed_in(conn, &lead.investor_id, &o.id)?;
    Ok(LeadView {
        investor_id: lead.investor_id,
        name,
        carry_bps: lead.carry_bps,
        terms: lead.terms,
        appointed_at: utc(lead.appointed_at),
        min_commitment: min,
        committed,
        status: if is_committed(committed, min) {
            "committed"
        } else {
            "appointed"
        },
    })
}

/// The offering's lead in office, if it is a led round and has one.
pub fn lead_of(conn: &mut AnyConnection, o: &Offering) -> ServiceResult<Option<LeadView>> {
    if o.lead_min_bps.is_none() || o.lead_investor_id.is_none() {
        return Ok(None);
    }
    match leads::in_office(conn, &o.id)? {
        Some((lead, name)) => view(conn, o, lead, name).map(Some),
        None => Ok(None),
    }
}

/// A carry in basis points (0..=10,000).
fn carry(carry_bps: i64) -> Result<i32, FieldError> {
    i32::try_from(carry_bps)
        .ok()
        .filter(|bps| (0..=10_000).contains(bps))
        .ok_or_else(|| FieldError::new("carry_bps", Text::new("problem-invalid_field-carry_bps")))
}

/// Refuses an investor who may not lead: not an investor (or no such
/// account), disabled, email not verified, or without approved KYC.
fn ensure_eligible(conn: &mut AnyConnection, investor_id: &str) -> ServiceResult<()> {
    let refuse = |key: &'static str| {
        Refusal::new(RefusalKind::Invalid, "lead_not_eligible", Text::new(key))
            .with("investor_id", investor_id)
    };
    let user = User::find(conn, investor_id)?
        .filter(|u| u.role == Role::Investor.as_str())
        .ok_or_else(|| refuse("problem-lead_not_eligible-not_investor"))?;
    if user.disabled_at.is_some() {
        return Err(refuse("problem-lead_not_eligible-disabled").into());
    }
    if user.email_verified_at.is_none() {
        return Err(refuse("problem-lead_not_eligible-email").into());
    }
    let profile = InvestorProfile::find(conn, investor_id)?;
    // The figures last approved are in force (also while a change of them
    // waits for review), as when subscribing.
    if profile
        .as_ref()
        .is_none_or(|p| p.approved_basis().is_none())
    {
        let status = profile.map_or_else(|| "missing".to_string(), |p| p.kyc_status);
        return Err(refuse("problem-lead_not_eligible-kyc")
            .with("kyc_status", status)
            .into());
    }
    Ok(())
}

/// An operator appoints `investor_id` the lead of a led round in review or
/// open, with their carry and terms, replacing a lead in office who has
/// not committed. One transaction, in the lock order of [`crate::db`]: the
/// offering's escrow (when it has one), then the offering, re-read under
/// it. The caller audits it.
pub fn appoint(
    conn: &mut AnyConnection,
    operator_id: &str,
    offering_id: &str,
    investor_id: &str,
    carry_bps: i64,
    terms: &str,
) -> ServiceResult<LeadView> {
    let carry_bps = carry(carry_bps)?;
    let terms = text::required("terms", terms, MAX_TERMS_CHARS, Lines::Many)?;
    write_transaction(conn, |conn| -> ServiceResult<LeadView> {
        Offering::find(conn, offering_id)?.ok_or_else(|| not_found("offering"))?;
        // The escrow first: a subscription, cancellation or settlement of
        // this round has committed, and is seen below, or waits.
        if let Some(escrow) = find_account(conn, AccountKind::OfferingEscrow, offering_id)? {
            lock_balance(conn, &escrow.id)?;
        }
        let offering = Offering::find(conn, offering_id)?.ok_or_else(|| not_found("offering"))?;
        let Some(min) = minimum(&offering) else {
            return Err(conflict("offering_not_led", Text::new("problem-offering_not_led")).into());
        };
        if !matches!(offering.status.as_str(), "in_review" | "open") {
            return Err(conflict(
                "invalid_offering_state",
                Text::new("problem-invalid_offering_state-lead"),
            )
            .with("offering_status", offering.status.clone())
            .into());
        }
        ensure_eligible(conn, investor_id)?;
        if let Some((current, _)) = leads::in_office(conn, offering_id)? {
            let committed = committed_in(conn, &current.investor_id, offering_id)?;
            if is_committed(committed, min) {
                return Err(conflict(
                    "lead_already_committed",
                    Text::new("problem-lead_already_committed"),
                )
                .with("lead_investor_id", current.investor_id)
                .with("lead_committed", committed)
                .with("lead_min_commitment", min)
                .into());
            }
        }
        let lead = Lead {
            id: new_id(),
            offering_id: offering_id.to_string(),
            investor_id: investor_id.to_string(),
            carry_bps,
            terms,
            appointed_by: operator_id.to_string(),
            appointed_at: clock(conn)?,
            ended_at: None,
            end_reason: None,
        };
        leads::appoint(conn, &lead)?;
        let name = User::find(conn, investor_id)?
            .map(|u| u.display_name)
            .unwrap_or_default();
        view(conn, &offering, lead, name)
    })
}

/// Every appointment of the offering's leads, newest first: its sponsor's
/// and operators' view (404 for anyone else).
pub fn history(
    conn: &mut AnyConnection,
    viewer: &Viewer,
    offering_id: &str,
) -> ServiceResult<Vec<AppointmentView>> {
    Offering::find(conn, offering_id)?
        .filter(|o| viewer.role == Role::Operator || o.sponsor_id == viewer.user_id)
        .ok_or_else(|| not_found("offering"))?;
    Ok(leads::history(conn, offering_id)?
        .into_iter()
        .map(|(l, name)| AppointmentView {
            id: l.id,
            investor_id: l.investor_id,
            name,
            carry_bps: l.carry_bps,
            terms: l.terms,
            appointed_by: l.appointed_by,
            appointed_at: utc(l.appointed_at),
            ended_at: l.ended_at.map(utc),
            end_reason: l.end_reason,
        })
        .collect())
}

/// Called inside the transaction that released (cancelled) one of
/// `investor_id`'s subscriptions in `offering`, which holds the offering's
/// escrow, with that transaction's `now` (the time the release stamped
/// on the subscription). If they are the lead in office and their
/// commitment fell below the minimum with it (it was at least the minimum
/// before), they withdraw: their appointment ends, the offering has no
/// lead, and every follower's active subscription awaits reconfirmation
/// (and the followers are emailed). Returns whether the lead withdrew.
///
/// A lead who had not yet committed and takes some of their money back
/// stays appointed: no follower subscribed on their commitment.
pub fn after_release(
    conn: &mut AnyConnection,
    offering: &Offering,
    investor_id: &str,
    by: &str,
    config: &Config,
    now: NaiveDateTime,
) -> ServiceResult<bool> {
    let Some(min) = minimum(offering) else {
        return Ok(false);
    };
    let Some((lead, _)) = leads::in_office(conn, &offering.id)? else {
        return Ok(false);
    };
    if lead.investor_id != investor_id {
        return Ok(false);
    }
    let left = committed_in(conn, investor_id, &offering.id)?;
    if is_committed(left, min) {
        return Ok(false);
    }
    let released = leads::released_at(conn, &offering.id, investor_id, now)?;
    if !is_committed(left.saturating_add(released), min) {
        return Ok(false);
    }
    if !leads::withdraw(conn, &offering.id, investor_id, now)? {
        return Ok(false);
    }
    let change = super::material_changes::lead_withdrew(
        conn,
        offering,
        investor_id,
        by,
        &config.reconfirmation,
        &config.public_base_url,
        now,
    )?;
    crate::db::audit::record(
        conn,
        &crate::db::audit::Actor::system("lead_withdrawal"),
        "offering.lead_withdrew",
        "offering",
        &offering.id,
        &serde_json::json!({"lead_investor_id": investor_id, "lead_committed": left,
                            "lead_min_commitment": min, "material_change_id": change.id}),
    )?;
    Ok(true)
}

/// For settlement, inside its transaction (the escrow held, `offering`
/// read under it): a led round settles only with a lead in office whose
/// commitment is at least the minimum (409 `lead_required` otherwise).
pub fn ensure_lead_committed(conn: &mut AnyConnection, offering: &Offering) -> ServiceResult<()> {
    let Some(min) = minimum(offering) else {
        return Ok(());
    };
    let lead = leads::in_office(conn, &offering.id)?;
    let committed = match &lead {
        Some((l, _)) => committed_in(conn, &l.investor_id, &offering.id)?,
        None => 0,
    };
    if lead.is_some() && is_committed(committed, min) {
        return Ok(());
    }
    let detail = if lead.is_some() {
        "problem-lead_required"
    } else {
        "problem-lead_required-no_lead"
    };
    Err(conflict("lead_required", Text::new(detail))
        .with("lead_min_commitment", min)
        .with("lead_committed", committed)
        .into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_carry_is_a_share_in_basis_points() {
        assert_eq!(carry(0).unwrap(), 0);
        assert_eq!(carry(2_000).unwrap(), 2_000);
        assert_eq!(carry(10_000).unwrap(), 10_000);
        for bad in [-1, 10_001, i64::from(i32::MAX) + 1, i64::MIN] {
            assert_eq!(carry(bad).unwrap_err().field, "carry_bps");
        }
    }
}
