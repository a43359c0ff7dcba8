//! The EU crowdfunding rules (`RULE_PROFILE=eu_ecsp`) over HTTP: the
//! knowledge test and the loss simulation a non-sophisticated investor
//! takes before subscribing, the warning above 5% of their net worth, the
//! four-day reflection period (revocation, and the settlement that waits
//! for it, by a clock moved forward), the sophisticated investor to whom
//! none of it applies; and the same routes under other rules.

use std::collections::BTreeMap;

use chrono::{DateTime, TimeDelta, Utc};
use crowdfund::domain::rules::knowledge_test::QUESTIONS;
use crowdfund::i18n::{text, Args, Locale};
use serde_json::{json, Value};

use crate::clock::{server_ahead, token_for};
use crate::helpers::{read, spawn_app, spawn_app_with, unique_email, Reply, TestApp};
use crate::world::Person;

const PRICE: i64 = 1_000;
/// €100,000 in cents: a warning threshold of €5,000, a loss capacity of €10,000.
const NET_WORTH: i64 = 10_000_000;
const DAY: i64 = 86_400;

async fn ecsp_app() -> TestApp {
    spawn_app_with(&[("RULE_PROFILE", "eu_ecsp")]).await
}

/// A verified investor whose profile (net worth, sophisticated or not) KYC
/// approved, with `cash`.
async fn ecsp_investor(
    app: &TestApp,
    op: &Person,
    net_worth: i64,
    sophisticated: bool,
    cash: i64,
) -> Person {
    let declared = json!({"legal_name": "Erika Anleger", "country": "DE",
                          "annual_income": 6_000_000, "net_worth": net_worth,
                          "sophisticated": sophisticated});
    app.investor_declaring(op, declared, cash).await
}

/// An answer sheet with the first `wrong` questions answered wrongly.
fn answers(wrong: usize) -> BTreeMap<String, String> {
    QUESTIONS
        .iter()
        .enumerate()
        .map(|(i, q)| {
            let pick = if i < wrong {
                q.options.iter().find(|o| **o != q.correct).unwrap()
            } else {
                &q.correct
            };
            (q.id.to_string(), pick.to_string())
        })
        .collect()
}

async fn take_test(app: &TestApp, who: &Person, wrong: usize) -> Reply {
    app.post(
        "/api/v1/me/knowledge-test",
        Some(&who.token),
        json!({"answers": answers(wrong)}),
    )
    .await
}

/// The test passed and the simulation acknowledged.
async fn ready_to_invest(app: &TestApp, who: &Person) {
    let passed = take_test(app, who, 0).await;
    assert_eq!(passed.body["passed"], true, "{}", passed.body);
    let acknowledged = app
        .post(
            "/api/v1/me/loss-simulation",
            Some(&who.token),
            json!({"acknowledged": true}),
        )
        .await;
    assert_eq!(acknowledged.status, 200, "{}", acknowledged.body);
}

async fn subscribe(app: &TestApp, who: &Person, offering: &str, shares: i64, ack: bool) -> Reply {
    let mut body = json!({"shares": shares});
    if ack {
        body["acknowledge_risk"] = json!(true);
    }
    app.post_keyed(
        format!("/api/v1/offerings/{offering}/subscriptions"),
        Some(&who.token),
        &uuid::Uuid::new_v4().to_string(),
        body,
    )
    .await
}

async fn cancel(app: &TestApp, token: &str, subscription: &str) -> Reply {
    app.post(
        format!("/api/v1/subscriptions/{subscription}/cancel"),
        Some(token),
        json!({}),
    )
    .await
}

async fn get_in(app: &TestApp, path: &str, token: &str, language: &str) -> Reply {
    let resp = app
        .client
        .get(app.url(path))
        .bearer_auth(token)
        .header("Accept-Language", language)
        .send()
        .await
        .unwrap();
    read(resp).await
}

fn time(v: &Value) -> DateTime<Utc> {
    v.as_str()
        .unwrap_or_else(|| panic!("not a time: {v}"))
        .parse()
        .unwrap()
}

fn near_now(v: &Value) {
    let gap = (Utc::now() - time(v)).num_seconds().abs();
    assert!(gap < 120, "{v} is not now");
}

#[tokio::test]
async fn a_non_sophisticated_investor_passes_the_test_and_the_simulation_before_subscribing() {
    let app = ecsp_app().await;
    let op = app.operator().await;
    let sponsor = app.sponsor().await;
    let offering = app
        .open_offering(&sponsor, &op, json!({"price_per_share": PRICE}))
        .await;

    // Without a profile there is nothing to take the test on.
    let email = unique_email("bare");
    let (_, bare, _) = app.signed_up(&email, "investor").await;
    for path in ["/api/v1/me/knowledge-test", "/api/v1/me/loss-simulation"] {
        app.get(path, Some(&bare))
            .await
            .assert_problem(404, "not_found");
    }
    // Nor is it anyone's but investors'.
    app.get("/api/v1/me/knowledge-test", Some(&sponsor.token))
        .await
        .assert_problem(403, "forbidden");

    let investor = ecsp_investor(&app, &op, NET_WORTH, false, 100 * PRICE).await;
    let test = app
        .get("/api/v1/me/knowledge-test", Some(&investor.token))
        .await;
    assert_eq!(test.status, 200, "{}", test.body);
    assert_eq!(test.body["pass_mark"], 5);
    assert_eq!(test.body["question_count"], 6);
    assert_eq!(test.body["title"], "Investor knowledge test");
    assert!(test.body["passed_at"].is_null());
    assert!(test.body["valid_until"].is_null());
    assert!(test.body["last_score"].is_null());
    let questions = test.body["questions"].as_array().unwrap();
    assert_eq!(questions.len(), 6);
    for (shown, q) in questions.iter().zip(QUESTIONS) {
        assert_eq!(shown["id"], q.id);
        // Only what a question says: no answer among its fields.
        let mut fields: Vec<_> = shown.as_object().unwrap().keys().collect();
        fields.sort();
        assert_eq!(fields, ["id", "options", "text"]);
        let options = shown["options"].as_array().unwrap();
        assert_eq!(options.len(), q.options.len());
        for (o, id) in options.iter().zip(q.options) {
            assert_eq!(o["id"], *id);
            assert_eq!(o.as_object().unwrap().len(), 2, "{o}");
            assert!(!o["text"].as_str().unwrap().is_empty());
        }
    }

    // In Chinese when the request asks for it, and still no answers.
    let zh = get_in(
        &app,
        "/api/v1/me/knowledge-test",
        &investor.token,
        "zh-CN,zh;q=0.9,en;q=0.5",
    )
    .await;
    assert_eq!(zh.status, 200, "{}", zh.body);
    assert_eq!(zh.body["title"], "投资者知识测试");
    let first = text(Locale::ZhCn, "knowledge-test-total_loss", &Args::new()).unwrap();
    assert_eq!(zh.body["questions"][0]["text"], first.as_str());
    assert_eq!(
        zh.body["questions"][0]["options"][1]["text"],
        text(Locale::ZhCn, "knowledge-test-total_loss-b", &Args::new())
            .unwrap()
            .as_str()
    );
    assert!(!zh.body.to_string().contains("correct"), "{}", zh.body);
    assert!(
        zh.headers.get_all("vary").iter().any(|v| v
            .to_str()
            .unwrap()
            .to_ascii_lowercase()
            .contains("accept-language")),
        "{:?}",
        zh.headers
    );

    // First the test.
    let refused = subscribe(&app, &investor, &offering, 10, false).await;
    refused.assert_problem(403, "knowledge_test_required");

    // Answer sheets that cannot be scored record nothing.
    let mut unknown_option = answers(0);
    unknown_option.insert("dilution".into(), "d".into());
    let bad = app
        .post(
            "/api/v1/me/knowledge-test",
            Some(&investor.token),
            json!({"answers": unknown_option}),
        )
        .await;
    bad.assert_problem(422, "invalid_field");
    assert_eq!(bad.body["field"], "answers");
    assert_eq!(bad.body["question"], "dilution");
    assert_eq!(bad.body["option"], "d");
    let mut unanswered = answers(0);
    unanswered.remove("liquidity");
    let bad = app
        .post(
            "/api/v1/me/knowledge-test",
            Some(&investor.token),
            json!({"answers": unanswered}),
        )
        .await;
    bad.assert_problem(422, "invalid_field");
    assert_eq!(bad.body["question"], "liquidity");
    let mut extra = answers(0);
    extra.insert("leverage".into(), "a".into());
    let bad = app
        .post(
            "/api/v1/me/knowledge-test",
            Some(&investor.token),
            json!({"answers": extra}),
        )
        .await;
    bad.assert_problem(422, "invalid_field");
    assert_eq!(bad.body["question"], "leverage");
    for body in [
        json!([answers(0)]),
        json!({"answers": answers(0), "score": 6}),
        json!({}),
    ] {
        app.post("/api/v1/me/knowledge-test", Some(&investor.token), body)
            .await
            .assert_problem(422, "invalid_body");
    }
    assert_eq!(
        app.count("audit_log WHERE action = 'investor.knowledge_test'"),
        0
    );

    // Four right of six fails, and the subscription is still refused.
    let failed = take_test(&app, &investor, 2).await;
    assert_eq!(failed.status, 200, "{}", failed.body);
    assert_eq!(failed.body["passed"], false);
    assert_eq!(failed.body["score"], 4);
    assert_eq!(failed.body["pass_mark"], 5);
    assert!(failed.body["passed_at"].is_null());
    subscribe(&app, &investor, &offering, 10, false)
        .await
        .assert_problem(403, "knowledge_test_required");

    // Five right passes.
    let passed = take_test(&app, &investor, 1).await;
    assert_eq!(passed.status, 200, "{}", passed.body);
    assert_eq!(passed.body["passed"], true);
    assert_eq!(passed.body["score"], 5);
    near_now(&passed.body["passed_at"]);
    let passed_at = time(&passed.body["passed_at"]);
    assert_eq!(
        time(&passed.body["valid_until"]),
        passed_at + TimeDelta::days(730)
    );
    let test = app
        .get("/api/v1/me/knowledge-test", Some(&investor.token))
        .await;
    assert_eq!(time(&test.body["passed_at"]), passed_at);
    assert_eq!(test.body["last_score"], 5);

    // Then the simulation: 10% of the approved net worth.
    subscribe(&app, &investor, &offering, 10, false)
        .await
        .assert_problem(403, "loss_simulation_required");
    let simulation = app
        .get("/api/v1/me/loss-simulation", Some(&investor.token))
        .await;
    assert_eq!(simulation.status, 200, "{}", simulation.body);
    assert_eq!(simulation.body["net_worth"], NET_WORTH);
    assert_eq!(simulation.body["loss_capacity"], NET_WORTH / 10);
    assert_eq!(simulation.body["currency"], "EUR");
    assert_eq!(simulation.body["basis"], "approved");
    assert!(simulation.body["acknowledged_at"].is_null());
    assert!(simulation.body["acknowledged_loss_capacity"].is_null());
    for body in [
        json!({"acknowledged": false}),
        json!({}),
        json!({"acknowledged": null}),
    ] {
        let bad = app
            .post("/api/v1/me/loss-simulation", Some(&investor.token), body)
            .await;
        bad.assert_problem(422, "invalid_field");
        assert_eq!(bad.body["field"], "acknowledged");
    }
    app.post(
        "/api/v1/me/loss-simulation",
        Some(&investor.token),
        json!([true]),
    )
    .await
    .assert_problem(422, "invalid_body");
    let acknowledged = app
        .post(
            "/api/v1/me/loss-simulation",
            Some(&investor.token),
            json!({"acknowledged": true}),
        )
        .await;
    assert_eq!(acknowledged.status, 200, "{}", acknowledged.body);
    assert_eq!(acknowledged.body["loss_capacity"], NET_WORTH / 10);
    assert_eq!(
        acknowledged.body["acknowledged_loss_capacity"],
        NET_WORTH / 10
    );
    near_now(&acknowledged.body["acknowledged_at"]);
    let simulation = app
        .get("/api/v1/me/loss-simulation", Some(&investor.token))
        .await;
    assert_eq!(simulation.body, acknowledged.body);

    // Now they invest, revocably.
    let profile = app
        .get("/api/v1/me/investor-profile", Some(&investor.token))
        .await;
    assert!(
        profile.body["ecsp"]["next_step"].is_null(),
        "{}",
        profile.body
    );
    let done = subscribe(&app, &investor, &offering, 10, false).await;
    assert_eq!(done.status, 201, "{}", done.body);
    let id = done.body["id"].as_str().unwrap();
    assert_eq!(
        app.count(&format!(
            "subscriptions WHERE id = '{id}' AND revocable_until IS NOT NULL"
        )),
        1
    );

    // A failed attempt later leaves the pass in force.
    let failed = take_test(&app, &investor, 3).await;
    assert_eq!(failed.body["passed"], false);
    assert_eq!(failed.body["score"], 3);
    assert_eq!(time(&failed.body["passed_at"]), passed_at);
    let test = app
        .get("/api/v1/me/knowledge-test", Some(&investor.token))
        .await;
    assert_eq!(test.body["last_score"], 3);
    assert_eq!(time(&test.body["passed_at"]), passed_at);
    assert_eq!(
        subscribe(&app, &investor, &offering, 1, false).await.status,
        201
    );

    // Each attempt and the acknowledgement are in the audit log.
    let investor_id = &investor.id;
    assert_eq!(
        app.count(&format!(
            "audit_log WHERE action = 'investor.knowledge_test' AND subject_id = '{investor_id}' \
             AND actor_id = '{investor_id}'"
        )),
        3
    );
    assert_eq!(
        app.count("audit_log WHERE action = 'investor.loss_simulation'"),
        1
    );
    app.assert_books_balance(&op).await;
}

#[tokio::test]
async fn an_investment_above_five_percent_of_net_worth_needs_the_warning_acknowledged() {
    let app = ecsp_app().await;
    let op = app.operator().await;
    let sponsor = app.sponsor().await;
    let offering = app
        .open_offering(&sponsor, &op, json!({"price_per_share": PRICE}))
        .await;
    let investor = ecsp_investor(&app, &op, NET_WORTH, false, 1_000 * PRICE).await;
    ready_to_invest(&app, &investor).await;
    let profile = app
        .get("/api/v1/me/investor-profile", Some(&investor.token))
        .await;
    assert_eq!(profile.body["ecsp"]["warning_threshold"], 500_000);

    // €3,000, then up to €5,000 in all: no warning.
    let first = subscribe(&app, &investor, &offering, 300, false).await;
    assert_eq!(first.status, 201, "{}", first.body);
    let second = subscribe(&app, &investor, &offering, 200, false).await;
    assert_eq!(second.status, 201, "{}", second.body);
    // €10 more takes the total above €5,000.
    let warned = subscribe(&app, &investor, &offering, 1, false).await;
    warned.assert_problem(409, "risk_warning_required");
    assert_eq!(warned.body["warning_threshold"], 500_000);
    assert_eq!(warned.body["in_round"], 501_000);
    let acknowledged = subscribe(&app, &investor, &offering, 1, true).await;
    assert_eq!(acknowledged.status, 201, "{}", acknowledged.body);
    let id = acknowledged.body["id"].as_str().unwrap();
    assert_eq!(
        app.count(&format!(
            "subscriptions WHERE id = '{id}' AND risk_acknowledged = TRUE"
        )),
        1
    );
    assert_eq!(
        app.count(&format!(
            "subscriptions WHERE investor_id = '{}' AND risk_acknowledged = FALSE",
            investor.id
        )),
        2
    );
    assert_eq!(app.available(&investor).await, 499 * PRICE);
    app.assert_books_balance(&op).await;
}

#[tokio::test]
async fn three_scored_attempts_a_day_and_no_more() {
    // Each attempt's score is shown: unlimited attempts would find the
    // answers by trial.
    let app = ecsp_app().await;
    let op = app.operator().await;
    let investor = ecsp_investor(&app, &op, 10_000_000, false, 0).await;
    for wrong in [3, 2, 2] {
        let attempt = take_test(&app, &investor, wrong).await;
        assert_eq!(attempt.status, 200, "{}", attempt.body);
        assert_eq!(attempt.body["passed"], false);
    }
    // A sheet that cannot be scored is refused for what it is, uncounted.
    let mut unanswered = answers(0);
    unanswered.remove("dilution");
    app.post(
        "/api/v1/me/knowledge-test",
        Some(&investor.token),
        json!({"answers": unanswered}),
    )
    .await
    .assert_problem(422, "invalid_field");
    let fourth = take_test(&app, &investor, 0).await;
    fourth.assert_problem(429, "rate_limited");
    assert!(fourth.body["retry_after"].as_i64().unwrap() > 0);
    let shown = app
        .get("/api/v1/me/knowledge-test", Some(&investor.token))
        .await;
    assert!(shown.body["passed_at"].is_null(), "{}", shown.body);
    assert_eq!(shown.body["last_score"], 4);
}

#[tokio::test]
async fn a_sophisticated_investor_takes_no_test_no_simulation_no_warning_and_no_reflection() {
    let app = ecsp_app().await;
    let op = app.operator().await;
    let sponsor = app.sponsor().await;
    let offering = app
        .open_offering(&sponsor, &op, json!({"price_per_share": PRICE}))
        .await;
    // €10,000 of net worth, €6,000 invested: far above 5%.
    let investor = ecsp_investor(&app, &op, 1_000_000, true, 600 * PRICE).await;
    let profile = app
        .get("/api/v1/me/investor-profile", Some(&investor.token))
        .await;
    assert_eq!(
        profile.body["ecsp"]["sophisticated"], true,
        "{}",
        profile.body
    );
    assert!(profile.body["ecsp"]["next_step"].is_null());
    let done = subscribe(&app, &investor, &offering, 600, false).await;
    assert_eq!(done.status, 201, "{}", done.body);
    let id = done.body["id"].as_str().unwrap();
    assert_eq!(
        app.count(&format!(
            "subscriptions WHERE id = '{id}' AND revocable_until IS NULL \
             AND risk_acknowledged = FALSE"
        )),
        1
    );
    // No reflection period, so nothing to revoke.
    cancel(&app, &investor.token, id)
        .await
        .assert_problem(409, "cancellation_not_offered");
    assert_eq!(app.available(&investor).await, 0);
    app.assert_books_balance(&op).await;
}

#[tokio::test]
async fn a_revocation_within_four_days_is_refunded_at_once_and_refused_after() {
    let app = ecsp_app().await;
    let op = app.operator().await;
    let sponsor = app.sponsor().await;
    let offering = app
        .open_offering(&sponsor, &op, json!({"price_per_share": PRICE}))
        .await;
    let investor = ecsp_investor(&app, &op, NET_WORTH, false, 100 * PRICE).await;
    ready_to_invest(&app, &investor).await;
    let early = subscribe(&app, &investor, &offering, 20, false).await;
    assert_eq!(early.status, 201, "{}", early.body);
    let late = subscribe(&app, &investor, &offering, 30, false).await;
    assert_eq!(late.status, 201, "{}", late.body);
    let (early, late) = (
        early.body["id"].as_str().unwrap(),
        late.body["id"].as_str().unwrap(),
    );
    assert_eq!(app.available(&investor).await, 50 * PRICE);
    let token = token_for(&investor.id, "investor");
    let dir = tempfile::tempdir().unwrap();

    // Day 3: revoked and refunded at once.
    let Some((mut server, day3)) = server_ahead(&app, dir.path(), 3 * DAY).await else {
        return;
    };
    let revoked = cancel(&day3, &token, early).await;
    assert_eq!(revoked.status, 200, "{}", revoked.body);
    assert_eq!(revoked.body["status"], "cancelled");
    assert_eq!(
        app.count(&format!(
            "subscriptions WHERE id = '{early}' AND status = 'cancelled'"
        )),
        1
    );
    let me = Person {
        id: investor.id.clone(),
        email: investor.email.clone(),
        token: token.clone(),
    };
    assert_eq!(day3.available(&me).await, 70 * PRICE);
    assert_eq!(
        day3.offering(&offering).await["progress"]["raised"],
        30 * PRICE
    );
    server.kill();

    // Day 5: the four days are over.
    let Some((mut server, day5)) = server_ahead(&app, dir.path(), 5 * DAY).await else {
        return;
    };
    cancel(&day5, &token, late)
        .await
        .assert_problem(409, "reflection_period_over");
    assert_eq!(
        app.count(&format!(
            "subscriptions WHERE id = '{late}' AND status = 'active'"
        )),
        1
    );
    assert_eq!(day5.available(&me).await, 70 * PRICE);
    server.kill();

    app.assert_books_balance(&op).await;
    let (clean, report) = app.verify_ledger();
    assert!(clean, "{report}");
}

#[tokio::test]
async fn a_funded_round_settles_only_after_the_last_reflection_period() {
    let app = ecsp_app().await;
    let op = app.operator().await;
    let sponsor = app.sponsor().await;
    let offering = app
        .open_offering(
            &sponsor,
            &op,
            json!({"price_per_share": PRICE, "target_amount": 100 * PRICE}),
        )
        .await;
    let investor = ecsp_investor(&app, &op, NET_WORTH, false, 100 * PRICE).await;
    ready_to_invest(&app, &investor).await;
    let funded = subscribe(&app, &investor, &offering, 100, false).await;
    assert_eq!(funded.status, 201, "{}", funded.body);
    assert_eq!(funded.body["offering_status"], "funded");

    let early = app.settle(&op, &offering, "too-early").await;
    early.assert_problem(409, "reflection_period_running");
    let from = time(&early.body["settles_from"]);
    let until = time(&funded.body["created_at"]) + TimeDelta::days(4);
    assert!(
        (from - until).num_seconds().abs() <= 1,
        "settles from {from}, the reflection period ends {until}"
    );
    assert_eq!(app.offering(&offering).await["status"], "funded");

    // Four days and an hour later.
    let dir = tempfile::tempdir().unwrap();
    let Some((mut server, later)) = server_ahead(&app, dir.path(), 4 * DAY + 3_600).await else {
        return;
    };
    let operator = Person {
        id: op.id.clone(),
        email: op.email.clone(),
        token: token_for(&op.id, "operator"),
    };
    let settled = later.settle(&operator, &offering, "in-time").await;
    assert_eq!(settled.status, 200, "{}", settled.body);
    assert_eq!(later.offering(&offering).await["status"], "settled");
    server.kill();
    app.assert_books_balance(&op).await;
    let (clean, report) = app.verify_ledger();
    assert!(clean, "{report}");
}

#[tokio::test]
async fn other_rules_have_no_knowledge_test_and_no_loss_simulation() {
    let app = spawn_app().await;
    let op = app.operator().await;
    let investor = app.investor(&op, 0).await;
    for path in ["/api/v1/me/knowledge-test", "/api/v1/me/loss-simulation"] {
        let got = app.get(path, Some(&investor.token)).await;
        got.assert_problem(409, "not_under_rule_profile");
        assert_eq!(got.body["rule_profile"], "reg_cf");
    }
    let posted = take_test(&app, &investor, 0).await;
    posted.assert_problem(409, "not_under_rule_profile");
    for acknowledged in [true, false] {
        let posted = app
            .post(
                "/api/v1/me/loss-simulation",
                Some(&investor.token),
                json!({"acknowledged": acknowledged}),
            )
            .await;
        posted.assert_problem(409, "not_under_rule_profile");
        assert_eq!(posted.body["rule_profile"], "reg_cf");
    }
    // Said in the reader's language.
    let zh = get_in(&app, "/api/v1/me/knowledge-test", &investor.token, "zh-CN").await;
    zh.assert_problem(409, "not_under_rule_profile");
    assert!(zh.body["detail"].as_str().unwrap().contains("reg_cf"));
    assert_ne!(
        zh.body["detail"], posted.body["detail"],
        "the same words in both languages"
    );
    assert_eq!(app.count("audit_log WHERE action LIKE 'investor.%'"), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_revocations_refund_each_subscription_once() {
    let app = ecsp_app().await;
    let op = app.operator().await;
    let sponsor = app.sponsor().await;
    let offering = app
        .open_offering(&sponsor, &op, json!({"price_per_share": PRICE}))
        .await;
    let keeper = ecsp_investor(&app, &op, NET_WORTH, false, 30 * PRICE).await;
    let leaver = ecsp_investor(&app, &op, NET_WORTH, false, 5 * PRICE).await;
    ready_to_invest(&app, &keeper).await;
    ready_to_invest(&app, &leaver).await;
    let mut ids = Vec::new();
    for (who, n) in [(&keeper, 10), (&leaver, 5)] {
        for _ in 0..n {
            let made = subscribe(&app, who, &offering, 1, false).await;
            assert_eq!(made.status, 201, "{}", made.body);
            ids.push((who, made.body["id"].as_str().unwrap().to_string()));
        }
    }
    assert_eq!(
        app.offering(&offering).await["progress"]["investor_count"],
        2
    );

    // Every subscription revoked twice at once, while the keeper subscribes
    // ten more shares.
    let revocations = futures_util::future::join_all(
        ids.iter()
            .flat_map(|(who, id)| [cancel(&app, &who.token, id), cancel(&app, &who.token, id)]),
    );
    let more = futures_util::future::join_all(
        (0..10).map(|_| subscribe(&app, &keeper, &offering, 1, false)),
    );
    let (revoked, more) = tokio::join!(revocations, more);
    for pair in revoked.chunks(2) {
        let mut statuses: Vec<u16> = pair.iter().map(|r| r.status.as_u16()).collect();
        statuses.sort_unstable();
        assert_eq!(
            statuses,
            [200, 409],
            "{:?}",
            pair.iter().map(|r| &r.body).collect::<Vec<_>>()
        );
    }
    assert!(more.iter().all(|r| r.status == 201));

    // Each revoked once: the keeper holds the ten new shares, the leaver
    // nothing, and counts out of the round.
    assert_eq!(app.available(&keeper).await, 20 * PRICE);
    assert_eq!(app.available(&leaver).await, 5 * PRICE);
    let shown = app.offering(&offering).await;
    assert_eq!(shown["progress"]["raised"], 10 * PRICE);
    assert_eq!(shown["progress"]["investor_count"], 1);
    assert_eq!(
        app.count(&format!(
            "journal_entries WHERE kind = 'cancellation' AND reference_id IN \
             (SELECT id FROM subscriptions WHERE offering_id = '{offering}')"
        )),
        15
    );
    app.assert_books_balance(&op).await;
}
