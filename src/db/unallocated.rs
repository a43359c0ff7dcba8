//! The `unallocated_deposits` table: incoming money that matched no deposit,
//! held in the suspense account until it is credited or returned.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::unallocated_deposits;
use super::{AnyConnection, Backend};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = unallocated_deposits)]
pub struct Unallocated {
    pub id: String,
    pub bank_txn_id: String,
    pub reference: String,
    pub amount: i64,
    pub reason: String,
    pub deposit_id: Option<String>,
    pub status: String,
    pub credited_to: Option<String>,
    pub resolved_by: Option<String>,
    pub resolved_at: Option<NaiveDateTime>,
    pub return_bank_txn_id: Option<String>,
    pub note: Option<String>,
    pub received_at: NaiveDateTime,
}

/// What a new row records.
pub struct NewUnallocated<'a> {
    pub id: &'a str,
    pub bank_txn_id: &'a str,
    pub reference: &'a str,
    pub amount: i64,
    pub reason: &'a str,
    pub deposit_id: Option<&'a str>,
    pub entry_id: &'a str,
}

/// How one is resolved.
pub enum Resolution<'a> {
    /// Credited to this investor.
    Credited { investor_id: &'a str },
    /// Sent back to the sender, by the bank or by an operator.
    Returned { bank_txn_id: Option<&'a str> },
}

impl Unallocated {
    pub fn insert(
        conn: &mut AnyConnection,
        row: &NewUnallocated<'_>,
        now: NaiveDateTime,
    ) -> QueryResult<usize> {
        diesel::insert_into(unallocated_deposits::table)
            .values((
                unallocated_deposits::id.eq(row.id),
                unallocated_deposits::bank_txn_id.eq(row.bank_txn_id),
                unallocated_deposits::reference.eq(row.reference),
                unallocated_deposits::amount.eq(row.amount),
                unallocated_deposits::reason.eq(row.reason),
                unallocated_deposits::deposit_id.eq(row.deposit_id),
                unallocated_deposits::status.eq("open"),
                unallocated_deposits::entry_id.eq(row.entry_id),
                unallocated_deposits::received_at.eq(now),
            ))
            .execute(conn)
    }

    /// One row, locked on PostgreSQL until the transaction ends, so that
    /// two resolutions of it queue (the second sees it resolved).
    pub fn find(conn: &mut AnyConnection, id: &str) -> QueryResult<Option<Self>> {
        let query = unallocated_deposits::table.find(id);
        super::first_locked!(conn, query.select(Self::as_select()))
    }

    /// The row the bank transaction `bank_txn_id` brought in, locked as [`Self::find`].
    pub fn find_by_bank_txn(
        conn: &mut AnyConnection,
        bank_txn_id: &str,
    ) -> QueryResult<Option<Self>> {
        let query =
            unallocated_deposits::table.filter(unallocated_deposits::bank_txn_id.eq(bank_txn_id));
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
        let target = unallocated_deposits::table
            .find(id)
            .filter(unallocated_deposits::status.eq("open"));
        let common = (
            unallocated_deposits::resolved_entry_id.eq(Some(entry_id)),
            unallocated_deposits::resolved_by.eq(Some(by)),
            unallocated_deposits::resolved_at.eq(Some(now)),
            unallocated_deposits::note.eq(note),
        );
        let changed = match how {
            Resolution::Credited { investor_id } => diesel::update(target)
                .set((
                    unallocated_deposits::status.eq("credited"),
                    unallocated_deposits::credited_to.eq(Some(*investor_id)),
                    common,
                ))
                .execute(conn)?,
            Resolution::Returned { bank_txn_id } => diesel::update(target)
                .set((
                    unallocated_deposits::status.eq("returned"),
                    unallocated_deposits::return_bank_txn_id.eq(*bank_txn_id),
                    common,
                ))
                .execute(conn)?,
        };
        Ok(changed == 1)
    }

    /// A credited row whose money the bank took back: `returned`, keeping
    /// who it was credited to. False when it was not credited.
    pub fn mark_credit_returned(
        conn: &mut AnyConnection,
        id: &str,
        bank_txn_id: &str,
    ) -> QueryResult<bool> {
        diesel::update(
            unallocated_deposits::table
                .find(id)
                .filter(unallocated_deposits::status.eq("credited")),
        )
        .set((
            unallocated_deposits::status.eq("returned"),
            unallocated_deposits::return_bank_txn_id.eq(Some(bank_txn_id)),
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
        let mut query = unallocated_deposits::table
            .order(unallocated_deposits::id.desc())
            .limit(limit)
            .select(Self::as_select())
            .into_boxed::<Backend>();
        if let Some(status) = status {
            query = query.filter(unallocated_deposits::status.eq(status.to_string()));
        }
        if let Some(before) = before {
            query = query.filter(unallocated_deposits::id.lt(before.to_string()));
        }
        query.load(conn)
    }
}
