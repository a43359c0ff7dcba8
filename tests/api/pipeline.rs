//! The group-committed write path: what one batch does with refusals and
//! with the request that funds the round in its middle, several servers
//! batching against one database, and a server killed mid-batch.

use std::time::Duration;

use futures_util::future::join_all;
use serde_json::{json, Value};

use crate::helpers::{backend_is_postgres, read, spawn_app_with, unique_email, Reply, TestApp};
use crate::world::Person;

const PRICE: i64 = 1_000;

async fn subscribe_at(
    app: &TestApp,
    base: &str,
    investor: &Person,
    offering: &str,
    shares: i64,
    key: &str,
) -> Option<Reply> {
    let resp = app
        .client
        .post(format!("{base}/api/v1/offerings/{offering}/subscriptions"))
        .bearer_auth(&investor.token)
        .header("Idempotency-Key", key)
        .json(&json!({"shares": shares}))
        .send()
        .await
        .ok()?;
    Some(read(resp).await)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_batch_refuses_some_requests_and_funds_the_round_in_its_middle() {
    // A long window and one writer: requests sent within it share a batch.
    let app = spawn_app_with(&[("WRITE_BATCH_WINDOW_US", "800000"), ("WRITE_WRITERS", "1")]).await;
    let operator = app.operator().await;
    let sponsor = app.sponsor().await;
    let offering = app
        .open_offering(
            &sponsor,
            &operator,
            json!({"price_per_share": PRICE, "target_amount": 11 * PRICE}),
        )
        .await;
    let ada = app.investor(&operator, 20 * PRICE).await;
    // Committed before the batch: its key exists when the batch claims keys.
    let earlier = app.subscribe(&ada, &offering, json!(1), "a0").await;
    assert_eq!(earlier.status, 201, "{}", earlier.body);
    let poor = app.investor(&operator, 2 * PRICE).await;
    let late = app.investor(&operator, 5 * PRICE).await;
    let unverified = {
        let email = unique_email("nokyc");
        let (id, token, _) = app.signed_up(&email, "investor").await;
        Person { id, email, token }
    };

    // In this order, 40 ms apart, all inside one batch window.
    let plan: Vec<(&Person, i64, &str)> = vec![
        (&ada, 4, "a1"),        // accepted: 1 + 4 of 11
        (&poor, 3, "p1"),       // insufficient_funds (has 2 shares' worth)
        (&unverified, 1, "u1"), // kyc_required
        (&ada, 7, "a2"),        // exceeds_remaining (6 left)
        (&ada, 6, "a3"),        // accepted: funds the round exactly
        (&late, 1, "l1"),       // offering_not_open: funded a moment ago
        (&ada, 4, "a1"),        // the same request again: the first answer
        (&ada, 5, "a1"),        // the same key, another body: 422
        (&ada, 2, "a0"),        // an existing key, another body: 422
        (&ada, 1, "a0"),        // an existing key, its own body: its first answer
    ];
    let replies = join_all(plan.iter().enumerate().map(|(i, (who, shares, key))| {
        let app = &app;
        let offering = &offering;
        async move {
            tokio::time::sleep(Duration::from_millis(40 * i as u64)).await;
            subscribe_at(app, &app.address, who, offering, *shares, key)
                .await
                .expect("answered")
        }
    }))
    .await;

    assert_eq!(replies[0].status, 201, "{}", replies[0].body);
    assert_eq!(replies[0].body["offering_status"], "open");
    replies[1].assert_problem(422, "insufficient_funds");
    assert_eq!(replies[1].body["available"], 2 * PRICE);
    replies[2].assert_problem(403, "kyc_required");
    replies[3].assert_problem(409, "exceeds_remaining");
    assert_eq!(replies[3].body["remaining_shares"], 6);
    assert_eq!(replies[4].status, 201, "{}", replies[4].body);
    assert_eq!(replies[4].body["offering_status"], "funded");
    replies[5].assert_problem(409, "offering_not_open");
    assert_eq!(replies[5].body["offering_status"], "funded");
    assert_eq!(replies[6].status, 201, "{}", replies[6].body);
    assert_eq!(replies[6].body, replies[0].body);
    assert_eq!(
        replies[6].headers.get("idempotent-replayed").unwrap(),
        "true"
    );
    replies[7].assert_problem(422, "idempotency_key_mismatch");
    replies[8].assert_problem(422, "idempotency_key_mismatch");
    assert_eq!(replies[9].status, 201, "{}", replies[9].body);
    assert_eq!(replies[9].body, earlier.body);

    // One transaction wrote both of the batch's subscriptions, and nothing
    // else: a batch writes all its rows at one time.
    assert_eq!(app.count("subscriptions"), 3);
    let earlier_id = earlier.body["id"].as_str().unwrap();
    assert_eq!(
        app.count(&format!(
            "(SELECT DISTINCT created_at FROM subscriptions WHERE id <> '{earlier_id}') AS t"
        )),
        1
    );
    assert_eq!(app.count("journal_entries WHERE kind = 'subscription'"), 3);
    let now = app.offering(&offering).await;
    assert_eq!(now["status"], "funded");
    assert_eq!(now["progress"]["raised"], 11 * PRICE);
    assert_eq!(app.available(&ada).await, 9 * PRICE);
    assert_eq!(app.available(&poor).await, 2 * PRICE);
    assert_eq!(app.available(&late).await, 5 * PRICE);
    // Each answered key holds its answer, refusals included, for replays.
    assert_eq!(app.count("idempotency_keys WHERE status_code IS NULL"), 0);
    let replay = subscribe_at(&app, &app.address, &poor, &offering, 3, "p1")
        .await
        .unwrap();
    replay.assert_problem(422, "insufficient_funds");
    // The audit log has both, the confirmations and the funding notices went out.
    assert_eq!(
        app.count("audit_log WHERE action = 'subscription.created'"),
        3
    );
    app.wait_for_email(&ada.email, "Subscription confirmed")
        .await;
    app.wait_for_email(&ada.email, "Offering funded").await;
    app.wait_for_email(&sponsor.email, "Your offering is funded")
        .await;
    assert!(app
        .emails_to(&late.email)
        .iter()
        .all(|m| !m.header("Subject").contains("Offering funded")));
    app.assert_books_balance(&operator).await;
    let (ok, report) = app.verify_ledger();
    assert!(ok, "{report}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_servers_on_one_database_never_oversubscribe() {
    let app = spawn_app_with(&[]).await;
    let second = app.spawn_sibling(&[]).await;
    let third = app.spawn_sibling(&[]).await;
    let operator = app.operator().await;
    let sponsor = app.sponsor().await;
    let target_shares = 150;
    let offering = app
        .open_offering(
            &sponsor,
            &operator,
            json!({"price_per_share": PRICE, "target_amount": target_shares * PRICE}),
        )
        .await;
    let investors: Vec<Person> =
        join_all((0..30).map(|_| app.investor(&operator, 20 * PRICE))).await;

    // 300 one-share requests, spread over the three servers: twice the target.
    let bases = [&app.address, &second.address, &third.address];
    let replies: Vec<(usize, Option<Reply>)> = join_all((0..300).map(|i| {
        let (app, investors, offering) = (&app, &investors, &offering);
        async move {
            let reply = subscribe_at(
                app,
                bases[i % 3],
                &investors[i % investors.len()],
                offering,
                1,
                &format!("k{i}"),
            )
            .await;
            (i, reply)
        }
    }))
    .await;

    let mut accepted_ids: Vec<String> = Vec::new();
    let mut spent = vec![0; investors.len()];
    for (i, reply) in &replies {
        let reply = reply.as_ref().expect("every request answered");
        match reply.status.as_u16() {
            201 => {
                accepted_ids.push(reply.body["id"].as_str().unwrap().to_string());
                spent[i % investors.len()] += PRICE;
            }
            409 => assert!(
                matches!(reply.code(), "exceeds_remaining" | "offering_not_open"),
                "{}",
                reply.body
            ),
            other => panic!("unexpected {other}: {}", reply.body),
        }
    }
    // Demand was twice the target: the round funds exactly, never above.
    assert_eq!(accepted_ids.len() as i64, target_shares);
    let now = app.offering(&offering).await;
    assert_eq!(now["status"], "funded");
    assert_eq!(now["progress"]["raised"], target_shares * PRICE);
    // Every acknowledged subscription is there, and nothing else.
    accepted_ids.sort();
    let mut stored: Vec<String> = Vec::new();
    for id in &accepted_ids {
        let n = app.count(&format!(
            "subscriptions WHERE id = '{id}' AND status = 'active'"
        ));
        assert_eq!(n, 1, "acknowledged subscription {id} is missing");
        stored.push(id.clone());
    }
    assert_eq!(app.count("subscriptions"), target_shares);
    for (i, investor) in investors.iter().enumerate() {
        assert_eq!(app.available(investor).await, 20 * PRICE - spent[i]);
    }
    // One funding notice to the sponsor, whichever server closed the round.
    assert!(
        crate::helpers::eventually(Duration::from_secs(10), || {
            app.emails_to(&sponsor.email)
                .iter()
                .filter(|m| m.header("Subject").starts_with("Your offering is funded"))
                .count()
                == 1
        })
        .await
    );
    app.assert_books_balance(&operator).await;
    let (ok, report) = app.verify_ledger();
    assert!(ok, "{report}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_server_killed_mid_batch_loses_no_acknowledged_subscription() {
    let app = spawn_app_with(&[]).await;
    let operator = app.operator().await;
    let sponsor = app.sponsor().await;
    let offering = app
        .open_offering(
            &sponsor,
            &operator,
            json!({"price_per_share": PRICE, "target_amount": 100_000 * PRICE}),
        )
        .await;
    let investors: Vec<Person> =
        join_all((0..16).map(|_| app.investor(&operator, 1_000 * PRICE))).await;
    let mut server = app.spawn_process(&[]).await;

    // 16 clients subscribe in a loop; the server is killed while they do.
    let address = server.address.clone();
    let clients = investors.iter().enumerate().map(|(c, investor)| {
        let (app, offering, address) = (&app, &offering, &address);
        async move {
            let mut acknowledged: Vec<(String, Value)> = Vec::new();
            for n in 0.. {
                let key = format!("c{c}-{n}");
                match subscribe_at(app, address, investor, offering, 1, &key).await {
                    Some(reply) if reply.status == 201 => acknowledged.push((key, reply.body)),
                    Some(reply) => panic!("unexpected {}: {}", reply.status, reply.body),
                    // The server is gone.
                    None => break,
                }
            }
            acknowledged
        }
    });
    let killer = async {
        tokio::time::sleep(Duration::from_millis(1500)).await;
        server.kill();
    };
    let (acknowledged, ()) = tokio::join!(join_all(clients), killer);
    let acknowledged: Vec<(usize, String, Value)> = acknowledged
        .into_iter()
        .enumerate()
        .flat_map(|(c, acks)| acks.into_iter().map(move |(k, v)| (c, k, v)))
        .collect();
    assert!(
        acknowledged.len() > 10,
        "the load ran: {}",
        acknowledged.len()
    );

    // Every acknowledged subscription is in the database...
    for (_, _, body) in &acknowledged {
        let id = body["id"].as_str().unwrap();
        assert_eq!(
            app.count(&format!("subscriptions WHERE id = '{id}'")),
            1,
            "acknowledged subscription {id} was lost"
        );
    }
    // ...nothing is half-applied: each subscription has its entry, its
    // confirmation and its audit record, and each answered key its answer...
    let subscriptions = app.count("subscriptions");
    assert!(subscriptions >= acknowledged.len() as i64);
    assert_eq!(
        app.count("journal_entries WHERE kind = 'subscription'"),
        subscriptions
    );
    assert_eq!(
        app.count("audit_log WHERE action = 'subscription.created'"),
        subscriptions
    );
    assert_eq!(
        app.count("outbox WHERE kind = 'subscription_confirmed'"),
        subscriptions
    );
    assert_eq!(app.count("idempotency_keys WHERE status_code IS NULL"), 0);
    // Deposits were announced with keys too.
    assert_eq!(
        app.count("idempotency_keys WHERE status_code = 201") - app.count("deposits"),
        subscriptions
    );
    let raised = app.offering(&offering).await["progress"]["raised"]
        .as_i64()
        .unwrap();
    assert_eq!(raised, subscriptions * PRICE);
    let (ok, report) = app.verify_ledger();
    assert!(ok, "{report}");
    // ...and the answers survived too: a retry replays the same subscription.
    for (c, key, body) in acknowledged.iter().rev().take(5) {
        let replay = app
            .subscribe(&investors[*c], &offering, json!(1), key.as_str())
            .await;
        assert_eq!(replay.status, 201, "{}", replay.body);
        assert_eq!(&replay.body, body);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_stuck_lock_times_out_with_a_503_and_changes_nothing() {
    if !crate::helpers::backend_is_postgres() {
        // SQLite has no row locks; its writers queue on the write lock.
        eprintln!("lock_timeout is PostgreSQL's: nothing to test on SQLite");
        return;
    }
    let app = spawn_app_with(&[("DATABASE_LOCK_TIMEOUT_MS", "300")]).await;
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

    // Another session holds the offering's row and does not let go.
    use diesel::connection::SimpleConnection;
    use diesel::Connection;
    let mut blocker = diesel::PgConnection::establish(&app.database_url_string()).unwrap();
    blocker
        .batch_execute(&format!(
            "BEGIN; SELECT 1 FROM offerings WHERE id = '{offering}' FOR UPDATE;"
        ))
        .unwrap();
    let started = std::time::Instant::now();
    let stuck = app.subscribe(&investor, &offering, json!(2), "stuck").await;
    stuck.assert_problem(503, "database_busy");
    assert!(stuck.headers.get("retry-after").is_some());
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "it did not hang"
    );
    assert_eq!(app.count("subscriptions"), 0);
    assert_eq!(app.count("idempotency_keys WHERE idem_key = 'stuck'"), 0);
    assert_eq!(app.available(&investor).await, 10 * PRICE);

    // Once the lock is gone, the same request goes through.
    blocker.batch_execute("ROLLBACK;").unwrap();
    let retried = app.subscribe(&investor, &offering, json!(2), "stuck").await;
    assert_eq!(retried.status, 201, "{}", retried.body);
    assert_eq!(app.count("subscriptions"), 1);
    assert_eq!(app.available(&investor).await, 8 * PRICE);
    app.assert_books_balance(&operator).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_batch_writes_every_character_of_its_rows_as_given() {
    // A batch's rows travel to the database as one JSON array: text that
    // looks like JSON, SQL, placeholders or escapes must come back as sent.
    let app = spawn_app_with(&[("WRITE_BATCH_WINDOW_US", "500000"), ("WRITE_WRITERS", "1")]).await;
    let operator = app.operator().await;
    let sponsor = app.sponsor().await;
    let title = r#"Quote "q" back\slash 'apos' 😀 [1,"x"] {"k":null} ?1 $1 \u0041"#;
    let offering = app
        .open_offering(
            &sponsor,
            &operator,
            json!({"title": title, "price_per_share": PRICE, "target_amount": 100 * PRICE}),
        )
        .await;
    let mut investors = Vec::new();
    for _ in 0..3 {
        investors.push(app.investor(&operator, 10 * PRICE).await);
    }
    let replies = join_all(investors.iter().enumerate().map(|(i, who)| {
        let app = &app;
        let offering = &offering;
        async move {
            let key = format!(r#"k"{i}\'"#);
            subscribe_at(app, &app.address, who, offering, 1 + i as i64, &key)
                .await
                .expect("answered")
        }
    }))
    .await;
    for reply in &replies {
        assert_eq!(reply.status, 201, "{}", reply.body);
    }

    let literal = title.replace('\'', "''");
    assert_eq!(
        app.count(&format!(
            "journal_entries WHERE description LIKE 'Subscription for _ shares of {literal}' \
             ESCAPE '!'"
        )),
        3
    );
    assert_eq!(app.count("outbox WHERE kind = 'subscription_confirmed'"), 3);
    // The message kept the title as data: each email names it as given.
    for who in &investors {
        let mail = app
            .wait_for_email(&who.email, "Subscription confirmed")
            .await;
        assert_eq!(
            mail.header("Subject"),
            format!("Subscription confirmed: {title}")
        );
    }
    assert_eq!(
        app.count("audit_log WHERE action = 'subscription.created'"),
        3
    );
    // The saved answers replay byte for byte, under keys with quotes and a
    // backslash in them.
    for (i, (who, first)) in investors.iter().zip(&replies).enumerate() {
        let key = format!(r#"k"{i}\'"#);
        let again = subscribe_at(&app, &app.address, who, &offering, 1 + i as i64, &key)
            .await
            .expect("answered");
        assert_eq!(again.status, 201, "{}", again.body);
        assert_eq!(again.body, first.body);
        assert_eq!(again.headers.get("idempotent-replayed").unwrap(), "true");
    }
    // Amounts are integers as sent: 1 + 2 + 3 shares.
    let now = app.offering(&offering).await;
    assert_eq!(now["progress"]["raised"], 6 * PRICE, "{now}");
}

/// On SQLite the write path's commits never copy the write-ahead log into
/// the database file themselves: the server's checkpointer does, on its own
/// thread, within a moment of their commit and with no other writer to do it.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn on_sqlite_the_checkpointer_copies_what_the_write_path_committed() {
    if backend_is_postgres() {
        return;
    }
    let app = spawn_app_with(&[("WRITE_WRITERS", "1")]).await;
    let operator = app.operator().await;
    let sponsor = app.sponsor().await;
    let offering = app
        .open_offering(
            &sponsor,
            &operator,
            json!({"price_per_share": PRICE, "target_amount": 1_000 * PRICE}),
        )
        .await;
    let mut investors = Vec::new();
    for _ in 0..4 {
        investors.push(app.investor(&operator, 100 * PRICE).await);
    }
    let url = app.database_url_string();
    let shm = format!("{}-shm", url.trim_start_matches("sqlite://"));
    let replies = join_all(investors.iter().enumerate().flat_map(|(i, who)| {
        let app = &app;
        let offering = &offering;
        (0..5).map(move |n| async move {
            subscribe_at(app, &app.address, who, offering, 1, &format!("wal-{i}-{n}"))
                .await
                .expect("answered")
        })
    }))
    .await;
    for reply in &replies {
        assert_eq!(reply.status, 201, "{}", reply.body);
    }

    // The write-ahead log's index (https://sqlite.org/walformat.html):
    // `mxFrame`, the last valid frame, at byte 16; `nBackfill`, the frames
    // already copied into the database file, at byte 96; native byte order.
    let frames = || {
        let bytes = std::fs::read(&shm).expect("the -shm file beside the database");
        let word = |at: usize| u32::from_ne_bytes(bytes[at..at + 4].try_into().unwrap());
        (word(16), word(96))
    };
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    loop {
        let (last, copied) = frames();
        if last == copied {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the log still holds frames {copied}..{last} that were never checkpointed"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let now = app.offering(&offering).await;
    assert_eq!(now["progress"]["raised"], 20 * PRICE, "{now}");
}
