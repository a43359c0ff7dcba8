//! Many concurrent requests against one offering and one investor: the
//! offering is never oversubscribed, the caps hold, every accepted request has
//! its subscription and ledger entry, every refused one has none, and the
//! books balance afterwards.

use std::collections::HashMap;
use std::time::Duration;

use futures_util::future::join_all;
use serde_json::json;

use crate::helpers::spawn_app;
use crate::world::Person;

const PRICE: i64 = 1_000;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_hundred_concurrent_subscriptions_never_oversubscribe() {
    let app = spawn_app().await;
    let operator = app.operator().await;
    let sponsor = app.sponsor().await;
    let target_shares = 100;
    let offering = app
        .open_offering(
            &sponsor,
            &operator,
            json!({"price_per_share": PRICE, "target_amount": target_shares * PRICE}),
        )
        .await;

    let investors: Vec<Person> =
        join_all((0..50).map(|_| app.investor(&operator, 20 * PRICE))).await;

    // 200 requests, 4 per investor: three of 1 share and one of 3, so demand
    // (300 shares) is three times the target.
    let requests: Vec<(usize, i64, String)> = (0..200)
        .map(|i| {
            let shares = if i % 4 == 3 { 3 } else { 1 };
            (i % 50, shares, format!("burst-{i}"))
        })
        .collect();
    let started = std::time::Instant::now();
    let replies = join_all(requests.iter().map(|(who, shares, key)| {
        app.subscribe(&investors[*who], &offering, json!(shares), key.as_str())
    }))
    .await;
    let elapsed = started.elapsed();
    eprintln!(
        "200 concurrent subscribe requests ({}): {elapsed:?}, {:.0} requests/s",
        if crate::helpers::backend_is_postgres() {
            "postgresql"
        } else {
            "sqlite"
        },
        200.0 / elapsed.as_secs_f64()
    );

    let mut accepted_amount = 0;
    let mut accepted_ids = Vec::new();
    let mut spent: HashMap<usize, i64> = HashMap::new();
    let mut smallest_refused = i64::MAX;
    for ((who, shares, _), reply) in requests.iter().zip(&replies) {
        match reply.status.as_u16() {
            201 => {
                assert_eq!(reply.body["amount"], shares * PRICE);
                assert_eq!(reply.body["status"], "active");
                accepted_amount += shares * PRICE;
                accepted_ids.push(reply.body["id"].as_str().unwrap().to_string());
                *spent.entry(*who).or_default() += shares * PRICE;
            }
            409 => {
                assert!(
                    matches!(reply.code(), "exceeds_remaining" | "offering_not_open"),
                    "{}",
                    reply.body
                );
                smallest_refused = smallest_refused.min(*shares);
            }
            _ => panic!("unexpected answer {}: {}", reply.status, reply.body),
        }
    }

    let offering_now = app.offering(&offering).await;
    let raised = offering_now["progress"]["raised"].as_i64().unwrap();
    assert_eq!(
        raised, accepted_amount,
        "raised is the sum of accepted requests"
    );
    assert!(raised <= target_shares * PRICE, "oversubscribed: {raised}");
    let remaining_shares = (target_shares * PRICE - raised) / PRICE;
    if offering_now["status"] != "funded" {
        // Only acceptable when no refused request would have fitted.
        assert!(smallest_refused > remaining_shares, "{offering_now}");
    } else {
        assert_eq!(raised, target_shares * PRICE);
    }

    // Every accepted request has its subscription and ledger entry; refused ones none.
    let mut listed = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/offerings/{offering}/subscriptions?limit=100&cursor={c}"),
            None => format!("/api/v1/offerings/{offering}/subscriptions?limit=100"),
        };
        let page = app.get(&path, Some(&sponsor.token)).await;
        assert_eq!(page.status, 200, "{}", page.body);
        for item in page.body["items"].as_array().unwrap() {
            listed.push(item["id"].as_str().unwrap().to_string());
        }
        match page.body["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    listed.sort();
    accepted_ids.sort();
    assert_eq!(listed, accepted_ids);
    assert_eq!(app.count("subscriptions"), accepted_ids.len() as i64);
    assert_eq!(
        app.count("journal_entries WHERE kind = 'subscription'"),
        accepted_ids.len() as i64
    );

    // Each investor paid exactly for what was accepted.
    for (i, investor) in investors.iter().enumerate() {
        let expected = 20 * PRICE - spent.get(&i).copied().unwrap_or(0);
        assert_eq!(app.available(investor).await, expected, "investor {i}");
    }
    let report = app.assert_books_balance(&operator).await;
    let escrow = report["accounts_by_kind"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kind"] == "offering_escrow")
        .unwrap()["balance"]
        .as_i64()
        .unwrap();
    assert_eq!(escrow, raised);
    // The sponsor was told once that the offering is funded. The relay may
    // still be working through the round's confirmations: first wait until
    // nothing for the sponsor is left to send.
    if offering_now["status"] == "funded" {
        let sponsors = format!("outbox WHERE recipient LIKE '%{}%'", sponsor.email);
        let drained = crate::helpers::eventually(std::time::Duration::from_secs(60), || {
            app.count(&format!(
                "{sponsors} AND sent_at IS NULL AND failed_at IS NULL"
            )) == 0
        })
        .await;
        let told = app
            .emails_to(&sponsor.email)
            .iter()
            .filter(|m| m.header("Subject").starts_with("Your offering is funded"))
            .count();
        assert!(
            drained && told == 1,
            "told {told} times; the sponsor's outbox: {:#?}",
            app.texts(&format!(
                "SELECT COALESCE(kind, '-') || ' sent ' || COALESCE(CAST(sent_at AS TEXT), '-') \
                 || ', attempts ' || CAST(attempts AS TEXT) || ', claimed by ' \
                 || COALESCE(claimed_by, '-') || ', error ' || COALESCE(last_error, '-') AS t \
                 FROM {sponsors}"
            ))
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_investors_concurrent_subscriptions_stay_within_the_12_month_limit() {
    let app = spawn_app().await;
    let operator = app.operator().await;
    let sponsor = app.sponsor().await;
    let offering = app
        .open_offering(
            &sponsor,
            &operator,
            json!({"price_per_share": PRICE, "target_amount": 100_000 * PRICE}),
        )
        .await;
    // Income 80,000.00 and net worth 10,000.00: the limit is 5% of 80,000 = 4,000.00.
    let investor = app
        .investor_with(&operator, 8_000_000, 1_000_000, false, 1_000_000)
        .await;
    let limit = 400_000;
    let each = 30 * PRICE; // 300.00; 20 of them would be 6,000.00

    let replies = join_all(
        (0..20).map(|i| app.subscribe(&investor, &offering, json!(30), format!("lim-{i}"))),
    )
    .await;
    let accepted = replies.iter().filter(|r| r.status == 201).count() as i64;
    for r in replies.iter().filter(|r| r.status != 201) {
        r.assert_problem(422, "investment_limit_exceeded");
        assert!(r.body["remaining_limit"].as_i64().unwrap() < each);
    }
    assert_eq!(
        accepted,
        limit / each,
        "exactly as many as fit under the limit"
    );
    let profile = app
        .get("/api/v1/me/investor-profile", Some(&investor.token))
        .await;
    assert_eq!(profile.body["limit"]["annual_limit"], limit);
    assert_eq!(
        profile.body["limit"]["invested_on_platform_12m"],
        accepted * each
    );
    assert_eq!(profile.body["limit"]["remaining"], limit - accepted * each);
    assert_eq!(app.available(&investor).await, 1_000_000 - accepted * each);
    app.assert_books_balance(&operator).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_subscriptions_cannot_overdraw_the_cash_account() {
    let app = spawn_app().await;
    let operator = app.operator().await;
    let sponsor = app.sponsor().await;
    let offering = app
        .open_offering(
            &sponsor,
            &operator,
            json!({"price_per_share": PRICE, "target_amount": 1_000 * PRICE}),
        )
        .await;
    let investor = app.investor(&operator, 7 * PRICE).await;
    let replies = join_all(
        (0..15).map(|i| app.subscribe(&investor, &offering, json!(1), format!("cash-{i}"))),
    )
    .await;
    assert_eq!(replies.iter().filter(|r| r.status == 201).count(), 7);
    for r in replies.iter().filter(|r| r.status != 201) {
        r.assert_problem(422, "insufficient_funds");
        assert_eq!(r.body["available"], 0);
    }
    assert_eq!(app.available(&investor).await, 0);
    app.assert_books_balance(&operator).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_subscribe_and_cancel_keep_escrow_equal_to_active_subscriptions() {
    let app = spawn_app().await;
    let operator = app.operator().await;
    let sponsor = app.sponsor().await;
    let offering = app
        .open_offering(
            &sponsor,
            &operator,
            json!({"price_per_share": PRICE, "target_amount": 1_000 * PRICE}),
        )
        .await;
    let investors: Vec<Person> =
        join_all((0..10).map(|_| app.investor(&operator, 50 * PRICE))).await;
    // Each investor subscribes twice, then cancels the first while subscribing again.
    let mut first = Vec::new();
    for (i, inv) in investors.iter().enumerate() {
        let r = app
            .subscribe(inv, &offering, json!(5), &format!("a-{i}"))
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        first.push(r.body["id"].as_str().unwrap().to_string());
    }
    let cancels = join_all(investors.iter().zip(&first).map(|(inv, id)| {
        app.post(
            format!("/api/v1/subscriptions/{id}/cancel"),
            Some(&inv.token),
            json!({}),
        )
    }));
    let more = join_all(
        investors
            .iter()
            .enumerate()
            .map(|(i, inv)| app.subscribe(inv, &offering, json!(3), format!("b-{i}"))),
    );
    let (cancels, more) = tokio::join!(cancels, more);
    assert!(cancels.iter().all(|r| r.status == 200), "cancels failed");
    assert!(more.iter().all(|r| r.status == 201), "subscriptions failed");
    // Cancelling twice is refused and changes nothing.
    let again = app
        .post(
            &format!("/api/v1/subscriptions/{}/cancel", first[0]),
            Some(&investors[0].token),
            json!({}),
        )
        .await;
    again.assert_problem(409, "subscription_not_active");
    let o = app.offering(&offering).await;
    assert_eq!(o["progress"]["raised"], 10 * 3 * PRICE);
    assert_eq!(o["progress"]["investor_count"], 10);
    for inv in &investors {
        assert_eq!(app.available(inv).await, 47 * PRICE);
    }
    app.assert_books_balance(&operator).await;
}

/// PostgreSQL, two servers: while one request holds its Idempotency-Key
/// (its claim waits behind a lock the test holds), the same key on the
/// other server answers 409 at once, not after the first one's commit.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_same_key_on_two_servers_at_once_answers_409_without_waiting_for_the_first() {
    use diesel::connection::SimpleConnection;
    use diesel::Connection;
    if !crate::helpers::backend_is_postgres() {
        eprintln!("skipped: on SQLite the second claim waits for the one writer, by design");
        return;
    }
    // Lock waits long enough that a second claim that waited would not
    // come back before the test lets the first one go.
    let patient = [("DATABASE_LOCK_TIMEOUT_MS", "60000")];
    let app = crate::helpers::spawn_app_with(&patient).await;
    let second = app.spawn_sibling(&patient).await;
    let operator = app.operator().await;
    let investor = app.investor(&operator, 0).await;

    // The test holds the investor's user row: the first request's claim
    // (whose key row refers to it) waits for it while holding its key.
    let url = app.database_url_string();
    let mut holder = diesel::PgConnection::establish(&url).expect("test connection");
    holder
        .batch_execute(&format!(
            "BEGIN; SELECT id FROM users WHERE id = '{}' FOR UPDATE",
            investor.id
        ))
        .expect("hold the user's row");
    let first = {
        let (client, url, token) = (
            app.client.clone(),
            app.url("/api/v1/me/deposits"),
            investor.token.clone(),
        );
        tokio::spawn(async move {
            let resp = client
                .post(url)
                .bearer_auth(token)
                .header("Idempotency-Key", "twice")
                .json(&json!({"amount": 100}))
                .send()
                .await
                .expect("request sent");
            crate::helpers::read(resp).await
        })
    };
    let database = url
        .rsplit('/')
        .next()
        .and_then(|s| s.split('?').next())
        .unwrap()
        .to_string();
    let waiting = crate::helpers::eventually(Duration::from_secs(20), || {
        app.count(&format!(
            "pg_stat_activity WHERE datname = '{database}' AND wait_event_type = 'Lock' \
             AND query LIKE 'INSERT INTO %idempotency_keys%'"
        )) == 1
    })
    .await;
    assert!(waiting, "the first request's claim never waited");

    // The same key on the other server, while the first still holds it.
    let again = second
        .post_keyed(
            "/api/v1/me/deposits",
            Some(&investor.token),
            "twice",
            json!({"amount": 100}),
        )
        .await;
    again.assert_problem(409, "idempotency_in_progress");
    assert!(
        !first.is_finished(),
        "the first request is still waiting: the 409 did not wait for it"
    );

    holder.batch_execute("ROLLBACK").expect("let go");
    let first = first.await.expect("the first request answered");
    assert_eq!(first.status, 201, "{}", first.body);
    // Once it has answered, the key replays its answer on either server.
    let replay = second
        .post_keyed(
            "/api/v1/me/deposits",
            Some(&investor.token),
            "twice",
            json!({"amount": 100}),
        )
        .await;
    assert_eq!(replay.status, 201, "{}", replay.body);
    assert_eq!(replay.headers["idempotent-replayed"], "true");
    assert_eq!(replay.body["reference"], first.body["reference"]);
    assert_eq!(app.count("deposits"), 1);
}
