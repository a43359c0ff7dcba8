//! Sign-up, verification, sign-in, sessions and password reset, end to end.

use std::time::{Duration, Instant};

use futures_util::future::join_all;
use serde_json::json;

use crate::helpers::{spawn_app, spawn_app_with, unique_email, PASSWORD};

#[tokio::test]
async fn the_whole_sign_up_flow_works() {
    let app = spawn_app().await;
    let email = unique_email("flow");

    let reg = app.register(&email, "investor").await;
    assert_eq!(reg.status, 201, "{}", reg.body);
    assert_eq!(reg.body["email"], email.as_str());
    assert_eq!(reg.body["role"], "investor");
    assert_eq!(reg.body["email_verified"], false);
    assert!(reg.body.get("password_hash").is_none());

    // The verification link arrives by email, with the public base URL.
    let mail = app.wait_for_email(&email, "Confirm your email").await;
    assert!(
        mail.body.contains("http://app.test/verify-email?token="),
        "{}",
        mail.body
    );
    let token = mail.link_token("/verify-email?token=");
    let verified = app
        .post("/api/v1/auth/verify-email", None, json!({"token": token}))
        .await;
    assert_eq!(verified.status, 200, "{}", verified.body);
    assert_eq!(verified.body["email_verified"], true);
    // Single use.
    app.post("/api/v1/auth/verify-email", None, json!({"token": token}))
        .await
        .assert_problem(401, "invalid_token");

    let login = app.login(&email, PASSWORD).await;
    assert_eq!(login.status, 200, "{}", login.body);
    assert_eq!(login.body["token_type"], "Bearer");
    assert_eq!(login.body["expires_in"], 900);
    let access = login.body["access_token"].as_str().unwrap().to_string();
    let refresh1 = login.body["refresh_token"].as_str().unwrap().to_string();

    let me = app.get("/api/v1/me", Some(&access)).await;
    assert_eq!(me.status, 200, "{}", me.body);
    assert_eq!(me.body["email"], email.as_str());
    assert_eq!(me.body["id"], reg.body["id"]);
    assert_eq!(me.body["email_verified"], true);

    // Refresh rotates.
    let r2 = app
        .post(
            "/api/v1/auth/refresh",
            None,
            json!({"refresh_token": refresh1}),
        )
        .await;
    assert_eq!(r2.status, 200, "{}", r2.body);
    let refresh2 = r2.body["refresh_token"].as_str().unwrap().to_string();
    assert_ne!(refresh1, refresh2);
    let access2 = r2.body["access_token"].as_str().unwrap();
    assert_eq!(app.get("/api/v1/me", Some(access2)).await.status, 200);

    // Reusing the spent token is refused and revokes the family, including
    // the token that replaced it.
    app.post(
        "/api/v1/auth/refresh",
        None,
        json!({"refresh_token": refresh1}),
    )
    .await
    .assert_problem(401, "refresh_token_reused");
    app.post(
        "/api/v1/auth/refresh",
        None,
        json!({"refresh_token": refresh2}),
    )
    .await
    .assert_problem(401, "refresh_token_reused");

    // A new login is a new family; logout ends it.
    let login = app.login(&email, PASSWORD).await;
    let refresh3 = login.body["refresh_token"].as_str().unwrap().to_string();
    let out = app
        .post(
            "/api/v1/auth/logout",
            None,
            json!({"refresh_token": refresh3}),
        )
        .await;
    assert_eq!(out.status, 204);
    app.post(
        "/api/v1/auth/refresh",
        None,
        json!({"refresh_token": refresh3}),
    )
    .await
    .assert_problem(401, "refresh_token_reused");
}

#[tokio::test]
async fn me_requires_a_token() {
    let app = spawn_app().await;
    let reply = app.get("/api/v1/me", None).await;
    reply.assert_problem(401, "unauthorized");
    assert_eq!(reply.headers.get("www-authenticate").unwrap(), "Bearer");
    app.get("/api/v1/me", Some("garbage"))
        .await
        .assert_problem(401, "invalid_token");
}

#[tokio::test]
async fn wrong_passwords_and_unknown_emails_get_the_same_answer() {
    let app = spawn_app().await;
    let email = unique_email("same");
    app.register(&email, "sponsor").await;
    let wrong = app.login(&email, "not the password at all").await;
    wrong.assert_problem(401, "invalid_credentials");
    let unknown = app.login(&unique_email("nobody"), PASSWORD).await;
    unknown.assert_problem(401, "invalid_credentials");
    assert_eq!(wrong.body["detail"], unknown.body["detail"]);
    let malformed = app.login("not-an-email", PASSWORD).await;
    malformed.assert_problem(401, "invalid_credentials");
}

#[tokio::test]
async fn login_takes_as_long_for_unknown_emails_as_for_known_ones() {
    let app = spawn_app().await;
    let email = unique_email("timing");
    app.register(&email, "investor").await;
    let mut known = Vec::new();
    let mut unknown = Vec::new();
    for i in 0..5 {
        let started = Instant::now();
        app.login(&email, "wrong password number one").await;
        known.push(started.elapsed());
        let started = Instant::now();
        app.login(
            &format!("ghost{i}@example.com"),
            "wrong password number one",
        )
        .await;
        unknown.push(started.elapsed());
    }
    known.sort();
    unknown.sort();
    let (k, u) = (known[2], unknown[2]);
    // Without the dummy hash an unknown email answers in about a millisecond
    // while an argon2 check takes tens; allow generous noise either way.
    assert!(u * 3 > k && k * 3 > u, "known {k:?} vs unknown {u:?}");
}

#[tokio::test]
async fn a_successful_login_resets_the_failure_count() {
    let app = spawn_app().await;
    let email = unique_email("reset");
    app.register(&email, "investor").await;
    for _ in 0..4 {
        app.login(&email, "wrong wrong wrong").await;
    }
    assert_eq!(app.login(&email, PASSWORD).await.status, 200);
    for _ in 0..4 {
        app.login(&email, "wrong wrong wrong").await;
    }
    assert_eq!(app.login(&email, PASSWORD).await.status, 200);
}

#[tokio::test]
async fn the_per_address_rate_limit_answers_429_with_retry_after() {
    let app = spawn_app_with(&[("LOGIN_RATE_LIMIT_PER_MINUTE", "3")]).await;
    // Stay clear of a minute boundary, where the window starts afresh.
    let second = chrono::Utc::now().timestamp().rem_euclid(60);
    if second > 50 {
        tokio::time::sleep(Duration::from_secs((61 - second) as u64)).await;
    }
    let email = unique_email("rl");
    app.register(&email, "investor").await;
    for _ in 0..3 {
        assert_ne!(app.login(&email, PASSWORD).await.status, 429);
    }
    let limited = app.login(&email, PASSWORD).await;
    limited.assert_problem(429, "rate_limited");
    let retry = limited.retry_after();
    assert!((1..=60).contains(&retry), "{retry}");
}

#[tokio::test]
async fn concurrent_refreshes_of_one_token_let_exactly_one_through() {
    let app = spawn_app().await;
    let (_, _, refresh) = app.signed_up(&unique_email("race"), "investor").await;
    let replies = join_all((0..10).map(|_| {
        app.post(
            "/api/v1/auth/refresh",
            None,
            json!({"refresh_token": refresh}),
        )
    }))
    .await;
    let ok: Vec<_> = replies.iter().filter(|r| r.status == 200).collect();
    assert_eq!(ok.len(), 1, "exactly one rotation wins");
    for r in replies.iter().filter(|r| r.status != 200) {
        r.assert_problem(401, "refresh_token_reused");
    }
    // The reuse revoked the family, so even the winner's new token is dead.
    let winner = ok[0].body["refresh_token"].as_str().unwrap();
    app.post(
        "/api/v1/auth/refresh",
        None,
        json!({"refresh_token": winner}),
    )
    .await
    .assert_problem(401, "refresh_token_reused");
}

#[tokio::test]
async fn concurrent_registrations_of_one_email_create_one_account_and_one_email() {
    let app = spawn_app().await;
    let email = unique_email("dup");
    let replies = join_all((0..12).map(|_| app.register(&email, "investor"))).await;
    assert_eq!(replies.iter().filter(|r| r.status == 201).count(), 1);
    for r in replies.iter().filter(|r| r.status != 201) {
        r.assert_problem(409, "email_taken");
    }
    assert_eq!(app.count("users"), 1);
    // Rolled-back registrations queued no email.
    assert_eq!(app.count("outbox"), 1);
    app.register(&email.to_uppercase(), "sponsor")
        .await
        .assert_problem(409, "email_taken");
}

#[tokio::test]
async fn password_reset_answers_alike_and_changes_the_password() {
    let app = spawn_app().await;
    let email = unique_email("pw");
    let (_, _, refresh) = app.signed_up(&email, "investor").await;

    let known = app
        .post(
            "/api/v1/auth/password-reset/request",
            None,
            json!({"email": email}),
        )
        .await;
    let unknown = app
        .post(
            "/api/v1/auth/password-reset/request",
            None,
            json!({"email": unique_email("ghost")}),
        )
        .await;
    assert_eq!(known.status, 202);
    assert_eq!(known.status, unknown.status);
    assert_eq!(known.body, unknown.body);

    let mail = app.wait_for_email(&email, "Reset your password").await;
    let token = mail.link_token("/reset-password?token=");
    app.post(
        "/api/v1/auth/password-reset/confirm",
        None,
        json!({"token": token, "new_password": "short"}),
    )
    .await
    .assert_problem(422, "invalid_field");
    let new_password = "a brand new long password";
    let done = app
        .post(
            "/api/v1/auth/password-reset/confirm",
            None,
            json!({"token": token, "new_password": new_password}),
        )
        .await;
    assert_eq!(done.status, 204, "{}", done.body);
    // Single use.
    app.post(
        "/api/v1/auth/password-reset/confirm",
        None,
        json!({"token": token, "new_password": new_password}),
    )
    .await
    .assert_problem(401, "invalid_token");
    app.login(&email, PASSWORD)
        .await
        .assert_problem(401, "invalid_credentials");
    assert_eq!(app.login(&email, new_password).await.status, 200);
    // Every earlier session was signed out.
    app.post(
        "/api/v1/auth/refresh",
        None,
        json!({"refresh_token": refresh}),
    )
    .await
    .assert_problem(401, "refresh_token_reused");
}

#[tokio::test]
async fn bogus_tokens_are_refused_without_touching_anything() {
    let app = spawn_app().await;
    for token in ["", "short", &"x".repeat(43), &"é".repeat(30)] {
        app.post("/api/v1/auth/verify-email", None, json!({"token": token}))
            .await
            .assert_problem(401, "invalid_token");
        app.post(
            "/api/v1/auth/refresh",
            None,
            json!({"refresh_token": token}),
        )
        .await
        .assert_problem(401, "invalid_token");
    }
}

#[tokio::test]
async fn operators_are_made_only_on_the_command_line() {
    let app = spawn_app().await;
    let email = unique_email("op");
    let output = app.cli(&["create-operator", "--email", &email, "--password", PASSWORD]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let login = app.login(&email, PASSWORD).await;
    assert_eq!(login.status, 200, "{}", login.body);
    let me = app
        .get("/api/v1/me", login.body["access_token"].as_str())
        .await;
    assert_eq!(me.body["role"], "operator");
    assert_eq!(me.body["email_verified"], true);

    // A second time with the same email fails and says why.
    let again = app.cli(&["create-operator", "--email", &email, "--password", PASSWORD]);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"));
}

#[tokio::test]
async fn a_mistyped_postgres_url_is_an_error_not_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_crowdfund"))
        .arg("migrate")
        .current_dir(dir.path())
        .env("DATABASE_URL", "postgress://user@localhost/db")
        .env("JWT_SECRET", crate::helpers::JWT_SECRET)
        .output()
        .expect("run crowdfund");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("DATABASE_URL"), "{stderr}");
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "no file was created"
    );
}

#[tokio::test]
async fn using_one_reset_link_spends_every_other() {
    let app = spawn_app().await;
    let email = unique_email("twice");
    app.signed_up(&email, "investor").await;
    for _ in 0..2 {
        let asked = app
            .post(
                "/api/v1/auth/password-reset/request",
                None,
                json!({"email": email}),
            )
            .await;
        assert_eq!(asked.status, 202);
    }
    let deadline = Instant::now() + Duration::from_secs(15);
    let tokens: Vec<String> = loop {
        let tokens: Vec<String> = app
            .emails_to(&email)
            .iter()
            .filter(|m| m.header("Subject").contains("Reset your password"))
            .map(|m| m.link_token("/reset-password?token="))
            .collect();
        if tokens.len() == 2 || Instant::now() > deadline {
            break tokens;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(tokens.len(), 2);
    let confirm = |token: &str, password: &str| {
        app.post(
            "/api/v1/auth/password-reset/confirm",
            None,
            json!({"token": token, "new_password": password}),
        )
    };
    // Both at once: exactly one sets the password.
    let (first, second) = tokio::join!(
        confirm(&tokens[0], "the first new password"),
        confirm(&tokens[1], "the second new password"),
    );
    let (winner, loser, password) = if first.status == 204 {
        (first, second, "the first new password")
    } else {
        (second, first, "the second new password")
    };
    assert_eq!(winner.status, 204, "{}", winner.body);
    loser.assert_problem(401, "invalid_token");
    assert_eq!(app.login(&email, password).await.status, 200);
}

#[tokio::test]
async fn expired_reset_and_verification_links_are_refused() {
    let app = spawn_app().await;
    let email = unique_email("stale");
    assert_eq!(app.register(&email, "investor").await.status, 201);
    let verify = app
        .wait_for_email(&email, "Confirm your email")
        .await
        .link_token("/verify-email?token=");
    app.post(
        "/api/v1/auth/password-reset/request",
        None,
        json!({"email": email}),
    )
    .await;
    let reset = app
        .wait_for_email(&email, "Reset your password")
        .await
        .link_token("/reset-password?token=");
    // Both links age past their expiry.
    let aged = app.execute("UPDATE user_tokens SET expires_at = created_at");
    assert_eq!(aged, 2);
    app.post("/api/v1/auth/verify-email", None, json!({"token": verify}))
        .await
        .assert_problem(401, "invalid_token");
    app.post(
        "/api/v1/auth/password-reset/confirm",
        None,
        json!({"token": reset, "new_password": "never set at all"}),
    )
    .await
    .assert_problem(401, "invalid_token");
    assert_eq!(
        app.count(&format!(
            "users WHERE email = '{email}' AND email_verified_at IS NULL"
        )),
        1
    );
    assert_eq!(app.login(&email, PASSWORD).await.status, 200);
}
