//! What is done to a SQLite database as a file: checkpointing its
//! write-ahead log, copying it whole while it is in use, checking a copy.

use std::path::Path;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{Integer, Text};

/// Moves every committed transaction from the write-ahead log into the
/// database file (`wal_checkpoint(PASSIVE)`: it takes no lock and waits
/// for nobody), so that the file alone is the whole database; the log
/// itself goes when the last connection closes. Fails when a connection
/// still reading an older snapshot kept some of the log from being copied
/// (nothing is lost while the `-wal` file stays beside the database).
pub fn checkpoint(path: &str) -> anyhow::Result<()> {
    if path == ":memory:" || !Path::new(path).exists() {
        return Ok(());
    }
    #[derive(QueryableByName)]
    struct Outcome {
        #[diesel(sql_type = Integer)]
        log: i32,
        #[diesel(sql_type = Integer)]
        checkpointed: i32,
    }
    let mut conn = open(Path::new(path))?;
    let outcome =
        diesel::sql_query("PRAGMA wal_checkpoint(PASSIVE)").get_result::<Outcome>(&mut conn)?;
    // -1: not in WAL mode, nothing to move.
    if outcome.checkpointed < outcome.log {
        anyhow::bail!(
            "another connection is still reading the database ({} of {} log pages copied)",
            outcome.checkpointed,
            outcome.log
        );
    }
    Ok(())
}

/// How often the server's checkpointer runs.
pub const CHECKPOINT_EVERY: std::time::Duration = std::time::Duration::from_millis(100);

/// The server's checkpointer: every [`CHECKPOINT_EVERY`], on a thread and
/// connection of its own, copies what the write-ahead log holds into the
/// database file (`wal_checkpoint(PASSIVE)`, which waits for nobody), so
/// that the log's space is used again from its start.
///
/// Left to SQLite, the commit that takes the log past 1,000 pages copies
/// them itself, and in a launch that is the write pipeline's commit: a
/// tenth of its one thread went to checkpoints, while subscriptions waited
/// behind it. Its connections do not checkpoint (see
/// [`super::build_pool_untested`]); the server's others still may.
pub fn spawn_checkpointer(
    path: &str,
    shutdown: crate::jobs::Shutdown,
    threads: &mut crate::jobs::Threads,
) -> std::io::Result<()> {
    let path = std::path::PathBuf::from(path);
    let mut conn: Option<SqliteConnection> = None;
    crate::jobs::spawn_periodic(
        "wal-checkpoint",
        CHECKPOINT_EVERY,
        shutdown,
        threads,
        move || {
            let c = match &mut conn {
                Some(c) => c,
                None => conn.insert(open(&path)?),
            };
            if let Err(e) = c.batch_execute("PRAGMA wal_checkpoint(PASSIVE);") {
                conn = None;
                return Err(e.into());
            }
            Ok(())
        },
    )
}

/// Opens an existing SQLite file (never creating one), waiting up to 15 s
/// for another connection's lock.
pub fn open(path: &Path) -> anyhow::Result<SqliteConnection> {
    if !path.is_file() {
        anyhow::bail!("there is no database at {}", path.display());
    }
    let name = path
        .to_str()
        .ok_or_else(|| anyhow::anyhow!("the path {} is not UTF-8", path.display()))?;
    let mut conn = SqliteConnection::establish(name)?;
    conn.batch_execute("PRAGMA busy_timeout = 15000;")?;
    Ok(conn)
}

/// Writes a consistent copy of the database that `conn` is open on into
/// `target` (`VACUUM INTO`): one read transaction, so the copy is the
/// database as of one moment, while other connections go on writing. The
/// copy is compacted, made a single file (rollback-journal mode: no `-wal`
/// beside it to lose), and flushed to disk before this returns.
pub fn copy_into(conn: &mut SqliteConnection, target: &Path) -> anyhow::Result<()> {
    let target_name = target
        .to_str()
        .ok_or_else(|| anyhow::anyhow!("the path {} is not UTF-8", target.display()))?;
    diesel::sql_query("VACUUM INTO ?")
        .bind::<Text, _>(target_name)
        .execute(conn)?;
    let mut copy = SqliteConnection::establish(target_name)?;
    copy.batch_execute("PRAGMA journal_mode = DELETE;")?;
    drop(copy);
    std::fs::File::open(target)?.sync_all()?;
    Ok(())
}

/// `PRAGMA integrity_check`: every page, index and constraint of the file.
/// Empty when the database is whole, else what SQLite found (at most 20).
pub fn integrity_problems(conn: &mut SqliteConnection) -> QueryResult<Vec<String>> {
    #[derive(QueryableByName)]
    struct Line {
        #[diesel(sql_type = Text)]
        integrity_check: String,
    }
    let lines = diesel::sql_query("PRAGMA integrity_check(20)").load::<Line>(conn)?;
    Ok(lines
        .into_iter()
        .map(|l| l.integrity_check)
        .filter(|l| l != "ok")
        .collect())
}

/// The files SQLite keeps beside a database: its write-ahead log and
/// shared-memory index (WAL mode), its rollback journal (otherwise). Each
/// belongs to that database alone: one left beside another database would
/// be replayed into it.
pub fn companions(path: &Path) -> [std::path::PathBuf; 3] {
    let with = |suffix: &str| {
        let mut name = path.as_os_str().to_owned();
        name.push(suffix);
        std::path::PathBuf::from(name)
    };
    [with("-wal"), with("-shm"), with("-journal")]
}

/// The companions that hold a database's own content: its write-ahead log
/// and its rollback journal. Either, when not empty, may hold committed
/// writes (or the undoing of a torn one) that the main file lacks.
pub fn logs(path: &Path) -> [std::path::PathBuf; 2] {
    let [wal, _shm, journal] = companions(path);
    [wal, journal]
}
