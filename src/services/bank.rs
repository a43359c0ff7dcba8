//! The custodian bank's notifications: deposits in, payouts out, and both
//! coming back. Each notification is applied once per bank transaction id
//! and recorded with its outcome. Money that reaches the bank and matches no
//! deposit is never left off the books: it is held in the suspense account
//! (`unallocated_deposits`) until an operator credits it or it goes back.

use chrono::NaiveDateTime;
use serde::Serialize;

use crate::db::bank::{
    bank_event_outcome, record_bank_event, record_transfer, set_bank_event_outcome,
    transfer_exists, Deposit, Direction, Transfer, Withdrawal,
};
use crate::db::unallocated::{NewUnallocated, Resolution, Unallocated};
use crate::db::users::User;
use crate::db::{new_id, now, write_transaction, AnyConnection};
use crate::ledger::{ensure_account, lock_balance, post, AccountKind, EntryKind, Leg, PLATFORM};
use crate::mail::{enqueue, templates};

use super::error::{Refusal, RefusalKind, ServiceResult};

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
    /// the transfer that brought it.
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
    /// credited | paid | returned | held | unmatched | amount_mismatch |
    /// already_settled | return_uncovered | duplicate
    pub outcome: String,
    /// For a duplicate: what became of the first notification.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub original_outcome: Option<String>,
    /// Where unmatched money waits for an operator.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unallocated_deposit_id: Option<String>,
}

/// What applying a notification did.
struct Applied {
    outcome: &'static str,
    unallocated: Option<String>,
}

impl Applied {
    fn outcome(outcome: &'static str) -> Self {
        Self {
            outcome,
            unallocated: None,
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
            return Ok(BankOutcome {
                bank_txn_id: n.bank_txn_id.clone(),
                outcome: "duplicate".into(),
                original_outcome: bank_event_outcome(conn, &n.bank_txn_id)?,
                unallocated_deposit_id: None,
            });
        }
        // The raw notifications are pruned after a retention; the transfers
        // they made are not, so a very late repeat is still caught.
        if transfer_exists(conn, &n.bank_txn_id)? {
            set_bank_event_outcome(conn, &n.bank_txn_id, "duplicate")?;
            return Ok(BankOutcome {
                bank_txn_id: n.bank_txn_id.clone(),
                outcome: "duplicate".into(),
                original_outcome: Some("booked".into()),
                unallocated_deposit_id: None,
            });
        }
        let applied = match &n.kind {
            BankTxnKind::Deposit => apply_deposit(conn, n, currency, now)?,
            BankTxnKind::Withdrawal => apply_payout(conn, n, currency, now)?,
            BankTxnKind::WithdrawalReturned => apply_payout_return(conn, n, currency, now)?,
            BankTxnKind::DepositReturned {
                original_bank_txn_id,
            } => apply_deposit_return(conn, n, original_bank_txn_id, currency, now)?,
        };
        set_bank_event_outcome(conn, &n.bank_txn_id, applied.outcome)?;
        if !matches!(applied.outcome, "credited" | "paid" | "returned") {
            tracing::warn!(bank_txn_id = %n.bank_txn_id, reference = %n.reference,
                outcome = applied.outcome, "bank notification needs an operator");
        }
        Ok(BankOutcome {
            bank_txn_id: n.bank_txn_id.clone(),
            outcome: applied.outcome.into(),
            original_outcome: None,
            unallocated_deposit_id: applied.unallocated,
        })
    })
}

fn bank_account(conn: &mut AnyConnection, currency: &str) -> ServiceResult<String> {
    Ok(ensure_account(
        conn,
        AccountKind::ExternalBank,
        PLATFORM,
        currency,
    )?)
}

fn conflict(code: &'static str, message: &'static str) -> super::ServiceError {
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
            });
        }
    };
    let cash = ensure_account(conn, AccountKind::InvestorCash, &deposit.user_id, currency)?;
    let bank = bank_account(conn, currency)?;
    let entry = post(
        conn,
        EntryKind::Deposit,
        &deposit.id,
        &format!("Deposit {} (bank {})", deposit.reference, n.bank_txn_id),
        &[
            Leg {
                account_id: &cash,
                amount: n.amount,
            },
            Leg {
                account_id: &bank,
                amount: -n.amount,
            },
        ],
    )?;
    if !Deposit::confirm(conn, &deposit.id, &n.bank_txn_id, &entry, now)? {
        // Confirmed by a concurrent notification: undo this one entirely.
        return Err(conflict(
            "deposit_already_confirmed",
            "The deposit was confirmed meanwhile.",
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
    Ok(Applied::outcome("credited"))
}

/// Money in that matched no deposit: into the suspense account, with a row
/// an operator resolves.
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
    Ok(id)
}

fn apply_payout(
    conn: &mut AnyConnection,
    n: &BankNotification,
    currency: &str,
    now: NaiveDateTime,
) -> ServiceResult<Applied> {
    let Some(w) = Withdrawal::find_by_reference(conn, &n.reference)? else {
        return Ok(Applied::outcome("unmatched"));
    };
    if w.status != "pending" {
        return Ok(Applied::outcome("already_settled"));
    }
    if w.amount != n.amount {
        return Ok(Applied::outcome("amount_mismatch"));
    }
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
            "The withdrawal was paid meanwhile.",
        ));
    }
    record_transfer(
        conn,
        &Transfer {
            direction: Direction::Debit,
            kind: "withdrawal",
            subject_id: &w.id,
            bank_txn_id: Some(&n.bank_txn_id),
            reference: &w.reference,
            amount: n.amount,
            entry_id: &entry,
        },
        now,
    )?;
    Ok(Applied::outcome("paid"))
}

/// A payout rejected before it left (pending: out of payouts pending) or
/// returned after it was paid (paid: back in from the bank); either way the
/// money goes back to the account it was withdrawn from.
fn apply_payout_return(
    conn: &mut AnyConnection,
    n: &BankNotification,
    currency: &str,
    now: NaiveDateTime,
) -> ServiceResult<Applied> {
    let Some(w) = Withdrawal::find_by_reference(conn, &n.reference)? else {
        return Ok(Applied::outcome("unmatched"));
    };
    if w.status == "returned" {
        return Ok(Applied::outcome("already_settled"));
    }
    if w.amount != n.amount {
        return Ok(Applied::outcome("amount_mismatch"));
    }
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
            "The withdrawal was returned meanwhile.",
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
        enqueue(
            conn,
            &templates::withdrawal_returned(&owner.email, &w.reference, w.amount, currency),
        )?;
    }
    Ok(Applied::outcome("returned"))
}

/// Money in that the bank sent back: out of the suspense account when it
/// was never allocated, or out of the investor's cash when it had been
/// credited (only if the cash is still there: otherwise nothing moves and
/// the outcome `return_uncovered` asks an operator to recover it).
fn apply_deposit_return(
    conn: &mut AnyConnection,
    n: &BankNotification,
    original: &str,
    currency: &str,
    now: NaiveDateTime,
) -> ServiceResult<Applied> {
    if let Some(d) = Deposit::find_by_bank_txn(conn, original)? {
        if d.status == "returned" {
            return Ok(Applied::outcome("already_settled"));
        }
        if d.amount != n.amount {
            return Ok(Applied::outcome("amount_mismatch"));
        }
        let Some(entry) = take_back(conn, n, &d.user_id, &d.id, &d.reference, currency, now)?
        else {
            return Ok(Applied::outcome("return_uncovered"));
        };
        if !Deposit::mark_returned(conn, &d.id, &entry, now)? {
            return Err(conflict(
                "deposit_already_returned",
                "The deposit was returned meanwhile.",
            ));
        }
        return Ok(Applied::outcome("returned"));
    }
    let Some(u) = Unallocated::find_by_bank_txn(conn, original)? else {
        return Ok(Applied::outcome("unmatched"));
    };
    if u.amount != n.amount {
        return Ok(Applied::outcome("amount_mismatch"));
    }
    match u.status.as_str() {
        "open" => {
            let entry = return_from_suspense(conn, &u, Some(&n.bank_txn_id), currency, now)?;
            let how = Resolution::Returned {
                bank_txn_id: Some(&n.bank_txn_id),
            };
            if !Unallocated::resolve(conn, &u.id, &how, &entry, "bank", None, now)? {
                return Err(conflict(
                    "unallocated_already_resolved",
                    "The unallocated deposit was resolved meanwhile.",
                ));
            }
            Ok(Applied {
                outcome: "returned",
                unallocated: Some(u.id),
            })
        }
        "credited" => {
            // The database guarantees a credited row names its investor.
            let Some(investor) = u.credited_to.clone() else {
                return Err(super::ServiceError::Internal(anyhow::anyhow!(
                    "unallocated deposit {} is credited to nobody",
                    u.id
                )));
            };
            let Some(_) = take_back(conn, n, &investor, &u.id, &u.reference, currency, now)? else {
                return Ok(Applied::outcome("return_uncovered"));
            };
            if !Unallocated::mark_credit_returned(conn, &u.id, &n.bank_txn_id)? {
                return Err(conflict(
                    "unallocated_already_returned",
                    "The unallocated deposit was returned meanwhile.",
                ));
            }
            Ok(Applied {
                outcome: "returned",
                unallocated: Some(u.id),
            })
        }
        _ => Ok(Applied::outcome("already_settled")),
    }
}

/// Takes a returned deposit back out of the investor's cash, if it covers
/// it; returns the entry, or None (nothing written) when it does not.
fn take_back(
    conn: &mut AnyConnection,
    n: &BankNotification,
    investor_id: &str,
    subject_id: &str,
    reference: &str,
    currency: &str,
    now: NaiveDateTime,
) -> ServiceResult<Option<String>> {
    let cash = ensure_account(conn, AccountKind::InvestorCash, investor_id, currency)?;
    if lock_balance(conn, &cash)? < n.amount {
        return Ok(None);
    }
    let bank = bank_account(conn, currency)?;
    let entry = post(
        conn,
        EntryKind::DepositReturn,
        subject_id,
        &format!(
            "Deposit {reference} returned by the bank ({})",
            n.bank_txn_id
        ),
        &[
            Leg {
                account_id: &cash,
                amount: -n.amount,
            },
            Leg {
                account_id: &bank,
                amount: n.amount,
            },
        ],
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
        enqueue(
            conn,
            &templates::deposit_returned(&owner.email, reference, n.amount, currency),
        )?;
    }
    Ok(Some(entry))
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
