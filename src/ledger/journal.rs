//! Posting journal entries.

use diesel::prelude::*;

use crate::db::schema::{journal_entries, ledger_accounts, postings};
use crate::db::{new_id, now, AnyConnection};

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

#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    /// The account would go below zero (only the external bank may).
    #[error("insufficient funds in account {account_id}")]
    InsufficientFunds { account_id: String },
    #[error("an entry's postings must be non-zero and sum to zero")]
    Unbalanced,
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
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
    let sum: i128 = legs.iter().map(|l| l.amount as i128).sum();
    if legs.len() < 2 || sum != 0 || legs.iter().any(|l| l.amount == 0) {
        return Err(LedgerError::Unbalanced);
    }
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
    for leg in legs {
        let changed = diesel::update(
            ledger_accounts::table.find(leg.account_id).filter(
                ledger_accounts::kind
                    .eq("external_bank")
                    .or((ledger_accounts::balance + leg.amount).ge(0)),
            ),
        )
        .set(ledger_accounts::balance.eq(ledger_accounts::balance + leg.amount))
        .execute(conn)?;
        if changed != 1 {
            return Err(LedgerError::InsufficientFunds {
                account_id: leg.account_id.to_string(),
            });
        }
    }
    Ok(entry_id)
}
