//! `X-Request-Id`: on every answer, kept when the caller's is well-formed,
//! the same id in the audit log, and readable by browsers.

use reqwest::Method;
use serde_json::json;

use crate::helpers::{read, spawn_app, spawn_app_with, Reply, TestApp};

fn request_id(reply: &Reply) -> String {
    let values: Vec<_> = reply.headers.get_all("x-request-id").iter().collect();
    assert_eq!(values.len(), 1, "one X-Request-Id: {:?}", reply.headers);
    values[0].to_str().unwrap().to_string()
}

/// A fresh id is a UUID.
fn assert_fresh(reply: &Reply) -> String {
    let id = request_id(reply);
    assert!(uuid::Uuid::parse_str(&id).is_ok(), "{id}");
    id
}

async fn get_with(app: &TestApp, path: &str, headers: &[(&str, &str)]) -> Reply {
    let mut req = app.client.get(app.url(path));
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    read(req.send().await.unwrap()).await
}

#[tokio::test]
async fn every_answer_carries_a_request_id() {
    let app = spawn_app_with(&[("CORS_ALLOWED_ORIGINS", "https://app.example")]).await;

    let ok = app.get("/healthz", None).await;
    assert_eq!(ok.status, 200);
    let no_route = app.get("/api/v1/no-such-thing", None).await;
    no_route.assert_problem(404, "route_not_found");
    let no_token = app.get("/api/v1/me", None).await;
    no_token.assert_problem(401, "unauthorized");
    // Refused by a middleware before any handler runs.
    let control = app.get("/api/v1/offerings/%00", None).await;
    control.assert_problem(400, "invalid_characters");
    let wrong_method = app
        .request(Method::DELETE, "/api/v1/auth/login", None, None)
        .await;
    wrong_method.assert_problem(405, "method_not_allowed");
    let preflight = read(
        app.client
            .request(Method::OPTIONS, app.url("/api/v1/me"))
            .header("Origin", "https://app.example")
            .header("Access-Control-Request-Method", "GET")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(preflight.status, 200, "{}", preflight.body);

    let ids: std::collections::HashSet<_> = [
        &ok,
        &no_route,
        &no_token,
        &control,
        &wrong_method,
        &preflight,
    ]
    .into_iter()
    .map(assert_fresh)
    .collect();
    assert_eq!(ids.len(), 6, "each request has its own id");
}

#[tokio::test]
async fn a_well_formed_incoming_id_is_kept_and_recorded_in_the_audit_log() {
    let app = spawn_app().await;
    let operator = app.operator().await;
    let sponsor = app.sponsor().await;
    let draft = app.draft(&sponsor, json!({})).await;
    assert_eq!(draft.status, 201, "{}", draft.body);
    let offering = draft.body["id"].as_str().unwrap();
    let submitted = app
        .post(
            format!("/api/v1/offerings/{offering}/submit"),
            Some(&sponsor.token),
            json!({}),
        )
        .await;
    assert_eq!(submitted.status, 200, "{}", submitted.body);

    let id = "edge-7f3a:trace.0001_b";
    let approved = read(
        app.client
            .post(app.url(&format!("/api/v1/operator/offerings/{offering}/approve")))
            .bearer_auth(&operator.token)
            .header("X-Request-Id", id)
            .json(&json!({}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(approved.status, 200, "{}", approved.body);
    assert_eq!(request_id(&approved), id);

    let log = app
        .get(
            "/api/v1/operator/audit-log?action=offering.approved",
            Some(&operator.token),
        )
        .await;
    assert_eq!(log.status, 200, "{}", log.body);
    let record = &log.body["items"][0];
    assert_eq!(record["subject_id"], offering);
    assert_eq!(record["request_id"], id);

    // Errors keep it too.
    let refused = get_with(&app, "/api/v1/me", &[("X-Request-Id", id)]).await;
    refused.assert_problem(401, "unauthorized");
    assert_eq!(request_id(&refused), id);
}

#[tokio::test]
async fn a_generated_id_is_the_one_in_the_audit_log() {
    let app = spawn_app().await;
    let operator = app.operator().await;
    let sponsor = app.sponsor().await;
    let offering = app.open_offering(&sponsor, &operator, json!({})).await;
    let cancelled = app
        .post(
            format!("/api/v1/offerings/{offering}/cancel"),
            Some(&sponsor.token),
            json!({}),
        )
        .await;
    assert_eq!(cancelled.status, 200, "{}", cancelled.body);
    let log = app
        .get(
            "/api/v1/operator/audit-log?action=offering.cancelled",
            Some(&operator.token),
        )
        .await;
    assert_eq!(log.body["items"][0]["request_id"], assert_fresh(&cancelled));
}

#[tokio::test]
async fn a_malformed_incoming_id_is_replaced() {
    let app = spawn_app().await;
    let too_long = "x".repeat(65);
    for bad in ["has space", "semi;colon", "a/b", "", too_long.as_str()] {
        let reply = get_with(&app, "/healthz", &[("X-Request-Id", bad)]).await;
        assert_eq!(reply.status, 200);
        assert_ne!(assert_fresh(&reply), bad);
    }
    // Two ids: neither is chosen.
    let reply = get_with(
        &app,
        "/healthz",
        &[("X-Request-Id", "first"), ("X-Request-Id", "second")],
    )
    .await;
    assert_fresh(&reply);
}

#[tokio::test]
async fn browsers_may_send_and_read_the_request_id() {
    let origin = "https://app.example";
    let app = spawn_app_with(&[("CORS_ALLOWED_ORIGINS", origin)]).await;

    let reply = get_with(&app, "/healthz", &[("Origin", origin)]).await;
    assert_eq!(reply.status, 200);
    let exposed: Vec<String> = reply
        .headers
        .get_all("access-control-expose-headers")
        .iter()
        .flat_map(|v| v.to_str().unwrap().split(','))
        .map(|h| h.trim().to_ascii_lowercase())
        .collect();
    for header in ["x-request-id", "retry-after", "idempotent-replayed"] {
        assert!(exposed.iter().any(|h| h == header), "{header}: {exposed:?}");
    }

    let preflight = read(
        app.client
            .request(Method::OPTIONS, app.url("/api/v1/me"))
            .header("Origin", origin)
            .header("Access-Control-Request-Method", "GET")
            .header(
                "Access-Control-Request-Headers",
                "authorization, x-request-id",
            )
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(preflight.status, 200, "{}", preflight.body);
    let allowed = preflight.headers["access-control-allow-headers"]
        .to_str()
        .unwrap()
        .to_ascii_lowercase();
    assert!(allowed.contains("x-request-id"), "{allowed}");
}
