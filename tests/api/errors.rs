//! Bad input of every kind answers problem+json 4xx, never a 500, and writes nothing.

use reqwest::Method;
use serde_json::json;

use crate::helpers::{spawn_app, unique_email, PASSWORD};

#[tokio::test]
async fn unknown_routes_and_wrong_methods_are_problems() {
    let app = spawn_app().await;
    app.get("/api/v1/nothing-here", None)
        .await
        .assert_problem(404, "route_not_found");
    let reply = app.request(Method::DELETE, "/healthz", None, None).await;
    reply.assert_problem(405, "method_not_allowed");
    assert_eq!(reply.headers.get("allow").unwrap(), "GET");
    app.request(Method::GET, "/api/v1/auth/login", None, None)
        .await
        .assert_problem(405, "method_not_allowed");
}

#[tokio::test]
async fn malformed_bodies_are_refused_with_codes() {
    let app = spawn_app().await;
    let url = app.url("/api/v1/auth/register");
    let send = |content_type: &'static str, body: Vec<u8>| {
        let client = app.client.clone();
        let url = url.clone();
        async move {
            let resp = client
                .post(url)
                .header("content-type", content_type)
                .body(body)
                .send()
                .await
                .unwrap();
            crate::helpers::read(resp).await
        }
    };
    send("application/json", b"{\"email\": ".to_vec())
        .await
        .assert_problem(400, "malformed_json");
    send("application/json", b"not json at all".to_vec())
        .await
        .assert_problem(400, "malformed_json");
    send("text/plain", b"{}".to_vec())
        .await
        .assert_problem(415, "unsupported_media_type");
    let huge = format!(
        "{{\"email\":\"a@example.com\",\"password\":\"{}\",\"display_name\":\"x\",\"role\":\"investor\"}}",
        "x".repeat(200_000)
    );
    send("application/json", huge.into_bytes())
        .await
        .assert_problem(413, "payload_too_large");
    send("application/json", b"[1,2,3]".to_vec())
        .await
        .assert_problem(422, "invalid_body");
    send(
        "application/json",
        br#"{"email":1,"password":"x","display_name":"x","role":"investor"}"#.to_vec(),
    )
    .await
    .assert_problem(422, "invalid_body");
    send(
        "application/json",
        br#"{"email":"a@example.com","password":"correct horse battery","display_name":"x","role":"investor","is_admin":true}"#.to_vec(),
    )
    .await
    .assert_problem(422, "invalid_body");
    assert_eq!(app.count("users"), 0, "nothing may be half-written");
}

#[tokio::test]
async fn every_registration_field_is_validated() {
    let app = spawn_app().await;
    let good = || json!({"email": unique_email("v"), "password": PASSWORD, "display_name": "Ada", "role": "investor"});
    let cases = [
        ("email", json!("")),
        ("email", json!("not-an-email")),
        ("email", json!("a@b")),
        ("email", json!(format!("{}@example.com", "a".repeat(300)))),
        ("password", json!("short")),
        ("password", json!("x".repeat(129))),
        ("password", json!("")),
        ("display_name", json!("")),
        ("display_name", json!("   ")),
        ("display_name", json!("n".repeat(101))),
        ("display_name", json!("bad\u{0000}name")),
        ("display_name", json!("rtl\u{202E}override")),
        ("role", json!("operator")),
        ("role", json!("admin")),
        ("role", json!("")),
    ];
    for (field, value) in cases {
        let mut body = good();
        body[field] = value.clone();
        let reply = app.post("/api/v1/auth/register", None, body).await;
        reply.assert_problem(422, "invalid_field");
        assert_eq!(reply.body["field"], field, "{field} = {value}");
    }
    // Unicode that is fine: multi-byte names and passwords, counted in characters.
    let mut body = good();
    body["display_name"] = json!("Ærøskøbing 李小龍 👩‍💻");
    body["password"] = json!("pässwörd-ünïcødé");
    let reply = app.post("/api/v1/auth/register", None, body).await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    assert_eq!(app.count("users"), 1);
}

#[tokio::test]
async fn huge_and_wrongly_typed_numbers_are_refused() {
    let app = spawn_app().await;
    let reply = app
        .post(
            "/api/v1/auth/login",
            None,
            json!({"email": 1e308, "password": 99999999999999999999u128 as f64}),
        )
        .await;
    reply.assert_problem(422, "invalid_body");
}

/// A cursor as this server encodes one (base64url of its JSON), with any text
/// inside: what a client could forge.
fn forged_cursor(sort: &str, value: &str, id: &str) -> String {
    use base64::Engine;
    let json = json!({"s": sort, "v": value, "id": id}).to_string();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json)
}

#[tokio::test]
async fn control_characters_in_ids_and_cursors_are_refused() {
    let app = spawn_app().await;
    let operator = app.operator().await;
    let sponsor = app.sponsor().await;
    let offering = app.draft(&sponsor, json!({})).await.body["id"]
        .as_str()
        .unwrap()
        .to_string();

    // Path ids: NUL, an escape, a C1 control (U+0085), each as the one
    // refusal before any handler or query runs.
    for path in [
        "/api/v1/offerings/%00".to_string(),
        format!("/api/v1/offerings/{offering}%00"),
        "/api/v1/offerings/a%1Bb/cap-table".to_string(),
        "/api/v1/subscriptions/%00/cancel".to_string(),
        "/api/v1/operator/users/x%C2%85/sign-out".to_string(),
        "/api/v1/operator/offerings/%00/approve".to_string(),
    ] {
        let reply = app
            .request(
                Method::POST,
                &path,
                Some(&operator.token),
                Some(json!({"reason": "x"})),
            )
            .await;
        reply.assert_problem(400, "invalid_characters");
        app.get(&path, Some(&operator.token))
            .await
            .assert_problem(400, "invalid_characters");
    }
    app.get("/api/v1/offerings?q=solar%00", None)
        .await
        .assert_problem(400, "invalid_characters");

    // Cursors carry text inside their encoding: a NUL there must not reach
    // the database (PostgreSQL refuses it in text, which was a 500).
    let nul = |sort: &str, value: &str| forged_cursor(sort, value, "0\u{0}1");
    for (path, token) in [
        (
            format!(
                "/api/v1/offerings?sort=raised&cursor={}",
                nul("raised", "5")
            ),
            None,
        ),
        (
            format!("/api/v1/offerings?sort=created_at&cursor={}", {
                forged_cursor("created_at", "2026-01-01T00:00:00.000000\u{0}", "x")
            }),
            None,
        ),
        (
            format!("/api/v1/me/offerings?cursor={}", nul("mine", "")),
            Some(&sponsor.token),
        ),
        (
            format!(
                "/api/v1/offerings/{offering}/subscriptions?cursor={}",
                nul("subscribers", "")
            ),
            Some(&sponsor.token),
        ),
        (
            format!("/api/v1/operator/audit-log?cursor={}", nul("audit", "")),
            Some(&operator.token),
        ),
        (
            format!(
                "/api/v1/operator/kyc?cursor={}",
                nul("kyc", "2026-01-01T00:00:00.000000")
            ),
            Some(&operator.token),
        ),
        (
            format!(
                "/api/v1/operator/unallocated-deposits?cursor={}",
                nul("unallocated", "")
            ),
            Some(&operator.token),
        ),
    ] {
        let reply = app.get(&path, token.map(String::as_str)).await;
        reply.assert_problem(400, "invalid_cursor");
    }
    // The same lists answer with a cursor they made.
    let page = app
        .get("/api/v1/operator/audit-log?limit=1", Some(&operator.token))
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
    if let Some(next) = page.body["next_cursor"].as_str() {
        let more = app
            .get(
                &format!("/api/v1/operator/audit-log?limit=1&cursor={next}"),
                Some(&operator.token),
            )
            .await;
        assert_eq!(more.status, 200, "{}", more.body);
    }
}
