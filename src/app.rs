//! Building and running the application: pool, migrations, background jobs and
//! the HTTP server on a bound listener (port 0 gives a random port in tests),
//! and stopping it cleanly: requests drained, threads joined, and on SQLite
//! the write-ahead log checkpointed into the database file.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_cors::Cors;
use actix_web::dev::Server;
use actix_web::http::header;
use actix_web::{web, App, HttpServer};
use anyhow::Context;
use tracing_actix_web::TracingLogger;

use crate::api::{
    self, body_deadline, problems, request_id, security_headers, AppState, RequestSpan,
};
use crate::auth::{JwtKeys, Revocations};
use crate::config::Config;
use crate::db::{
    build_pool_relaxed, build_pool_untested, build_pool_with, run_migrations, sqlite_file,
    wait_for_database, DatabaseUrl, DbPool,
};
use crate::jobs::{spawn_periodic, Shutdown, Threads};
use crate::mail::Relay;
use crate::metrics::pools::Pools;
use crate::metrics::MetricsServer;
use crate::pipeline::Pipeline;
use crate::services::deadlines;
use crate::stream::{self, Hub};

/// How long the background threads get to end their pass once the server
/// has stopped (a mail relay may be mid-send, each SMTP command allowed 10 s).
const THREADS_GRACE: Duration = Duration::from_secs(10);

pub struct Application {
    port: u16,
    server: Server,
    shutdown: Shutdown,
    threads: Threads,
    database_url: DatabaseUrl,
    hub: Hub,
    /// Serves `/metrics` when `METRICS_BIND_ADDR` is set.
    metrics: Option<MetricsServer>,
}

impl Application {
    pub fn build(config: Config) -> anyhow::Result<Self> {
        {
            let mut conn = wait_for_database(&config.database_url, config.database_startup_wait)
                .context("cannot connect to the database")?;
            let applied = run_migrations(&mut conn)?;
            if applied > 0 {
                tracing::info!(applied, "migrations applied");
            }
            crate::services::bank::book_unbooked_events(&mut conn, &config.currency)
                .context("cannot book the bank notifications an older release left unbooked")?;
        }
        let timeouts = config.database_timeouts;
        let pool = build_pool_with(&config.database_url, config.database_pool_size, timeouts)
            .context("cannot open the database")?;
        let listener = TcpListener::bind(config.bind_addr)
            .with_context(|| format!("cannot listen on {}", config.bind_addr))?;
        let port = listener.local_addr()?.port();

        // Before the jobs start, so that their first pass is recorded.
        let recorder = match config.metrics_bind_addr {
            Some(_) => Some(crate::metrics::recorder::install()?),
            None => None,
        };
        let shutdown = Shutdown::default();
        let mut threads = Threads::default();
        let mut pools = Pools::default();
        pools.add("requests", &pool);
        // The background jobs have connections of their own: a busy request
        // pool never starves them, nor they it.
        let jobs_pool = build_pool_with(&config.database_url, 3, timeouts)
            .context("cannot open the database for the background jobs")?;
        pools.add("jobs", &jobs_pool);
        start_jobs(&config, &jobs_pool, &shutdown, &mut threads, &mut pools)?;
        let revocations = watch_revocations(&config, &shutdown, &mut threads, &mut pools)?;
        let database_url = config.database_url.clone();
        let drain_within = config.shutdown_timeout.as_secs();
        let http = config.http;

        let config = Arc::new(config);
        // The write pipeline has its own connection: subscriptions never wait
        // for one behind readers.
        let writer_pool = build_pool_untested(
            &config.database_url,
            Pipeline::writers_for(&config.database_url, &config.pipeline),
            timeouts,
        )
        .context("cannot open the database for the write pipeline")?;
        pools.add("write_path", &writer_pool);
        if let DatabaseUrl::Sqlite(path) = &config.database_url {
            if path != ":memory:" {
                sqlite_file::spawn_checkpointer(path, shutdown.clone(), &mut threads)?;
            }
        }
        let metrics = match (config.metrics_bind_addr, recorder) {
            (Some(addr), Some(recorder)) => Some(MetricsServer::start(
                addr,
                recorder,
                &config.database_url,
                pools,
                &shutdown,
                &mut threads,
            )?),
            _ => None,
        };
        let counted = metrics.is_some();
        let pipeline = Pipeline::start(writer_pool, config.clone(), config.pipeline, &mut threads)?;
        let hub = Hub::new(config.streams);
        stream::source::spawn(
            &config.database_url,
            timeouts,
            hub.clone(),
            shutdown.clone(),
            &mut threads,
        )?;
        let objects = match &config.documents.object_store {
            Some(s3) => {
                Some(crate::storage::Objects::s3(s3).context("cannot set up the object storage")?)
            }
            None => None,
        };
        let state = AppState {
            storage: crate::storage::Storage {
                pool: pool.clone(),
                objects,
            },
            pool: pool.clone(),
            pipeline,
            jwt: JwtKeys::new(&config.jwt_keys, config.access_token_ttl),
            revocations,
            hub: hub.clone(),
            config,
        };
        let server = HttpServer::new(move || {
            App::new()
                .wrap(cors(&state.config.cors_allowed_origins))
                .wrap(TracingLogger::<RequestSpan>::new())
                .wrap(actix_web::middleware::from_fn(
                    problems::reject_control_characters,
                ))
                .wrap(problems::error_handlers())
                // Outside every handler and middleware that may read the
                // body, inside the headers every answer carries.
                .wrap(actix_web::middleware::from_fn(body_deadline::limit))
                // Every problem from within, in the request's language.
                .wrap(actix_web::middleware::from_fn(problems::localize))
                .wrap(actix_web::middleware::from_fn(security_headers::add))
                // Counts every answer, whichever layer gave it.
                .wrap(actix_web::middleware::Condition::new(
                    counted,
                    actix_web::middleware::from_fn(crate::metrics::http::record),
                ))
                // Outermost: the id exists before the log span opens, and goes
                // on every answer.
                .wrap(actix_web::middleware::from_fn(request_id::assign))
                .app_data(web::Data::new(state.clone()))
                .app_data(problems::json_config())
                .app_data(web::PayloadConfig::new(problems::JSON_LIMIT))
                .app_data(problems::path_config())
                .app_data(problems::query_config())
                .configure(api::configure)
                .configure(crate::console::configure)
                .default_service(web::to(problems::route_not_found))
        })
        // Signals are the caller's ([`Application::serve_until_signalled`]):
        // actix would cut requests off on SIGINT, and a test process must
        // keep its own.
        .disable_signals()
        .shutdown_timeout(drain_within)
        // Slow clients and many connections hold descriptors: the head and
        // the body (`body_deadline`) each have a deadline, and connections
        // past the cap wait in the listen queue.
        .workers(http.workers)
        .max_connections(http.max_connections.div_ceil(http.workers))
        .client_request_timeout(http.header_timeout)
        .listen(listener)?
        .run();
        tracing::info!(port, "listening");
        Ok(Self {
            port,
            server,
            shutdown,
            threads,
            database_url,
            hub,
            metrics,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The metrics server's port, when `METRICS_BIND_ADDR` is set.
    pub fn metrics_port(&self) -> Option<u16> {
        self.metrics.as_ref().map(MetricsServer::port)
    }

    /// Stops this application from elsewhere (see [`StopHandle`]).
    pub fn stop_handle(&self) -> StopHandle {
        StopHandle {
            server: self.server.handle(),
            shutdown: self.shutdown.clone(),
            hub: self.hub.clone(),
        }
    }

    /// Serves until SIGTERM or SIGINT, then stops cleanly (see
    /// [`StopHandle::drain`]). A second signal exits at once: requests in
    /// flight are cut off, and what the database has not committed of them
    /// is rolled back (on SQLite the `-wal` file then stays part of the
    /// database).
    pub async fn serve_until_signalled(self) -> std::io::Result<()> {
        let stop = self.stop_handle();
        let mut signals = StopSignals::listen()?;
        actix_web::rt::spawn(async move {
            let (signal, _) = signals.next().await;
            tracing::info!(signal, "stopping: finishing the requests in flight");
            stop.drain();
            let (signal, code) = signals.next().await;
            tracing::warn!(signal, "stopping at once: requests in flight are cut off");
            std::process::exit(code);
        });
        self.run_until_stopped().await
    }

    /// Serves until the server stops, then stops the background jobs, joins
    /// every thread and, on SQLite, checkpoints the write-ahead log so that
    /// the database file alone holds everything committed. The jobs also
    /// stop when this future is dropped unfinished (its runtime shuts down).
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let Self {
            server,
            shutdown,
            threads,
            database_url,
            hub,
            metrics,
            ..
        } = self;
        let _jobs = StopJobsOnDrop(shutdown.clone());
        let metrics_stop = metrics.as_ref().map(MetricsServer::handle);
        let api = async move {
            let served = server.await;
            hub.close();
            // The metrics stay up while the requests in flight drain, and
            // stop with the API.
            if let Some(stop) = metrics_stop {
                stop.stop(true).await;
            }
            served
        };
        let metrics = async move {
            match metrics {
                Some(metrics) => metrics.run().await,
                None => Ok(()),
            }
        };
        let (served, metrics_served) = tokio::join!(api, metrics);
        if let Err(e) = metrics_served {
            tracing::warn!(error = %e, "the metrics server failed");
        }
        shutdown.trigger();
        let wound_down =
            actix_web::rt::task::spawn_blocking(move || wind_down(threads, &database_url)).await;
        if wound_down.is_err() {
            tracing::warn!("the shutdown was cut short");
        }
        served
    }
}

/// After the HTTP server has stopped (and with it every handle on the write
/// pipeline): waits for the threads, then checkpoints a SQLite database.
fn wind_down(threads: Threads, database_url: &DatabaseUrl) {
    let running = threads.join_until(Instant::now() + THREADS_GRACE);
    if !running.is_empty() {
        tracing::warn!(
            ?running,
            "background threads still busy at exit: what they had not committed is rolled back \
             and done again after the next start"
        );
    }
    if let DatabaseUrl::Sqlite(path) = database_url {
        match sqlite_file::checkpoint(path) {
            Ok(()) => tracing::info!(path, "write-ahead log checkpointed into the database file"),
            Err(e) => tracing::warn!(
                path,
                error = %e,
                "cannot checkpoint the write-ahead log: keep the -wal file beside the database"
            ),
        }
    }
    tracing::info!("stopped");
}

/// SIGTERM and SIGINT (Ctrl-C), listened to from start-up to exit: each
/// delivery is seen once.
#[cfg(unix)]
struct StopSignals {
    terminate: actix_web::rt::signal::unix::Signal,
    interrupt: actix_web::rt::signal::unix::Signal,
}

#[cfg(unix)]
impl StopSignals {
    fn listen() -> std::io::Result<Self> {
        use actix_web::rt::signal::unix::{signal, SignalKind};
        Ok(Self {
            terminate: signal(SignalKind::terminate())?,
            interrupt: signal(SignalKind::interrupt())?,
        })
    }

    /// The next signal: its name, and the exit status of a process it
    /// ends (128 + its number).
    async fn next(&mut self) -> (&'static str, i32) {
        tokio::select! {
            _ = self.terminate.recv() => ("SIGTERM", 143),
            _ = self.interrupt.recv() => ("SIGINT", 130),
        }
    }
}

#[cfg(not(unix))]
struct StopSignals;

#[cfg(not(unix))]
impl StopSignals {
    fn listen() -> std::io::Result<Self> {
        Ok(Self)
    }

    async fn next(&mut self) -> (&'static str, i32) {
        match actix_web::rt::signal::ctrl_c().await {
            Ok(()) => ("Ctrl-C", 130),
            // Without signals, only a kill stops the process.
            Err(_) => std::future::pending().await,
        }
    }
}

/// Stops a running application from elsewhere.
#[derive(Clone)]
pub struct StopHandle {
    server: actix_web::dev::ServerHandle,
    shutdown: Shutdown,
    hub: Hub,
}

impl StopHandle {
    /// Stops at once: requests in flight are cut off (a subscription queued
    /// on the write pipeline is still committed or not, whole), the
    /// background jobs after their current pass.
    pub fn stop(&self) {
        self.hub.close();
        self.shutdown.trigger();
        // The command is sent when `stop` is called; the future only waits
        // for the server to confirm, which nobody here needs.
        drop(self.server.stop(false));
    }

    /// Stops cleanly: no new connections are accepted and requests in
    /// flight are answered (for up to `SHUTDOWN_TIMEOUT_SECS`); then the
    /// background jobs end after their current pass (they run meanwhile:
    /// the requests still need the list of ended sessions). Live streams
    /// end at once: they would never finish on their own.
    pub fn drain(&self) {
        self.hub.close();
        drop(self.server.stop(true));
    }
}

struct StopJobsOnDrop(Shutdown);

impl Drop for StopJobsOnDrop {
    fn drop(&mut self) {
        self.0.trigger();
    }
}

fn start_jobs(
    config: &Config,
    pool: &DbPool,
    shutdown: &Shutdown,
    threads: &mut Threads,
    pools: &mut Pools,
) -> anyhow::Result<()> {
    let instance = uuid::Uuid::new_v4().to_string();
    let relay_pool = build_pool_relaxed(&config.database_url, 1, config.database_timeouts)
        .context("cannot open the database for the mail relay")?;
    pools.add("mail_relay", &relay_pool);
    let relay = Relay::new(relay_pool, &config.mail, config.language.clone(), instance)
        .context("cannot set up the mail transport")?;
    spawn_periodic(
        "mail-relay",
        config.mail.relay_interval,
        shutdown.clone(),
        threads,
        move || relay.run_once().map(|_| ()),
    )?;
    let sweeper_pool = pool.clone();
    let currency = config.currency.clone();
    let base_url = config.public_base_url.clone();
    let sweeper_config = config.clone();
    spawn_periodic(
        "sweeper",
        config.sweep_interval,
        shutdown.clone(),
        threads,
        move || {
            let mut conn = sweeper_pool.get()?;
            deadlines::close_expired(&mut conn, &currency)?;
            deadlines::refund_closed(&mut conn, &currency)?;
            crate::services::updates::publish_due(&mut conn, &base_url)?;
            crate::services::material_changes::remind_due(&mut conn, &base_url)?;
            crate::services::material_changes::lapse_due(&mut conn, &sweeper_config)?;
            Ok(())
        },
    )?;
    let retention_pool = pool.clone();
    let retention = config.retention;
    // Abandoned uploads in object storage: this job's own client, on a
    // runtime of its own (see `storage::Objects::s3`).
    let objects = match &config.documents.object_store {
        Some(s3) => Some((
            crate::storage::Objects::s3(s3).context("cannot set up the object storage")?,
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .context("cannot start the retention job's runtime")?,
        )),
        None => None,
    };
    spawn_periodic(
        "retention",
        config.retention_interval,
        shutdown.clone(),
        threads,
        move || {
            let mut conn = retention_pool.get()?;
            let now = crate::db::clock(&mut conn)?;
            let pruned = crate::db::retention::prune(&mut conn, &retention, now)?;
            if pruned != crate::db::retention::Pruned::default() {
                tracing::info!(?pruned, "pruned rows past their retention");
            }
            if let Some((objects, runtime)) = &objects {
                let before = now
                    - chrono::TimeDelta::from_std(crate::db::retention::ABANDONED_FILE_AFTER)
                        .unwrap_or(chrono::TimeDelta::days(1));
                let files =
                    crate::storage::prune_abandoned_objects(objects, runtime, &mut conn, before)?;
                if files > 0 {
                    tracing::info!(files, "pruned abandoned uploads from object storage");
                }
            }
            Ok(())
        },
    )?;
    let sealer_pool = pool.clone();
    spawn_periodic(
        "ledger-sealer",
        config.seal_interval,
        shutdown.clone(),
        threads,
        move || {
            let mut conn = sealer_pool.get()?;
            crate::ledger::seal::seal_pending(&mut conn)?;
            Ok(())
        },
    )?;
    Ok(())
}

/// Loads the sessions ended recently, then keeps the list current from a
/// connection of its own, so a busy server still hears of revocations.
fn watch_revocations(
    config: &Config,
    shutdown: &Shutdown,
    threads: &mut Threads,
    pools: &mut Pools,
) -> anyhow::Result<Arc<Revocations>> {
    // Refused as stale after ten missed polls, and never in under 30 s.
    let staleness = (config.revocation_poll * 10).max(std::time::Duration::from_secs(30));
    let revocations = Arc::new(Revocations::new(config.access_token_ttl, staleness));
    let pool = build_pool_with(&config.database_url, 1, config.database_timeouts)
        .context("cannot open the database for the session revocations")?;
    pools.add("revocations", &pool);
    {
        let mut conn = pool.get().context("cannot connect to the database")?;
        revocations
            .poll(&mut conn)
            .context("cannot read the ended sessions")?;
    }
    let list = revocations.clone();
    spawn_periodic(
        "session-revocations",
        config.revocation_poll,
        shutdown.clone(),
        threads,
        move || {
            let mut conn = pool.get()?;
            list.poll(&mut conn)?;
            Ok(())
        },
    )?;
    Ok(revocations)
}

fn cors(origins: &[String]) -> Cors {
    let mut cors = Cors::default()
        .allowed_methods(["GET", "POST", "PUT", "PATCH", "DELETE"])
        .allowed_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::ACCEPT,
            header::HeaderName::from_static("idempotency-key"),
            // Sent by a reconnecting EventSource (live progress).
            header::HeaderName::from_static("last-event-id"),
            request_id::X_REQUEST_ID,
        ])
        .expose_headers([
            request_id::X_REQUEST_ID,
            header::RETRY_AFTER,
            header::HeaderName::from_static("idempotent-replayed"),
        ])
        .max_age(3600);
    for origin in origins {
        cors = cors.allowed_origin(origin);
    }
    cors
}
