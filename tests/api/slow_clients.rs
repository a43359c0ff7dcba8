//! Slow and numerous clients cannot hold the server: a request head and a
//! request body each have a deadline, and connections past the cap wait.

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::{spawn_app_with, TestApp};

/// How long a test waits for what must happen (the deadlines here are 1 s).
const BOUND: Duration = Duration::from_secs(30);

fn socket_address(app: &TestApp) -> String {
    app.address.trim_start_matches("http://").to_string()
}

/// What a slow client saw: everything the server sent, and whether the
/// server closed the connection (within [`BOUND`]).
struct Seen {
    answer: String,
    closed: bool,
}

/// Sends `head`, then `drip` every 100 ms, reading all the while, until
/// the server closes the connection or [`BOUND`] passes.
async fn trickle(app: &TestApp, head: &str, drip: &str) -> Seen {
    let mut stream = TcpStream::connect(socket_address(app)).await.unwrap();
    stream.write_all(head.as_bytes()).await.unwrap();
    let deadline = Instant::now() + BOUND;
    let mut answer = Vec::new();
    let mut buf = [0u8; 4096];
    let mut closed = false;
    while Instant::now() < deadline {
        tokio::select! {
            read = stream.read(&mut buf) => match read {
                Ok(0) | Err(_) => { closed = true; break; }
                Ok(n) => answer.extend_from_slice(&buf[..n]),
            },
            _ = tokio::time::sleep(Duration::from_millis(100)) => {
                // A write to a closed connection may fail; the read says so.
                let _ = stream.write_all(drip.as_bytes()).await;
            }
        }
    }
    Seen {
        answer: String::from_utf8_lossy(&answer).into_owned(),
        closed,
    }
}

#[tokio::test]
async fn a_body_trickled_in_is_cut_off() {
    let app = spawn_app_with(&[("REQUEST_BODY_TIMEOUT_MS", "1000")]).await;

    // Content-Length: 1,000 bytes announced, one sent every 100 ms.
    let seen = trickle(
        &app,
        "POST /api/v1/auth/login HTTP/1.1\r\nHost: app.test\r\n\
         Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{",
        " ",
    )
    .await;
    assert!(seen.closed, "the connection is still open: {}", seen.answer);
    assert!(seen.answer.starts_with("HTTP/1.1 408"), "{}", seen.answer);
    assert!(seen.answer.contains("\"body_timeout\""), "{}", seen.answer);
    assert!(
        seen.answer.contains("application/problem+json"),
        "{}",
        seen.answer
    );

    // Chunked, one byte per chunk, to a route that reads its body.
    let seen = trickle(
        &app,
        "POST /api/v1/auth/register HTTP/1.1\r\nHost: app.test\r\n\
         Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n1\r\n{\r\n",
        "1\r\n \r\n",
    )
    .await;
    assert!(seen.closed, "the connection is still open: {}", seen.answer);
    assert!(seen.answer.starts_with("HTTP/1.1 408"), "{}", seen.answer);

    // Chunked to a route that reads no body: answered, then closed rather
    // than read on for ever.
    let seen = trickle(
        &app,
        "GET /healthz HTTP/1.1\r\nHost: app.test\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\r\n",
        "1\r\nx\r\n",
    )
    .await;
    assert!(seen.closed, "the connection is still open: {}", seen.answer);
    assert!(seen.answer.starts_with("HTTP/1.1 200"), "{}", seen.answer);

    // The same when a middleware refuses the request before any handler.
    let seen = trickle(
        &app,
        "POST /api/v1/offerings/%00/submit HTTP/1.1\r\nHost: app.test\r\n\
         Transfer-Encoding: chunked\r\n\r\n1\r\nx\r\n",
        "1\r\nx\r\n",
    )
    .await;
    assert!(seen.closed, "the connection is still open: {}", seen.answer);
    assert!(seen.answer.starts_with("HTTP/1.1 400"), "{}", seen.answer);

    // Bodies sent at once are read as always, on a connection kept alive.
    let register = app
        .register(&crate::helpers::unique_email("fast"), "investor")
        .await;
    assert_eq!(register.status, 201, "{}", register.body);
    let mut stream = TcpStream::connect(socket_address(&app)).await.unwrap();
    for _ in 0..2 {
        let body = r#"{"email":"nobody@example.com","password":"x"}"#;
        let request = format!(
            "POST /api/v1/auth/login HTTP/1.1\r\nHost: app.test\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut buf = [0u8; 4096];
        let n = tokio::time::timeout(BOUND, stream.read(&mut buf))
            .await
            .unwrap()
            .unwrap();
        let answer = String::from_utf8_lossy(&buf[..n]);
        assert!(answer.starts_with("HTTP/1.1 401"), "{answer}");
    }
}

#[tokio::test]
async fn a_head_trickled_in_is_cut_off() {
    let app = spawn_app_with(&[("REQUEST_HEADER_TIMEOUT_MS", "1000")]).await;
    let seen = trickle(
        &app,
        "GET /healthz HTTP/1.1\r\nHost: app.test\r\n",
        "X-Slow: a\r\n",
    )
    .await;
    assert!(seen.closed, "the connection is still open: {}", seen.answer);
    assert!(
        seen.answer.is_empty() || seen.answer.starts_with("HTTP/1.1 408"),
        "{}",
        seen.answer
    );
}

#[tokio::test]
async fn connections_past_the_cap_wait_their_turn() {
    let app = spawn_app_with(&[
        ("MAX_CONNECTIONS", "2"),
        ("HTTP_WORKERS", "1"),
        ("REQUEST_HEADER_TIMEOUT_MS", "60000"),
    ])
    .await;
    // Two connections that hold their place, headers unfinished.
    let mut held = Vec::new();
    for _ in 0..2 {
        let mut stream = TcpStream::connect(socket_address(&app)).await.unwrap();
        stream
            .write_all(b"GET /healthz HTTP/1.1\r\nHost: app.test\r\n")
            .await
            .unwrap();
        held.push(stream);
    }
    // Give the server time to take both in before the third arrives.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut third = TcpStream::connect(socket_address(&app)).await.unwrap();
    third
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: app.test\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut buf = [0u8; 4096];
    // Not served while the cap is reached (an answer would come in
    // milliseconds)...
    let early = tokio::time::timeout(Duration::from_secs(1), third.read(&mut buf)).await;
    assert!(early.is_err(), "served past the cap: {early:?}");
    // ...and served as soon as a place is free.
    drop(held.pop());
    let n = tokio::time::timeout(BOUND, third.read(&mut buf))
        .await
        .expect("served once a connection closed")
        .unwrap();
    let answer = String::from_utf8_lossy(&buf[..n]);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}
