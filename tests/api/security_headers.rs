//! Security headers on every answer, errors included, and
//! `Cache-Control: no-store` wherever tokens or personal data travel.

use serde_json::json;

use crate::helpers::{read, spawn_app, spawn_app_with, unique_email, Reply, PASSWORD};

fn header<'a>(reply: &'a Reply, name: &str) -> &'a str {
    reply
        .headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

fn assert_hardened(reply: &Reply, what: &str) {
    assert_eq!(header(reply, "x-content-type-options"), "nosniff", "{what}");
    assert_eq!(header(reply, "referrer-policy"), "no-referrer", "{what}");
    assert!(
        header(reply, "content-security-policy").contains("frame-ancestors 'none'"),
        "{what}"
    );
    assert_eq!(header(reply, "x-frame-options"), "DENY", "{what}");
}

fn assert_no_store(reply: &Reply, what: &str) {
    assert_eq!(header(reply, "cache-control"), "no-store", "{what}");
}

#[tokio::test]
async fn every_answer_is_hardened_and_private_ones_are_never_stored() {
    let app = spawn_app().await;
    let email = unique_email("hdr");
    let (_, access, _) = app.signed_up(&email, "investor").await;

    let login = app.login(&email, PASSWORD).await;
    assert_eq!(login.status, 200);
    assert_hardened(&login, "login");
    assert_no_store(&login, "login");

    let me = app.get("/api/v1/me", Some(&access)).await;
    assert_eq!(me.status, 200);
    assert_hardened(&me, "me");
    assert_no_store(&me, "me");

    let account = app.get("/api/v1/me/account", Some(&access)).await;
    assert_no_store(&account, "me/account");

    // Errors, from a handler, an extractor, the JSON parser and the router.
    let unauthorized = app.get("/api/v1/me", None).await;
    unauthorized.assert_problem(401, "unauthorized");
    assert_hardened(&unauthorized, "401");
    assert_no_store(&unauthorized, "401");
    let bad_login = app
        .post("/api/v1/auth/login", None, json!({"email": email}))
        .await;
    assert!(bad_login.status.is_client_error(), "{}", bad_login.body);
    assert_hardened(&bad_login, "400");
    assert_no_store(&bad_login, "400");
    let resp = app
        .client
        .post(app.url("/api/v1/auth/register"))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    let malformed = read(resp).await;
    assert_eq!(malformed.status, 400);
    assert_hardened(&malformed, "malformed JSON");
    let missing = app.get("/api/v1/no-such-route", None).await;
    assert_eq!(missing.status, 404);
    assert_hardened(&missing, "404");

    // Public pages are hardened too, and stay cacheable for anonymous callers.
    let public = app.get("/api/v1/offerings", None).await;
    assert_eq!(public.status, 200);
    assert_hardened(&public, "offerings");
    assert_ne!(header(&public, "cache-control"), "no-store");
    // Unless the caller sent credentials.
    let signed_in = app.get("/api/v1/offerings", Some(&access)).await;
    assert_no_store(&signed_in, "offerings, signed in");
    let health = app.get("/healthz", None).await;
    assert_hardened(&health, "healthz");
    // Plain http here: no HSTS.
    assert_eq!(header(&health, "strict-transport-security"), "");
}

#[tokio::test]
async fn behind_https_answers_ask_for_https_only() {
    let app = spawn_app_with(&[("PUBLIC_BASE_URL", "https://crowdfund.example")]).await;
    let health = app.get("/healthz", None).await;
    assert!(
        header(&health, "strict-transport-security").starts_with("max-age="),
        "{:?}",
        health.headers
    );
}
