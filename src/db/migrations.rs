//! Embedded migrations, one folder per backend, run at start-up and by
//! `crowdfund migrate`; and the refusal of a database that a newer release
//! has migrated further than this build knows.

use diesel::connection::SimpleConnection;
use diesel::migration::MigrationSource;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

use super::AnyConnection;

const POSTGRES: EmbeddedMigrations = embed_migrations!("migrations/postgres");
const SQLITE: EmbeddedMigrations = embed_migrations!("migrations/sqlite");

/// An arbitrary constant: the advisory lock that lets several instances start
/// against one PostgreSQL without racing each other through the migrations.
const MIGRATION_LOCK_KEY: i64 = 0x63_66_6d_69_67; // "cfmig"

/// SQLite migrations that run their own transaction (`run_in_transaction =
/// false`: a table rebuild needs foreign keys off, which cannot change inside
/// one), with a table each creates inside it. diesel records the version
/// after the migration's own COMMIT; if the process dies in between, the
/// table exists while the version does not, and running the migration again
/// would fail. Such a migration is recorded as applied instead.
const SELF_COMMITTING: &[(&str, &str)] = &[
    ("20261126000005", "unallocated_deposits"),
    ("20261206000007", "unreconciled_movements"),
];

#[derive(Debug, thiserror::Error)]
pub enum MigrationError {
    /// The database has migrations this build does not have: opening it
    /// could write rows the newer schema forbids, or misread its columns.
    #[error(
        "this database was written by a newer release of crowdfund: it has migration(s) {} \
         that this build does not know. Run the release that wrote it (or a later one); this \
         build will not open it",
        .0.join(", ")
    )]
    NewerRelease(Vec<String>),
    #[error("migrations failed: {0}")]
    Failed(String),
}

impl From<diesel::result::Error> for MigrationError {
    fn from(e: diesel::result::Error) -> Self {
        Self::Failed(e.to_string())
    }
}

/// Where a database's schema stands against this build's migrations
/// (versions, oldest first).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaState {
    pub applied: Vec<String>,
    /// Known to this build, not yet applied: the database is older.
    pub pending: Vec<String>,
    /// Applied, but unknown to this build: the database is newer.
    pub unknown: Vec<String>,
}

/// Reads which migrations a database has, writing nothing (a database
/// without diesel's bookkeeping table has applied none).
pub fn schema_state(conn: &mut AnyConnection) -> Result<SchemaState, MigrationError> {
    let bookkept = has_bookkeeping(conn)?;
    let (known, applied) = match conn {
        AnyConnection::Postgresql(c) => (
            versions::<diesel::pg::Pg>(&POSTGRES)?,
            if bookkept { applied(c)? } else { Vec::new() },
        ),
        AnyConnection::Sqlite(c) => (
            versions::<diesel::sqlite::Sqlite>(&SQLITE)?,
            if bookkept { applied(c)? } else { Vec::new() },
        ),
    };
    Ok(SchemaState {
        pending: known
            .iter()
            .filter(|v| !applied.contains(v))
            .cloned()
            .collect(),
        unknown: applied
            .iter()
            .filter(|v| !known.contains(v))
            .cloned()
            .collect(),
        applied,
    })
}

/// Applies every pending migration; returns how many ran. Refuses a
/// database with migrations this build does not know.
pub fn run_migrations(conn: &mut AnyConnection) -> Result<usize, MigrationError> {
    match conn {
        AnyConnection::Postgresql(c) => {
            c.batch_execute(&format!("SELECT pg_advisory_lock({MIGRATION_LOCK_KEY})"))?;
            let result = migrate(c, POSTGRES);
            c.batch_execute(&format!("SELECT pg_advisory_unlock({MIGRATION_LOCK_KEY})"))?;
            result
        }
        AnyConnection::Sqlite(c) => {
            record_committed_but_unrecorded(c)?;
            migrate(c, SQLITE)
        }
    }
}

/// Records the self-committing migrations whose work committed but whose
/// version row was never written (see [`SELF_COMMITTING`]).
fn record_committed_but_unrecorded(
    conn: &mut diesel::SqliteConnection,
) -> Result<(), MigrationError> {
    use diesel::sql_types::Text;
    use diesel::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct Found {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let applied = applied(conn)?;
    for (version, table) in SELF_COMMITTING {
        if applied.iter().any(|v| v == version) {
            continue;
        }
        let committed = diesel::sql_query(
            "SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table' AND name = ?",
        )
        .bind::<Text, _>(*table)
        .get_result::<Found>(conn)?
        .n > 0;
        if committed {
            tracing::warn!(
                version,
                "migration committed before its version was recorded \
                (the process stopped in between); recording it as applied"
            );
            diesel::sql_query("INSERT INTO __diesel_schema_migrations (version) VALUES (?)")
                .bind::<Text, _>(*version)
                .execute(conn)?;
        }
    }
    Ok(())
}

fn migrate<C, DB>(conn: &mut C, source: EmbeddedMigrations) -> Result<usize, MigrationError>
where
    DB: diesel::backend::Backend,
    C: MigrationHarness<DB>,
    EmbeddedMigrations: MigrationSource<DB>,
{
    let known = versions::<DB>(&source)?;
    let unknown: Vec<String> = applied(conn)?
        .into_iter()
        .filter(|v| !known.contains(v))
        .collect();
    if !unknown.is_empty() {
        return Err(MigrationError::NewerRelease(unknown));
    }
    conn.run_pending_migrations(source)
        .map(|applied| applied.len())
        .map_err(|e| MigrationError::Failed(e.to_string()))
}

fn versions<DB: diesel::backend::Backend>(
    source: &EmbeddedMigrations,
) -> Result<Vec<String>, MigrationError>
where
    EmbeddedMigrations: MigrationSource<DB>,
{
    let migrations = MigrationSource::<DB>::migrations(source)
        .map_err(|e| MigrationError::Failed(e.to_string()))?;
    Ok(migrations
        .iter()
        .map(|m| m.name().version().to_string())
        .collect())
}

/// Whether diesel's bookkeeping table exists (reading the versions would
/// create it).
fn has_bookkeeping(conn: &mut AnyConnection) -> Result<bool, MigrationError> {
    use diesel::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct Found {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let query = match conn {
        AnyConnection::Postgresql(_) => {
            "SELECT COUNT(*) AS n FROM pg_catalog.pg_tables \
             WHERE tablename = '__diesel_schema_migrations' AND schemaname = current_schema()"
        }
        AnyConnection::Sqlite(_) => {
            "SELECT COUNT(*) AS n FROM sqlite_master \
             WHERE type = 'table' AND name = '__diesel_schema_migrations'"
        }
    };
    Ok(diesel::sql_query(query).get_result::<Found>(conn)?.n > 0)
}

/// The versions a database has applied, oldest first (creating diesel's
/// bookkeeping table on a new database).
fn applied<C, DB>(conn: &mut C) -> Result<Vec<String>, MigrationError>
where
    DB: diesel::backend::Backend,
    C: MigrationHarness<DB>,
{
    let mut applied: Vec<String> = conn
        .applied_migrations()
        .map_err(|e| MigrationError::Failed(e.to_string()))?
        .into_iter()
        .map(|v| v.to_string())
        .collect();
    applied.sort();
    Ok(applied)
}
