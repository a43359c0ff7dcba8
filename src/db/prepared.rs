//! Hand-written statements whose text is the same whatever their data, so
//! that each connection prepares them once.
//!
//! diesel prepares a raw statement (`sql_query`) afresh on every run, and a
//! multi-row `VALUES` list has a different text for every number of rows:
//! PostgreSQL parsed, analysed and planned each of a batch's ten statements
//! every time, a sixth of the machine's CPU in a hot launch. Here a batch's
//! rows travel as one JSON array bound as text and are read back in SQL
//! ([`Statement::rows`]); the text never changes, and diesel's statement
//! cache keeps the statement prepared: on SQLite a compiled statement, on
//! PostgreSQL a named statement, planned generically after its first runs.
//!
//! A statement that joins its rows to a table that grows as fast as a
//! launch writes (subscriptions, idempotency keys) is not kept prepared
//! ([`Statement::planned_each_run`]): PostgreSQL would keep the generic plan
//! it made while the table was small (a hash join over a sequential scan)
//! after the table grew, until its next `ANALYZE`. Measured in a launch from
//! a fresh database: half the throughput at 16 offerings. Planned each run,
//! it still gains the fixed text: a JSON array is parsed faster than
//! hundreds of placeholders. A join to a table that a launch does not grow
//! (accounts, offerings) is kept prepared: planning it cost PostgreSQL
//! ~175 µs a statement, each batch, and the table's size when it was
//! planned is its size during the launch (an `ANALYZE`, which its updates
//! bring, plans it again as the platform grows).
//! SQLite keeps even those prepared: it plans without statistics (no
//! `ANALYZE` here), so a plan made at the first run is the plan it would make
//! at any other, and a statement re-planned each run cost it twice over (once
//! to prepare, once more when the bound `LIMIT` invalidated the plan): a
//! sixth of the write pipeline's thread in a hot launch.
//!
//! Writes that answer nothing can go together ([`Writes`]): on PostgreSQL
//! one statement of data-modifying `WITH` clauses, one round trip instead of
//! one each.
//!
//! Values are bound, never written into the text, so quoting is never a
//! question; the JSON is produced by `serde_json` and read by the
//! database's own JSON functions, which give every string back as it was.

use std::borrow::Cow;

use chrono::NaiveDateTime;
use diesel::backend::Backend;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::serialize::ToSql;
use diesel::sql_types::{BigInt, HasSqlType, Text, Timestamp, Untyped};
use diesel::{QueryResult, RunQueryDsl};

use super::AnyConnection;

/// The SQL type a column of [`Statement::rows`] is read as.
#[derive(Debug, Clone, Copy)]
pub enum Column {
    Text,
    BigInt,
    Integer,
}

/// A statement built from fixed text and bound values, in text order.
#[must_use]
pub struct Statement {
    sqlite: bool,
    keep_prepared: bool,
    parts: Vec<Part>,
}

enum Part {
    Sql(Cow<'static, str>),
    Text(String),
    BigInt(i64),
    Timestamp(NaiveDateTime),
}

impl Statement {
    pub fn new(conn: &AnyConnection) -> Self {
        Self {
            sqlite: matches!(conn, AnyConnection::Sqlite(_)),
            keep_prepared: true,
            parts: Vec::new(),
        }
    }

    /// A statement for a connection known to be SQLite's own.
    pub(super) fn sqlite() -> Self {
        Self {
            sqlite: true,
            keep_prepared: true,
            parts: Vec::new(),
        }
    }

    /// Not kept prepared on PostgreSQL: planned afresh on each run, with
    /// the tables as they are then (see the module's notes).
    pub fn planned_each_run(mut self) -> Self {
        self.keep_prepared = self.sqlite;
        self
    }

    /// Fixed text. It must not depend on the data: that is what keeps the
    /// statement prepared.
    pub fn sql(mut self, text: impl Into<Cow<'static, str>>) -> Self {
        self.parts.push(Part::Sql(text.into()));
        self
    }

    pub fn text(mut self, value: impl Into<String>) -> Self {
        self.parts.push(Part::Text(value.into()));
        self
    }

    pub fn bigint(mut self, value: i64) -> Self {
        self.parts.push(Part::BigInt(value));
        self
    }

    pub fn timestamp(mut self, value: NaiveDateTime) -> Self {
        self.parts.push(Part::Timestamp(value));
        self
    }

    /// `col, col, ...`: the columns of the rows bound by [`Self::from_rows`],
    /// each read as its type (the `n`th is element `n` of each row).
    pub fn columns(mut self, columns: &[Column]) -> Self {
        let list: Vec<String> = columns
            .iter()
            .enumerate()
            .map(|(i, column)| match column {
                Column::Text => format!("r.v ->> {i}"),
                Column::BigInt => format!("CAST(r.v ->> {i} AS BIGINT)"),
                Column::Integer => format!("CAST(r.v ->> {i} AS INTEGER)"),
            })
            .collect();
        self.parts.push(Part::Sql(Cow::Owned(list.join(", "))));
        self
    }

    /// ` FROM <rows> AS r WHERE true`: one row per element of `rows`, each
    /// serialized as a JSON array (a tuple), read by [`Self::columns`].
    /// (`WHERE true` lets SQLite parse an `ON CONFLICT` after it.) On
    /// PostgreSQL it ends with `LIMIT <how many>`: the planner takes a JSON
    /// array for 100 rows otherwise, and would hash a whole table to join
    /// 5 rows to it. A statement planned each run sees the number; a
    /// prepared one's generic plan assumes a tenth of 100, which keeps a
    /// join to any table of more than a few pages on its index.
    pub fn from_rows<T: serde::Serialize>(mut self, rows: &[T]) -> QueryResult<Self> {
        let json = serde_json::to_string(rows)
            .map_err(|e| diesel::result::Error::SerializationError(Box::new(e)))?;
        if self.sqlite {
            self = self
                .sql(" FROM (SELECT value AS v FROM json_each(")
                .text(json)
                .sql(")) AS r WHERE true");
        } else {
            self = self
                .sql(" FROM jsonb_array_elements(CAST(")
                .text(json)
                .sql(" AS jsonb)) AS r (v) WHERE true");
        }
        if !self.sqlite {
            let count = i64::try_from(rows.len()).unwrap_or(i64::MAX);
            self = self.sql(" LIMIT ").bigint(count);
        }
        Ok(self)
    }

    /// `SELECT <columns> FROM <rows> AS r WHERE true`.
    pub fn rows<T: serde::Serialize>(self, columns: &[Column], rows: &[T]) -> QueryResult<Self> {
        self.sql("SELECT ").columns(columns).from_rows(rows)
    }
}

/// Statements that write rows and answer nothing, run together. On
/// PostgreSQL they go as one statement, each a data-modifying `WITH`
/// clause: one round trip and one execution instead of one each (the
/// constraints and `AFTER` triggers of all of them fire at its end, when
/// every row is in, so a posting may name an entry of the same run). On
/// SQLite, which has no such clauses and no round trips, one after the
/// other. Either way all or none of them apply, in the caller's transaction.
#[must_use = "the writes are made by `run`"]
pub struct Writes {
    sqlite: bool,
    statements: Vec<Statement>,
}

impl Writes {
    pub fn new(conn: &AnyConnection) -> Self {
        Self {
            sqlite: matches!(conn, AnyConnection::Sqlite(_)),
            statements: Vec::new(),
        }
    }

    /// A new statement for this backend, to be [`Self::push`]ed.
    pub fn statement(&self) -> Statement {
        Statement {
            sqlite: self.sqlite,
            keep_prepared: true,
            parts: Vec::new(),
        }
    }

    pub fn push(&mut self, statement: Statement) {
        self.statements.push(statement);
    }

    pub fn run(self, conn: &mut AnyConnection) -> QueryResult<()> {
        if self.sqlite || self.statements.len() < 2 {
            for statement in self.statements {
                statement.execute(conn)?;
            }
            return Ok(());
        }
        let mut together = Statement {
            sqlite: false,
            keep_prepared: self.statements.iter().all(|s| s.keep_prepared),
            parts: Vec::new(),
        };
        for (i, statement) in self.statements.into_iter().enumerate() {
            let open = if i == 0 { "WITH" } else { ")," };
            together
                .parts
                .push(Part::Sql(Cow::Owned(format!("{open} w{i} AS ("))));
            together.parts.extend(statement.parts);
        }
        together.parts.push(Part::Sql(Cow::Borrowed(") SELECT 1")));
        together.execute(conn)?;
        Ok(())
    }
}

impl QueryId for Statement {
    type QueryId = ();
    // Not static: diesel keys its cache by the statement's text instead.
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl Query for Statement {
    type SqlType = Untyped;
}

impl<Conn> RunQueryDsl<Conn> for Statement {}

impl<DB> QueryFragment<DB> for Statement
where
    DB: Backend + HasSqlType<Text> + HasSqlType<BigInt> + HasSqlType<Timestamp>,
    String: ToSql<Text, DB>,
    i64: ToSql<BigInt, DB>,
    NaiveDateTime: ToSql<Timestamp, DB>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        if !self.keep_prepared {
            out.unsafe_to_cache_prepared();
        }
        for part in &self.parts {
            match part {
                Part::Sql(text) => out.push_sql(text),
                Part::Text(value) => out.push_bind_param::<Text, _>(value)?,
                Part::BigInt(value) => out.push_bind_param::<BigInt, _>(value)?,
                Part::Timestamp(value) => out.push_bind_param::<Timestamp, _>(value)?,
            }
        }
        Ok(())
    }
}
