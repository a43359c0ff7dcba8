//! `crowdfund backup` and `crowdfund restore` on SQLite: a copy of the whole
//! database taken while the server runs, checked before it counts as a
//! backup, and put back only where no database is.
//!
//! Both write to `NAME.partial` beside the destination, check that copy
//! (`PRAGMA integrity_check`, every ledger invariant, the seal chain), and
//! only then rename it to its name, so a file by the final name is always a
//! checked, complete copy. Neither ever replaces an existing file.
//!
//! PostgreSQL has its own tools, which do this better than an application
//! can (consistent dumps, continuous archiving): both commands refuse there
//! with [`POSTGRES_ADVICE`].

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use diesel::{Connection, SqliteConnection};
use serde::Serialize;

use crate::db::{schema_state, sqlite_file, AnyConnection, DatabaseUrl};
use crate::ledger::invariants::{self, KindTotal};
use crate::ledger::seal::{self, SealHead};

pub const POSTGRES_ADVICE: &str = "\
this command copies SQLite databases only; on PostgreSQL use its own tools:
  - small installs: `pg_dump --format=custom --file=crowdfund.dump DBNAME` (a consistent \
snapshot, taken while the servers run), restored with `createdb NEW && pg_restore \
--no-owner --dbname=NEW crowdfund.dump`;
  - point-in-time recovery: a base backup (`pg_basebackup`) plus WAL archiving \
(`archive_mode = on`, `archive_command`), replayed to the moment before the loss.
Then run `crowdfund verify-ledger` against the restored database before serving it \
(README, \"Backups and upgrades\").";

/// What a checked copy holds.
#[derive(Debug, Serialize)]
pub struct CopyReport {
    pub path: String,
    pub bytes: u64,
    /// `ok`: SQLite's integrity check found nothing wrong.
    pub integrity: &'static str,
    /// The newest migration the copy has.
    pub schema: Option<String>,
    /// Migrations this build would apply when serving the copy.
    pub pending_migrations: usize,
    /// None when the copy's schema is older than this build's (checked by
    /// `verify-ledger` after the next start has migrated it).
    pub ledger: Option<LedgerTotals>,
    /// The newest seal the copy contains (`verify-ledger --expect-head`
    /// with it proves that the books up to it were not rewritten).
    pub seal_head: Option<SealHead>,
}

#[derive(Debug, Serialize)]
pub struct LedgerTotals {
    pub entries: i64,
    pub sealed_entries: i64,
    /// Zero in whole books: every posting has its counterpart.
    pub postings_total: i64,
    pub accounts_by_kind: Vec<KindTotal>,
}

/// Copies the SQLite database of `url` into `target` while it is in use,
/// and checks the copy.
pub fn backup(url: &DatabaseUrl, target: &Path) -> anyhow::Result<CopyReport> {
    let source = sqlite_path(url)?;
    if !source.exists() {
        bail!("there is no database at {}", source.display());
    }
    refuse_existing(target)?;
    let partial = partial_of(target)?;
    let mut conn = AnyConnection::Sqlite(open(&source)?);
    let state = schema_state(&mut conn)?;
    if !state.unknown.is_empty() {
        return Err(crate::db::MigrationError::NewerRelease(state.unknown).into());
    }
    let AnyConnection::Sqlite(mut conn) = conn else {
        bail!("{POSTGRES_ADVICE}");
    };
    sqlite_file::copy_into(&mut conn, &partial)
        .with_context(|| format!("cannot write the copy {}", partial.display()))?;
    drop(conn);
    settle(&partial, target)
}

/// Puts the backup `from` where `url` says the database is, which must hold
/// none (nor its `-wal` and `-shm` files: a log left from another database
/// would be replayed into this one).
pub fn restore(url: &DatabaseUrl, from: &Path) -> anyhow::Result<CopyReport> {
    let target = sqlite_path(url)?;
    if !from.is_file() {
        bail!("there is no backup at {}", from.display());
    }
    for file in std::iter::once(target.clone()).chain(sqlite_file::companions(&target)) {
        if file.exists() {
            bail!(
                "{} exists: a restore never replaces a database. Stop the server, move the \
                 database and its -wal and -shm files aside, then restore again",
                file.display()
            );
        }
    }
    let partial = partial_of(&target)?;
    std::fs::copy(from, &partial)
        .with_context(|| format!("cannot copy {} to {}", from.display(), partial.display()))?;
    std::fs::File::open(&partial)?.sync_all()?;
    settle(&partial, &target)
}

/// Checks the copy at `partial`; renames it to `target` when it passes,
/// deletes it when not.
fn settle(partial: &Path, target: &Path) -> anyhow::Result<CopyReport> {
    let checked = inspect(partial);
    let mut report = match checked {
        Ok(report) => report,
        Err(e) => {
            let _ = std::fs::remove_file(partial);
            return Err(e.context(format!(
                "the copy failed its checks and was deleted ({})",
                partial.display()
            )));
        }
    };
    std::fs::rename(partial, target)
        .with_context(|| format!("cannot rename {} to its name", partial.display()))?;
    sync_folder_of(target)?;
    report.path = target.display().to_string();
    Ok(report)
}

/// Checks a copy: every page (`integrity_check`), and, when its schema is
/// this build's, every ledger invariant including the seal chain.
fn inspect(path: &Path) -> anyhow::Result<CopyReport> {
    let mut conn = open(path)?;
    let problems = sqlite_file::integrity_problems(&mut conn)
        .map_err(|e| anyhow::anyhow!("SQLite's integrity check failed: {e}"))?;
    if !problems.is_empty() {
        bail!("SQLite's integrity check failed: {}", problems.join("; "));
    }
    let mut conn = AnyConnection::Sqlite(conn);
    let state = schema_state(&mut conn)?;
    if !state.unknown.is_empty() {
        return Err(crate::db::MigrationError::NewerRelease(state.unknown).into());
    }
    let ledger = if state.pending.is_empty() {
        let report = invariants::check(&mut conn)?;
        if !report.ok {
            let broken: Vec<String> = report
                .violations
                .iter()
                .map(|v| format!("{} ({}): {}", v.invariant, v.subject, v.detail))
                .collect();
            bail!("the ledger does not verify: {}", broken.join("; "));
        }
        Some(LedgerTotals {
            entries: report.entries,
            sealed_entries: report.sealed_entries,
            postings_total: report.postings_total,
            accounts_by_kind: report.accounts_by_kind,
        })
    } else {
        None
    };
    let seal_head = if state.pending.is_empty() {
        seal::head(&mut conn)?
    } else {
        None
    };
    Ok(CopyReport {
        path: path.display().to_string(),
        bytes: std::fs::metadata(path)?.len(),
        integrity: "ok",
        schema: state.applied.last().cloned(),
        pending_migrations: state.pending.len(),
        ledger,
        seal_head,
    })
}

fn sqlite_path(url: &DatabaseUrl) -> anyhow::Result<PathBuf> {
    match url {
        DatabaseUrl::Postgres(_) => bail!("{POSTGRES_ADVICE}"),
        DatabaseUrl::Sqlite(path) if path == ":memory:" => {
            bail!("an in-memory database cannot be backed up or restored")
        }
        DatabaseUrl::Sqlite(path) => Ok(PathBuf::from(path)),
    }
}

fn refuse_existing(target: &Path) -> anyhow::Result<()> {
    if target.exists() {
        bail!(
            "{} exists: a backup never replaces a file; choose a new name",
            target.display()
        );
    }
    Ok(())
}

/// `NAME.partial` beside `target` (its folder created), with no leftover
/// of an earlier attempt.
fn partial_of(target: &Path) -> anyhow::Result<PathBuf> {
    let Some(name) = target.file_name() else {
        bail!("{} is not a file name", target.display());
    };
    let mut partial_name = name.to_owned();
    partial_name.push(".partial");
    let partial = target.with_file_name(partial_name);
    if let Some(folder) = folder_of(target) {
        std::fs::create_dir_all(folder)
            .with_context(|| format!("cannot create the folder {}", folder.display()))?;
    }
    for file in std::iter::once(partial.clone()).chain(sqlite_file::companions(&partial)) {
        if file.exists() {
            std::fs::remove_file(&file)
                .with_context(|| format!("cannot remove the leftover {}", file.display()))?;
        }
    }
    Ok(partial)
}

fn folder_of(path: &Path) -> Option<&Path> {
    path.parent().filter(|p| !p.as_os_str().is_empty())
}

/// A rename is durable once the folder that holds the name is on disk.
fn sync_folder_of(path: &Path) -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        let folder = folder_of(path).unwrap_or(Path::new("."));
        std::fs::File::open(folder)?.sync_all()?;
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

fn open(path: &Path) -> anyhow::Result<SqliteConnection> {
    let name = path
        .to_str()
        .ok_or_else(|| anyhow::anyhow!("the path {} is not UTF-8", path.display()))?;
    let mut conn = SqliteConnection::establish(name)
        .with_context(|| format!("cannot open {}", path.display()))?;
    diesel::connection::SimpleConnection::batch_execute(&mut conn, "PRAGMA busy_timeout = 15000;")?;
    Ok(conn)
}
