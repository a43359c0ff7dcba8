//! What an email says, as data: its kind and the values it needs. The
//! outbox keeps this (not text), and the relay writes the text in the
//! reader's language when it sends it (`super::content`).
//!
//! Money is minor units with its currency; times are UTC; enums are the
//! API's values (`common_equity`, `funded`). Nothing here is formatted.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// How an investor may take a subscription back (see
/// [`crate::domain::rules::Withdrawal`]).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(tag = "how", rename_all = "snake_case")]
pub enum TakeBack {
    /// Queued before rule profiles: cancellable until 48 hours before the
    /// deadline, as the text then said.
    #[default]
    Unstated,
    /// Cancellable while the offering is open, until `until`.
    CancelUntil { until: DateTime<Utc> },
    /// Revocable without reason until `until` (a reflection period).
    RevokeUntil { until: DateTime<Utc> },
    /// Not to be taken back (a sophisticated investor under eu_ecsp).
    Not,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Message {
    VerifyEmail {
        link: String,
        valid_hours: i64,
    },
    PasswordReset {
        link: String,
        valid_minutes: i64,
    },
    PasswordChanged,
    FailedSignIns {
        failures: i64,
        client_ip: String,
    },
    KycApproved,
    KycRejected {
        reason: String,
    },
    DepositCredited {
        reference: String,
        amount: i64,
        currency: String,
    },
    /// A credited deposit the bank took back; `owed` what the investor's
    /// balance could not cover.
    DepositReturned {
        reference: String,
        amount: i64,
        owed: i64,
        currency: String,
    },
    /// A transfer that matched no announced deposit, credited by an operator.
    UnallocatedCredited {
        reference: String,
        amount: i64,
        currency: String,
    },
    WithdrawalPaid {
        reference: String,
        amount: i64,
        currency: String,
    },
    WithdrawalReturned {
        reference: String,
        amount: i64,
        currency: String,
    },
    SubscriptionConfirmed {
        subscription_id: String,
        at: DateTime<Utc>,
        offering_title: String,
        security_type: String,
        price_per_share: i64,
        shares: i64,
        amount: i64,
        currency: String,
        /// How the investor may take it back, under the deployment's rules
        /// (absent in messages queued before rule profiles: the old text).
        #[serde(default)]
        take_back: TakeBack,
    },
    SubscriptionCancelled {
        offering_title: String,
        shares: i64,
        amount: i64,
        currency: String,
    },
    /// Not reconfirmed after a material change: cancelled and refunded.
    SubscriptionLapsed {
        offering_title: String,
        shares: i64,
        amount: i64,
        currency: String,
    },
    /// A failed or cancelled round's money back to the investor.
    SubscriptionRefunded {
        offering_title: String,
        shares: i64,
        amount: i64,
        currency: String,
    },
    /// The round settled: the investor's shares are theirs.
    SharesAllotted {
        offering_title: String,
        security_type: String,
        shares: i64,
        price_per_share: i64,
        amount: i64,
        currency: String,
        at: DateTime<Utc>,
    },
    /// To the round's investors: `status` is funded, failed or cancelled.
    OfferingClosed {
        offering_title: String,
        status: String,
    },
    OfferingClosedSponsor {
        offering_title: String,
        status: String,
        raised: i64,
        currency: String,
    },
    OfferingSettledSponsor {
        offering_title: String,
        gross: i64,
        fee: i64,
        fee_bps: i64,
        net: i64,
        currency: String,
    },
    /// A material change to reconfirm (or, `reminder`, its reminder).
    MaterialChange {
        offering_title: String,
        document_kind: String,
        file_name: String,
        version: i64,
        reason: String,
        deadline: DateTime<Utc>,
        documents_url: String,
        reminder: bool,
    },
    /// The lead investor of a led round withdrew: the followers'
    /// subscriptions await reconfirmation until `deadline`.
    LeadWithdrawn {
        offering_title: String,
        deadline: DateTime<Utc>,
        offering_url: String,
        reminder: bool,
    },
    DocumentAmended {
        offering_title: String,
        document_kind: String,
        file_name: String,
        version: i64,
        documents_url: String,
    },
    /// A sponsor's update: `body` as the sponsor wrote it.
    OfferingUpdate {
        offering_title: String,
        title: String,
        body: String,
        url: String,
    },
    NewQuestion {
        offering_title: String,
        question: String,
        url: String,
    },
    QuestionAnswered {
        offering_title: String,
        answer: String,
        url: String,
    },
}

impl Message {
    /// The kind as the outbox records it (`subscription_confirmed`).
    pub fn kind(&self) -> &'static str {
        match self {
            Message::VerifyEmail { .. } => "verify_email",
            Message::PasswordReset { .. } => "password_reset",
            Message::PasswordChanged => "password_changed",
            Message::FailedSignIns { .. } => "failed_sign_ins",
            Message::KycApproved => "kyc_approved",
            Message::KycRejected { .. } => "kyc_rejected",
            Message::DepositCredited { .. } => "deposit_credited",
            Message::DepositReturned { .. } => "deposit_returned",
            Message::UnallocatedCredited { .. } => "unallocated_credited",
            Message::WithdrawalPaid { .. } => "withdrawal_paid",
            Message::WithdrawalReturned { .. } => "withdrawal_returned",
            Message::SubscriptionConfirmed { .. } => "subscription_confirmed",
            Message::SubscriptionCancelled { .. } => "subscription_cancelled",
            Message::SubscriptionLapsed { .. } => "subscription_lapsed",
            Message::SubscriptionRefunded { .. } => "subscription_refunded",
            Message::SharesAllotted { .. } => "shares_allotted",
            Message::OfferingClosed { .. } => "offering_closed",
            Message::OfferingClosedSponsor { .. } => "offering_closed_sponsor",
            Message::OfferingSettledSponsor { .. } => "offering_settled_sponsor",
            Message::MaterialChange { .. } => "material_change",
            Message::LeadWithdrawn { .. } => "lead_withdrawn",
            Message::DocumentAmended { .. } => "document_amended",
            Message::OfferingUpdate { .. } => "offering_update",
            Message::NewQuestion { .. } => "new_question",
            Message::QuestionAnswered { .. } => "question_answered",
        }
    }

    /// The JSON the outbox keeps (`kind` included).
    pub fn to_params(&self) -> String {
        // A derived Serialize of strings, integers, booleans and times
        // cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }

    pub fn from_params(params: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(params)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_kind_recorded_is_the_kind_serialized() {
        for message in super::super::samples::all() {
            let params: serde_json::Value = serde_json::from_str(&message.to_params()).unwrap();
            assert_eq!(params["kind"], message.kind());
            assert_eq!(Message::from_params(&message.to_params()).unwrap(), message);
        }
    }
}
