//! Configuration: environment variables -> a typed, validated [`Config`].
//!
//! Every variable has a default so that a bare `cargo run` works. A malformed
//! value stops start-up with a message that names the variable.

use std::fs;
use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rand::RngCore;

use crate::api::client_ip::TrustedProxies;
use crate::auth::key_ring::{KeyRing, MIN_SECRET_LEN};
use crate::db::DatabaseUrl;
use crate::domain::rules::reg_cf::RegCfRule;
use crate::domain::rules::Profile;
use crate::services::rate_limits::{Limit, RateLimits};
use crate::services::sign_in::LockoutPolicy;

/// Where the embedded defaults keep their files (SQLite database, JWT secret, mail).
pub const DEFAULT_DATA_DIR: &str = "data";

#[derive(Debug, thiserror::Error)]
#[error("{var}: {message}")]
pub struct ConfigError {
    pub var: &'static str,
    pub message: String,
}

impl ConfigError {
    fn new(var: &'static str, message: impl Into<String>) -> Self {
        Self {
            var,
            message: message.into(),
        }
    }
}

#[derive(Clone)]
pub struct Config {
    pub database_url: DatabaseUrl,
    pub database_pool_size: u32,
    pub bind_addr: SocketAddr,
    /// Where the Prometheus metrics are served (`/metrics`); none by default.
    pub metrics_bind_addr: Option<SocketAddr>,
    /// The access-token keys: the first signs, all verify.
    pub jwt_keys: KeyRing,
    pub access_token_ttl: Duration,
    pub refresh_token_ttl: Duration,
    pub public_base_url: String,
    pub mail: MailConfig,
    pub bank_webhook_secret: Option<Vec<u8>>,
    pub cors_allowed_origins: Vec<String>,
    /// Reverse proxies whose forwarding headers name the client.
    pub trusted_proxies: TrustedProxies,
    /// Limits per client address and per target email on sign-in, sign-up
    /// and the mails anyone can trigger.
    pub rate_limits: crate::services::rate_limits::RateLimits,
    pub lockout: crate::services::sign_in::LockoutPolicy,
    /// How often each server reads the sessions ended elsewhere.
    pub revocation_poll: Duration,
    /// The currency of the books (`CURRENCY`), one of `i18n::CURRENCIES`.
    pub currency: String,
    /// The language and time zone of those who have not chosen theirs.
    pub language: crate::i18n::Defaults,
    pub rules: Rules,
    pub sweep_interval: Duration,
    /// How often committed journal entries are sealed into the hash chain.
    pub seal_interval: Duration,
    /// How the write pipeline forms its batches.
    pub pipeline: WritePathSettings,
    /// PostgreSQL lock and statement time limits for the server's connections.
    pub database_timeouts: crate::db::Timeouts,
    /// How long start-up waits for a database that cannot be reached yet.
    pub database_startup_wait: Duration,
    /// How long a stopping server (SIGTERM, SIGINT) lets requests in flight
    /// finish before it cuts them off.
    pub shutdown_timeout: Duration,
    /// How long answered Idempotency-Keys, sent emails and bank notifications
    /// are kept, and how often the pruning job runs.
    pub retention: crate::db::retention::Retention,
    pub retention_interval: Duration,
    /// What one client may hold of the HTTP server.
    pub http: HttpLimits,
    /// The live progress streams.
    pub streams: StreamSettings,
    /// Offering documents.
    pub documents: DocumentSettings,
    /// Reconfirmations after a material change.
    pub reconfirmation: ReconfirmationSettings,
}

/// How long investors have to reconfirm after a material change, by which
/// calendar, and when they are reminded.
#[derive(Clone, Debug)]
pub struct ReconfirmationSettings {
    pub calendar: crate::domain::calendar::Calendar,
    pub business_days: u32,
    /// The reminder goes this long before the deadline.
    pub reminder_before: chrono::TimeDelta,
}

/// Offering documents: how large, how long a signed link lasts, and where
/// their bytes are kept.
#[derive(Clone, Debug)]
pub struct DocumentSettings {
    /// The largest file accepted, in bytes.
    pub max_bytes: u64,
    /// How long a signed link to a restricted document opens it.
    pub link_ttl: chrono::TimeDelta,
    /// None: in the database.
    pub object_store: Option<S3Settings>,
}

/// An S3-compatible bucket for documents' bytes (`DOCUMENT_STORAGE=s3`).
#[derive(Clone)]
pub struct S3Settings {
    pub bucket: String,
    /// For S3-compatible services (MinIO, moto, R2...); None: AWS itself.
    pub endpoint: Option<String>,
    pub region: String,
    /// Both or neither: without them the usual AWS_* variables and
    /// instance credentials are used.
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<String>,
    /// Object keys start with this (`documents/` by default).
    pub prefix: String,
}

impl std::fmt::Debug for S3Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Settings")
            .field("bucket", &self.bucket)
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

fn object_store(vars: &impl Vars) -> Result<Option<S3Settings>, ConfigError> {
    let kind = vars.get("DOCUMENT_STORAGE").unwrap_or_default();
    match kind.as_str() {
        "" | "database" => return Ok(None),
        "s3" => {}
        _ => {
            return Err(ConfigError::new(
                "DOCUMENT_STORAGE",
                "must be database or s3",
            ))
        }
    }
    let bucket = vars
        .get("S3_BUCKET")
        .filter(|b| !b.is_empty())
        .ok_or_else(|| ConfigError::new("S3_BUCKET", "is required when DOCUMENT_STORAGE=s3"))?;
    let access_key_id = vars.get("S3_ACCESS_KEY_ID").filter(|v| !v.is_empty());
    let secret_access_key = vars.get("S3_SECRET_ACCESS_KEY").filter(|v| !v.is_empty());
    if access_key_id.is_some() != secret_access_key.is_some() {
        return Err(ConfigError::new(
            "S3_ACCESS_KEY_ID",
            "S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY go together",
        ));
    }
    let endpoint = vars.get("S3_ENDPOINT").filter(|v| !v.is_empty());
    if let Some(e) = &endpoint {
        if !(e.starts_with("http://") || e.starts_with("https://")) {
            return Err(ConfigError::new(
                "S3_ENDPOINT",
                "must be an http:// or https:// URL",
            ));
        }
    }
    let mut prefix = vars
        .get("S3_PREFIX")
        .unwrap_or_else(|| "documents/".to_string());
    if !prefix.is_empty() && !prefix.ends_with('/') {
        prefix.push('/');
    }
    Ok(Some(S3Settings {
        bucket,
        endpoint,
        region: vars
            .get("S3_REGION")
            .unwrap_or_else(|| "us-east-1".to_string()),
        access_key_id,
        secret_access_key,
        prefix,
    }))
}

/// Bounds on what clients may hold of the HTTP server, so that slow or
/// numerous connections cannot use up its file descriptors.
#[derive(Clone, Copy, Debug)]
pub struct HttpLimits {
    /// Time from a connection's start to a complete request head.
    pub header_timeout: Duration,
    /// Time from a request's head to the end of its body.
    pub body_timeout: Duration,
    /// Connections served at once, all workers together; more wait in the
    /// listen queue.
    pub max_connections: usize,
    /// Threads serving HTTP.
    pub workers: usize,
}

/// Business rules that operators may tune.
#[derive(Clone, Debug)]
pub struct Rules {
    /// The market's rules the deployment runs under (`RULE_PROFILE`).
    pub profile: Profile,
    /// Shortest time an offering may stay open.
    pub min_offering_duration: chrono::TimeDelta,
    /// Subscriptions can be cancelled until this long before the deadline.
    pub cancellation_cutoff: chrono::TimeDelta,
    /// reg_cf: a round funded before its deadline settles only once it has
    /// been open this long (21 days; 0 turns it off).
    pub reg_cf_min_open: chrono::TimeDelta,
    pub reg_cf: RegCfRule,
    /// The platform's fee on a settled round, in basis points of the gross.
    pub platform_fee_bps: i64,
}

#[derive(Clone, Debug)]
pub struct MailConfig {
    pub from: String,
    pub dir: PathBuf,
    pub smtp_url: Option<String>,
    /// How often the relay looks for due messages.
    pub relay_interval: Duration,
    /// First retry delay; doubles with each failed attempt.
    pub retry_base: Duration,
    /// How long a relay's claim on a message lasts unless renewed: how soon
    /// another server sends what a killed one had claimed.
    pub lease: Duration,
    /// Messages each relay sends at once (each sender with its own SMTP
    /// connection).
    pub senders: usize,
}

impl std::fmt::Debug for Config {
    // Hand-written so that secrets never reach a log line.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("database", &self.database_url.backend_name())
            .field("bind_addr", &self.bind_addr)
            .field("metrics_bind_addr", &self.metrics_bind_addr)
            .field("public_base_url", &self.public_base_url)
            .field("mail", &self.mail)
            .field("cors_allowed_origins", &self.cors_allowed_origins)
            .field("trusted_proxies", &self.trusted_proxies)
            .finish_non_exhaustive()
    }
}

/// A source of variables: the process environment, or a map in tests.
pub trait Vars {
    fn get(&self, name: &str) -> Option<String>;
}

pub struct ProcessEnv;

impl Vars for ProcessEnv {
    fn get(&self, name: &str) -> Option<String> {
        std::env::var(name).ok().filter(|v| !v.trim().is_empty())
    }
}

impl<F: Fn(&str) -> Option<String>> Vars for F {
    fn get(&self, name: &str) -> Option<String> {
        self(name)
    }
}

impl Config {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_vars(&ProcessEnv)
    }

    pub fn from_vars(vars: &impl Vars) -> Result<Self, ConfigError> {
        let data_dir = PathBuf::from(DEFAULT_DATA_DIR);

        let database_url = match vars.get("DATABASE_URL") {
            Some(url) => DatabaseUrl::parse(&url)
                .map_err(|e| ConfigError::new("DATABASE_URL", e.to_string()))?,
            None => DatabaseUrl::Sqlite(data_dir.join("crowdfund.db").display().to_string()),
        };
        let bind_addr = parse_or(vars, "BIND_ADDR", "127.0.0.1:8080".parse().ok())?;
        let metrics_bind_addr = metrics_addr(vars, bind_addr)?;
        let jwt_keys = match (vars.get("JWT_KEYS"), vars.get("JWT_SECRET")) {
            (Some(_), Some(_)) => {
                return Err(ConfigError::new(
                    "JWT_KEYS",
                    "set JWT_KEYS or JWT_SECRET, not both",
                ))
            }
            (Some(list), None) => {
                KeyRing::parse(&list).map_err(|e| ConfigError::new("JWT_KEYS", e))?
            }
            (None, Some(s)) if s.len() < MIN_SECRET_LEN => {
                return Err(ConfigError::new(
                    "JWT_SECRET",
                    "must be at least 32 characters long",
                ))
            }
            (None, Some(s)) => KeyRing::single(s.into_bytes()),
            (None, None) => KeyRing::single(
                load_or_create_secret(&data_dir.join("jwt_secret"))
                    .map_err(|e| ConfigError::new("JWT_SECRET", e))?,
            ),
        };
        let access_token_ttl = secs(vars, "ACCESS_TOKEN_TTL_SECS", 900)?;
        let refresh_token_ttl = secs(vars, "REFRESH_TOKEN_TTL_SECS", 30 * 24 * 3600)?;
        let public_base_url = match vars.get("PUBLIC_BASE_URL") {
            Some(u) if u.starts_with("http://") || u.starts_with("https://") => {
                u.trim_end_matches('/').to_string()
            }
            Some(_) => {
                return Err(ConfigError::new(
                    "PUBLIC_BASE_URL",
                    "must start with http:// or https://",
                ))
            }
            None => format!("http://{bind_addr}"),
        };
        let mail_from = vars
            .get("MAIL_FROM")
            .unwrap_or_else(|| "crowdfund <no-reply@crowdfund.localhost>".to_string());
        if mail_from.parse::<lettre::message::Mailbox>().is_err() {
            return Err(ConfigError::new(
                "MAIL_FROM",
                "must be an address such as 'Name <user@example.com>'",
            ));
        }
        let smtp_url = vars.get("SMTP_URL");
        if let Some(url) = &smtp_url {
            if lettre::SmtpTransport::from_url(url).is_err() {
                return Err(ConfigError::new(
                    "SMTP_URL",
                    "must be smtp://host:port or smtps://user:pass@host",
                ));
            }
        }
        let mail = MailConfig {
            from: mail_from,
            dir: vars
                .get("MAIL_DIR")
                .map(PathBuf::from)
                .unwrap_or_else(|| data_dir.join("mail")),
            smtp_url,
            relay_interval: Duration::from_millis(parse_or(
                vars,
                "MAIL_RELAY_INTERVAL_MS",
                Some(1000u64),
            )?),
            retry_base: Duration::from_millis(parse_or(
                vars,
                "MAIL_RETRY_BASE_MS",
                Some(30_000u64),
            )?),
            lease: Duration::from_secs(ranged(vars, "MAIL_LEASE_SECS", 120, 1..=86_400)?),
            senders: ranged(vars, "MAIL_SENDERS", 8, 1..=64)?,
        };
        let bank_webhook_secret = vars.get("BANK_WEBHOOK_SECRET").map(String::into_bytes);
        let cors_allowed_origins = vars
            .get("CORS_ALLOWED_ORIGINS")
            .map(|v| {
                v.split(',')
                    .map(|o| o.trim().trim_end_matches('/').to_string())
                    .filter(|o| !o.is_empty())
                    .collect()
            })
            .unwrap_or_default();
        let trusted_proxies = match vars.get("TRUSTED_PROXIES") {
            Some(list) => {
                TrustedProxies::parse(&list).map_err(|e| ConfigError::new("TRUSTED_PROXIES", e))?
            }
            None => TrustedProxies::default(),
        };
        let login_rate_limit_per_minute: u32 =
            parse_or(vars, "LOGIN_RATE_LIMIT_PER_MINUTE", Some(20))?;
        if login_rate_limit_per_minute == 0 {
            return Err(ConfigError::new(
                "LOGIN_RATE_LIMIT_PER_MINUTE",
                "must be at least 1",
            ));
        }
        let limits = RateLimits::default();
        let rate_limits = RateLimits {
            login_per_address: Some(Limit::per(login_rate_limit_per_minute, 60)),
            register_per_address: limit(
                vars,
                "REGISTER_RATE_LIMIT_PER_ADDRESS",
                limits.register_per_address,
            )?,
            register_per_email: limit(
                vars,
                "REGISTER_RATE_LIMIT_PER_EMAIL",
                limits.register_per_email,
            )?,
            password_reset_per_address: limit(
                vars,
                "PASSWORD_RESET_RATE_LIMIT_PER_ADDRESS",
                limits.password_reset_per_address,
            )?,
            password_reset_per_email: limit(
                vars,
                "PASSWORD_RESET_RATE_LIMIT_PER_EMAIL",
                limits.password_reset_per_email,
            )?,
            verification_per_address: limit(
                vars,
                "VERIFICATION_RATE_LIMIT_PER_ADDRESS",
                limits.verification_per_address,
            )?,
            verification_per_email: limit(
                vars,
                "VERIFICATION_RATE_LIMIT_PER_EMAIL",
                limits.verification_per_email,
            )?,
            posts_per_account: limit(
                vars,
                "POST_RATE_LIMIT_PER_ACCOUNT",
                limits.posts_per_account,
            )?,
            knowledge_test_per_account: limit(
                vars,
                "KNOWLEDGE_TEST_RATE_LIMIT_PER_ACCOUNT",
                limits.knowledge_test_per_account,
            )?,
        };
        let policy = LockoutPolicy::default();
        let lockout = LockoutPolicy {
            address_failures: ranged(
                vars,
                "SIGN_IN_LOCK_AFTER",
                policy.address_failures,
                1..=1000,
            )?,
            account_failures: ranged(
                vars,
                "ACCOUNT_LOCK_AFTER",
                policy.account_failures,
                1..=100_000,
            )?,
            first_lock: secs(vars, "SIGN_IN_LOCK_SECS", policy.first_lock.as_secs())?,
            max_lock: secs(vars, "SIGN_IN_LOCK_MAX_SECS", policy.max_lock.as_secs())?,
            alert_after: policy.alert_after,
        };
        if lockout.max_lock < lockout.first_lock {
            return Err(ConfigError::new(
                "SIGN_IN_LOCK_MAX_SECS",
                "must be at least SIGN_IN_LOCK_SECS",
            ));
        }
        let revocation_poll = Duration::from_millis(ranged(
            vars,
            "SESSION_REVOCATION_POLL_MS",
            1000,
            50..=60_000,
        )?);
        let database_pool_size: u32 = parse_or(vars, "DATABASE_POOL_SIZE", Some(10))?;
        if !(1..=200).contains(&database_pool_size) {
            return Err(ConfigError::new(
                "DATABASE_POOL_SIZE",
                "must be between 1 and 200",
            ));
        }
        let profile = match vars.get("RULE_PROFILE") {
            None => Profile::RegCf,
            Some(name) => Profile::parse(&name).ok_or_else(|| {
                ConfigError::new("RULE_PROFILE", "must be reg_cf, cn_private or eu_ecsp")
            })?,
        };
        let currency = vars
            .get("CURRENCY")
            .unwrap_or_else(|| profile.currency().to_string());
        if profile.currency_fixed() && currency != profile.currency() {
            return Err(ConfigError::new(
                "CURRENCY",
                format!(
                    "must be {} under RULE_PROFILE={} (its thresholds are in {})",
                    profile.currency(),
                    profile.as_str(),
                    profile.currency()
                ),
            ));
        }
        if crate::i18n::Currency::find(&currency).is_none() {
            let supported: Vec<&str> = crate::i18n::CURRENCIES.iter().map(|c| c.code).collect();
            return Err(ConfigError::new(
                "CURRENCY",
                format!("must be one of {}", supported.join(", ")),
            ));
        }
        let language = crate::i18n::Defaults {
            locale: match vars.get("DEFAULT_LOCALE") {
                Some(tag) => crate::i18n::Locale::parse(&tag)
                    .ok_or_else(|| ConfigError::new("DEFAULT_LOCALE", "must be en or zh-CN"))?,
                None => crate::i18n::Locale::En,
            },
            time_zone: match vars.get("DEFAULT_TIME_ZONE") {
                Some(name) => crate::i18n::TimeZone::parse(&name).ok_or_else(|| {
                    ConfigError::new(
                        "DEFAULT_TIME_ZONE",
                        "must be an IANA time zone such as UTC or Asia/Shanghai",
                    )
                })?,
                None => crate::i18n::TimeZone::utc(),
            },
        };

        let defaults = RegCfRule::default();
        let reg_cf = RegCfRule {
            threshold: minor(vars, "REG_CF_THRESHOLD", defaults.threshold)?,
            floor: minor(vars, "REG_CF_FLOOR", defaults.floor)?,
            lower_bps: bps(vars, "REG_CF_LOWER_BPS", defaults.lower_bps)?,
            upper_bps: bps(vars, "REG_CF_UPPER_BPS", defaults.upper_bps)?,
            cap: minor(vars, "REG_CF_CAP", defaults.cap)?,
        };
        let rules = Rules {
            profile,
            min_offering_duration: delta(secs(vars, "MIN_OFFERING_DURATION_SECS", 21 * 24 * 3600)?),
            cancellation_cutoff: delta(cutoff_secs(vars)?),
            reg_cf_min_open: chrono::TimeDelta::seconds(ranged(
                vars,
                "REG_CF_MIN_OPEN_SECS",
                21 * 24 * 3600,
                0..=365 * 24 * 3600,
            )?),
            reg_cf,
            platform_fee_bps: bps(vars, "PLATFORM_FEE_BPS", 500)?,
        };
        let sweep_interval = secs(vars, "SWEEP_INTERVAL_SECS", 30)?;
        let seal_interval = secs(vars, "SEAL_INTERVAL_SECS", 5)?;
        let database_timeouts = crate::db::Timeouts {
            lock: Duration::from_millis(ranged(
                vars,
                "DATABASE_LOCK_TIMEOUT_MS",
                5_000,
                0..=3_600_000,
            )?),
            statement: Duration::from_millis(ranged(
                vars,
                "DATABASE_STATEMENT_TIMEOUT_MS",
                30_000,
                0..=3_600_000,
            )?),
        };
        let database_startup_wait =
            Duration::from_secs(ranged(vars, "DATABASE_STARTUP_WAIT_SECS", 60, 0..=86_400)?);
        let shutdown_timeout =
            Duration::from_secs(ranged(vars, "SHUTDOWN_TIMEOUT_SECS", 20, 1..=3_600)?);
        let retention = crate::db::retention::Retention {
            idempotency_keys: key_retention(vars)?,
            sent_emails: secs(vars, "SENT_EMAIL_RETENTION_SECS", 30 * 24 * 3600)?,
            bank_events: secs(vars, "BANK_EVENT_RETENTION_SECS", 730 * 24 * 3600)?,
        };
        let retention_interval = secs(vars, "RETENTION_INTERVAL_SECS", 3600)?;
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        let http = HttpLimits {
            header_timeout: Duration::from_millis(ranged(
                vars,
                "REQUEST_HEADER_TIMEOUT_MS",
                5_000,
                100..=600_000,
            )?),
            body_timeout: Duration::from_millis(ranged(
                vars,
                "REQUEST_BODY_TIMEOUT_MS",
                30_000,
                100..=3_600_000,
            )?),
            max_connections: ranged(vars, "MAX_CONNECTIONS", 2_048, 1..=1_000_000)?,
            workers: ranged(vars, "HTTP_WORKERS", cores, 1..=256)?,
        };
        let streams = StreamSettings {
            // By default 1,500, or three quarters of the connections when
            // fewer are allowed: streams must leave room for requests.
            max_clients: ranged(
                vars,
                "STREAM_MAX_CLIENTS",
                1_500.min(http.max_connections * 3 / 4),
                0..=1_000_000,
            )?,
            event_interval: Duration::from_millis(ranged(
                vars,
                "STREAM_EVENT_INTERVAL_MS",
                500,
                10..=60_000,
            )?),
            heartbeat: Duration::from_secs(ranged(vars, "STREAM_HEARTBEAT_SECS", 15, 1..=3_600)?),
        };
        if streams.max_clients >= http.max_connections {
            return Err(ConfigError::new(
                "STREAM_MAX_CLIENTS",
                format!(
                    "must be below MAX_CONNECTIONS ({}): streams hold a connection each, \
                     and other requests need some",
                    http.max_connections
                ),
            ));
        }
        let pipeline = WritePathSettings {
            writers: ranged(vars, "WRITE_WRITERS", 2, 1..=64)?,
            max_batch: ranged(vars, "WRITE_BATCH_MAX", 512, 1..=10_000)?,
            window: Duration::from_micros(ranged(vars, "WRITE_BATCH_WINDOW_US", 0, 0..=1_000_000)?),
            queue: ranged(vars, "WRITE_QUEUE_MAX", 10_000, 1..=1_000_000)?,
        };

        Ok(Config {
            database_url,
            database_pool_size,
            bind_addr,
            metrics_bind_addr,
            jwt_keys,
            access_token_ttl,
            refresh_token_ttl,
            public_base_url,
            mail,
            bank_webhook_secret,
            cors_allowed_origins,
            trusted_proxies,
            rate_limits,
            lockout,
            revocation_poll,
            currency,
            language,
            rules,
            sweep_interval,
            seal_interval,
            pipeline,
            database_timeouts,
            database_startup_wait,
            shutdown_timeout,
            retention,
            retention_interval,
            http,
            streams,
            reconfirmation: ReconfirmationSettings {
                calendar: match vars.get("BUSINESS_HOLIDAYS") {
                    Some(raw) => crate::domain::calendar::Calendar::parse(&raw)
                        .map_err(|e| ConfigError::new("BUSINESS_HOLIDAYS", e))?,
                    None => crate::domain::calendar::Calendar::default(),
                },
                business_days: ranged(vars, "RECONFIRMATION_BUSINESS_DAYS", 5, 1..=30)?,
                reminder_before: chrono::TimeDelta::hours(ranged(
                    vars,
                    "RECONFIRMATION_REMINDER_HOURS",
                    24,
                    1..=240,
                )?),
            },
            documents: DocumentSettings {
                max_bytes: ranged(
                    vars,
                    "DOCUMENT_MAX_BYTES",
                    50 * 1024 * 1024,
                    1_024..=1024 * 1024 * 1024,
                )?,
                link_ttl: chrono::TimeDelta::seconds(ranged(
                    vars,
                    "DOCUMENT_LINK_TTL_SECS",
                    300,
                    10..=86_400,
                )?),
                object_store: object_store(vars)?,
            },
        })
    }
}

fn parse_or<T: std::str::FromStr>(
    vars: &impl Vars,
    name: &'static str,
    default: Option<T>,
) -> Result<T, ConfigError> {
    match vars.get(name) {
        Some(raw) => raw
            .trim()
            .parse()
            .map_err(|_| ConfigError::new(name, format!("cannot parse {raw:?}"))),
        None => default.ok_or_else(|| ConfigError::new(name, "is required")),
    }
}

/// `METRICS_BIND_ADDR`: off when unset; never the API's own address.
fn metrics_addr(vars: &impl Vars, api: SocketAddr) -> Result<Option<SocketAddr>, ConfigError> {
    const NAME: &str = "METRICS_BIND_ADDR";
    if vars.get(NAME).is_none() {
        return Ok(None);
    }
    let addr: SocketAddr = parse_or(vars, NAME, None)?;
    if addr == api && addr.port() != 0 {
        return Err(ConfigError::new(
            NAME,
            "must differ from BIND_ADDR: the metrics have an address of their own",
        ));
    }
    Ok(Some(addr))
}

/// A whole number within `range`.
fn ranged<T>(
    vars: &impl Vars,
    name: &'static str,
    default: T,
    range: std::ops::RangeInclusive<T>,
) -> Result<T, ConfigError>
where
    T: std::str::FromStr + PartialOrd + std::fmt::Display,
{
    let v: T = parse_or(vars, name, Some(default))?;
    if !range.contains(&v) {
        return Err(ConfigError::new(
            name,
            format!("must be between {} and {}", range.start(), range.end()),
        ));
    }
    Ok(v)
}

/// A rate limit such as `20/1h`, or `off`.
fn limit(
    vars: &impl Vars,
    name: &'static str,
    default: Option<Limit>,
) -> Result<Option<Limit>, ConfigError> {
    match vars.get(name) {
        Some(raw) => Limit::parse(&raw).map_err(|e| ConfigError::new(name, e)),
        None => Ok(default),
    }
}

fn secs(vars: &impl Vars, name: &'static str, default: u64) -> Result<Duration, ConfigError> {
    let n: u64 = parse_or(vars, name, Some(default))?;
    if n == 0 || n > 10 * 365 * 24 * 3600 {
        return Err(ConfigError::new(name, "must be between 1 and 315360000"));
    }
    Ok(Duration::from_secs(n))
}

/// The shortest time an answered Idempotency-Key is kept: a client may
/// retry a request for a day (a mobile app offline overnight, a queue that
/// backs off), and a key forgotten before its retry runs the request again.
pub const MIN_KEY_RETENTION_SECS: u64 = 24 * 3600;

fn key_retention(vars: &impl Vars) -> Result<Duration, ConfigError> {
    const NAME: &str = "IDEMPOTENCY_KEY_RETENTION_SECS";
    let keep = secs(vars, NAME, 7 * 24 * 3600)?;
    if keep.as_secs() < MIN_KEY_RETENTION_SECS {
        return Err(ConfigError::new(
            NAME,
            format!(
                "must be at least {MIN_KEY_RETENTION_SECS} (24 hours): a client retrying with \
                 a key forgotten sooner would have its request run a second time"
            ),
        ));
    }
    Ok(keep)
}

/// 0 (cancellable until the deadline) up to a year.
fn cutoff_secs(vars: &impl Vars) -> Result<Duration, ConfigError> {
    let n: u64 = parse_or(vars, "CANCELLATION_CUTOFF_SECS", Some(48 * 3600))?;
    if n > 365 * 24 * 3600 {
        return Err(ConfigError::new(
            "CANCELLATION_CUTOFF_SECS",
            "must be at most 31536000 (a year)",
        ));
    }
    Ok(Duration::from_secs(n))
}

fn delta(d: Duration) -> chrono::TimeDelta {
    chrono::TimeDelta::from_std(d).unwrap_or(chrono::TimeDelta::MAX)
}

/// An amount of money in minor units.
fn minor(vars: &impl Vars, name: &'static str, default: i64) -> Result<i64, ConfigError> {
    let v: i64 = parse_or(vars, name, Some(default))?;
    if !(0..=crate::domain::money::MAX_AMOUNT).contains(&v) {
        return Err(ConfigError::new(
            name,
            "must be a non-negative amount in minor units",
        ));
    }
    Ok(v)
}

/// Basis points: 0..=10000 (100%).
fn bps(vars: &impl Vars, name: &'static str, default: i64) -> Result<i64, ConfigError> {
    let v: i64 = parse_or(vars, name, Some(default))?;
    if !(0..=10_000).contains(&v) {
        return Err(ConfigError::new(
            name,
            "must be between 0 and 10000 basis points",
        ));
    }
    Ok(v)
}

/// Reads the generated JWT secret, or makes one (owner-only permissions) on first start.
fn load_or_create_secret(path: &Path) -> Result<Vec<u8>, String> {
    match fs::read_to_string(path) {
        Ok(s) if s.trim().len() >= 32 => return Ok(s.trim().as_bytes().to_vec()),
        Ok(_) => return Err(format!("{} is too short; delete it", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
    }
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    let mut bytes = [0u8; 48];
    rand::thread_rng().fill_bytes(&mut bytes);
    let secret = hex::encode(bytes);
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    match options.open(path) {
        Ok(mut file) => {
            file.write_all(secret.as_bytes())
                .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            Ok(secret.into_bytes())
        }
        // Another process won the race to create it: use theirs.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => fs::read_to_string(path)
            .map(|s| s.trim().as_bytes().to_vec())
            .map_err(|e| format!("cannot read {}: {e}", path.display())),
        Err(e) => Err(format!("cannot create {}: {e}", path.display())),
    }
}

/// The live progress streams (see `crate::stream`).
#[derive(Debug, Clone, Copy)]
pub struct StreamSettings {
    /// Streams one server holds open at once; one more is refused (503
    /// `too_many_streams`). Zero turns the streams off.
    pub max_clients: usize,
    /// The shortest time between two events of one offering: a hot
    /// offering's changes in between are sent as one (its latest figures).
    pub event_interval: Duration,
    /// A comment line sent after this long without an event, so that
    /// proxies keep the connection open and clients see it is alive.
    pub heartbeat: Duration,
}

/// How the write pipeline forms its batches (see `crate::pipeline`).
#[derive(Debug, Clone, Copy)]
pub struct WritePathSettings {
    /// Writers (each a thread with its own connection) on PostgreSQL. Each
    /// investor's requests always go to the same writer, so two writers'
    /// batches never wait for each other on an investor's account; they
    /// meet only on the hot rows, at the end. SQLite has one writer.
    pub writers: usize,
    /// The most requests in one transaction.
    pub max_batch: usize,
    /// How long the writer waits for more requests after the first of a
    /// batch when fewer than `max_batch` are queued. Zero: it takes what has
    /// queued while the previous batch committed, which under load is the
    /// natural batch, and adds no latency when the server is idle.
    pub window: Duration,
    /// Requests queued beyond this are refused at once (503 and
    /// `Retry-After`) instead of waiting without bound.
    pub queue: usize,
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn with(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k: &str| map.get(k).cloned()
    }

    const SECRET: (&str, &str) = ("JWT_SECRET", "0123456789abcdef0123456789abcdef");

    #[test]
    fn malformed_values_name_their_variable() {
        for (var, value) in [
            ("BIND_ADDR", "not-an-address"),
            ("ACCESS_TOKEN_TTL_SECS", "-5"),
            ("DATABASE_URL", "postgress://typo/db"),
            ("LOGIN_RATE_LIMIT_PER_MINUTE", "0"),
            ("PUBLIC_BASE_URL", "example.com"),
            ("CURRENCY", "usd"),
            ("CURRENCY", "XYZ"),
            ("RULE_PROFILE", "cn"),
            ("DEFAULT_LOCALE", "fr"),
            ("DEFAULT_TIME_ZONE", "Mars/Olympus"),
            ("CANCELLATION_CUTOFF_SECS", "99999999999"),
            ("PLATFORM_FEE_BPS", "10001"),
            ("TRUSTED_PROXIES", "10.0.0.0/8,not-a-network"),
            ("TRUSTED_PROXIES", "10.0.0.1/8"),
            ("IDEMPOTENCY_KEY_RETENTION_SECS", "86399"),
            ("IDEMPOTENCY_KEY_RETENTION_SECS", "1"),
            ("REQUEST_BODY_TIMEOUT_MS", "0"),
            ("REQUEST_HEADER_TIMEOUT_MS", "soon"),
            ("MAX_CONNECTIONS", "0"),
            ("HTTP_WORKERS", "0"),
            ("METRICS_BIND_ADDR", "metrics.local"),
            // The API's own address (BIND_ADDR's default).
            ("METRICS_BIND_ADDR", "127.0.0.1:8080"),
        ] {
            let err = Config::from_vars(&with(&[SECRET, (var, value)])).unwrap_err();
            assert_eq!(err.var, var, "{value}");
        }
        let err = Config::from_vars(&with(&[("JWT_SECRET", "short")])).unwrap_err();
        assert_eq!(err.var, "JWT_SECRET");
        for keys in [
            "k:short",
            "no-colon",
            "bad id:0123456789abcdef0123456789abcdef",
        ] {
            let err = Config::from_vars(&with(&[("JWT_KEYS", keys)])).unwrap_err();
            assert_eq!(err.var, "JWT_KEYS", "{keys}");
        }
    }

    #[test]
    fn streams_leave_room_for_requests() {
        let config = Config::from_vars(&with(&[SECRET])).unwrap();
        assert_eq!(config.streams.max_clients, 1_500);
        // A small MAX_CONNECTIONS lowers the default with it.
        let config = Config::from_vars(&with(&[SECRET, ("MAX_CONNECTIONS", "8")])).unwrap();
        assert_eq!(config.streams.max_clients, 6);
        // Set explicitly at or past it: refused, naming the variable.
        let err = Config::from_vars(&with(&[
            SECRET,
            ("MAX_CONNECTIONS", "8"),
            ("STREAM_MAX_CLIENTS", "8"),
        ]))
        .unwrap_err();
        assert_eq!(err.var, "STREAM_MAX_CLIENTS");
    }

    #[test]
    fn jwt_keys_or_jwt_secret_but_not_both() {
        let keys = (
            "JWT_KEYS",
            "2026-11:0123456789abcdef0123456789abcdef,2026-10:fedcba9876543210fedcba9876543210",
        );
        let config = Config::from_vars(&with(&[keys])).unwrap();
        assert_eq!(config.jwt_keys.signing().id, "2026-11");
        assert_eq!(config.jwt_keys.iter().count(), 2);
        let err = Config::from_vars(&with(&[keys, SECRET])).unwrap_err();
        assert_eq!(err.var, "JWT_KEYS");
        assert!(!err.to_string().contains("0123456789"), "{err}");
        let config = Config::from_vars(&with(&[SECRET])).unwrap();
        assert_eq!(config.jwt_keys.signing().id, "default");
    }

    #[test]
    fn a_rule_profile_brings_its_currency_and_refuses_another() {
        let config = Config::from_vars(&with(&[SECRET])).unwrap();
        assert_eq!(config.rules.profile, Profile::RegCf);
        // Reg CF's figures are configurable: any supported currency.
        let config = Config::from_vars(&with(&[SECRET, ("CURRENCY", "CNY")])).unwrap();
        assert_eq!(config.currency, "CNY");
        for (profile, currency) in [("cn_private", "CNY"), ("eu_ecsp", "EUR")] {
            let config = Config::from_vars(&with(&[SECRET, ("RULE_PROFILE", profile)])).unwrap();
            assert_eq!(config.rules.profile.as_str(), profile);
            assert_eq!(config.currency, currency);
            let err = Config::from_vars(&with(&[
                SECRET,
                ("RULE_PROFILE", profile),
                ("CURRENCY", "USD"),
            ]))
            .unwrap_err();
            assert_eq!(err.var, "CURRENCY");
        }
    }

    #[test]
    fn defaults_need_nothing_but_a_secret() {
        let config = Config::from_vars(&with(&[SECRET])).unwrap();
        assert_eq!(config.bind_addr.to_string(), "127.0.0.1:8080");
        assert_eq!(config.access_token_ttl, Duration::from_secs(900));
        assert_eq!(config.public_base_url, "http://127.0.0.1:8080");
        assert!(matches!(config.database_url, DatabaseUrl::Sqlite(_)));
        assert_eq!(config.currency, "USD");
        assert!(config.trusted_proxies.is_empty());
        assert_eq!(config.metrics_bind_addr, None);
        let config =
            Config::from_vars(&with(&[SECRET, ("METRICS_BIND_ADDR", "0.0.0.0:9100")])).unwrap();
        assert_eq!(config.metrics_bind_addr, "0.0.0.0:9100".parse().ok());
    }

    #[test]
    fn trusted_proxies_are_networks() {
        let config = Config::from_vars(&with(&[
            SECRET,
            ("TRUSTED_PROXIES", "10.0.0.0/8, 127.0.0.1/32,::1/128"),
        ]))
        .unwrap();
        assert!(config.trusted_proxies.contains("10.1.2.3".parse().unwrap()));
        assert!(config.trusted_proxies.contains("::1".parse().unwrap()));
        assert!(!config
            .trusted_proxies
            .contains("192.0.2.1".parse().unwrap()));
    }
}
