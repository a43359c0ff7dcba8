//! What a user owes the platform: a deposit the bank took back after the
//! money had been spent. The part the user's cash did not cover sits in the
//! user's receivable (an account never above zero). While anything is owed,
//! withdrawals and new subscriptions are refused; money that comes in for
//! the user pays it off first.
//!
//! Lock order: every function here locks the user's own account (an
//! investor's cash) before it reads or moves the receivable, so that a
//! subscription batch or a withdrawal (which lock that account) reads a
//! receivable nobody can make larger under it.

use crate::db::AnyConnection;
use crate::i18n::Text;
use crate::ledger::{ensure_account, find_account, lock_balance, AccountKind};

use super::error::{Refusal, RefusalKind, ServiceResult};

/// Legs of a journal entry, owned (the accounts are looked up here).
pub type Legs = Vec<(String, i64)>;

/// How much `user_id` owes (zero or more). Reads, does not lock; callers
/// that act on it hold the user's cash account already.
pub fn owed(conn: &mut AnyConnection, user_id: &str) -> ServiceResult<i64> {
    Ok(find_account(conn, AccountKind::InvestorReceivable, user_id)?.map_or(0, |a| -a.balance))
}

/// The refusal while something is owed.
pub fn outstanding(owed: i64) -> Refusal {
    Refusal::new(
        RefusalKind::Forbidden,
        "receivable_outstanding",
        Text::new("problem-receivable_outstanding"),
    )
    .with("owed", owed)
}

/// The legs that take `amount` from `user_id`: out of `own_account` (their
/// cash, or a sponsor's payout account) as far as it goes, the rest into the
/// receivable. Locks `own_account`. Returns the legs and how much is owed.
pub fn take(
    conn: &mut AnyConnection,
    user_id: &str,
    own_account: &str,
    amount: i64,
    currency: &str,
) -> ServiceResult<(Legs, i64)> {
    let from_own = lock_balance(conn, own_account)?.clamp(0, amount);
    let owed = amount - from_own;
    let mut legs = Vec::new();
    if from_own > 0 {
        legs.push((own_account.to_string(), -from_own));
    }
    if owed > 0 {
        let receivable = ensure_account(conn, AccountKind::InvestorReceivable, user_id, currency)?;
        legs.push((receivable, -owed));
    }
    Ok((legs, owed))
}

/// The legs that give `amount` to `user_id`: what is owed is paid off
/// first, the rest goes to the cash account. Locks the cash account, then
/// the receivable.
pub fn give(
    conn: &mut AnyConnection,
    user_id: &str,
    amount: i64,
    currency: &str,
) -> ServiceResult<Legs> {
    let cash = ensure_account(conn, AccountKind::InvestorCash, user_id, currency)?;
    lock_balance(conn, &cash)?;
    let owed = match find_account(conn, AccountKind::InvestorReceivable, user_id)? {
        Some(receivable) => -lock_balance(conn, &receivable.id)?,
        None => 0,
    };
    let payoff = owed.clamp(0, amount);
    let mut legs = Vec::new();
    if payoff > 0 {
        let receivable = ensure_account(conn, AccountKind::InvestorReceivable, user_id, currency)?;
        legs.push((receivable, payoff));
    }
    if amount > payoff {
        legs.push((cash, amount - payoff));
    }
    Ok(legs)
}
