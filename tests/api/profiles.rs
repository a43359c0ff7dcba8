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
    // Resubmitting sends it back to review; a change of the finances goes
    // back to review too, with the approved limit in force meanwhile, and a
    // change of identity restarts review with nothing in force.
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
    assert_eq!(richer.body["kyc_status"], "pending");
    assert_eq!(richer.body["limit"]["basis"], "approved");
    assert_eq!(richer.body["limit"]["annual_limit"], 400_000);
    let renamed = app
        .put(
            "/api/v1/me/investor-profile",
            Some(&token),
            json!({"legal_name": "Ada King", "country": "GB", "annual_income": 20_000_000,
                    "net_worth": 20_000_000, "accredited": true}),
        )
        .await;
    assert_eq!(renamed.body["kyc_status"], "pending");
    assert_eq!(renamed.body["limit"]["basis"], "declared");
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

#[tokio::test]
async fn an_investor_cannot_lift_their_own_limit_the_approved_one_stays_in_force() {
    let app = spawn_app().await;
    let operator = app.operator().await;
    let sponsor = app.sponsor().await;
    // Limit 4,000.00: 5% of an income of 80,000.00.
    let investor = app
        .investor_with(&operator, 8_000_000, 1_000_000, false, 1_000_000)
        .await;
    let offering = app
        .open_offering(&sponsor, &operator, json!({"price_per_share": 1_000}))
        .await;
    let declare = |accredited: bool, name: &'static str| {
        json!({"legal_name": name, "country": "US", "annual_income": 8_000_000,
               "net_worth": 1_000_000, "accredited": accredited, "external_investments_12m": 0})
    };
    // Declaring oneself accredited goes back to review...
    let changed = app
        .put(
            "/api/v1/me/investor-profile",
            Some(&investor.token),
            declare(true, "Ada Investor"),
        )
        .await;
    assert_eq!(changed.status, 200, "{}", changed.body);
    assert_eq!(changed.body["kyc_status"], "pending");
    assert_eq!(changed.body["accredited"], true);
    // ...and meanwhile the limit last approved is the one in force.
    assert_eq!(changed.body["limit"]["basis"], "approved");
    assert_eq!(changed.body["limit"]["annual_limit"], 400_000);
    let over = app
        .subscribe(&investor, &offering, json!(500), "over")
        .await;
    over.assert_problem(422, "investment_limit_exceeded");
    let within = app
        .subscribe(&investor, &offering, json!(300), "within")
        .await;
    assert_eq!(within.status, 201, "{}", within.body);

    let audit = app
        .get(
            &format!(
                "/api/v1/operator/audit-log?action=investor_profile.saved&subject_id={}",
                investor.id
            ),
            Some(&operator.token),
        )
        .await;
    assert_eq!(
        audit.body["items"][0]["details"]["review"],
        "limits_to_review"
    );

    // Once an operator approves, the new figures are in force.
    let approved = app
        .post(
            &format!("/api/v1/operator/investors/{}/kyc", investor.id),
            Some(&operator.token),
            json!({"decision": "approved"}),
        )
        .await;
    assert_eq!(approved.status, 200, "{}", approved.body);
    assert_eq!(
        approved.body["limit"]["annual_limit"],
        serde_json::Value::Null
    );
    let more = app
        .subscribe(&investor, &offering, json!(200), "more")
        .await;
    assert_eq!(more.status, 201, "{}", more.body);

    // A change of identity leaves nothing in force until it is reviewed.
    let renamed = app
        .put(
            "/api/v1/me/investor-profile",
            Some(&investor.token),
            declare(true, "Someone Else"),
        )
        .await;
    assert_eq!(renamed.body["kyc_status"], "pending");
    assert_eq!(renamed.body["limit"]["basis"], "declared");
    app.subscribe(&investor, &offering, json!(1), "renamed")
        .await
        .assert_problem(403, "kyc_required");
    // Saving the same figures again changes nothing.
    let approved = app
        .post(
            &format!("/api/v1/operator/investors/{}/kyc", investor.id),
            Some(&operator.token),
            json!({"decision": "approved"}),
        )
        .await;
    assert_eq!(approved.status, 200);
    let same = app
        .put(
            "/api/v1/me/investor-profile",
            Some(&investor.token),
            declare(true, "Someone Else"),
        )
        .await;
    assert_eq!(same.body["kyc_status"], "approved");
    app.assert_books_balance(&operator).await;
}
