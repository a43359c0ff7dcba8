//! Write transactions that take the write lock at BEGIN.

use diesel::connection::{AnsiTransactionManager, Connection, TransactionManager};

use super::AnyConnection;

/// Runs `f` in one transaction that is meant to write.
///
/// On SQLite the writers of this process first queue on the database's
/// [`write_gate`](super::write_gate), in arrival order, then begin with
/// `BEGIN IMMEDIATE`: the write lock is taken up front, so a writer never
/// fails with `database is locked` when it upgrades a read lock. On
/// PostgreSQL a plain `BEGIN` (READ COMMITTED); correctness there comes from
/// conditional updates and row locks inside `f`.
pub fn write_transaction<T, E, F>(conn: &mut AnyConnection, f: F) -> Result<T, E>
where
    F: FnOnce(&mut AnyConnection) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    // Inside a transaction already (a use case composed into a larger one,
    // e.g. with its idempotency record): a savepoint.
    if in_transaction(conn) {
        return conn.transaction(f);
    }
    // Held until the transaction has ended, whichever way.
    let _turn = match conn {
        AnyConnection::Sqlite(c) => {
            let turn = super::write_gate::gate_of(c)?.and_then(|gate| gate.enter());
            AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")?;
            turn
        }
        AnyConnection::Postgresql(c) => {
            AnsiTransactionManager::begin_transaction_sql(c, "BEGIN")?;
            None
        }
    };
    type Tm = <AnyConnection as Connection>::TransactionManager;
    match f(conn) {
        Ok(value) => match Tm::commit_transaction(conn) {
            Ok(()) => Ok(value),
            Err(commit_error) => {
                // The commit failed (e.g. serialization); leave no transaction open.
                let _ = Tm::rollback_transaction(conn);
                Err(commit_error.into())
            }
        },
        Err(error) => {
            // The error says why; a failed rollback (the connection is gone,
            // or SQLite rolled back by itself after a full disk) only marks
            // the connection broken, and the pool drops it.
            if let Err(rollback_error) = Tm::rollback_transaction(conn) {
                tracing::debug!(error = %rollback_error, "rollback failed");
            }
            Err(error)
        }
    }
}

fn in_transaction(conn: &mut AnyConnection) -> bool {
    let depth = match conn {
        AnyConnection::Sqlite(c) => {
            AnsiTransactionManager::transaction_manager_status_mut(c).transaction_depth()
        }
        AnyConnection::Postgresql(c) => {
            AnsiTransactionManager::transaction_manager_status_mut(c).transaction_depth()
        }
    };
    matches!(depth, Ok(Some(_)))
}

/// Runs `f` over one consistent, read-only view of the database: on
/// PostgreSQL a REPEATABLE READ READ ONLY transaction, on SQLite (WAL) a read
/// transaction, which sees one snapshot. Ends with a rollback: it wrote nothing.
pub fn read_snapshot<T, E, F>(conn: &mut AnyConnection, f: F) -> Result<T, E>
where
    F: FnOnce(&mut AnyConnection) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    match conn {
        AnyConnection::Postgresql(c) => AnsiTransactionManager::begin_transaction_sql(
            c,
            "BEGIN TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY",
        )?,
        AnyConnection::Sqlite(c) => AnsiTransactionManager::begin_transaction_sql(c, "BEGIN")?,
    }
    let result = f(conn);
    <AnyConnection as Connection>::TransactionManager::rollback_transaction(conn)?;
    result
}
