//! A portfolio screen in one request: each of the investor's subscriptions
//! carries its offering's title, status, security type and price per share;
//! each holding its cost basis.

use serde_json::{json, Value};

use crate::helpers::spawn_app;

fn items(page: &Value) -> Vec<Value> {
    page["items"].as_array().unwrap().clone()
}

#[tokio::test]
async fn subscriptions_carry_their_offering_and_holdings_their_cost_basis() {
    let app = spawn_app().await;
    let operator = app.operator().await;
    let sponsor = app.sponsor().await;
    let solar = app
        .open_offering(
            &sponsor,
            &operator,
            json!({"title": "Solar Co-op", "price_per_share": 1_000, "target_amount": 10_000}),
        )
        .await;
    let wind = app
        .open_offering(
            &sponsor,
            &operator,
            json!({"title": "Wind Farm", "security_type": "safe", "price_per_share": 2_500,
                   "target_amount": 1_000_000}),
        )
        .await;
    let investor = app.investor(&operator, 50_000).await;
    let other = app.investor(&operator, 50_000).await;
    for (offering, shares, key) in [(&solar, 4, "p-1"), (&solar, 3, "p-2"), (&wind, 2, "p-3")] {
        let r = app.subscribe(&investor, offering, json!(shares), key).await;
        assert_eq!(r.status, 201, "{}", r.body);
    }
    let r = app.subscribe(&other, &solar, json!(3), "p-4").await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(app.available(&investor).await, 50_000 - 7_000 - 5_000);

    let page = app
        .get("/api/v1/me/subscriptions", Some(&investor.token))
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
    let listed = items(&page.body);
    assert_eq!(listed.len(), 3, "{}", page.body);
    // Newest first: the wind subscription, then the two in the funded round.
    assert_eq!(listed[0]["offering_id"], wind.as_str());
    assert_eq!(listed[0]["offering_title"], "Wind Farm");
    assert_eq!(listed[0]["offering_status"], "open");
    assert_eq!(listed[0]["security_type"], "safe");
    assert_eq!(listed[0]["price_per_share"], 2_500);
    assert_eq!(listed[0]["amount"], 5_000);
    for item in &listed[1..] {
        assert_eq!(item["offering_id"], solar.as_str());
        assert_eq!(item["offering_title"], "Solar Co-op");
        assert_eq!(item["offering_status"], "funded");
        assert_eq!(item["security_type"], "common_equity");
        assert_eq!(item["price_per_share"], 1_000);
        assert_eq!(item["status"], "active");
    }
    // Pages still follow their cursor.
    let first = app
        .get("/api/v1/me/subscriptions?limit=2", Some(&investor.token))
        .await;
    assert_eq!(items(&first.body).len(), 2);
    let cursor = first.body["next_cursor"].as_str().unwrap();
    let rest = app
        .get(
            &format!("/api/v1/me/subscriptions?limit=2&cursor={cursor}"),
            Some(&investor.token),
        )
        .await;
    assert_eq!(rest.status, 200, "{}", rest.body);
    assert_eq!(items(&rest.body).len(), 1);
    assert_eq!(items(&rest.body)[0]["id"], listed[2]["id"]);
    assert!(rest.body["next_cursor"].is_null());
    // Only the investor's own.
    let theirs = app
        .get("/api/v1/me/subscriptions", Some(&other.token))
        .await;
    assert_eq!(items(&theirs.body).len(), 1);
    assert_eq!(items(&theirs.body)[0]["shares"], 3);

    let settled = app.settle(&operator, &solar, "settle-solar").await;
    assert_eq!(settled.status, 200, "{}", settled.body);
    let holdings = app.get("/api/v1/me/holdings", Some(&investor.token)).await;
    assert_eq!(holdings.status, 200, "{}", holdings.body);
    let held = items(&holdings.body);
    assert_eq!(held.len(), 1, "{}", holdings.body);
    assert_eq!(held[0]["offering_title"], "Solar Co-op");
    assert_eq!(held[0]["shares"], 7);
    // What the two subscriptions took from the investor's cash, 4 + 3 shares at 10.00.
    assert_eq!(held[0]["cost_basis"], 7_000);
    let theirs = app.get("/api/v1/me/holdings", Some(&other.token)).await;
    assert_eq!(items(&theirs.body)[0]["cost_basis"], 3_000);

    // The list shows the offering as it is now.
    let page = app
        .get("/api/v1/me/subscriptions", Some(&investor.token))
        .await;
    for item in &items(&page.body)[1..] {
        assert_eq!(item["offering_status"], "settled");
        assert_eq!(item["status"], "settled");
    }
    app.assert_books_balance(&operator).await;
}
