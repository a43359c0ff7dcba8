//! Virtual accounts: balances, statements, deposits and withdrawals as their
//! owners ask for and list them. What the bank reports about them is in
//! [`super::bank`].

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use rand::Rng;
use serde::Serialize;

use crate::db::bank::{Deposit, Withdrawal};
use crate::db::schema::{journal_entries, postings, withdrawals};
use crate::db::subscriptions::Subscription;
use crate::db::{new_id, now, write_transaction, AnyConnection, Backend};
use crate::domain::{Amount, Role};
use crate::i18n::Text;
use crate::ledger::{
    ensure_account, find_account, lock_balance, post, AccountKind, EntryKind, Leg, PLATFORM,
};

use super::accounts::require_verified_email;
use super::error::{Refusal, RefusalKind, ServiceResult};
use super::offerings::{id_cursor, next_id_cursor};
use super::views::{utc, Page};

/// The account a user's money sits in: an investor's cash, a sponsor's payout.
fn own_account_kind(role: Role) -> ServiceResult<AccountKind> {
    match role {
        Role::Investor => Ok(AccountKind::InvestorCash),
        Role::Sponsor => Ok(AccountKind::SponsorPayout),
        Role::Operator => Err(Refusal::new(
            RefusalKind::Forbidden,
            "forbidden",
            Text::new("problem-forbidden-operator_account"),
        )
        .into()),
    }
}

#[derive(Debug, Serialize)]
pub struct AccountView {
    /// None until the first money movement creates the account.
    pub account_id: Option<String>,
    pub kind: &'static str,
    pub available: i64,
    pub in_escrow: i64,
    pub pending_withdrawals: i64,
    /// What the user owes the platform (a deposit the bank took back after
    /// it was spent): while above zero, withdrawals and subscriptions are
    /// refused, and deposits pay it off first.
    pub owed: i64,
    pub currency: String,
}

pub fn account(
    conn: &mut AnyConnection,
    user_id: &str,
    role: Role,
    currency: &str,
) -> ServiceResult<AccountView> {
    let kind = own_account_kind(role)?;
    // A read: an account that does not exist yet is shown empty, not created.
    let (id, available) = match find_account(conn, kind, user_id)? {
        Some(account) => (Some(account.id), account.balance),
        None => (None, 0),
    };
    let in_escrow = match role {
        Role::Investor => Subscription::active_total_of_investor(conn, user_id)?,
        _ => 0,
    };
    let pending_withdrawals = withdrawals::table
        .filter(withdrawals::user_id.eq(user_id))
        .filter(withdrawals::status.eq("pending"))
        .select(diesel::dsl::sql::<diesel::sql_types::BigInt>(
            "CAST(COALESCE(SUM(withdrawals.amount), 0) AS BIGINT)",
        ))
        .first::<i64>(conn)?;
    Ok(AccountView {
        account_id: id,
        kind: kind.as_str(),
        available,
        in_escrow,
        pending_withdrawals,
        owed: super::receivables::owed(conn, user_id)?,
        currency: currency.to_string(),
    })
}

#[derive(Debug, Serialize, Queryable)]
pub struct StatementLine {
    pub id: String,
    pub entry_id: String,
    pub kind: String,
    pub reference_id: String,
    pub description: String,
    /// Positive: money in; negative: money out.
    pub amount: i64,
    #[serde(serialize_with = "as_utc")]
    pub created_at: NaiveDateTime,
}

fn as_utc<S: serde::Serializer>(t: &NaiveDateTime, s: S) -> Result<S::Ok, S::Error> {
    utc(*t).serialize(s)
}

/// The statement of the user's own account, newest first.
pub fn statement(
    conn: &mut AnyConnection,
    user_id: &str,
    role: Role,
    cursor: Option<&str>,
    limit: i64,
) -> ServiceResult<Page<StatementLine>> {
    // The cursor is checked first: a bad one is refused alike with or
    // without an account.
    let before = id_cursor(cursor, "statement")?;
    let Some(account) = find_account(conn, own_account_kind(role)?, user_id)?.map(|a| a.id) else {
        return Ok(Page {
            items: Vec::new(),
            next_cursor: None,
        });
    };
    let mut query = postings::table
        .inner_join(journal_entries::table)
        .filter(postings::account_id.eq(account))
        .order_by(postings::id.desc())
        .limit(limit + 1)
        .select((
            postings::id,
            postings::entry_id,
            journal_entries::kind,
            journal_entries::reference_id,
            journal_entries::description,
            postings::amount,
            postings::created_at,
        ))
        .into_boxed::<Backend>();
    if let Some(before) = before {
        query = query.filter(postings::id.lt(before));
    }
    let mut rows: Vec<StatementLine> = query.load(conn)?;
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let next_cursor = next_id_cursor(&rows, more, "statement", |l| &l.id);
    Ok(Page {
        items: rows,
        next_cursor,
    })
}

/// A reference the investor quotes with the bank transfer: unambiguous
/// characters only (no 0/O, 1/I).
fn new_reference(prefix: &str) -> String {
    const ALPHABET: &[u8] = b"23456789ABCDEFGHJKLMNPQRSTUVWXYZ";
    let mut rng = rand::thread_rng();
    let code: String = (0..10)
        .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
        .collect();
    format!("{prefix}-{code}")
}

#[derive(Debug, Serialize)]
pub struct TransferView {
    pub id: String,
    pub reference: String,
    pub amount: i64,
    pub status: String,
    pub currency: String,
    pub created_at: DateTime<Utc>,
}

/// Announces a deposit: the investor pays the reference in at the bank, which
/// confirms it through the webhook. Nothing is credited until then.
pub fn create_deposit(
    conn: &mut AnyConnection,
    user_id: &str,
    amount: Amount,
    currency: &str,
) -> ServiceResult<TransferView> {
    let id = new_id();
    let reference = new_reference("DEP");
    let now = now();
    write_transaction(conn, |conn| -> ServiceResult<()> {
        require_verified_email(conn, user_id)?;
        Deposit::insert(conn, &id, user_id, &reference, amount.get(), now)?;
        Ok(())
    })?;
    Ok(TransferView {
        id,
        reference,
        amount: amount.get(),
        status: "pending".into(),
        currency: currency.to_string(),
        created_at: utc(now),
    })
}

/// Holds the amount at once (own account -> payouts pending); the bank's
/// confirmation of the payout moves it out to the bank.
pub fn create_withdrawal(
    conn: &mut AnyConnection,
    user_id: &str,
    role: Role,
    amount: Amount,
    currency: &str,
) -> ServiceResult<TransferView> {
    let kind = own_account_kind(role)?;
    let id = new_id();
    let reference = new_reference("WDR");
    let now = now();
    write_transaction(conn, |conn| -> ServiceResult<()> {
        require_verified_email(conn, user_id)?;
        let account = ensure_account(conn, kind, user_id, currency)?;
        let available = lock_balance(conn, &account)?;
        let owed = super::receivables::owed(conn, user_id)?;
        if owed > 0 {
            return Err(super::receivables::outstanding(owed).into());
        }
        if available < amount.get() {
            return Err(Refusal::new(
                RefusalKind::Invalid,
                "insufficient_funds",
                Text::new("problem-insufficient_funds-withdrawal"),
            )
            .with("available", available)
            .with("amount", amount.get())
            .into());
        }
        let pending = ensure_account(conn, AccountKind::PayoutsPending, PLATFORM, currency)?;
        let entry = post(
            conn,
            EntryKind::WithdrawalHold,
            &id,
            &format!("Withdrawal {reference}"),
            &[
                Leg {
                    account_id: &account,
                    amount: -amount.get(),
                },
                Leg {
                    account_id: &pending,
                    amount: amount.get(),
                },
            ],
        )?;
        Withdrawal::insert(
            conn,
            &id,
            user_id,
            &account,
            &reference,
            amount.get(),
            &entry,
            now,
        )?;
        Ok(())
    })?;
    Ok(TransferView {
        id,
        reference,
        amount: amount.get(),
        status: "pending".into(),
        currency: currency.to_string(),
        created_at: utc(now),
    })
}

#[derive(Debug, Serialize)]
pub struct DepositView {
    pub id: String,
    /// Quote it with the bank transfer.
    pub reference: String,
    pub amount: i64,
    pub currency: String,
    /// pending | confirmed | returned
    pub status: String,
    pub created_at: DateTime<Utc>,
    pub confirmed_at: Option<DateTime<Utc>>,
    pub returned_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize)]
pub struct WithdrawalView {
    pub id: String,
    pub reference: String,
    pub amount: i64,
    pub currency: String,
    /// pending | paid | returned
    pub status: String,
    pub created_at: DateTime<Utc>,
    pub paid_at: Option<DateTime<Utc>>,
    pub returned_at: Option<DateTime<Utc>>,
}

/// The user's announced deposits, newest first.
pub fn deposits(
    conn: &mut AnyConnection,
    user_id: &str,
    cursor: Option<&str>,
    limit: i64,
    currency: &str,
) -> ServiceResult<Page<DepositView>> {
    let before = id_cursor(cursor, "deposits")?;
    let mut rows = Deposit::page_of_user(conn, user_id, before.as_deref(), limit + 1)?;
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let next_cursor = next_id_cursor(&rows, more, "deposits", |d| &d.id);
    let items = rows
        .into_iter()
        .map(|d| DepositView {
            id: d.id,
            reference: d.reference,
            amount: d.amount,
            currency: currency.to_string(),
            status: d.status,
            created_at: utc(d.created_at),
            confirmed_at: d.confirmed_at.map(utc),
            returned_at: d.returned_at.map(utc),
        })
        .collect();
    Ok(Page { items, next_cursor })
}

/// The user's withdrawals, newest first.
pub fn withdrawals(
    conn: &mut AnyConnection,
    user_id: &str,
    cursor: Option<&str>,
    limit: i64,
    currency: &str,
) -> ServiceResult<Page<WithdrawalView>> {
    let before = id_cursor(cursor, "withdrawals")?;
    let mut rows = Withdrawal::page_of_user(conn, user_id, before.as_deref(), limit + 1)?;
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let next_cursor = next_id_cursor(&rows, more, "withdrawals", |w| &w.id);
    let items = rows
        .into_iter()
        .map(|w| WithdrawalView {
            id: w.id,
            reference: w.reference,
            amount: w.amount,
            currency: currency.to_string(),
            status: w.status,
            created_at: utc(w.created_at),
            paid_at: w.paid_at.map(utc),
            returned_at: w.returned_at.map(utc),
        })
        .collect();
    Ok(Page { items, next_cursor })
}
