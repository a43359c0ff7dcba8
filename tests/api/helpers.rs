//! Spawning the real application on a random port over a fresh database.
//!
//! The backend is SQLite (a file in a temporary folder) unless
//! `TEST_DATABASE_URL` names a PostgreSQL server: then each test creates its own
//! database there and drops it afterwards.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crowdfund::app::Application;
use crowdfund::config::Config;
use crowdfund::db::{build_pool, AnyConnection, DbPool};
use diesel::connection::SimpleConnection;
use diesel::Connection;
use reqwest::StatusCode;
use serde_json::{json, Value};

pub const PASSWORD: &str = "correct horse battery staple";
pub const JWT_SECRET: &str = "test-secret-that-is-long-enough-0123456789";
pub const BANK_SECRET: &str = "test-bank-webhook-secret";
/// `TRUSTED_PROXIES` for tests that pose as many clients: the test client
/// connects over loopback, which is then trusted to name the client.
pub const LOOPBACK: &str = "127.0.0.1/32,::1/128";

/// The tests' HTTP client. An idle connection is dropped after 2 s, under
/// the server's keep-alive (actix-web's 5 s), so that no request goes out on
/// a connection the server's keep-alive is closing at that moment: it would
/// end without an answer (`IncompleteMessage`) through no fault of the
/// server's (seen once, 250 concurrent sign-ups on PostgreSQL).
fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(60))
        .pool_idle_timeout(Duration::from_secs(2))
        .build()
        .expect("client")
}

pub struct TestApp {
    pub address: String,
    /// The metrics server's, when `METRICS_BIND_ADDR` is set.
    pub metrics_address: Option<String>,
    pub client: reqwest::Client,
    pub mail_dir: PathBuf,
    pub pool: DbPool,
    vars: HashMap<String, String>,
    // Dropped in this order: the server and its jobs stop before the test's
    // database is dropped, so nothing keeps reconnecting to it.
    /// None when the server is another process ([`TestApp::of_process`]).
    _server: Option<StopOnDrop>,
    _db: Option<TestDatabase>,
    _dirs: Vec<tempfile::TempDir>,
}

struct StopOnDrop(crowdfund::app::StopHandle);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        self.0.stop();
    }
}

/// A database that exists for one test (dropped with this guard).
pub struct TestDatabase {
    admin_url: Option<String>,
    name: String,
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Some(admin) = &self.admin_url {
            if let Ok(mut conn) = diesel::PgConnection::establish(admin) {
                let _ = conn.batch_execute(&format!(
                    "DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)",
                    self.name
                ));
            }
        }
    }
}

pub fn backend_is_postgres() -> bool {
    std::env::var("TEST_DATABASE_URL").is_ok_and(|v| !v.is_empty())
}

/// A new, empty database for one test: a file in `dir` on SQLite, a
/// database of its own on PostgreSQL (dropped with the guard).
pub fn fresh_database(dir: &Path) -> (String, Option<TestDatabase>) {
    match std::env::var("TEST_DATABASE_URL") {
        Ok(admin) if !admin.is_empty() => {
            let admin = without_tls(&admin);
            let name = format!("cf_test_{}", uuid::Uuid::new_v4().simple());
            let mut conn = diesel::PgConnection::establish(&admin).unwrap_or_else(|e| {
                panic!("TEST_DATABASE_URL is set but PostgreSQL is unreachable: {e}")
            });
            conn.batch_execute(&format!("CREATE DATABASE \"{name}\""))
                .expect("create test database");
            let base = admin
                .rsplit_once('/')
                .map(|(base, _)| base.to_string())
                .expect("TEST_DATABASE_URL ends in /dbname");
            let url = without_tls(&format!("{base}/{name}"));
            (
                url,
                Some(TestDatabase {
                    admin_url: Some(admin),
                    name,
                }),
            )
        }
        _ => (format!("sqlite://{}", dir.join("test.db").display()), None),
    }
}

/// The tests talk to PostgreSQL over plain TCP on loopback unless the URL
/// asks for TLS itself: a TLS session still open in one of the servers'
/// threads when the test process exits races OpenSSL's exit-time cleanup
/// (a SIGSEGV in libcrypto after every test had passed, seen here).
fn without_tls(url: &str) -> String {
    if url.contains("sslmode=") {
        return url.to_string();
    }
    let (path, query) = url.split_once('?').unwrap_or((url, ""));
    match query {
        "" => format!("{path}?sslmode=disable"),
        query => format!("{path}?{query}&sslmode=disable"),
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(&[]).await
}

/// Spawns the app with extra configuration variables (`("NAME", "value")`;
/// an empty value unsets the variable, as in the process environment).
pub async fn spawn_app_with(overrides: &[(&str, &str)]) -> TestApp {
    let dir = tempfile::tempdir().expect("temp dir");
    let (database_url, db) = fresh_database(dir.path());
    let vars = test_vars(&database_url, dir.path(), overrides);
    start(vars, db, vec![dir]).await
}

/// Spawns the app over a database the test made itself (a private
/// PostgreSQL cluster, a file on a small file system).
pub async fn spawn_app_at(database_url: &str, overrides: &[(&str, &str)]) -> TestApp {
    let dir = tempfile::tempdir().expect("temp dir");
    let vars = test_vars(database_url, dir.path(), overrides);
    start(vars, None, vec![dir]).await
}

/// The configuration of a test server: mail into `dir`, limits off.
pub fn test_vars(
    database_url: &str,
    dir: &Path,
    overrides: &[(&str, &str)],
) -> HashMap<String, String> {
    let mail_dir = dir.join("mail");
    let mut vars: HashMap<String, String> = [
        ("DATABASE_URL", database_url),
        ("BIND_ADDR", "127.0.0.1:0"),
        ("JWT_SECRET", JWT_SECRET),
        ("PUBLIC_BASE_URL", "http://app.test"),
        ("MAIL_DIR", mail_dir.to_str().expect("utf-8 path")),
        ("MAIL_RELAY_INTERVAL_MS", "50"),
        ("MAIL_RETRY_BASE_MS", "200"),
        ("LOGIN_RATE_LIMIT_PER_MINUTE", "10000"),
        // Every test user signs up from loopback; the tests of the limits
        // set their own.
        ("REGISTER_RATE_LIMIT_PER_ADDRESS", "off"),
        ("REGISTER_RATE_LIMIT_PER_EMAIL", "off"),
        ("PASSWORD_RESET_RATE_LIMIT_PER_ADDRESS", "off"),
        ("PASSWORD_RESET_RATE_LIMIT_PER_EMAIL", "off"),
        ("VERIFICATION_RATE_LIMIT_PER_ADDRESS", "off"),
        ("VERIFICATION_RATE_LIMIT_PER_EMAIL", "off"),
        ("SESSION_REVOCATION_POLL_MS", "100"),
        ("DATABASE_POOL_SIZE", "8"),
        ("BANK_WEBHOOK_SECRET", BANK_SECRET),
        ("MIN_OFFERING_DURATION_SECS", "2"),
        // Rounds funded early settle at once (the rule's own test sets it).
        ("REG_CF_MIN_OPEN_SECS", "0"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    apply(&mut vars, overrides);
    vars
}

fn apply(vars: &mut HashMap<String, String>, overrides: &[(&str, &str)]) {
    for (k, v) in overrides {
        if v.is_empty() {
            vars.remove(*k);
        } else {
            vars.insert(k.to_string(), v.to_string());
        }
    }
}

async fn start(
    vars: HashMap<String, String>,
    db: Option<TestDatabase>,
    dirs: Vec<tempfile::TempDir>,
) -> TestApp {
    if std::env::var("TEST_LOG").is_ok() {
        crowdfund::telemetry::init();
    }
    let lookup = {
        let vars = vars.clone();
        move |k: &str| vars.get(k).cloned()
    };
    let config = Config::from_vars(&lookup).expect("test configuration");
    let mail_dir = config.mail.dir.clone();
    let database_url = config.database_url.clone();
    let app = Application::build(config).expect("application starts");
    let port = app.port();
    let metrics_address = app
        .metrics_port()
        .map(|port| format!("http://127.0.0.1:{port}"));
    let stop = app.stop_handle();
    tokio::spawn(app.run_until_stopped());
    let pool = build_pool(&database_url, 4).expect("test pool");
    TestApp {
        address: format!("http://127.0.0.1:{port}"),
        metrics_address,
        client: http_client(),
        mail_dir,
        pool,
        vars,
        _server: Some(StopOnDrop(stop)),
        _db: db,
        _dirs: dirs,
    }
}

/// What a test reads back from an HTTP call.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Reply {
    /// The `Retry-After` header, in seconds.
    pub fn retry_after(&self) -> u64 {
        self.headers["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap()
    }

    pub fn code(&self) -> &str {
        self.body["code"].as_str().unwrap_or("")
    }

    /// Asserts a problem+json answer with this status and code.
    #[track_caller]
    pub fn assert_problem(&self, status: u16, code: &str) {
        assert_eq!(self.status.as_u16(), status, "body: {}", self.body);
        assert_eq!(self.code(), code, "body: {}", self.body);
        let content_type = self
            .headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        assert_eq!(content_type, "application/problem+json");
        for field in ["type", "title", "status", "detail"] {
            assert!(
                !self.body[field].is_null(),
                "missing {field}: {}",
                self.body
            );
        }
    }
}

impl TestApp {
    /// Another server process on the same database (several instances).
    pub async fn spawn_sibling(&self, overrides: &[(&str, &str)]) -> TestApp {
        // Same configuration, MAIL_DIR included: one deployment, several processes.
        let mut vars = self.vars.clone();
        let dir = tempfile::tempdir().expect("temp dir");
        apply(&mut vars, overrides);
        start(vars, None, vec![dir]).await
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub async fn request(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Reply {
        let mut req = self.client.request(method, self.url(path));
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        if let Some(body) = body {
            req = req.json(&body);
        }
        let resp = req.send().await.expect("request sent");
        read(resp).await
    }

    /// A POST with an Idempotency-Key.
    pub async fn post_keyed(
        &self,
        path: impl AsRef<str>,
        token: Option<&str>,
        key: &str,
        body: Value,
    ) -> Reply {
        let mut req = self
            .client
            .post(self.url(path.as_ref()))
            .header("Idempotency-Key", key)
            .json(&body);
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        read(req.send().await.expect("request sent")).await
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Reply {
        self.request(reqwest::Method::GET, path, token, None).await
    }

    pub async fn post(&self, path: impl AsRef<str>, token: Option<&str>, body: Value) -> Reply {
        self.request(reqwest::Method::POST, path.as_ref(), token, Some(body))
            .await
    }

    /// A POST as the client at `ip` (the app must trust [`LOOPBACK`]).
    pub async fn post_from(&self, ip: &str, path: &str, body: Value) -> Reply {
        let resp = self
            .client
            .post(self.url(path))
            .header("X-Forwarded-For", ip)
            .json(&body)
            .send()
            .await
            .expect("request sent");
        read(resp).await
    }

    /// `GET /api/v1/me` with `token` until it is refused, for up to `within`.
    pub async fn refused_within(&self, token: &str, within: Duration) -> Reply {
        let deadline = Instant::now() + within;
        loop {
            let me = self.get("/api/v1/me", Some(token)).await;
            if me.status != 200 || Instant::now() > deadline {
                return me;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub async fn register(&self, email: &str, role: &str) -> Reply {
        self.post(
            "/api/v1/auth/register",
            None,
            json!({"email": email, "password": PASSWORD, "display_name": "Test User", "role": role}),
        )
        .await
    }

    pub async fn login(&self, email: &str, password: &str) -> Reply {
        self.post(
            "/api/v1/auth/login",
            None,
            json!({"email": email, "password": password}),
        )
        .await
    }

    /// Registers, verifies through the mailed link, and signs in; returns
    /// (user id, access token, refresh token).
    pub async fn signed_up(&self, email: &str, role: &str) -> (String, String, String) {
        let reg = self.register(email, role).await;
        assert_eq!(reg.status, 201, "{}", reg.body);
        let mail = self.wait_for_email(email, "Confirm your email").await;
        let token = mail.link_token("/verify-email?token=");
        let verified = self
            .post("/api/v1/auth/verify-email", None, json!({"token": token}))
            .await;
        assert_eq!(verified.status, 200, "{}", verified.body);
        let login = self.login(email, PASSWORD).await;
        assert_eq!(login.status, 200, "{}", login.body);
        (
            reg.body["id"].as_str().expect("id").to_string(),
            login.body["access_token"]
                .as_str()
                .expect("token")
                .to_string(),
            login.body["refresh_token"]
                .as_str()
                .expect("refresh")
                .to_string(),
        )
    }

    /// Waits (up to 15 s) for the relay to deliver an email to `to` whose
    /// subject contains `subject`, in the file transport's folder.
    pub async fn wait_for_email(&self, to: &str, subject: &str) -> Mail {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if let Some(mail) = read_mails(&self.mail_dir)
                .into_iter()
                .find(|m| m.header("To").contains(to) && m.header("Subject").contains(subject))
            {
                return mail;
            }
            assert!(
                Instant::now() < deadline,
                "no email to {to} about {subject:?} arrived"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub fn emails_to(&self, to: &str) -> Vec<Mail> {
        read_mails(&self.mail_dir)
            .into_iter()
            .filter(|m| m.header("To").contains(to))
            .collect()
    }

    /// A direct connection for checking what the database holds.
    pub fn conn(&self) -> diesel::r2d2::PooledConnection<crowdfund::db::ConnectionManager> {
        self.pool.get().expect("test connection")
    }

    /// Runs a statement directly on the test's database (to age a row, say).
    pub fn execute(&self, sql: &str) -> usize {
        use diesel::prelude::*;
        let mut conn = self.conn();
        let conn: &mut AnyConnection = &mut conn;
        diesel::sql_query(sql).execute(conn).expect("statement")
    }

    pub fn count(&self, sql_from_where: &str) -> i64 {
        use diesel::prelude::*;
        #[derive(QueryableByName)]
        struct Count {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        let mut conn = self.conn();
        let conn: &mut AnyConnection = &mut conn;
        diesel::sql_query(format!("SELECT COUNT(*) AS n FROM {sql_from_where}"))
            .get_result::<Count>(conn)
            .expect("count query")
            .n
    }

    /// The text column `t` of each row `sql` selects (for what a failed
    /// assertion reports).
    pub fn texts(&self, sql: &str) -> Vec<String> {
        use diesel::prelude::*;
        #[derive(QueryableByName)]
        struct Text {
            #[diesel(sql_type = diesel::sql_types::Text)]
            t: String,
        }
        let mut conn = self.conn();
        let conn: &mut AnyConnection = &mut conn;
        diesel::sql_query(sql)
            .load::<Text>(conn)
            .expect("text query")
            .into_iter()
            .map(|row| row.t)
            .collect()
    }

    /// Runs the `crowdfund` binary against this app's database.
    pub fn cli(&self, args: &[&str]) -> std::process::Output {
        std::process::Command::new(env!("CARGO_BIN_EXE_crowdfund"))
            .args(args)
            .env("DATABASE_URL", &self.vars["DATABASE_URL"])
            .env("JWT_SECRET", JWT_SECRET)
            .output()
            .expect("run crowdfund")
    }

    /// `crowdfund verify-ledger`: (exit status 0, the JSON report).
    pub fn verify_ledger(&self) -> (bool, Value) {
        let out = self.cli(&["verify-ledger"]);
        (
            out.status.success(),
            serde_json::from_slice(&out.stdout).unwrap_or(Value::Null),
        )
    }

    /// This app's test configuration, for a server process or a client of
    /// one ([`TestApp::of_process`]).
    pub fn test_vars(&self) -> HashMap<String, String> {
        test_vars(
            &self.database_url_string(),
            self.mail_dir.parent().expect("the test folder"),
            &[],
        )
    }

    pub fn database_url_string(&self) -> String {
        self.vars["DATABASE_URL"].clone()
    }

    /// The `crowdfund` binary serving this app's database and configuration
    /// as a separate process (which a test can kill), ready when returned.
    pub async fn spawn_process(&self, overrides: &[(&str, &str)]) -> ServerProcess {
        start_process(&self.vars, overrides).await
    }

    /// Stops this in-process server and its jobs, and sends the test's
    /// requests to `process` instead (which then alone writes the database).
    pub fn hand_over_to(&mut self, process: &ServerProcess) {
        if let Some(server) = &self._server {
            server.0.stop();
        }
        self.address = process.address.clone();
    }
}

impl TestApp {
    /// The requests and checks of a test, sent to a server process (of this
    /// build or another release) started with `vars`; nothing in-process.
    pub fn of_process(process: &ServerProcess, vars: HashMap<String, String>) -> TestApp {
        let lookup = {
            let vars = vars.clone();
            move |k: &str| vars.get(k).cloned()
        };
        let config = Config::from_vars(&lookup).expect("test configuration");
        TestApp {
            address: process.address.clone(),
            metrics_address: None,
            client: http_client(),
            mail_dir: config.mail.dir.clone(),
            pool: build_pool(&config.database_url, 2).expect("test pool"),
            vars,
            _server: None,
            _db: None,
            _dirs: Vec::new(),
        }
    }
}

/// The `crowdfund` binary serving with `vars` (and `overrides`) as a
/// separate process, its output kept for [`ServerProcess::log`], ready
/// (answering `/healthz`) when returned.
pub async fn start_process(
    vars: &HashMap<String, String>,
    overrides: &[(&str, &str)],
) -> ServerProcess {
    start_process_of(Path::new(env!("CARGO_BIN_EXE_crowdfund")), vars, overrides).await
}

/// [`start_process`] with another `crowdfund` binary (an earlier release).
pub async fn start_process_of(
    binary: &Path,
    vars: &HashMap<String, String>,
    overrides: &[(&str, &str)],
) -> ServerProcess {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let log_dir = tempfile::tempdir().expect("temp dir");
    let log_path = log_dir.path().join("server.log");
    let log = std::fs::File::create(&log_path).expect("log file");
    let mut command = std::process::Command::new(binary);
    command
        .arg("serve")
        .envs(vars)
        .env("BIND_ADDR", format!("127.0.0.1:{port}"))
        .env("NO_COLOR", "1")
        .stdout(log.try_clone().expect("log file"))
        .stderr(log);
    for (k, v) in overrides {
        command.env(k, v);
    }
    let child = command.spawn().expect("start crowdfund serve");
    let mut process = ServerProcess {
        child,
        address: format!("http://127.0.0.1:{port}"),
        log_path,
        _log_dir: log_dir,
    };
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let up = client
            .get(format!("{}/healthz", process.address))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success());
        if up {
            return process;
        }
        if let Ok(Some(status)) = process.child.try_wait() {
            panic!("the server process exited ({status}):\n{}", process.log());
        }
        assert!(
            Instant::now() < deadline,
            "the server process did not start:\n{}",
            process.log()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A server process started by [`start_process`]; killed when dropped.
pub struct ServerProcess {
    pub child: std::process::Child,
    pub address: String,
    log_path: PathBuf,
    _log_dir: tempfile::TempDir,
}

impl ServerProcess {
    /// SIGKILL: no shutdown, no draining, no flushing.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Sends a signal by name (`TERM`, `INT`).
    pub fn signal(&self, name: &str) {
        let sent = std::process::Command::new("kill")
            .args(["-s", name, &self.child.id().to_string()])
            .status()
            .expect("run kill");
        assert!(sent.success(), "kill -s {name} failed");
    }

    /// Waits for the process to exit on its own; None after `within`.
    pub async fn exited_within(&mut self, within: Duration) -> Option<std::process::ExitStatus> {
        let deadline = Instant::now() + within;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            if Instant::now() >= deadline {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Everything the process has written to stdout and stderr.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log_path).unwrap_or_default()
    }

    /// The log lines at WARN or ERROR.
    pub fn complaints(&self) -> Vec<String> {
        self.log()
            .lines()
            .filter(|line| {
                let mut words = line.split_whitespace();
                let _time = words.next();
                matches!(words.next(), Some("WARN" | "ERROR"))
            })
            .map(str::to_string)
            .collect()
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

pub async fn read(resp: reqwest::Response) -> Reply {
    let status = resp.status();
    let headers = resp.headers().clone();
    let text = resp.text().await.unwrap_or_default();
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    Reply {
        status,
        headers,
        body,
    }
}

/// One `.eml` file: headers parsed here (unfolded, RFC 2047 encoded words
/// decoded, as a lenient mail client shows them), the parts by mail-parser
/// (MIME structure and transfer encodings).
#[derive(Debug, Clone)]
pub struct Mail {
    pub headers: Vec<(String, String)>,
    /// The plain-text part, decoded.
    pub body: String,
    /// The HTML part, decoded; empty for a message without one.
    pub html: String,
    /// The file as it was written.
    pub raw: String,
}

impl Mail {
    /// The message, once the file holds all of it: the transport writes
    /// a file in several writes, and a reader may come between them.
    pub fn parse(raw: &str) -> Option<Mail> {
        let original = raw.to_string();
        let unix = raw.replace("\r\n", "\n");
        let (head, _) = unix.split_once("\n\n").unwrap_or((&unix, ""));
        let mut headers: Vec<(String, String)> = Vec::new();
        for line in head.lines() {
            if line.starts_with([' ', '\t']) {
                if let Some(last) = headers.last_mut() {
                    last.1.push(' ');
                    last.1.push_str(line.trim());
                }
            } else if let Some((k, v)) = line.split_once(':') {
                headers.push((k.trim().to_string(), v.trim().to_string()));
            }
        }
        let headers = headers
            .into_iter()
            .map(|(k, v)| (k, decode_encoded_words(&v)))
            .collect();
        use mail_parser::MimeHeaders;
        let parsed = mail_parser::MessageParser::default().parse(raw.as_bytes())?;
        // A multipart message is whole once its closing delimiter is in.
        if let Some(boundary) = parsed
            .content_type()
            .filter(|t| t.c_type.eq_ignore_ascii_case("multipart"))
            .and_then(|t| t.attribute("boundary"))
        {
            if !raw.contains(&format!("--{boundary}--")) {
                return None;
            }
        }
        let body = parsed
            .body_text(0)
            .map(|t| t.into_owned())
            .unwrap_or_default();
        let html = match parsed.html_part(0).map(|p| &p.body) {
            Some(mail_parser::PartType::Html(html)) => html.to_string(),
            _ => String::new(),
        };
        Some(Mail {
            headers,
            body,
            html,
            raw: original,
        })
    }

    pub fn header(&self, name: &str) -> String {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    }

    /// The token that follows `marker` in the body.
    pub fn link_token(&self, marker: &str) -> String {
        let start = self
            .body
            .find(marker)
            .unwrap_or_else(|| panic!("{marker} not in {}", self.body))
            + marker.len();
        self.body[start..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
            .collect()
    }
}

pub fn read_mails(dir: &Path) -> Vec<Mail> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x == "eml"))
        .filter_map(|e| std::fs::read_to_string(e.path()).ok())
        .filter_map(|raw| Mail::parse(&raw))
        .collect()
}

/// Decodes RFC 2047 encoded words (`=?charset?b|q?text?=`) wherever they
/// stand, as lenient clients (Python's `email.header.decode_header`, most
/// mail readers) do, dropping the white space between two adjacent ones.
pub fn decode_encoded_words(value: &str) -> String {
    let mut out = String::new();
    let mut rest = value;
    let mut after_word = false;
    while !rest.is_empty() {
        let Some(start) = rest.find("=?") else {
            out.push_str(rest);
            break;
        };
        let (before, candidate) = rest.split_at(start);
        match encoded_word(candidate) {
            Some((text, len)) => {
                if !(after_word && before.trim().is_empty()) {
                    out.push_str(before);
                }
                out.push_str(&text);
                rest = &candidate[len..];
                after_word = true;
            }
            None => {
                out.push_str(before);
                out.push_str("=?");
                rest = &candidate[2..];
                after_word = false;
            }
        }
    }
    out
}

/// The decoded text of the encoded word `s` starts with, and its length.
fn encoded_word(s: &str) -> Option<(String, usize)> {
    use base64::Engine;
    let body = s.strip_prefix("=?")?;
    let (charset, body) = body.split_once('?')?;
    let (encoding, body) = body.split_once('?')?;
    let end = body.find("?=")?;
    let text = &body[..end];
    if charset.is_empty() || text.contains(char::is_whitespace) {
        return None;
    }
    let bytes = match encoding {
        "b" | "B" => base64::engine::general_purpose::STANDARD
            .decode(text)
            .ok()?,
        "q" | "Q" => decode_quoted_printable(&text.replace('_', " ")).into_bytes(),
        _ => return None,
    };
    let len = 2 + charset.len() + 1 + encoding.len() + 1 + end + 2;
    Some((String::from_utf8_lossy(&bytes).into_owned(), len))
}

fn decode_quoted_printable(body: &str) -> String {
    let mut out = Vec::new();
    let bytes = body.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'=' if bytes.get(i + 1) == Some(&b'\n') => i += 2,
            b'=' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(b) => {
                        out.push(b);
                        i += 3;
                    }
                    Err(_) => {
                        out.push(b'=');
                        i += 1;
                    }
                }
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A unique address for this test run.
pub fn unique_email(prefix: &str) -> String {
    format!(
        "{prefix}-{}@example.com",
        &uuid::Uuid::new_v4().simple().to_string()[..12]
    )
}

/// Waits until `check` holds, up to `timeout`.
pub async fn eventually(timeout: Duration, mut check: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if check() {
            return true;
        }
        if Instant::now() > deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
