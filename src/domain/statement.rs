//! The custodian bank's statement as CSV: parsed and checked line by line,
//! every refusal naming the line.

use chrono::{NaiveDate, NaiveDateTime};

use super::money::MAX_AMOUNT;
use crate::i18n::Text;

pub const COLUMNS: [&str; 5] = [
    "bank_txn_id",
    "booked_at",
    "amount",
    "direction",
    "reference",
];
pub const MAX_LINES: usize = 200_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Money in (a deposit).
    Credit,
    /// Money out (a payout).
    Debit,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Credit => "credit",
            Self::Debit => "debit",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatementLine {
    /// The line in the file (the header is line 1).
    pub line: u64,
    pub bank_txn_id: String,
    pub booked_at: NaiveDateTime,
    pub amount: i64,
    pub direction: Direction,
    pub reference: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct StatementError {
    pub line: u64,
    /// The whole sentence, naming the line ("line 3: amount must be ..."),
    /// in the reader's language when shown.
    pub message: Text,
}

/// `message` names the line as `{ $line }`.
fn error(line: u64, message: Text) -> StatementError {
    StatementError {
        line,
        message: message.number("line", i64::try_from(line).unwrap_or(i64::MAX)),
    }
}

/// A booking date: RFC 3339 or YYYY-MM-DD, in years 1900 to 9999 (what both
/// databases store, and what a bank statement can hold).
fn parse_time(s: &str) -> Option<NaiveDateTime> {
    use chrono::Datelike;
    chrono::DateTime::parse_from_rfc3339(s)
        .map(|t| t.naive_utc())
        .ok()
        .or_else(|| {
            NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .ok()
                .and_then(|d| d.and_hms_opt(0, 0, 0))
        })
        .filter(|t| (1900..=9999).contains(&t.year()))
}

fn text_field(
    line: u64,
    name: &str,
    value: &str,
    required: bool,
) -> Result<String, StatementError> {
    let value = value.trim();
    if required && value.is_empty() {
        return Err(error(
            line,
            Text::new("problem-invalid_statement-empty").text("column", name),
        ));
    }
    if value.len() > 100 || value.chars().any(char::is_control) {
        return Err(error(
            line,
            Text::new("problem-invalid_statement-too_long").text("column", name),
        ));
    }
    Ok(value.to_string())
}

/// Parses a whole statement. Columns may come in any order; extra columns
/// are ignored; a bank transaction id may appear once.
pub fn parse(bytes: &[u8]) -> Result<Vec<StatementLine>, StatementError> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(bytes);
    let headers = reader
        .headers()
        .map_err(|e| {
            error(
                1,
                Text::new("problem-invalid_statement-header").text("error", e.to_string()),
            )
        })?
        .clone();
    let position = |name: &str| headers.iter().position(|h| h.eq_ignore_ascii_case(name));
    let mut index = [0usize; 5];
    for (slot, name) in index.iter_mut().zip(COLUMNS) {
        *slot = position(name).ok_or_else(|| {
            error(
                1,
                Text::new("problem-invalid_statement-missing_column").text("column", name),
            )
        })?;
    }
    let mut lines = Vec::new();
    let mut seen: std::collections::HashMap<String, u64> = std::collections::HashMap::new();
    for record in reader.records() {
        let record = record.map_err(|e| {
            let line = e.position().map_or(0, |p| p.line());
            error(
                line,
                Text::new("problem-invalid_statement-malformed").text("error", e.to_string()),
            )
        })?;
        let line = record.position().map_or(0, |p| p.line());
        if lines.len() >= MAX_LINES {
            return Err(error(
                line,
                Text::new("problem-invalid_statement-too_many_lines")
                    .number("max", MAX_LINES as i64),
            ));
        }
        let field = |i: usize| record.get(index[i]).unwrap_or("");
        let bank_txn_id = text_field(line, "bank_txn_id", field(0), true)?;
        let booked_at = parse_time(field(1)).ok_or_else(|| {
            error(
                line,
                Text::new("problem-invalid_statement-booked_at")
                    .text("value", format!("{:?}", field(1))),
            )
        })?;
        let amount: i64 = field(2).parse().map_err(|_| {
            error(
                line,
                Text::new("problem-invalid_statement-amount_unreadable")
                    .text("value", format!("{:?}", field(2))),
            )
        })?;
        if amount <= 0 || amount > MAX_AMOUNT {
            return Err(error(
                line,
                Text::new("problem-invalid_statement-amount_range").number("max", MAX_AMOUNT),
            ));
        }
        let direction = match field(3).to_ascii_lowercase().as_str() {
            "credit" => Direction::Credit,
            "debit" => Direction::Debit,
            other => {
                return Err(error(
                    line,
                    Text::new("problem-invalid_statement-direction")
                        .text("value", format!("{other:?}")),
                ))
            }
        };
        let reference = text_field(line, "reference", field(4), false)?;
        if let Some(first) = seen.insert(bank_txn_id.clone(), line) {
            return Err(error(
                line,
                Text::new("problem-invalid_statement-duplicate")
                    .text("id", bank_txn_id)
                    .number("first", i64::try_from(first).unwrap_or(i64::MAX)),
            ));
        }
        lines.push(StatementLine {
            line,
            bank_txn_id,
            booked_at,
            amount,
            direction,
            reference,
        });
    }
    Ok(lines)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEAD: &str = "bank_txn_id,booked_at,amount,direction,reference\n";

    #[test]
    fn parses_lines_in_any_column_order() {
        let text = "reference,amount,direction,booked_at,bank_txn_id,memo\nDEP-1,500,credit,2026-11-01,T1,x\n\
                    WDR-1,200,DEBIT,2026-11-02T10:00:00Z,T2,y\n";
        let lines = parse(text.as_bytes()).unwrap();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].line, 2);
        assert_eq!(lines[0].reference, "DEP-1");
        assert_eq!(lines[1].direction, Direction::Debit);
    }

    #[test]
    fn every_refusal_names_its_line() {
        let cases = [
            ("bank_txn_id,amount\nT1,5\n", 1, "missing column"),
            (
                &format!("{HEAD}T1,2026-11-01,12.50,credit,R\n") as &str,
                2,
                "amount",
            ),
            (
                &format!("{HEAD}T1,2026-11-01,100,credit,R\nT2,yesterday,100,credit,R\n"),
                3,
                "booked_at",
            ),
            (
                &format!("{HEAD}T1,2026-11-01,100,sideways,R\n"),
                2,
                "direction",
            ),
            (
                &format!("{HEAD}T1,2026-11-01,100,credit,R\nT1,2026-11-01,100,credit,R\n"),
                3,
                "already appears on line 2",
            ),
            (
                &format!("{HEAD},2026-11-01,100,credit,R\n"),
                2,
                "bank_txn_id",
            ),
            (&format!("{HEAD}T1,2026-11-01,100,credit\n"), 2, "malformed"),
            (&format!("{HEAD}T1,2026-11-01,-5,credit,R\n"), 2, "amount"),
            (
                &format!("{HEAD}T1,+262142-12-31,5,credit,R\n"),
                2,
                "booked_at",
            ),
            (
                &format!("{HEAD}T1,-5000-01-01,5,credit,R\n"),
                2,
                "booked_at",
            ),
        ];
        for (text, line, needle) in cases {
            let e = parse(text.as_bytes()).unwrap_err();
            assert_eq!(e.line, line, "{text}: {e}");
            let message = e.message.to_string();
            assert!(message.contains(needle), "{text}: {e}");
            assert!(
                message.starts_with(&format!("line {line}: ")),
                "{text}: {e}"
            );
        }
    }
}
