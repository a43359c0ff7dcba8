//! `crowdfund backup` and `crowdfund restore` on SQLite: a copy of the whole
//! database taken while the server runs, checked before it counts as a
//! backup, and put back only where no database is.
//!
//! Both write to a new `NAME.XXXXXXXX.partial` beside the destination, check
//! that copy (`PRAGMA integrity_check`, every ledger invariant, the seal
//! chain), and only then link it to its name, which fails if anything took
//! the name meanwhile: a file by the final name is always a checked,
//! complete copy, and neither command ever replaces a file. A copy that
//! fails, or is left by an error, is deleted.
//!
//! PostgreSQL has its own tools, which do this better than an application
//! can (consistent dumps, continuous archiving): both commands refuse there
//! with [`POSTGRES_ADVICE`].

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use serde::Serialize;

use crate::db::{
    run_migrations, schema_state, sqlite_file, AnyConnection, DatabaseUrl, MigrationError,
    SchemaState,
};
use crate::ledger::invariants::{self, KindTotal};
use crate::ledger::seal::{self, SealHead};

pub const POSTGRES_ADVICE: &str = "\
this command copies SQLite databases only; on PostgreSQL use its own tools:
  - small installs: `pg_dump --format=custom --file=crowdfund.dump DBNAME` (a consistent \
snapshot, taken while the servers run), restored with `createdb NEW && pg_restore \
--no-owner --exit-on-error --dbname=NEW crowdfund.dump`;
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
    pub schema: String,
    /// Migrations this build will apply when it serves the copy. The
    /// ledger of an older copy is checked on a migrated scratch copy; the
    /// copy itself is left as its release wrote it.
    pub pending_migrations: usize,
    pub ledger: LedgerTotals,
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
/// and checks the copy. Writes nothing to the database it copies.
pub fn backup(url: &DatabaseUrl, target: &Path) -> anyhow::Result<CopyReport> {
    let source = sqlite_path(url)?;
    refuse_existing(target)?;
    let mut conn = AnyConnection::Sqlite(sqlite_file::open(&source)?);
    refuse_foreign(&schema_state(&mut conn)?, &source)?;
    let AnyConnection::Sqlite(mut conn) = conn else {
        bail!("{POSTGRES_ADVICE}");
    };
    let partial = Partial::beside(target)?;
    sqlite_file::copy_into(&mut conn, &partial.path)
        .with_context(|| format!("cannot write the copy {}", partial.path.display()))?;
    drop(conn);
    partial.settle(target, None)
}

/// Puts the backup `from` where `url` says the database is, which must hold
/// none (nor a `-wal`, `-shm` or `-journal` file: one left from another
/// database would be replayed into this one). With `expect_head` (a seal
/// hash kept apart from the database), the restored ledger's seal chain
/// must contain that seal, or nothing is put in place.
///
/// `from` must be whole by itself: a non-empty `-wal` or `-journal` beside
/// it means that some of its committed writes (or the undoing of a torn
/// one) are in that file, which a copy of the database file alone would
/// lose while its checks still passed. Such a source is refused, with the
/// way to make a whole copy of it (`crowdfund backup`, which reads the log
/// through SQLite); `restore` never writes to its source.
pub fn restore(
    url: &DatabaseUrl,
    from: &Path,
    expect_head: Option<&str>,
) -> anyhow::Result<CopyReport> {
    let target = sqlite_path(url)?;
    if !from.is_file() {
        bail!("there is no backup at {}", from.display());
    }
    refuse_unsettled(from)?;
    for file in std::iter::once(target.clone()).chain(sqlite_file::companions(&target)) {
        if file.exists() {
            bail!(
                "{} exists: a restore never replaces a database. Stop the server, move the \
                 database and its -wal, -shm and -journal files aside, then restore again",
                file.display()
            );
        }
    }
    let partial = Partial::beside(&target)?;
    std::fs::copy(from, &partial.path).with_context(|| {
        format!(
            "cannot copy {} to {}",
            from.display(),
            partial.path.display()
        )
    })?;
    std::fs::File::open(&partial.path)?.sync_all()?;
    partial.settle(&target, expect_head)
}

/// Refuses a source that is not whole by itself: one with a non-empty
/// write-ahead log or rollback journal beside it.
fn refuse_unsettled(from: &Path) -> anyhow::Result<()> {
    for log in sqlite_file::logs(from) {
        let bytes = match std::fs::metadata(&log) {
            Ok(meta) => meta.len(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e).context(format!("cannot read {}", log.display())),
        };
        if bytes > 0 {
            bail!(
                "{log} is beside {from} and not empty ({bytes} bytes): the database was not \
                 closed cleanly (its server was killed, or is still running), and some of what \
                 it committed is only in that file, which restoring {from} alone would lose. \
                 Make a whole copy through SQLite, which reads the log, and restore that: \
                 `DATABASE_URL={from} crowdfund backup NEW.db`, then `crowdfund restore NEW.db` \
                 (or start and stop a server on it: a clean stop leaves the file whole)",
                log = log.display(),
                from = from.display(),
            );
        }
    }
    Ok(())
}

/// A copy being written beside its destination: deleted when dropped,
/// unless [`Partial::settle`] gave it its name.
struct Partial {
    path: PathBuf,
}

impl Partial {
    /// A new name beside `target` (its folder created), unique to this run.
    fn beside(target: &Path) -> anyhow::Result<Self> {
        let Some(name) = target.file_name() else {
            bail!("{} is not a file name", target.display());
        };
        if let Some(folder) = folder_of(target) {
            std::fs::create_dir_all(folder)
                .with_context(|| format!("cannot create the folder {}", folder.display()))?;
        }
        let mut partial_name = name.to_owned();
        let run = uuid::Uuid::new_v4().simple().to_string();
        partial_name.push(format!(".{}.partial", &run[..8]));
        Ok(Self {
            path: target.with_file_name(partial_name),
        })
    }

    /// Checks the copy (and, with `expect_head`, that its seal chain
    /// contains that seal); when it passes, links it to `target` (failing if
    /// anything has taken that name) and makes the name durable.
    fn settle(self, target: &Path, expect_head: Option<&str>) -> anyhow::Result<CopyReport> {
        let mut report = inspect(&self.path, expect_head).map_err(|e| {
            e.context(format!(
                "the copy failed its checks and was deleted ({})",
                self.path.display()
            ))
        })?;
        match std::fs::hard_link(&self.path, target) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                bail!("{} appeared meanwhile; it was left alone", target.display())
            }
            // A file system without hard links: no atomic "create only".
            Err(_) if !target.exists() => std::fs::rename(&self.path, target)
                .with_context(|| format!("cannot rename {}", self.path.display()))?,
            Err(e) => return Err(e).context(format!("cannot name {}", target.display())),
        }
        drop(self);
        sync_folder_of(target)?;
        report.path = target.display().to_string();
        Ok(report)
    }
}

impl Drop for Partial {
    fn drop(&mut self) {
        for file in std::iter::once(self.path.clone()).chain(sqlite_file::companions(&self.path)) {
            let _ = std::fs::remove_file(file);
        }
    }
}

/// Checks a copy: every page (`integrity_check`), then every ledger
/// invariant including the seal chain: on the copy itself when its schema
/// is this build's, else on a scratch copy that this build has migrated.
fn inspect(path: &Path, expect_head: Option<&str>) -> anyhow::Result<CopyReport> {
    let mut conn = sqlite_file::open(path)?;
    let problems = sqlite_file::integrity_problems(&mut conn)
        .map_err(|e| anyhow::anyhow!("SQLite's integrity check failed: {e}"))?;
    if !problems.is_empty() {
        bail!("SQLite's integrity check failed: {}", problems.join("; "));
    }
    let mut conn = AnyConnection::Sqlite(conn);
    let state = schema_state(&mut conn)?;
    refuse_foreign(&state, path)?;
    let (ledger, seal_head) = if state.pending.is_empty() {
        check_ledger(&mut conn, expect_head)?
    } else {
        drop(conn);
        let scratch = Partial::beside(path)?;
        std::fs::copy(path, &scratch.path)?;
        let mut migrated = AnyConnection::Sqlite(sqlite_file::open(&scratch.path)?);
        run_migrations(&mut migrated)?;
        check_ledger(&mut migrated, expect_head)?
    };
    Ok(CopyReport {
        path: path.display().to_string(),
        bytes: std::fs::metadata(path)?.len(),
        integrity: "ok",
        schema: state.applied.last().cloned().unwrap_or_default(),
        pending_migrations: state.pending.len(),
        ledger,
        seal_head,
    })
}

fn check_ledger(
    conn: &mut AnyConnection,
    expect_head: Option<&str>,
) -> anyhow::Result<(LedgerTotals, Option<SealHead>)> {
    let report = invariants::check(conn)?;
    if !report.ok {
        let broken: Vec<String> = report
            .violations
            .iter()
            .map(|v| format!("{} ({}): {}", v.invariant, v.subject, v.detail))
            .collect();
        bail!("the ledger does not verify: {}", broken.join("; "));
    }
    if let Some(hash) = expect_head {
        if !seal::contains(conn, hash)? {
            bail!(
                "the seal chain does not contain the head {hash} recorded earlier: this is \
                 another database, an older backup than that seal, or its chain was rewritten"
            );
        }
    }
    let totals = LedgerTotals {
        entries: report.entries,
        sealed_entries: report.sealed_entries,
        postings_total: report.postings_total,
        accounts_by_kind: report.accounts_by_kind,
    };
    Ok((totals, seal::head(conn)?))
}

/// Refuses what is not a database of this release or an earlier one.
fn refuse_foreign(state: &SchemaState, path: &Path) -> anyhow::Result<()> {
    if state.applied.is_empty() {
        bail!(
            "{} is not a crowdfund database (no migration was ever applied to it)",
            path.display()
        );
    }
    if !state.unknown.is_empty() {
        return Err(MigrationError::NewerRelease(state.unknown.clone()).into());
    }
    Ok(())
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

fn folder_of(path: &Path) -> Option<&Path> {
    path.parent().filter(|p| !p.as_os_str().is_empty())
}

/// A new name is durable once the folder that holds it is on disk.
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
