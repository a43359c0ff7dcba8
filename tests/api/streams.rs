//! Live progress over Server-Sent Events: the current figures first, then
//! each committed change, the last equal to the ledger's; a hot offering's
//! changes coalesced to one event per interval; resuming with
//! `Last-Event-ID`; the catalogue stream; the limit on streams; streams
//! that end when the server stops; and (PostgreSQL) a change committed by
//! one server reaching a stream on another.

use std::time::Duration;

use futures_util::future::join_all;
use serde_json::{json, Value};

use crate::helpers::{backend_is_postgres, spawn_app, spawn_app_with, TestApp};
use crate::sse::{open, Next};
use crate::world::Person;

const PRICE: i64 = 1_000;
const WAIT: Duration = Duration::from_secs(10);

async fn launch(app: &TestApp, shares: i64) -> (Person, String) {
    let operator = app.operator().await;
    let sponsor = app.sponsor().await;
    let offering = app
        .open_offering(
            &sponsor,
            &operator,
            json!({"price_per_share": PRICE, "target_amount": shares * PRICE}),
        )
        .await;
    (operator, offering)
}

fn events_path(offering: &str) -> String {
    format!("/api/v1/offerings/{offering}/events")
}

/// The figures an event carries, as `GET /offerings/{id}` shows them.
fn assert_matches_offering(event: &Value, offering: &Value) {
    let progress = &offering["progress"];
    for field in [
        "raised",
        "target_amount",
        "investor_count",
        "remaining_shares",
        "percent",
    ] {
        assert_eq!(
            event[field], progress[field],
            "{field}: {event} vs {offering}"
        );
    }
    assert_eq!(event["status"], offering["status"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_stream_sends_the_figures_then_every_commit_up_to_funded() {
    let app = spawn_app().await;
    let (operator, offering) = launch(&app, 20).await;
    let mut stream = open(&app, &events_path(&offering), None, None).await;
    assert_eq!(stream.status, 200);
    assert_eq!(
        stream.headers["content-type"].to_str().unwrap(),
        "text/event-stream"
    );
    let first = stream.event(WAIT).await;
    assert_eq!(first.event.as_deref(), Some("progress"));
    assert_eq!(first.data["offering_id"], offering.as_str());
    assert_eq!(first.data["status"], "open");
    assert_eq!(first.data["raised"], 0);
    assert_eq!(first.id_number(), first.data["version"].as_i64().unwrap());
    assert_eq!(stream.retry, Some(2_000));

    // Ten investors buy two shares each, all at once: the round is funded.
    let investors: Vec<Person> =
        join_all((0..10).map(|_| app.investor(&operator, 5 * PRICE))).await;
    let replies = join_all(
        investors
            .iter()
            .enumerate()
            .map(|(i, p)| app.subscribe(p, &offering, json!(2), format!("s-{i}"))),
    )
    .await;
    assert!(replies.iter().all(|r| r.status == 201), "{replies:?}");

    let events = stream.until(WAIT, |e| e.data["status"] == "funded").await;
    let mut last_id = first.id_number();
    for e in &events {
        assert!(e.id_number() > last_id, "ids grow: {events:?}");
        last_id = e.id_number();
        assert!(e.data["raised"].as_i64().unwrap() <= 20 * PRICE);
    }
    let last = events.last().unwrap();
    assert_eq!(last.data["raised"], 20 * PRICE);
    assert_eq!(last.data["investor_count"], 10);
    assert_matches_offering(&last.data, &app.offering(&offering).await);
    app.assert_books_balance(&operator).await;
}

#[tokio::test]
async fn a_hot_offering_sends_at_most_one_event_per_interval() {
    let app = spawn_app_with(&[("STREAM_EVENT_INTERVAL_MS", "1000")]).await;
    let (operator, offering) = launch(&app, 100).await;
    let investor = app.investor(&operator, 50 * PRICE).await;
    let mut stream = open(&app, &events_path(&offering), None, None).await;
    stream.event(WAIT).await;

    // Twelve commits one after the other, each its own batch.
    let started = std::time::Instant::now();
    for i in 0..12 {
        let r = app
            .subscribe(&investor, &offering, json!(1), format!("hot-{i}"))
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
    }
    let events = stream.until(WAIT, |e| e.data["raised"] == 12 * PRICE).await;
    // The source publishes an offering at most once a second, so in the
    // time it took there can be at most one event a second, plus the one
    // that may start it. (Slowness only loosens the bound.)
    let seconds = started.elapsed().as_secs_f64();
    assert!(
        events.len() as f64 <= seconds.floor() + 1.0,
        "{} events in {seconds:.2} s: {events:?}",
        events.len()
    );
    let last = events.last().unwrap();
    assert_matches_offering(&last.data, &app.offering(&offering).await);
}

#[tokio::test]
async fn a_dropped_stream_resumes_from_last_event_id_without_a_gap() {
    let app = spawn_app().await;
    let (operator, offering) = launch(&app, 100).await;
    let investor = app.investor(&operator, 50 * PRICE).await;

    let mut stream = open(&app, &events_path(&offering), None, None).await;
    let seen = stream.event(WAIT).await;
    drop(stream);

    // Committed while the client was away.
    for i in 0..3 {
        let r = app
            .subscribe(&investor, &offering, json!(1), format!("away-{i}"))
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
    }
    let mut back = open(&app, &events_path(&offering), None, seen.id.as_deref()).await;
    assert_eq!(back.status, 200);
    let caught_up = back.event(WAIT).await;
    assert!(caught_up.id_number() > seen.id_number());
    assert_eq!(caught_up.data["raised"], 3 * PRICE);
    assert_matches_offering(&caught_up.data, &app.offering(&offering).await);

    // Resuming from the latest id: nothing is sent again, the next change is.
    let mut current = open(&app, &events_path(&offering), None, caught_up.id.as_deref()).await;
    assert!(matches!(
        current.next(Duration::from_millis(700)).await,
        Next::TimedOut
    ));
    let r = app.subscribe(&investor, &offering, json!(1), "later").await;
    assert_eq!(r.status, 201);
    let next = current.event(WAIT).await;
    assert_eq!(next.data["raised"], 4 * PRICE);
    assert!(next.id_number() > caught_up.id_number());
    // And the other stream, still open, got it too.
    let also = back.event(WAIT).await;
    assert_eq!(also.id, next.id);

    // A cancellation is a change too.
    let sub = app
        .get("/api/v1/me/subscriptions", Some(&investor.token))
        .await;
    let id = sub.body["items"][0]["id"].as_str().unwrap().to_string();
    let cancelled = app
        .post(
            format!("/api/v1/subscriptions/{id}/cancel"),
            Some(&investor.token),
            json!({}),
        )
        .await;
    assert_eq!(cancelled.status, 200, "{}", cancelled.body);
    let after_cancel = current.event(WAIT).await;
    assert_eq!(after_cancel.data["raised"], 3 * PRICE);
}

#[tokio::test]
async fn a_bad_last_event_id_is_refused_and_drafts_stay_private() {
    let app = spawn_app().await;
    let (_, offering) = launch(&app, 10).await;
    let bad = open(&app, &events_path(&offering), None, Some("seven")).await;
    assert_eq!(bad.status, 400);
    // An id this offering never had: the client is sent the figures.
    let mut foreign = open(&app, &events_path(&offering), None, Some("999999")).await;
    assert_eq!(foreign.status, 200);
    assert_eq!(foreign.event(WAIT).await.data["raised"], 0);
    let unknown = open(&app, &events_path("no-such-offering"), None, None).await;
    assert_eq!(unknown.status, 404);

    let sponsor = app.sponsor().await;
    let draft = app.draft(&sponsor, json!({})).await;
    let draft_id = draft.body["id"].as_str().unwrap();
    let anonymous = open(&app, &events_path(draft_id), None, None).await;
    assert_eq!(anonymous.status, 404);
    let mut own = open(&app, &events_path(draft_id), Some(&sponsor.token), None).await;
    assert_eq!(own.status, 200);
    assert_eq!(own.event(WAIT).await.data["status"], "draft");
}

#[tokio::test]
async fn the_catalogue_stream_announces_offerings_opening_and_leaving() {
    let app = spawn_app().await;
    let (operator, first) = launch(&app, 2).await;
    let mut catalogue = open(&app, "/api/v1/offerings/events", None, None).await;
    assert_eq!(catalogue.status, 200);
    let listed = catalogue.event(WAIT).await;
    assert_eq!(listed.data["offering_id"], first.as_str());
    assert_eq!(
        listed.id_number(),
        listed.data["sequence"].as_i64().unwrap()
    );

    // A new offering opens: the catalogue hears of it.
    let sponsor = app.sponsor().await;
    let second = app
        .open_offering(
            &sponsor,
            &operator,
            json!({"price_per_share": PRICE, "target_amount": PRICE}),
        )
        .await;
    let opened = catalogue
        .until(WAIT, |e| e.data["offering_id"] == second.as_str())
        .await;
    let opened = opened.last().unwrap();
    assert_eq!(opened.data["status"], "open");
    assert!(opened.id_number() > listed.id_number());
    drop(catalogue);

    // It is funded while the client is away; coming back, the client hears.
    let investor = app.investor(&operator, 5 * PRICE).await;
    let r = app.subscribe(&investor, &second, json!(1), "fund-it").await;
    assert_eq!(r.status, 201, "{}", r.body);
    let mut back = open(&app, "/api/v1/offerings/events", None, opened.id.as_deref()).await;
    let events = back
        .until(WAIT, |e| e.data["offering_id"] == second.as_str())
        .await;
    let funded = events.last().unwrap();
    assert_eq!(funded.data["status"], "funded");
    assert_eq!(funded.data["raised"], PRICE);
}

#[tokio::test]
async fn streams_beyond_the_limit_are_refused_with_a_problem() {
    // A client that went is noticed at the next write: a heartbeat here.
    let app = spawn_app_with(&[("STREAM_MAX_CLIENTS", "1"), ("STREAM_HEARTBEAT_SECS", "1")]).await;
    let (_, offering) = launch(&app, 10).await;
    let mut held = open(&app, &events_path(&offering), None, None).await;
    assert_eq!(held.status, 200);
    held.event(WAIT).await;
    let refused = open(&app, "/api/v1/offerings/events", None, None).await;
    assert_eq!(refused.status, 503);
    assert_eq!(refused.headers["retry-after"], "5");
    assert!(refused.headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/problem+json"));
    drop(held);
    // The place is given back when the client goes.
    let mut admitted = false;
    for _ in 0..50 {
        let again = open(&app, &events_path(&offering), None, None).await;
        if again.status == 200 {
            admitted = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(admitted, "a stream was admitted after the first closed");
}

#[tokio::test]
async fn heartbeats_keep_an_idle_stream_alive() {
    let app = spawn_app_with(&[("STREAM_HEARTBEAT_SECS", "1")]).await;
    let (_, offering) = launch(&app, 10).await;
    let mut stream = open(&app, &events_path(&offering), None, None).await;
    stream.event(WAIT).await;
    assert!(matches!(
        stream.next(Duration::from_millis(2_500)).await,
        Next::TimedOut
    ));
    assert!(stream.comments >= 2, "heartbeats seen: {}", stream.comments);
}

#[tokio::test]
async fn a_stopping_server_ends_its_streams_and_exits_without_waiting_for_them() {
    let app = spawn_app().await;
    let (_, offering) = launch(&app, 10).await;
    let mut process = app.spawn_process(&[("SHUTDOWN_TIMEOUT_SECS", "60")]).await;
    let on_process = TestApp::of_process(&process, app.test_vars());
    let mut stream = open(&on_process, &events_path(&offering), None, None).await;
    stream.event(WAIT).await;
    process.signal("TERM");
    assert!(
        matches!(stream.next(Duration::from_secs(10)).await, Next::Ended),
        "the stream ends when the server stops"
    );
    let status = process.exited_within(Duration::from_secs(20)).await;
    assert!(
        status.is_some_and(|s| s.success()),
        "the server exits cleanly, without waiting out the drain: {status:?}\n{}",
        process.log()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_subscription_on_one_server_reaches_a_stream_on_another() {
    if !backend_is_postgres() {
        // On SQLite one process serves a database: nothing to fan out.
        return;
    }
    let app = spawn_app().await;
    let other = app.spawn_sibling(&[]).await;
    let (operator, offering) = launch(&app, 10).await;
    let investor = app.investor(&operator, 20 * PRICE).await;
    let mut stream = open(&other, &events_path(&offering), None, None).await;
    let first = stream.event(WAIT).await;
    assert_eq!(first.data["raised"], 0);
    let r = app
        .subscribe(&investor, &offering, json!(10), "whole")
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let events = stream.until(WAIT, |e| e.data["status"] == "funded").await;
    assert_eq!(events.last().unwrap().data["raised"], 10 * PRICE);
}
