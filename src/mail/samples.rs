//! One sample of every kind of email, with values like real ones, for the
//! preview command (`crowdfund mail-preview`) and the tests that render
//! every kind in every locale.

use chrono::{TimeZone, Utc};

use super::message::{Message, TakeBack};

/// Every kind, once, its money in `currency` (one of `i18n::CURRENCIES`).
pub fn in_currency(currency: &str) -> Vec<Message> {
    all()
        .into_iter()
        .map(|message| {
            let mut params: serde_json::Value =
                serde_json::from_str(&message.to_params()).unwrap_or_default();
            if params.get("currency").is_some() {
                params["currency"] = currency.into();
            }
            serde_json::from_value(params).unwrap_or(message)
        })
        .collect()
}

/// Every kind, once (money in yuan).
pub fn all() -> Vec<Message> {
    let at = Utc
        .with_ymd_and_hms(2026, 12, 7, 1, 30, 0)
        .single()
        .unwrap_or_default();
    let title = "Solar Farm Cooperative".to_string();
    let cny = || "CNY".to_string();
    vec![
        Message::VerifyEmail {
            link: "https://crowdfund.example/verify-email?token=Zm9vYmFy".into(),
            valid_hours: 24,
        },
        Message::PasswordReset {
            link: "https://crowdfund.example/reset-password?token=YmF6cXV4".into(),
            valid_minutes: 30,
        },
        Message::PasswordChanged,
        Message::FailedSignIns {
            failures: 5,
            client_ip: "203.0.113.7".into(),
        },
        Message::KycApproved,
        Message::KycRejected {
            reason: "The proof of address is older than three months.".into(),
        },
        Message::DepositCredited {
            reference: "DEP-7K2M9Q".into(),
            amount: 5_000_000,
            currency: cny(),
        },
        Message::DepositReturned {
            reference: "DEP-7K2M9Q".into(),
            amount: 5_000_000,
            owed: 1_250_050,
            currency: cny(),
        },
        Message::UnallocatedCredited {
            reference: "WIRE 20261207 ZHANG".into(),
            amount: 1_234_550,
            currency: cny(),
        },
        Message::WithdrawalPaid {
            reference: "WDR-4H8P2X".into(),
            amount: 2_000_000,
            currency: cny(),
        },
        Message::WithdrawalReturned {
            reference: "WDR-4H8P2X".into(),
            amount: 2_000_000,
            currency: cny(),
        },
        Message::SubscriptionConfirmed {
            subscription_id: "0193a8f2-6c1e-7b4a-9d3e-2f5c8a1b0e47".into(),
            at,
            offering_title: title.clone(),
            security_type: "common_equity".into(),
            price_per_share: 10_000,
            shares: 12,
            amount: 120_000,
            currency: cny(),
            take_back: TakeBack::CancelUntil {
                until: at + chrono::TimeDelta::days(28),
            },
        },
        Message::SubscriptionCancelled {
            offering_title: title.clone(),
            shares: 1,
            amount: 10_000,
            currency: cny(),
        },
        Message::SubscriptionLapsed {
            offering_title: title.clone(),
            shares: 12,
            amount: 120_000,
            currency: cny(),
        },
        Message::SubscriptionRefunded {
            offering_title: title.clone(),
            shares: 1_500,
            amount: 15_000_000,
            currency: cny(),
        },
        Message::SharesAllotted {
            offering_title: title.clone(),
            security_type: "preferred_equity".into(),
            shares: 12,
            price_per_share: 10_000,
            amount: 120_000,
            currency: cny(),
            at,
        },
        Message::OfferingClosed {
            offering_title: title.clone(),
            status: "funded".into(),
        },
        Message::OfferingClosedSponsor {
            offering_title: title.clone(),
            status: "failed".into(),
            raised: 45_000_000,
            currency: cny(),
        },
        Message::OfferingSettledSponsor {
            offering_title: title.clone(),
            gross: 100_000_000,
            fee: 5_000_000,
            fee_bps: 500,
            net: 95_000_000,
            currency: cny(),
        },
        Message::MaterialChange {
            offering_title: title.clone(),
            document_kind: "offering_memorandum".into(),
            file_name: "memorandum-v2.pdf".into(),
            version: 2,
            reason: "The price per share rises from ¥100 to ¥120.".into(),
            deadline: at + chrono::TimeDelta::days(5),
            documents_url: "https://crowdfund.example/offerings/0193a8f2/documents".into(),
            reminder: true,
        },
        Message::LeadWithdrawn {
            offering_title: title.clone(),
            deadline: at + chrono::TimeDelta::days(5),
            offering_url: "https://crowdfund.example/offerings/0193a8f2".into(),
            reminder: false,
        },
        Message::DocumentAmended {
            offering_title: title.clone(),
            document_kind: "financial_statements".into(),
            file_name: "accounts-2026.pdf".into(),
            version: 3,
            documents_url: "https://crowdfund.example/offerings/0193a8f2/documents".into(),
        },
        Message::OfferingUpdate {
            offering_title: title.clone(),
            title: "Panels delivered".into(),
            body: "The **first** panels are in.\nInstallation starts <Monday> & ends in May."
                .into(),
            url: "https://crowdfund.example/offerings/0193a8f2/updates/1".into(),
        },
        Message::NewQuestion {
            offering_title: title.clone(),
            question: "What happens to my shares if the cooperative is sold?".into(),
            url: "https://crowdfund.example/offerings/0193a8f2/questions/7".into(),
        },
        Message::QuestionAnswered {
            offering_title: title,
            answer: "Shareholders are paid out pro rata, after the bank loan.".into(),
            url: "https://crowdfund.example/offerings/0193a8f2/questions/7".into(),
        },
    ]
}
