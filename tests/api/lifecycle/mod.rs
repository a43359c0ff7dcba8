//! The life of an installation around the requests: a clean stop, backups
//! and restores, upgrades from every released schema.

mod backups;
mod shutdown;
mod upgrades;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crowdfund::db::{build_pool, AnyConnection, DatabaseUrl};
use diesel::prelude::*;

/// The SQLite file of a `sqlite://` URL; None on PostgreSQL.
fn sqlite_file(url: &str) -> Option<PathBuf> {
    match DatabaseUrl::parse(url).expect("a database URL") {
        DatabaseUrl::Sqlite(path) => Some(PathBuf::from(path)),
        DatabaseUrl::Postgres(_) => None,
    }
}

/// The values of `SELECT column AS value ...` in the database at `url`.
fn strings(url: &str, sql: &str) -> BTreeSet<String> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::Text)]
        value: String,
    }
    let pool = build_pool(&DatabaseUrl::parse(url).expect("a database URL"), 1).expect("pool");
    let mut conn = pool.get().expect("a connection");
    let conn: &mut AnyConnection = &mut conn;
    diesel::sql_query(sql)
        .load::<Row>(conn)
        .expect("query")
        .into_iter()
        .map(|row| row.value)
        .collect()
}

/// The ids of every subscription in the database at `url`.
fn subscription_ids(url: &str) -> BTreeSet<String> {
    strings(url, "SELECT id AS value FROM subscriptions")
}

/// Runs the `crowdfund` binary with `args` against the database at `url`.
fn crowdfund(url: &str, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_crowdfund"))
        .args(args)
        .env("DATABASE_URL", url)
        .env("JWT_SECRET", crate::helpers::JWT_SECRET)
        .env("NO_COLOR", "1")
        .output()
        .expect("run crowdfund")
}

/// `verify-ledger` (with `--expect-head` when given) against `url`:
/// asserted clean; returns its report.
fn assert_ledger_verifies(url: &str, expect_head: Option<&str>) -> serde_json::Value {
    let mut args = vec!["verify-ledger"];
    if let Some(hash) = expect_head {
        args.extend(["--expect-head", hash]);
    }
    let out = crowdfund(url, &args);
    assert!(
        out.status.success(),
        "verify-ledger failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("a JSON report")
}

/// A copy of the SQLite file at `path` alone, without its `-wal` and
/// `-shm` files, in a new folder: what a backup by `cp` would hold.
fn copy_alone(path: &Path) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let copy = dir.path().join("copy.db");
    std::fs::copy(path, &copy).expect("copy the database file");
    (dir, copy)
}
