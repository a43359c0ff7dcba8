//! The Prometheus metrics over HTTP: on their own address when
//! `METRICS_BIND_ADDR` is set and nowhere otherwise, counting requests by
//! route pattern, subscriptions by outcome, the write path's batches, the
//! pools, the outbox backlog and the jobs, and stopping with the server.
//!
//! The recorder is one per process, shared by every server this test binary
//! starts: counters are asserted on what they gained during the test, and
//! scrapes are taken one at a time ([`SCRAPES`]), so that the gauges a
//! scrape sets from its server's pools and database are the ones it renders.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use serde_json::json;
use tokio::sync::Mutex;

use crate::helpers::{spawn_app, spawn_app_with, TestApp};

static SCRAPES: Mutex<()> = Mutex::const_new(());

/// One scrape: each sample by name and labels.
struct Scrape {
    text: String,
    samples: Vec<(String, BTreeMap<String, String>, f64)>,
}

impl Scrape {
    /// The sample with exactly these labels; 0 when there is none (a
    /// counter not yet incremented).
    fn value(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
        self.find(name, labels).unwrap_or(0.0)
    }

    fn find(&self, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
        let wanted: BTreeMap<String, String> = labels
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        self.samples
            .iter()
            .find(|(n, l, _)| n == name && *l == wanted)
            .map(|(_, _, v)| *v)
    }

    fn has_type(&self, name: &str, kind: &str) -> bool {
        self.text
            .lines()
            .any(|l| l == format!("# TYPE {name} {kind}"))
    }

    fn has_help(&self, name: &str) -> bool {
        self.text
            .lines()
            .any(|l| l.starts_with(&format!("# HELP {name} ")))
    }
}

fn parse(text: &str) -> Vec<(String, BTreeMap<String, String>, f64)> {
    let mut samples = Vec::new();
    for line in text
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
    {
        let (series, value) = line.rsplit_once(' ').expect("a sample line");
        let value: f64 = value.parse().expect("a number");
        let (name, mut rest) = match series.find('{') {
            Some(i) => (&series[..i], &series[i + 1..series.len() - 1]),
            None => (series, ""),
        };
        let mut labels = BTreeMap::new();
        while let Some(eq) = rest.find("=\"") {
            let key = rest[..eq].trim_start_matches(',').to_string();
            let after = &rest[eq + 2..];
            let mut end = 0;
            let mut escaped = false;
            for (i, c) in after.char_indices() {
                match c {
                    '\\' if !escaped => escaped = true,
                    '"' if !escaped => {
                        end = i;
                        break;
                    }
                    _ => escaped = false,
                }
            }
            labels.insert(key, after[..end].to_string());
            rest = &after[end + 1..];
        }
        samples.push((name.to_string(), labels, value));
    }
    samples
}

async fn scrape(app: &TestApp) -> Scrape {
    let base = app.metrics_address.as_ref().expect("metrics are on");
    scrape_at(&app.client, base).await
}

async fn scrape_at(client: &reqwest::Client, base: &str) -> Scrape {
    let _alone = SCRAPES.lock().await;
    let resp = client.get(format!("{base}/metrics")).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    let content_type = resp.headers()["content-type"].to_str().unwrap().to_string();
    assert!(
        content_type.starts_with("text/plain; version=0.0.4"),
        "{content_type}"
    );
    let text = resp.text().await.unwrap();
    Scrape {
        samples: parse(&text),
        text,
    }
}

async fn spawn_with_metrics(extra: &[(&str, &str)]) -> TestApp {
    let mut vars = vec![("METRICS_BIND_ADDR", "127.0.0.1:0")];
    vars.extend_from_slice(extra);
    spawn_app_with(&vars).await
}

const OFFERING_ROUTE: &str = "/api/v1/offerings/{id}";
const SUBSCRIBE_ROUTE: &str = "/api/v1/offerings/{id}/subscriptions";

#[tokio::test]
async fn requests_are_counted_by_route_pattern_and_status_and_timed() {
    let app = spawn_with_metrics(&[]).await;
    let before = scrape(&app).await;
    let missing = uuid::Uuid::new_v4().to_string();
    for _ in 0..3 {
        let reply = app.get(&format!("/api/v1/offerings/{missing}"), None).await;
        reply.assert_problem(404, "not_found");
    }
    let nowhere = uuid::Uuid::new_v4().to_string();
    let reply = app.get(&format!("/nowhere/{nowhere}"), None).await;
    assert_eq!(reply.status, 404);
    assert_eq!(app.get("/healthz", None).await.status, 200);
    let after = scrape(&app).await;

    let counted = |s: &Scrape, route: &str, status: &str| {
        s.value(
            "crowdfund_http_requests_total",
            &[("method", "GET"), ("route", route), ("status", status)],
        )
    };
    assert!(
        counted(&after, OFFERING_ROUTE, "404") - counted(&before, OFFERING_ROUTE, "404") >= 3.0
    );
    assert!(counted(&after, "unmatched", "404") - counted(&before, "unmatched", "404") >= 1.0);
    assert!(counted(&after, "/healthz", "200") - counted(&before, "/healthz", "200") >= 1.0);
    // The pattern, never the path: no id becomes a label.
    assert!(!after.text.contains(&missing));
    assert!(!after.text.contains(&nowhere));

    // A histogram with explicit buckets, not a summary.
    let duration = "crowdfund_http_request_duration_seconds";
    assert!(after.has_type(duration, "histogram"));
    assert!(after.has_help(duration));
    let timed = |s: &Scrape, le: &str| {
        s.value(
            &format!("{duration}_bucket"),
            &[("method", "GET"), ("route", OFFERING_ROUTE), ("le", le)],
        )
    };
    assert!(timed(&after, "+Inf") - timed(&before, "+Inf") >= 3.0);
    assert!(timed(&after, "30") - timed(&before, "30") >= 3.0);
    let count = |s: &Scrape| {
        s.value(
            &format!("{duration}_count"),
            &[("method", "GET"), ("route", OFFERING_ROUTE)],
        )
    };
    assert!(count(&after) - count(&before) >= 3.0);
    assert!(after.has_type("crowdfund_http_requests_total", "counter"));
}

#[tokio::test]
async fn subscriptions_are_counted_by_outcome_and_the_write_path_measured() {
    let app = spawn_with_metrics(&[]).await;
    let operator = app.operator().await;
    let sponsor = app.sponsor().await;
    let offering = app
        .open_offering(&sponsor, &operator, json!({"price_per_share": 1_000}))
        .await;
    let investor = app.investor(&operator, 3_000).await;
    let before = scrape(&app).await;

    let accepted = app.subscribe(&investor, &offering, json!(2), "m-1").await;
    assert_eq!(accepted.status, 201, "{}", accepted.body);
    let replayed = app.subscribe(&investor, &offering, json!(2), "m-1").await;
    assert_eq!(replayed.status, 201, "{}", replayed.body);
    app.subscribe(&investor, &offering, json!(5), "m-2")
        .await
        .assert_problem(422, "insufficient_funds");
    app.subscribe(&investor, &offering, json!(0), "m-3")
        .await
        .assert_problem(422, "invalid_field");
    let after = scrape(&app).await;

    let outcome = |s: &Scrape, o: &str| s.value("crowdfund_subscriptions_total", &[("outcome", o)]);
    for o in [
        "accepted",
        "replayed",
        "insufficient_funds",
        "invalid_field",
    ] {
        assert!(outcome(&after, o) - outcome(&before, o) >= 1.0, "{o}");
    }
    let subscribed = |s: &Scrape, status: &str| {
        s.value(
            "crowdfund_http_requests_total",
            &[
                ("method", "POST"),
                ("route", SUBSCRIBE_ROUTE),
                ("status", status),
            ],
        )
    };
    assert!(subscribed(&after, "201") - subscribed(&before, "201") >= 2.0);
    assert!(subscribed(&after, "422") - subscribed(&before, "422") >= 2.0);

    // Three requests reached the writer (the zero shares did not).
    for name in [
        "crowdfund_write_batch_requests",
        "crowdfund_write_batch_commit_duration_seconds",
    ] {
        assert!(after.has_type(name, "histogram"), "{name}");
        assert!(after.has_help(name), "{name}");
        let count = format!("{name}_count");
        assert!(
            after.value(&count, &[]) - before.value(&count, &[]) >= 1.0,
            "{name}"
        );
    }
    let requests = |s: &Scrape| s.value("crowdfund_write_batch_requests_sum", &[]);
    assert!(requests(&after) - requests(&before) >= 3.0);
}

#[tokio::test]
async fn pools_outbox_and_jobs_are_read_at_scrape_time() {
    let started = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    let app = spawn_with_metrics(&[("DATABASE_POOL_SIZE", "7")]).await;
    // Three messages waiting, queued an hour ago, not due for a day (the
    // relay leaves them alone); one sent and one given up, which do not count.
    let at = |t: chrono::DateTime<chrono::Utc>| t.format("%Y-%m-%d %H:%M:%S").to_string();
    let hour_ago = at(chrono::Utc::now() - chrono::Duration::hours(1));
    let due = at(chrono::Utc::now() + chrono::Duration::days(1));
    for (i, state) in ["", "", "", "sent", "failed"].iter().enumerate() {
        let (sent, failed) = match *state {
            "sent" => (format!("'{hour_ago}'"), "NULL".to_string()),
            "failed" => ("NULL".to_string(), format!("'{hour_ago}'")),
            _ => ("NULL".to_string(), "NULL".to_string()),
        };
        app.execute(&format!(
            "INSERT INTO outbox (id, recipient, subject, body_text, created_at, attempts, \
             next_attempt_at, sent_at, failed_at) VALUES ('metrics-{i}', 'a@example.com', 's', \
             'b', '{hour_ago}', 0, '{due}', {sent}, {failed})"
        ));
    }
    // Every job has had its first pass by now (on SQLite the checkpointer
    // too).
    let mut wanted = vec![
        "sweeper",
        "retention",
        "ledger-sealer",
        "mail-relay",
        "session-revocations",
    ];
    if !crate::helpers::backend_is_postgres() {
        wanted.push("wal-checkpoint");
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    let s = loop {
        let s = scrape(&app).await;
        let ran = wanted.iter().all(|job| {
            s.value(
                "crowdfund_job_last_success_timestamp_seconds",
                &[("job", job)],
            ) >= started
        });
        if ran || Instant::now() > deadline {
            break s;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    for job in wanted {
        let at = s.value(
            "crowdfund_job_last_success_timestamp_seconds",
            &[("job", job)],
        );
        assert!(at >= started, "{job}: {at} < {started}");
    }
    assert!(s.has_type("crowdfund_job_last_success_timestamp_seconds", "gauge"));

    assert_eq!(s.value("crowdfund_outbox_sample_success", &[]), 1.0);
    assert_eq!(s.value("crowdfund_outbox_backlog_messages", &[]), 3.0);
    let age = s.value("crowdfund_outbox_oldest_age_seconds", &[]);
    assert!((3_600.0..3_660.0).contains(&age), "{age}");
    assert!(s.has_help("crowdfund_outbox_backlog_messages"));

    let pool = |name: &str, p: &str| s.find(name, &[("pool", p)]);
    assert_eq!(
        pool("crowdfund_db_pool_max_connections", "requests"),
        Some(7.0)
    );
    assert_eq!(
        pool("crowdfund_db_pool_max_connections", "metrics"),
        Some(1.0)
    );
    for p in [
        "requests",
        "jobs",
        "mail_relay",
        "revocations",
        "write_path",
        "metrics",
    ] {
        let open = pool("crowdfund_db_pool_connections", p).expect(p);
        let idle = pool("crowdfund_db_pool_idle_connections", p).expect(p);
        let in_use = pool("crowdfund_db_pool_in_use_connections", p).expect(p);
        assert_eq!(open, idle + in_use, "{p}");
        assert!(
            open <= pool("crowdfund_db_pool_max_connections", p).expect(p),
            "{p}"
        );
    }

    // Drained: the backlog follows at the next scrape.
    app.execute("UPDATE outbox SET sent_at = created_at WHERE id LIKE 'metrics-%'");
    let s = scrape(&app).await;
    assert_eq!(s.value("crowdfund_outbox_backlog_messages", &[]), 0.0);
    assert_eq!(s.value("crowdfund_outbox_oldest_age_seconds", &[]), 0.0);
}

#[tokio::test]
async fn the_stream_metrics_are_described_and_recorded_through_their_api() {
    use crowdfund::metrics::{stream_client_connected, stream_client_disconnected, StreamKind};
    let app = spawn_with_metrics(&[]).await;
    stream_client_connected(StreamKind::Catalogue);
    stream_client_connected(StreamKind::Offering);
    crowdfund::metrics::stream_event_latency(Duration::from_millis(20));
    let s = scrape(&app).await;
    stream_client_disconnected(StreamKind::Catalogue);
    stream_client_disconnected(StreamKind::Offering);
    assert!(s.has_type("crowdfund_stream_clients", "gauge"));
    assert!(s.has_help("crowdfund_stream_clients"));
    for stream in ["offering", "catalogue"] {
        let clients = s.find("crowdfund_stream_clients", &[("stream", stream)]);
        assert!(clients.is_some_and(|n| n >= 1.0), "{stream}: {clients:?}");
    }
    let latency = "crowdfund_stream_commit_to_event_seconds";
    assert!(s.has_type(latency, "histogram"));
    assert!(s.has_help(latency));
    assert!(s.value(&format!("{latency}_bucket"), &[("le", "0.025")]) >= 1.0);
}

#[tokio::test]
async fn the_metrics_have_their_own_address_and_none_without_metrics_bind_addr() {
    let off = spawn_app().await;
    assert_eq!(off.metrics_address, None);
    // Not on the API's address either, with or without the metrics.
    off.get("/metrics", None)
        .await
        .assert_problem(404, "route_not_found");
    let on = spawn_with_metrics(&[]).await;
    on.get("/metrics", None)
        .await
        .assert_problem(404, "route_not_found");
    let base = on.metrics_address.clone().unwrap();
    assert_ne!(base, on.address);
    // And the metrics server serves nothing but the metrics.
    let api = on
        .client
        .get(format!("{base}/api/v1/offerings"))
        .send()
        .await
        .unwrap();
    assert_eq!(api.status(), 404);
}

#[tokio::test]
async fn the_metrics_server_stops_with_the_application() {
    let app = spawn_with_metrics(&[]).await;
    let base = app.metrics_address.clone().unwrap();
    let port: u16 = base.rsplit(':').next().unwrap().parse().unwrap();
    scrape(&app).await;
    drop(app);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_err()
        {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the metrics server still accepts connections"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_server_process_records_its_jobs_from_the_start_and_stops_its_metrics_on_sigterm() {
    // A process of its own: the recorder is installed there by this server
    // alone, so the jobs' first passes (retention's next is in an hour)
    // show only if it was installed before they started.
    let mut app = spawn_app().await;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .unwrap()
        .port();
    let addr = format!("127.0.0.1:{port}");
    let mut process = app
        .spawn_process(&[("METRICS_BIND_ADDR", addr.as_str())])
        .await;
    app.hand_over_to(&process);
    let base = format!("http://{addr}");
    assert_eq!(app.get("/api/v1/offerings", None).await.status, 200);
    let jobs = [
        "sweeper",
        "retention",
        "ledger-sealer",
        "mail-relay",
        "session-revocations",
    ];
    let deadline = Instant::now() + Duration::from_secs(10);
    let s = loop {
        let s = scrape_at(&app.client, &base).await;
        let ran = jobs.iter().all(|job| {
            s.find(
                "crowdfund_job_last_success_timestamp_seconds",
                &[("job", job)],
            )
            .is_some()
        });
        if ran || Instant::now() > deadline {
            break s;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    for job in jobs {
        let ran = s.find(
            "crowdfund_job_last_success_timestamp_seconds",
            &[("job", job)],
        );
        assert!(ran.is_some(), "{job}:\n{}", s.text);
    }
    let listed = [
        ("method", "GET"),
        ("route", "/api/v1/offerings"),
        ("status", "200"),
    ];
    assert_eq!(s.value("crowdfund_http_requests_total", &listed), 1.0);

    process.signal("TERM");
    let status = process.exited_within(Duration::from_secs(30)).await;
    assert!(
        status.is_some_and(|s| s.success()),
        "{status:?}\n{}",
        process.log()
    );
    assert!(tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .is_err());
    assert!(process.complaints().is_empty(), "{}", process.log());
}
