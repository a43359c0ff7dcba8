//! The hot-launch benchmark: subscriptions fired at one offering, then at 16,
//! against real servers, compared with what the database alone does in the
//! same run.
//!
//! ```text
//! cargo run --release --example load -- [--backend sqlite|postgres]
//!     [--pg-admin-url postgres://postgres@127.0.0.1:5432/postgres]
//!     [--seconds 10] [--connections 16] [--investors 64] [--servers 1]
//!     [--mail smtp|file|off] [--stream-clients 0] [--rule-profile reg_cf]
//! ```
//!
//! It starts the servers as child processes of this program (the same
//! library, `serve`), on a fresh database (a SQLite file in a temporary
//! folder, or a PostgreSQL database it creates and drops), signs up an
//! operator, a sponsor and the investors through the API, funds the
//! investors through the bank webhook, and opens the offerings. Then each of
//! `--connections` clients subscribes for one share at a time with a fresh
//! Idempotency-Key, for `--seconds`. It prints subscribes/s, p50/p99,
//! refusals and 5xx, the servers' peak RSS, the database's own ceiling
//! measured on the same database (pgbench running a hot-row conditional
//! UPDATE + INSERT per transaction with the same number of clients; on
//! SQLite a one-writer loop of the same two statements with the server's
//! own connection settings), and the ratio of the two. Last it checks every
//! ledger invariant.
//!
//! Email verification is the one step done directly in the database (the
//! mailed link is tested elsewhere); everything else goes through HTTP.
//!
//! Every subscription queues its confirmation email in its transaction, and
//! the servers' mail relays deliver them during the run, as in production:
//! over SMTP to a mail server on loopback that this program runs (it
//! accepts and counts every message). `--mail file` delivers with the
//! embedded default transport instead (one `.eml` file per email: on a
//! filesystem that has just deleted many files, creating each one costs
//! more than the subscription); `--mail off` holds the relays back until
//! after the run, to see what mail costs.
//!
//! `--rule-profile cn_private` runs the servers under China's rules: the
//! investors are qualified (they declare ¥3,000,000 of financial assets),
//! and every offering caps its investors at 200, so each batch reads what
//! its investors already hold in the round and the hot update checks the
//! cap (keep `--investors` at 200 or fewer). Run it alternately with
//! `--rule-profile reg_cf` to compare the two ratios (README, Rule profiles).
//!
//! `--stream-clients N` adds three runs at one hot offering: without
//! streams, then at a fresh offering with N clients following its live
//! progress (`GET /offerings/{id}/events`, spread over the servers), then
//! without streams again. After the streamed run one investor buys what is
//! left of its offering, and every client must receive the `funded` event
//! with the figures the ledger holds; it prints how long after that last
//! subscription's answer the clients had the event, and the streamed run's
//! throughput against the mean of the runs right before and after it (this
//! machine's rate drifts from run to run: the mean cancels a steady drift).

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use diesel::connection::SimpleConnection;
use diesel::{Connection, RunQueryDsl};
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;

mod smtp_sink;
mod streams;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mail {
    /// Delivered during the run to a mail server (this program's sink).
    Smtp,
    /// Delivered during the run as `.eml` files (the embedded default).
    File,
    /// Held back until after the run.
    Off,
}

const JWT_SECRET: &str = "load-generator-secret-0123456789abcdef";
const BANK_SECRET: &str = "load-generator-bank-secret";
const PASSWORD: &str = "load generator password 1";
const PRICE: i64 = 100;

struct Args {
    backend: String,
    pg_admin_url: String,
    seconds: u64,
    connections: usize,
    investors: usize,
    rule_profile: String,
    servers: usize,
    /// How the servers' mail relays deliver, and whether during the run.
    mail: Mail,
    /// Clients following the hot offering's live progress (a third run).
    stream_clients: usize,
}

fn parse_args() -> Result<Args> {
    let mut args = Args {
        backend: "sqlite".into(),
        pg_admin_url: std::env::var("PG_ADMIN_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into()),
        seconds: 10,
        connections: 16,
        investors: 64,
        rule_profile: "reg_cf".to_string(),
        servers: 1,
        mail: Mail::Smtp,
        stream_clients: 0,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().with_context(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--backend" => args.backend = value,
            "--pg-admin-url" => args.pg_admin_url = value,
            "--seconds" => args.seconds = value.parse()?,
            "--connections" => args.connections = value.parse()?,
            "--investors" => args.investors = value.parse()?,
            "--rule-profile" => args.rule_profile = value,
            "--servers" => args.servers = value.parse()?,
            "--mail" => match value.as_str() {
                "smtp" => args.mail = Mail::Smtp,
                "file" => args.mail = Mail::File,
                "off" => args.mail = Mail::Off,
                _ => bail!("--mail is smtp, file or off"),
            },
            "--stream-clients" => args.stream_clients = value.parse()?,
            other => bail!("unknown flag {other}"),
        }
    }
    if !matches!(args.backend.as_str(), "sqlite" | "postgres") {
        bail!("--backend is sqlite or postgres");
    }
    if !matches!(args.rule_profile.as_str(), "reg_cf" | "cn_private") {
        bail!("--rule-profile is reg_cf or cn_private");
    }
    if args.servers > 1 && args.backend == "sqlite" {
        bail!("--servers > 1 needs --backend postgres");
    }
    Ok(args)
}

fn main() -> Result<()> {
    // A child started by this program: be the server.
    if std::env::args().nth(1).as_deref() == Some("serve") {
        crowdfund::cli::run();
        return Ok(());
    }
    let args = parse_args()?;
    let dir = tempfile::tempdir()?;
    let database = Database::create(&args, dir.path())?;
    let sink = smtp_sink::SmtpSink::start()?;
    let mut servers = Vec::new();
    for _ in 0..args.servers {
        servers.push(Server::start(
            &database.url,
            dir.path(),
            args.mail,
            sink.port,
            &args.rule_profile,
        )?);
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let result = runtime.block_on(run(&args, &database, &servers, &sink));
    for server in &mut servers {
        server.stop();
    }
    result
}

async fn run(
    args: &Args,
    database: &Database,
    servers: &[Server],
    sink: &smtp_sink::SmtpSink,
) -> Result<()> {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(args.connections)
        // Under the server's keep-alive (5 s), so that no request is sent on
        // a connection the server is closing.
        .pool_idle_timeout(Duration::from_secs(2))
        .timeout(Duration::from_secs(30))
        .build()?;
    for server in servers {
        server.wait_ready(&client).await?;
    }
    let api = Api {
        client: client.clone(),
        bases: servers.iter().map(|s| s.base.clone()).collect(),
    };
    eprintln!(
        "setting up: operator, sponsor, {} investors",
        args.investors
    );
    let operator = api.operator(&database.url).await?;
    let sponsor = api.signed_up(&database.url, "sponsor").await?;
    let mut investors = Vec::new();
    for chunk in (0..args.investors).collect::<Vec<_>>().chunks(8) {
        let batch = futures_util::future::join_all(
            chunk
                .iter()
                .map(|_| api.funded_investor(&database.url, &operator, 1_000_000_000)),
        )
        .await;
        for investor in batch {
            investors.push(investor?);
        }
    }
    let hot = vec![api.open_offering(&sponsor, &operator, UNREACHABLE).await?];
    let mut spread = Vec::new();
    for _ in 0..16 {
        spread.push(api.open_offering(&sponsor, &operator, UNREACHABLE).await?);
    }
    // The streamed run's offering, and the investor who funds it after.
    let streamed = match args.stream_clients {
        0 => None,
        _ => Some((
            api.open_offering(&sponsor, &operator, STREAMED_TARGET)
                .await?,
            api.funded_investor(&database.url, &operator, STREAMED_TARGET)
                .await?,
        )),
    };

    eprintln!("  resident after setting up: {}", memory(servers, "VmRSS"));
    eprintln!("measuring the database alone ({} s)", args.seconds);
    let ceiling = database.ceiling(args.seconds, args.connections)?;

    let mut rows = Vec::new();
    for (name, phase, offerings) in [
        ("one hot offering", "hot", &hot),
        ("16 offerings", "spread", &spread),
    ] {
        eprintln!("load: {name} ({} s)", args.seconds);
        rows.push((
            name,
            measure(servers, &api, &investors, offerings, args, phase).await,
        ));
    }
    // With streams: the hot offering right before and right after the
    // streamed run, whose throughput is compared with their mean (this
    // machine's rate drifts from run to run; A-B-A cancels a steady drift).
    let mut streamed_report = None;
    if let Some((offering, closer)) = &streamed {
        eprintln!(
            "load: one hot offering, before the streams ({} s)",
            args.seconds
        );
        let before = measure(servers, &api, &investors, &hot, args, "before").await;
        let before_rate = before.rate();
        rows.push(("hot, before", before));
        eprintln!(
            "load: one hot offering followed by {} stream clients ({} s)",
            args.stream_clients, args.seconds
        );
        let followers = streams::follow(&api.bases, offering, args.stream_clients).await?;
        let offerings = std::slice::from_ref(offering);
        let result = measure(servers, &api, &investors, offerings, args, "streamed").await;
        let (answered_at, target) = api.fund_the_rest(closer, offering).await?;
        let seen = followers.finish(Duration::from_secs(60));
        let figures = api.get(&format!("/api/v1/offerings/{offering}")).await?;
        let report = StreamedReport::new(&seen, answered_at, target, &figures);
        let streamed_rate = result.rate();
        rows.push(("hot, streamed", result));
        eprintln!(
            "load: one hot offering, after the streams ({} s)",
            args.seconds
        );
        let after = measure(servers, &api, &investors, &hot, args, "after").await;
        let without = (before_rate + after.rate()) / 2.0;
        rows.push(("hot, after", after));
        streamed_report = Some((report, streamed_rate / without.max(1e-9)));
    }
    let peak = memory(servers, "VmHWM");

    println!();
    println!(
        "backend {} | rules {} | servers {} | {} connections | {} investors | {} s per run | mail relay {}",
        args.backend,
        args.rule_profile,
        args.servers,
        args.connections,
        args.investors,
        args.seconds,
        match args.mail {
            Mail::Smtp => "delivering over SMTP",
            Mail::File => "delivering to .eml files",
            Mail::Off => "after the run",
        }
    );
    println!(
        "database alone: {ceiling:.0} tx/s ({})",
        database.ceiling_name()
    );
    println!(
        "{:<18} {:>12} {:>9} {:>9} {:>9} {:>9} {:>7} {:>7}",
        "scenario", "subscribes/s", "p50 ms", "p99 ms", "refused", "5xx", "other", "ratio"
    );
    for (name, r) in &rows {
        println!(
            "{:<18} {:>12.0} {:>9.1} {:>9.1} {:>9} {:>9} {:>7} {:>7.2}",
            name,
            r.rate(),
            r.percentile(0.50),
            r.percentile(0.99),
            r.refused,
            r.server_errors,
            r.other,
            r.rate() / ceiling
        );
    }
    for (name, r) in &rows {
        if !r.codes.is_empty() {
            println!("{name}: not accepted: {:?}", r.codes);
        }
    }
    let sent = count(
        &database.url,
        "SELECT COUNT(*) AS n FROM outbox WHERE sent_at IS NOT NULL",
    )?;
    let waiting = count(
        &database.url,
        "SELECT COUNT(*) AS n FROM outbox WHERE sent_at IS NULL AND failed_at IS NULL",
    )?;
    println!(
        "mail: {sent} delivered by the end of the runs ({} received over SMTP), {waiting} waiting",
        sink.received()
    );
    if let Some((report, throughput)) = &streamed_report {
        println!(
            "streams: {} clients | {} got `funded` with the ledger's figures, {} did not | \
             funded event after the last answer: p50 {:.0} ms, p99 {:.0} ms, max {:.0} ms | \
             events per client: {:.1} | throughput with streams {:.2}x without (the mean of \
             the hot runs before and after)",
            report.clients,
            report.matched,
            report.clients - report.matched,
            report.latency_ms(0.50),
            report.latency_ms(0.99),
            report.latency_ms(1.0),
            report.events_per_client,
            throughput
        );
        for problem in report.problems.iter().take(5) {
            println!("  stream problem: {problem}");
        }
    }
    println!("peak RSS per server: {peak}");
    let mut conn = establish(&database.url)?;
    let report = crowdfund::ledger::invariants::check(&mut conn)?;
    println!(
        "ledger: {}",
        if report.ok {
            "every invariant holds".to_string()
        } else {
            format!("{} violation(s)", report.violations.len())
        }
    );
    if !report.ok {
        bail!("the ledger is broken");
    }
    if streamed_report.is_some_and(|(r, _)| r.matched != r.clients) {
        bail!("some stream clients did not get the final figures");
    }
    Ok(())
}

/// No run reaches it: subscriptions are never refused for a full round.
const UNREACHABLE: i64 = PRICE * 1_000_000_000;
/// The streamed run's offering: its rest is bought after the run.
const STREAMED_TARGET: i64 = PRICE * 10_000_000;

/// What the stream clients of the streamed run saw.
struct StreamedReport {
    clients: usize,
    /// Clients whose last event was `funded` with the offering's figures.
    matched: usize,
    /// From the funding subscription's answer to each client's event, in ms.
    latencies_ms: Vec<f64>,
    events_per_client: f64,
    problems: Vec<String>,
}

impl StreamedReport {
    fn new(seen: &[streams::Seen], answered_at: Instant, target: i64, offering: &Value) -> Self {
        let mut report = StreamedReport {
            clients: seen.len(),
            matched: 0,
            latencies_ms: Vec::new(),
            events_per_client: seen.iter().map(|s| s.events as f64).sum::<f64>()
                / seen.len().max(1) as f64,
            problems: Vec::new(),
        };
        let progress = &offering["progress"];
        for s in seen {
            let Some(last) = &s.last else {
                report
                    .problems
                    .push(s.error.clone().unwrap_or_else(|| "no event".into()));
                continue;
            };
            let same = last["status"] == "funded"
                && last["status"] == offering["status"]
                && last["raised"] == target
                && last["raised"] == progress["raised"]
                && last["investor_count"] == progress["investor_count"];
            if same {
                report.matched += 1;
            } else {
                report.problems.push(format!(
                    "last event {last} vs the offering {progress} ({:?})",
                    s.error
                ));
            }
            if let Some(at) = s.funded_at {
                report
                    .latencies_ms
                    .push(at.saturating_duration_since(answered_at).as_secs_f64() * 1e3);
            }
        }
        report.latencies_ms.sort_by(f64::total_cmp);
        report
    }

    fn latency_ms(&self, p: f64) -> f64 {
        if self.latencies_ms.is_empty() {
            return f64::NAN;
        }
        let i = ((self.latencies_ms.len() as f64 - 1.0) * p).round() as usize;
        self.latencies_ms[i]
    }
}

/// `SELECT COUNT(*) AS n ...` on the benchmark's database.
fn count(url: &str, sql: &str) -> Result<i64> {
    #[derive(diesel::QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let mut conn = establish(url)?;
    Ok(diesel::sql_query(sql).get_result::<Count>(&mut *conn)?.n)
}

/// A connection set up as the server sets up its own (backend by URL scheme).
fn establish(url: &str) -> Result<crowdfund::db::PooledConn> {
    let pool = crowdfund::db::build_pool(&crowdfund::db::DatabaseUrl::parse(url)?, 1)?;
    Ok(pool.get()?)
}

#[derive(Default)]
struct Outcome {
    latencies_us: Vec<u64>,
    accepted: u64,
    refused: u64,
    server_errors: u64,
    other: u64,
    elapsed: Duration,
    /// Refusal and error codes seen, with their counts.
    codes: std::collections::BTreeMap<String, u64>,
}

impl Outcome {
    fn rate(&self) -> f64 {
        self.accepted as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    fn percentile(&self, p: f64) -> f64 {
        if self.latencies_us.is_empty() {
            return 0.0;
        }
        let i = ((self.latencies_us.len() as f64 - 1.0) * p).round() as usize;
        self.latencies_us[i] as f64 / 1000.0
    }
}

/// One run of [`fire`], with the servers' CPU per accepted subscription,
/// by thread, and their memory after it (on standard error).
async fn measure(
    servers: &[Server],
    api: &Api,
    investors: &[Person],
    offerings: &[String],
    args: &Args,
    phase: &str,
) -> Outcome {
    let cpu_before: Vec<f64> = servers.iter().map(Server::cpu_seconds).collect();
    let threads_before = servers[0].cpu_by_thread();
    let own_before = own_cpu_seconds();
    let result = fire(api, investors, offerings, args, phase).await;
    print_thread_cpu(
        &threads_before,
        &servers[0].cpu_by_thread(),
        result.accepted,
    );
    let server_cpu: f64 = servers
        .iter()
        .zip(cpu_before)
        .map(|(s, before)| s.cpu_seconds() - before)
        .sum();
    let accepted = result.accepted.max(1) as f64;
    eprintln!(
        "  CPU per accepted subscription: servers {:.0} us, load generator {:.0} us",
        server_cpu * 1e6 / accepted,
        (own_cpu_seconds() - own_before) * 1e6 / accepted
    );
    eprintln!("  resident after it: {}", memory(servers, "VmRSS"));
    result
}

/// Each server's resident set (`VmRSS`) or its peak (`VmHWM`), in MB.
fn memory(servers: &[Server], field: &str) -> String {
    let each: Vec<String> = servers
        .iter()
        .map(|s| format!("{} MB", s.rss_kb(field) / 1024))
        .collect();
    each.join(", ")
}

async fn fire(
    api: &Api,
    investors: &[Person],
    offerings: &[String],
    args: &Args,
    phase: &str,
) -> Outcome {
    let deadline = Instant::now() + Duration::from_secs(args.seconds);
    let counter = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let clients = (0..args.connections).map(|c| {
        let counter = counter.clone();
        async move {
            let mut out = Outcome::default();
            let mut n = c;
            while Instant::now() < deadline {
                let investor = &investors[n % investors.len()];
                let offering = &offerings[n % offerings.len()];
                let key = format!("{phase}-{}", counter.fetch_add(1, Ordering::Relaxed));
                let t = Instant::now();
                let (status, code) = api
                    .subscribe(n, investor, offering, &key)
                    .await
                    .unwrap_or((0, "request failed".to_string()));
                if status != 201 {
                    *out.codes.entry(format!("{status} {code}")).or_default() += 1;
                }
                out.latencies_us.push(t.elapsed().as_micros() as u64);
                match status {
                    201 => out.accepted += 1,
                    400..=499 => out.refused += 1,
                    500..=599 => out.server_errors += 1,
                    _ => out.other += 1,
                }
                n += args.connections;
            }
            out
        }
    });
    let parts = futures_util::future::join_all(clients).await;
    let mut total = Outcome {
        elapsed: started.elapsed(),
        ..Outcome::default()
    };
    for part in parts {
        total.latencies_us.extend(part.latencies_us);
        total.accepted += part.accepted;
        total.refused += part.refused;
        total.server_errors += part.server_errors;
        total.other += part.other;
        for (code, n) in part.codes {
            *total.codes.entry(code).or_default() += n;
        }
    }
    total.latencies_us.sort_unstable();
    total
}

struct Person {
    id: String,
    token: String,
}

struct Api {
    client: reqwest::Client,
    bases: Vec<String>,
}

impl Api {
    async fn call(
        &self,
        server: usize,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Value,
    ) -> Result<Value> {
        let url = format!("{}{}", self.bases[server % self.bases.len()], path);
        // Every money request takes an Idempotency-Key; the others ignore it.
        let key = uuid::Uuid::new_v4().to_string();
        let mut req = self
            .client
            .request(method, url)
            .header("Idempotency-Key", key)
            .json(&body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let resp = req.send().await?;
        let status = resp.status();
        let body: Value = resp.json().await.unwrap_or(Value::Null);
        if !status.is_success() {
            bail!("{path}: {status} {body}");
        }
        Ok(body)
    }

    async fn get(&self, path: &str) -> Result<Value> {
        let resp = self
            .client
            .get(format!("{}{}", self.bases[0], path))
            .send()
            .await?;
        let status = resp.status();
        let body: Value = resp.json().await.unwrap_or(Value::Null);
        if !status.is_success() {
            bail!("{path}: {status} {body}");
        }
        Ok(body)
    }

    async fn post(&self, path: &str, token: Option<&str>, body: Value) -> Result<Value> {
        self.call(0, reqwest::Method::POST, path, token, body).await
    }

    async fn login(&self, email: &str) -> Result<String> {
        let body = self
            .post(
                "/api/v1/auth/login",
                None,
                json!({"email": email, "password": PASSWORD}),
            )
            .await?;
        body["access_token"]
            .as_str()
            .map(str::to_string)
            .context("no access token")
    }

    async fn operator(&self, url: &str) -> Result<Person> {
        let email = unique_email("operator");
        let mut conn = establish(url)?;
        let id = crowdfund::services::accounts::create_operator(
            &mut conn,
            &crowdfund::domain::Email::parse(&email)?,
            &crowdfund::domain::Password::parse("password", PASSWORD.into())?,
            &crowdfund::domain::DisplayName::parse("Operator")?,
        )?;
        Ok(Person {
            id,
            token: self.login(&email).await?,
        })
    }

    async fn signed_up(&self, url: &str, role: &str) -> Result<Person> {
        let email = unique_email(role);
        let body = self
            .post(
                "/api/v1/auth/register",
                None,
                json!({"email": email, "password": PASSWORD, "display_name": "Load", "role": role}),
            )
            .await?;
        let id = body["id"].as_str().context("no id")?.to_string();
        let mut conn = establish(url)?;
        crowdfund::db::users::User::mark_email_verified(&mut conn, &id, crowdfund::db::now())?;
        Ok(Person {
            id,
            token: self.login(&email).await?,
        })
    }

    async fn funded_investor(&self, url: &str, operator: &Person, cash: i64) -> Result<Person> {
        let investor = self.signed_up(url, "investor").await?;
        let profile = self
            .call(
                0,
                reqwest::Method::PUT,
                "/api/v1/me/investor-profile",
                Some(&investor.token),
                // Accredited (no Reg CF limit) and qualified under China's
                // rules (¥3,000,000 of financial assets).
                json!({"legal_name": "Load Investor", "country": "US", "annual_income": 0,
                       "net_worth": 0, "accredited": true, "external_investments_12m": 0,
                       "financial_assets": 300_000_000}),
            )
            .await?;
        // The version just saved is the one the operator approves.
        self.post(
            &format!("/api/v1/operator/investors/{}/kyc", investor.id),
            Some(&operator.token),
            json!({"decision": "approved", "submitted_at": profile["updated_at"]}),
        )
        .await?;
        let deposit = self
            .post(
                "/api/v1/me/deposits",
                Some(&investor.token),
                json!({"amount": cash}),
            )
            .await?;
        let notice = json!({"bank_txn_id": format!("BT-{}", uuid::Uuid::new_v4()),
                            "reference": deposit["reference"], "amount": cash, "kind": "deposit"})
        .to_string();
        let mut mac = Hmac::<Sha256>::new_from_slice(BANK_SECRET.as_bytes())?;
        mac.update(notice.as_bytes());
        let signature = format!("sha256={}", hex::encode(mac.finalize().into_bytes()));
        let resp = self
            .client
            .post(format!("{}/api/v1/webhooks/bank", self.bases[0]))
            .header("content-type", "application/json")
            .header("X-Bank-Signature", signature)
            .body(notice)
            .send()
            .await?;
        if !resp.status().is_success() {
            bail!("bank webhook: {}", resp.status());
        }
        Ok(investor)
    }

    async fn open_offering(
        &self,
        sponsor: &Person,
        operator: &Person,
        target: i64,
    ) -> Result<String> {
        let closes_at = (chrono::Utc::now() + chrono::TimeDelta::days(30)).to_rfc3339();
        let draft = self
            .post(
                "/api/v1/offerings",
                Some(&sponsor.token),
                json!({"title": "Hot Launch", "summary": "Load", "description": "Load test",
                       "security_type": "common_equity", "price_per_share": PRICE,
                       "target_amount": target, "min_subscription": PRICE,
                       "closes_at": closes_at}),
            )
            .await?;
        let id = draft["id"].as_str().context("no offering id")?.to_string();
        self.post(
            &format!("/api/v1/offerings/{id}/submit"),
            Some(&sponsor.token),
            json!({}),
        )
        .await?;
        self.post(
            &format!("/api/v1/operator/offerings/{id}/approve"),
            Some(&operator.token),
            json!({}),
        )
        .await?;
        Ok(id)
    }

    /// Buys what is left of `offering` as `investor`; returns when the
    /// answer came, and the offering's target.
    async fn fund_the_rest(&self, investor: &Person, offering: &str) -> Result<(Instant, i64)> {
        let figures = self.get(&format!("/api/v1/offerings/{offering}")).await?;
        let target = figures["target_amount"].as_i64().context("no target")?;
        let raised = figures["progress"]["raised"]
            .as_i64()
            .context("no raised")?;
        self.call(
            0,
            reqwest::Method::POST,
            &format!("/api/v1/offerings/{offering}/subscriptions"),
            Some(&investor.token),
            json!({"shares": (target - raised) / PRICE}),
        )
        .await?;
        Ok((Instant::now(), target))
    }

    /// One share; returns the status and the problem's code (None when the
    /// request itself failed).
    async fn subscribe(
        &self,
        n: usize,
        investor: &Person,
        offering: &str,
        key: &str,
    ) -> Option<(u16, String)> {
        let url = format!(
            "{}/api/v1/offerings/{offering}/subscriptions",
            self.bases[n % self.bases.len()]
        );
        let resp = self
            .client
            .post(url)
            .bearer_auth(&investor.token)
            .header("Idempotency-Key", key)
            .json(&json!({"shares": 1}))
            .send()
            .await
            .ok()?;
        let status = resp.status().as_u16();
        let body = resp.bytes().await.ok()?;
        let code = if status == 201 {
            String::new()
        } else {
            serde_json::from_slice::<Value>(&body)
                .ok()
                .and_then(|v| v["code"].as_str().map(str::to_string))
                .unwrap_or_default()
        };
        Some((status, code))
    }
}

/// The first server's CPU per accepted subscription, by thread, where it went.
fn print_thread_cpu(
    before: &std::collections::BTreeMap<String, f64>,
    after: &std::collections::BTreeMap<String, f64>,
    accepted: u64,
) {
    let mut spent: Vec<(String, f64)> = after
        .iter()
        .map(|(name, cpu)| (name.clone(), cpu - before.get(name).copied().unwrap_or(0.0)))
        .filter(|(_, cpu)| *cpu > 0.0)
        .collect();
    spent.sort_by(|a, b| b.1.total_cmp(&a.1));
    let parts: Vec<String> = spent
        .iter()
        .take(6)
        .map(|(name, cpu)| format!("{name} {:.0} us", cpu * 1e6 / accepted.max(1) as f64))
        .collect();
    eprintln!("  by thread: {}", parts.join(", "));
}

fn own_cpu_seconds() -> f64 {
    proc_cpu_seconds("/proc/self/stat")
}

/// utime + stime of a /proc/PID/stat file, in seconds (clock ticks of 1/100 s).
fn proc_cpu_seconds(path: &str) -> f64 {
    let stat = std::fs::read_to_string(path).unwrap_or_default();
    // The fields after the command name, which is in parentheses.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after ")".
    (ticks(11) + ticks(12)) / 100.0
}

fn unique_email(prefix: &str) -> String {
    format!(
        "{prefix}-{}@load.example.com",
        uuid::Uuid::new_v4().simple()
    )
}

struct Server {
    child: Child,
    base: String,
}

impl Server {
    fn start(
        database_url: &str,
        dir: &Path,
        mail: Mail,
        smtp_port: u16,
        rule_profile: &str,
    ) -> Result<Server> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let child = Command::new(std::env::current_exe()?)
            .arg("serve")
            .env("DATABASE_URL", database_url)
            .env("BIND_ADDR", format!("127.0.0.1:{port}"))
            .env("JWT_SECRET", JWT_SECRET)
            .env("BANK_WEBHOOK_SECRET", BANK_SECRET)
            .env("RULE_PROFILE", rule_profile)
            .env("MAIL_DIR", dir.join("mail"))
            .env("LOGIN_RATE_LIMIT_PER_MINUTE", "100000")
            .env("REGISTER_RATE_LIMIT_PER_ADDRESS", "off")
            .env("REGISTER_RATE_LIMIT_PER_EMAIL", "off")
            // The emails are queued either way; with --mail off they are
            // delivered after the run instead of during it. 1000 ms is the
            // default.
            .env(
                "MAIL_RELAY_INTERVAL_MS",
                if mail == Mail::Off { "3600000" } else { "1000" },
            )
            .env(
                "SMTP_URL",
                match mail {
                    Mail::File => String::new(),
                    _ => format!("smtp://127.0.0.1:{smtp_port}"),
                },
            )
            .env("STREAM_MAX_CLIENTS", "10000")
            .env("MAX_CONNECTIONS", "12000")
            .env(
                "RUST_LOG",
                std::env::var("RUST_LOG").unwrap_or_else(|_| "warn".into()),
            )
            // RUST_LOG=crowdfund=debug with LOAD_SERVER_OUTPUT=1 shows the servers' logs.
            .stdout(if std::env::var_os("LOAD_SERVER_OUTPUT").is_some() {
                Stdio::inherit()
            } else {
                Stdio::null()
            })
            .spawn()?;
        Ok(Server {
            child,
            base: format!("http://127.0.0.1:{port}"),
        })
    }

    async fn wait_ready(&self, client: &reqwest::Client) -> Result<()> {
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if let Ok(r) = client.get(format!("{}/readyz", self.base)).send().await {
                if r.status().is_success() {
                    return Ok(());
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        bail!("the server at {} did not become ready", self.base)
    }

    /// CPU time (user + system) the child has used, in seconds.
    fn cpu_seconds(&self) -> f64 {
        proc_cpu_seconds(&format!("/proc/{}/stat", self.child.id()))
    }

    /// CPU seconds by thread name (threads of one name summed).
    fn cpu_by_thread(&self) -> std::collections::BTreeMap<String, f64> {
        let mut by_name = std::collections::BTreeMap::new();
        let dir = format!("/proc/{}/task", self.child.id());
        for task in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let path = task.path();
            let name = std::fs::read_to_string(path.join("comm")).unwrap_or_default();
            let cpu = proc_cpu_seconds(&path.join("stat").to_string_lossy());
            *by_name.entry(name.trim().to_string()).or_insert(0.0) += cpu;
        }
        by_name
    }

    /// The child's resident set (`VmRSS`) or its peak (`VmHWM`), in kB.
    fn rss_kb(&self, field: &str) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .unwrap_or_default();
        status
            .lines()
            .find(|l| {
                l.strip_prefix(field)
                    .is_some_and(|rest| rest.starts_with(':'))
            })
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kb| kb.parse().ok())
            .unwrap_or(0)
    }

    fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct Database {
    url: String,
    /// PostgreSQL: (admin URL, database name), dropped at the end.
    postgres: Option<(String, String)>,
}

impl Database {
    fn create(args: &Args, dir: &Path) -> Result<Database> {
        if args.backend == "sqlite" {
            let path = dir.join("load.db");
            return Ok(Database {
                url: format!("sqlite://{}", path.display()),
                postgres: None,
            });
        }
        let name = format!("cf_load_{}", uuid::Uuid::new_v4().simple());
        let mut admin = diesel::PgConnection::establish(&args.pg_admin_url)
            .context("cannot reach PostgreSQL (--pg-admin-url)")?;
        admin.batch_execute(&format!("CREATE DATABASE \"{name}\""))?;
        let base = args
            .pg_admin_url
            .rsplit_once('/')
            .map(|(b, _)| b.to_string())
            .context("--pg-admin-url ends in /dbname")?;
        Ok(Database {
            url: format!("{base}/{name}"),
            postgres: Some((args.pg_admin_url.clone(), name)),
        })
    }

    fn ceiling_name(&self) -> &'static str {
        if self.postgres.is_some() {
            "pgbench: hot-row conditional UPDATE + INSERT per transaction"
        } else {
            "one writer: hot-row conditional UPDATE + INSERT per transaction, WAL, the server's synchronous setting"
        }
    }

    /// Transactions per second of the database alone, on this database.
    fn ceiling(&self, seconds: u64, clients: usize) -> Result<f64> {
        let mut conn = establish(&self.url)?;
        conn.batch_execute(
            "CREATE TABLE bench_hot (id INTEGER PRIMARY KEY, n BIGINT NOT NULL, cap BIGINT NOT NULL); \
             CREATE TABLE bench_log (id TEXT PRIMARY KEY, v BIGINT NOT NULL); \
             INSERT INTO bench_hot VALUES (1, 0, 9000000000000000000);",
        )?;
        let rate = match &self.postgres {
            Some(_) => pgbench(&self.url, seconds, clients)?,
            None => sqlite_loop(&self.url, seconds)?,
        };
        conn.batch_execute("DROP TABLE bench_hot; DROP TABLE bench_log;")?;
        // What the ceiling's run left behind (dead rows for autovacuum, dirty
        // pages for the next checkpoint, a long write-ahead log) is cleaned
        // up now, not charged to the first run that follows.
        // (One statement per call: PostgreSQL runs a string of several as
        // one transaction, which VACUUM refuses.)
        let statements: &[&str] = match self.postgres {
            Some(_) => &["VACUUM (ANALYZE)", "CHECKPOINT"],
            None => &["PRAGMA wal_checkpoint(TRUNCATE)"],
        };
        for statement in statements {
            conn.batch_execute(statement)?;
        }
        Ok(rate)
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        if let Some((admin, name)) = &self.postgres {
            if let Ok(mut conn) = diesel::PgConnection::establish(admin) {
                let _ =
                    conn.batch_execute(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"));
            }
        }
    }
}

fn pgbench(url: &str, seconds: u64, clients: usize) -> Result<f64> {
    let script = tempfile::NamedTempFile::new()?;
    std::fs::write(
        script.path(),
        "BEGIN;\n\
         UPDATE bench_hot SET n = n + 1 WHERE id = 1 AND n + 1 <= cap;\n\
         INSERT INTO bench_log (id, v) VALUES (gen_random_uuid()::text, 1);\n\
         COMMIT;\n",
    )?;
    let out = Command::new("pgbench")
        .args([
            "-n",
            "-c",
            &clients.to_string(),
            "-j",
            "2",
            "-T",
            &seconds.to_string(),
            "-f",
        ])
        .arg(script.path())
        .arg(url)
        .output()
        .context("cannot run pgbench (install postgresql-client)")?;
    let text = String::from_utf8_lossy(&out.stdout);
    text.lines()
        .find(|l| l.starts_with("tps = "))
        .and_then(|l| l.split_whitespace().nth(2))
        .and_then(|v| v.parse().ok())
        .with_context(|| {
            format!(
                "no tps in pgbench's output: {text} {}",
                String::from_utf8_lossy(&out.stderr)
            )
        })
}

/// One writer, one transaction at a time, on a connection set up exactly as
/// the server sets up its own.
fn sqlite_loop(url: &str, seconds: u64) -> Result<f64> {
    let mut conn = establish(url)?;
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let mut n: u64 = 0;
    while Instant::now() < deadline {
        crowdfund::db::write_transaction(&mut conn, |c| -> diesel::QueryResult<()> {
            diesel::sql_query("UPDATE bench_hot SET n = n + 1 WHERE id = 1 AND n + 1 <= cap")
                .execute(c)?;
            diesel::sql_query("INSERT INTO bench_log (id, v) VALUES ($1, 1)")
                .bind::<diesel::sql_types::Text, _>(uuid::Uuid::now_v7().to_string())
                .execute(c)?;
            Ok(())
        })?;
        n += 1;
    }
    Ok(n as f64 / started.elapsed().as_secs_f64())
}
