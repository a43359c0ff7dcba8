//! Material changes over HTTP: a material amendment of a round with 1,000
//! subscribers, those who reconfirm stay, those who cancel and those who
//! stay silent get their money back (the silent at the deadline, by the
//! database's clock moved forward, once, on two servers), one email each
//! per notice, the books clean; and the refusals around it.

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use futures_util::{stream, StreamExt};
use serde_json::{json, Value};

use crate::clock::{servers_ahead, token_for};
use crate::documents::pdf;
use crate::helpers::{spawn_app_with, Reply, TestApp};
use crate::seed::{funded_round, SEED_PRICE};
use crate::world::Person;

async fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(90);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn time(v: &Value) -> DateTime<Utc> {
    v.as_str().unwrap().parse().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_material_amendment_keeps_who_reconfirms_and_refunds_the_rest_once() {
    // Tomorrow and the day after are holidays: the deadline moves past them.
    let today = Utc::now().date_naive();
    let holidays = format!(
        "{},{}",
        today.succ_opt().unwrap(),
        today.succ_opt().unwrap().succ_opt().unwrap()
    );
    let app = spawn_app_with(&[("BUSINESS_HOLIDAYS", &holidays)]).await;
    let op = app.operator().await;
    let (offering, sponsor_id) = funded_round(&app, 1_000, 1_000);
    let sponsor = Person {
        token: token_for(&sponsor_id, "sponsor"),
        id: sponsor_id,
        email: String::new(),
    };

    // The round is funded: a new version of its memorandum is an amendment.
    let amended = app
        .upload(
            &format!(
                "/api/v1/offerings/{offering}/documents?kind=offering_memorandum&name=Memo.pdf"
            ),
            Some(&sponsor.token),
            pdf("the fee doubles"),
        )
        .await;
    assert_eq!(amended.status, 201, "{}", amended.body);
    assert_eq!(amended.body["current"]["amendment"], true);
    let document = amended.body["id"].as_str().unwrap().to_string();
    let material = format!("/api/v1/offerings/{offering}/documents/{document}/versions/1/material");

    // Investors and other sponsors cannot declare it; a reason is required.
    let investors: Vec<(String, String)> = {
        use crowdfund::db::schema::subscriptions::dsl as s;
        use diesel::prelude::*;
        let mut conn = app.conn();
        let conn: &mut crowdfund::db::AnyConnection = &mut conn;
        s::subscriptions
            .filter(s::offering_id.eq(&offering))
            .select((s::id, s::investor_id))
            .order(s::id)
            .load(conn)
            .unwrap()
    };
    assert_eq!(investors.len(), 1_000);
    let investor_token = |i: usize| token_for(&investors[i].1, "investor");
    app.post(&material, Some(&investor_token(0)), json!({"reason": "x"}))
        .await
        .assert_problem(403, "forbidden");
    let stranger = app.sponsor().await;
    app.post(&material, Some(&stranger.token), json!({"reason": "x"}))
        .await
        .assert_problem(404, "not_found");
    app.post(&material, Some(&sponsor.token), json!({"reason": " "}))
        .await
        .assert_problem(422, "invalid_field");

    let declared = app
        .post(
            &material,
            Some(&sponsor.token),
            json!({"reason": "The platform fee doubles."}),
        )
        .await;
    assert_eq!(declared.status, 201, "{}", declared.body);
    let change = declared.body["id"].as_str().unwrap().to_string();
    assert_eq!(declared.body["awaiting"], 1_000);
    let declared_at = time(&declared.body["declared_at"]);
    let deadline = time(&declared.body["deadline"]);
    let calendar = crowdfund::domain::calendar::Calendar::parse(&holidays).unwrap();
    assert_eq!(
        deadline.naive_utc(),
        calendar.add_business_days(declared_at.naive_utc(), 5),
        "five business days, the holidays skipped"
    );
    assert!(deadline - declared_at >= chrono::Duration::days(7));
    app.post(&material, Some(&op.token), json!({"reason": "again"}))
        .await
        .assert_problem(409, "already_declared");
    // Each investor is told at once, one message each.
    assert_eq!(
        app.count(&format!("outbox WHERE id LIKE 'material:{change}:%'")),
        1_000
    );
    let first = app
        .get("/api/v1/me/subscriptions", Some(&investor_token(0)))
        .await;
    assert_eq!(
        first.body["items"][0]["reconfirmation"], "awaiting",
        "{}",
        first.body
    );
    assert_eq!(time(&first.body["items"][0]["reconfirm_by"]), deadline);

    // The round cannot settle while any subscription awaits.
    app.settle(&op, &offering, "settle-early")
        .await
        .assert_problem(409, "reconfirmations_pending");

    // 600 reconfirm and 50 cancel, concurrently; 350 say nothing.
    let answers: Vec<(usize, Reply)> = stream::iter(0..650usize)
        .map(|i| {
            let app = &app;
            let (subscription, _) = &investors[i];
            let token = investor_token(i);
            async move {
                let action = if i < 600 { "reconfirm" } else { "cancel" };
                let reply = app
                    .post(
                        format!("/api/v1/subscriptions/{subscription}/{action}"),
                        Some(&token),
                        json!({}),
                    )
                    .await;
                (i, reply)
            }
        })
        .buffer_unordered(16)
        .collect()
        .await;
    for (i, reply) in &answers {
        assert_eq!(reply.status, 200, "{i}: {}", reply.body);
        let expected = if *i < 600 { "reconfirmed" } else { "declined" };
        assert_eq!(reply.body["reconfirmation"], expected, "{}", reply.body);
    }
    // Twice is refused.
    let again = app
        .post(
            format!("/api/v1/subscriptions/{}/reconfirm", investors[0].0),
            Some(&investor_token(0)),
            json!({}),
        )
        .await;
    again.assert_problem(409, "not_awaiting_reconfirmation");
    // The round was funded before its deadline; the cancellations reopened it.
    let now = app.offering(&offering).await;
    assert_eq!(now["progress"]["raised"], 950 * SEED_PRICE);
    assert_eq!(now["status"], "open");
    app.assert_books_balance(&op).await;

    // Half a day before the deadline: the reminder, to the silent only, once.
    let dir = tempfile::tempdir().unwrap();
    let to_reminder = (deadline - Utc::now() - chrono::Duration::hours(12)).num_seconds();
    let Some(mut ahead) = servers_ahead(&app, dir.path(), to_reminder, 2).await else {
        return;
    };
    let reminders = format!("outbox WHERE id LIKE 'reminder:{change}:%'");
    wait_for("the reminders", || app.count(&reminders) > 0).await;
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    assert_eq!(app.count(&reminders), 350);
    assert_eq!(
        app.count("subscriptions WHERE reconfirmation = 'lapsed'"),
        0
    );
    for server in &mut ahead {
        server.kill();
    }

    // Past the deadline, on two servers: the silent are cancelled and refunded, once.
    let past = (deadline - Utc::now() + chrono::Duration::hours(1)).num_seconds();
    let Some(mut ahead) = servers_ahead(&app, dir.path(), past, 2).await else {
        return;
    };
    let lapsed = "subscriptions WHERE reconfirmation = 'lapsed' AND status = 'cancelled'";
    wait_for("the lapses", || app.count(lapsed) == 350).await;
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    assert_eq!(app.count(lapsed), 350);
    assert_eq!(
        app.count("subscriptions WHERE reconfirmation = 'awaiting'"),
        0
    );
    assert_eq!(
        app.count(
            "journal_entries e JOIN subscriptions s ON s.id = e.reference_id \
             WHERE e.kind = 'cancellation' AND s.reconfirmation = 'lapsed'"
        ),
        350,
        "one refund each"
    );
    assert_eq!(app.count("outbox WHERE kind = 'subscription_lapsed'"), 350);
    let (clean, report) = app.verify_ledger();
    assert!(clean, "{report}");
    let now = app.offering(&offering).await;
    assert_eq!(now["progress"]["raised"], 600 * SEED_PRICE);
    let silent = 999;
    assert_eq!(
        app.available(&Person {
            id: investors[silent].1.clone(),
            email: String::new(),
            token: investor_token(silent),
        })
        .await,
        SEED_PRICE
    );
    // Too late to reconfirm now, and the reconciliation shows every answer.
    let late = TestApp::of_process(&ahead[0], app.test_vars())
        .post(
            format!("/api/v1/subscriptions/{}/reconfirm", investors[silent].0),
            Some(&investor_token(silent)),
            json!({}),
        )
        .await;
    late.assert_problem(409, "not_awaiting_reconfirmation");
    let report = app
        .get(
            &format!("/api/v1/operator/offerings/{offering}/reconciliation"),
            Some(&op.token),
        )
        .await;
    assert_eq!(report.status, 200, "{}", report.body);
    assert_eq!(report.body["awaiting_reconfirmation"], 0);
    let states = |state: &str| {
        report.body["subscriptions"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|l| l["reconfirmation"] == state)
            .count()
    };
    assert_eq!(
        (states("reconfirmed"), states("declined"), states("lapsed")),
        (600, 50, 350)
    );
    let changes = app
        .get(
            &format!("/api/v1/offerings/{offering}/material-changes"),
            Some(&op.token),
        )
        .await;
    let c = &changes.body["items"][0];
    assert_eq!(
        (
            c["reconfirmed"].as_i64(),
            c["declined"].as_i64(),
            c["lapsed"].as_i64(),
            c["awaiting"].as_i64()
        ),
        (Some(600), Some(50), Some(350), Some(0)),
        "{c}"
    );
    assert!(!c["reminded_at"].is_null());
    for server in &mut ahead {
        server.kill();
    }
}

#[tokio::test]
async fn only_amendments_of_open_rounds_are_material_and_late_answers_are_refused() {
    let app = spawn_app_with(&[]).await;
    let op = app.operator().await;
    let sponsor = app.sponsor().await;
    let draft = app.draft(&sponsor, json!({})).await;
    let offering = draft.body["id"].as_str().unwrap().to_string();
    // A draft's document is no amendment.
    let original = app
        .upload(
            &format!("/api/v1/offerings/{offering}/documents?kind=pitch_deck&name=Deck.pdf"),
            Some(&sponsor.token),
            pdf("deck"),
        )
        .await;
    assert_eq!(original.status, 201, "{}", original.body);
    let document = original.body["id"].as_str().unwrap().to_string();
    let material =
        |v: i32| format!("/api/v1/offerings/{offering}/documents/{document}/versions/{v}/material");
    app.post(&material(1), Some(&sponsor.token), json!({"reason": "x"}))
        .await
        .assert_problem(409, "offering_not_open");
    app.post(
        format!("/api/v1/offerings/{offering}/submit"),
        Some(&sponsor.token),
        json!({}),
    )
    .await;
    app.post(
        format!("/api/v1/operator/offerings/{offering}/approve"),
        Some(&op.token),
        json!({}),
    )
    .await;
    app.post(&material(1), Some(&sponsor.token), json!({"reason": "x"}))
        .await
        .assert_problem(409, "not_an_amendment");
    app.post(&material(9), Some(&sponsor.token), json!({"reason": "x"}))
        .await
        .assert_problem(404, "not_found");

    let investor = app.investor(&op, 100_000).await;
    let sub = app.subscribe(&investor, &offering, json!(3), "k").await;
    assert_eq!(sub.status, 201, "{}", sub.body);
    let sub = sub.body["id"].as_str().unwrap().to_string();
    let amended = app
        .upload(
            &format!("/api/v1/offerings/{offering}/documents/{document}/versions?name=Deck2.pdf"),
            Some(&sponsor.token),
            pdf("deck 2"),
        )
        .await;
    assert_eq!(amended.status, 201, "{}", amended.body);
    // Subscribed after the amendment: nothing to reconfirm.
    let later = app.investor(&op, 100_000).await;
    let later_sub = app.subscribe(&later, &offering, json!(1), "l").await;
    let later_sub = later_sub.body["id"].as_str().unwrap().to_string();
    // An operator declares it.
    let declared = app
        .post(
            &material(2),
            Some(&op.token),
            json!({"reason": "New risk factors."}),
        )
        .await;
    assert_eq!(declared.status, 201, "{}", declared.body);
    assert_eq!(declared.body["awaiting"], 1);
    let mail = app
        .wait_for_email(&investor.email, "Reconfirm your investment")
        .await;
    assert!(mail.body.contains("New risk factors."), "{}", mail.body);
    app.post(
        format!("/api/v1/subscriptions/{later_sub}/reconfirm"),
        Some(&later.token),
        json!({}),
    )
    .await
    .assert_problem(409, "not_awaiting_reconfirmation");
    // Another investor's subscription is not theirs to reconfirm.
    app.post(
        format!("/api/v1/subscriptions/{sub}/reconfirm"),
        Some(&later.token),
        json!({}),
    )
    .await
    .assert_problem(404, "not_found");
    // The deadline passed (moved into the past) before the sweeper came: too late.
    app.execute(&format!(
        "UPDATE subscriptions SET reconfirm_by = created_at WHERE id = '{sub}'"
    ));
    app.post(
        format!("/api/v1/subscriptions/{sub}/reconfirm"),
        Some(&investor.token),
        json!({}),
    )
    .await
    .assert_problem(409, "reconfirmation_closed");
    // `crowdfund sweep` cancels it and returns the money.
    let out = app.cli(&["sweep"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("1 subscription(s) not reconfirmed cancelled"),
        "{stdout}"
    );
    assert_eq!(app.available(&investor).await, 100_000);
    app.wait_for_email(&investor.email, "not reconfirmed").await;
    app.assert_books_balance(&op).await;
}
