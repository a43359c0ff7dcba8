//! One rule for the public routes that look at the caller: no
//! `Authorization` header is an anonymous caller; a header that is there
//! and does not work (malformed, invalid, expired, of an ended session) is
//! refused as a protected route refuses it, never read as anonymous.

use jsonwebtoken::{encode, EncodingKey, Header};
use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::spawn_app;
use crate::helpers::{read, unique_email, Reply, TestApp, JWT_SECRET, PASSWORD};
use crate::world::Person;

/// `Authorization` values that must be refused, each with the code a
/// protected route answers them with.
async fn refused_headers(
    app: &TestApp,
    person: &Person,
    role: &str,
) -> Vec<(String, &'static str)> {
    let now = jsonwebtoken::get_current_timestamp();
    let expired = encode(
        &Header::default(),
        &json!({"sub": person.id, "role": role, "sid": "any-session", "iat": now - 1_000,
                "exp": now - 120, "iss": "crowdfund", "aud": "crowdfund-api"}),
        &EncodingKey::from_secret(JWT_SECRET.as_bytes()),
    )
    .unwrap();
    // A session of the same person, ended by signing out.
    let login = app.login(&person.email, PASSWORD).await;
    assert_eq!(login.status, 200, "{}", login.body);
    let ended = login.body["access_token"].as_str().unwrap().to_string();
    let out = app
        .post(
            "/api/v1/auth/logout",
            None,
            json!({"refresh_token": login.body["refresh_token"]}),
        )
        .await;
    assert_eq!(out.status, 204, "{}", out.body);
    vec![
        ("Basic dXNlcjpwYXNz".to_string(), "unauthorized"),
        ("Bearer".to_string(), "unauthorized"),
        ("Bearer not.a.jwt".to_string(), "invalid_token"),
        (format!("Bearer {expired}"), "token_expired"),
        (format!("Bearer {ended}"), "session_revoked"),
    ]
}

async fn call(
    app: &TestApp,
    method: Method,
    path: &str,
    auth: Option<&str>,
    body: Option<Value>,
) -> Reply {
    let mut req = app.client.request(method, app.url(path));
    if let Some(auth) = auth {
        req = req.header("authorization", auth);
    }
    if let Some(body) = body {
        req = req.json(&body);
    }
    read(req.send().await.unwrap()).await
}

#[track_caller]
fn assert_refused(reply: &Reply, code: &str, what: &str) {
    assert_eq!(reply.status, 401, "{what}: {}", reply.body);
    assert_eq!(reply.code(), code, "{what}: {}", reply.body);
    assert_eq!(
        reply
            .headers
            .get("www-authenticate")
            .map(|v| v.to_str().unwrap()),
        Some("Bearer"),
        "{what}"
    );
}

#[tokio::test]
async fn the_catalogue_and_an_offering_refuse_credentials_that_no_longer_work() {
    let app = spawn_app().await;
    let operator = app.operator().await;
    let sponsor = app.sponsor().await;
    let open = app.open_offering(&sponsor, &operator, json!({})).await;
    let draft = app
        .draft(&sponsor, json!({"title": "Sponsor's own draft"}))
        .await;
    assert_eq!(draft.status, 201, "{}", draft.body);
    let draft = draft.body["id"].as_str().unwrap().to_string();
    let bearer = format!("Bearer {}", sponsor.token);

    // No header: anonymous. The catalogue lists the open offering; the draft
    // is not there for anonymous callers.
    let list = call(&app, Method::GET, "/api/v1/offerings", None, None).await;
    assert_eq!(list.status, 200, "{}", list.body);
    assert!(list.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|o| o["id"] == open.as_str()));
    let one = format!("/api/v1/offerings/{open}");
    assert_eq!(call(&app, Method::GET, &one, None, None).await.status, 200);
    let mine = format!("/api/v1/offerings/{draft}");
    call(&app, Method::GET, &mine, None, None)
        .await
        .assert_problem(404, "not_found");
    // A working token: the sponsor sees their draft.
    let seen = call(&app, Method::GET, &mine, Some(&bearer), None).await;
    assert_eq!(seen.status, 200, "{}", seen.body);
    assert_eq!(seen.body["status"], "draft");
    assert_eq!(
        call(&app, Method::GET, "/api/v1/offerings", Some(&bearer), None)
            .await
            .status,
        200
    );

    for (header, code) in refused_headers(&app, &sponsor, "sponsor").await {
        for path in ["/api/v1/offerings", one.as_str(), mine.as_str()] {
            let reply = call(&app, Method::GET, path, Some(&header), None).await;
            assert_refused(&reply, code, &format!("GET {path} with {header:.20}"));
            // Exactly as a protected route refuses it.
            let protected = call(&app, Method::GET, "/api/v1/me", Some(&header), None).await;
            assert_refused(&protected, code, "GET /api/v1/me");
        }
    }
}

#[tokio::test]
async fn verifying_an_email_refuses_credentials_that_no_longer_work_and_spends_nothing() {
    let app = spawn_app().await;
    let email = unique_email("optional");
    let reg = app.register(&email, "investor").await;
    assert_eq!(reg.status, 201, "{}", reg.body);
    let person = app.signed_in(email.clone()).await;
    let token = app
        .wait_for_email(&email, "Confirm your email")
        .await
        .link_token("/verify-email?token=");
    let body = json!({"token": token});
    let path = "/api/v1/auth/verify-email";

    for (header, code) in refused_headers(&app, &person, "investor").await {
        let reply = call(&app, Method::POST, path, Some(&header), Some(body.clone())).await;
        assert_refused(&reply, code, &format!("POST {path} with {header:.20}"));
    }
    // None of those spent the link, nor verified the address.
    let me = app.get("/api/v1/me", Some(&person.token)).await;
    assert_eq!(me.body["email_verified"], false, "{}", me.body);
    // With a working token of the same account, the caller keeps their session.
    let bearer = format!("Bearer {}", person.token);
    let verified = call(&app, Method::POST, path, Some(&bearer), Some(body.clone())).await;
    assert_eq!(verified.status, 200, "{}", verified.body);
    assert_eq!(app.get("/api/v1/me", Some(&person.token)).await.status, 200);

    // Without a header: anonymous, as before.
    let other = unique_email("optional-anon");
    assert_eq!(app.register(&other, "investor").await.status, 201);
    let token = app
        .wait_for_email(&other, "Confirm your email")
        .await
        .link_token("/verify-email?token=");
    let anonymous = call(
        &app,
        Method::POST,
        path,
        None,
        Some(json!({"token": token})),
    )
    .await;
    assert_eq!(anonymous.status, 200, "{}", anonymous.body);
}
