//! Posting journal entries.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::prepared::Writes;
use crate::db::schema::{journal_entries, postings};
use crate::db::{new_id, now, raw, AnyConnection};

/// What a journal entry records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryKind {
    Deposit,
    Subscription,
    Cancellation,
    Refund,
    Settlement,
    WithdrawalHold,
    WithdrawalPaid,
    /// A payout the bank rejected or returned: the money back to its owner.
    WithdrawalReturn,
    /// Incoming money that matched no deposit, into the suspense account.
    UnallocatedDeposit,
    /// Money in suspense credited to an investor by an operator.
    UnallocatedCredit,
    /// Incoming money sent back to its sender.
    DepositReturn,
    /// Money out that matched no transfer, into the account of unreconciled
    /// bank movements.
    UnreconciledMovement,
    /// An unreconciled bank movement written off as the platform's loss.
    BankWriteOff,
    /// A payout taken for rejected before it left, whose payout notice came
    /// after its return: the return is rebooked as money back from the bank.
    WithdrawalReturnRebooked,
}

impl EntryKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Deposit => "deposit",
            Self::Subscription => "subscription",
            Self::Cancellation => "cancellation",
            Self::Refund => "refund",
            Self::Settlement => "settlement",
            Self::WithdrawalHold => "withdrawal_hold",
            Self::WithdrawalPaid => "withdrawal_paid",
            Self::WithdrawalReturn => "withdrawal_return",
            Self::UnallocatedDeposit => "unallocated_deposit",
            Self::UnallocatedCredit => "unallocated_credit",
            Self::DepositReturn => "deposit_return",
            Self::UnreconciledMovement => "unreconciled_movement",
            Self::BankWriteOff => "bank_write_off",
            Self::WithdrawalReturnRebooked => "withdrawal_return_rebooked",
        }
    }
}

/// One side of an entry: `amount` is added to the account's balance
/// (negative takes money out of it).
#[derive(Debug, Clone, Copy)]
pub struct Leg<'a> {
    pub account_id: &'a str,
    pub amount: i64,
}

/// Legs over owned account ids (`(account, amount)`), as [`post`] takes them.
pub fn owned_legs(owned: &[(String, i64)]) -> Vec<Leg<'_>> {
    owned
        .iter()
        .map(|(account_id, amount)| Leg {
            account_id,
            amount: *amount,
        })
        .collect()
}

#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    /// The account would go below zero (or, for an account of what the
    /// platform is owed or lost, above it).
    #[error("insufficient funds in account {account_id}")]
    InsufficientFunds { account_id: String },
    #[error("an entry's postings must be non-zero and sum to zero")]
    Unbalanced,
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

/// At least two legs, none zero, summing to zero.
fn check_balanced(legs: &[Leg<'_>]) -> Result<(), LedgerError> {
    let sum: i128 = legs.iter().map(|l| l.amount as i128).sum();
    if legs.len() < 2 || sum != 0 || legs.iter().any(|l| l.amount == 0) {
        return Err(LedgerError::Unbalanced);
    }
    Ok(())
}

/// Records one money movement: the entry, its postings, and the new balances.
///
/// Balances are updated in the order of `legs`: callers put the contended
/// (hot) accounts last so their row locks are held for the shortest time, and
/// always in the same relative order so that transactions never deadlock.
/// A leg that would take a non-bank account below zero fails the whole entry
/// (the caller's transaction rolls back).
pub fn post(
    conn: &mut AnyConnection,
    kind: EntryKind,
    reference_id: &str,
    description: &str,
    legs: &[Leg<'_>],
) -> Result<String, LedgerError> {
    check_balanced(legs)?;
    let entry_id = new_id();
    let now = now();
    diesel::insert_into(journal_entries::table)
        .values((
            journal_entries::id.eq(&entry_id),
            journal_entries::kind.eq(kind.as_str()),
            journal_entries::reference_id.eq(reference_id),
            journal_entries::description.eq(description),
            journal_entries::created_at.eq(now),
        ))
        .execute(conn)?;
    // One row at a time: multi-row INSERT does not exist for the
    // two-backend connection (SQLite's dialect differs). Entries have 2-3 legs.
    for leg in legs {
        diesel::insert_into(postings::table)
            .values((
                postings::id.eq(new_id()),
                postings::entry_id.eq(&entry_id),
                postings::account_id.eq(leg.account_id),
                postings::amount.eq(leg.amount),
                postings::created_at.eq(now),
            ))
            .execute(conn)?;
    }
    let allowed = super::accounts::balance_allowed("ledger_accounts.balance + $1");
    for leg in legs {
        let changed = raw::sql(format!(
            "UPDATE ledger_accounts SET balance = balance + $1 WHERE id = $2 AND {allowed}"
        ))
        .bind::<diesel::sql_types::BigInt, _>(leg.amount)
        .bind::<diesel::sql_types::Text, _>(leg.account_id)
        .execute(conn)?;
        if changed != 1 {
            return Err(LedgerError::InsufficientFunds {
                account_id: leg.account_id.to_string(),
            });
        }
    }
    Ok(entry_id)
}

/// Many entries written together (a group commit): every entry, then every
/// posting, each in one multi-row INSERT; the balances they move are applied
/// afterwards through [`BalanceChanges`], cold accounts first and the hot ones
/// (contended by every writer) last, so that their row locks are held for the
/// shortest time.
#[derive(Default)]
pub struct JournalBatch {
    entries: Vec<BatchEntry>,
}

struct BatchEntry {
    id: String,
    kind: EntryKind,
    reference_id: String,
    description: String,
    legs: Vec<(String, i64)>,
}

impl JournalBatch {
    /// Adds one balanced entry; returns its id.
    pub fn push(
        &mut self,
        kind: EntryKind,
        reference_id: &str,
        description: String,
        legs: &[Leg<'_>],
    ) -> Result<String, LedgerError> {
        check_balanced(legs)?;
        let id = new_id();
        self.entries.push(BatchEntry {
            id: id.clone(),
            kind,
            reference_id: reference_id.to_string(),
            description,
            legs: legs
                .iter()
                .map(|l| (l.account_id.to_string(), l.amount))
                .collect(),
        });
        Ok(id)
    }

    /// Inserts the entries and their postings. The balances are not touched
    /// until the returned changes are applied, in the same transaction.
    pub fn insert(
        &self,
        conn: &mut AnyConnection,
        at: NaiveDateTime,
    ) -> QueryResult<BalanceChanges> {
        let mut writes = Writes::new(conn);
        let changes = self.write(&mut writes, at)?;
        writes.run(conn)?;
        Ok(changes)
    }

    /// [`Self::insert`], as writes to be run with others.
    pub fn write(&self, writes: &mut Writes, at: NaiveDateTime) -> QueryResult<BalanceChanges> {
        use crate::db::prepared::Column;
        if self.entries.is_empty() {
            return Ok(BalanceChanges::default());
        }
        let entries: Vec<(&str, &str, &str, &str)> = self
            .entries
            .iter()
            .map(|e| {
                let kind = e.kind.as_str();
                (
                    e.id.as_str(),
                    kind,
                    e.reference_id.as_str(),
                    e.description.as_str(),
                )
            })
            .collect();
        writes.push(
            writes
                .statement()
                .sql("INSERT INTO journal_entries (id, kind, reference_id, description, created_at) SELECT ")
                .columns(&[Column::Text; 4])
                .sql(", ")
                .timestamp(at)
                .from_rows(&entries)?,
        );
        let mut changes = BalanceChanges::default();
        let mut postings = Vec::new();
        for e in &self.entries {
            for (account, amount) in &e.legs {
                postings.push((new_id(), e.id.as_str(), account.as_str(), *amount));
                *changes.0.entry(account.clone()).or_default() += amount;
            }
        }
        writes.push(
            writes
                .statement()
                .sql("INSERT INTO postings (id, entry_id, account_id, amount, created_at) SELECT ")
                .columns(&[Column::Text, Column::Text, Column::Text, Column::BigInt])
                .sql(", ")
                .timestamp(at)
                .from_rows(&postings)?,
        );
        Ok(changes)
    }
}

/// The net change of each account's stored balance that a batch of postings
/// makes. It must be applied in the transaction that inserted them.
#[derive(Default, Debug)]
#[must_use = "stored balances must be kept equal to their postings"]
pub struct BalanceChanges(BTreeMap<String, i64>);

impl BalanceChanges {
    /// Applies the changes in one UPDATE. The accounts not in `hot` the
    /// caller has locked already (in id order); those in `hot` are locked
    /// here, so that they are held from here to the commit only — in id
    /// order first when there are several (one is the only lock the UPDATE
    /// then waits for). A non-bank account that would go below zero fails
    /// the whole batch (the caller checked balances under lock: this is the
    /// backstop).
    pub fn apply(
        self,
        conn: &mut AnyConnection,
        hot: &BTreeSet<String>,
    ) -> Result<(), LedgerError> {
        let changes: Vec<(String, i64)> = self
            .0
            .into_iter()
            .filter(|(_, delta)| *delta != 0)
            .collect();
        let hot_ids: Vec<&str> = changes
            .iter()
            .map(|(id, _)| id.as_str())
            .filter(|id| hot.contains(*id))
            .collect();
        if hot_ids.len() > 1 {
            super::accounts::lock_in_order(conn, &hot_ids)?;
        }
        apply_changes(conn, &changes)
    }
}

/// One statement for many accounts.
fn apply_changes(conn: &mut AnyConnection, changes: &[(String, i64)]) -> Result<(), LedgerError> {
    use crate::db::prepared::{Column, Statement};
    if changes.is_empty() {
        return Ok(());
    }
    // Kept prepared: a launch does not add accounts (see `db::prepared`).
    let changed = Statement::new(conn)
        .sql("WITH change (account_id, delta) AS (")
        .rows(&[Column::Text, Column::BigInt], changes)?
        .sql(
            ") UPDATE ledger_accounts SET balance = balance + change.delta FROM change \
             WHERE ledger_accounts.id = change.account_id AND ",
        )
        .sql(super::accounts::balance_allowed(
            "ledger_accounts.balance + change.delta",
        ))
        .execute(conn)?;
    if changed != changes.len() {
        return Err(LedgerError::InsufficientFunds {
            account_id: changes
                .iter()
                .map(|(id, _)| id.as_str())
                .collect::<Vec<_>>()
                .join(","),
        });
    }
    Ok(())
}
