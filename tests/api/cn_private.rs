//! RULE_PROFILE=cn_private: qualified investors only, at most 200 investors a
//! round (enforced under concurrency as exactly as the amount cap), CNY.

use futures_util::future::join_all;
use serde_json::{json, Value};

use crate::helpers::{backend_is_postgres, spawn_app_with, TestApp};
use crate::world::Person;

const PRICE: i64 = 10_000; // ¥100 a share, in fen
const YUAN: i64 = 100;

async fn cn_app() -> TestApp {
    spawn_app_with(&[("RULE_PROFILE", "cn_private")]).await
}

/// Financial assets of ¥3,000,000: qualified by declaration.
fn qualified() -> Value {
    json!({"investor_type": "individual", "financial_assets": 3_000_000 * YUAN})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn of_250_investors_racing_for_a_round_exactly_200_get_in() {
    let app = cn_app().await;
    // On PostgreSQL a second server shares the database: the requests of
    // each batch on its own writers, the cap held in the database.
    let sibling = if backend_is_postgres() {
        Some(app.spawn_sibling(&[]).await)
    } else {
        None
    };
    let op = app.operator().await;
    let sponsor = app.sponsor().await;
    let offering = app
        .open_offering(
            &sponsor,
            &op,
            json!({"price_per_share": PRICE, "target_amount": 1_000 * PRICE,
                   "min_raise": 100 * PRICE}),
        )
        .await;
    let shown = app.offering(&offering).await;
    assert_eq!(shown["rule_profile"], "cn_private");
    assert_eq!(shown["max_investors"], 200);
    assert_eq!(shown["currency"], "CNY");

    let mut investors: Vec<Person> = Vec::new();
    for _ in 0..10 {
        let batch = join_all((0..25).map(|_| app.investor_declaring(&op, qualified(), 3 * PRICE)));
        investors.extend(batch.await);
    }
    let replies = join_all(investors.iter().enumerate().map(|(i, who)| {
        let server = match &sibling {
            Some(other) if i % 2 == 1 => other,
            _ => &app,
        };
        server.subscribe(who, &offering, json!(1), format!("race-{i}"))
    }))
    .await;
    let mut accepted = Vec::new();
    for (i, reply) in replies.iter().enumerate() {
        match reply.status.as_u16() {
            201 => accepted.push(i),
            409 => {
                assert_eq!(
                    reply.body["code"], "investor_limit_reached",
                    "{}",
                    reply.body
                );
                assert_eq!(reply.body["max_investors"], 200);
            }
            other => panic!("unexpected {other}: {}", reply.body),
        }
    }
    assert_eq!(accepted.len(), 200, "exactly the cap gets in");
    let shown = app.offering(&offering).await;
    assert_eq!(shown["progress"]["investor_count"], 200);
    assert_eq!(shown["progress"]["raised"], 200 * PRICE);
    assert_eq!(
        app.count(&format!(
            "(SELECT DISTINCT investor_id FROM subscriptions \
             WHERE offering_id = '{offering}' AND status = 'active') AS d"
        )),
        200
    );

    // Someone already in may add to it; a newcomer may not.
    let insider = &investors[accepted[0]];
    let more = app
        .subscribe(insider, &offering, json!(2), "insider-more")
        .await;
    assert_eq!(more.status, 201, "{}", more.body);
    let outsider = (0..250).find(|i| !accepted.contains(i)).unwrap();
    let refused = app
        .subscribe(&investors[outsider], &offering, json!(1), "outsider")
        .await;
    assert_eq!(refused.body["code"], "investor_limit_reached");
    assert_eq!(refused.body["investor_count"], 200);

    // One investor leaves (both of the insider's subscriptions): a place
    // opens, and exactly one newcomer takes it.
    let mine = app
        .get("/api/v1/me/subscriptions", Some(&insider.token))
        .await;
    for item in mine.body["items"].as_array().unwrap() {
        let id = item["id"].as_str().unwrap();
        let cancelled = app
            .post(
                &format!("/api/v1/subscriptions/{id}/cancel"),
                Some(&insider.token),
                json!({}),
            )
            .await;
        assert_eq!(cancelled.status, 200, "{}", cancelled.body);
    }
    assert_eq!(
        app.offering(&offering).await["progress"]["investor_count"],
        199
    );
    let outsiders: Vec<usize> = (0..250).filter(|i| !accepted.contains(i)).take(5).collect();
    let second = join_all(
        outsiders
            .iter()
            .map(|&i| app.subscribe(&investors[i], &offering, json!(1), format!("second-{i}"))),
    )
    .await;
    let got_in = second.iter().filter(|r| r.status == 201).count();
    assert_eq!(
        got_in,
        1,
        "{:?}",
        second.iter().map(|r| &r.body).collect::<Vec<_>>()
    );
    assert_eq!(
        app.offering(&offering).await["progress"]["investor_count"],
        200
    );
    app.assert_books_balance(&op).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn only_qualified_investors_invest_unless_they_put_a_million_in() {
    let app = cn_app().await;
    let op = app.operator().await;
    let sponsor = app.sponsor().await;
    let offering = app
        .open_offering(
            &sponsor,
            &op,
            json!({"price_per_share": PRICE, "target_amount": 100_000 * PRICE,
                   "min_raise": PRICE}),
        )
        .await;

    // The deployment says what it runs under.
    let rules = app.get("/api/v1/rules", None).await;
    assert_eq!(rules.status, 200);
    assert_eq!(rules.body["profile"], "cn_private");
    assert_eq!(rules.body["currency"], "CNY");
    assert_eq!(rules.body["max_investors_per_round"], 200);
    assert_eq!(
        rules.body["qualification"]["round_amount"],
        1_000_000 * YUAN
    );

    // ¥2,999,999 of assets and ¥499,999 of income: not qualified.
    let modest = app
        .investor_declaring(
            &op,
            json!({"financial_assets": 2_999_999 * YUAN, "average_income_3y": 499_999 * YUAN,
                   "net_worth": 50_000_000 * YUAN}),
            2_000_000 * YUAN,
        )
        .await;
    let profile = app
        .get("/api/v1/me/investor-profile", Some(&modest.token))
        .await;
    assert_eq!(profile.body["qualification"]["qualified"], false);
    assert_eq!(profile.body["limit"], Value::Null);
    let refused = app.subscribe(&modest, &offering, json!(1), "m1").await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    assert_eq!(refused.body["code"], "not_qualified_investor");
    assert_eq!(refused.body["round_minimum_unqualified"], 1_000_000 * YUAN);
    // ¥999,900 is still short of the round amount; ¥1,000,000 qualifies.
    let short = app.subscribe(&modest, &offering, json!(9_999), "m2").await;
    assert_eq!(short.body["code"], "not_qualified_investor");
    let million = app.subscribe(&modest, &offering, json!(10_000), "m3").await;
    assert_eq!(million.status, 201, "{}", million.body);
    // Then more of the same round is theirs to add.
    let more = app.subscribe(&modest, &offering, json!(1), "m4").await;
    assert_eq!(more.status, 201, "{}", more.body);

    // Qualified by income; an institution by net assets; a person's net
    // worth does not count.
    let earner = app
        .investor_declaring(&op, json!({"average_income_3y": 500_000 * YUAN}), PRICE)
        .await;
    let reply = app.subscribe(&earner, &offering, json!(1), "e1").await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    let firm = app
        .investor_declaring(
            &op,
            json!({"investor_type": "institution", "net_worth": 10_000_000 * YUAN}),
            PRICE,
        )
        .await;
    let shown = app
        .get("/api/v1/me/investor-profile", Some(&firm.token))
        .await;
    assert_eq!(
        shown.body["qualification"]["qualified_by"],
        "institution_net_assets"
    );
    assert_eq!(
        app.subscribe(&firm, &offering, json!(1), "f1").await.status,
        201
    );
    let rich_person = app
        .investor_declaring(&op, json!({"net_worth": 10_000_000 * YUAN}), PRICE)
        .await;
    let reply = app.subscribe(&rich_person, &offering, json!(1), "r1").await;
    assert_eq!(reply.body["code"], "not_qualified_investor");

    // An investor cannot lift themselves: declaring more goes back to
    // review, and the figures last approved stay in force.
    let raised = app
        .put(
            "/api/v1/me/investor-profile",
            Some(&rich_person.token),
            json!({"legal_name": "Ada Investor", "country": "US", "annual_income": 0,
                   "net_worth": 0, "accredited": false, "financial_assets": 5_000_000 * YUAN}),
        )
        .await;
    assert_eq!(raised.status, 200, "{}", raised.body);
    assert_eq!(raised.body["kyc_status"], "pending");
    assert_eq!(raised.body["qualification"]["qualified"], false);
    assert_eq!(raised.body["qualification"]["basis"], "approved");
    let reply = app.subscribe(&rich_person, &offering, json!(1), "r2").await;
    assert_eq!(reply.body["code"], "not_qualified_investor");

    // A sponsor may set fewer investors than the law's 200, never more.
    let over = app.draft(&sponsor, json!({"max_investors": 201})).await;
    assert_eq!(over.status, 422, "{}", over.body);
    assert_eq!(over.body["field"], "max_investors");
    let fewer = app.draft(&sponsor, json!({"max_investors": 35})).await;
    assert_eq!(fewer.status, 201, "{}", fewer.body);
    assert_eq!(fewer.body["max_investors"], 35);
    app.assert_books_balance(&op).await;
}
