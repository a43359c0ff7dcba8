//! The `unreconciled_movements` table: money that left the bank and matched
//! no transfer of ours (or not its amount or reference), held in the account
//! of unreconciled bank movements until an operator assigns it to a
//! withdrawal or deposit, or writes it off.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::unreconciled_movements;
use super::{AnyConnection, Backend};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = unreconciled_movements)]
pub struct Unreconciled {
    pub id: String,
    pub bank_txn_id: String,
    pub kind: String,
    pub reference: String,
    pub original_bank_txn_id: Option<String>,
    pub amount: i64,
    pub reason: String,
    pub withdrawal_id: Option<String>,
    pub deposit_id: Option<String>,
    pub status: String,
    pub assigned_kind: Option<String>,
    pub assigned_id: Option<String>,
    pub resolved_by: Option<String>,
    pub resolved_at: Option<NaiveDateTime>,
    pub note: Option<String>,
    pub received_at: NaiveDateTime,
}

/// What a new row records.
pub struct NewUnreconciled<'a> {
    pub id: &'a str,
    pub bank_txn_id: &'a str,
    /// `withdrawal` (a payout) or `deposit_returned`.
    pub kind: &'a str,
    pub reference: &'a str,
    pub original_bank_txn_id: Option<&'a str>,
    pub amount: i64,
    pub reason: &'a str,
    pub withdrawal_id: Option<&'a str>,
    pub deposit_id: Option<&'a str>,
    pub entry_id: &'a str,
}

/// How one is resolved.
pub enum Resolution<'a> {
    /// The bank's side of this withdrawal or deposit.
    Assigned { kind: &'a str, id: &'a str },
    /// The platform's loss, with the operator's reason.
    WrittenOff,
}

impl Unreconciled {
    pub fn insert(
        conn: &mut AnyConnection,
        row: &NewUnreconciled<'_>,
        now: NaiveDateTime,
    ) -> QueryResult<usize> {
        diesel::insert_into(unreconciled_movements::table)
            .values((
                unreconciled_movements::id.eq(row.id),
                unreconciled_movements::bank_txn_id.eq(row.bank_txn_id),
                unreconciled_movements::kind.eq(row.kind),
                unreconciled_movements::reference.eq(row.reference),
                unreconciled_movements::original_bank_txn_id.eq(row.original_bank_txn_id),
                unreconciled_movements::amount.eq(row.amount),
                unreconciled_movements::reason.eq(row.reason),
                unreconciled_movements::withdrawal_id.eq(row.withdrawal_id),
                unreconciled_movements::deposit_id.eq(row.deposit_id),
                unreconciled_movements::status.eq("open"),
                unreconciled_movements::entry_id.eq(row.entry_id),
                unreconciled_movements::received_at.eq(now),
            ))
            .execute(conn)
    }

    /// One row, locked on PostgreSQL until the transaction ends, so that two
    /// resolutions of it queue (the second sees it resolved).
    pub fn find(conn: &mut AnyConnection, id: &str) -> QueryResult<Option<Self>> {
        let query = unreconciled_movements::table.find(id);
        super::first_locked!(conn, query.select(Self::as_select()))
    }

    /// The open return, reported by the bank before the money it returns,
    /// of the transfer `original_bank_txn_id`, locked as [`Self::find`].
    pub fn open_return_of(
        conn: &mut AnyConnection,
        original_bank_txn_id: &str,
    ) -> QueryResult<Option<Self>> {
        let query = unreconciled_movements::table
            .filter(unreconciled_movements::kind.eq("deposit_returned"))
            .filter(unreconciled_movements::status.eq("open"))
            .filter(unreconciled_movements::original_bank_txn_id.eq(original_bank_txn_id))
            .order(unreconciled_movements::id.asc());
        super::first_locked!(conn, query.select(Self::as_select()))
    }

    /// Resolves an open row; false when it was not open.
    pub fn resolve(
        conn: &mut AnyConnection,
        id: &str,
        how: &Resolution<'_>,
        entry_id: &str,
        by: &str,
        note: Option<&str>,
        now: NaiveDateTime,
    ) -> QueryResult<bool> {
        let (status, kind, assigned) = match how {
            Resolution::Assigned { kind, id } => ("assigned", Some(*kind), Some(*id)),
            Resolution::WrittenOff => ("written_off", None, None),
        };
        diesel::update(
            unreconciled_movements::table
                .find(id)
                .filter(unreconciled_movements::status.eq("open")),
        )
        .set((
            unreconciled_movements::status.eq(status),
            unreconciled_movements::assigned_kind.eq(kind),
            unreconciled_movements::assigned_id.eq(assigned),
            unreconciled_movements::resolved_entry_id.eq(Some(entry_id)),
            unreconciled_movements::resolved_by.eq(Some(by)),
            unreconciled_movements::resolved_at.eq(Some(now)),
            unreconciled_movements::note.eq(note),
        ))
        .execute(conn)
        .map(|n| n == 1)
    }

    /// Rows with this status (all with None), newest first, before the id `before`.
    pub fn page(
        conn: &mut AnyConnection,
        status: Option<&str>,
        before: Option<&str>,
        limit: i64,
    ) -> QueryResult<Vec<Self>> {
        let mut query = unreconciled_movements::table
            .order(unreconciled_movements::id.desc())
            .limit(limit)
            .select(Self::as_select())
            .into_boxed::<Backend>();
        if let Some(status) = status {
            query = query.filter(unreconciled_movements::status.eq(status.to_string()));
        }
        if let Some(before) = before {
            query = query.filter(unreconciled_movements::id.lt(before.to_string()));
        }
        query.load(conn)
    }
}
