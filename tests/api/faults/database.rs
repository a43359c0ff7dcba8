//! PostgreSQL going away under load, and start-up before it is up. Each
//! test runs its own cluster (see `private_postgres`), in the PostgreSQL
//! pass of the suite.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::helpers::{backend_is_postgres, spawn_app_at, test_vars, TestApp};
use crate::private_postgres::PrivateCluster;

use super::{load, round, settle_up};

fn cluster() -> Option<PrivateCluster> {
    if !backend_is_postgres() {
        eprintln!("skipped: runs in the PostgreSQL pass (TEST_DATABASE_URL)");
        return None;
    }
    PrivateCluster::start()
}

/// Polls `/readyz` until it answers `status`; false if it never did.
async fn readyz_becomes(app: &TestApp, status: u16, within: Duration) -> bool {
    let deadline = Instant::now() + within;
    while Instant::now() < deadline {
        let reply = app.get("/readyz", None).await;
        if reply.status.as_u16() == status {
            if status == 503 {
                reply.assert_problem(503, "database_unavailable");
                assert!(reply.retry_after() >= 1);
            }
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn terminated_connections_and_a_restart_under_load_lose_nothing() {
    let Some(cluster) = cluster() else { return };
    let url = cluster.create_database("crowdfund");
    let app = spawn_app_at(&url, &[]).await;
    let (operator, offering, investors) = round(&app, 8).await;

    let stop = AtomicBool::new(false);
    let faults = async {
        tokio::time::sleep(Duration::from_millis(800)).await;
        // Every connection of the server, mid-request or idle, ended at once.
        let ended = tokio::task::block_in_place(|| cluster.terminate_connections("crowdfund"));
        assert!(ended > 0, "the server had connections");
        tokio::time::sleep(Duration::from_millis(800)).await;
        assert_eq!(app.get("/readyz", None).await.status, 200);

        // Then the database goes away for a while.
        tokio::task::block_in_place(|| cluster.stop());
        assert!(
            readyz_becomes(&app, 503, Duration::from_secs(10)).await,
            "/readyz kept saying ready while the database was down"
        );
        tokio::time::sleep(Duration::from_millis(1500)).await;
        tokio::task::block_in_place(|| cluster.start_again());
        assert!(
            readyz_becomes(&app, 200, Duration::from_secs(15)).await,
            "/readyz did not say ready again after the database returned"
        );
        tokio::time::sleep(Duration::from_millis(800)).await;
        stop.store(true, Ordering::SeqCst);
    };
    let (attempts, ()) = tokio::join!(load(&app, &investors, &offering, &stop), faults);

    let acknowledged = attempts.iter().filter(|a| a.status == 201).count();
    assert!(
        acknowledged > 20,
        "the load ran: {acknowledged} acknowledged"
    );
    let unavailable = settle_up(&app, &operator, &investors, &offering, &attempts).await;
    eprintln!(
        "{} requests, {acknowledged} acknowledged during the faults, 503s: {unavailable:?}",
        attempts.len()
    );
    assert!(
        unavailable
            .get("database_unavailable")
            .copied()
            .unwrap_or(0)
            > 0,
        "the outage was seen by clients as database_unavailable: {unavailable:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn start_up_waits_for_the_database_and_refuses_a_wrong_one() {
    let Some(cluster) = cluster() else { return };
    let url = cluster.create_database("crowdfund");
    tokio::task::block_in_place(|| cluster.stop());

    // Started while the database is down: it waits, then serves.
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .unwrap()
        .port();
    let log = dir.path().join("server.log");
    let mut server = std::process::Command::new(env!("CARGO_BIN_EXE_crowdfund"))
        .arg("serve")
        .envs(test_vars(&url, dir.path(), &[]))
        .env("BIND_ADDR", format!("127.0.0.1:{port}"))
        .stdout(std::fs::File::create(&log).unwrap())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let _kill = KillOnDrop(&mut server);
    tokio::time::sleep(Duration::from_secs(2)).await;
    let client = reqwest::Client::new();
    let health = format!("http://127.0.0.1:{port}/healthz");
    assert!(
        client.get(&health).send().await.is_err(),
        "nothing serves before the database is there"
    );
    tokio::task::block_in_place(|| cluster.start_again());
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if client
            .get(&health)
            .send()
            .await
            .is_ok_and(|r| r.status() == 200)
        {
            break;
        }
        assert!(Instant::now() < deadline, "the server never started");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let ready = client
        .get(format!("http://127.0.0.1:{port}/readyz"))
        .send()
        .await
        .unwrap();
    assert_eq!(ready.status(), 200);
    let logged = std::fs::read_to_string(&log).unwrap();
    assert!(
        logged.contains("the database cannot be reached yet; waiting for it"),
        "{logged}"
    );
    assert!(!logged.contains("ERROR"), "{logged}");

    // A database that does not exist is not waited for.
    let wrong = std::process::Command::new(env!("CARGO_BIN_EXE_crowdfund"))
        .arg("migrate")
        .env("DATABASE_URL", cluster.url("no_such_database"))
        .env("JWT_SECRET", crate::helpers::JWT_SECRET)
        .env("DATABASE_STARTUP_WAIT_SECS", "600")
        .output()
        .unwrap();
    assert!(!wrong.status.success());
    let said = String::from_utf8_lossy(&wrong.stderr);
    assert!(
        said.contains("retrying will not change") && said.contains("does not exist"),
        "{said}"
    );
}

struct KillOnDrop<'a>(&'a mut std::process::Child);

impl Drop for KillOnDrop<'_> {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_keyed_write_cut_off_mid_transaction_is_released_for_its_retry() {
    use diesel::connection::SimpleConnection;
    use diesel::Connection;
    let Some(cluster) = cluster() else { return };
    let url = cluster.create_database("crowdfund");
    let app = spawn_app_at(&url, &[]).await;
    let operator = app.operator().await;
    let investor = app.investor(&operator, 0).await;

    // The deposit's transaction (its key claimed and committed before it)
    // waits on a lock held here; its connection is ended while it waits.
    let mut holder = diesel::PgConnection::establish(&url).unwrap();
    holder
        .batch_execute("BEGIN; LOCK TABLE deposits IN ACCESS EXCLUSIVE MODE;")
        .unwrap();
    let body = serde_json::json!({"amount": 5_000});
    let cut_off = app.post_keyed(
        "/api/v1/me/deposits",
        Some(&investor.token),
        "cut-off",
        body.clone(),
    );
    let terminator = async {
        let deadline = Instant::now() + Duration::from_secs(4);
        loop {
            tokio::time::sleep(Duration::from_millis(100)).await;
            let ended = tokio::task::block_in_place(|| cluster.terminate_lock_waiters("crowdfund"));
            if ended > 0 {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "the deposit never waited on the lock"
            );
        }
    };
    let (reply, ()) = tokio::join!(cut_off, terminator);
    reply.assert_problem(503, "database_unavailable");
    assert!(reply.retry_after() >= 1);
    holder.batch_execute("ROLLBACK").unwrap();

    // Not done, and the key let go: the retry does it, once.
    assert_eq!(app.count("deposits"), 0);
    let deadline = Instant::now() + Duration::from_secs(10);
    let done = loop {
        let retry = app
            .post_keyed(
                "/api/v1/me/deposits",
                Some(&investor.token),
                "cut-off",
                body.clone(),
            )
            .await;
        if retry.status != 409 || Instant::now() > deadline {
            break retry;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(done.status, 201, "{}", done.body);
    assert_eq!(done.headers.get("idempotent-replayed"), None);
    let again = app
        .post_keyed(
            "/api/v1/me/deposits",
            Some(&investor.token),
            "cut-off",
            body,
        )
        .await;
    assert_eq!(again.status, 201);
    assert_eq!(again.headers["idempotent-replayed"], "true");
    assert_eq!(again.body["reference"], done.body["reference"]);
    assert_eq!(app.count("deposits"), 1);
    let (ok, report) = app.verify_ledger();
    assert!(ok, "{report}");
}

/// A PostgreSQL that writes its messages in German (`lc_messages`): a lock
/// timeout is still told from a bug, and answers 503 `database_busy`.
///
/// This machine has only the C locales, so the cluster is made to speak
/// German the way glibc allows without one: `lc_messages = 'C.UTF-8'` (any
/// locale but plain `C`) and `LANGUAGE=de` in the server's environment,
/// which gettext then follows; PostgreSQL's German catalogue is installed
/// with it. The test first checks that the server does answer in German.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_lock_timeout_on_a_server_that_speaks_german_answers_503_database_busy() {
    use diesel::connection::SimpleConnection;
    use diesel::Connection;
    if !backend_is_postgres() {
        eprintln!("skipped: runs in the PostgreSQL pass (TEST_DATABASE_URL)");
        return;
    }
    let Some(cluster) = PrivateCluster::start_with(&[("LANGUAGE", "de")], &["lc_messages=C.UTF-8"])
    else {
        return;
    };
    let url = cluster.create_database("crowdfund");
    let said = cluster.error_of("crowdfund", "SELECT 1 / 0");
    if !said.contains("Division durch Null") {
        eprintln!("skipped: this PostgreSQL has no German messages ({said})");
        return;
    }
    let app = spawn_app_at(&url, &[("DATABASE_LOCK_TIMEOUT_MS", "300")]).await;
    let operator = app.operator().await;
    let investor = app.investor(&operator, 0).await;

    // The test holds the investor's user row; the deposit's claim needs it.
    let mut holder = diesel::PgConnection::establish(&url).expect("test connection");
    holder
        .batch_execute(&format!(
            "BEGIN; SELECT id FROM users WHERE id = '{}' FOR UPDATE",
            investor.id
        ))
        .expect("hold the user's row");
    let busy = app
        .post_keyed(
            "/api/v1/me/deposits",
            Some(&investor.token),
            "behind-a-lock",
            serde_json::json!({"amount": 100}),
        )
        .await;
    busy.assert_problem(503, "database_busy");
    assert_eq!(busy.retry_after(), 1);
    holder.batch_execute("ROLLBACK").expect("let go");

    // Nothing was applied: the retry with the same key does it once.
    let retried = app
        .post_keyed(
            "/api/v1/me/deposits",
            Some(&investor.token),
            "behind-a-lock",
            serde_json::json!({"amount": 100}),
        )
        .await;
    assert_eq!(retried.status, 201, "{}", retried.body);
    assert_eq!(app.count("deposits"), 1);
}
