//! Settling a funded round and refunding a failed or cancelled one: the
//! postings, the holdings and cap table, the emails, the audit log, and
//! what happens when it is tried twice or concurrently.

use futures_util::future::join_all;
use serde_json::{json, Value};

use crate::helpers::{spawn_app, TestApp};
use crate::world::Person;

const PRICE: i64 = 1_000;

fn kind_balance(report: &Value, kind: &str) -> i64 {
    report["accounts_by_kind"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kind"] == kind)
        .map_or(0, |k| k["balance"].as_i64().unwrap())
}

/// An offering of 10 shares at 10.00 (plus `extra` terms), funded by three
/// investors with 5, 3 and 2 shares.
async fn funded_round(app: &TestApp, extra: Value) -> (Person, Person, Vec<Person>, String) {
    let operator = app.operator().await;
    let sponsor = app.sponsor().await;
    let mut terms = json!({"price_per_share": PRICE, "target_amount": 10 * PRICE});
    for (k, v) in extra.as_object().unwrap() {
        terms[k] = v.clone();
    }
    let offering = app.open_offering(&sponsor, &operator, terms).await;
    let mut investors = Vec::new();
    for (i, shares) in [5, 3, 2].into_iter().enumerate() {
        let investor = app.investor(&operator, 10 * PRICE).await;
        let r = app
            .subscribe(&investor, &offering, json!(shares), format!("f{i}"))
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        investors.push(investor);
    }
    assert_eq!(app.offering(&offering).await["status"], "funded");
    (operator, sponsor, investors, offering)
}

#[tokio::test]
async fn a_funded_round_settles_once_into_payout_fee_and_holdings() {
    let app = spawn_app().await;
    let (operator, sponsor, investors, offering) = funded_round(&app, json!({})).await;

    // Not for investors or sponsors.
    app.settle(&investors[0], &offering, "x")
        .await
        .assert_problem(403, "forbidden");
    app.settle(&sponsor, &offering, "x")
        .await
        .assert_problem(403, "forbidden");

    let done = app.settle(&operator, &offering, "settle-1").await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert_eq!(done.body["gross"], 10 * PRICE);
    assert_eq!(done.body["fee"], 500, "5% of 100.00");
    assert_eq!(done.body["sponsor_payout"], 9_500);
    assert_eq!(done.body["subscriptions_settled"], 3);
    assert_eq!(done.body["holders"], 3);
    // The same key replays; another key is refused and changes nothing.
    let replay = app.settle(&operator, &offering, "settle-1").await;
    assert_eq!(replay.body, done.body);
    let again = app.settle(&operator, &offering, "settle-2").await;
    again.assert_problem(409, "invalid_offering_state");
    assert_eq!(again.body["offering_status"], "settled");

    assert_eq!(app.offering(&offering).await["status"], "settled");
    let report = app.assert_books_balance(&operator).await;
    assert_eq!(kind_balance(&report, "offering_escrow"), 0);
    assert_eq!(kind_balance(&report, "platform_fee"), 500);
    assert_eq!(kind_balance(&report, "sponsor_payout"), 9_500);

    // Holdings and the cap table.
    let holdings = app
        .get("/api/v1/me/holdings", Some(&investors[0].token))
        .await;
    assert_eq!(holdings.status, 200, "{}", holdings.body);
    assert_eq!(holdings.body["items"][0]["shares"], 5);
    assert_eq!(holdings.body["items"][0]["price_per_share"], PRICE);
    assert_eq!(holdings.body["items"][0]["offering_id"], offering.as_str());
    let table = app
        .get(
            &format!("/api/v1/offerings/{offering}/cap-table"),
            Some(&sponsor.token),
        )
        .await;
    assert_eq!(table.status, 200, "{}", table.body);
    assert_eq!(table.body["total_shares"], 10);
    let mut percentages: Vec<String> = table.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["percentage"].as_str().unwrap().to_string())
        .collect();
    percentages.sort();
    assert_eq!(percentages, ["20.00", "30.00", "50.00"]);
    let other_sponsor = app.sponsor().await;
    app.get(
        &format!("/api/v1/offerings/{offering}/cap-table"),
        Some(&other_sponsor.token),
    )
    .await
    .assert_problem(404, "not_found");

    // Emails: shares allotted to each investor, the payout to the sponsor.
    let mail = app
        .wait_for_email(&investors[0].email, "Shares allotted")
        .await;
    assert!(
        mail.body.contains("Shares allotted to you: 5"),
        "{}",
        mail.body
    );
    assert!(mail.body.contains("Amount: $50.00"), "{}", mail.body);
    let mail = app.wait_for_email(&sponsor.email, "Settlement done").await;
    assert!(
        mail.body.contains("$95.00") && mail.body.contains("$5.00 (5%)"),
        "{}",
        mail.body
    );

    // The sponsor's payout leaves like a withdrawal.
    let w = app
        .client
        .post(app.url("/api/v1/me/withdrawals"))
        .bearer_auth(&sponsor.token)
        .header("Idempotency-Key", "payout")
        .json(&json!({"amount": 9_500}))
        .send()
        .await
        .unwrap();
    let w = crate::helpers::read(w).await;
    assert_eq!(w.status, 201, "{}", w.body);
    let paid = app
        .bank_webhook(
            &json!({"bank_txn_id": "PAYOUT-1", "reference": w.body["reference"],
                              "amount": 9_500, "kind": "withdrawal"}),
        )
        .await;
    assert_eq!(paid.body["outcome"], "paid");
    assert_eq!(app.available(&sponsor).await, 0);
    app.assert_books_balance(&operator).await;

    // The audit log names the operator and the request.
    let log = app
        .get(
            "/api/v1/operator/audit-log?action=offering.settled",
            Some(&operator.token),
        )
        .await;
    assert_eq!(log.status, 200, "{}", log.body);
    let record = &log.body["items"][0];
    assert_eq!(record["actor_id"], operator.id.as_str());
    assert_eq!(record["subject_id"], offering.as_str());
    assert!(record["request_id"].is_string());
    assert_eq!(record["details"]["fee"], 500);
    app.get("/api/v1/operator/audit-log", Some(&sponsor.token))
        .await
        .assert_problem(403, "forbidden");
}

#[tokio::test]
async fn only_funded_rounds_settle_and_only_one_of_many_concurrent_calls_does() {
    let app = spawn_app().await;
    let (operator, sponsor, _, offering) = funded_round(&app, json!({})).await;
    let open = app.open_offering(&sponsor, &operator, json!({})).await;
    app.settle(&operator, &open, "o")
        .await
        .assert_problem(409, "invalid_offering_state");
    let draft = app.draft(&sponsor, json!({})).await.body["id"]
        .as_str()
        .unwrap()
        .to_string();
    app.settle(&operator, &draft, "d")
        .await
        .assert_problem(409, "invalid_offering_state");
    app.settle(&operator, "no-such-offering", "n")
        .await
        .assert_problem(404, "not_found");

    let replies = join_all((0..8).map(|i| {
        let key = format!("c{i}");
        let (app, operator, offering) = (&app, &operator, &offering);
        async move { app.settle(operator, offering, &key).await }
    }))
    .await;
    assert_eq!(replies.iter().filter(|r| r.status == 200).count(), 1);
    for r in replies.iter().filter(|r| r.status != 200) {
        r.assert_problem(409, "invalid_offering_state");
    }
    assert_eq!(app.count("journal_entries WHERE kind = 'settlement'"), 1);
    assert_eq!(app.count("holdings"), 3);
    app.assert_books_balance(&operator).await;
}

#[tokio::test]
async fn a_cancelled_round_is_refunded_once_even_from_two_instances() {
    let app = spawn_app().await;
    let second = app.spawn_sibling(&[]).await;
    let operator = app.operator().await;
    let sponsor = app.sponsor().await;
    let offering = app
        .open_offering(
            &sponsor,
            &operator,
            json!({"price_per_share": PRICE, "target_amount": 100 * PRICE}),
        )
        .await;
    let mut investors = Vec::new();
    for i in 0..4 {
        let investor = app.investor(&operator, 10 * PRICE).await;
        assert_eq!(
            app.subscribe(&investor, &offering, json!(3), format!("r{i}"))
                .await
                .status,
            201
        );
        investors.push(investor);
    }
    // Not refundable while open.
    app.refund(&operator, &offering, "too-early")
        .await
        .assert_problem(409, "invalid_offering_state");
    let cancelled = app
        .post(
            format!("/api/v1/offerings/{offering}/cancel"),
            Some(&sponsor.token),
            json!({}),
        )
        .await;
    assert_eq!(cancelled.body["status"], "cancelled");
    app.wait_for_email(&investors[0].email, "Offering cancelled")
        .await;

    let (a, b) = tokio::join!(
        app.refund(&operator, &offering, "refund-a"),
        second.refund(&operator, &offering, "refund-b"),
    );
    let first_won = a.status == 200;
    let (ok, refused) = if first_won { (a, b) } else { (b, a) };
    assert_eq!(ok.status, 200, "{}", ok.body);
    assert_eq!(ok.body["subscriptions_refunded"], 4);
    assert_eq!(ok.body["amount_refunded"], 12 * PRICE);
    refused.assert_problem(409, "invalid_offering_state");
    // The same key replays the first answer.
    let replay = if first_won {
        app.refund(&operator, &offering, "refund-a").await
    } else {
        second.refund(&operator, &offering, "refund-b").await
    };
    assert_eq!(replay.body, ok.body);

    for investor in &investors {
        assert_eq!(app.available(investor).await, 10 * PRICE);
    }
    assert_eq!(app.offering(&offering).await["status"], "refunded");
    assert_eq!(
        app.count("journal_entries WHERE kind = 'refund'"),
        4,
        "{}",
        app.count("journal_entries")
    );
    assert_eq!(app.count("subscriptions WHERE status = 'refunded'"), 4);
    let mail = app.wait_for_email(&investors[0].email, "Refund made").await;
    assert!(mail.body.contains("$30.00"), "{}", mail.body);
    let statement = app
        .get("/api/v1/me/account/transactions", Some(&investors[0].token))
        .await;
    assert_eq!(statement.body["items"][0]["kind"], "refund");
    assert_eq!(statement.body["items"][0]["amount"], 3 * PRICE);
    let report = app.assert_books_balance(&operator).await;
    assert_eq!(kind_balance(&report, "offering_escrow"), 0);
}

#[tokio::test]
async fn a_round_settles_at_the_fee_it_was_approved_on_whatever_the_server_says_now() {
    let app = spawn_app().await;
    let (operator, _sponsor, _investors, offering) = funded_round(&app, json!({})).await;
    assert_eq!(app.offering(&offering).await["fee_bps"], 500);
    // Another server of the same database, configured with another fee.
    let other = app.spawn_sibling(&[("PLATFORM_FEE_BPS", "1000")]).await;
    let done = other.settle(&operator, &offering, "settle-other").await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert_eq!(done.body["fee"], 500, "5% as approved, not 10%");
    assert_eq!(done.body["sponsor_payout"], 9_500);
    // A round approved on that server carries its fee.
    let sponsor = other.sponsor().await;
    let later = other.open_offering(&sponsor, &operator, json!({})).await;
    assert_eq!(other.offering(&later).await["fee_bps"], 1000);
    assert_eq!(app.offering(&later).await["fee_bps"], 1000);
    app.assert_books_balance(&operator).await;
}
