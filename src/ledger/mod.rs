//! The double-entry ledger: accounts, journal entries whose postings sum to
//! zero, stored balances kept equal to the sum of their postings, and the
//! invariants that can be checked at any moment.
//!
//! Append-only: nothing here updates or deletes a posting or an entry; a
//! mistake is corrected by a reversing entry.

mod accounts;
pub mod invariants;
mod journal;
pub mod seal;

pub use accounts::{
    ensure_account, find_account, find_accounts, find_accounts_of_two, lock_accounts_skipping_held,
    lock_balance, lock_in_order, Account, AccountKind, PLATFORM,
};
pub use journal::{owned_legs, post, BalanceChanges, EntryKind, JournalBatch, LedgerError, Leg};
