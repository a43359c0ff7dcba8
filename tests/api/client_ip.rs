//! Which address a login counts against: the TCP peer, unless the peer is a
//! trusted proxy (`TRUSTED_PROXIES`); then the right-most forwarded address
//! that is not a trusted proxy.

use std::future::Future;

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{read, spawn_app_with, unique_email, TestApp, LOOPBACK};

async fn login_via(app: &TestApp, email: &str, header: (&str, &str)) -> StatusCode {
    let resp = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .header(header.0, header.1)
        .json(&json!({"email": email, "password": "not the password"}))
        .send()
        .await
        .unwrap();
    read(resp).await.status
}

fn minute() -> i64 {
    chrono::Utc::now().timestamp().div_euclid(60)
}

/// Runs `attempt(n)` until a run begins and ends in one clock minute: the
/// limit counts per minute, and a run split across two windows proves
/// nothing. Each run gets its own number, so it can use fresh addresses.
async fn in_one_window<F, Fut, T>(mut attempt: F) -> T
where
    F: FnMut(u8) -> Fut,
    Fut: Future<Output = T>,
{
    let mut n = 1;
    loop {
        let start = minute();
        let result = attempt(n).await;
        if minute() == start {
            return result;
        }
        n += 1;
    }
}

#[tokio::test]
async fn without_trusted_proxies_forwarded_addresses_share_the_peers_bucket() {
    let app = spawn_app_with(&[("LOGIN_RATE_LIMIT_PER_MINUTE", "3")]).await;
    let email = unique_email("xff");
    let last = in_one_window(|n| {
        let (app, email) = (&app, &email);
        async move {
            for i in 0..3 {
                let ip = format!("198.51.{n}.{i}");
                login_via(app, email, ("X-Forwarded-For", &ip)).await;
            }
            login_via(app, email, ("X-Forwarded-For", &format!("203.0.113.{n}"))).await
        }
    })
    .await;
    assert_eq!(last, 429);
    // Every attempt was counted against the test client's own address.
    let peer = "bucket IN ('login:address:127.0.0.1', 'login:address:::1')";
    assert_eq!(app.count(&format!("rate_limits WHERE NOT ({peer})")), 0);
    assert!(app.count(&format!("rate_limits WHERE {peer}")) >= 1);
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_forwarded_client_has_its_own_bucket() {
    let app = spawn_app_with(&[
        ("LOGIN_RATE_LIMIT_PER_MINUTE", "3"),
        ("TRUSTED_PROXIES", LOOPBACK),
    ])
    .await;
    let email = unique_email("xff");
    let (first, second) = in_one_window(|n| {
        let (app, email) = (&app, &email);
        async move {
            let a = format!("198.51.100.{n}");
            let b = format!("2001:db8::{n}");
            let mut first = Vec::new();
            for _ in 0..4 {
                first.push(login_via(app, email, ("X-Forwarded-For", &a)).await);
            }
            let second = login_via(app, email, ("Forwarded", &format!("for=\"[{b}]\""))).await;
            (first, second)
        }
    })
    .await;
    assert_eq!(first, [401, 401, 401, 429], "the limit holds per client");
    assert_eq!(second, 401, "another client has its own bucket");
    assert_eq!(
        app.count("rate_limits WHERE bucket IN ('login:address:127.0.0.1', 'login:address:::1')"),
        0
    );
}

#[tokio::test]
async fn a_forged_leftmost_entry_does_not_escape_the_bucket() {
    let app = spawn_app_with(&[
        ("LOGIN_RATE_LIMIT_PER_MINUTE", "3"),
        ("TRUSTED_PROXIES", LOOPBACK),
    ])
    .await;
    let email = unique_email("xff");
    let statuses = in_one_window(|n| {
        let (app, email) = (&app, &email);
        async move {
            // What the proxy saw is the right-most entry; the client wrote
            // the rest.
            let real = format!("203.0.113.{n}");
            let mut statuses = Vec::new();
            for forged in ["1.1.1.1", "8.8.8.8, 9.9.9.9", "unknown", "10.0.0.1"] {
                let chain = format!("{forged}, {real}");
                statuses.push(login_via(app, email, ("X-Forwarded-For", &chain)).await);
            }
            let forwarded = format!("for=4.4.4.4, for={real}");
            statuses.push(login_via(app, email, ("Forwarded", &forwarded)).await);
            statuses
        }
    })
    .await;
    assert_eq!(statuses, [401, 401, 401, 429, 429]);
    // Only the real addresses were charged: not the forged ones, not the proxy.
    assert_eq!(
        app.count("rate_limits WHERE bucket NOT LIKE 'login:address:203.0.113.%'"),
        0
    );
}
