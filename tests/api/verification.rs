//! A verified email address before money moves or an offering goes public,
//! and the first verification of an address ending the sessions of whoever
//! registered it without owning it.

use std::time::Duration;

use serde_json::json;

use crate::helpers::{spawn_app, unique_email, TestApp, PASSWORD};
use crate::world::Person;

/// Registered and signed in, the address not verified.
async fn unverified(app: &TestApp, role: &str) -> Person {
    let email = unique_email(&format!("unverified-{role}"));
    let reg = app.register(&email, role).await;
    assert_eq!(reg.status, 201, "{}", reg.body);
    app.signed_in(email).await
}

async fn verification_link(app: &TestApp, email: &str) -> String {
    app.wait_for_email(email, "Confirm your email")
        .await
        .link_token("/verify-email?token=")
}

#[tokio::test]
async fn unverified_accounts_cannot_move_money_or_submit_offerings() {
    let app = spawn_app().await;
    let operator = app.operator().await;
    let investor = unverified(&app, "investor").await;
    let sponsor = unverified(&app, "sponsor").await;

    app.deposit(&investor, 50_000)
        .await
        .assert_problem(403, "email_not_verified");
    app.post_keyed(
        "/api/v1/me/withdrawals",
        Some(&investor.token),
        "w-1",
        json!({"amount": 100}),
    )
    .await
    .assert_problem(403, "email_not_verified");
    app.post_keyed(
        "/api/v1/me/withdrawals",
        Some(&sponsor.token),
        "w-2",
        json!({"amount": 100}),
    )
    .await
    .assert_problem(403, "email_not_verified");
    // A draft can be written; submitting it for review cannot.
    let draft = app.draft(&sponsor, json!({})).await;
    assert_eq!(draft.status, 201, "{}", draft.body);
    let offering = draft.body["id"].as_str().unwrap().to_string();
    let submit = format!("/api/v1/offerings/{offering}/submit");
    app.post(&submit, Some(&sponsor.token), json!({}))
        .await
        .assert_problem(403, "email_not_verified");
    assert_eq!(app.count("deposits"), 0);
    assert_eq!(app.count("withdrawals"), 0);
    let own = app
        .get(
            &format!("/api/v1/offerings/{offering}"),
            Some(&sponsor.token),
        )
        .await;
    assert_eq!(own.body["status"], "draft", "{}", own.body);

    // Operators see it.
    let seen = app
        .get(
            &format!("/api/v1/operator/users/{}", investor.id),
            Some(&operator.token),
        )
        .await;
    assert_eq!(seen.status, 200, "{}", seen.body);
    assert_eq!(seen.body["email_verified"], false);
    assert_eq!(seen.body["role"], "investor");
    app.get(
        &format!("/api/v1/operator/users/{}", investor.id),
        Some(&sponsor.token),
    )
    .await
    .assert_problem(403, "forbidden");
    app.get("/api/v1/operator/users/nobody", Some(&operator.token))
        .await
        .assert_problem(404, "not_found");

    // Verified (each from a session of their own, which stays), both may.
    for person in [&investor, &sponsor] {
        let token = verification_link(&app, &person.email).await;
        let verified = app
            .post(
                "/api/v1/auth/verify-email",
                Some(&person.token),
                json!({"token": token}),
            )
            .await;
        assert_eq!(verified.status, 200, "{}", verified.body);
    }
    let deposit = app.deposit(&investor, 50_000).await;
    assert_eq!(deposit.status, 201, "{}", deposit.body);
    let submitted = app.post(&submit, Some(&sponsor.token), json!({})).await;
    assert_eq!(submitted.status, 200, "{}", submitted.body);
    let seen = app
        .get(
            &format!("/api/v1/operator/users/{}", investor.id),
            Some(&operator.token),
        )
        .await;
    assert_eq!(seen.body["email_verified"], true);
}

#[tokio::test]
async fn the_first_verification_ends_the_sessions_of_whoever_registered_the_address() {
    let app = spawn_app().await;
    let other = app.spawn_sibling(&[]).await;
    let operator = app.operator().await;
    // A squatter registers someone else's address and signs in twice.
    let email = unique_email("squatted");
    let reg = app.register(&email, "investor").await;
    let id = reg.body["id"].as_str().unwrap().to_string();
    let first = app.login(&email, PASSWORD).await;
    let second = app.login(&email, PASSWORD).await;
    let access = |r: &crate::helpers::Reply| r.body["access_token"].as_str().unwrap().to_string();
    let refresh = |r: &crate::helpers::Reply| r.body["refresh_token"].as_str().unwrap().to_string();

    // The owner of the mailbox opens the link, signed in to nothing.
    let token = verification_link(&app, &email).await;
    let verified = app
        .post("/api/v1/auth/verify-email", None, json!({"token": token}))
        .await;
    assert_eq!(verified.status, 200, "{}", verified.body);

    for login in [&first, &second] {
        app.get("/api/v1/me", Some(&access(login)))
            .await
            .assert_problem(401, "session_revoked");
        other
            .refused_within(&access(login), Duration::from_secs(5))
            .await
            .assert_problem(401, "session_revoked");
        let renewed = app
            .post(
                "/api/v1/auth/refresh",
                None,
                json!({"refresh_token": refresh(login)}),
            )
            .await;
        assert_eq!(renewed.status, 401, "{}", renewed.body);
    }
    let log = app
        .get(
            &format!("/api/v1/operator/audit-log?subject_id={id}&action=user.email_verified"),
            Some(&operator.token),
        )
        .await;
    assert_eq!(log.status, 200, "{}", log.body);
    assert_eq!(log.body["items"][0]["details"]["sessions_ended"], 2);
}

#[tokio::test]
async fn verifying_while_signed_in_keeps_that_session_only() {
    let app = spawn_app().await;
    let email = unique_email("own");
    assert_eq!(app.register(&email, "sponsor").await.status, 201);
    let laptop = app.login(&email, PASSWORD).await;
    let phone = app.login(&email, PASSWORD).await;
    let laptop = laptop.body["access_token"].as_str().unwrap().to_string();
    let phone = phone.body["access_token"].as_str().unwrap().to_string();
    // Someone else's token on the request spares nothing of this account.
    let stranger = app.sponsor().await;

    let token = verification_link(&app, &email).await;
    let verified = app
        .post(
            "/api/v1/auth/verify-email",
            Some(&laptop),
            json!({"token": token}),
        )
        .await;
    assert_eq!(verified.status, 200, "{}", verified.body);
    assert_eq!(app.get("/api/v1/me", Some(&laptop)).await.status, 200);
    app.get("/api/v1/me", Some(&phone))
        .await
        .assert_problem(401, "session_revoked");
    assert_eq!(
        app.get("/api/v1/me", Some(&stranger.token)).await.status,
        200
    );

    // A second account verified with the stranger's token on the request:
    // all of its own sessions end, the stranger's stays.
    let email = unique_email("own2");
    assert_eq!(app.register(&email, "sponsor").await.status, 201);
    let own = app.login(&email, PASSWORD).await.body["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let token = verification_link(&app, &email).await;
    let verified = app
        .post(
            "/api/v1/auth/verify-email",
            Some(&stranger.token),
            json!({"token": token}),
        )
        .await;
    assert_eq!(verified.status, 200, "{}", verified.body);
    app.get("/api/v1/me", Some(&own))
        .await
        .assert_problem(401, "session_revoked");
    assert_eq!(
        app.get("/api/v1/me", Some(&stranger.token)).await.status,
        200
    );
}
