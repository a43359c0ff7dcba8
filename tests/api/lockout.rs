//! Lockout that an attacker cannot turn against the owner: failures lock
//! the (email, client address) they came from, for longer each time; many
//! addresses together lock out only addresses the account has not signed in
//! from; the owner is emailed; unknown emails behave exactly like known ones.

use std::time::Duration;

use futures_util::future::join_all;
use serde_json::json;

use crate::helpers::{spawn_app_with, unique_email, Reply, TestApp, LOOPBACK, PASSWORD};

const WRONG: &str = "not the password at all";

async fn lockout_app(extra: &[(&str, &str)]) -> TestApp {
    let mut vars = vec![("TRUSTED_PROXIES", LOOPBACK)];
    vars.extend_from_slice(extra);
    spawn_app_with(&vars).await
}

async fn login_from(app: &TestApp, ip: &str, email: &str, password: &str) -> Reply {
    app.post_from(
        ip,
        "/api/v1/auth/login",
        json!({"email": email, "password": password}),
    )
    .await
}

#[tokio::test]
async fn a_flood_from_one_address_locks_that_address_and_not_the_owner() {
    let app = lockout_app(&[]).await;
    let other_instance = app.spawn_sibling(&[]).await;
    let email = unique_email("flood");
    app.signed_up(&email, "investor").await;
    let attacker = "203.0.113.7";
    for _ in 0..5 {
        login_from(&app, attacker, &email, WRONG)
            .await
            .assert_problem(401, "invalid_credentials");
    }
    // Locked for that address, even with the right password, on every instance.
    let locked = login_from(&other_instance, attacker, &email, PASSWORD).await;
    locked.assert_problem(423, "account_locked");
    assert!((1..=60).contains(&locked.retry_after()), "{locked:?}");
    // The owner, elsewhere, signs in as usual.
    let owner = login_from(&app, "198.51.100.20", &email, PASSWORD).await;
    assert_eq!(owner.status, 200, "{}", owner.body);
}

#[tokio::test]
async fn each_failure_after_a_lock_doubles_it() {
    let app = lockout_app(&[("SIGN_IN_LOCK_SECS", "2")]).await;
    let email = unique_email("grow");
    app.signed_up(&email, "investor").await;
    let ip = "203.0.113.8";
    for _ in 0..5 {
        login_from(&app, ip, &email, WRONG).await;
    }
    let mut waits = Vec::new();
    for _ in 0..3 {
        let locked = login_from(&app, ip, &email, PASSWORD).await;
        locked.assert_problem(423, "account_locked");
        let wait = locked.retry_after();
        waits.push(wait);
        tokio::time::sleep(Duration::from_millis(wait * 1000 + 100)).await;
        // The lock is over; one more failure locks again, twice as long.
        login_from(&app, ip, &email, WRONG)
            .await
            .assert_problem(401, "invalid_credentials");
    }
    // Locks of 2, 4 and 8 s, each read back a moment after it began.
    assert!(
        (1..=2).contains(&waits[0]) && (3..=4).contains(&waits[1]) && (5..=8).contains(&waits[2]),
        "{waits:?}"
    );
}

#[tokio::test]
async fn unknown_emails_answer_and_lock_exactly_like_known_ones() {
    let app = lockout_app(&[]).await;
    let known = unique_email("known");
    app.signed_up(&known, "investor").await;
    let ghost = unique_email("ghost");
    let mut answers = Vec::new();
    for email in [&known, &ghost] {
        let mut codes = Vec::new();
        for _ in 0..7 {
            let reply = login_from(&app, "203.0.113.9", email, WRONG).await;
            codes.push((reply.status.as_u16(), reply.code().to_string()));
        }
        answers.push(codes);
    }
    assert_eq!(answers[0], answers[1]);
    assert_eq!(answers[0][4], (401, "invalid_credentials".into()));
    assert_eq!(answers[0][5], (423, "account_locked".into()));
}

#[tokio::test]
async fn the_lock_on_new_addresses_falls_alike_on_unknown_emails() {
    let app = lockout_app(&[("ACCOUNT_LOCK_AFTER", "4")]).await;
    let known = unique_email("known");
    app.signed_up(&known, "investor").await;
    let ghost = unique_email("ghost");
    for (n, email) in [&known, &ghost].into_iter().enumerate() {
        for i in 0..4 {
            // One failure per address: no address earns a lock of its own.
            login_from(&app, &format!("203.0.{n}.{i}"), email, WRONG)
                .await
                .assert_problem(401, "invalid_credentials");
        }
        let fresh = login_from(&app, &format!("192.0.2.{n}"), email, PASSWORD).await;
        fresh.assert_problem(423, "account_locked");
        assert!((1..=60).contains(&fresh.retry_after()), "{fresh:?}");
    }
}

#[tokio::test]
async fn the_owner_is_emailed_about_repeated_failures_at_most_hourly() {
    let app = lockout_app(&[]).await;
    let email = unique_email("alert");
    app.signed_up(&email, "investor").await;
    for i in 0..10 {
        // Spread over addresses: no address is locked, the account counts all.
        login_from(&app, &format!("203.0.113.{}", 20 + i), &email, WRONG).await;
    }
    let mail = app.wait_for_email(&email, "Failed sign-ins").await;
    assert!(mail.body.contains("5 times"), "{}", mail.body);
    assert!(mail.body.contains("203.0.113.24"), "{}", mail.body);
    // Ten failures in a row, one alert: the outbox holds every email queued.
    let alerts = app.count(&format!(
        "outbox WHERE recipient = '{email}' AND kind = 'failed_sign_ins'"
    ));
    assert_eq!(alerts, 1, "one alert per hour");
}

#[tokio::test]
async fn guessing_from_many_addresses_locks_out_only_addresses_the_owner_never_used() {
    let app = lockout_app(&[("ACCOUNT_LOCK_AFTER", "6")]).await;
    let email = unique_email("spread");
    app.signed_up(&email, "investor").await;
    let home = "198.51.100.30";
    assert_eq!(login_from(&app, home, &email, PASSWORD).await.status, 200);
    for i in 0..6 {
        login_from(&app, &format!("203.0.113.{}", 40 + i), &email, WRONG)
            .await
            .assert_problem(401, "invalid_credentials");
    }
    // A new address is locked out even with the right password...
    login_from(&app, "192.0.2.50", &email, PASSWORD)
        .await
        .assert_problem(423, "account_locked");
    // ...the owner's usual address is not, and signing in there lifts the lock.
    assert_eq!(login_from(&app, home, &email, PASSWORD).await.status, 200);
    assert_eq!(
        login_from(&app, "192.0.2.50", &email, PASSWORD)
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn a_password_reset_lifts_every_lock() {
    let app = lockout_app(&[]).await;
    let email = unique_email("lifted");
    app.signed_up(&email, "investor").await;
    let ip = "203.0.113.60";
    for _ in 0..5 {
        login_from(&app, ip, &email, WRONG).await;
    }
    login_from(&app, ip, &email, PASSWORD)
        .await
        .assert_problem(423, "account_locked");
    app.post(
        "/api/v1/auth/password-reset/request",
        None,
        json!({"email": email}),
    )
    .await;
    let token = app
        .wait_for_email(&email, "Reset your password")
        .await
        .link_token("/reset-password?token=");
    let new_password = "a fresh and long password";
    let done = app
        .post(
            "/api/v1/auth/password-reset/confirm",
            None,
            json!({"token": token, "new_password": new_password}),
        )
        .await;
    assert_eq!(done.status, 204, "{}", done.body);
    assert_eq!(login_from(&app, ip, &email, new_password).await.status, 200);
}

#[tokio::test]
async fn a_concurrent_burst_from_one_address_ends_locked_for_it_only() {
    let app = lockout_app(&[]).await;
    let email = unique_email("burst");
    app.signed_up(&email, "investor").await;
    let ip = "203.0.113.70";
    let replies = join_all((0..20).map(|_| login_from(&app, ip, &email, WRONG))).await;
    for reply in &replies {
        assert!(
            matches!(reply.code(), "invalid_credentials" | "account_locked"),
            "{reply:?}"
        );
    }
    login_from(&app, ip, &email, PASSWORD)
        .await
        .assert_problem(423, "account_locked");
    assert_eq!(
        login_from(&app, "198.51.100.70", &email, PASSWORD)
            .await
            .status,
        200
    );
}
