//! Offerings close at their deadline: funded when they raised min_raise,
//! failed otherwise, exactly once however many instances sweep.

use std::time::Duration;

use serde_json::json;

use crate::helpers::{eventually, spawn_app_with};

const PRICE: i64 = 1_000;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_sweepers_of_several_instances_close_each_offering_once() {
    let app = spawn_app_with(&[("SWEEP_INTERVAL_SECS", "1")]).await;
    let second = app.spawn_sibling(&[("SWEEP_INTERVAL_SECS", "1")]).await;
    let _third = app.spawn_sibling(&[("SWEEP_INTERVAL_SECS", "1")]).await;
    let operator = app.operator().await;
    let sponsor = app.sponsor().await;
    let investor = app.investor(&operator, 20 * PRICE).await;
    let closes = |secs: i64| (chrono::Utc::now() + chrono::Duration::seconds(secs)).to_rfc3339();
    // Reaches min_raise (half the target) -> funded; misses it -> failed.
    let reaches = app
        .open_offering(
            &sponsor,
            &operator,
            json!({"price_per_share": PRICE, "target_amount": 10 * PRICE,
            "min_raise": 5 * PRICE, "closes_at": closes(5)}),
        )
        .await;
    let misses = app
        .open_offering(
            &sponsor,
            &operator,
            json!({"price_per_share": PRICE, "target_amount": 10 * PRICE,
            "min_raise": 5 * PRICE, "closes_at": closes(5)}),
        )
        .await;
    assert_eq!(
        app.subscribe(&investor, &reaches, json!(6), "r")
            .await
            .status,
        201
    );
    assert_eq!(
        app.subscribe(&investor, &misses, json!(2), "m")
            .await
            .status,
        201
    );

    // The one that missed fails, and the sweeper then refunds it.
    let closed = eventually(Duration::from_secs(20), || {
        app.count("offerings WHERE status IN ('funded', 'refunded')") == 2
    })
    .await;
    assert!(closed, "the sweeper did not close and refund the offerings");
    assert_eq!(
        second
            .get(&format!("/api/v1/offerings/{reaches}"), None)
            .await
            .body["status"],
        "funded"
    );
    assert_eq!(app.offering(&misses).await["status"], "refunded");
    assert_eq!(
        app.available(&investor).await,
        20 * PRICE - 6 * PRICE,
        "the failed round's money is back"
    );
    app.wait_for_email(&investor.email, "Offering failed").await;
    app.wait_for_email(&investor.email, "Refund made").await;
    app.wait_for_email(&sponsor.email, "Your offering is failed")
        .await;
    let closed_log = app
        .get(
            "/api/v1/operator/audit-log?action=offering.closed",
            Some(&operator.token),
        )
        .await;
    assert_eq!(
        closed_log.body["items"].as_array().unwrap().len(),
        2,
        "{}",
        closed_log.body
    );
    let refund_log = app
        .get(
            "/api/v1/operator/audit-log?action=offering.refunded",
            Some(&operator.token),
        )
        .await;
    assert_eq!(
        refund_log.body["items"].as_array().unwrap().len(),
        1,
        "refunded once: {}",
        refund_log.body
    );
    assert_eq!(refund_log.body["items"][0]["actor_role"], "sweeper");
    // Closed once: one email per investor and offering, however many sweepers ran.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let subjects: Vec<String> = app
        .emails_to(&investor.email)
        .iter()
        .map(|m| m.header("Subject"))
        .filter(|s| s.starts_with("Offering"))
        .collect();
    assert_eq!(
        app.count("outbox WHERE kind = 'offering_closed' AND params LIKE '%\"funded\"%'"),
        1,
        "{subjects:?}"
    );
    assert_eq!(
        app.count("outbox WHERE kind = 'offering_closed' AND params LIKE '%\"failed\"%'"),
        1,
        "{subjects:?}"
    );
    // Closed offerings take no more subscriptions.
    app.subscribe(&investor, &reaches, json!(1), "late")
        .await
        .assert_problem(409, "offering_not_open");
    app.assert_books_balance(&operator).await;
}

#[tokio::test]
async fn crowdfund_sweep_closes_due_offerings_from_the_command_line() {
    let app = spawn_app_with(&[]).await;
    let operator = app.operator().await;
    let sponsor = app.sponsor().await;
    let id = app
        .open_offering(
            &sponsor,
            &operator,
            json!({"closes_at":
            (chrono::Utc::now() + chrono::Duration::seconds(3)).to_rfc3339()}),
        )
        .await;
    tokio::time::sleep(Duration::from_secs(4)).await;
    let run = || app.cli(&["sweep"]);
    let out = run();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(stdout.contains(&format!("{id} failed")), "{stdout}");
    assert!(stdout.contains(&format!("{id} refunded")), "{stdout}");
    let again = run();
    let stdout = String::from_utf8_lossy(&again.stdout).to_string();
    assert!(
        stdout.contains("0 offering(s) closed") && stdout.contains("0 offering(s) refunded"),
        "{stdout}"
    );
    assert_eq!(app.offering(&id).await["status"], "refunded");
}

#[tokio::test]
async fn a_round_that_will_not_refund_is_held_back_and_the_others_go_on() {
    // The server's own sweeper stays out of the way: the command line sweeps.
    let app = spawn_app_with(&[("SWEEP_INTERVAL_SECS", "3600")]).await;
    let operator = app.operator().await;
    let sponsor = app.sponsor().await;
    let investor = app.investor(&operator, 10 * PRICE).await;
    let closes = (chrono::Utc::now() + chrono::Duration::seconds(3)).to_rfc3339();
    let terms = json!({"price_per_share": PRICE, "target_amount": 10 * PRICE,
                       "min_raise": 5 * PRICE, "closes_at": closes});
    let broken = app.open_offering(&sponsor, &operator, terms.clone()).await;
    let fine = app.open_offering(&sponsor, &operator, terms).await;
    for (offering, key) in [(&broken, "b"), (&fine, "f")] {
        let r = app.subscribe(&investor, offering, json!(1), key).await;
        assert_eq!(r.status, 201, "{}", r.body);
    }
    tokio::time::sleep(Duration::from_secs(4)).await;
    // Something is wrong with one round's escrow: its refund cannot post.
    let mut conn = app.conn();
    let escrow = |amount: i64| {
        format!(
            "UPDATE ledger_accounts SET balance = {amount} \
             WHERE kind = 'offering_escrow' AND owner_id = '{broken}'"
        )
    };
    diesel::RunQueryDsl::execute(diesel::sql_query(escrow(0)), &mut *conn).unwrap();

    let out = app.cli(&["sweep"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(stdout.contains(&format!("{fine} refunded")), "{stdout}");
    assert!(!stdout.contains(&format!("{broken} refunded")), "{stdout}");
    assert_eq!(app.offering(&fine).await["status"], "refunded");
    assert_eq!(app.offering(&broken).await["status"], "failed");
    let failures =
        format!("job_failures WHERE job = 'refund_offering' AND subject_id = '{broken}'");
    assert_eq!(app.count(&failures), 1);
    // Held back: the next pass does not try it again at once.
    let again = app.cli(&["sweep"]);
    let stdout = String::from_utf8_lossy(&again.stdout).to_string();
    assert!(stdout.contains("0 offering(s) refunded"), "{stdout}");
    assert_eq!(app.count(&format!("{failures} AND attempts = 1")), 1);

    // Repaired, and once its wait is over, it is refunded and forgotten.
    diesel::RunQueryDsl::execute(diesel::sql_query(escrow(PRICE)), &mut *conn).unwrap();
    diesel::RunQueryDsl::execute(
        diesel::sql_query("UPDATE job_failures SET next_attempt_at = '2000-01-01 00:00:00'"),
        &mut *conn,
    )
    .unwrap();
    drop(conn);
    let last = app.cli(&["sweep"]);
    let stdout = String::from_utf8_lossy(&last.stdout).to_string();
    assert!(stdout.contains(&format!("{broken} refunded")), "{stdout}");
    assert_eq!(app.count(&failures), 0);
    assert_eq!(app.available(&investor).await, 10 * PRICE);
    let (ok, report) = app.verify_ledger();
    assert!(ok, "{report}");
}
