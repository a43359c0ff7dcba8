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

#[tokio::test]
async fn user_text_in_subjects_is_encoded_never_passed_through() {
    use base64::Engine;
    use serde_json::json;

    let app = crate::helpers::spawn_app().await;
    let operator = app.operator().await;
    let sponsor = app.sponsor().await;
    // A title that is itself an encoded word: decoded by a mail client it
    // would read as a right-to-left override and a fake warning.
    let payload = "\u{202E}Urgent: your account is locked, reply with your password";
    let title = format!(
        "Solar =?utf-8?b?{}?= Co-op",
        base64::engine::general_purpose::STANDARD.encode(payload)
    );
    let offering = app
        .open_offering(&sponsor, &operator, json!({"title": title}))
        .await;
    let investor = app.investor(&operator, 100_000).await;
    let subscribed = app
        .subscribe(&investor, &offering, json!(10), "subject-1")
        .await;
    assert_eq!(subscribed.status, 201, "{}", subscribed.body);

    let mail = app
        .wait_for_email(&investor.email, "Subscription confirmed")
        .await;
    // Decoded as a client decodes it, the subject is the literal title.
    let subject = mail.header("Subject");
    assert_eq!(subject, format!("Subscription confirmed: {title}"));
    assert!(!subject.contains('\u{202E}'), "{subject:?}");
    assert!(!subject.contains("Urgent"), "{subject:?}");
    // The file carries no encoded word of the user's making.
    let head = mail.raw.split("\r\n\r\n").next().unwrap();
    assert!(!head.contains(&title), "{head}");
    // Plain subjects stay plain.
    let welcome = app
        .wait_for_email(&investor.email, "Confirm your email")
        .await;
    assert!(
        welcome
            .raw
            .contains("Subject: Confirm your email address\r\n"),
        "{}",
        welcome.raw
    );
}
