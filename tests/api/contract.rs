//! What the contract check from outside (Schemathesis, `.ci/contract`)
//! found, kept: integers as JSON Schema counts them, one rule for empty
//! query values, every RFC 3339 time in the audit log's filter, room for
//! an offering at its longest, and the served document as its own schema
//! describes it.

use serde_json::json;

use crate::helpers::{read, spawn_app, Reply, TestApp};

async fn raw_post(app: &TestApp, path: &str, token: &str, key: &str, body: &str) -> Reply {
    let resp = app
        .client
        .post(app.url(path))
        .bearer_auth(token)
        .header("Idempotency-Key", key)
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    read(resp).await
}

#[tokio::test]
async fn whole_numbers_are_integers_however_they_are_written() {
    let app = spawn_app().await;
    let operator = app.operator().await;
    let sponsor = app.sponsor().await;
    let investor = app.investor(&operator, 0).await;

    for (body, amount) in [
        (r#"{"amount": 5000.0}"#, 5000),
        (r#"{"amount": 5e3}"#, 5000),
        (r#"{"amount": 500000e-2}"#, 5000),
    ] {
        let key = uuid::Uuid::new_v4().to_string();
        let reply = raw_post(&app, "/api/v1/me/deposits", &investor.token, &key, body).await;
        assert_eq!(reply.status, 201, "{body}: {}", reply.body);
        assert_eq!(reply.body["amount"], amount, "{body}");
    }
    // A fraction, however small, is not rounded away; nor is a number
    // beyond 64 bits.
    for body in [
        r#"{"amount": 5000.5}"#,
        r#"{"amount": 1.0000000000000001}"#,
        r#"{"amount": 1e19}"#,
        r#"{"amount": "5000"}"#,
    ] {
        let key = uuid::Uuid::new_v4().to_string();
        let reply = raw_post(&app, "/api/v1/me/deposits", &investor.token, &key, body).await;
        assert_eq!(reply.status, 422, "{body}: {}", reply.body);
        assert_eq!(reply.code(), "invalid_body", "{body}");
    }

    // The same in every body that takes an integer: an offering's terms, a
    // profile's figures, a subscription's shares.
    let draft = app
        .draft(
            &sponsor,
            json!({"price_per_share": 1000.0, "target_amount": 1.0e6, "min_raise": 500000.0}),
        )
        .await;
    assert_eq!(draft.status, 201, "{}", draft.body);
    assert_eq!(draft.body["target_amount"], 1_000_000);
    assert_eq!(draft.body["min_raise"], 500_000);
    let id = draft.body["id"].as_str().unwrap();
    let patched = app
        .patch(
            &format!("/api/v1/offerings/{id}"),
            Some(&sponsor.token),
            json!({"max_per_investor": 20000.0, "min_raise": null}),
        )
        .await;
    assert_eq!(patched.status, 200, "{}", patched.body);
    assert_eq!(patched.body["max_per_investor"], 20_000);
    assert_eq!(patched.body["min_raise"], 1_000_000);

    let profile = app
        .put(
            "/api/v1/me/investor-profile",
            Some(&investor.token),
            json!({"legal_name": "Ada Investor", "country": "US", "annual_income": 0.0,
                   "net_worth": 0.0, "accredited": true, "external_investments_12m": 0.0}),
        )
        .await;
    assert_eq!(profile.status, 200, "{}", profile.body);

    let offering = app.open_offering(&sponsor, &operator, json!({})).await;
    let funded = app.investor(&operator, 10_000).await;
    let subscribed = app
        .subscribe(
            &funded,
            &offering,
            json!(2.0),
            uuid::Uuid::new_v4().to_string(),
        )
        .await;
    assert_eq!(subscribed.status, 201, "{}", subscribed.body);
    assert_eq!(subscribed.body["shares"], 2);
    let refused = app
        .subscribe(
            &funded,
            &offering,
            json!(2.5),
            uuid::Uuid::new_v4().to_string(),
        )
        .await;
    assert_eq!(refused.code(), "invalid_body", "{}", refused.body);
}

#[tokio::test]
async fn an_empty_query_value_is_the_parameter_left_out_on_every_list() {
    let app = spawn_app().await;
    let operator = app.operator().await;
    let investor = app.investor(&operator, 1_000).await;
    let sponsor = app.sponsor().await;
    let offering = app.open_offering(&sponsor, &operator, json!({})).await;

    let lists: [(&str, &str); 8] = [
        ("/api/v1/offerings?status=&q=&sort=&limit=&cursor=", ""),
        ("/api/v1/me/deposits?limit=&cursor=", "investor"),
        ("/api/v1/me/account/transactions?cursor=", "investor"),
        ("/api/v1/operator/kyc?status=&cursor=&limit", "operator"),
        ("/api/v1/operator/unallocated-deposits?status=", "operator"),
        ("/api/v1/operator/unreconciled-movements?status=&cursor=", "operator"),
        (
            "/api/v1/operator/audit-log?action=&actor_id=&subject_type=&subject_id=&since=&until=&cursor=",
            "operator",
        ),
        ("/api/v1/me/offerings?cursor=&limit=", "sponsor"),
    ];
    for (path, who) in lists {
        let token = match who {
            "investor" => Some(investor.token.as_str()),
            "operator" => Some(operator.token.as_str()),
            "sponsor" => Some(sponsor.token.as_str()),
            _ => None,
        };
        let bare = path.split('?').next().unwrap();
        let with_empty = app.get(path, token).await;
        let without = app.get(bare, token).await;
        assert_eq!(with_empty.status, 200, "{path}: {}", with_empty.body);
        assert_eq!(with_empty.body, without.body, "{path}");
    }
    // The catalogue with `status=` lists the open offering as without it.
    let catalogue = app.get("/api/v1/offerings?status=", None).await;
    assert!(catalogue.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|o| o["id"] == offering.as_str()));

    // A value that is there but wrong is still refused.
    for path in [
        "/api/v1/offerings?status=nope",
        "/api/v1/offerings?limit=0",
        "/api/v1/offerings?cursor=nope",
        "/api/v1/offerings?unknown=1",
    ] {
        let reply = app.get(path, None).await;
        assert_eq!(reply.status, 400, "{path}: {}", reply.body);
    }
}

#[tokio::test]
async fn a_bad_cursor_is_refused_also_before_the_account_exists() {
    let app = spawn_app().await;
    let sponsor = app.sponsor().await;
    let reply = app
        .get(
            "/api/v1/me/account/transactions?cursor=0.5",
            Some(&sponsor.token),
        )
        .await;
    assert_eq!(reply.status, 400, "{}", reply.body);
    assert_eq!(reply.code(), "invalid_cursor");
}

#[tokio::test]
async fn the_audit_log_takes_every_rfc3339_time() {
    let app = spawn_app().await;
    let operator = app.operator().await;
    let sponsor = app.sponsor().await;
    app.open_offering(&sponsor, &operator, json!({})).await;
    let everything = app
        .get("/api/v1/operator/audit-log", Some(&operator.token))
        .await;
    assert_eq!(everything.status, 200, "{}", everything.body);
    assert!(!everything.body["items"].as_array().unwrap().is_empty());

    for (query, all) in [
        ("since=0000-01-01T00:00:00%2B01:00", true),
        (
            "since=1000-06-01T00:00:00Z&until=9999-12-31T23:59:59-05:00",
            true,
        ),
        ("until=1899-12-31T23:59:59Z", false),
        ("since=9999-12-31T23:59:59-23:59", false),
    ] {
        let reply = app
            .get(
                &format!("/api/v1/operator/audit-log?{query}"),
                Some(&operator.token),
            )
            .await;
        assert_eq!(reply.status, 200, "{query}: {}", reply.body);
        if all {
            assert_eq!(reply.body["items"], everything.body["items"], "{query}");
        } else {
            assert_eq!(reply.body["items"], json!([]), "{query}");
        }
    }
    let reply = app
        .get(
            "/api/v1/operator/audit-log?since=yesterday",
            Some(&operator.token),
        )
        .await;
    assert_eq!(reply.status, 400);
    assert_eq!(reply.code(), "invalid_query");
}

#[tokio::test]
async fn an_offering_at_its_longest_fits_however_it_is_encoded() {
    let app = spawn_app().await;
    let sponsor = app.sponsor().await;
    // Every character an astral one, written as an escaped surrogate pair:
    // 12 bytes each, about 250 KB in all.
    let escaped = |n: usize| "\\ud83c\\udf1e".repeat(n);
    let body = format!(
        r#"{{"title":"{}","summary":"{}","description":"{}","security_type":"common_equity",
            "price_per_share":1000,"target_amount":1000000,"closes_at":"{}"}}"#,
        escaped(200),
        escaped(1000),
        escaped(20_000),
        (chrono::Utc::now() + chrono::Duration::days(30)).to_rfc3339(),
    );
    assert!(body.len() > 64 * 1024);
    let resp = app
        .client
        .post(app.url("/api/v1/offerings"))
        .bearer_auth(&sponsor.token)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    let created = read(resp).await;
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(
        created.body["description"]
            .as_str()
            .unwrap()
            .chars()
            .count(),
        20_000
    );

    // Past the offerings' limit, and past everyone else's: 413.
    let too_long = format!(
        r#"{{"title":"x","description":"{}"}}"#,
        "a".repeat(256 * 1024)
    );
    let id = created.body["id"].as_str().unwrap();
    let resp = app
        .client
        .patch(app.url(&format!("/api/v1/offerings/{id}")))
        .bearer_auth(&sponsor.token)
        .header("content-type", "application/json")
        .body(too_long)
        .send()
        .await
        .unwrap();
    let refused = read(resp).await;
    assert_eq!(refused.status, 413, "{}", refused.body);
    assert_eq!(refused.code(), "payload_too_large");
    let resp = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .header("content-type", "application/json")
        .body(format!(r#"{{"email":"{}"}}"#, "a".repeat(65 * 1024)))
        .send()
        .await
        .unwrap();
    assert_eq!(read(resp).await.status, 413);
}

#[tokio::test]
async fn the_served_document_is_what_its_own_schema_says() {
    let app = spawn_app().await;
    let resp = app
        .client
        .get(app.url("/openapi.yaml"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert!(resp.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/yaml"));
    let text = resp.text().await.unwrap();
    let docs = yaml_rust2::YamlLoader::load_from_str(&text).unwrap();
    let doc = &docs[0];
    // `type: object, required: [openapi, info, paths]`, `openapi` 3.1.x.
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1."));
    assert!(doc["info"].as_hash().is_some());
    assert!(doc["paths"].as_hash().is_some());
    let schema = &doc["paths"]["/openapi.yaml"]["get"]["responses"]["200"]["content"]
        ["application/yaml"]["schema"];
    assert_eq!(schema["type"].as_str(), Some("object"));
}
