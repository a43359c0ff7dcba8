//! Matching the custodian bank's statement against the movements of money
//! across the bank boundary the ledger recorded (`bank_transfers`: deposits,
//! payouts, unallocated money in, and returns either way). Read-only:
//! uploading the same statement again gives the same answer and changes
//! nothing.

use std::collections::{HashMap, HashSet};

use chrono::{NaiveDateTime, TimeDelta};
use diesel::prelude::*;
use serde::Serialize;

use crate::db::schema::bank_transfers;
use crate::db::AnyConnection;
use crate::domain::statement::{Direction, StatementLine};

use super::error::ServiceResult;
use super::views::utc;

/// A movement of money across the bank boundary, as the ledger knows it.
#[derive(Debug, Clone, Serialize)]
pub struct LedgerMovement {
    /// deposit | withdrawal | unallocated_deposit | deposit_return | withdrawal_return
    pub kind: String,
    /// The deposit, withdrawal or unallocated deposit it belongs to.
    pub id: String,
    pub reference: String,
    pub amount: i64,
    pub bank_txn_id: Option<String>,
    pub at: chrono::DateTime<chrono::Utc>,
}

#[derive(Debug, Serialize)]
pub struct Matched {
    pub line: u64,
    pub bank_txn_id: String,
    /// `bank_txn_id` (the bank's id is on our record) or `reference` (only
    /// our reference matched: the bank's id differs; worth a look).
    pub matched_by: &'static str,
    pub ledger: LedgerMovement,
}

#[derive(Debug, Serialize)]
pub struct Mismatch {
    pub line: u64,
    pub bank_txn_id: String,
    pub statement_amount: i64,
    pub ledger: LedgerMovement,
}

#[derive(Debug, Serialize)]
pub struct Unmatched {
    pub line: u64,
    pub bank_txn_id: String,
    pub reference: String,
    pub amount: i64,
    pub direction: &'static str,
}

#[derive(Debug, Serialize)]
pub struct StatementReport {
    pub lines: usize,
    pub period_from: Option<chrono::DateTime<chrono::Utc>>,
    pub period_to: Option<chrono::DateTime<chrono::Utc>>,
    pub matched: Vec<Matched>,
    pub amount_mismatches: Vec<Mismatch>,
    pub unmatched_in_statement: Vec<Unmatched>,
    pub unmatched_in_ledger: Vec<LedgerMovement>,
}

type Row = (String, String, String, i64, Option<String>, NaiveDateTime);

fn direction_text(direction: Direction) -> &'static str {
    match direction {
        Direction::Credit => "credit",
        Direction::Debit => "debit",
    }
}

fn movement((kind, id, reference, amount, bank_txn_id, at): Row) -> LedgerMovement {
    LedgerMovement {
        kind,
        id,
        reference,
        amount,
        bank_txn_id,
        at: utc(at),
    }
}

/// The transfers of one direction that carry one of these bank ids or references.
fn movements(
    conn: &mut AnyConnection,
    direction: Direction,
    bank_ids: &[String],
    references: &[String],
) -> QueryResult<Vec<LedgerMovement>> {
    let mut rows: Vec<Row> = Vec::new();
    // In chunks: each value is a bound parameter.
    for (ids, refs) in bank_ids.chunks(500).zip(references.chunks(500)) {
        let chunk: Vec<Row> = bank_transfers::table
            .filter(bank_transfers::direction.eq(direction_text(direction)))
            .filter(
                bank_transfers::bank_txn_id
                    .eq_any(ids)
                    .or(bank_transfers::reference.eq_any(refs)),
            )
            .select(COLUMNS)
            .load(conn)?;
        rows.extend(chunk);
    }
    Ok(rows.into_iter().map(movement).collect())
}

const COLUMNS: (
    bank_transfers::kind,
    bank_transfers::subject_id,
    bank_transfers::reference,
    bank_transfers::amount,
    bank_transfers::bank_txn_id,
    bank_transfers::booked_at,
) = (
    bank_transfers::kind,
    bank_transfers::subject_id,
    bank_transfers::reference,
    bank_transfers::amount,
    bank_transfers::bank_txn_id,
    bank_transfers::booked_at,
);

/// Transfers booked inside [from, to).
fn movements_between(
    conn: &mut AnyConnection,
    from: NaiveDateTime,
    to: NaiveDateTime,
) -> QueryResult<Vec<LedgerMovement>> {
    let rows: Vec<Row> = bank_transfers::table
        .filter(
            bank_transfers::booked_at
                .ge(from)
                .and(bank_transfers::booked_at.lt(to)),
        )
        .order(bank_transfers::booked_at.asc())
        .select(COLUMNS)
        .load(conn)?;
    Ok(rows.into_iter().map(movement).collect())
}

/// Files a line that found its ledger movement: matched, or a mismatch.
fn settle_line(
    report: &mut StatementReport,
    line: &StatementLine,
    m: &LedgerMovement,
    matched_by: &'static str,
) {
    if m.amount == line.amount {
        report.matched.push(Matched {
            line: line.line,
            bank_txn_id: line.bank_txn_id.clone(),
            matched_by,
            ledger: m.clone(),
        });
    } else {
        report.amount_mismatches.push(Mismatch {
            line: line.line,
            bank_txn_id: line.bank_txn_id.clone(),
            statement_amount: line.amount,
            ledger: m.clone(),
        });
    }
}

/// Matches each statement line to the ledger: first by the bank's transaction
/// id, then by our reference. Ledger movements of the statement's period
/// (whole days) that no line matched are reported as unmatched in the ledger.
pub fn match_statement(
    conn: &mut AnyConnection,
    lines: &[StatementLine],
) -> ServiceResult<StatementReport> {
    let mut report = StatementReport {
        lines: lines.len(),
        period_from: None,
        period_to: None,
        matched: Vec::new(),
        amount_mismatches: Vec::new(),
        unmatched_in_statement: Vec::new(),
        unmatched_in_ledger: Vec::new(),
    };
    let mut used: HashSet<(String, String)> = HashSet::new();
    for direction in [Direction::Credit, Direction::Debit] {
        let side: Vec<&StatementLine> = lines.iter().filter(|l| l.direction == direction).collect();
        let ids: Vec<String> = side.iter().map(|l| l.bank_txn_id.clone()).collect();
        let refs: Vec<String> = side.iter().map(|l| l.reference.clone()).collect();
        let known = movements(conn, direction, &ids, &refs)?;
        let by_txn: HashMap<&str, &LedgerMovement> = known
            .iter()
            .filter_map(|m| m.bank_txn_id.as_deref().map(|t| (t, m)))
            .collect();
        let by_ref: HashMap<&str, &LedgerMovement> =
            known.iter().map(|m| (m.reference.as_str(), m)).collect();
        // Two passes, so the outcome does not depend on line order: first the
        // bank's own transaction ids, then our references for what is left.
        let mut pending = Vec::new();
        for line in side {
            match by_txn.get(line.bank_txn_id.as_str()).copied() {
                Some(m) if !used.contains(&(m.kind.clone(), m.id.clone())) => {
                    used.insert((m.kind.clone(), m.id.clone()));
                    settle_line(&mut report, line, m, "bank_txn_id");
                }
                _ => pending.push(line),
            }
        }
        for line in pending {
            let found = by_ref
                .get(line.reference.as_str())
                .copied()
                .filter(|_| !line.reference.is_empty())
                .filter(|m| !used.contains(&(m.kind.clone(), m.id.clone())));
            match found {
                Some(m) => {
                    used.insert((m.kind.clone(), m.id.clone()));
                    settle_line(&mut report, line, m, "reference");
                }
                None => report.unmatched_in_statement.push(Unmatched {
                    line: line.line,
                    bank_txn_id: line.bank_txn_id.clone(),
                    reference: line.reference.clone(),
                    amount: line.amount,
                    direction: line.direction.as_str(),
                }),
            }
        }
    }
    report.matched.sort_by_key(|m| m.line);
    report.amount_mismatches.sort_by_key(|m| m.line);
    report.unmatched_in_statement.sort_by_key(|m| m.line);
    let first = lines.iter().map(|l| l.booked_at.date()).min();
    let last = lines.iter().map(|l| l.booked_at.date()).max();
    if let (Some(first), Some(last)) = (first, last) {
        let from = first.and_hms_opt(0, 0, 0).unwrap_or_default();
        let to = last.and_hms_opt(0, 0, 0).unwrap_or_default() + TimeDelta::days(1);
        report.period_from = Some(utc(from));
        report.period_to = Some(utc(to));
        report.unmatched_in_ledger = movements_between(conn, from, to)?
            .into_iter()
            .filter(|m| !used.contains(&(m.kind.clone(), m.id.clone())))
            .collect();
    }
    Ok(report)
}
