//! Backups taken while the server writes, restored into a fresh place and
//! served again: every subscription acknowledged before the backup began is
//! there, the ledger verifies, and the seal chain goes on from the backup's
//! head. SQLite through `crowdfund backup` / `restore`; PostgreSQL through
//! `pg_dump` / `pg_restore`, the way the README gives.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::faults::{load, round, Attempt};
use crate::helpers::{backend_is_postgres, fresh_database, spawn_app, spawn_app_at, TestApp};
use crate::world::Person;

use super::{assert_ledger_verifies, crowdfund, strings, subscription_ids};

/// How a test takes its backup of the database at a URL, into a folder.
type TakeBackup = fn(&str, &Path) -> PathBuf;

/// What a backup under load leaves to check.
struct Drill {
    /// The original server's app (its database is dropped with it).
    _app: TestApp,
    attempts: Vec<Attempt>,
    /// When the backup began.
    began: Instant,
    /// `crowdfund seal-head` of the live database just before the backup,
    /// kept apart from it as the README advises.
    head_before: Value,
    backup: PathBuf,
    offering: String,
    investors: Vec<Person>,
}

/// Runs load against a server process, takes a backup in its middle, and
/// stops the server cleanly.
async fn backup_under_load(take: TakeBackup, dir: &Path) -> Drill {
    let mut app = spawn_app().await;
    let (_operator, offering, investors) = round(&app, 6).await;
    let mut server = app.spawn_process(&[("SEAL_INTERVAL_SECS", "1")]).await;
    app.hand_over_to(&server);
    let url = app.database_url_string();
    let stop = AtomicBool::new(false);
    let taker = async {
        tokio::time::sleep(Duration::from_millis(1500)).await;
        let sealed = crowdfund(&url, &["seal-head"]);
        assert!(
            sealed.status.success(),
            "{}",
            String::from_utf8_lossy(&sealed.stderr)
        );
        let head_before: Value = serde_json::from_slice(&sealed.stdout).expect("a seal head");
        let began = Instant::now();
        let (url, dir) = (url.clone(), dir.to_path_buf());
        let backup = tokio::task::spawn_blocking(move || take(&url, &dir))
            .await
            .expect("the backup ran");
        tokio::time::sleep(Duration::from_millis(500)).await;
        stop.store(true, Ordering::SeqCst);
        (began, head_before, backup)
    };
    let (attempts, (began, head_before, backup)) =
        tokio::join!(load(&app, &investors, &offering, &stop), taker);
    server.signal("TERM");
    let exit = server.exited_within(Duration::from_secs(45)).await;
    assert!(exit.is_some_and(|e| e.success()), "{}", server.log());
    for a in &attempts {
        assert_eq!(a.status, 201, "{}: {}", a.key, a.body);
    }
    Drill {
        _app: app,
        attempts,
        began,
        head_before,
        backup,
        offering,
        investors,
    }
}

/// Checks a restored database against the load's answers, then serves it:
/// new subscriptions are taken, and the seal chain continues from the head
/// the restored database holds, which contains the one recorded before the
/// backup.
async fn assert_restored(restored_url: &str, drill: &Drill) {
    let id = |a: &Attempt| a.body["id"].as_str().expect("an id").to_string();
    let attempts = &drill.attempts;
    let before: BTreeSet<String> = attempts
        .iter()
        .filter(|a| a.answered < drill.began)
        .map(id)
        .collect();
    let all: BTreeSet<String> = attempts.iter().map(id).collect();
    let restored = subscription_ids(restored_url);
    eprintln!(
        "acknowledged: {} before the backup began, {} in all; restored: {}",
        before.len(),
        all.len(),
        restored.len()
    );
    assert!(before.len() > 10, "the load ran: {}", before.len());
    let missing: Vec<&String> = before.difference(&restored).collect();
    assert!(
        missing.is_empty(),
        "acknowledged before the backup, not restored: {missing:?}"
    );
    let unknown: Vec<&String> = restored.difference(&all).collect();
    assert!(
        unknown.is_empty(),
        "restored, never acknowledged: {unknown:?}"
    );

    let hash = drill.head_before["hash"].as_str().expect("a seal head");
    assert_ledger_verifies(restored_url, Some(hash));
    let head = {
        let pool =
            crowdfund::db::build_pool(&crowdfund::db::DatabaseUrl::parse(restored_url).unwrap(), 1)
                .unwrap();
        let mut conn = pool.get().unwrap();
        let head = crowdfund::ledger::seal::head(&mut conn)
            .unwrap()
            .expect("a seal");
        serde_json::to_value(head).unwrap()
    };
    assert!(head["seq"].as_i64() >= drill.head_before["seq"].as_i64());

    // Served again: the investors' sessions and money are there.
    let app = spawn_app_at(restored_url, &[("SEAL_INTERVAL_SECS", "1")]).await;
    for (n, investor) in drill.investors.iter().enumerate() {
        let reply = app
            .subscribe(
                investor,
                &drill.offering,
                json!(1),
                format!("after-restore-{n}"),
            )
            .await;
        assert_eq!(reply.status, 201, "{}", reply.body);
    }
    let out = crowdfund(restored_url, &["seal-head"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let new_head: Value = serde_json::from_slice(&out.stdout).expect("a seal head");
    assert!(
        new_head["seq"].as_i64() > head["seq"].as_i64(),
        "the chain went on: {new_head} after {head}"
    );
    assert_ledger_verifies(restored_url, Some(hash));
    let report = assert_ledger_verifies(restored_url, head["hash"].as_str());
    assert_eq!(
        report["sealed_entries"].as_i64(),
        new_head["entries_sealed"].as_i64()
    );
    assert_eq!(
        subscription_ids(restored_url).len(),
        restored.len() + drill.investors.len()
    );
}

/// `crowdfund backup` into `dir/nightly/crowdfund.db` (a folder it creates).
fn crowdfund_backup(url: &str, dir: &Path) -> PathBuf {
    let path = dir.join("nightly").join("crowdfund.db");
    let out = crowdfund(url, &["backup", path.to_str().expect("utf-8")]);
    assert!(
        out.status.success(),
        "backup failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::write(dir.join("report.json"), &out.stdout).expect("keep the report");
    path
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_sqlite_backup_taken_under_load_restores_whole_and_the_chain_continues() {
    if backend_is_postgres() {
        return; // `backup` refuses there: see the pg_dump drill below.
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let drill = backup_under_load(crowdfund_backup, dir.path()).await;
    let backup = &drill.backup;

    // The report describes the checked copy.
    let report: Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("report.json")).unwrap()).unwrap();
    assert_eq!(report["integrity"], "ok", "{report}");
    assert_eq!(report["pending_migrations"], 0);
    assert_eq!(
        report["bytes"].as_u64(),
        Some(std::fs::metadata(backup).unwrap().len())
    );
    assert_eq!(report["ledger"]["postings_total"], 0, "{report}");
    assert!(report["ledger"]["entries"].as_i64() > Some(10), "{report}");
    assert!(report["seal_head"]["seq"].as_i64() > Some(0), "{report}");
    // One self-contained file: nothing beside it, no leftover.
    let names: Vec<String> = std::fs::read_dir(backup.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, vec!["crowdfund.db".to_string()]);

    // Restored into a fresh data folder (created by `restore`).
    let restored_dir = tempfile::tempdir().expect("temp dir");
    let restored = restored_dir.path().join("data").join("crowdfund.db");
    let restored_url = format!("sqlite://{}", restored.display());
    let out = crowdfund(&restored_url, &["restore", backup.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "restore failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let restore_report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(restore_report["seal_head"], report["seal_head"]);
    assert_eq!(restore_report["ledger"], report["ledger"]);

    assert!(report["seal_head"]["seq"].as_i64() >= drill.head_before["seq"].as_i64());
    assert_restored(&restored_url, &drill).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_pg_dump_taken_under_load_restores_whole_and_the_chain_continues() {
    if !backend_is_postgres() {
        return;
    }
    let Some(bin) = crate::private_postgres::server_binaries() else {
        assert!(
            std::env::var("CI").is_err(),
            "CI is set but pg_dump was not found"
        );
        eprintln!("skipped: no pg_dump on this machine");
        return;
    };
    let dump = |url: &str, dir: &Path| -> PathBuf {
        let path = dir.join("crowdfund.dump");
        let bin = crate::private_postgres::server_binaries().expect("pg_dump");
        let out = std::process::Command::new(bin.join("pg_dump"))
            .args(["--format=custom", "--file"])
            .arg(&path)
            .arg(format!("--dbname={url}"))
            .output()
            .expect("run pg_dump");
        assert!(
            out.status.success(),
            "pg_dump: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        path
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let drill = backup_under_load(dump, dir.path()).await;

    // Restored into a new database, as the README says.
    let (restored_url, _restored_db) = fresh_database(dir.path());
    let out = std::process::Command::new(bin.join("pg_restore"))
        .args(["--no-owner", "--exit-on-error"])
        .arg(format!("--dbname={restored_url}"))
        .arg(&drill.backup)
        .output()
        .expect("run pg_restore");
    assert!(
        out.status.success(),
        "pg_restore: {}",
        String::from_utf8_lossy(&out.stderr)
    );

    assert_restored(&restored_url, &drill).await;
}

#[tokio::test]
async fn on_postgres_backup_and_restore_refuse_and_say_what_to_use() {
    if !backend_is_postgres() {
        return;
    }
    let app = spawn_app().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("x.db");
    for command in ["backup", "restore"] {
        let out = app.cli(&[command, path.to_str().unwrap()]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success());
        for advice in ["pg_dump", "pg_restore", "pg_basebackup", "archive_command"] {
            assert!(stderr.contains(advice), "{command}: {stderr}");
        }
    }
    assert!(!path.exists());
}

#[tokio::test]
async fn a_damaged_or_doctored_backup_is_refused_and_nothing_is_replaced() {
    if backend_is_postgres() {
        return; // SQLite's commands.
    }
    let app = spawn_app().await;
    let (_operator, offering, investors) = round(&app, 2).await;
    for (n, investor) in investors.iter().enumerate() {
        let reply = app
            .subscribe(investor, &offering, json!(3), format!("k{n}"))
            .await;
        assert_eq!(reply.status, 201, "{}", reply.body);
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let backup = dir.path().join("good.db");
    let out = app.cli(&["backup", backup.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // A backup never replaces a file.
    let again = app.cli(&["backup", backup.to_str().unwrap()]);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("exists"));

    // A restore never replaces a database: this app's own is in place.
    let over = app.cli(&["restore", backup.to_str().unwrap()]);
    assert!(!over.status.success());
    assert!(String::from_utf8_lossy(&over.stderr).contains("never replaces a database"));
    assert_eq!(app.count("subscriptions"), 2);

    // Pages overwritten in the middle of the file: SQLite's check fails.
    let damaged = dir.path().join("damaged.db");
    let mut bytes = std::fs::read(&backup).unwrap();
    let middle = bytes.len() / 2 / 4096 * 4096;
    for b in &mut bytes[middle..middle + 3 * 4096] {
        *b = 0x5a;
    }
    std::fs::write(&damaged, bytes).unwrap();
    // A posting changed by someone with the file: SQLite is content, the
    // ledger is not.
    let doctored = dir.path().join("doctored.db");
    std::fs::copy(&backup, &doctored).unwrap();
    {
        use diesel::connection::SimpleConnection;
        use diesel::Connection;
        let mut conn = diesel::SqliteConnection::establish(doctored.to_str().unwrap()).unwrap();
        conn.batch_execute(
            "DROP TRIGGER postings_no_update; \
             UPDATE postings SET amount = amount + 1 WHERE rowid = (SELECT MAX(rowid) FROM postings);",
        )
        .unwrap();
    }
    for (file, complaint) in [
        (&damaged, "integrity"),
        (&doctored, "ledger does not verify"),
    ] {
        let target_dir = tempfile::tempdir().expect("temp dir");
        let target = target_dir.path().join("crowdfund.db");
        let out = crowdfund(
            &format!("sqlite://{}", target.display()),
            &["restore", file.to_str().unwrap()],
        );
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{} was restored", file.display());
        assert!(stderr.contains("failed its checks"), "{stderr}");
        assert!(stderr.contains(complaint), "{stderr}");
        let left: Vec<_> = std::fs::read_dir(target_dir.path()).unwrap().collect();
        assert!(left.is_empty(), "left behind: {left:?}");
    }
}

#[tokio::test]
async fn restore_refuses_what_is_not_a_crowdfund_database_and_checks_older_ones_migrated() {
    if backend_is_postgres() {
        return; // SQLite's commands.
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let target = dir.path().join("data").join("crowdfund.db");
    let target_url = format!("sqlite://{}", target.display());

    // An empty file, and a SQLite database of something else.
    let empty = dir.path().join("empty.db");
    std::fs::write(&empty, b"").unwrap();
    let other = dir.path().join("other.db");
    {
        use diesel::connection::SimpleConnection;
        use diesel::Connection;
        let mut conn = diesel::SqliteConnection::establish(other.to_str().unwrap()).unwrap();
        conn.batch_execute("CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES ('hi');")
            .unwrap();
    }
    for file in [&empty, &other] {
        let out = crowdfund(&target_url, &["restore", file.to_str().unwrap()]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{} was restored", file.display());
        assert!(stderr.contains("not a crowdfund database"), "{stderr}");
        let left: Vec<_> = std::fs::read_dir(target.parent().unwrap())
            .unwrap()
            .collect();
        assert!(left.is_empty(), "left behind: {left:?}");
    }

    // A backup of an older release's schema: its ledger is checked on a
    // migrated scratch copy, and it is restored as that release wrote it.
    let older = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/schemas/20261126000005/sqlite.db");
    let out = crowdfund(&target_url, &["restore", older.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["schema"], "20261126000005", "{report}");
    // 000006 to 000012 were released after it.
    assert_eq!(report["pending_migrations"], 8, "{report}");
    assert!(report["ledger"]["entries"].as_i64() > Some(0), "{report}");
    assert_eq!(
        std::fs::read(&target).unwrap(),
        std::fs::read(&older).unwrap(),
        "restored byte for byte"
    );
    let names: Vec<String> = std::fs::read_dir(target.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        names,
        vec!["crowdfund.db".to_string()],
        "no scratch copy left"
    );
}

/// A server process on a new SQLite file of its own (no other connection
/// holds it open), with `n` registrations answered 201 from `first`.
async fn register_on(server: &crate::helpers::ServerProcess, first: usize, n: usize) {
    let client = reqwest::Client::new();
    for i in first..first + n {
        let reply = client
            .post(format!("{}/api/v1/auth/register", server.address))
            .json(&json!({"email": format!("killed-{i}@example.com"), "password": crate::helpers::PASSWORD,
                          "display_name": "Someone", "role": "investor"}))
            .send()
            .await
            .expect("request sent");
        assert_eq!(reply.status(), 201);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restore_refuses_a_database_left_with_its_log_and_a_clean_stop_or_a_backup_makes_it_whole()
{
    if backend_is_postgres() {
        return; // SQLite's commands; PostgreSQL's refusal is tested above.
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let source = dir.path().join("live").join("crowdfund.db");
    let source_url = format!("sqlite://{}", source.display());
    let vars = crate::helpers::test_vars(&source_url, dir.path(), &[]);
    let restore_into = |name: &str| {
        let target = dir.path().join(name).join("crowdfund.db");
        let out = crowdfund(
            &format!("sqlite://{}", target.display()),
            &["restore", source.to_str().unwrap()],
        );
        (target, out)
    };

    // Three registrations answered, then the server is killed: they are in
    // the write-ahead log beside the file.
    let mut server = crate::helpers::start_process(&vars, &[]).await;
    register_on(&server, 0, 3).await;
    server.kill();
    let wal = dir.path().join("live").join("crowdfund.db-wal");
    assert!(
        std::fs::metadata(&wal).is_ok_and(|m| m.len() > 0),
        "a killed server leaves its log"
    );
    let (target, refused) = restore_into("after-kill");
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success(), "restored: {stderr}");
    assert!(stderr.contains("crowdfund.db-wal"), "{stderr}");
    assert!(stderr.contains("not closed cleanly"), "{stderr}");
    assert!(stderr.contains("crowdfund backup"), "{stderr}");
    let left: Vec<_> = std::fs::read_dir(target.parent().unwrap())
        .map(|d| d.collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "left behind: {left:?}");
    assert!(wal.exists(), "restore never touches its source");

    // What the refusal advises: a copy through SQLite, which reads the log.
    let copy = dir.path().join("whole.db");
    let backed_up = crowdfund(&source_url, &["backup", copy.to_str().unwrap()]);
    assert!(
        backed_up.status.success(),
        "{}",
        String::from_utf8_lossy(&backed_up.stderr)
    );
    let from_copy = dir.path().join("from-copy").join("crowdfund.db");
    let out = crowdfund(
        &format!("sqlite://{}", from_copy.display()),
        &["restore", copy.to_str().unwrap()],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let users = |path: &Path| {
        strings(
            &format!("sqlite://{}", path.display()),
            "SELECT email AS value FROM users",
        )
        .len()
    };
    assert_eq!(users(&from_copy), 3, "every acknowledged registration");

    // A server stopped cleanly leaves the file whole: restored as it is.
    let server = crate::helpers::start_process(&vars, &[]).await;
    register_on(&server, 3, 1).await;
    server.signal("TERM");
    let mut server = server;
    let exit = server.exited_within(Duration::from_secs(45)).await;
    assert!(exit.is_some_and(|e| e.success()), "{}", server.log());
    let (target, out) = restore_into("after-stop");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(users(&target), 4);
}

#[tokio::test]
async fn restore_with_expect_head_restores_nothing_unless_the_chain_holds_that_seal() {
    if backend_is_postgres() {
        return; // SQLite's commands.
    }
    let dir = tempfile::tempdir().expect("temp dir");
    // A backup with a sealed ledger: this schema's fixture, sealed up to date.
    let backup = dir.path().join("backup.db");
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/schemas/20261126000006/sqlite.db"),
        &backup,
    )
    .unwrap();
    let sealed = crowdfund(&format!("sqlite://{}", backup.display()), &["seal-head"]);
    assert!(
        sealed.status.success(),
        "{}",
        String::from_utf8_lossy(&sealed.stderr)
    );
    let head: Value = serde_json::from_slice(&sealed.stdout).expect("a seal head");
    let hash = head["hash"].as_str().expect("a hash").to_string();

    let target = dir.path().join("data").join("crowdfund.db");
    let target_url = format!("sqlite://{}", target.display());
    let wrong = "0".repeat(64);
    let out = crowdfund(
        &target_url,
        &["restore", backup.to_str().unwrap(), "--expect-head", &wrong],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "restored: {stderr}");
    assert!(stderr.contains("does not contain the head"), "{stderr}");
    assert!(stderr.contains(&wrong), "{stderr}");
    let left: Vec<_> = std::fs::read_dir(target.parent().unwrap())
        .unwrap()
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");

    let out = crowdfund(
        &target_url,
        &["restore", backup.to_str().unwrap(), "--expect-head", &hash],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["seal_head"]["hash"], hash.as_str());
    assert_ledger_verifies(&target_url, Some(&hash));
}
