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

    let seen = &profile.body["updated_at"];
    app.post(
        &format!("/api/v1/operator/investors/{id}/kyc"),
        Some(&operator.token),
        json!({"decision": "rejected", "submitted_at": seen}),
    )
    .await
    .assert_problem(422, "invalid_field");
    // The version reviewed is required.
    let unnamed = app
        .post(
            &format!("/api/v1/operator/investors/{id}/kyc"),
            Some(&operator.token),
            json!({"decision": "rejected", "reason": "document unreadable"}),
        )
        .await;
    unnamed.assert_problem(422, "invalid_field");
    assert_eq!(unnamed.body["field"], "submitted_at");
    let rejected = app
        .post(
            &format!("/api/v1/operator/investors/{id}/kyc"),
            Some(&operator.token),
            json!({"decision": "rejected", "reason": "document unreadable", "submitted_at": seen}),
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
    let approved = app
        .post(
            &format!("/api/v1/operator/investors/{id}/kyc"),
            Some(&operator.token),
            json!({"decision": "approved", "submitted_at": resubmitted.body["updated_at"]}),
        )
        .await;
    assert_eq!(approved.status, 200, "{}", approved.body);
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
            json!({"decision": "approved", "submitted_at": "2026-01-01T00:00:00Z"}),
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
        json!({"decision": "approved", "submitted_at": "2026-01-01T00:00:00Z"}),
    )
    .await
    .assert_problem(404, "not_found");
    // A sponsor's id is not an investor profile.
    app.post(
        &format!("/api/v1/operator/investors/{}/kyc", sponsor.id),
        Some(&operator.token),
        json!({"decision": "approved", "submitted_at": "2026-01-01T00:00:00Z"}),
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
            json!({"decision": "approved", "submitted_at": changed.body["updated_at"]}),
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
            json!({"decision": "approved", "submitted_at": renamed.body["updated_at"]}),
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

/// The operator's view of one investor in the KYC queue.
async fn queued(
    app: &crate::helpers::TestApp,
    operator: &crate::world::Person,
    investor_id: &str,
) -> serde_json::Value {
    let queue = app
        .get("/api/v1/operator/kyc?status=pending", Some(&operator.token))
        .await;
    assert_eq!(queue.status, 200, "{}", queue.body);
    queue.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["investor_id"] == investor_id)
        .cloned()
        .unwrap_or_else(|| panic!("{investor_id} is not in the queue: {}", queue.body))
}

/// The figures an approval put in force, as the database holds them.
fn approved_income(app: &crate::helpers::TestApp, investor_id: &str) -> Option<i64> {
    use diesel::prelude::*;
    use diesel::sql_types::{BigInt, Nullable, Text};
    #[derive(QueryableByName)]
    struct Approved {
        #[diesel(sql_type = Nullable<BigInt>)]
        approved_annual_income: Option<i64>,
    }
    let mut conn = app.conn();
    let conn: &mut crowdfund::db::AnyConnection = &mut conn;
    diesel::sql_query("SELECT approved_annual_income FROM investor_profiles WHERE user_id = $1")
        .bind::<Text, _>(investor_id)
        .get_result::<Approved>(conn)
        .expect("profile row")
        .approved_annual_income
}

#[tokio::test]
async fn a_kyc_decision_applies_only_the_version_the_operator_read() {
    let app = spawn_app().await;
    let operator = app.operator().await;
    let (id, token, _) = app.signed_up(&unique_email("p"), "investor").await;
    let declare = |income: i64| {
        json!({"legal_name": "Ada Lovelace", "country": "GB", "annual_income": income,
               "net_worth": 1_000_000, "accredited": false})
    };
    let first = app
        .put(
            "/api/v1/me/investor-profile",
            Some(&token),
            declare(5_000_000),
        )
        .await;
    assert_eq!(first.status, 200, "{}", first.body);

    // The operator reads the queue: the figures and their version.
    let read = queued(&app, &operator, &id).await;
    assert_eq!(read["annual_income"], 5_000_000);
    assert_eq!(read["net_worth"], 1_000_000);
    assert_eq!(read["external_investments_12m"], 0);
    // The investor changes the figures before the operator decides.
    let changed = app
        .put(
            "/api/v1/me/investor-profile",
            Some(&token),
            declare(900_000_000),
        )
        .await;
    assert_eq!(changed.status, 200, "{}", changed.body);

    let stale = app
        .post(
            &format!("/api/v1/operator/investors/{id}/kyc"),
            Some(&operator.token),
            json!({"decision": "approved", "submitted_at": read["submitted_at"]}),
        )
        .await;
    stale.assert_problem(409, "kyc_profile_changed");
    assert_eq!(stale.body["kyc_status"], "pending");
    assert_eq!(approved_income(&app, &id), None, "nothing was approved");
    let profile = app.get("/api/v1/me/investor-profile", Some(&token)).await;
    assert_eq!(profile.body["kyc_status"], "pending");
    assert_eq!(profile.body["limit"]["basis"], "declared");

    // Read again, decided on what was read.
    let reread = queued(&app, &operator, &id).await;
    assert_eq!(reread["annual_income"], 900_000_000);
    assert_eq!(reread["submitted_at"], stale.body["submitted_at"]);
    let approved = app
        .post(
            &format!("/api/v1/operator/investors/{id}/kyc"),
            Some(&operator.token),
            json!({"decision": "approved", "submitted_at": reread["submitted_at"]}),
        )
        .await;
    assert_eq!(approved.status, 200, "{}", approved.body);
    assert_eq!(approved.body["kyc_status"], "approved");
    assert_eq!(approved.body["limit"]["basis"], "approved");
    assert_eq!(approved_income(&app, &id), reread["annual_income"].as_i64());
    // Deciding that version again is refused: it is no longer pending.
    app.post(
        &format!("/api/v1/operator/investors/{id}/kyc"),
        Some(&operator.token),
        json!({"decision": "rejected", "reason": "second thoughts",
               "submitted_at": reread["submitted_at"]}),
    )
    .await
    .assert_problem(409, "kyc_not_pending");
}

/// PostgreSQL: the investor's change commits while the approval waits for
/// the profile's row. The approval must re-check the version on the row as
/// committed, not copy the new figures under the old version's name.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_investor_change_committed_while_the_operator_decides_is_not_approved() {
    use diesel::connection::SimpleConnection;
    use diesel::Connection;
    if !crate::helpers::backend_is_postgres() {
        eprintln!("skipped: SQLite takes its write lock before the decision reads anything");
        return;
    }
    let app = spawn_app().await;
    let operator = app.operator().await;
    let (id, token, _) = app.signed_up(&unique_email("p"), "investor").await;
    let saved = app
        .put(
            "/api/v1/me/investor-profile",
            Some(&token),
            json!({"legal_name": "Ada Lovelace", "country": "GB", "annual_income": 5_000_000,
                   "net_worth": 1_000_000, "accredited": false}),
        )
        .await;
    assert_eq!(saved.status, 200, "{}", saved.body);
    let read = queued(&app, &operator, &id).await;
    assert_eq!(read["annual_income"], 5_000_000);

    // The investor's change, written and not yet committed.
    let url = app.database_url_string();
    let mut investor_tx = diesel::PgConnection::establish(&url).expect("test connection");
    investor_tx
        .batch_execute(&format!(
            "BEGIN; UPDATE investor_profiles SET annual_income = 900000000, \
             updated_at = updated_at + INTERVAL '1 second' WHERE user_id = '{id}'"
        ))
        .expect("the investor's change");
    let decision = {
        let (client, url, token) = (
            app.client.clone(),
            app.url(&format!("/api/v1/operator/investors/{id}/kyc")),
            operator.token.clone(),
        );
        let body = json!({"decision": "approved", "submitted_at": read["submitted_at"]});
        tokio::spawn(async move {
            let resp = client
                .post(url)
                .bearer_auth(token)
                .json(&body)
                .send()
                .await
                .expect("request sent");
            crate::helpers::read(resp).await
        })
    };
    // The approval waits for the row the investor's change holds.
    let database = url
        .rsplit('/')
        .next()
        .and_then(|s| s.split('?').next())
        .unwrap()
        .to_string();
    let waiting = crate::helpers::eventually(std::time::Duration::from_secs(20), || {
        app.count(&format!(
            "pg_stat_activity WHERE datname = '{database}' AND wait_event_type = 'Lock' \
             AND query LIKE 'UPDATE%investor_profiles%'"
        )) == 1
    })
    .await;
    assert!(waiting, "the approval never waited for the investor's row");
    investor_tx.batch_execute("COMMIT").expect("commit");

    let decided = decision.await.expect("the decision answered");
    decided.assert_problem(409, "kyc_profile_changed");
    assert_eq!(approved_income(&app, &id), None, "nothing was approved");
    let reread = queued(&app, &operator, &id).await;
    assert_eq!(reread["annual_income"], 900_000_000);
}
