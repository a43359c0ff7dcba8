//! Investor profiles, their Reg CF limit, and operators' KYC decisions.

use crate::mail::{enqueue, Email, Message};
use chrono::{DateTime, NaiveDateTime, TimeDelta, Utc};
use diesel::Connection;
use serde::Serialize;

use crate::config::Rules;
use crate::db::page::{time_value, Cursor, DEFAULT_LIMIT};
use crate::db::profiles::{InvestorProfile, ProfileRow, Review};
use crate::db::subscriptions::Subscription;
use crate::db::users::User;
use crate::db::{now, write_transaction, AnyConnection};
use crate::domain::kyc::{InvestorProfileInput, KycStatus};
use crate::domain::rules::reg_cf::{annual_limit, remaining, RegCfRule};
use crate::domain::rules::{cn_private, eu_ecsp, Profile};
use crate::i18n::Text;

use super::error::{not_found, refuse, Refusal, RefusalKind, ServiceResult};
use super::views::{utc, Page};

/// The rolling window the limit applies to.
pub const LIMIT_WINDOW: TimeDelta = TimeDelta::days(365);

#[derive(Debug, Clone, Serialize)]
pub struct LimitView {
    /// None: no limit (accredited).
    pub annual_limit: Option<i64>,
    pub invested_on_platform_12m: i64,
    pub declared_elsewhere_12m: i64,
    /// None: no limit.
    pub remaining: Option<i64>,
    /// `approved`: the limit in force, on the figures last approved (a
    /// change of them waits for review); `declared`: nothing approved yet,
    /// the limit the declared figures will give once approved.
    pub basis: &'static str,
}

#[derive(Debug, Clone, Serialize)]
pub struct ProfileView {
    pub user_id: String,
    pub legal_name: String,
    pub country: String,
    pub annual_income: i64,
    pub net_worth: i64,
    pub accredited: bool,
    pub external_investments_12m: i64,
    pub investor_type: String,
    pub financial_assets: i64,
    pub average_income_3y: i64,
    pub sophisticated: bool,
    pub kyc_status: String,
    pub kyc_reason: Option<String>,
    /// The deployment's rule profile, which says which of these apply.
    pub rule_profile: &'static str,
    /// reg_cf: the 12-month investment limit (null under other profiles).
    pub limit: Option<LimitView>,
    /// cn_private: whether the investor is qualified (null elsewhere).
    pub qualification: Option<QualificationView>,
    /// eu_ecsp: what a non-sophisticated investor must do first, and the
    /// warning threshold (null elsewhere).
    pub ecsp: Option<EcspView>,
    pub currency: String,
    pub updated_at: DateTime<Utc>,
}

/// cn_private: qualification on the approved figures (or, before any
/// approval, on the declared ones).
#[derive(Debug, Clone, Serialize)]
pub struct QualificationView {
    pub qualified: bool,
    /// `financial_assets`, `average_income` or `institution_net_assets`.
    pub qualified_by: Option<&'static str>,
    /// Without qualification, what investing in one round qualifies anyone
    /// for it: at least this much in that round.
    pub round_minimum_unqualified: i64,
    /// `approved` or `declared`, as for the limit.
    pub basis: &'static str,
}

/// eu_ecsp: the investor's standing (on the approved figures).
#[derive(Debug, Clone, Serialize)]
pub struct EcspView {
    /// A sophisticated investor (as approved): none of the rest applies.
    pub sophisticated: bool,
    pub knowledge_test_passed_at: Option<DateTime<Utc>>,
    /// When the test is due again (two years after it was passed).
    pub knowledge_test_valid_until: Option<DateTime<Utc>>,
    pub loss_simulation_at: Option<DateTime<Utc>>,
    pub loss_capacity: Option<i64>,
    /// Above this total in one offering, a subscription must acknowledge
    /// the warning (`acknowledge_risk`).
    pub warning_threshold: Option<i64>,
    /// What is still to do before subscribing: `knowledge_test`,
    /// `loss_simulation`, or nothing.
    pub next_step: Option<&'static str>,
}

/// The limit figures of a profile, as of `now`: on the figures last
/// approved when there are any (the limit in force), else on the declared
/// ones (what the limit will be once approved).
pub fn limit_of(
    conn: &mut AnyConnection,
    profile: &InvestorProfile,
    rule: &RegCfRule,
    now: NaiveDateTime,
) -> ServiceResult<LimitView> {
    let (finances, elsewhere, basis) = match profile.approved_basis() {
        Some(b) => (b.finances, b.external_investments_12m, "approved"),
        None => (
            profile.finances(),
            profile.external_investments_12m,
            "declared",
        ),
    };
    let limit = annual_limit(rule, &finances);
    let invested = Subscription::committed_since(conn, &profile.user_id, now - LIMIT_WINDOW)?;
    Ok(LimitView {
        annual_limit: limit,
        invested_on_platform_12m: invested,
        declared_elsewhere_12m: elsewhere,
        remaining: remaining(limit, invested, elsewhere),
        basis,
    })
}

fn view(
    conn: &mut AnyConnection,
    profile: InvestorProfile,
    rules: &Rules,
    currency: &str,
) -> ServiceResult<ProfileView> {
    let now = now();
    let limit = match rules.profile {
        Profile::RegCf => Some(limit_of(conn, &profile, &rules.reg_cf, now)?),
        _ => None,
    };
    let qualification = (rules.profile == Profile::CnPrivate).then(|| qualification_of(&profile));
    let ecsp = (rules.profile == Profile::EuEcsp).then(|| ecsp_of(&profile, now));
    Ok(ProfileView {
        user_id: profile.user_id,
        legal_name: profile.legal_name,
        country: profile.country,
        annual_income: profile.annual_income,
        net_worth: profile.net_worth,
        accredited: profile.accredited,
        external_investments_12m: profile.external_investments_12m,
        investor_type: profile.investor_type,
        financial_assets: profile.financial_assets,
        average_income_3y: profile.average_income_3y,
        sophisticated: profile.sophisticated,
        kyc_status: profile.kyc_status,
        kyc_reason: profile.kyc_reason,
        rule_profile: rules.profile.as_str(),
        limit,
        qualification,
        ecsp,
        currency: currency.to_string(),
        updated_at: utc(profile.updated_at),
    })
}

fn qualification_of(profile: &InvestorProfile) -> QualificationView {
    let (declared, basis) = match profile.approved_basis() {
        Some(b) => (b.qualification, "approved"),
        None => (profile.declared_qualification(), "declared"),
    };
    let by = cn_private::qualified_by_declaration(&declared);
    QualificationView {
        qualified: by.is_some(),
        qualified_by: by.map(cn_private::Qualification::as_str),
        round_minimum_unqualified: cn_private::ROUND_AMOUNT,
        basis,
    }
}

fn ecsp_of(profile: &InvestorProfile, now: NaiveDateTime) -> EcspView {
    let basis = profile.approved_basis();
    let sophisticated = basis.is_some_and(|b| b.sophisticated);
    let net_worth = basis.map(|b| b.finances.net_worth);
    let next_step = match basis {
        Some(_) if sophisticated => None,
        _ => eu_ecsp::missing_step(
            profile.knowledge_test_passed_at,
            profile.loss_simulation_at,
            now,
        )
        .map(|m| match m {
            eu_ecsp::Missing::KnowledgeTest => "knowledge_test",
            eu_ecsp::Missing::LossSimulation => "loss_simulation",
        }),
    };
    EcspView {
        sophisticated,
        knowledge_test_passed_at: profile.knowledge_test_passed_at.map(utc),
        knowledge_test_valid_until: profile
            .knowledge_test_passed_at
            .map(|at| utc(at + eu_ecsp::KNOWLEDGE_TEST_VALID_FOR)),
        loss_simulation_at: profile.loss_simulation_at.map(utc),
        loss_capacity: profile.loss_capacity,
        warning_threshold: net_worth
            .filter(|_| !sophisticated)
            .map(eu_ecsp::warning_threshold),
        next_step,
    }
}

/// Creates or replaces the investor's profile. A new profile, or a change of
/// legal name or country, (re)starts KYC review with nothing in force; a
/// rejected profile that is resubmitted goes back to review too. A change of
/// the figures that set the limit (accredited, income, net worth, outside
/// investments) goes back to review while the limit last approved stays in
/// force: an investor cannot lift their own limit. Returns the view and the
/// review the change started (for the audit log).
pub fn put_profile(
    conn: &mut AnyConnection,
    user_id: &str,
    input: &InvestorProfileInput,
    rules: &Rules,
    currency: &str,
    actor: &crate::db::audit::Actor,
) -> ServiceResult<ProfileView> {
    let now = now();
    let row = ProfileRow {
        legal_name: &input.legal_name,
        country: &input.country,
        annual_income: input.annual_income,
        net_worth: input.net_worth,
        accredited: input.accredited,
        external_investments_12m: input.external_investments_12m,
        investor_type: input.market.investor_type.as_str(),
        financial_assets: input.market.financial_assets,
        average_income_3y: input.market.average_income_3y,
        sophisticated: input.market.sophisticated,
    };
    let profile = write_transaction(conn, |conn| -> ServiceResult<InvestorProfile> {
        match InvestorProfile::find(conn, user_id)? {
            None => {
                // In a savepoint: a concurrent first save may insert first
                // (a unique violation), and then this one updates instead.
                let inserted =
                    conn.transaction(|conn| InvestorProfile::insert(conn, user_id, &row, now));
                match inserted {
                    Ok(_) => {}
                    Err(diesel::result::Error::DatabaseError(
                        diesel::result::DatabaseErrorKind::UniqueViolation,
                        _,
                    )) => {
                        InvestorProfile::update(conn, user_id, &row, Review::Identity, now)?;
                    }
                    Err(e) => return Err(e.into()),
                }
                audit_change(conn, actor, user_id, "created", input)?;
            }
            Some(existing) => {
                let identity_changed =
                    existing.legal_name != input.legal_name || existing.country != input.country;
                let limits_changed = existing.annual_income != input.annual_income
                    || existing.net_worth != input.net_worth
                    || existing.accredited != input.accredited
                    || existing.external_investments_12m != input.external_investments_12m
                    || existing.investor_type != input.market.investor_type.as_str()
                    || existing.financial_assets != input.market.financial_assets
                    || existing.average_income_3y != input.market.average_income_3y
                    || existing.sophisticated != input.market.sophisticated;
                let review =
                    if identity_changed || existing.kyc_status == KycStatus::Rejected.as_str() {
                        Review::Identity
                    } else if limits_changed {
                        Review::Limits
                    } else {
                        Review::Keep
                    };
                InvestorProfile::update(conn, user_id, &row, review, now)?;
                let what = match review {
                    Review::Keep => "unchanged_review",
                    Review::Limits => "limits_to_review",
                    Review::Identity => "identity_to_review",
                };
                audit_change(conn, actor, user_id, what, input)?;
            }
        }
        InvestorProfile::find(conn, user_id)?.ok_or_else(|| not_found("profile"))
    })?;
    view(conn, profile, rules, currency)
}

/// The audit record of a profile saved: what it did to the review, and the
/// figures declared (the identity fields are personal data and stay out).
fn audit_change(
    conn: &mut AnyConnection,
    actor: &crate::db::audit::Actor,
    user_id: &str,
    review: &str,
    input: &InvestorProfileInput,
) -> ServiceResult<()> {
    let details = serde_json::json!({
        "review": review,
        "accredited": input.accredited,
        "annual_income": input.annual_income,
        "net_worth": input.net_worth,
        "external_investments_12m": input.external_investments_12m,
        "investor_type": input.market.investor_type.as_str(),
        "financial_assets": input.market.financial_assets,
        "average_income_3y": input.market.average_income_3y,
        "sophisticated": input.market.sophisticated,
    });
    crate::db::audit::record(
        conn,
        actor,
        "investor_profile.saved",
        "investor_profile",
        user_id,
        &details,
    )?;
    Ok(())
}

pub fn get_profile(
    conn: &mut AnyConnection,
    user_id: &str,
    rules: &Rules,
    currency: &str,
) -> ServiceResult<ProfileView> {
    let profile =
        InvestorProfile::find(conn, user_id)?.ok_or_else(|| not_found("investor profile"))?;
    view(conn, profile, rules, currency)
}

#[derive(Debug, Clone, Serialize)]
pub struct KycItem {
    pub investor_id: String,
    pub email: String,
    pub legal_name: String,
    pub country: String,
    /// The declared figures an approval puts in force.
    pub annual_income: i64,
    pub net_worth: i64,
    pub accredited: bool,
    pub external_investments_12m: i64,
    pub investor_type: String,
    pub financial_assets: i64,
    pub average_income_3y: i64,
    pub sophisticated: bool,
    pub kyc_status: String,
    pub kyc_reason: Option<String>,
    pub submitted_at: DateTime<Utc>,
    /// The figures last approved, still in force (the limit's basis); None
    /// when none are: never approved, or since rejected or changed in name
    /// or country. Beside the declared ones, what a review changes.
    pub approved: Option<ApprovedFigures>,
}

/// The figures an approval put in force.
#[derive(Debug, Clone, Serialize)]
pub struct ApprovedFigures {
    pub annual_income: i64,
    pub net_worth: i64,
    pub accredited: bool,
    pub external_investments_12m: i64,
    pub investor_type: &'static str,
    pub financial_assets: i64,
    pub average_income_3y: i64,
    pub sophisticated: bool,
}

impl From<crate::db::profiles::ApprovedBasis> for ApprovedFigures {
    fn from(b: crate::db::profiles::ApprovedBasis) -> Self {
        Self {
            annual_income: b.finances.annual_income,
            net_worth: b.finances.net_worth,
            accredited: b.finances.accredited,
            external_investments_12m: b.external_investments_12m,
            investor_type: b.qualification.investor_type.as_str(),
            financial_assets: b.qualification.financial_assets,
            average_income_3y: b.qualification.average_income_3y,
            sophisticated: b.sophisticated,
        }
    }
}

pub fn list_kyc(
    conn: &mut AnyConnection,
    status: KycStatus,
    cursor: Option<&str>,
    limit: Option<i64>,
) -> ServiceResult<Page<KycItem>> {
    let limit = limit.unwrap_or(DEFAULT_LIMIT);
    let after = match cursor {
        Some(text) => {
            let c = Cursor::decode(text, "kyc").ok_or_else(super::offerings::invalid_cursor)?;
            Some((c.time(), c.id))
        }
        None => None,
    };
    let rows = InvestorProfile::page_by_status(conn, status.as_str(), after, limit + 1)?;
    let more = rows.len() as i64 > limit;
    let items: Vec<KycItem> = rows
        .into_iter()
        .take(limit as usize)
        .map(|(p, email)| KycItem {
            approved: p.approved_basis().map(ApprovedFigures::from),
            investor_id: p.user_id,
            email,
            legal_name: p.legal_name,
            country: p.country,
            annual_income: p.annual_income,
            net_worth: p.net_worth,
            accredited: p.accredited,
            external_investments_12m: p.external_investments_12m,
            investor_type: p.investor_type,
            financial_assets: p.financial_assets,
            average_income_3y: p.average_income_3y,
            sophisticated: p.sophisticated,
            kyc_status: p.kyc_status,
            kyc_reason: p.kyc_reason,
            submitted_at: utc(p.updated_at),
        })
        .collect();
    let next_cursor = super::offerings::next_cursor(&items, more, "kyc", |i| {
        (time_value(i.submitted_at.naive_utc()), &i.investor_id)
    });
    Ok(Page { items, next_cursor })
}

/// An operator approves or rejects an investor's pending KYC. `seen` is the
/// profile's `submitted_at` as the operator was shown it: the decision only
/// applies to that version, and a profile changed meanwhile is refused
/// (409 `kyc_profile_changed`) with nothing decided.
#[allow(clippy::too_many_arguments)]
pub fn decide_kyc(
    conn: &mut AnyConnection,
    operator_id: &str,
    investor_id: &str,
    decision: KycStatus,
    reason: Option<&str>,
    seen: NaiveDateTime,
    rules: &Rules,
    currency: &str,
) -> ServiceResult<ProfileView> {
    if decision == KycStatus::Pending {
        return refuse(
            RefusalKind::Invalid,
            "invalid_field",
            Text::new("problem-invalid_field-decision"),
        );
    }
    let now = now();
    let profile = write_transaction(conn, |conn| -> ServiceResult<InvestorProfile> {
        let investor = User::find(conn, investor_id)?.filter(|u| u.role == "investor");
        let Some((investor, current)) = investor.zip(InvestorProfile::find(conn, investor_id)?)
        else {
            return Err(not_found("investor profile"));
        };
        if !InvestorProfile::decide(
            conn,
            investor_id,
            decision.as_str(),
            reason,
            operator_id,
            seen,
            now,
        )? {
            let (code, detail) = if current.kyc_status == "pending" {
                (
                    "kyc_profile_changed",
                    Text::new("problem-kyc_profile_changed"),
                )
            } else {
                ("kyc_not_pending", Text::new("problem-kyc_not_pending"))
            };
            return Err(Refusal::new(RefusalKind::Conflict, code, detail)
                .with("kyc_status", current.kyc_status)
                // As the queue writes it, so a client can compare the two.
                .with(
                    "submitted_at",
                    serde_json::to_value(utc(current.updated_at)).unwrap_or_default(),
                )
                .into());
        }
        let message = match decision {
            KycStatus::Approved => Message::KycApproved,
            _ => Message::KycRejected {
                reason: reason.unwrap_or_default().to_string(),
            },
        };
        enqueue(conn, &Email::to_user(&investor, message))?;
        InvestorProfile::find(conn, investor_id)?.ok_or_else(|| not_found("investor profile"))
    })?;
    view(conn, profile, rules, currency)
}
