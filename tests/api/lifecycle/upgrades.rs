//! Upgrades. Each released schema has a fixture in `tests/fixtures/
//! schemas/VERSION/` (VERSION: its newest migration): a small database of
//! each backend, written by a release's server through its API
//! (`sqlite.db`; `postgres.sql`, a `pg_dump --inserts`), and what that
//! server answered each person (`sqlite.json`, `postgres.json`). This
//! build must open each, migrate it, and answer the same: every balance,
//! subscription, holding and login unchanged.
//!
//! A fixture is written once, by `write_release_fixture` (ignored; see
//! README, "Backups and upgrades"), and never rewritten.

use std::path::{Path, PathBuf};

use serde_json::{json, Value};

use crate::faults::PRICE;
use crate::helpers::{
    backend_is_postgres, fresh_database, spawn_app, spawn_app_at, start_process_of, test_vars,
    unique_email, TestApp, JWT_SECRET, PASSWORD,
};
use crate::world::Person;

use super::assert_ledger_verifies;

fn schemas_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/schemas")
}

/// The fixture files of this backend: (database, manifest).
fn fixture_names() -> (&'static str, &'static str) {
    if backend_is_postgres() {
        ("postgres.sql", "postgres.json")
    } else {
        ("sqlite.db", "sqlite.json")
    }
}

/// A person of the fixture and the pages to read back as them.
struct Account<'a> {
    person: &'a Person,
    role: &'static str,
    views: Vec<String>,
}

/// Builds a small but complete set of books through the API: a settled
/// round with holdings, an open round with a cancelled subscription, a paid
/// withdrawal, a limited (non-accredited) investor.
async fn populate(app: &TestApp, operator: Person) -> (Vec<(Person, &'static str)>, Vec<String>) {
    let sponsor = app.sponsor().await;
    let a = app.investor(&operator, 100 * PRICE).await;
    let b = app
        .investor_with(&operator, 8_000_000, 9_000_000, false, 50 * PRICE)
        .await;
    let c = app.investor(&operator, 40 * PRICE).await;

    let settled = app
        .open_offering(
            &sponsor,
            &operator,
            json!({"price_per_share": PRICE, "target_amount": 20 * PRICE, "title": "Settled round"}),
        )
        .await;
    for (investor, shares, key) in [(&a, 12, "s-a"), (&c, 8, "s-c")] {
        let r = app.subscribe(investor, &settled, json!(shares), key).await;
        assert_eq!(r.status, 201, "{}", r.body);
    }
    let done = app.settle(&operator, &settled, "settle").await;
    assert_eq!(done.status, 200, "{}", done.body);

    let open = app
        .open_offering(
            &sponsor,
            &operator,
            json!({"price_per_share": PRICE, "target_amount": 1_000 * PRICE, "title": "Open round"}),
        )
        .await;
    let mut last = Value::Null;
    for (investor, shares, key) in [(&a, 5, "o-a"), (&b, 3, "o-b1"), (&b, 2, "o-b2")] {
        let r = app.subscribe(investor, &open, json!(shares), key).await;
        assert_eq!(r.status, 201, "{}", r.body);
        last = r.body;
    }
    // b thinks better of the second one.
    let id = last["id"].as_str().expect("a subscription id");
    let r = app
        .post(
            &format!("/api/v1/subscriptions/{id}/cancel"),
            Some(&b.token),
            json!({}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);

    let w = app
        .post_keyed(
            "/api/v1/me/withdrawals",
            Some(&c.token),
            "w-c",
            json!({"amount": 7 * PRICE}),
        )
        .await;
    assert_eq!(w.status, 201, "{}", w.body);
    let paid = app
        .bank_webhook(
            &json!({"bank_txn_id": "OUT-fixture", "reference": w.body["reference"],
                              "amount": 7 * PRICE, "kind": "withdrawal"}),
        )
        .await;
    assert_eq!(paid.body["outcome"], "paid", "{}", paid.body);

    let people = vec![
        (operator, "operator"),
        (sponsor, "sponsor"),
        (a, "investor"),
        (b, "investor"),
        (c, "investor"),
    ];
    (people, vec![settled, open])
}

fn views(role: &str, offerings: &[String]) -> Vec<String> {
    let mut paths: Vec<String> = vec!["/api/v1/me".into()];
    match role {
        "investor" => paths.extend(
            [
                "/api/v1/me/account",
                "/api/v1/me/account/transactions",
                "/api/v1/me/subscriptions",
                "/api/v1/me/holdings",
                "/api/v1/me/deposits",
                "/api/v1/me/withdrawals",
                "/api/v1/me/investor-profile",
            ]
            .map(String::from),
        ),
        "sponsor" => {
            paths.push("/api/v1/me/offerings".into());
            // The settled round's (an open one has none yet).
            paths.push(format!("/api/v1/offerings/{}/cap-table", offerings[0]));
        }
        _ => {
            paths.push("/api/v1/operator/ledger/trial-balance".into());
            paths.extend(offerings.iter().map(|o| format!("/api/v1/offerings/{o}")));
            paths.extend(
                offerings
                    .iter()
                    .map(|o| format!("/api/v1/offerings/{o}/subscriptions")),
            );
        }
    }
    paths
}

/// What each person sees, signed in afresh with their password.
async fn read_views(app: &TestApp, accounts: &[Account<'_>]) -> Value {
    let mut out = Vec::new();
    for account in accounts {
        let login = app.login(&account.person.email, PASSWORD).await;
        assert_eq!(
            login.status, 200,
            "{}: {}",
            account.person.email, login.body
        );
        let token = login.body["access_token"].as_str().expect("a token");
        let mut seen = serde_json::Map::new();
        for path in &account.views {
            let reply = app.get(path, Some(token)).await;
            assert_eq!(reply.status, 200, "{path}: {}", reply.body);
            seen.insert(path.clone(), reply.body);
        }
        out.push(json!({"email": account.person.email, "role": account.role, "views": seen}));
    }
    Value::Array(out)
}

/// Writes the fixture of the schema that a release's server gives a new
/// database, on the backend under test. The release is this build, or the
/// `crowdfund` binary that `FIXTURE_SERVER` names (an earlier release,
/// built from its tag). Run once per released schema, on each backend:
/// `cargo test --test api write_release_fixture -- --ignored` (and again
/// with `TEST_DATABASE_URL`). Refuses to replace an existing fixture.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "writes tests/fixtures; run by hand for each released schema"]
async fn write_release_fixture() {
    let binary = std::env::var_os("FIXTURE_SERVER")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_crowdfund")));
    let run = |args: &[&str], url: &str| {
        let out = std::process::Command::new(&binary)
            .args(args)
            .env("DATABASE_URL", url)
            .env("JWT_SECRET", JWT_SECRET)
            .output()
            .expect("run the release's crowdfund");
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("utf-8")
    };
    // What wrote it: `FIXTURE_RELEASE` (a tag, a commit), else the
    // binary's own `--version`.
    let release = std::env::var("FIXTURE_RELEASE")
        .unwrap_or_else(|_| run(&["--version"], "").trim().to_string());

    let dir = tempfile::tempdir().expect("temp dir");
    let (url, _db) = fresh_database(dir.path());
    let vars = test_vars(&url, dir.path(), &[]);
    let server = start_process_of(&binary, &vars, &[]).await;
    let app = TestApp::of_process(&server, vars);

    // The operator as that release makes one: by its command line.
    let email = unique_email("op");
    run(
        &["create-operator", "--email", &email, "--password", PASSWORD],
        &url,
    );
    let operator = app.signed_in(email).await;
    let (people, offerings) = populate(&app, operator).await;
    let accounts: Vec<Account> = people
        .iter()
        .map(|(person, role)| Account {
            person,
            role,
            views: views(role, &offerings),
        })
        .collect();
    // Everything posted is sealed, so the fixture carries a head to check.
    let head: Value = serde_json::from_str(&run(&["seal-head"], &url)).expect("a seal head");
    let seen = read_views(&app, &accounts).await;
    drop(server);

    let state = crowdfund::db::schema_state(&mut app.conn()).expect("schema state");
    let schema = state.applied.last().expect("a migrated database").clone();
    let fixture = schemas_dir().join(&schema);
    let (database_name, manifest_name) = fixture_names();
    let (database, manifest) = (fixture.join(database_name), fixture.join(manifest_name));
    assert!(
        !database.exists() && !manifest.exists(),
        "{} already has its fixture: a fixture is never rewritten",
        fixture.display()
    );
    std::fs::create_dir_all(&fixture).expect("fixture folder");
    if backend_is_postgres() {
        let bin = crate::private_postgres::server_binaries().expect("pg_dump");
        let out = std::process::Command::new(bin.join("pg_dump"))
            .args(["--inserts", "--no-owner", "--no-privileges"])
            .arg(format!("--dbname={url}"))
            .output()
            .expect("run pg_dump");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        // psql's meta-commands (`\restrict`) are not SQL; the test loads
        // the dump over a plain connection.
        let sql: String = String::from_utf8(out.stdout)
            .expect("utf-8 dump")
            .lines()
            .filter(|line| !line.starts_with('\\'))
            .map(|line| format!("{line}\n"))
            .collect();
        std::fs::write(&database, sql).expect("write the dump");
    } else {
        // The release's file, copied whole (through its write-ahead log).
        use diesel::Connection;
        let path = url.trim_start_matches("sqlite://");
        let mut conn = diesel::SqliteConnection::establish(path).expect("open");
        crowdfund::db::sqlite_file::copy_into(&mut conn, &database).expect("copy");
    }
    let manifest_body = json!({
        "release": release,
        "schema": schema,
        "password": PASSWORD,
        "seal_head": head,
        "accounts": seen,
    });
    std::fs::write(
        &manifest,
        serde_json::to_string_pretty(&manifest_body).expect("json") + "\n",
    )
    .expect("write the manifest");
}

/// Loads a fixture into a new database; returns its URL and what keeps it.
fn load_fixture(file: &Path, dir: &Path) -> (String, Option<crate::helpers::TestDatabase>) {
    if backend_is_postgres() {
        use diesel::connection::SimpleConnection;
        use diesel::Connection;
        let (url, db) = fresh_database(dir);
        let sql = std::fs::read_to_string(file).expect("read the dump");
        let mut conn = diesel::PgConnection::establish(&url).expect("connect");
        conn.batch_execute(&sql).expect("load the dump");
        (url, db)
    } else {
        let path = dir.join("crowdfund.db");
        std::fs::copy(file, &path).expect("copy the fixture");
        (format!("sqlite://{}", path.display()), None)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_released_schema_opens_migrates_and_serves_the_same_books() {
    let (database_name, manifest_name) = fixture_names();
    let mut releases: Vec<PathBuf> = std::fs::read_dir(schemas_dir())
        .expect("tests/fixtures/schemas")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.join(database_name).exists())
        .collect();
    releases.sort();
    assert!(!releases.is_empty(), "no release fixture for this backend");
    for release in releases {
        let manifest: Value =
            serde_json::from_slice(&std::fs::read(release.join(manifest_name)).expect("manifest"))
                .expect("a JSON manifest");
        let dir = tempfile::tempdir().expect("temp dir");
        let (url, _db) = load_fixture(&release.join(database_name), dir.path());

        // This build migrates it at start-up and serves it.
        let app = spawn_app_at(&url, &[]).await;
        let state = crowdfund::db::schema_state(&mut app.conn()).expect("schema state");
        assert!(
            state.pending.is_empty() && state.unknown.is_empty(),
            "{state:?}"
        );
        assert!(
            state
                .applied
                .contains(&manifest["schema"].as_str().expect("schema").to_string()),
            "{state:?}"
        );
        for account in manifest["accounts"].as_array().expect("accounts") {
            let email = account["email"].as_str().expect("email");
            let password = manifest["password"].as_str().expect("password");
            let login = app.login(email, password).await;
            assert_eq!(
                login.status,
                200,
                "{}: {email} cannot sign in",
                release.display()
            );
            let token = login.body["access_token"].as_str().expect("a token");
            for (path, then) in account["views"].as_object().expect("views") {
                let now = app.get(path, Some(token)).await;
                assert_eq!(now.status, 200, "{path}: {}", now.body);
                assert_still(
                    then,
                    &now.body,
                    &format!("{} {email} {path}", release.display()),
                );
            }
        }
        let head = manifest["seal_head"]["hash"].as_str().expect("a seal head");
        assert_ledger_verifies(&url, Some(head));
        // And it takes new business.
        let sponsor = app.sponsor().await;
        let operator_email = manifest["accounts"][0]["email"].as_str().expect("operator");
        let operator = app.signed_in(operator_email.to_string()).await;
        let offering = app
            .open_offering(
                &sponsor,
                &operator,
                json!({"price_per_share": PRICE, "target_amount": 10 * PRICE}),
            )
            .await;
        let investor = app.investor(&operator, 10 * PRICE).await;
        let r = app
            .subscribe(&investor, &offering, json!(10), "after-upgrade")
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        assert_ledger_verifies(&url, Some(head));
    }
}

/// Everything the release answered is still answered the same: each field
/// it gave has the same value now (a later release may add fields).
fn assert_still(then: &Value, now: &Value, at: &str) {
    match (then, now) {
        (Value::Object(then), Value::Object(now)) => {
            for (key, value) in then {
                let Some(current) = now.get(key) else {
                    panic!("{at}: `{key}` is gone (was {value})");
                };
                assert_still(value, current, &format!("{at}.{key}"));
            }
        }
        // The ledger's checks: a later release may check more.
        (Value::Array(then), Value::Array(now)) if at.ends_with(".invariants") => {
            for name in then {
                assert!(now.contains(name), "{at}: {name} is no longer checked");
            }
        }
        (Value::Array(then), Value::Array(now)) => {
            assert_eq!(
                then.len(),
                now.len(),
                "{at}: {} items, now {}",
                then.len(),
                now.len()
            );
            for (i, (a, b)) in then.iter().zip(now).enumerate() {
                assert_still(a, b, &format!("{at}[{i}]"));
            }
        }
        _ => assert_eq!(then, now, "{at}"),
    }
}

#[tokio::test]
async fn a_database_from_a_newer_release_is_refused_with_a_clear_message() {
    let app = spawn_app().await;
    app.execute("INSERT INTO __diesel_schema_migrations (version) VALUES ('99991231000000')");
    let message = "written by a newer release of crowdfund";

    let migrate = app.cli(&["migrate"]);
    let stderr = String::from_utf8_lossy(&migrate.stderr);
    assert!(!migrate.status.success());
    assert!(
        stderr.contains(message) && stderr.contains("99991231000000"),
        "{stderr}"
    );

    // `serve` exits before it listens.
    let mut serve = std::process::Command::new(env!("CARGO_BIN_EXE_crowdfund"))
        .arg("serve")
        .env("DATABASE_URL", app.database_url_string())
        .env("JWT_SECRET", crate::helpers::JWT_SECRET)
        .env("BIND_ADDR", "127.0.0.1:0")
        .env("NO_COLOR", "1")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start serve");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let status = loop {
        if let Some(status) = serve.try_wait().expect("wait") {
            break status;
        }
        if std::time::Instant::now() > deadline {
            let _ = serve.kill();
            panic!("serve opened a database from a newer release");
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    let output = serve.wait_with_output().expect("output");
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(!status.success());
    assert!(said.contains(message), "{said}");

    if !backend_is_postgres() {
        let dir = tempfile::tempdir().expect("temp dir");
        let target = dir.path().join("b.db");
        let backup = app.cli(&["backup", target.to_str().unwrap()]);
        assert!(!backup.status.success());
        assert!(String::from_utf8_lossy(&backup.stderr).contains(message));
        assert!(!target.exists());
    }
}

#[tokio::test]
async fn migrations_run_backwards_where_they_can_and_say_so_where_they_cannot() {
    use diesel::Connection;
    use diesel_migrations::{FileBasedMigrations, MigrationHarness};
    let dir = tempfile::tempdir().expect("temp dir");
    let (url, _db) = fresh_database(dir.path());
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
    if backend_is_postgres() {
        // Every step reverts on an empty database, and the schema is then
        // built again from nothing.
        let migrations = FileBasedMigrations::from_path(root.join("postgres")).expect("folder");
        let mut conn = diesel::PgConnection::establish(&url).expect("connect");
        let applied = conn
            .run_pending_migrations(migrations.clone())
            .expect("up")
            .len();
        let reverted = conn
            .revert_all_migrations(migrations.clone())
            .expect("down")
            .len();
        assert_eq!(applied, reverted);
        conn.run_pending_migrations(migrations).expect("up again");
    } else {
        // 000005 rebuilt tables on SQLite: reverting it refuses, and says
        // to restore the backup taken before the upgrade.
        let migrations = FileBasedMigrations::from_path(root.join("sqlite")).expect("folder");
        let path = url.trim_start_matches("sqlite://");
        let mut conn = diesel::SqliteConnection::establish(path).expect("connect");
        conn.run_pending_migrations(migrations.clone()).expect("up");
        for step in [
            "000013", "000012", "000011", "000010", "000009", "000008", "000007", "000006",
        ] {
            let reverted = conn
                .revert_last_migration(migrations.clone())
                .unwrap_or_else(|e| panic!("{step} reverts: {e}"));
            assert!(reverted.to_string().contains(step), "{reverted}");
        }
        let refused = conn
            .revert_last_migration(migrations)
            .expect_err("000005 cannot be reverted");
        assert!(
            refused
                .to_string()
                .contains("cannot be reverted on SQLite: restore a backup"),
            "{refused}"
        );
    }
}

/// SQLite's table-rebuilding migrations commit their own transaction, and
/// diesel records the version after it: a process that dies in between
/// leaves the work done and the version unrecorded. The next start records
/// it instead of running it again (which would fail on every start).
#[tokio::test]
async fn a_migration_committed_before_its_version_was_recorded_is_recorded_at_the_next_start() {
    use diesel::connection::SimpleConnection;
    use diesel::Connection;
    use diesel_migrations::{FileBasedMigrations, MigrationHarness};
    if backend_is_postgres() {
        eprintln!("skipped on PostgreSQL: its migrations run inside diesel's transaction");
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let (url, _db) = fresh_database(dir.path());
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations/sqlite");
    let path = url.trim_start_matches("sqlite://").to_string();
    {
        // Up to 000004, then 000005's work committed without its version
        // row: the state a crash between its COMMIT and the record leaves.
        let mut conn = diesel::SqliteConnection::establish(&path).expect("connect");
        let migrations = FileBasedMigrations::from_path(&root).expect("folder");
        for _ in 0..4 {
            conn.run_next_migration(migrations.clone())
                .expect("up to 000004");
        }
        let up = root.join("2026-11-26-000005_edges_of_the_books/up.sql");
        let sql = std::fs::read_to_string(up).expect("read 000005");
        conn.batch_execute(&sql).expect("000005 by hand");
    }
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_crowdfund"))
        .arg("migrate")
        .env("DATABASE_URL", &url)
        .env("JWT_SECRET", crate::helpers::JWT_SECRET)
        .output()
        .expect("run crowdfund migrate");
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{said}");
    assert!(said.contains("recording it as applied"), "{said}");
    let mut conn = diesel::SqliteConnection::establish(&path).expect("connect");
    let versions: Vec<String> = conn
        .applied_migrations()
        .expect("versions")
        .into_iter()
        .map(|v| v.to_string())
        .collect();
    for v in ["20261126000005", "20261126000006", "20261206000007"] {
        assert!(versions.iter().any(|x| x == v), "{v} missing: {versions:?}");
    }
}
