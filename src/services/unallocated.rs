//! Operators resolve money that reached the bank and matched no deposit (or
//! not its amount): credit it to an investor, or record that it went back to
//! the sender. Until then it sits in the suspense account, on the books.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::db::unallocated::{Resolution, Unallocated};
use crate::db::users::User;
use crate::db::{now, write_transaction, AnyConnection};
use crate::i18n::Text;
use crate::ledger::{ensure_account, owned_legs, post, AccountKind, EntryKind, PLATFORM};
use crate::mail::{enqueue, Email, Message};

use super::error::{not_found, Refusal, RefusalKind, ServiceResult};
use super::offerings::{id_cursor, next_id_cursor};
use super::views::{utc, Page};

#[derive(Debug, Clone, Serialize)]
pub struct UnallocatedView {
    pub id: String,
    pub bank_txn_id: String,
    /// What the sender quoted.
    pub reference: String,
    pub amount: i64,
    pub currency: String,
    /// unmatched | amount_mismatch | already_settled
    pub reason: String,
    /// The announced deposit whose reference it quoted, if any.
    pub deposit_id: Option<String>,
    /// open | credited | returned
    pub status: String,
    pub credited_to: Option<String>,
    pub resolved_by: Option<String>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub return_bank_txn_id: Option<String>,
    pub note: Option<String>,
    pub received_at: DateTime<Utc>,
}

fn view(u: Unallocated, currency: &str) -> UnallocatedView {
    UnallocatedView {
        id: u.id,
        bank_txn_id: u.bank_txn_id,
        reference: u.reference,
        amount: u.amount,
        currency: currency.to_string(),
        reason: u.reason,
        deposit_id: u.deposit_id,
        status: u.status,
        credited_to: u.credited_to,
        resolved_by: u.resolved_by,
        resolved_at: u.resolved_at.map(utc),
        return_bank_txn_id: u.return_bank_txn_id,
        note: u.note,
        received_at: utc(u.received_at),
    }
}

pub fn list(
    conn: &mut AnyConnection,
    status: Option<&str>,
    cursor: Option<&str>,
    limit: i64,
    currency: &str,
) -> ServiceResult<Page<UnallocatedView>> {
    let before = id_cursor(cursor, "unallocated")?;
    let mut rows = Unallocated::page(conn, status, before.as_deref(), limit + 1)?;
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let next_cursor = next_id_cursor(&rows, more, "unallocated", |u| &u.id);
    Ok(Page {
        items: rows.into_iter().map(|u| view(u, currency)).collect(),
        next_cursor,
    })
}

/// An open row, locked; refused when it is resolved already.
fn open_row(conn: &mut AnyConnection, id: &str) -> ServiceResult<Unallocated> {
    let u = Unallocated::find(conn, id)?.ok_or_else(|| not_found("unallocated deposit"))?;
    if u.status != "open" {
        return Err(already_resolved().with("status", u.status).into());
    }
    Ok(u)
}

/// Credits the money to an investor's cash: out of suspense, with its own
/// journal entry and an email to the investor.
pub fn credit(
    conn: &mut AnyConnection,
    id: &str,
    investor_id: &str,
    operator_id: &str,
    note: Option<&str>,
    currency: &str,
) -> ServiceResult<UnallocatedView> {
    let now = now();
    write_transaction(conn, |conn| {
        let u = open_row(conn, id)?;
        let Some(investor) = User::find(conn, investor_id)?.filter(|u| u.role == "investor") else {
            return Err(Refusal::new(
                RefusalKind::Invalid,
                "invalid_field",
                Text::new("problem-invalid_field-credit-investor_id"),
            )
            .with("field", "investor_id")
            .into());
        };
        if investor.email_verified_at.is_none() {
            return Err(Refusal::new(
                RefusalKind::Invalid,
                "email_not_verified",
                Text::new("problem-email_not_verified-credit"),
            )
            .with("field", "investor_id")
            .into());
        }
        let suspense = ensure_account(conn, AccountKind::UnallocatedDeposits, PLATFORM, currency)?;
        let mut owned = vec![(suspense, -u.amount)];
        owned.extend(super::receivables::give(
            conn,
            &investor.id,
            u.amount,
            currency,
        )?);
        let entry = post(
            conn,
            EntryKind::UnallocatedCredit,
            &u.id,
            &format!(
                "Unallocated transfer {} credited to an investor",
                u.bank_txn_id
            ),
            &owned_legs(&owned),
        )?;
        let how = Resolution::Credited {
            investor_id: &investor.id,
        };
        if !Unallocated::resolve(conn, &u.id, &how, &entry, operator_id, note, now)? {
            return Err(already_resolved().into());
        }
        let message = Message::UnallocatedCredited {
            reference: u.reference.clone(),
            amount: u.amount,
            currency: currency.to_string(),
        };
        enqueue(conn, &Email::to_user(&investor, message))?;
        reread(conn, &u.id, currency)
    })
}

/// Records that the money went back to its sender (the operator made the
/// transfer at the bank, whose id `bank_txn_id` is, if known).
pub fn mark_returned(
    conn: &mut AnyConnection,
    id: &str,
    bank_txn_id: Option<&str>,
    operator_id: &str,
    note: Option<&str>,
    currency: &str,
) -> ServiceResult<UnallocatedView> {
    let now = now();
    write_transaction(conn, |conn| {
        let u = open_row(conn, id)?;
        if let Some(txn) = bank_txn_id {
            if crate::db::bank::transfer_exists(conn, txn)? {
                return Err(Refusal::new(
                    RefusalKind::Conflict,
                    "bank_txn_id_in_use",
                    Text::new("problem-bank_txn_id_in_use"),
                )
                .with("bank_txn_id", txn)
                .into());
            }
        }
        let entry = super::bank::return_from_suspense(conn, &u, bank_txn_id, currency, now)?;
        let how = Resolution::Returned { bank_txn_id };
        if !Unallocated::resolve(conn, &u.id, &how, &entry, operator_id, note, now)? {
            return Err(already_resolved().into());
        }
        reread(conn, &u.id, currency)
    })
}

fn already_resolved() -> Refusal {
    Refusal::new(
        RefusalKind::Conflict,
        "already_resolved",
        Text::new("problem-already_resolved-transfer"),
    )
}

fn reread(conn: &mut AnyConnection, id: &str, currency: &str) -> ServiceResult<UnallocatedView> {
    let u = Unallocated::find(conn, id)?.ok_or_else(|| not_found("unallocated deposit"))?;
    Ok(view(u, currency))
}
