//! What the API shows of offerings, subscriptions and money: plain structs
//! that serialize to the JSON of `openapi.yaml`.

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::Serialize;

use crate::db::offerings::Offering;
use crate::db::subscriptions::{OfferingBrief, Subscription};

pub fn utc(t: NaiveDateTime) -> DateTime<Utc> {
    t.and_utc()
}

#[derive(Debug, Clone, Serialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Progress {
    pub raised: i64,
    pub target_amount: i64,
    /// Whole percent, rounded down.
    pub percent: i64,
    pub investor_count: i64,
    pub remaining_shares: i64,
    pub closes_at: DateTime<Utc>,
}

impl Progress {
    pub fn new(
        raised: i64,
        target_amount: i64,
        price_per_share: i64,
        investor_count: i64,
        closes_at: NaiveDateTime,
    ) -> Self {
        Self {
            raised,
            target_amount,
            percent: ((raised as i128 * 100) / target_amount.max(1) as i128) as i64,
            investor_count,
            remaining_shares: (target_amount - raised) / price_per_share.max(1),
            closes_at: utc(closes_at),
        }
    }
}

/// One committed state of an offering's progress, as its live streams send
/// it (`event: progress`).
#[derive(Debug, Clone, Serialize)]
pub struct ProgressEvent {
    pub offering_id: String,
    pub status: String,
    /// How many times the offering's figures or status have changed: the id
    /// of the offering's own stream's events.
    pub version: i64,
    /// The change's number among all offerings' changes: the id of the
    /// catalogue stream's events.
    pub sequence: i64,
    #[serde(flatten)]
    pub progress: Progress,
    /// Who may follow a draft or an offering in review (besides operators).
    #[serde(skip)]
    pub sponsor_id: String,
}

impl ProgressEvent {
    pub fn new(row: crate::db::progress::ProgressRow) -> Self {
        Self {
            progress: Progress::new(
                row.raised,
                row.target_amount,
                row.price_per_share,
                row.investor_count,
                row.closes_at,
            ),
            offering_id: row.id,
            status: row.status,
            version: row.version,
            sequence: row.change_seq,
            sponsor_id: row.sponsor_id,
        }
    }

    /// The events of these rows.
    pub fn all(rows: Vec<crate::db::progress::ProgressRow>) -> Vec<Self> {
        rows.into_iter().map(Self::new).collect()
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct OfferingView {
    pub id: String,
    pub sponsor_id: String,
    pub title: String,
    pub summary: String,
    pub description: String,
    pub security_type: String,
    pub currency: String,
    pub price_per_share: i64,
    pub target_amount: i64,
    pub min_raise: i64,
    pub min_subscription: i64,
    pub max_per_investor: Option<i64>,
    pub opens_at: Option<DateTime<Utc>>,
    pub closes_at: DateTime<Utc>,
    pub status: String,
    pub rejection_reason: Option<String>,
    /// The platform's fee in basis points of the gross, fixed when the
    /// offering was approved (null before).
    pub fee_bps: Option<i32>,
    pub progress: Progress,
    /// The rule profile the offering was created under: `reg_cf`,
    /// `cn_private` or `eu_ecsp` (see `GET /api/v1/rules`).
    pub rule_profile: String,
    /// At most this many distinct investors (cn_private: 200, or fewer).
    pub max_investors: Option<i64>,
    /// A led round: the lead commits at least this share of the target
    /// (basis points) before followers may subscribe.
    pub lead_min_bps: Option<i32>,
    /// The lead in office, with their commitment (null without one).
    pub lead: Option<crate::services::leads::LeadView>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl OfferingView {
    pub fn new(
        o: Offering,
        lead: Option<crate::services::leads::LeadView>,
        currency: &str,
    ) -> Self {
        Self {
            progress: Progress::new(
                o.raised,
                o.target_amount,
                o.price_per_share,
                o.investor_count,
                o.closes_at,
            ),
            rule_profile: o.rule_profile,
            max_investors: o.max_investors,
            lead_min_bps: o.lead_min_bps,
            lead,
            id: o.id,
            sponsor_id: o.sponsor_id,
            title: o.title,
            summary: o.summary,
            description: o.description,
            security_type: o.security_type,
            currency: currency.to_string(),
            price_per_share: o.price_per_share,
            target_amount: o.target_amount,
            min_raise: o.min_raise,
            min_subscription: o.min_subscription,
            max_per_investor: o.max_per_investor,
            opens_at: o.opens_at.map(utc),
            closes_at: utc(o.closes_at),
            status: o.status,
            rejection_reason: o.rejection_reason,
            fee_bps: o.fee_bps,
            created_at: utc(o.created_at),
            updated_at: utc(o.updated_at),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct SubscriptionView {
    pub id: String,
    pub offering_id: String,
    pub investor_id: String,
    pub shares: i64,
    pub amount: i64,
    pub status: String,
    /// The offering's status right after this subscription (or when listed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offering_status: Option<String>,
    /// How many document versions the offering had published when the
    /// subscription was made (see `documents` in the portfolio).
    pub documents_revision: i64,
    /// After a material change: `awaiting` (until `reconfirm_by`),
    /// `reconfirmed`, `declined` or `lapsed`; null when never asked.
    pub reconfirmation: Option<String>,
    pub reconfirm_by: Option<DateTime<Utc>>,
    /// The material change the investor was (last) asked about.
    pub material_change_id: Option<String>,
    /// eu_ecsp, a non-sophisticated investor's subscription: it may be
    /// revoked without reason until then (null: no reflection period).
    pub revocable_until: Option<DateTime<Utc>>,
    /// The investor acknowledged the warning of an investment above their
    /// threshold (eu_ecsp).
    pub risk_acknowledged: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// One of an investor's own subscriptions, with what a portfolio screen
/// shows of its offering (`offering_status` as it is now).
#[derive(Debug, Clone, Serialize)]
pub struct PortfolioSubscriptionView {
    #[serde(flatten)]
    pub subscription: SubscriptionView,
    pub offering_title: String,
    pub security_type: String,
    pub price_per_share: i64,
    /// The version of each of the offering's documents in force when the
    /// subscription was made.
    pub documents: Vec<super::documents::InForce>,
}

impl PortfolioSubscriptionView {
    pub fn new(
        s: Subscription,
        offering: OfferingBrief,
        documents: Vec<super::documents::InForce>,
    ) -> Self {
        Self {
            documents,
            subscription: SubscriptionView::new(s, Some(offering.status)),
            offering_title: offering.title,
            security_type: offering.security_type,
            price_per_share: offering.price_per_share,
        }
    }
}

impl SubscriptionView {
    pub fn new(s: Subscription, offering_status: Option<String>) -> Self {
        Self {
            id: s.id,
            offering_id: s.offering_id,
            investor_id: s.investor_id,
            shares: s.shares,
            amount: s.amount,
            status: s.status,
            offering_status,
            documents_revision: s.documents_revision,
            reconfirmation: s.reconfirmation,
            reconfirm_by: s.reconfirm_by.map(utc),
            material_change_id: s.material_change_id,
            revocable_until: s.revocable_until.map(utc),
            risk_acknowledged: s.risk_acknowledged,
            created_at: utc(s.created_at),
            updated_at: utc(s.updated_at),
        }
    }
}
