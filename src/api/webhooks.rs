//! `POST /webhooks/bank`: the custodian bank confirms deposits and payouts.
//!
//! Signed with HMAC-SHA256 over the raw body with `BANK_WEBHOOK_SECRET`, sent
//! as `X-Bank-Signature: sha256=<hex>`; checked in constant time before the
//! body is even parsed.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use hmac::{Hmac, Mac};
use serde::Deserialize;
use serde_json::json;
use sha2::Sha256;

use crate::db::audit::Actor;
use crate::domain::money::MAX_AMOUNT;
use crate::error::ApiError;
use crate::i18n::Text;
use crate::services::bank::{self, BankNotification, BankTxnKind};

use super::audit::{self, Entry};
use super::problems::check_identifier;
use super::AppState;

pub const SIGNATURE_HEADER: &str = "X-Bank-Signature";

#[derive(Deserialize)]
struct Notification {
    bank_txn_id: String,
    reference: String,
    #[serde(deserialize_with = "super::json_int::exact")]
    amount: i64,
    kind: String,
    /// For `deposit_returned`: the bank's id of the transfer sent back.
    original_bank_txn_id: Option<String>,
}

fn verify(secret: &[u8], body: &[u8], header: Option<&str>) -> bool {
    let Some(hex_sig) = header.and_then(|h| h.trim().strip_prefix("sha256=")) else {
        return false;
    };
    let Ok(signature) = hex::decode(hex_sig) else {
        return false;
    };
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret) else {
        return false;
    };
    mac.update(body);
    mac.verify_slice(&signature).is_ok()
}

pub async fn bank(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let Some(secret) = state.config.bank_webhook_secret.as_deref() else {
        return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "webhook_not_configured",
            Text::new("problem-webhook_not_configured"),
        ));
    };
    let header = req
        .headers()
        .get(SIGNATURE_HEADER)
        .and_then(|v| v.to_str().ok());
    if !verify(secret, &body, header) {
        return Err(ApiError::unauthorized(
            "invalid_signature",
            Text::new("problem-invalid_signature"),
        ));
    }
    let n: Notification = serde_json::from_slice(&body).map_err(|e| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
            Text::new("problem-invalid_body-bank_notification").text("error", e.to_string()),
        )
    })?;
    check_identifier("bank_txn_id", &n.bank_txn_id)?;
    check_identifier("reference", &n.reference)?;
    let kind = match (n.kind.as_str(), n.original_bank_txn_id) {
        ("deposit", None) => BankTxnKind::Deposit,
        ("withdrawal", None) => BankTxnKind::Withdrawal,
        ("withdrawal_returned", None) => BankTxnKind::WithdrawalReturned,
        ("deposit_returned", Some(original)) => {
            check_identifier("original_bank_txn_id", &original)?;
            BankTxnKind::DepositReturned {
                original_bank_txn_id: original,
            }
        }
        ("deposit_returned", None) => {
            return Err(ApiError::invalid_field(
                "original_bank_txn_id",
                Text::new("problem-invalid_field-returned_without_original"),
            ))
        }
        ("deposit" | "withdrawal" | "withdrawal_returned", Some(_)) => {
            return Err(ApiError::invalid_field(
                "original_bank_txn_id",
                Text::new("problem-invalid_field-original_not_returned"),
            ))
        }
        _ => {
            return Err(ApiError::invalid_field(
                "kind",
                Text::new("problem-invalid_field-bank_kind"),
            ))
        }
    };
    if n.amount <= 0 || n.amount > MAX_AMOUNT {
        return Err(ApiError::invalid_field(
            "amount",
            Text::new("problem-invalid_field-bank_amount"),
        ));
    }
    let notification = BankNotification {
        bank_txn_id: n.bank_txn_id,
        reference: n.reference,
        amount: n.amount,
        kind,
    };
    let raw = String::from_utf8_lossy(&body).into_owned();
    let currency = state.config.currency.clone();
    let actor = Actor {
        id: None,
        role: "bank".into(),
        request_id: audit::request_id(&req),
    };
    let outcome = audit::audited(&state, actor, move |conn| {
        let outcome = bank::handle_notification(conn, &notification, &raw, &currency)?;
        let entry = Entry {
            action: match notification.kind {
                BankTxnKind::Deposit => "bank.deposit",
                BankTxnKind::Withdrawal => "bank.payout",
                BankTxnKind::WithdrawalReturned => "bank.payout_returned",
                BankTxnKind::DepositReturned { .. } => "bank.deposit_returned",
            },
            subject_type: "bank_transaction",
            subject_id: notification.bank_txn_id.clone(),
            details: json!({"reference": notification.reference, "amount": notification.amount,
                            "outcome": outcome.outcome,
                            "unallocated_deposit_id": outcome.unallocated_deposit_id,
                            "unreconciled_movement_id": outcome.unreconciled_movement_id}),
        };
        Ok((outcome, entry))
    })
    .await?;
    Ok(HttpResponse::Ok().json(outcome))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_are_checked() {
        let mut mac = Hmac::<Sha256>::new_from_slice(b"secret").unwrap();
        mac.update(b"{}");
        let good = format!("sha256={}", hex::encode(mac.finalize().into_bytes()));
        assert!(verify(b"secret", b"{}", Some(&good)));
        assert!(!verify(b"secret", b"{ }", Some(&good)));
        assert!(!verify(b"other", b"{}", Some(&good)));
        assert!(!verify(b"secret", b"{}", None));
        assert!(!verify(b"secret", b"{}", Some("sha256=zz")));
        assert!(!verify(b"secret", b"{}", Some(&good[7..])));
    }
}
