//! The custodian bank's notifications: deposits in, payouts out, and both
//! coming back. Each notification is applied once per bank transaction id
//! and recorded with its outcome. Every one books the movement it reports,
//! whatever it matches, so that the books equal the bank at every moment:
//!
//! | notification          | matches                                        | outcome              | booked                                              |
//! |-----------------------|------------------------------------------------|----------------------|-----------------------------------------------------|
//! | `deposit`             | a pending deposit, its amount                  | `credited`           | bank → what the investor owes, then their cash      |
//! | `deposit`             | no reference / another amount / credited       | `unmatched`, `amount_mismatch`, `already_settled` | bank → suspense (an unallocated deposit) |
//! | `withdrawal`          | a pending withdrawal, its amount               | `paid`               | payouts pending → bank                              |
//! | `withdrawal`          | one returned before it was paid, its amount    | `paid`               | payouts pending → bank; the return rebooked as bank → payouts pending |
//! | `withdrawal`          | no reference / another amount / paid already   | `unmatched`, `amount_mismatch`, `already_settled` | unreconciled bank movements → bank |
//! | `withdrawal_returned` | a paid withdrawal, its amount                  | `returned`           | bank → the owner's account                          |
//! | `withdrawal_returned` | a pending withdrawal, its amount               | `returned`           | payouts pending → the owner's account (no money moved at the bank) |
//! | `withdrawal_returned` | no reference / another amount / returned       | `unmatched`, `amount_mismatch`, `already_settled` | bank → suspense |
//! | `deposit_returned`    | a credited deposit or unallocated deposit (its bank transaction, reference and amount) | `returned` or `return_uncovered` | the investor's cash, and what it does not cover to their receivable → bank |
//! | `deposit_returned`    | an open unallocated deposit                    | `returned`           | suspense → bank                                     |
//! | `deposit_returned`    | nothing / another amount / another reference / returned | `unmatched`, `amount_mismatch`, `reference_mismatch`, `already_settled` | unreconciled bank movements → bank |
//!
//! A repeat of a bank transaction id is `duplicate` and books nothing more.
//! Notices may arrive in any order: a payout's after its return is the
//! `withdrawal` row above; a deposit's return before the deposit is booked
//! as money out that matched nothing, and applied to the money it returns
//! when that arrives (a credited deposit, or money held in suspense).
//!
//! Lock order: each entry here moves the investor's accounts first, then
//! the platform's, the external bank's last.

use chrono::NaiveDateTime;
use serde::Serialize;

use crate::db::bank::{
    bank_event_outcome, lock_unbooked_event, record_bank_event, record_transfer,
    set_bank_event_outcome, transfer_exists, unbooked_events, Deposit, Direction, Transfer,
    Withdrawal,
};
use crate::db::unallocated::{NewUnallocated, Resolution, Unallocated};
use crate::db::unreconciled::{NewUnreconciled, Unreconciled};
use crate::db::users::User;
use crate::db::{new_id, now, write_transaction, AnyConnection};
use crate::i18n::Text;
use crate::ledger::{ensure_account, owned_legs, post, AccountKind, EntryKind, Leg, PLATFORM};
use crate::mail::{enqueue, Email, Message};

use super::error::{Refusal, RefusalKind, ServiceResult};
use super::receivables;
use super::unreconciled::{self, Target};

/// What the custodian bank tells us about one transaction.
#[derive(Debug, Clone)]
pub struct BankNotification {
    pub bank_txn_id: String,
    pub reference: String,
    pub amount: i64,
    pub kind: BankTxnKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BankTxnKind {
    /// Money in, quoting a deposit's reference.
    Deposit,
    /// A payout made, quoting a withdrawal's reference.
    Withdrawal,
    /// A payout the bank rejected or that came back, quoting its reference.
    WithdrawalReturned,
    /// Money in that the bank sent back to its sender: the bank's id of
    /// the transfer that brought it (and its reference).
    DepositReturned { original_bank_txn_id: String },
}

impl BankTxnKind {
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Deposit => "deposit",
            Self::Withdrawal => "withdrawal",
            Self::WithdrawalReturned => "withdrawal_returned",
            Self::DepositReturned { .. } => "deposit_returned",
        }
    }
}

#[derive(Debug, Serialize)]
pub struct BankOutcome {
    pub bank_txn_id: String,
    /// credited | paid | returned | return_uncovered | unmatched |
    /// amount_mismatch | reference_mismatch | already_settled | duplicate
    pub outcome: String,
    /// For a duplicate: what became of the first notification.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub original_outcome: Option<String>,
    /// Where unmatched money in waits for an operator.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unallocated_deposit_id: Option<String>,
    /// Where unmatched money out waits for an operator.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unreconciled_movement_id: Option<String>,
}

/// What applying a notification did.
struct Applied {
    outcome: &'static str,
    unallocated: Option<String>,
    unreconciled: Option<String>,
}

impl Applied {
    fn outcome(outcome: &'static str) -> Self {
        Self {
            outcome,
            unallocated: None,
            unreconciled: None,
        }
    }
}

/// Applies a bank notification once per bank transaction id. Every
/// notification is recorded with its outcome for reconciliation.
pub fn handle_notification(
    conn: &mut AnyConnection,
    n: &BankNotification,
    raw_body: &str,
    currency: &str,
) -> ServiceResult<BankOutcome> {
    let now = now();
    write_transaction(conn, |conn| {
        if !record_bank_event(
            conn,
            &n.bank_txn_id,
            n.kind.as_str(),
            &n.reference,
            n.amount,
            raw_body,
            now,
        )? {
            return Ok(duplicate(n, bank_event_outcome(conn, &n.bank_txn_id)?));
        }
        // The raw notifications are pruned after a retention; the transfers
        // they made are not, so a very late repeat is still caught.
        if transfer_exists(conn, &n.bank_txn_id)? {
            set_bank_event_outcome(conn, &n.bank_txn_id, "duplicate")?;
            return Ok(duplicate(n, Some("booked".into())));
        }
        let applied = apply(conn, n, currency, now)?;
        set_bank_event_outcome(conn, &n.bank_txn_id, applied.outcome)?;
        if applied.unallocated.is_some() || applied.unreconciled.is_some() {
            tracing::warn!(bank_txn_id = %n.bank_txn_id, reference = %n.reference,
                outcome = applied.outcome, "bank notification needs an operator");
        }
        Ok(BankOutcome {
            bank_txn_id: n.bank_txn_id.clone(),
            outcome: applied.outcome.into(),
            original_outcome: None,
            unallocated_deposit_id: applied.unallocated,
            unreconciled_movement_id: applied.unreconciled,
        })
    })
}

/// Books a notification by the table above.
fn apply(
    conn: &mut AnyConnection,
    n: &BankNotification,
    currency: &str,
    now: NaiveDateTime,
) -> ServiceResult<Applied> {
    match &n.kind {
        BankTxnKind::Deposit => apply_deposit(conn, n, currency, now),
        BankTxnKind::Withdrawal => apply_payout(conn, n, currency, now),
        BankTxnKind::WithdrawalReturned => apply_payout_return(conn, n, currency, now),
        BankTxnKind::DepositReturned {
            original_bank_txn_id,
        } => apply_deposit_return(conn, n, original_bank_txn_id, currency, now),
    }
}

/// Books the notifications an older release recorded without booking them
/// (money out that matched nothing, deposits returned after they were
/// spent; before 000005 also money in that matched nothing), by the table
/// above and the books as they are now, each in a transaction of its own.
/// Run after the migrations by `serve` and `migrate`: it finds nothing once
/// done, and instances starting together book each notification once (its
/// row is locked and checked again). One that cannot be booked is logged
/// and left for the next start. Returns how many it booked.
pub fn book_unbooked_events(conn: &mut AnyConnection, currency: &str) -> ServiceResult<usize> {
    let mut booked = 0;
    for bank_txn_id in unbooked_events(conn)? {
        let now = now();
        let done = write_transaction(conn, |conn| -> ServiceResult<Option<&'static str>> {
            let Some(raw_body) = lock_unbooked_event(conn, &bank_txn_id)? else {
                return Ok(None);
            };
            let Some(n) = notification_of(&bank_txn_id, &raw_body) else {
                tracing::warn!(%bank_txn_id, "a recorded bank notification cannot be read again; \
                    it stays off the books (verify-ledger names it)");
                return Ok(None);
            };
            let applied = apply(conn, &n, currency, now)?;
            set_bank_event_outcome(conn, &n.bank_txn_id, applied.outcome)?;
            Ok(Some(applied.outcome))
        });
        match done {
            Ok(Some(outcome)) => {
                tracing::warn!(%bank_txn_id, outcome, "booked a bank notification an older \
                    release had left off the books");
                booked += 1;
            }
            Ok(None) => {}
            // One that cannot be booked now stays for the next start (and
            // verify-ledger names it); it does not stop this one.
            Err(e) => tracing::warn!(%bank_txn_id, error = %e,
                "cannot book a bank notification an older release left off the books"),
        }
    }
    Ok(booked)
}

/// A recorded notification's body read again, as the webhook read it.
fn notification_of(bank_txn_id: &str, raw_body: &str) -> Option<BankNotification> {
    let v: serde_json::Value = serde_json::from_str(raw_body).ok()?;
    let kind = match (v["kind"].as_str()?, v["original_bank_txn_id"].as_str()) {
        ("deposit", _) => BankTxnKind::Deposit,
        ("withdrawal", _) => BankTxnKind::Withdrawal,
        ("withdrawal_returned", _) => BankTxnKind::WithdrawalReturned,
        ("deposit_returned", Some(original)) => BankTxnKind::DepositReturned {
            original_bank_txn_id: original.to_string(),
        },
        _ => return None,
    };
    Some(BankNotification {
        bank_txn_id: bank_txn_id.to_string(),
        reference: v["reference"].as_str()?.to_string(),
        amount: v["amount"].as_i64().filter(|a| *a > 0)?,
        kind,
    })
}

fn duplicate(n: &BankNotification, original: Option<String>) -> BankOutcome {
    BankOutcome {
        bank_txn_id: n.bank_txn_id.clone(),
        outcome: "duplicate".into(),
        original_outcome: original,
        unallocated_deposit_id: None,
        unreconciled_movement_id: None,
    }
}

fn bank_account(conn: &mut AnyConnection, currency: &str) -> ServiceResult<String> {
    Ok(ensure_account(
        conn,
        AccountKind::ExternalBank,
        PLATFORM,
        currency,
    )?)
}

fn conflict(code: &'static str, message: Text) -> super::ServiceError {
    Refusal::new(RefusalKind::Conflict, code, message).into()
}

fn apply_deposit(
    conn: &mut AnyConnection,
    n: &BankNotification,
    currency: &str,
    now: NaiveDateTime,
) -> ServiceResult<Applied> {
    let deposit = match Deposit::find_by_reference(conn, &n.reference)? {
        Some(d) if d.status == "pending" && d.amount == n.amount => d,
        other => {
            let reason = match &other {
                None => "unmatched",
                Some(d) if d.status != "pending" => "already_settled",
                Some(_) => "amount_mismatch",
            };
            let id = hold_unallocated(conn, n, reason, other.map(|d| d.id), currency, now)?;
            return Ok(Applied {
                outcome: reason,
                unallocated: Some(id),
                unreconciled: None,
            });
        }
    };
    let bank = bank_account(conn, currency)?;
    let mut owned = receivables::give(conn, &deposit.user_id, n.amount, currency)?;
    // Its return may have come first (notices arrive in any order).
    let early =
        unreconciled::early_return(conn, &n.bank_txn_id, &deposit.reference, n.amount, currency)?;
    owned.push((bank, -n.amount));
    let entry = post(
        conn,
        EntryKind::Deposit,
        &deposit.id,
        &format!("Deposit {} (bank {})", deposit.reference, n.bank_txn_id),
        &owned_legs(&owned),
    )?;
    if !Deposit::confirm(conn, &deposit.id, &n.bank_txn_id, &entry, now)? {
        // Confirmed by a concurrent notification: undo this one entirely.
        return Err(conflict(
            "deposit_already_confirmed",
            Text::new("problem-deposit_already_confirmed"),
        ));
    }
    record_transfer(
        conn,
        &Transfer {
            direction: Direction::Credit,
            kind: "deposit",
            subject_id: &deposit.id,
            bank_txn_id: Some(&n.bank_txn_id),
            reference: &deposit.reference,
            amount: n.amount,
            entry_id: &entry,
        },
        now,
    )?;
    let returned_first = early.is_some();
    if let Some(u) = early {
        let returned = Target::Deposit(&deposit.id);
        unreconciled::settle_early_return(conn, &u, returned, currency, now)?;
    }
    // Credited and taken back at once: the money never was theirs to use.
    let owner = match returned_first {
        false => User::find(conn, &deposit.user_id)?,
        true => None,
    };
    if let Some(owner) = owner {
        let message = Message::DepositCredited {
            reference: deposit.reference.clone(),
            amount: n.amount,
            currency: currency.to_string(),
        };
        enqueue(conn, &Email::to_user(&owner, message))?;
    }
    Ok(Applied::outcome("credited"))
}

/// Money in that matched nothing: into the suspense account, with a row an
/// operator resolves.
fn hold_unallocated(
    conn: &mut AnyConnection,
    n: &BankNotification,
    reason: &str,
    deposit_id: Option<String>,
    currency: &str,
    now: NaiveDateTime,
) -> ServiceResult<String> {
    let id = new_id();
    let suspense = ensure_account(conn, AccountKind::UnallocatedDeposits, PLATFORM, currency)?;
    let bank = bank_account(conn, currency)?;
    let early = unreconciled::early_return(conn, &n.bank_txn_id, &n.reference, n.amount, currency)?;
    let entry = post(
        conn,
        EntryKind::UnallocatedDeposit,
        &id,
        &format!(
            "Unallocated transfer {} quoting {:?} ({reason})",
            n.bank_txn_id, n.reference
        ),
        &[
            Leg {
                account_id: &suspense,
                amount: n.amount,
            },
            Leg {
                account_id: &bank,
                amount: -n.amount,
            },
        ],
    )?;
    Unallocated::insert(
        conn,
        &NewUnallocated {
            id: &id,
            bank_txn_id: &n.bank_txn_id,
            reference: &n.reference,
            amount: n.amount,
            reason,
            deposit_id: deposit_id.as_deref(),
            entry_id: &entry,
        },
        now,
    )?;
    record_transfer(
        conn,
        &Transfer {
            direction: Direction::Credit,
            kind: "unallocated_deposit",
            subject_id: &id,
            bank_txn_id: Some(&n.bank_txn_id),
            reference: &n.reference,
            amount: n.amount,
            entry_id: &entry,
        },
        now,
    )?;
    if let Some(u) = early {
        unreconciled::settle_early_return(conn, &u, Target::Unallocated(&id), currency, now)?;
    }
    Ok(id)
}

/// What money out matched, when it was not what it should be.
struct Quoted<'a> {
    reason: &'static str,
    withdrawal_id: Option<&'a str>,
    deposit_id: Option<&'a str>,
    original_bank_txn_id: Option<&'a str>,
}

/// Money out that matched nothing (or not its amount or reference): out of
/// the account of unreconciled bank movements, with a row an operator
/// resolves. The outcome is the reason.
fn hold_unreconciled(
    conn: &mut AnyConnection,
    n: &BankNotification,
    quoted: Quoted<'_>,
    currency: &str,
    now: NaiveDateTime,
) -> ServiceResult<Applied> {
    let id = new_id();
    let unreconciled = ensure_account(
        conn,
        AccountKind::UnreconciledBankMovements,
        PLATFORM,
        currency,
    )?;
    let bank = bank_account(conn, currency)?;
    let entry = post(
        conn,
        EntryKind::UnreconciledMovement,
        &id,
        &format!(
            "Unreconciled {} {} quoting {:?} ({})",
            n.kind.as_str(),
            n.bank_txn_id,
            n.reference,
            quoted.reason
        ),
        &[
            Leg {
                account_id: &unreconciled,
                amount: -n.amount,
            },
            Leg {
                account_id: &bank,
                amount: n.amount,
            },
        ],
    )?;
    let kind = match n.kind {
        BankTxnKind::DepositReturned { .. } => "deposit_returned",
        _ => "withdrawal",
    };
    Unreconciled::insert(
        conn,
        &NewUnreconciled {
            id: &id,
            bank_txn_id: &n.bank_txn_id,
            kind,
            reference: &n.reference,
            original_bank_txn_id: quoted.original_bank_txn_id,
            amount: n.amount,
            reason: quoted.reason,
            withdrawal_id: quoted.withdrawal_id,
            deposit_id: quoted.deposit_id,
            entry_id: &entry,
        },
        now,
    )?;
    // Booked under the kind of transfer the bank reported, with the row it
    // waits in as its subject.
    record_transfer(
        conn,
        &Transfer {
            direction: Direction::Debit,
            kind: if kind == "withdrawal" {
                "withdrawal"
            } else {
                "deposit_return"
            },
            subject_id: &id,
            bank_txn_id: Some(&n.bank_txn_id),
            reference: &n.reference,
            amount: n.amount,
            entry_id: &entry,
        },
        now,
    )?;
    Ok(Applied {
        outcome: quoted.reason,
        unallocated: None,
        unreconciled: Some(id),
    })
}

fn apply_payout(
    conn: &mut AnyConnection,
    n: &BankNotification,
    currency: &str,
    now: NaiveDateTime,
) -> ServiceResult<Applied> {
    let w = Withdrawal::find_by_reference(conn, &n.reference)?;
    let reason = match &w {
        None => "unmatched",
        Some(w) if w.amount != n.amount => "amount_mismatch",
        Some(w) if w.status == "pending" => return pay(conn, w, n, currency, now),
        Some(w) if w.status == "returned" && w.paid_entry_id.is_none() => {
            return pay_after_return(conn, w, n, currency, now)
        }
        Some(_) => "already_settled",
    };
    let quoted = Quoted {
        reason,
        withdrawal_id: w.as_ref().map(|w| w.id.as_str()),
        deposit_id: None,
        original_bank_txn_id: None,
    };
    hold_unreconciled(conn, n, quoted, currency, now)
}

/// A pending withdrawal paid out as asked.
fn pay(
    conn: &mut AnyConnection,
    w: &Withdrawal,
    n: &BankNotification,
    currency: &str,
    now: NaiveDateTime,
) -> ServiceResult<Applied> {
    let pending = ensure_account(conn, AccountKind::PayoutsPending, PLATFORM, currency)?;
    let bank = bank_account(conn, currency)?;
    let entry = post(
        conn,
        EntryKind::WithdrawalPaid,
        &w.id,
        &format!("Payout {} (bank {})", w.reference, n.bank_txn_id),
        &[
            Leg {
                account_id: &pending,
                amount: -n.amount,
            },
            Leg {
                account_id: &bank,
                amount: n.amount,
            },
        ],
    )?;
    if !Withdrawal::mark_paid(conn, &w.id, &n.bank_txn_id, &entry, now)? {
        return Err(conflict(
            "withdrawal_already_paid",
            Text::new("problem-withdrawal_already_paid"),
        ));
    }
    record_payout(conn, w, &n.bank_txn_id, n.amount, &entry, now)?;
    if let Some(owner) = User::find(conn, &w.user_id)? {
        let message = Message::WithdrawalPaid {
            reference: w.reference.clone(),
            amount: w.amount,
            currency: currency.to_string(),
        };
        enqueue(conn, &Email::to_user(&owner, message))?;
    }
    Ok(Applied::outcome("paid"))
}

fn record_payout(
    conn: &mut AnyConnection,
    w: &Withdrawal,
    bank_txn_id: &str,
    amount: i64,
    entry: &str,
    now: NaiveDateTime,
) -> ServiceResult<()> {
    record_transfer(
        conn,
        &Transfer {
            direction: Direction::Debit,
            kind: "withdrawal",
            subject_id: &w.id,
            bank_txn_id: Some(bank_txn_id),
            reference: &w.reference,
            amount,
            entry_id: entry,
        },
        now,
    )?;
    Ok(())
}

/// The payout notice of a withdrawal whose return arrived first and was
/// taken for a rejection before the money left: the money did leave, and
/// came back. The return is rebooked as money back from the bank (into
/// payouts pending), then the payout out of it, each with its transfer; the
/// owner's account, credited by the return, stays as it is.
fn pay_after_return(
    conn: &mut AnyConnection,
    w: &Withdrawal,
    n: &BankNotification,
    currency: &str,
    now: NaiveDateTime,
) -> ServiceResult<Applied> {
    let Some(return_txn) = w.return_bank_txn_id.as_deref() else {
        return Err(super::ServiceError::Internal(anyhow::anyhow!(
            "returned withdrawal {} has no return transaction",
            w.id
        )));
    };
    let pending = ensure_account(conn, AccountKind::PayoutsPending, PLATFORM, currency)?;
    let bank = bank_account(conn, currency)?;
    let rebooked = post(
        conn,
        EntryKind::WithdrawalReturnRebooked,
        &w.id,
        &format!(
            "Payout {} came back from the bank ({return_txn}) after it was paid ({})",
            w.reference, n.bank_txn_id
        ),
        // The platform's account before the bank's, as every webhook entry.
        &[
            Leg {
                account_id: &pending,
                amount: n.amount,
            },
            Leg {
                account_id: &bank,
                amount: -n.amount,
            },
        ],
    )?;
    record_transfer(
        conn,
        &Transfer {
            direction: Direction::Credit,
            kind: "withdrawal_return",
            subject_id: &w.id,
            bank_txn_id: Some(return_txn),
            reference: &w.reference,
            amount: n.amount,
            entry_id: &rebooked,
        },
        now,
    )?;
    let paid = post(
        conn,
        EntryKind::WithdrawalPaid,
        &w.id,
        &format!("Payout {} (bank {})", w.reference, n.bank_txn_id),
        &[
            Leg {
                account_id: &pending,
                amount: -n.amount,
            },
            Leg {
                account_id: &bank,
                amount: n.amount,
            },
        ],
    )?;
    if !Withdrawal::mark_paid_after_return(conn, &w.id, &n.bank_txn_id, &paid, now)? {
        return Err(conflict(
            "withdrawal_already_paid",
            Text::new("problem-withdrawal_already_paid"),
        ));
    }
    record_payout(conn, w, &n.bank_txn_id, n.amount, &paid, now)?;
    Ok(Applied::outcome("paid"))
}

/// A payout rejected before it left (pending: out of payouts pending) or
/// returned after it was paid (paid: back in from the bank); either way the
/// money goes back to the account it was withdrawn from. Anything else is
/// money in that matches nothing: suspense.
fn apply_payout_return(
    conn: &mut AnyConnection,
    n: &BankNotification,
    currency: &str,
    now: NaiveDateTime,
) -> ServiceResult<Applied> {
    let w = match Withdrawal::find_by_reference(conn, &n.reference)? {
        Some(w) if w.status != "returned" && w.amount == n.amount => w,
        other => {
            let reason = match &other {
                None => "unmatched",
                Some(w) if w.status == "returned" => "already_settled",
                Some(_) => "amount_mismatch",
            };
            let id = hold_unallocated(conn, n, reason, None, currency, now)?;
            return Ok(Applied {
                outcome: reason,
                unallocated: Some(id),
                unreconciled: None,
            });
        }
    };
    let was_paid = w.status == "paid";
    let from = if was_paid {
        bank_account(conn, currency)?
    } else {
        ensure_account(conn, AccountKind::PayoutsPending, PLATFORM, currency)?
    };
    let entry = post(
        conn,
        EntryKind::WithdrawalReturn,
        &w.id,
        &format!(
            "Payout {} {} by the bank ({})",
            w.reference,
            if was_paid { "returned" } else { "rejected" },
            n.bank_txn_id
        ),
        &[
            Leg {
                account_id: &w.account_id,
                amount: n.amount,
            },
            Leg {
                account_id: &from,
                amount: -n.amount,
            },
        ],
    )?;
    if !Withdrawal::mark_returned(conn, &w.id, &n.bank_txn_id, &entry, now)? {
        return Err(conflict(
            "withdrawal_already_returned",
            Text::new("problem-withdrawal_already_returned"),
        ));
    }
    if was_paid {
        record_transfer(
            conn,
            &Transfer {
                direction: Direction::Credit,
                kind: "withdrawal_return",
                subject_id: &w.id,
                bank_txn_id: Some(&n.bank_txn_id),
                reference: &w.reference,
                amount: n.amount,
                entry_id: &entry,
            },
            now,
        )?;
    }
    if let Some(owner) = User::find(conn, &w.user_id)? {
        let message = Message::WithdrawalReturned {
            reference: w.reference.clone(),
            amount: w.amount,
            currency: currency.to_string(),
        };
        enqueue(conn, &Email::to_user(&owner, message))?;
    }
    Ok(Applied::outcome("returned"))
}

/// Money in that the bank sent back: out of the suspense account when it
/// was never allocated, or from the investor it was credited to (out of
/// their cash as far as it goes, the rest owed). It must name the transfer
/// that brought the money, with that transfer's reference and amount;
/// anything else is money out that matches nothing.
fn apply_deposit_return(
    conn: &mut AnyConnection,
    n: &BankNotification,
    original: &str,
    currency: &str,
    now: NaiveDateTime,
) -> ServiceResult<Applied> {
    fn unreconciled<'a>(
        reason: &'static str,
        deposit_id: Option<&'a str>,
        original: &'a str,
    ) -> Quoted<'a> {
        Quoted {
            reason,
            withdrawal_id: None,
            deposit_id,
            original_bank_txn_id: Some(original),
        }
    }
    if let Some(d) = Deposit::find_by_bank_txn(conn, original)? {
        let reason = if d.reference != n.reference {
            "reference_mismatch"
        } else if d.amount != n.amount {
            "amount_mismatch"
        } else if d.status != "confirmed" {
            "already_settled"
        } else {
            let (entry, owed) = take_back(conn, n, &d.user_id, &d.id, &d.reference, currency, now)?;
            if !Deposit::mark_returned(conn, &d.id, &entry, now)? {
                return Err(conflict(
                    "deposit_already_returned",
                    Text::new("problem-deposit_already_returned"),
                ));
            }
            return Ok(Applied::outcome(returned_or_uncovered(owed)));
        };
        return hold_unreconciled(
            conn,
            n,
            unreconciled(reason, Some(&d.id), original),
            currency,
            now,
        );
    }
    let Some(u) = Unallocated::find_by_bank_txn(conn, original)? else {
        return hold_unreconciled(
            conn,
            n,
            unreconciled("unmatched", None, original),
            currency,
            now,
        );
    };
    let reason = if u.reference != n.reference {
        "reference_mismatch"
    } else if u.amount != n.amount {
        "amount_mismatch"
    } else {
        match (u.status.as_str(), u.credited_to.clone()) {
            ("open", _) => {
                let entry = return_from_suspense(conn, &u, Some(&n.bank_txn_id), currency, now)?;
                let how = Resolution::Returned {
                    bank_txn_id: Some(&n.bank_txn_id),
                };
                if !Unallocated::resolve(conn, &u.id, &how, &entry, "bank", None, now)? {
                    return Err(conflict(
                        "unallocated_already_resolved",
                        Text::new("problem-unallocated_already_resolved"),
                    ));
                }
                return Ok(Applied {
                    outcome: "returned",
                    unallocated: Some(u.id),
                    unreconciled: None,
                });
            }
            ("credited", Some(investor)) => {
                let (_, owed) = take_back(conn, n, &investor, &u.id, &u.reference, currency, now)?;
                if !Unallocated::mark_credit_returned(conn, &u.id, &n.bank_txn_id)? {
                    return Err(conflict(
                        "unallocated_already_returned",
                        Text::new("problem-unallocated_already_returned"),
                    ));
                }
                return Ok(Applied {
                    outcome: returned_or_uncovered(owed),
                    unallocated: Some(u.id),
                    unreconciled: None,
                });
            }
            // The database guarantees a credited row names its investor.
            ("credited", None) => {
                return Err(super::ServiceError::Internal(anyhow::anyhow!(
                    "unallocated deposit {} is credited to nobody",
                    u.id
                )))
            }
            _ => "already_settled",
        }
    };
    hold_unreconciled(conn, n, unreconciled(reason, None, original), currency, now)
}

fn returned_or_uncovered(owed: i64) -> &'static str {
    if owed > 0 {
        "return_uncovered"
    } else {
        "returned"
    }
}

/// Takes a returned deposit back from the investor it was credited to: out
/// of their cash as far as it goes, the rest owed. Returns the entry and
/// how much is owed.
fn take_back(
    conn: &mut AnyConnection,
    n: &BankNotification,
    investor_id: &str,
    subject_id: &str,
    reference: &str,
    currency: &str,
    now: NaiveDateTime,
) -> ServiceResult<(String, i64)> {
    let cash = ensure_account(conn, AccountKind::InvestorCash, investor_id, currency)?;
    let (mut owned, owed) = receivables::take(conn, investor_id, &cash, n.amount, currency)?;
    owned.push((bank_account(conn, currency)?, n.amount));
    let entry = post(
        conn,
        EntryKind::DepositReturn,
        subject_id,
        &format!(
            "Deposit {reference} returned by the bank ({})",
            n.bank_txn_id
        ),
        &owned_legs(&owned),
    )?;
    record_transfer(
        conn,
        &Transfer {
            direction: Direction::Debit,
            kind: "deposit_return",
            subject_id,
            bank_txn_id: Some(&n.bank_txn_id),
            reference,
            amount: n.amount,
            entry_id: &entry,
        },
        now,
    )?;
    if let Some(owner) = User::find(conn, investor_id)? {
        let message = Message::DepositReturned {
            reference: reference.to_string(),
            amount: n.amount,
            owed,
            currency: currency.to_string(),
        };
        enqueue(conn, &Email::to_user(&owner, message))?;
    }
    Ok((entry, owed))
}

/// Sends unallocated money back to its sender: out of suspense, to the bank.
pub(super) fn return_from_suspense(
    conn: &mut AnyConnection,
    u: &Unallocated,
    bank_txn_id: Option<&str>,
    currency: &str,
    now: NaiveDateTime,
) -> ServiceResult<String> {
    let suspense = ensure_account(conn, AccountKind::UnallocatedDeposits, PLATFORM, currency)?;
    let bank = bank_account(conn, currency)?;
    let entry = post(
        conn,
        EntryKind::DepositReturn,
        &u.id,
        &format!(
            "Unallocated transfer {} returned to its sender",
            u.bank_txn_id
        ),
        &[
            Leg {
                account_id: &suspense,
                amount: -u.amount,
            },
            Leg {
                account_id: &bank,
                amount: u.amount,
            },
        ],
    )?;
    record_transfer(
        conn,
        &Transfer {
            direction: Direction::Debit,
            kind: "deposit_return",
            subject_id: &u.id,
            bank_txn_id,
            reference: &u.reference,
            amount: u.amount,
            entry_id: &entry,
        },
        now,
    )?;
    Ok(entry)
}
