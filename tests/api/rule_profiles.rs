//! What every rule profile shares: the deployment says which one it runs
//! (`GET /api/v1/rules`), and reg_cf's early close waits for the minimum
//! offering period (with a clock moved forward, not a sleep).

use serde_json::json;

use crate::clock::{server_ahead, token_for};
use crate::helpers::spawn_app_with;
use crate::world::Person;

const DAY: i64 = 86_400;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn each_profile_describes_its_rules() {
    let app = spawn_app_with(&[]).await;
    let rules = app.get("/api/v1/rules", None).await;
    assert_eq!(rules.status, 200, "{}", rules.body);
    assert_eq!(rules.body["profile"], "reg_cf");
    assert_eq!(rules.body["currency"], "USD");
    assert_eq!(rules.body["investment_limit"]["cap"], 12_400_000);
    assert_eq!(rules.body["withdrawal"]["kind"], "cancellation");
    assert_eq!(rules.body["withdrawal"]["cutoff_hours"], 48);
    assert_eq!(rules.body["max_investors_per_round"], json!(null));

    let app = spawn_app_with(&[("RULE_PROFILE", "eu_ecsp")]).await;
    let rules = app.get("/api/v1/rules", None).await;
    assert_eq!(rules.body["profile"], "eu_ecsp");
    assert_eq!(rules.body["currency"], "EUR");
    assert_eq!(
        rules.body["withdrawal"],
        json!({"kind": "reflection", "days": 4})
    );
    assert_eq!(rules.body["early_settlement"]["kind"], "after_reflection");
    assert_eq!(rules.body["non_sophisticated"]["warning_floor"], 100_000);
    assert_eq!(rules.body["investment_limit"], json!(null));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_reg_cf_round_funded_early_settles_once_open_the_minimum_period() {
    let app = spawn_app_with(&[("REG_CF_MIN_OPEN_SECS", &(2 * DAY).to_string())]).await;
    let op = app.operator().await;
    let sponsor = app.sponsor().await;
    let offering = app
        .open_offering(
            &sponsor,
            &op,
            json!({"price_per_share": 1_000, "target_amount": 10_000}),
        )
        .await;
    let investor = app.investor(&op, 10_000).await;
    let funded = app.subscribe(&investor, &offering, json!(10), "all").await;
    assert_eq!(funded.status, 201, "{}", funded.body);
    assert_eq!(funded.body["offering_status"], "funded");

    let early = app.settle(&op, &offering, "settle-early").await;
    assert_eq!(early.status, 409, "{}", early.body);
    assert_eq!(early.body["code"], "offering_period_running");
    let from: chrono::DateTime<chrono::Utc> = early.body["settles_from"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    // Two days after it opened (on approval, moments ago).
    let ahead = from - chrono::Utc::now();
    assert!(
        ahead <= chrono::TimeDelta::days(2)
            && ahead > chrono::TimeDelta::days(2) - chrono::TimeDelta::minutes(1),
        "{from}"
    );

    // Three days on, the same round settles.
    let dir = tempfile::tempdir().unwrap();
    let Some((mut server, later)) = server_ahead(&app, dir.path(), 3 * DAY).await else {
        return;
    };
    let operator = Person {
        id: op.id.clone(),
        email: op.email.clone(),
        token: token_for(&op.id, "operator"),
    };
    let settled = later.settle(&operator, &offering, "settle-later").await;
    assert_eq!(settled.status, 200, "{}", settled.body);
    server.kill();
    app.assert_books_balance(&op).await;
}
