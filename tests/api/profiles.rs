//! Investor profiles, their limit figures, and the operators' KYC queue.

use serde_json::json;

use crate::helpers::{spawn_app, unique_email};

#[tokio::test]
async fn a_profile_answers_with_its_limit_and_waits_for_kyc() {
    let app = spawn_app().await;
    let operator = app.operator().await;
    let (id, token, _) = app.signed_up(&unique_email("p"), "investor").await;
    let profile = app
        .put(
            "/api/v1/me/investor-profile",
            Some(&token),
            json!({"legal_name": "Ada Lovelace", "country": "gb", "annual_income": 8_000_000,
                   "net_worth": 1_000_000, "accredited": false, "external_investments_12m": 150_000}),
        )
        .await;
    assert_eq!(profile.status, 200, "{}", profile.body);
    assert_eq!(profile.body["country"], "GB");
    assert_eq!(profile.body["kyc_status"], "pending");
    assert_eq!(profile.body["limit"]["annual_limit"], 400_000);
    assert_eq!(profile.body["limit"]["declared_elsewhere_12m"], 150_000);
    assert_eq!(profile.body["limit"]["remaining"], 250_000);

    let queue = app
        .get("/api/v1/operator/kyc?status=pending", Some(&operator.token))
        .await;
    assert_eq!(queue.status, 200, "{}", queue.body);
    assert!(queue.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|i| i["investor_id"] == id.as_str()));

    app.post(
        &format!("/api/v1/operator/investors/{id}/kyc"),
        Some(&operator.token),
        json!({"decision": "rejected"}),
    )
    .await
    .assert_problem(422, "invalid_field");
    let rejected = app
        .post(
            &format!("/api/v1/operator/investors/{id}/kyc"),
            Some(&operator.token),
            json!({"decision": "rejected", "reason": "document unreadable"}),
        )
        .await;
    assert_eq!(rejected.body["kyc_status"], "rejected");
    // Resubmitting sends it back to review; approval then holds while only
    // the finances change, and a change of identity restarts review.
    let resubmitted = app
        .put(
            "/api/v1/me/investor-profile",
            Some(&token),
            json!({"legal_name": "Ada Lovelace", "country": "GB", "annual_income": 8_000_000,
                    "net_worth": 1_000_000, "accredited": false}),
        )
        .await;
    assert_eq!(resubmitted.body["kyc_status"], "pending");
    app.post(
        &format!("/api/v1/operator/investors/{id}/kyc"),
        Some(&operator.token),
        json!({"decision": "approved"}),
    )
    .await;
    let richer = app
        .put(
            "/api/v1/me/investor-profile",
            Some(&token),
            json!({"legal_name": "Ada Lovelace", "country": "GB", "annual_income": 20_000_000,
                    "net_worth": 20_000_000, "accredited": false}),
        )
        .await;
    assert_eq!(richer.body["kyc_status"], "approved");
    assert_eq!(richer.body["limit"]["annual_limit"], 2_000_000);
    let renamed = app
        .put(
            "/api/v1/me/investor-profile",
            Some(&token),
            json!({"legal_name": "Ada King", "country": "GB", "annual_income": 20_000_000,
                    "net_worth": 20_000_000, "accredited": true}),
        )
        .await;
    assert_eq!(renamed.body["kyc_status"], "pending");
    assert_eq!(
        renamed.body["limit"]["annual_limit"],
        serde_json::Value::Null
    );
}

#[tokio::test]
async fn profile_input_is_validated() {
    let app = spawn_app().await;
    let (_, token, _) = app.signed_up(&unique_email("p"), "investor").await;
    let good = json!({"legal_name": "Ada", "country": "US", "annual_income": 1, "net_worth": 1, "accredited": false});
    for (field, value) in [
        ("legal_name", json!("  ")),
        ("country", json!("USA")),
        ("country", json!("1x")),
        ("annual_income", json!(-1)),
        ("net_worth", json!(i64::MAX)),
        ("external_investments_12m", json!(-10)),
    ] {
        let mut body = good.clone();
        body[field] = value;
        let r = app
            .put("/api/v1/me/investor-profile", Some(&token), body)
            .await;
        r.assert_problem(422, "invalid_field");
        assert_eq!(r.body["field"], field);
    }
    for (field, value) in [
        ("annual_income", json!(10.5)),
        ("accredited", json!("yes")),
        ("extra", json!(1)),
    ] {
        let mut body = good.clone();
        body[field] = value;
        app.put("/api/v1/me/investor-profile", Some(&token), body)
            .await
            .assert_problem(422, "invalid_body");
    }
    assert_eq!(app.count("investor_profiles"), 0);
}

#[tokio::test]
async fn operator_routes_are_for_operators_only() {
    let app = spawn_app().await;
    let (investor_id, investor, _) = app.signed_up(&unique_email("i"), "investor").await;
    let sponsor = app.sponsor().await;
    for token in [&investor, &sponsor.token] {
        app.get("/api/v1/operator/kyc", Some(token))
            .await
            .assert_problem(403, "forbidden");
        app.post(
            &format!("/api/v1/operator/investors/{investor_id}/kyc"),
            Some(token),
            json!({"decision": "approved"}),
        )
        .await
        .assert_problem(403, "forbidden");
        app.get("/api/v1/operator/ledger/trial-balance", Some(token))
            .await
            .assert_problem(403, "forbidden");
        app.post(
            "/api/v1/operator/offerings/x/approve",
            Some(token),
            json!({}),
        )
        .await
        .assert_problem(403, "forbidden");
    }
    app.put("/api/v1/me/investor-profile", Some(&sponsor.token),
            json!({"legal_name": "S", "country": "US", "annual_income": 1, "net_worth": 1, "accredited": false}))
        .await
        .assert_problem(403, "forbidden");
    let operator = app.operator().await;
    app.post(
        "/api/v1/operator/investors/nobody/kyc",
        Some(&operator.token),
        json!({"decision": "approved"}),
    )
    .await
    .assert_problem(404, "not_found");
    // A sponsor's id is not an investor profile.
    app.post(
        &format!("/api/v1/operator/investors/{}/kyc", sponsor.id),
        Some(&operator.token),
        json!({"decision": "approved"}),
    )
    .await
    .assert_problem(404, "not_found");
}
