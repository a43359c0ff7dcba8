//! Virtual accounts: balances, statements, deposits, withdrawals, and the
//! custodian bank's confirmations of both.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use rand::Rng;
use serde::Serialize;

use crate::db::bank::{
    bank_event_outcome, record_bank_event, set_bank_event_outcome, Deposit, Withdrawal,
};
use crate::db::schema::{journal_entries, postings, withdrawals};
use crate::db::subscriptions::Subscription;
use crate::db::{new_id, now, write_transaction, AnyConnection, Backend};
use crate::domain::{Amount, Role};
use crate::ledger::{
    ensure_account, find_account, lock_balance, post, AccountKind, EntryKind, Leg, PLATFORM,
};

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
            "Operators have no virtual account.",
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
    let Some(account) = find_account(conn, own_account_kind(role)?, user_id)?.map(|a| a.id) else {
        return Ok(Page {
            items: Vec::new(),
            next_cursor: None,
        });
    };
    let before = id_cursor(cursor, "statement")?;
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
    write_transaction(conn, |conn| {
        Deposit::insert(conn, &id, user_id, &reference, amount.get(), now)
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
        let account = ensure_account(conn, kind, user_id, currency)?;
        let available = lock_balance(conn, &account)?;
        if available < amount.get() {
            return Err(Refusal::new(
                RefusalKind::Invalid,
                "insufficient_funds",
                "Your available balance does not cover the amount.",
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

/// What the custodian bank tells us about one transaction.
#[derive(Debug, Clone)]
pub struct BankNotification {
    pub bank_txn_id: String,
    pub reference: String,
    pub amount: i64,
    pub kind: BankTxnKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BankTxnKind {
    Deposit,
    Withdrawal,
}

impl BankTxnKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Deposit => "deposit",
            Self::Withdrawal => "withdrawal",
        }
    }
}

#[derive(Debug, Serialize)]
pub struct BankOutcome {
    pub bank_txn_id: String,
    /// credited | paid | unmatched | amount_mismatch | already_settled | duplicate
    pub outcome: String,
    /// For a duplicate: what became of the first notification.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub original_outcome: Option<String>,
}

/// Applies a bank notification once per bank transaction id. Every
/// notification is recorded with its outcome for reconciliation; only an exact
/// match (reference and amount) moves money.
pub fn handle_bank_notification(
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
            });
        }
        let outcome = match n.kind {
            BankTxnKind::Deposit => apply_deposit(conn, n, currency, now)?,
            BankTxnKind::Withdrawal => apply_payout(conn, n, currency, now)?,
        };
        set_bank_event_outcome(conn, &n.bank_txn_id, outcome)?;
        if outcome != "credited" && outcome != "paid" {
            tracing::warn!(bank_txn_id = %n.bank_txn_id, reference = %n.reference, outcome,
                "bank notification recorded for reconciliation, no money moved");
        }
        Ok(BankOutcome {
            bank_txn_id: n.bank_txn_id.clone(),
            outcome: outcome.into(),
            original_outcome: None,
        })
    })
}

fn apply_deposit(
    conn: &mut AnyConnection,
    n: &BankNotification,
    currency: &str,
    now: NaiveDateTime,
) -> ServiceResult<&'static str> {
    let Some(deposit) = Deposit::find_by_reference(conn, &n.reference)? else {
        return Ok("unmatched");
    };
    if deposit.status != "pending" {
        return Ok("already_settled");
    }
    if deposit.amount != n.amount {
        return Ok("amount_mismatch");
    }
    let cash = ensure_account(conn, AccountKind::InvestorCash, &deposit.user_id, currency)?;
    let bank = ensure_account(conn, AccountKind::ExternalBank, PLATFORM, currency)?;
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
        return Err(Refusal::new(
            RefusalKind::Conflict,
            "deposit_already_confirmed",
            "The deposit was confirmed meanwhile.",
        )
        .into());
    }
    Ok("credited")
}

fn apply_payout(
    conn: &mut AnyConnection,
    n: &BankNotification,
    currency: &str,
    now: NaiveDateTime,
) -> ServiceResult<&'static str> {
    let Some(w) = Withdrawal::find_by_reference(conn, &n.reference)? else {
        return Ok("unmatched");
    };
    if w.status != "pending" {
        return Ok("already_settled");
    }
    if w.amount != n.amount {
        return Ok("amount_mismatch");
    }
    let pending = ensure_account(conn, AccountKind::PayoutsPending, PLATFORM, currency)?;
    let bank = ensure_account(conn, AccountKind::ExternalBank, PLATFORM, currency)?;
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
        return Err(Refusal::new(
            RefusalKind::Conflict,
            "withdrawal_already_paid",
            "The withdrawal was paid meanwhile.",
        )
        .into());
    }
    Ok("paid")
}
