//! Operators resolve money that left the bank and matched no transfer of
//! ours (or not its amount or reference): assign it to the withdrawal or
//! deposit it was the bank's side of, or write it off as the platform's
//! loss. Until then it sits in the account of unreconciled bank movements,
//! on the books.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::db::bank::{Deposit, Withdrawal};
use crate::db::unallocated::Unallocated;
use crate::db::unreconciled::{Resolution, Unreconciled};
use crate::db::users::User;
use crate::db::{now, write_transaction, AnyConnection};
use crate::i18n::Text;
use crate::ledger::{
    ensure_account, lock_balance, owned_legs, post, AccountKind, EntryKind, PLATFORM,
};
use crate::mail::{enqueue, Email, Message};

use super::error::{not_found, Refusal, RefusalKind, ServiceResult};
use super::offerings::{id_cursor, next_id_cursor};
use super::receivables;
use super::views::{utc, Page};

#[derive(Debug, Clone, Serialize)]
pub struct UnreconciledView {
    pub id: String,
    pub bank_txn_id: String,
    /// withdrawal (a payout) | deposit_returned
    pub kind: String,
    /// What the bank quoted.
    pub reference: String,
    /// For a returned deposit: the transfer the bank says it returns.
    pub original_bank_txn_id: Option<String>,
    pub amount: i64,
    pub currency: String,
    /// unmatched | amount_mismatch | reference_mismatch | already_settled
    pub reason: String,
    /// The withdrawal or deposit it quoted, if any.
    pub withdrawal_id: Option<String>,
    pub deposit_id: Option<String>,
    /// open | assigned | written_off
    pub status: String,
    /// For an assigned one: withdrawal | deposit, and its id.
    pub assigned_kind: Option<String>,
    pub assigned_id: Option<String>,
    pub resolved_by: Option<String>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub note: Option<String>,
    pub received_at: DateTime<Utc>,
}

fn view(u: Unreconciled, currency: &str) -> UnreconciledView {
    UnreconciledView {
        id: u.id,
        bank_txn_id: u.bank_txn_id,
        kind: u.kind,
        reference: u.reference,
        original_bank_txn_id: u.original_bank_txn_id,
        amount: u.amount,
        currency: currency.to_string(),
        reason: u.reason,
        withdrawal_id: u.withdrawal_id,
        deposit_id: u.deposit_id,
        status: u.status,
        assigned_kind: u.assigned_kind,
        assigned_id: u.assigned_id,
        resolved_by: u.resolved_by,
        resolved_at: u.resolved_at.map(utc),
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
) -> ServiceResult<Page<UnreconciledView>> {
    let before = id_cursor(cursor, "unreconciled")?;
    let mut rows = Unreconciled::page(conn, status, before.as_deref(), limit + 1)?;
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let next_cursor = next_id_cursor(&rows, more, "unreconciled", |u| &u.id);
    Ok(Page {
        items: rows.into_iter().map(|u| view(u, currency)).collect(),
        next_cursor,
    })
}

/// What an operator says the movement was.
pub enum Target<'a> {
    Withdrawal(&'a str),
    Deposit(&'a str),
    /// Money in still in suspense that the bank sent back.
    Unallocated(&'a str),
}

/// An open row, locked; refused when it is resolved already.
fn open_row(conn: &mut AnyConnection, id: &str) -> ServiceResult<Unreconciled> {
    let u = Unreconciled::find(conn, id)?.ok_or_else(|| not_found("unreconciled movement"))?;
    if u.status != "open" {
        return Err(already_resolved().with("status", u.status).into());
    }
    Ok(u)
}

/// Assigns the movement to the transfer it was the bank's side of.
///
/// - A payout to a pending withdrawal: the withdrawal is paid by it. If the
///   bank paid less than asked (it kept a fee), the difference goes back to
///   the account the withdrawal came from; if it paid more, the difference
///   is taken from the owner (their cash first, the rest owed).
/// - A returned deposit to a confirmed deposit: the deposit is returned by
///   it, and the amount the bank sent back is taken from the investor (cash
///   first, the rest owed).
pub fn assign(
    conn: &mut AnyConnection,
    id: &str,
    target: Target<'_>,
    operator_id: &str,
    note: Option<&str>,
    currency: &str,
) -> ServiceResult<UnreconciledView> {
    let now = now();
    write_transaction(conn, |conn| {
        let u = open_row(conn, id)?;
        let account = ensure_account(
            conn,
            AccountKind::UnreconciledBankMovements,
            PLATFORM,
            currency,
        )?;
        let mut owned = vec![(account, u.amount)];
        let (kind, target_id, entry) = match (u.kind.as_str(), target) {
            ("withdrawal", Target::Withdrawal(w_id)) => {
                let w = Withdrawal::find(conn, w_id)?.ok_or_else(|| {
                    invalid_target(
                        "withdrawal_id",
                        Text::new("problem-invalid_field-target-withdrawal_id"),
                    )
                })?;
                if w.status != "pending" {
                    return Err(Refusal::new(
                        RefusalKind::Conflict,
                        "withdrawal_not_pending",
                        Text::new("problem-withdrawal_not_pending"),
                    )
                    .with("status", w.status)
                    .into());
                }
                // The owner's account before the platform's, as a
                // withdrawal takes them.
                lock_balance(conn, &w.account_id)?;
                let pending =
                    ensure_account(conn, AccountKind::PayoutsPending, PLATFORM, currency)?;
                owned.push((pending, -w.amount));
                if w.amount > u.amount {
                    owned.push((w.account_id.clone(), w.amount - u.amount));
                } else if u.amount > w.amount {
                    let extra = u.amount - w.amount;
                    let (legs, _) =
                        receivables::take(conn, &w.user_id, &w.account_id, extra, currency)?;
                    owned.extend(legs);
                }
                let entry = post(
                    conn,
                    EntryKind::WithdrawalPaid,
                    &w.id,
                    &format!(
                        "Payout {} (bank {}, assigned by an operator)",
                        w.reference, u.bank_txn_id
                    ),
                    &owned_legs(&owned),
                )?;
                if !Withdrawal::mark_paid(conn, &w.id, &u.bank_txn_id, &entry, now)? {
                    return Err(already_resolved().into());
                }
                ("withdrawal", w.id, entry)
            }
            ("deposit_returned", Target::Deposit(d_id)) => {
                let d = Deposit::find(conn, d_id)?.ok_or_else(|| {
                    invalid_target(
                        "deposit_id",
                        Text::new("problem-invalid_field-target-deposit_id"),
                    )
                })?;
                let entry = return_deposit(conn, &u, &d, owned, currency, now)?;
                ("deposit", d.id, entry)
            }
            ("deposit_returned", Target::Unallocated(a_id)) => {
                let a = Unallocated::find(conn, a_id)?.ok_or_else(|| {
                    invalid_target(
                        "unallocated_deposit_id",
                        Text::new("problem-invalid_field-target-unallocated_deposit_id"),
                    )
                })?;
                let entry = return_unallocated(
                    conn,
                    &u,
                    &a,
                    owned,
                    Resolver {
                        by: operator_id,
                        note,
                    },
                    currency,
                    now,
                )?;
                ("unallocated_deposit", a.id, entry)
            }
            (_, Target::Withdrawal(_)) => {
                return Err(wrong_target(
                    "withdrawal_id",
                    Text::new("problem-invalid_field-target-returned_deposit"),
                ))
            }
            (_, Target::Deposit(_) | Target::Unallocated(_)) => {
                return Err(wrong_target(
                    "deposit_id",
                    Text::new("problem-invalid_field-target-payout"),
                ))
            }
        };
        let how = Resolution::Assigned {
            kind,
            id: &target_id,
        };
        if !Unreconciled::resolve(conn, &u.id, &how, &entry, operator_id, note, now)? {
            return Err(already_resolved().into());
        }
        reread(conn, &u.id, currency)
    })
}

/// The bank's return of a credited deposit, booked first as a movement that
/// matched nothing: the deposit is returned by it, the amount taken from
/// its investor (cash first, the rest owed), who is emailed. `owned` holds
/// the leg out of the unreconciled account. Returns the entry.
fn return_deposit(
    conn: &mut AnyConnection,
    u: &Unreconciled,
    d: &Deposit,
    mut owned: Vec<(String, i64)>,
    currency: &str,
    now: chrono::NaiveDateTime,
) -> ServiceResult<String> {
    if d.status != "confirmed" {
        return Err(Refusal::new(
            RefusalKind::Conflict,
            "deposit_not_confirmed",
            Text::new("problem-deposit_not_confirmed"),
        )
        .with("status", d.status.clone())
        .into());
    }
    let cash = ensure_account(conn, AccountKind::InvestorCash, &d.user_id, currency)?;
    let (legs, owed) = receivables::take(conn, &d.user_id, &cash, u.amount, currency)?;
    owned.extend(legs);
    let entry = post(
        conn,
        EntryKind::DepositReturn,
        &d.id,
        &format!(
            "Deposit {} returned by the bank ({})",
            d.reference, u.bank_txn_id
        ),
        &owned_legs(&owned),
    )?;
    if !Deposit::mark_returned(conn, &d.id, &entry, now)? {
        return Err(already_resolved().into());
    }
    if let Some(owner) = User::find(conn, &d.user_id)? {
        let message = Message::DepositReturned {
            reference: d.reference.clone(),
            amount: u.amount,
            owed,
            currency: currency.to_string(),
        };
        enqueue(conn, &Email::to_user(&owner, message))?;
    }
    Ok(entry)
}

/// Sends money still in suspense back as the bank's return `u` of it:
/// suspense against the unreconciled account (the bank's legs were booked
/// when each notice came). `owned` holds the leg out of the unreconciled
/// account. Returns the entry.
fn return_unallocated(
    conn: &mut AnyConnection,
    u: &Unreconciled,
    a: &Unallocated,
    mut owned: Vec<(String, i64)>,
    resolved: Resolver<'_>,
    currency: &str,
    now: chrono::NaiveDateTime,
) -> ServiceResult<String> {
    if a.status != "open" {
        return Err(Refusal::new(
            RefusalKind::Conflict,
            "unallocated_not_open",
            Text::new("problem-unallocated_not_open"),
        )
        .with("status", a.status.clone())
        .into());
    }
    if a.amount != u.amount {
        return Err(Refusal::new(
            RefusalKind::Invalid,
            "amount_mismatch",
            Text::new("problem-amount_mismatch"),
        )
        .with("unallocated_amount", a.amount)
        .with("returned_amount", u.amount)
        .into());
    }
    let suspense = ensure_account(conn, AccountKind::UnallocatedDeposits, PLATFORM, currency)?;
    owned.push((suspense, -a.amount));
    let entry = post(
        conn,
        EntryKind::DepositReturn,
        &a.id,
        &format!(
            "Unallocated transfer {} returned by the bank ({})",
            a.bank_txn_id, u.bank_txn_id
        ),
        &owned_legs(&owned),
    )?;
    let how = crate::db::unallocated::Resolution::Returned {
        bank_txn_id: Some(&u.bank_txn_id),
    };
    if !Unallocated::resolve(conn, &a.id, &how, &entry, resolved.by, resolved.note, now)? {
        return Err(already_resolved().into());
    }
    Ok(entry)
}

/// Who resolves, and their note.
struct Resolver<'a> {
    by: &'a str,
    note: Option<&'a str>,
}

/// An open return the bank reported before the money it returns (a
/// movement that matched nothing, naming `bank_txn_id` with this reference
/// and amount), locked with the unreconciled account. Call it before the
/// money in is posted: the webhook's entries lock the platform's accounts
/// before the bank's.
pub(super) fn early_return(
    conn: &mut AnyConnection,
    bank_txn_id: &str,
    reference: &str,
    amount: i64,
    currency: &str,
) -> ServiceResult<Option<Unreconciled>> {
    let Some(u) = Unreconciled::open_return_of(conn, bank_txn_id)? else {
        return Ok(None);
    };
    if u.reference != reference || u.amount != amount {
        return Ok(None);
    }
    let account = ensure_account(
        conn,
        AccountKind::UnreconciledBankMovements,
        PLATFORM,
        currency,
    )?;
    lock_balance(conn, &account)?;
    Ok(Some(u))
}

/// Applies an early return (see [`early_return`]) to the money it returns,
/// now on the books: a credited deposit, or money in suspense. Resolved by
/// `bank`.
pub(super) fn settle_early_return(
    conn: &mut AnyConnection,
    u: &Unreconciled,
    returned: Target<'_>,
    currency: &str,
    now: chrono::NaiveDateTime,
) -> ServiceResult<()> {
    let account = ensure_account(
        conn,
        AccountKind::UnreconciledBankMovements,
        PLATFORM,
        currency,
    )?;
    let owned = vec![(account, u.amount)];
    let (kind, id, entry) = match returned {
        Target::Deposit(id) => {
            let d = Deposit::find(conn, id)?.ok_or_else(|| not_found("deposit"))?;
            (
                "deposit",
                id,
                return_deposit(conn, u, &d, owned, currency, now)?,
            )
        }
        Target::Unallocated(id) => {
            let a = Unallocated::find(conn, id)?.ok_or_else(|| not_found("unallocated deposit"))?;
            let bank = Resolver {
                by: "bank",
                note: None,
            };
            let entry = return_unallocated(conn, u, &a, owned, bank, currency, now)?;
            ("unallocated_deposit", id, entry)
        }
        Target::Withdrawal(_) => {
            return Err(super::ServiceError::Internal(anyhow::anyhow!(
                "an early deposit return cannot settle a withdrawal"
            )))
        }
    };
    let how = Resolution::Assigned { kind, id };
    if !Unreconciled::resolve(conn, &u.id, &how, &entry, "bank", None, now)? {
        return Err(already_resolved().into());
    }
    Ok(())
}

/// Writes the movement off as the platform's loss, with the operator's reason.
pub fn write_off(
    conn: &mut AnyConnection,
    id: &str,
    operator_id: &str,
    reason: &str,
    currency: &str,
) -> ServiceResult<UnreconciledView> {
    let now = now();
    write_transaction(conn, |conn| {
        let u = open_row(conn, id)?;
        let account = ensure_account(
            conn,
            AccountKind::UnreconciledBankMovements,
            PLATFORM,
            currency,
        )?;
        let losses = ensure_account(conn, AccountKind::BankWriteOffs, PLATFORM, currency)?;
        let owned = vec![(account, u.amount), (losses, -u.amount)];
        let entry = post(
            conn,
            EntryKind::BankWriteOff,
            &u.id,
            &format!("Bank movement {} written off: {reason}", u.bank_txn_id),
            &owned_legs(&owned),
        )?;
        let how = Resolution::WrittenOff;
        if !Unreconciled::resolve(conn, &u.id, &how, &entry, operator_id, Some(reason), now)? {
            return Err(already_resolved().into());
        }
        reread(conn, &u.id, currency)
    })
}

/// `field` names nothing of its kind (`detail` says what it must name).
fn invalid_target(field: &'static str, detail: Text) -> super::ServiceError {
    Refusal::new(RefusalKind::Invalid, "invalid_field", detail)
        .with("field", field)
        .into()
}

fn wrong_target(field: &'static str, detail: Text) -> super::ServiceError {
    Refusal::new(RefusalKind::Invalid, "invalid_field", detail)
        .with("field", field)
        .into()
}

fn already_resolved() -> Refusal {
    Refusal::new(
        RefusalKind::Conflict,
        "already_resolved",
        Text::new("problem-already_resolved-bank_movement"),
    )
}

fn reread(conn: &mut AnyConnection, id: &str, currency: &str) -> ServiceResult<UnreconciledView> {
    let u = Unreconciled::find(conn, id)?.ok_or_else(|| not_found("unreconciled movement"))?;
    Ok(view(u, currency))
}
