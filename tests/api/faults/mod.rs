//! Faults survived for real: a PostgreSQL of the test's own restarted and
//! its connections terminated under load, a start-up before the database,
//! a SQLite disk that fills up, a server killed while it relays mail.
//! Each runs load through the fault, then checks that no request got a
//! 500, that every acknowledged write is there, that retries with the same
//! Idempotency-Key finish the rest exactly once, and that `verify-ledger`
//! is clean.

mod database;
mod disk;
mod takeover;

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use futures_util::future::join_all;
use serde_json::{json, Value};

use crate::helpers::{read, TestApp};
use crate::world::Person;

pub const PRICE: i64 = 1_000;

/// One subscription request sent during a fault, and how it was answered.
#[derive(Debug)]
pub struct Attempt {
    pub investor: usize,
    pub key: String,
    /// 0: no answer (the connection was refused or cut).
    pub status: u16,
    /// No answer because no connection could be made (the server was not
    /// listening), as opposed to one cut off mid-request.
    pub refused: bool,
    pub body: Value,
    /// When the answer came.
    pub answered: Instant,
}

/// A round large enough that the load never fills it, and its investors.
pub async fn round(app: &TestApp, investors: usize) -> (Person, String, Vec<Person>) {
    let operator = app.operator().await;
    let sponsor = app.sponsor().await;
    let offering = app
        .open_offering(
            &sponsor,
            &operator,
            json!({"price_per_share": PRICE, "target_amount": 1_000_000 * PRICE}),
        )
        .await;
    let investors = join_all((0..investors).map(|_| app.investor(&operator, 10_000 * PRICE))).await;
    (operator, offering, investors)
}

/// Each investor subscribes one share at a time, each with a new key, until
/// `stop`; every answer is kept. Refused connections count as no answer.
pub async fn load(
    app: &TestApp,
    investors: &[Person],
    offering: &str,
    stop: &AtomicBool,
) -> Vec<Attempt> {
    let clients = investors
        .iter()
        .enumerate()
        .map(|(i, investor)| async move {
            let mut attempts = Vec::new();
            for n in 0.. {
                if stop.load(Ordering::SeqCst) {
                    break;
                }
                let key = format!("load-{i}-{n}");
                let sent = app
                    .client
                    .post(app.url(&format!("/api/v1/offerings/{offering}/subscriptions")))
                    .bearer_auth(&investor.token)
                    .header("Idempotency-Key", &key)
                    .json(&json!({"shares": 1}))
                    .send()
                    .await;
                let (status, body, refused) = match sent {
                    Ok(resp) => {
                        let reply = read(resp).await;
                        (reply.status.as_u16(), reply.body, false)
                    }
                    Err(e) => (0, Value::String(format!("{e:?}")), e.is_connect()),
                };
                if status != 201 {
                    // A client backs off on a 503.
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                attempts.push(Attempt {
                    investor: i,
                    key,
                    status,
                    refused,
                    body,
                    answered: Instant::now(),
                });
            }
            attempts
        });
    join_all(clients).await.into_iter().flatten().collect()
}

/// Checks the answers given during the fault, retries every request that
/// was not acknowledged with its own key until it is, and checks the books:
/// one subscription per key, each acknowledged one present, nothing
/// half-applied, `verify-ledger` clean. Returns how many 503s of each code
/// were seen.
async fn settle_up(
    app: &TestApp,
    operator: &Person,
    investors: &[Person],
    offering: &str,
    attempts: &[Attempt],
) -> std::collections::BTreeMap<String, usize> {
    let mut unavailable = std::collections::BTreeMap::new();
    for a in attempts {
        match a.status {
            201 | 0 => {}
            503 => {
                let code = a.body["code"].as_str().unwrap_or("").to_string();
                assert!(
                    [
                        "database_unavailable",
                        "database_busy",
                        "storage_full",
                        "overloaded"
                    ]
                    .contains(&code.as_str()),
                    "an unexpected 503: {}",
                    a.body
                );
                *unavailable.entry(code).or_default() += 1;
            }
            other => panic!("key {} was answered {other}: {}", a.key, a.body),
        }
    }
    let acknowledged: Vec<&Attempt> = attempts.iter().filter(|a| a.status == 201).collect();
    for a in &acknowledged {
        let id = a.body["id"].as_str().expect("a subscription id");
        assert_eq!(
            app.count(&format!("subscriptions WHERE id = '{id}'")),
            1,
            "acknowledged subscription {id} was lost"
        );
    }
    // Every request that was not acknowledged is sent again with its key:
    // it was either done (and is replayed) or not (and is done now).
    for a in attempts.iter().filter(|a| a.status != 201) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let reply = app
                .subscribe(&investors[a.investor], offering, json!(1), a.key.as_str())
                .await;
            match reply.status.as_u16() {
                201 => break,
                // The key of a request cut off mid-way is released shortly.
                503 | 409 if Instant::now() < deadline => {
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                other => panic!("retrying {} was answered {other}: {}", a.key, reply.body),
            }
        }
    }
    let keys = attempts.len() as i64;
    assert_eq!(
        app.count("subscriptions"),
        keys,
        "one subscription per key, no more, no fewer"
    );
    assert_eq!(
        app.count("journal_entries WHERE kind = 'subscription'"),
        keys
    );
    assert_eq!(
        app.count("audit_log WHERE action = 'subscription.created'"),
        keys
    );
    assert_eq!(app.count("idempotency_keys WHERE status_code IS NULL"), 0);
    let raised = app.offering(offering).await["progress"]["raised"]
        .as_i64()
        .expect("raised");
    assert_eq!(raised, keys * PRICE);
    app.assert_books_balance(operator).await;
    let (ok, report) = app.verify_ledger();
    assert!(ok, "{report}");
    unavailable
}
