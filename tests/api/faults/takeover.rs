//! A server killed while it relays mail: its claim runs out and another
//! server sends what it had not — each message once, except those the mail
//! server had accepted and the killed relay had not yet marked sent (it
//! marks them in batches), which go out once more under the same
//! Message-ID.

use std::time::Duration;

use crate::helpers::{eventually, spawn_app_with, unique_email};
use crate::smtp_sink::SmtpSink;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_relay_killed_mid_send_leaves_its_mail_to_another_server_sent_once() {
    let sink = SmtpSink::start().await;
    let smtp = format!("smtp://127.0.0.1:{}", sink.port);
    // This server's own relay looks once, at start, and then not for an hour.
    let app = spawn_app_with(&[("SMTP_URL", &smtp), ("MAIL_RELAY_INTERVAL_MS", "3600000")]).await;
    for _ in 0..5 {
        let reply = app.register(&unique_email("takeover"), "investor").await;
        assert_eq!(reply.status, 201, "{}", reply.body);
    }
    assert_eq!(app.count("outbox WHERE sent_at IS NULL"), 5);

    // A second server claims all five and hangs sending them (its senders
    // work in parallel): the mail server never answers. It is killed there.
    sink.stall(true);
    let fast = [("MAIL_RELAY_INTERVAL_MS", "50"), ("MAIL_LEASE_SECS", "2")];
    let mut doomed = app.spawn_process(&fast).await;
    assert!(
        eventually(Duration::from_secs(10), || sink.stalled() == 5).await,
        "the relay's senders did not send the five at once: {} stalled",
        sink.stalled()
    );
    assert_eq!(app.count("outbox WHERE claimed_by IS NOT NULL"), 5);
    doomed.kill();
    assert!(
        eventually(Duration::from_secs(10), || sink.open_conversations() == 0).await,
        "the killed relay's conversations never ended"
    );
    sink.stall(false);

    // A third server takes the claim over once it runs out.
    let _heir = app.spawn_sibling(&fast).await;
    assert!(
        eventually(Duration::from_secs(20), || app
            .count("outbox WHERE sent_at IS NOT NULL")
            == 5)
        .await,
        "the killed relay's mail was not sent by another server"
    );
    // Nothing more arrives: each message went out once.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let received = sink.messages();
    assert_eq!(received.len(), 5, "{received:#?}");
    let mut ids: Vec<&str> = received
        .iter()
        .filter_map(|m| m.lines().find(|l| l.starts_with("Message-ID:")))
        .collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 5, "five distinct messages: {ids:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_relay_killed_before_marking_what_it_sent_leaves_only_those_to_go_out_twice() {
    let sink = SmtpSink::start().await;
    let smtp = format!("smtp://127.0.0.1:{}", sink.port);
    let app = spawn_app_with(&[("SMTP_URL", &smtp), ("MAIL_RELAY_INTERVAL_MS", "3600000")]).await;
    for _ in 0..5 {
        let reply = app.register(&unique_email("batched"), "investor").await;
        assert_eq!(reply.status, 201, "{}", reply.body);
    }

    // The mail server accepts two, then never answers the others: the
    // relay is killed there, with the two accepted but (in all likelihood) not
    // yet marked: marks are written per 50 messages or 250 ms.
    sink.stall_after(2);
    let fast = [("MAIL_RELAY_INTERVAL_MS", "50"), ("MAIL_LEASE_SECS", "2")];
    let mut doomed = app.spawn_process(&fast).await;
    assert!(
        eventually(Duration::from_secs(10), || sink.stalled() >= 1).await,
        "the relay never reached the third message"
    );
    let marked_before_kill = app.count("outbox WHERE sent_at IS NOT NULL");
    assert!(marked_before_kill <= 2, "{marked_before_kill}");
    doomed.kill();
    assert!(
        eventually(Duration::from_secs(10), || sink.open_conversations() == 0).await,
        "the killed relay's conversations never ended"
    );
    sink.stall(false);

    let _heir = app.spawn_sibling(&fast).await;
    assert!(
        eventually(Duration::from_secs(20), || app
            .count("outbox WHERE sent_at IS NOT NULL")
            == 5)
        .await,
        "the killed relay's mail was not sent by another server"
    );
    tokio::time::sleep(Duration::from_secs(3)).await;
    let received = sink.messages();
    let ids: Vec<&str> = received
        .iter()
        .filter_map(|m| m.lines().find(|l| l.starts_with("Message-ID:")))
        .collect();
    let mut distinct = ids.clone();
    distinct.sort_unstable();
    distinct.dedup();
    assert_eq!(distinct.len(), 5, "every message arrived: {ids:?}");
    // Sent twice: at most the ones accepted and not marked before the kill,
    // and only those (the first two the mail server took).
    assert_eq!(ids.len() as i64, 5 + (2 - marked_before_kill), "{ids:?}");
    for twice in distinct
        .iter()
        .filter(|id| ids.iter().filter(|x| x == id).count() > 1)
    {
        assert!(
            ids[..2].contains(twice),
            "{twice} was not among the first accepted"
        );
    }
}
