//! Deposits, withdrawals and the bank's notifications.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{bank_events, deposits, withdrawals};
use super::AnyConnection;

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
        // `as_select` fixes its backend at first use, so each arm builds its own query.
        let query = deposits::table.filter(deposits::reference.eq(reference));
        match conn {
            AnyConnection::Postgresql(c) => query
                .select(Self::as_select())
                .for_update()
                .first(c)
                .optional(),
            AnyConnection::Sqlite(c) => query.select(Self::as_select()).first(c).optional(),
        }
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
    pub created_at: NaiveDateTime,
    pub paid_at: Option<NaiveDateTime>,
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
        // `as_select` fixes its backend at first use, so each arm builds its own query.
        let query = withdrawals::table.filter(withdrawals::reference.eq(reference));
        match conn {
            AnyConnection::Postgresql(c) => query
                .select(Self::as_select())
                .for_update()
                .first(c)
                .optional(),
            AnyConnection::Sqlite(c) => query.select(Self::as_select()).first(c).optional(),
        }
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
