//! `GET /api/v1/rules`: the rule profile the deployment runs under, with its
//! figures, so that an app can say what an investor must declare, who may
//! invest and how much, and how a subscription can be taken back.

use actix_web::{web, HttpResponse};
use serde::Serialize;

use crate::config::Rules;
use crate::domain::rules::{cn_private, eu_ecsp, Profile, Withdrawal};

use super::AppState;

#[derive(Debug, Serialize)]
pub struct RulesView {
    pub profile: &'static str,
    pub currency: String,
    /// The investor profile's fields this profile looks at.
    pub declarations: Vec<&'static str>,
    /// reg_cf: the 12-month investment limit's figures.
    pub investment_limit: Option<InvestmentLimit>,
    /// cn_private: what makes an investor qualified.
    pub qualification: Option<Qualification>,
    /// The most investors one round may have (an offering may set fewer).
    pub max_investors_per_round: Option<i64>,
    /// eu_ecsp: what non-sophisticated investors go through.
    pub non_sophisticated: Option<NonSophisticated>,
    pub withdrawal: WithdrawalView,
    /// When a round funded before its deadline may settle.
    pub early_settlement: EarlySettlement,
}

#[derive(Debug, Serialize)]
pub struct InvestmentLimit {
    pub threshold: i64,
    pub floor: i64,
    pub lower_bps: i64,
    pub upper_bps: i64,
    pub cap: i64,
    pub window_days: i64,
}

#[derive(Debug, Serialize)]
pub struct Qualification {
    pub financial_assets: i64,
    pub average_income_3y: i64,
    pub institution_net_assets: i64,
    /// Anyone investing at least this much in one round qualifies for it.
    pub round_amount: i64,
}

#[derive(Debug, Serialize)]
pub struct NonSophisticated {
    pub knowledge_test_valid_days: i64,
    pub loss_capacity_bps: i64,
    pub warning_floor: i64,
    pub warning_bps: i64,
}

#[derive(Debug, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum WithdrawalView {
    /// Cancellation while the round is open, until `cutoff_hours` before its
    /// deadline.
    Cancellation { cutoff_hours: i64 },
    /// Revocation without reason within `days` of subscribing, by
    /// non-sophisticated investors.
    Reflection { days: i64 },
}

#[derive(Debug, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EarlySettlement {
    /// Once the round has been open `days` (0: at once).
    AfterOpen {
        days: i64,
        seconds: i64,
    },
    /// Once no subscription can still be revoked.
    AfterReflection,
    AtOnce,
}

impl RulesView {
    pub fn of(rules: &Rules, currency: &str) -> Self {
        let profile = rules.profile;
        let mut declarations = vec![
            "legal_name",
            "country",
            "annual_income",
            "net_worth",
            "accredited",
            "external_investments_12m",
        ];
        match profile {
            Profile::RegCf => {}
            Profile::CnPrivate => {
                declarations = vec![
                    "legal_name",
                    "country",
                    "investor_type",
                    "financial_assets",
                    "average_income_3y",
                    "net_worth",
                ]
            }
            Profile::EuEcsp => {
                declarations = vec!["legal_name", "country", "net_worth", "sophisticated"]
            }
        }
        let r = &rules.reg_cf;
        Self {
            profile: profile.as_str(),
            currency: currency.to_string(),
            declarations,
            investment_limit: (profile == Profile::RegCf).then(|| InvestmentLimit {
                threshold: r.threshold,
                floor: r.floor,
                lower_bps: r.lower_bps,
                upper_bps: r.upper_bps,
                cap: r.cap,
                window_days: crate::services::profiles::LIMIT_WINDOW.num_days(),
            }),
            qualification: (profile == Profile::CnPrivate).then_some(Qualification {
                financial_assets: cn_private::FINANCIAL_ASSETS,
                average_income_3y: cn_private::AVERAGE_INCOME,
                institution_net_assets: cn_private::INSTITUTION_NET_ASSETS,
                round_amount: cn_private::ROUND_AMOUNT,
            }),
            max_investors_per_round: profile.max_investors(),
            non_sophisticated: (profile == Profile::EuEcsp).then_some(NonSophisticated {
                knowledge_test_valid_days: eu_ecsp::KNOWLEDGE_TEST_VALID_FOR.num_days(),
                loss_capacity_bps: eu_ecsp::LOSS_CAPACITY_BPS,
                warning_floor: eu_ecsp::WARNING_FLOOR,
                warning_bps: eu_ecsp::WARNING_BPS,
            }),
            withdrawal: match profile.withdrawal() {
                Withdrawal::UntilBeforeDeadline => WithdrawalView::Cancellation {
                    cutoff_hours: rules.cancellation_cutoff.num_hours(),
                },
                Withdrawal::Reflection { period } => WithdrawalView::Reflection {
                    days: period.num_days(),
                },
            },
            early_settlement: match profile {
                Profile::RegCf => EarlySettlement::AfterOpen {
                    days: rules.reg_cf_min_open.num_days(),
                    seconds: rules.reg_cf_min_open.num_seconds(),
                },
                Profile::EuEcsp => EarlySettlement::AfterReflection,
                Profile::CnPrivate => EarlySettlement::AtOnce,
            },
        }
    }
}

pub async fn rules(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().json(RulesView::of(&state.config.rules, &state.config.currency))
}
