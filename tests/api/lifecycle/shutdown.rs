//! SIGTERM and SIGINT: requests in flight are answered, the jobs stop, the
//! process exits 0, and a SQLite database file is whole on its own.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use serde_json::json;

use crate::faults::{load, round};
use crate::helpers::{fresh_database, spawn_app, start_process, test_vars, unique_email, PASSWORD};

use super::{assert_ledger_verifies, copy_alone, sqlite_file, strings, subscription_ids};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigterm_answers_the_requests_in_flight_and_leaves_a_whole_database_file() {
    let mut app = spawn_app().await;
    let (_operator, offering, investors) = round(&app, 8).await;
    let mut server = app.spawn_process(&[]).await;
    app.hand_over_to(&server);

    // Eight clients subscribe in a loop; SIGTERM arrives while they do.
    let stop = AtomicBool::new(false);
    let stopper = async {
        tokio::time::sleep(Duration::from_millis(1500)).await;
        server.signal("TERM");
        let exit = server.exited_within(Duration::from_secs(45)).await;
        stop.store(true, Ordering::SeqCst);
        exit
    };
    let (attempts, exit) = tokio::join!(load(&app, &investors, &offering, &stop), stopper);
    let exit = exit.expect("the server exits after SIGTERM");
    assert!(exit.success(), "exit status {exit}:\n{}", server.log());

    // Every request was answered 201 until the listener closed; after that
    // connections were refused (0). Nothing was cut off with a 5xx.
    let acknowledged: Vec<String> = attempts
        .iter()
        .filter(|a| a.status == 201)
        .map(|a| a.body["id"].as_str().expect("an id").to_string())
        .collect();
    for a in &attempts {
        assert!(
            a.status == 201 || a.status == 0,
            "{} was answered {}: {}",
            a.key,
            a.status,
            a.body
        );
    }
    // A request sent on a kept-alive connection just as the server closed
    // it was never read (HTTP/1.1's race; a client retries it with its
    // key): it failed before any answer began (the connection seen closed,
    // or reset while the request was still being sent, when the server's
    // close found it unread), and nothing of it exists.
    let closed: Vec<_> = attempts
        .iter()
        .filter(|a| a.status == 0 && !a.refused)
        .collect();
    for a in &closed {
        let error = a.body.to_string();
        assert!(
            error.contains("IncompleteMessage")
                || (error.contains("SendRequest") && error.contains("ConnectionReset")),
            "{} was cut off: {}",
            a.key,
            a.body
        );
        let key = format!("idempotency_keys WHERE idem_key = '{}'", a.key);
        assert_eq!(app.count(&key), 0, "{} was written unanswered", a.key);
    }
    assert!(
        acknowledged.len() > 10,
        "the load ran: {}",
        acknowledged.len()
    );
    eprintln!(
        "{} acknowledged, {} refused after the listener closed, {} sent as a kept-alive \
         connection closed",
        acknowledged.len(),
        attempts.iter().filter(|a| a.refused).count(),
        closed.len()
    );
    let log = server.log();
    assert!(
        log.contains("stopping: finishing the requests in flight"),
        "{log}"
    );
    assert!(log.trim_end().ends_with(" INFO stopped"), "{log}");
    assert_eq!(server.complaints(), Vec::<String>::new(), "{log}");

    let url = app.database_url_string();
    let stored = match sqlite_file(&url) {
        // The file alone, copied without its -wal, holds every acknowledged
        // subscription: the log was checkpointed into it.
        Some(path) => {
            assert!(
                log.contains("write-ahead log checkpointed"),
                "no checkpoint: {log}"
            );
            let (_dir, copy) = copy_alone(&path);
            let copy_url = format!("sqlite://{}", copy.display());
            assert_ledger_verifies(&copy_url, None);
            subscription_ids(&copy_url)
        }
        None => subscription_ids(&url),
    };
    let acknowledged: std::collections::BTreeSet<String> = acknowledged.into_iter().collect();
    // Each acknowledged subscription is there, and nothing else: a request
    // in flight was answered, never committed unanswered.
    assert_eq!(stored, acknowledged);
    assert_ledger_verifies(&url, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_first_start_logs_no_warning_and_sigint_stops_it_cleanly() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (url, _db) = fresh_database(dir.path());
    let vars = test_vars(&url, dir.path(), &[]);
    // A database that has never been opened: the server creates it.
    let mut server = start_process(&vars, &[]).await;
    let email = unique_email("first");
    let client = reqwest::Client::new();
    let registered = client
        .post(format!("{}/api/v1/auth/register", server.address))
        .json(
            &json!({"email": email, "password": PASSWORD, "display_name": "First",
                      "role": "investor"}),
        )
        .send()
        .await
        .expect("register");
    assert_eq!(registered.status(), 201);

    server.signal("INT");
    let exit = server
        .exited_within(Duration::from_secs(30))
        .await
        .expect("the server exits after SIGINT");
    let log = server.log();
    assert!(exit.success(), "exit status {exit}:\n{log}");
    assert!(log.contains("migrations applied"), "{log}");
    assert!(log.contains("signal=\"SIGINT\""), "{log}");
    assert!(log.trim_end().ends_with(" INFO stopped"), "{log}");
    assert_eq!(server.complaints(), Vec::<String>::new(), "{log}");

    if let Some(path) = sqlite_file(&url) {
        // Nothing is left in a write-ahead log: the file is the database.
        for companion in crowdfund::db::sqlite_file::companions(&path) {
            assert!(
                !companion.exists(),
                "{} outlived a clean stop",
                companion.display()
            );
        }
        let (_copy_dir, copy) = copy_alone(&path);
        let copy_url = format!("sqlite://{}", copy.display());
        assert_ledger_verifies(&copy_url, None);
        let emails = strings(&copy_url, "SELECT email AS value FROM users");
        assert_eq!(emails.into_iter().collect::<Vec<_>>(), vec![email]);
    }
}
