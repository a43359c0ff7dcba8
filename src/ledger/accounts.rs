//! Ledger accounts, created on first use.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{Text, Timestamp};

use crate::db::schema::ledger_accounts;
use crate::db::{new_id, AnyConnection};

/// The owner of the platform's own accounts (fees, money in transit, the bank).
pub const PLATFORM: &str = "platform";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountKind {
    /// An investor's virtual account; owner: the user.
    InvestorCash,
    /// What a sponsor is owed after settlement; owner: the user.
    SponsorPayout,
    /// Subscribed money held for one offering; owner: the offering.
    OfferingEscrow,
    /// The platform's fees; owner: [`PLATFORM`].
    PlatformFee,
    /// Withdrawals held until the bank confirms the payout; owner: [`PLATFORM`].
    PayoutsPending,
    /// The world outside; the only account that goes negative (money that came in).
    ExternalBank,
    /// Suspense: money that reached the bank and matched no deposit, until an
    /// operator credits it to an investor or it goes back; owner: [`PLATFORM`].
    UnallocatedDeposits,
    /// Money that left the bank and matched no transfer (or not its amount),
    /// until an operator assigns it to one or writes it off; never above
    /// zero; owner: [`PLATFORM`].
    UnreconciledBankMovements,
    /// What an investor owes the platform (a deposit the bank took back after
    /// it was spent); never above zero; owner: the user.
    InvestorReceivable,
    /// Unreconciled bank movements an operator wrote off: the platform's
    /// loss; never above zero; owner: [`PLATFORM`].
    BankWriteOffs,
}

/// The SQL condition a ledger account's balance must meet after a change,
/// for the account's kind: the bank may hold any balance, the accounts of
/// what the platform is owed or lost none above zero, every other none
/// below. `{balance}` is replaced by the expression of the new balance. The
/// database's own CHECK says the same.
pub(super) fn balance_allowed(balance: &str) -> String {
    format!(
        "(CASE WHEN ledger_accounts.kind = 'external_bank' THEN 1 = 1 \
          WHEN ledger_accounts.kind IN ('unreconciled_bank_movements', 'investor_receivable', 'bank_write_offs') \
          THEN {balance} <= 0 ELSE {balance} >= 0 END)"
    )
}

impl AccountKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvestorCash => "investor_cash",
            Self::SponsorPayout => "sponsor_payout",
            Self::OfferingEscrow => "offering_escrow",
            Self::PlatformFee => "platform_fee",
            Self::PayoutsPending => "payouts_pending",
            Self::ExternalBank => "external_bank",
            Self::UnallocatedDeposits => "unallocated_deposits",
            Self::UnreconciledBankMovements => "unreconciled_bank_movements",
            Self::InvestorReceivable => "investor_receivable",
            Self::BankWriteOffs => "bank_write_offs",
        }
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = ledger_accounts)]
pub struct Account {
    pub id: String,
    pub kind: String,
    pub owner_id: String,
    pub currency: String,
    pub balance: i64,
    pub created_at: NaiveDateTime,
}

/// The id of the `kind` account of `owner`, creating it if it does not exist.
/// Safe under concurrency: one upsert that both backends understand.
pub fn ensure_account(
    conn: &mut AnyConnection,
    kind: AccountKind,
    owner: &str,
    currency: &str,
) -> QueryResult<String> {
    if let Some(account) = find_account(conn, kind, owner)? {
        return Ok(account.id);
    }
    crate::db::raw::sql(
        "INSERT INTO ledger_accounts (id, kind, owner_id, currency, balance, created_at) \
         VALUES ($1, $2, $3, $4, 0, $5) ON CONFLICT (kind, owner_id) DO NOTHING",
    )
    .bind::<Text, _>(new_id())
    .bind::<Text, _>(kind.as_str())
    .bind::<Text, _>(owner)
    .bind::<Text, _>(currency)
    .bind::<Timestamp, _>(crate::db::now())
    .execute(conn)?;
    find_account(conn, kind, owner)?
        .map(|a| a.id)
        .ok_or(diesel::result::Error::NotFound)
}

pub fn find_account(
    conn: &mut AnyConnection,
    kind: AccountKind,
    owner: &str,
) -> QueryResult<Option<Account>> {
    ledger_accounts::table
        .filter(ledger_accounts::kind.eq(kind.as_str()))
        .filter(ledger_accounts::owner_id.eq(owner))
        .select(Account::as_select())
        .first(conn)
        .optional()
}

/// Reads an account's balance and, on PostgreSQL, locks its row until the
/// transaction ends (`FOR NO KEY UPDATE`: postings inserted against it by
/// others need not wait), so that checks made after it (limits, sums) cannot be
/// raced by another transaction of the same owner. On SQLite the write
/// transaction already holds the database's write lock.
pub fn lock_balance(conn: &mut AnyConnection, account_id: &str) -> QueryResult<i64> {
    let query = ledger_accounts::table
        .find(account_id)
        .select(ledger_accounts::balance);
    match conn {
        AnyConnection::Postgresql(c) => query.for_no_key_update().first(c),
        AnyConnection::Sqlite(c) => query.first(c),
    }
}

/// The `kind` accounts of these owners that exist, by owner. With `lock`,
/// their rows are locked in id order until the transaction ends (PostgreSQL
/// `FOR NO KEY UPDATE`, which does not block the foreign-key checks of
/// postings inserted against them; SQLite's write transaction holds the
/// database's write lock already), so the balances read stay true.
pub fn find_accounts(
    conn: &mut AnyConnection,
    kind: AccountKind,
    owners: &[&str],
    lock: bool,
) -> QueryResult<HashMap<String, Account>> {
    if owners.is_empty() {
        return Ok(HashMap::new());
    }
    let query = || {
        ledger_accounts::table
            .filter(ledger_accounts::kind.eq(kind.as_str()))
            .filter(ledger_accounts::owner_id.eq_any(owners))
            .order(ledger_accounts::id.asc())
    };
    let rows: Vec<Account> = match conn {
        AnyConnection::Postgresql(c) if lock => query()
            .select(Account::as_select())
            .for_no_key_update()
            .load(c)?,
        _ => query().select(Account::as_select()).load(conn)?,
    };
    Ok(rows.into_iter().map(|a| (a.owner_id.clone(), a)).collect())
}

/// The accounts of two kinds at once, unlocked (one query where
/// [`find_accounts`] would take two): by owner, those of the first kind,
/// then those of the second.
pub fn find_accounts_of_two(
    conn: &mut AnyConnection,
    (first, first_owners): (AccountKind, &[&str]),
    (second, second_owners): (AccountKind, &[&str]),
) -> QueryResult<(HashMap<String, Account>, HashMap<String, Account>)> {
    use ledger_accounts::{kind, owner_id};
    let rows: Vec<Account> = ledger_accounts::table
        .filter(
            kind.eq(first.as_str())
                .and(owner_id.eq_any(first_owners))
                .or(kind.eq(second.as_str()).and(owner_id.eq_any(second_owners))),
        )
        .select(Account::as_select())
        .load(conn)?;
    let (mut of_first, mut of_second) = (HashMap::new(), HashMap::new());
    for account in rows {
        let of_kind = if account.kind == first.as_str() {
            &mut of_first
        } else {
            &mut of_second
        };
        of_kind.insert(account.owner_id.clone(), account);
    }
    Ok((of_first, of_second))
}

/// The `kind` accounts of these owners, locked as [`find_accounts`] locks
/// them, except those another transaction holds: PostgreSQL skips them
/// (`SKIP LOCKED`) instead of waiting, and their owners are returned apart
/// (SQLite's write transaction holds every row already: none is held).
pub fn lock_accounts_skipping_held(
    conn: &mut AnyConnection,
    kind: AccountKind,
    owners: &[&str],
) -> QueryResult<(HashMap<String, Account>, Vec<String>)> {
    let AnyConnection::Postgresql(c) = conn else {
        return Ok((find_accounts(conn, kind, owners, true)?, Vec::new()));
    };
    if owners.is_empty() {
        return Ok((HashMap::new(), Vec::new()));
    }
    let query = || {
        ledger_accounts::table
            .filter(ledger_accounts::kind.eq(kind.as_str()))
            .filter(ledger_accounts::owner_id.eq_any(owners))
    };
    let locked: HashMap<String, Account> = query()
        .order(ledger_accounts::id.asc())
        .select(Account::as_select())
        .for_no_key_update()
        .skip_locked()
        .load(c)?
        .into_iter()
        .map(|a: Account| (a.owner_id.clone(), a))
        .collect();
    if locked.len() == owners.len() {
        return Ok((locked, Vec::new()));
    }
    // Missing: either no such account (nothing to hold) or held elsewhere.
    let held = query()
        .select(ledger_accounts::owner_id)
        .load::<String>(c)?
        .into_iter()
        .filter(|owner| !locked.contains_key(owner))
        .collect();
    Ok((locked, held))
}

/// Locks these accounts' rows in id order and returns their balances by id,
/// as [`find_accounts`] does.
pub fn lock_in_order(conn: &mut AnyConnection, ids: &[&str]) -> QueryResult<HashMap<String, i64>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let query = ledger_accounts::table
        .filter(ledger_accounts::id.eq_any(ids))
        .order(ledger_accounts::id.asc())
        .select((ledger_accounts::id, ledger_accounts::balance));
    let rows: Vec<(String, i64)> = match conn {
        AnyConnection::Postgresql(c) => query.for_no_key_update().load(c)?,
        AnyConnection::Sqlite(c) => query.load(c)?,
    };
    Ok(rows.into_iter().collect())
}
