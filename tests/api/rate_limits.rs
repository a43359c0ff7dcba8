//! Rate limits per client address and per target email on registration,
//! password-reset mail and verification mail: 429 with Retry-After, counted
//! the same whether or not an account has the email. (Sign-in's limit is
//! tested in `auth` and `client_ip`.) Windows of a day keep a run clear of
//! window boundaries.

use futures_util::future::join_all;
use serde_json::json;

use crate::helpers::{spawn_app_with, unique_email, Reply, TestApp, LOOPBACK, PASSWORD};

async fn register_from(app: &TestApp, ip: &str, email: &str) -> Reply {
    app.post_from(
        ip,
        "/api/v1/auth/register",
        json!({"email": email, "password": PASSWORD, "display_name": "Rate", "role": "investor"}),
    )
    .await
}

fn assert_limited(reply: &Reply) {
    reply.assert_problem(429, "rate_limited");
    let retry = reply.retry_after();
    assert!((1..=86_400).contains(&retry), "{retry}");
}

#[tokio::test]
async fn registrations_are_limited_per_address() {
    let app = spawn_app_with(&[
        ("TRUSTED_PROXIES", LOOPBACK),
        ("REGISTER_RATE_LIMIT_PER_ADDRESS", "3/1d"),
    ])
    .await;
    for _ in 0..3 {
        let reply = register_from(&app, "203.0.113.1", &unique_email("reg")).await;
        assert_eq!(reply.status, 201, "{}", reply.body);
    }
    assert_limited(&register_from(&app, "203.0.113.1", &unique_email("reg")).await);
    // Another address has its own count.
    let other = register_from(&app, "203.0.113.2", &unique_email("reg")).await;
    assert_eq!(other.status, 201, "{}", other.body);
    assert_eq!(app.count("users"), 4);
    assert_eq!(app.count("outbox"), 4, "no mail for the refused one");
}

#[tokio::test]
async fn a_concurrent_burst_of_registrations_gets_exactly_the_limit_through() {
    let app = spawn_app_with(&[
        ("TRUSTED_PROXIES", LOOPBACK),
        ("REGISTER_RATE_LIMIT_PER_ADDRESS", "5/1d"),
    ])
    .await;
    let emails: Vec<String> = (0..20).map(|_| unique_email("burst")).collect();
    let replies = join_all(emails.iter().map(|e| register_from(&app, "203.0.113.3", e))).await;
    assert_eq!(replies.iter().filter(|r| r.status == 201).count(), 5);
    for reply in replies.iter().filter(|r| r.status != 201) {
        assert_limited(reply);
    }
    assert_eq!(app.count("users"), 5);
}

#[tokio::test]
async fn reset_mail_is_limited_per_email_alike_for_unknown_emails() {
    let app = spawn_app_with(&[
        ("TRUSTED_PROXIES", LOOPBACK),
        ("PASSWORD_RESET_RATE_LIMIT_PER_EMAIL", "2/1d"),
    ])
    .await;
    let known = unique_email("known");
    app.signed_up(&known, "investor").await;
    let ghost = unique_email("ghost");
    let mut answers = Vec::new();
    for email in [&known, &ghost] {
        let mut statuses = Vec::new();
        for i in 0..3 {
            // From a new address each time: the per-email count still holds.
            let reply = app
                .post_from(
                    &format!("198.51.100.{i}"),
                    "/api/v1/auth/password-reset/request",
                    json!({"email": email}),
                )
                .await;
            if reply.status == 429 {
                assert_limited(&reply);
            }
            statuses.push(reply.status.as_u16());
        }
        answers.push(statuses);
    }
    assert_eq!(answers[0], [202, 202, 429]);
    assert_eq!(answers[0], answers[1], "the same for an unknown email");
    app.wait_for_email(&known, "Reset your password").await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let resets = app
        .emails_to(&known)
        .into_iter()
        .filter(|m| m.header("Subject").contains("Reset your password"))
        .count();
    assert_eq!(resets, 2);
}

#[tokio::test]
async fn reset_requests_are_limited_per_address() {
    let app = spawn_app_with(&[
        ("TRUSTED_PROXIES", LOOPBACK),
        ("PASSWORD_RESET_RATE_LIMIT_PER_ADDRESS", "3/1d"),
    ])
    .await;
    let path = "/api/v1/auth/password-reset/request";
    for _ in 0..3 {
        let reply = app
            .post_from("203.0.113.4", path, json!({"email": unique_email("a")}))
            .await;
        assert_eq!(reply.status, 202, "{}", reply.body);
    }
    assert_limited(
        &app.post_from("203.0.113.4", path, json!({"email": unique_email("a")}))
            .await,
    );
    let other = app
        .post_from("203.0.113.5", path, json!({"email": unique_email("a")}))
        .await;
    assert_eq!(other.status, 202);
}

#[tokio::test]
async fn verification_mail_can_be_resent_within_its_limits() {
    let app = spawn_app_with(&[
        ("TRUSTED_PROXIES", LOOPBACK),
        ("VERIFICATION_RATE_LIMIT_PER_EMAIL", "2/1d"),
        ("VERIFICATION_RATE_LIMIT_PER_ADDRESS", "4/1d"),
    ])
    .await;
    let email = unique_email("resend");
    assert_eq!(app.register(&email, "investor").await.status, 201);
    let first = app.wait_for_email(&email, "Confirm your email").await;
    let path = "/api/v1/auth/verify-email/resend";
    let resent = app
        .post_from("203.0.113.6", path, json!({"email": email}))
        .await;
    assert_eq!(resent.status, 202, "{}", resent.body);
    let ghost = app
        .post_from("203.0.113.6", path, json!({"email": unique_email("g")}))
        .await;
    assert_eq!((ghost.status, &ghost.body), (resent.status, &resent.body));

    let first_token = first.link_token("/verify-email?token=");
    let mut second_token = first_token.clone();
    for _ in 0..100 {
        let links: Vec<String> = app
            .emails_to(&email)
            .iter()
            .map(|m| m.link_token("/verify-email?token="))
            .filter(|t| *t != first_token)
            .collect();
        if let Some(t) = links.first() {
            second_token = t.clone();
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_ne!(second_token, first_token, "a new link was mailed");
    let verified = app
        .post(
            "/api/v1/auth/verify-email",
            None,
            json!({"token": second_token}),
        )
        .await;
    assert_eq!(verified.status, 200, "{}", verified.body);
    // Using one link spent the other.
    app.post(
        "/api/v1/auth/verify-email",
        None,
        json!({"token": first_token}),
    )
    .await
    .assert_problem(401, "invalid_token");

    // A verified account gets the same answer and no mail; the per-email
    // count goes on regardless.
    let before = app.emails_to(&email).len();
    let again = app
        .post_from("203.0.113.7", path, json!({"email": email}))
        .await;
    assert_eq!(again.status, 202);
    assert_limited(
        &app.post_from("203.0.113.8", path, json!({"email": email}))
            .await,
    );
    // And the per-address count: 4 from one address, then refused.
    let from = "203.0.113.9";
    for _ in 0..4 {
        let r = app
            .post_from(from, path, json!({"email": unique_email("x")}))
            .await;
        assert_eq!(r.status, 202);
    }
    assert_limited(
        &app.post_from(from, path, json!({"email": unique_email("x")}))
            .await,
    );
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(app.emails_to(&email).len(), before);
}
