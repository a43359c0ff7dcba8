//! Deposits, withdrawals and the bank's notifications.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{bank_events, bank_transfers, deposits, withdrawals};
use super::{AnyConnection, Backend};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = deposits)]
pub struct Deposit {
    pub id: String,
    pub user_id: String,
    pub reference: String,
    pub amount: i64,
    pub status: String,
    pub bank_txn_id: Option<String>,
    pub entry_id: Option<String>,
    pub created_at: NaiveDateTime,
    pub confirmed_at: Option<NaiveDateTime>,
    pub returned_at: Option<NaiveDateTime>,
}

impl Deposit {
    pub fn insert(
        conn: &mut AnyConnection,
        id: &str,
        user_id: &str,
        reference: &str,
        amount: i64,
        now: NaiveDateTime,
    ) -> QueryResult<usize> {
        diesel::insert_into(deposits::table)
            .values((
                deposits::id.eq(id),
                deposits::user_id.eq(user_id),
                deposits::reference.eq(reference),
                deposits::amount.eq(amount),
                deposits::status.eq("pending"),
                deposits::created_at.eq(now),
            ))
            .execute(conn)
    }

    /// Finds a deposit by its reference and, on PostgreSQL, locks it until
    /// the transaction ends, so two notifications for one deposit queue.
    pub fn find_by_reference(
        conn: &mut AnyConnection,
        reference: &str,
    ) -> QueryResult<Option<Self>> {
        let query = deposits::table.filter(deposits::reference.eq(reference));
        super::first_locked!(conn, query.select(Self::as_select()))
    }

    /// Finds a deposit by id, locking it on PostgreSQL.
    pub fn find(conn: &mut AnyConnection, id: &str) -> QueryResult<Option<Self>> {
        let query = deposits::table.find(id);
        super::first_locked!(conn, query.select(Self::as_select()))
    }

    /// The deposit that the bank transaction `bank_txn_id` credited, locked
    /// on PostgreSQL as [`Self::find_by_reference`] does.
    pub fn find_by_bank_txn(
        conn: &mut AnyConnection,
        bank_txn_id: &str,
    ) -> QueryResult<Option<Self>> {
        let query = deposits::table.filter(deposits::bank_txn_id.eq(bank_txn_id));
        super::first_locked!(conn, query.select(Self::as_select()))
    }

    /// Marks a confirmed deposit returned to its sender; exactly one caller wins.
    pub fn mark_returned(
        conn: &mut AnyConnection,
        id: &str,
        entry_id: &str,
        now: NaiveDateTime,
    ) -> QueryResult<bool> {
        diesel::update(
            deposits::table
                .find(id)
                .filter(deposits::status.eq("confirmed")),
        )
        .set((
            deposits::status.eq("returned"),
            deposits::returned_entry_id.eq(Some(entry_id)),
            deposits::returned_at.eq(Some(now)),
        ))
        .execute(conn)
        .map(|n| n == 1)
    }

    /// A user's deposits, newest first, before the id `before`.
    pub fn page_of_user(
        conn: &mut AnyConnection,
        user_id: &str,
        before: Option<&str>,
        limit: i64,
    ) -> QueryResult<Vec<Self>> {
        let mut query = deposits::table
            .filter(deposits::user_id.eq(user_id))
            .order(deposits::id.desc())
            .limit(limit)
            .select(Self::as_select())
            .into_boxed::<Backend>();
        if let Some(before) = before {
            query = query.filter(deposits::id.lt(before.to_string()));
        }
        query.load(conn)
    }

    /// Marks a pending deposit confirmed; exactly one caller wins.
    pub fn confirm(
        conn: &mut AnyConnection,
        id: &str,
        bank_txn_id: &str,
        entry_id: &str,
        now: NaiveDateTime,
    ) -> QueryResult<bool> {
        diesel::update(
            deposits::table
                .find(id)
                .filter(deposits::status.eq("pending")),
        )
        .set((
            deposits::status.eq("confirmed"),
            deposits::bank_txn_id.eq(Some(bank_txn_id)),
            deposits::entry_id.eq(Some(entry_id)),
            deposits::confirmed_at.eq(Some(now)),
        ))
        .execute(conn)
        .map(|n| n == 1)
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = withdrawals)]
pub struct Withdrawal {
    pub id: String,
    pub user_id: String,
    pub account_id: String,
    pub reference: String,
    pub amount: i64,
    pub status: String,
    pub bank_txn_id: Option<String>,
    pub paid_entry_id: Option<String>,
    pub return_bank_txn_id: Option<String>,
    pub created_at: NaiveDateTime,
    pub paid_at: Option<NaiveDateTime>,
    pub returned_at: Option<NaiveDateTime>,
}

impl Withdrawal {
    #[allow(clippy::too_many_arguments)]
    pub fn insert(
        conn: &mut AnyConnection,
        id: &str,
        user_id: &str,
        account_id: &str,
        reference: &str,
        amount: i64,
        hold_entry_id: &str,
        now: NaiveDateTime,
    ) -> QueryResult<usize> {
        diesel::insert_into(withdrawals::table)
            .values((
                withdrawals::id.eq(id),
                withdrawals::user_id.eq(user_id),
                withdrawals::account_id.eq(account_id),
                withdrawals::reference.eq(reference),
                withdrawals::amount.eq(amount),
                withdrawals::status.eq("pending"),
                withdrawals::hold_entry_id.eq(hold_entry_id),
                withdrawals::created_at.eq(now),
            ))
            .execute(conn)
    }

    /// Finds a withdrawal by its reference, locking it on PostgreSQL.
    pub fn find_by_reference(
        conn: &mut AnyConnection,
        reference: &str,
    ) -> QueryResult<Option<Self>> {
        let query = withdrawals::table.filter(withdrawals::reference.eq(reference));
        super::first_locked!(conn, query.select(Self::as_select()))
    }

    pub fn mark_paid(
        conn: &mut AnyConnection,
        id: &str,
        bank_txn_id: &str,
        entry_id: &str,
        now: NaiveDateTime,
    ) -> QueryResult<bool> {
        diesel::update(
            withdrawals::table
                .find(id)
                .filter(withdrawals::status.eq("pending")),
        )
        .set((
            withdrawals::status.eq("paid"),
            withdrawals::bank_txn_id.eq(Some(bank_txn_id)),
            withdrawals::paid_entry_id.eq(Some(entry_id)),
            withdrawals::paid_at.eq(Some(now)),
        ))
        .execute(conn)
        .map(|n| n == 1)
    }

    /// Records the payout of a withdrawal whose return (taken for a
    /// rejection before it left) was booked first; exactly one caller wins.
    pub fn mark_paid_after_return(
        conn: &mut AnyConnection,
        id: &str,
        bank_txn_id: &str,
        entry_id: &str,
        now: NaiveDateTime,
    ) -> QueryResult<bool> {
        diesel::update(
            withdrawals::table
                .find(id)
                .filter(withdrawals::status.eq("returned"))
                .filter(withdrawals::paid_entry_id.is_null()),
        )
        .set((
            withdrawals::bank_txn_id.eq(Some(bank_txn_id)),
            withdrawals::paid_entry_id.eq(Some(entry_id)),
            withdrawals::paid_at.eq(Some(now)),
        ))
        .execute(conn)
        .map(|n| n == 1)
    }

    /// Finds a withdrawal by id, locking it on PostgreSQL.
    pub fn find(conn: &mut AnyConnection, id: &str) -> QueryResult<Option<Self>> {
        let query = withdrawals::table.find(id);
        super::first_locked!(conn, query.select(Self::as_select()))
    }

    /// Marks a pending (rejected) or paid (returned) withdrawal returned;
    /// exactly one caller wins.
    pub fn mark_returned(
        conn: &mut AnyConnection,
        id: &str,
        return_bank_txn_id: &str,
        entry_id: &str,
        now: NaiveDateTime,
    ) -> QueryResult<bool> {
        diesel::update(
            withdrawals::table
                .find(id)
                .filter(withdrawals::status.eq_any(["pending", "paid"])),
        )
        .set((
            withdrawals::status.eq("returned"),
            withdrawals::return_bank_txn_id.eq(Some(return_bank_txn_id)),
            withdrawals::returned_entry_id.eq(Some(entry_id)),
            withdrawals::returned_at.eq(Some(now)),
        ))
        .execute(conn)
        .map(|n| n == 1)
    }

    /// A user's withdrawals, newest first, before the id `before`.
    pub fn page_of_user(
        conn: &mut AnyConnection,
        user_id: &str,
        before: Option<&str>,
        limit: i64,
    ) -> QueryResult<Vec<Self>> {
        let mut query = withdrawals::table
            .filter(withdrawals::user_id.eq(user_id))
            .order(withdrawals::id.desc())
            .limit(limit)
            .select(Self::as_select())
            .into_boxed::<Backend>();
        if let Some(before) = before {
            query = query.filter(withdrawals::id.lt(before.to_string()));
        }
        query.load(conn)
    }
}

/// Which way money crossed the bank boundary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Into the platform's bank account.
    Credit,
    /// Out of it.
    Debit,
}

/// One movement of money across the bank boundary: written in the
/// transaction of the journal entry that posts it against the external bank.
pub struct Transfer<'a> {
    pub direction: Direction,
    /// deposit | withdrawal | unallocated_deposit | deposit_return | withdrawal_return
    pub kind: &'static str,
    /// The deposit, withdrawal or unallocated deposit it belongs to.
    pub subject_id: &'a str,
    pub bank_txn_id: Option<&'a str>,
    pub reference: &'a str,
    pub amount: i64,
    pub entry_id: &'a str,
}

/// Whether a transfer with this bank transaction id is on the books.
pub fn transfer_exists(conn: &mut AnyConnection, bank_txn_id: &str) -> QueryResult<bool> {
    let n: i64 = bank_transfers::table
        .filter(bank_transfers::bank_txn_id.eq(bank_txn_id))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

pub fn record_transfer(
    conn: &mut AnyConnection,
    t: &Transfer<'_>,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::insert_into(bank_transfers::table)
        .values((
            bank_transfers::id.eq(format!("{}:{}", t.kind, t.subject_id)),
            bank_transfers::direction.eq(match t.direction {
                Direction::Credit => "credit",
                Direction::Debit => "debit",
            }),
            bank_transfers::kind.eq(t.kind),
            bank_transfers::subject_id.eq(t.subject_id),
            bank_transfers::bank_txn_id.eq(t.bank_txn_id),
            bank_transfers::reference.eq(t.reference),
            bank_transfers::amount.eq(t.amount),
            bank_transfers::entry_id.eq(t.entry_id),
            bank_transfers::booked_at.eq(now),
        ))
        .execute(conn)
}

/// Records a bank notification once per bank transaction id. Returns false
/// when that id was seen before (the earlier record stands).
pub fn record_bank_event(
    conn: &mut AnyConnection,
    bank_txn_id: &str,
    kind: &str,
    reference: &str,
    amount: i64,
    raw_body: &str,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    use diesel::result::{DatabaseErrorKind, Error};
    // In a savepoint: on PostgreSQL a failed statement would otherwise abort
    // the caller's whole transaction.
    let inserted = conn.transaction(|conn| {
        diesel::insert_into(bank_events::table)
            .values((
                bank_events::bank_txn_id.eq(bank_txn_id),
                bank_events::kind.eq(kind),
                bank_events::reference.eq(reference),
                bank_events::amount.eq(amount),
                bank_events::outcome.eq("processing"),
                bank_events::raw_body.eq(raw_body),
                bank_events::received_at.eq(now),
            ))
            .execute(conn)
    });
    match inserted {
        Ok(_) => Ok(true),
        Err(Error::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => Ok(false),
        Err(e) => Err(e),
    }
}

pub fn set_bank_event_outcome(
    conn: &mut AnyConnection,
    bank_txn_id: &str,
    outcome: &str,
) -> QueryResult<usize> {
    diesel::update(bank_events::table.find(bank_txn_id))
        .set(bank_events::outcome.eq(outcome))
        .execute(conn)
}

pub fn bank_event_outcome(
    conn: &mut AnyConnection,
    bank_txn_id: &str,
) -> QueryResult<Option<String>> {
    bank_events::table
        .find(bank_txn_id)
        .select(bank_events::outcome)
        .first(conn)
        .optional()
}

/// Which notifications booked nothing (outcomes an older release left off
/// the books: no transfer carries their id, and they are not the rejection
/// of a payout that never left), oldest first.
pub fn unbooked_events(conn: &mut AnyConnection) -> QueryResult<Vec<String>> {
    bank_events::table
        .filter(bank_events::outcome.eq_any([
            "unmatched",
            "amount_mismatch",
            "already_settled",
            "return_uncovered",
        ]))
        .filter(diesel::dsl::not(diesel::dsl::exists(
            bank_transfers::table
                .filter(bank_transfers::bank_txn_id.eq(bank_events::bank_txn_id.nullable())),
        )))
        .order(bank_events::received_at.asc())
        .select(bank_events::bank_txn_id)
        .load(conn)
}

/// The raw body of a notification that booked nothing, its row locked on
/// PostgreSQL; None once a transfer carries its id (booked meanwhile).
pub fn lock_unbooked_event(
    conn: &mut AnyConnection,
    bank_txn_id: &str,
) -> QueryResult<Option<String>> {
    let query = bank_events::table
        .find(bank_txn_id)
        .select(bank_events::raw_body);
    let raw: Option<String> = super::first_locked!(conn, query)?;
    if raw.is_none() || transfer_exists(conn, bank_txn_id)? {
        return Ok(None);
    }
    Ok(raw)
}
