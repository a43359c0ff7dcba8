//! Subscribing and cancelling: the caps, their refusal codes and figures,
//! idempotency, authorization and the confirmation email.

use serde_json::json;

use crate::helpers::spawn_app;

const PRICE: i64 = 1_000;

#[tokio::test]
async fn a_subscription_moves_money_to_escrow_and_confirms_by_email() {
    let app = spawn_app().await;
    let operator = app.operator().await;
    let sponsor = app.sponsor().await;
    let offering = app
        .open_offering(
            &sponsor,
            &operator,
            json!({"price_per_share": PRICE, "target_amount": 100 * PRICE}),
        )
        .await;
    let investor = app.investor(&operator, 50 * PRICE).await;

    let reply = app.subscribe(&investor, &offering, json!(12), "k1").await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    assert_eq!(reply.body["shares"], 12);
    assert_eq!(reply.body["amount"], 12 * PRICE);
    assert_eq!(reply.body["status"], "active");
    assert_eq!(reply.body["offering_status"], "open");

    let account = app.get("/api/v1/me/account", Some(&investor.token)).await;
    assert_eq!(account.body["available"], 38 * PRICE);
    assert_eq!(account.body["in_escrow"], 12 * PRICE);
    assert_eq!(account.body["currency"], "USD");
    let statement = app
        .get("/api/v1/me/account/transactions", Some(&investor.token))
        .await;
    let lines = statement.body["items"].as_array().unwrap();
    assert_eq!(lines[0]["kind"], "subscription");
    assert_eq!(lines[0]["amount"], -12 * PRICE);
    assert_eq!(lines[1]["kind"], "deposit");
    assert_eq!(lines[1]["amount"], 50 * PRICE);

    let o = app.offering(&offering).await;
    assert_eq!(o["progress"]["raised"], 12 * PRICE);
    assert_eq!(o["progress"]["percent"], 12);
    assert_eq!(o["progress"]["investor_count"], 1);
    assert_eq!(o["progress"]["remaining_shares"], 88);

    let mine = app
        .get("/api/v1/me/subscriptions", Some(&investor.token))
        .await;
    assert_eq!(mine.body["items"][0]["id"], reply.body["id"]);

    let mail = app
        .wait_for_email(&investor.email, "Subscription confirmed")
        .await;
    for needle in [
        "Solar Farm Cooperative",
        "common equity",
        "Price per share: $10.00",
        "Shares: 12 shares",
        "Amount: $120.00",
        "Date:",
    ] {
        assert!(
            mail.body.contains(needle),
            "{needle} missing from {}",
            mail.body
        );
    }
    app.assert_books_balance(&operator).await;
}

#[tokio::test]
async fn the_subscription_that_reaches_the_target_closes_the_offering() {
    let app = spawn_app().await;
    let operator = app.operator().await;
    let sponsor = app.sponsor().await;
    let offering = app
        .open_offering(
            &sponsor,
            &operator,
            json!({"price_per_share": PRICE, "target_amount": 10 * PRICE}),
        )
        .await;
    let a = app.investor(&operator, 10 * PRICE).await;
    let b = app.investor(&operator, 10 * PRICE).await;
    assert_eq!(
        app.subscribe(&a, &offering, json!(6), "a").await.status,
        201
    );
    let too_many = app.subscribe(&b, &offering, json!(5), "b").await;
    too_many.assert_problem(409, "exceeds_remaining");
    assert_eq!(too_many.body["remaining_shares"], 4);
    let last = app.subscribe(&b, &offering, json!(4), "b2").await;
    assert_eq!(last.status, 201, "{}", last.body);
    assert_eq!(last.body["offering_status"], "funded");
    let o = app.offering(&offering).await;
    assert_eq!(o["status"], "funded");
    assert_eq!(o["progress"]["raised"], 10 * PRICE);
    assert_eq!(o["progress"]["percent"], 100);
    // Funded: no more subscriptions, no more cancellations.
    app.subscribe(&a, &offering, json!(1), "a2")
        .await
        .assert_problem(409, "offering_not_open");
    let sub_id = last.body["id"].as_str().unwrap();
    app.post(
        &format!("/api/v1/subscriptions/{sub_id}/cancel"),
        Some(&b.token),
        json!({}),
    )
    .await
    .assert_problem(409, "cancellation_window_closed");
    app.wait_for_email(&a.email, "Offering funded").await;
    app.wait_for_email(&b.email, "Offering funded").await;
    app.wait_for_email(&sponsor.email, "Your offering is funded")
        .await;
    app.assert_books_balance(&operator).await;
}

#[tokio::test]
async fn every_cap_refuses_with_its_code_and_figures() {
    let app = spawn_app().await;
    let operator = app.operator().await;
    let sponsor = app.sponsor().await;
    let offering = app
        .open_offering(
            &sponsor,
            &operator,
            json!({"price_per_share": PRICE, "target_amount": 1_000 * PRICE,
                   "min_subscription": 5 * PRICE, "max_per_investor": 20 * PRICE}),
        )
        .await;
    let rich = app.investor(&operator, 100 * PRICE).await;

    let r = app.subscribe(&rich, &offering, json!(4), "min").await;
    r.assert_problem(422, "below_minimum");
    assert_eq!(r.body["min_shares"], 5);
    assert_eq!(
        app.subscribe(&rich, &offering, json!(15), "ok")
            .await
            .status,
        201
    );
    let r = app.subscribe(&rich, &offering, json!(6), "max").await;
    r.assert_problem(422, "above_investor_max");
    assert_eq!(r.body["remaining_allowed"], 5 * PRICE);

    let poor = app.investor(&operator, 2 * PRICE).await;
    let r = app.subscribe(&poor, &offering, json!(5), "poor").await;
    r.assert_problem(422, "insufficient_funds");
    assert_eq!(r.body["available"], 2 * PRICE);

    // Limit: income and net worth 30,000.00 -> the floor of 2,500.00.
    let limited = app
        .investor_with(&operator, 3_000_000, 3_000_000, false, 1_000_000)
        .await;
    let big_offering = app
        .open_offering(
            &sponsor,
            &operator,
            json!({"price_per_share": PRICE, "target_amount": 1_000 * PRICE}),
        )
        .await;
    let r = app
        .subscribe(&limited, &big_offering, json!(251), "lim")
        .await;
    r.assert_problem(422, "investment_limit_exceeded");
    assert_eq!(r.body["remaining_limit"], 250_000);
    assert_eq!(
        app.subscribe(&limited, &big_offering, json!(250), "lim2")
            .await
            .status,
        201
    );

    // Email not verified / KYC missing.
    let email = crate::helpers::unique_email("unverified");
    app.register(&email, "investor").await;
    let login = app.login(&email, crate::helpers::PASSWORD).await;
    let unverified = crate::world::Person {
        id: String::new(),
        email,
        token: login.body["access_token"].as_str().unwrap().to_string(),
    };
    app.subscribe(&unverified, &offering, json!(5), "u")
        .await
        .assert_problem(403, "email_not_verified");
    let (_, token, _) = app
        .signed_up(&crate::helpers::unique_email("nokyc"), "investor")
        .await;
    let no_kyc = crate::world::Person {
        id: String::new(),
        email: String::new(),
        token,
    };
    let r = app.subscribe(&no_kyc, &offering, json!(5), "k").await;
    r.assert_problem(403, "kyc_required");
    assert_eq!(r.body["kyc_status"], "missing");

    // Sponsors cannot subscribe.
    app.subscribe(&sponsor, &offering, json!(5), "s")
        .await
        .assert_problem(403, "forbidden");
    // Nothing refused left a trace.
    assert_eq!(app.count("subscriptions"), 2);
    app.assert_books_balance(&operator).await;
}

#[tokio::test]
async fn bad_share_counts_are_refused_and_change_nothing() {
    let app = spawn_app().await;
    let operator = app.operator().await;
    let sponsor = app.sponsor().await;
    let offering = app
        .open_offering(
            &sponsor,
            &operator,
            json!({"price_per_share": PRICE, "target_amount": 100 * PRICE}),
        )
        .await;
    let investor = app.investor(&operator, 10 * PRICE).await;
    for (i, shares) in [json!(0), json!(-3)].into_iter().enumerate() {
        app.subscribe(&investor, &offering, shares, &format!("z{i}"))
            .await
            .assert_problem(422, "invalid_field");
    }
    for (i, shares) in [
        json!(1.5),
        json!("3"),
        json!(null),
        json!(1e30),
        json!(u64::MAX),
    ]
    .into_iter()
    .enumerate()
    {
        app.subscribe(&investor, &offering, shares, &format!("t{i}"))
            .await
            .assert_problem(422, "invalid_body");
    }
    // shares × price overflows i64.
    app.subscribe(&investor, &offering, json!(i64::MAX / 10), "ovf")
        .await
        .assert_problem(422, "invalid_field");
    // Missing key.
    let resp = app
        .client
        .post(app.url(&format!("/api/v1/offerings/{offering}/subscriptions")))
        .bearer_auth(&investor.token)
        .json(&json!({"shares": 1}))
        .send()
        .await
        .unwrap();
    crate::helpers::read(resp)
        .await
        .assert_problem(400, "idempotency_key_required");
    // Unknown offering.
    app.subscribe(&investor, "no-such-offering", json!(1), "nf")
        .await
        .assert_problem(404, "not_found");
    assert_eq!(app.count("subscriptions"), 0);
    assert_eq!(app.available(&investor).await, 10 * PRICE);
    app.assert_books_balance(&operator).await;
}

#[tokio::test]
async fn drafts_and_cancelled_offerings_take_no_subscriptions() {
    let app = spawn_app().await;
    let operator = app.operator().await;
    let sponsor = app.sponsor().await;
    let investor = app.investor(&operator, 10 * PRICE).await;
    let draft = app.draft(&sponsor, json!({})).await;
    let draft_id = draft.body["id"].as_str().unwrap();
    app.subscribe(&investor, draft_id, json!(1), "d")
        .await
        .assert_problem(404, "not_found");
    let open = app.open_offering(&sponsor, &operator, json!({})).await;
    let cancelled = app
        .post(
            &format!("/api/v1/offerings/{open}/cancel"),
            Some(&sponsor.token),
            json!({}),
        )
        .await;
    assert_eq!(cancelled.status, 200, "{}", cancelled.body);
    let r = app.subscribe(&investor, &open, json!(1), "c").await;
    r.assert_problem(409, "offering_not_open");
    assert_eq!(r.body["offering_status"], "cancelled");
}

#[tokio::test]
async fn idempotency_keys_replay_refuse_mismatches_and_are_per_user() {
    let app = spawn_app().await;
    let operator = app.operator().await;
    let sponsor = app.sponsor().await;
    let offering = app
        .open_offering(
            &sponsor,
            &operator,
            json!({"price_per_share": PRICE, "target_amount": 100 * PRICE}),
        )
        .await;
    let investor = app.investor(&operator, 50 * PRICE).await;
    let first = app
        .subscribe(&investor, &offering, json!(3), "same-key")
        .await;
    assert_eq!(first.status, 201);
    let replay = app
        .subscribe(&investor, &offering, json!(3), "same-key")
        .await;
    assert_eq!(replay.status, 201);
    assert_eq!(replay.body, first.body);
    assert_eq!(replay.headers.get("idempotent-replayed").unwrap(), "true");
    app.subscribe(&investor, &offering, json!(4), "same-key")
        .await
        .assert_problem(422, "idempotency_key_mismatch");
    // Another investor may use the same key for their own request.
    let other = app.investor(&operator, 50 * PRICE).await;
    assert_eq!(
        app.subscribe(&other, &offering, json!(3), "same-key")
            .await
            .status,
        201
    );
    // A refusal is replayed as a refusal.
    let refused = app
        .subscribe(&investor, &offering, json!(1_000), "big")
        .await;
    refused.assert_problem(409, "exceeds_remaining");
    let again = app
        .subscribe(&investor, &offering, json!(1_000), "big")
        .await;
    again.assert_problem(409, "exceeds_remaining");
    assert_eq!(app.count("subscriptions"), 2);
    assert_eq!(app.available(&investor).await, 47 * PRICE);

    // Concurrent replays of one key: one subscription, the others replay or wait.
    let replies = futures_util::future::join_all(
        (0..10).map(|_| app.subscribe(&investor, &offering, json!(2), "burst-key")),
    )
    .await;
    for r in &replies {
        match r.status.as_u16() {
            201 => {}
            409 => assert_eq!(r.code(), "idempotency_in_progress"),
            other => panic!("{other}: {}", r.body),
        }
    }
    assert_eq!(app.count("subscriptions"), 3);
    assert_eq!(app.available(&investor).await, 45 * PRICE);
    app.assert_books_balance(&operator).await;
}

#[tokio::test]
async fn only_the_owner_cancels_and_only_before_the_cutoff() {
    let app = spawn_app().await;
    let operator = app.operator().await;
    let sponsor = app.sponsor().await;
    let offering = app
        .open_offering(
            &sponsor,
            &operator,
            json!({"price_per_share": PRICE, "target_amount": 100 * PRICE}),
        )
        .await;
    let owner = app.investor(&operator, 10 * PRICE).await;
    let stranger = app.investor(&operator, 10 * PRICE).await;
    let sub = app.subscribe(&owner, &offering, json!(4), "x").await;
    let id = sub.body["id"].as_str().unwrap();
    app.post(
        &format!("/api/v1/subscriptions/{id}/cancel"),
        Some(&stranger.token),
        json!({}),
    )
    .await
    .assert_problem(404, "not_found");
    app.post(
        &format!("/api/v1/subscriptions/{id}/cancel"),
        Some(&sponsor.token),
        json!({}),
    )
    .await
    .assert_problem(403, "forbidden");
    let done = app
        .post(
            &format!("/api/v1/subscriptions/{id}/cancel"),
            Some(&owner.token),
            json!({}),
        )
        .await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert_eq!(done.body["status"], "cancelled");
    assert_eq!(app.available(&owner).await, 10 * PRICE);
    assert_eq!(app.offering(&offering).await["progress"]["raised"], 0);
    app.wait_for_email(&owner.email, "Subscription cancelled")
        .await;

    // An offering closing within the 48-hour cutoff takes no cancellations.
    let closing_soon = app
        .open_offering(
            &sponsor,
            &operator,
            json!({"closes_at": (chrono::Utc::now() + chrono::Duration::hours(24)).to_rfc3339()}),
        )
        .await;
    let sub = app.subscribe(&owner, &closing_soon, json!(2), "y").await;
    assert_eq!(sub.status, 201, "{}", sub.body);
    let id = sub.body["id"].as_str().unwrap();
    let r = app
        .post(
            &format!("/api/v1/subscriptions/{id}/cancel"),
            Some(&owner.token),
            json!({}),
        )
        .await;
    r.assert_problem(409, "cancellation_window_closed");
    assert!(r.body["cancellable_until"].is_string());
    app.assert_books_balance(&operator).await;
}
