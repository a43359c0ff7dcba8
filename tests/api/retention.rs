//! Rows that only need keeping for a while are pruned after their retention
//! by every instance's background job; the ledger and audit log never are.

use std::time::Duration;

use serde_json::json;

use crate::helpers::{eventually, spawn_app_with};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn keys_sent_emails_and_bank_events_are_pruned_and_the_books_are_not() {
    // Idempotency-Keys are kept at least a day (the configuration refuses
    // less): the test ages them instead.
    let short = [
        ("SENT_EMAIL_RETENTION_SECS", "1"),
        ("BANK_EVENT_RETENTION_SECS", "1"),
        ("RETENTION_INTERVAL_SECS", "1"),
        ("MAIL_RELAY_INTERVAL_MS", "100"),
    ];
    let app = spawn_app_with(&short).await;
    // A second instance prunes the same tables at the same time.
    let _second = app.spawn_sibling(&short).await;
    let operator = app.operator().await;
    let investor = app.investor(&operator, 25_000).await;
    app.wait_for_email(&investor.email, "Confirm your email address")
        .await;
    let first = app
        .post_keyed(
            "/api/v1/me/deposits",
            Some(&investor.token),
            "short-lived",
            json!({"amount": 100}),
        )
        .await;
    assert_eq!(first.status, 201, "{}", first.body);
    let note = json!({"bank_txn_id": "KEPT-TXN", "kind": "deposit",
                      "reference": first.body["reference"], "amount": 100});
    assert_eq!(app.bank_webhook(&note).await.body["outcome"], "credited");
    let entries = app.count("journal_entries");
    let audit = app.count("audit_log");
    assert!(entries > 0 && audit > 0);
    app.execute("UPDATE idempotency_keys SET created_at = '2000-01-01 00:00:00'");

    let pruned = eventually(Duration::from_secs(20), || {
        app.count("idempotency_keys") == 0
            && app.count("bank_events") == 0
            && app.count("outbox WHERE sent_at IS NOT NULL") == 0
    })
    .await;
    assert!(
        pruned,
        "left: {} keys, {} bank events, {} sent emails",
        app.count("idempotency_keys"),
        app.count("bank_events"),
        app.count("outbox WHERE sent_at IS NOT NULL")
    );
    assert_eq!(app.count("journal_entries"), entries);
    assert!(app.count("audit_log") >= audit);
    assert_eq!(app.available(&investor).await, 25_100);
    // The bank repeating itself after its notification was pruned is still
    // a repeat: the transfer it made is on the books.
    let late = app.bank_webhook(&note).await;
    assert_eq!(late.body["outcome"], "duplicate", "{}", late.body);
    assert_eq!(app.available(&investor).await, 25_100);
    // A key pruned is a key forgotten: reused, it is a new request.
    let again = app
        .post_keyed(
            "/api/v1/me/deposits",
            Some(&investor.token),
            "short-lived",
            json!({"amount": 200}),
        )
        .await;
    assert_eq!(again.status, 201, "{}", again.body);
    assert_ne!(again.body["reference"], first.body["reference"]);
    let (ok, report) = app.verify_ledger();
    assert!(ok, "{report}");
}

#[tokio::test]
async fn old_rate_limit_counts_and_forgotten_sign_in_addresses_are_pruned() {
    let app = spawn_app_with(&[("RETENTION_INTERVAL_SECS", "1")]).await;
    let now = chrono::Utc::now().timestamp();
    app.execute(&format!(
        "INSERT INTO rate_limits (bucket, window_start, hits) VALUES \
         ('register:address:203.0.113.1', {old}, 3), ('register:address:203.0.113.1', {now}, 1)",
        old = now - 3 * 86_400,
    ));
    app.execute(
        "INSERT INTO sign_in_addresses (email, client_ip, failures, last_failure_at, last_success_at) VALUES \
         ('gone@example.com', '203.0.113.2', 3, '2020-01-01 00:00:00', NULL), \
         ('old-home@example.com', '203.0.113.3', 0, NULL, '2020-01-01 00:00:00'), \
         ('home@example.com', '203.0.113.4', 0, '2020-01-01 00:00:00', '2099-01-01 00:00:00')",
    );
    let pruned = eventually(Duration::from_secs(20), || {
        app.count("rate_limits") == 1 && app.count("sign_in_addresses") == 1
    })
    .await;
    assert!(
        pruned,
        "left: {} windows, {} addresses",
        app.count("rate_limits"),
        app.count("sign_in_addresses")
    );
    assert_eq!(
        app.count(&format!("rate_limits WHERE window_start = {now}")),
        1
    );
    assert_eq!(
        app.count("sign_in_addresses WHERE email = 'home@example.com'"),
        1,
        "an address signed in from recently is kept"
    );
}

#[tokio::test]
async fn only_answered_keys_are_pruned() {
    let app = spawn_app_with(&[("RETENTION_INTERVAL_SECS", "1")]).await;
    let operator = app.operator().await;
    let investor = app.investor(&operator, 0).await;
    let answered = app
        .post_keyed(
            "/api/v1/me/deposits",
            Some(&investor.token),
            "answered",
            json!({"amount": 100}),
        )
        .await;
    assert_eq!(answered.status, 201, "{}", answered.body);
    // A claim whose request never answered (its server was killed while it
    // ran): what the claim of a request in flight looks like.
    app.execute(&format!(
        "INSERT INTO idempotency_keys (user_id, idem_key, request_hash, locked_at, created_at) \
         VALUES ('{}', 'in-flight', 'unanswered', '2000-01-01 00:00:00', '2000-01-01 00:00:00')",
        investor.id
    ));
    // Both far older than the retention (7 days by default).
    app.execute("UPDATE idempotency_keys SET created_at = '2000-01-01 00:00:00'");

    let pass_ran = eventually(Duration::from_secs(20), || {
        app.count("idempotency_keys WHERE idem_key = 'answered'") == 0
    })
    .await;
    assert!(pass_ran, "the answered key was never pruned");
    assert_eq!(
        app.count("idempotency_keys WHERE idem_key = 'in-flight' AND status_code IS NULL"),
        1,
        "an unanswered key survives the pass that pruned the answered one"
    );
    // The key is still known: another request with it is refused, where a
    // pruned key would have run it.
    let retry = app
        .post_keyed(
            "/api/v1/me/deposits",
            Some(&investor.token),
            "in-flight",
            json!({"amount": 300}),
        )
        .await;
    retry.assert_problem(422, "idempotency_key_mismatch");
}

#[test]
fn a_key_retention_under_a_day_is_refused_at_start() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_crowdfund"))
        .arg("migrate")
        .env("DATABASE_URL", dir.path().join("x.db"))
        .env("JWT_SECRET", crate::helpers::JWT_SECRET)
        .env("IDEMPOTENCY_KEY_RETENTION_SECS", "3600")
        .output()
        .expect("run crowdfund");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("IDEMPOTENCY_KEY_RETENTION_SECS: must be at least 86400 (24 hours)"),
        "{stderr}"
    );
    assert!(!dir.path().join("x.db").exists(), "nothing was started");
}
