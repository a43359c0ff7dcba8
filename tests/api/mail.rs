//! The outbox and its relay over real SMTP: delivery, retry after an outage,
//! and several instances never sending one message twice.

use std::collections::HashMap;
use std::time::Duration;

use futures_util::future::join_all;

use crate::helpers::{eventually, spawn_app_with, unique_email};
use crate::smtp_sink::SmtpSink;

fn smtp_url(port: u16) -> String {
    format!("smtp://127.0.0.1:{port}")
}

#[tokio::test]
async fn mail_is_delivered_over_smtp() {
    let sink = SmtpSink::start().await;
    let url = smtp_url(sink.port);
    let app = spawn_app_with(&[("SMTP_URL", &url)]).await;
    let email = unique_email("smtp");
    assert_eq!(app.register(&email, "investor").await.status, 201);
    assert!(
        eventually(Duration::from_secs(10), || !sink.messages().is_empty()).await,
        "nothing arrived"
    );
    let raw = &sink.messages()[0];
    assert!(raw.contains(&format!("To: {email}")), "{raw}");
    assert!(raw.contains("Subject: Confirm your email address"), "{raw}");
    assert!(
        eventually(Duration::from_secs(5), || app
            .count("outbox WHERE sent_at IS NOT NULL")
            == 1)
        .await
    );
}

#[tokio::test]
async fn mail_queued_while_smtp_is_down_is_delivered_when_it_returns() {
    let mut sink = SmtpSink::start().await;
    let port = sink.port;
    sink.stop();
    let url = smtp_url(port);
    let app = spawn_app_with(&[("SMTP_URL", &url), ("MAIL_RETRY_BASE_MS", "300")]).await;
    let email = unique_email("down");
    assert_eq!(app.register(&email, "investor").await.status, 201);

    // The relay tries, fails, and schedules a retry; nothing is lost.
    assert!(
        eventually(Duration::from_secs(10), || {
            app.count("outbox WHERE attempts >= 1 AND sent_at IS NULL AND last_error IS NOT NULL")
                == 1
        })
        .await,
        "no failed attempt was recorded"
    );

    let sink = SmtpSink::start_on(port, sink.received.clone()).await;
    assert!(
        eventually(Duration::from_secs(20), || !sink.messages().is_empty()).await,
        "the message never arrived after SMTP came back"
    );
    assert!(
        eventually(Duration::from_secs(5), || app
            .count("outbox WHERE sent_at IS NOT NULL")
            == 1)
        .await
    );
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(sink.messages().len(), 1, "delivered exactly once");
    assert!(sink.messages()[0].contains(&email));
}

#[tokio::test]
async fn several_instances_never_send_one_message_twice() {
    let sink = SmtpSink::start().await;
    let url = smtp_url(sink.port);
    let app = spawn_app_with(&[("SMTP_URL", &url), ("MAIL_RELAY_INTERVAL_MS", "10")]).await;
    let second = app
        .spawn_sibling(&[("SMTP_URL", &url), ("MAIL_RELAY_INTERVAL_MS", "10")])
        .await;
    let third = app
        .spawn_sibling(&[("SMTP_URL", &url), ("MAIL_RELAY_INTERVAL_MS", "10")])
        .await;
    let n = 40;
    let emails: Vec<String> = (0..n).map(|i| unique_email(&format!("m{i}"))).collect();
    let replies = join_all(emails.iter().enumerate().map(|(i, e)| {
        let target = [&app, &second, &third][i % 3];
        target.register(e, "investor")
    }))
    .await;
    assert!(replies.iter().all(|r| r.status == 201));
    assert!(
        eventually(Duration::from_secs(20), || sink.messages().len() >= n).await,
        "only {} of {n} arrived",
        sink.messages().len()
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut per_message: HashMap<String, usize> = HashMap::new();
    for raw in sink.messages() {
        let id = raw
            .lines()
            .find_map(|l| l.strip_prefix("Message-ID: "))
            .expect("message id")
            .to_string();
        *per_message.entry(id).or_default() += 1;
    }
    assert_eq!(per_message.len(), n);
    assert!(per_message.values().all(|&c| c == 1), "{per_message:?}");
    assert_eq!(app.count("outbox WHERE sent_at IS NOT NULL"), n as i64);
}
