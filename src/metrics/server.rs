//! The metrics server: `GET /metrics` in the Prometheus text format, on an
//! address of its own (`METRICS_BIND_ADDR`), apart from the API so that it
//! can be kept off the public network. One worker; it starts and stops with
//! the application ([`crate::app::Application`]).

use std::net::{SocketAddr, TcpListener};
use std::time::Duration;

use actix_web::dev::{Server, ServerHandle};
use actix_web::{web, App, HttpResponse, HttpServer};
use anyhow::Context;
use metrics_exporter_prometheus::PrometheusHandle;

use crate::db::{build_pool_with, DatabaseUrl, DbPool, Timeouts};
use crate::jobs::{spawn_periodic, Shutdown, Threads};

use super::outbox;
use super::pools::Pools;

/// What a scrape may hold the metrics connection for on PostgreSQL.
const QUERY_TIMEOUTS: Timeouts = Timeouts {
    lock: Duration::from_millis(500),
    statement: Duration::from_secs(1),
};
/// How often histograms are folded into their buckets between scrapes, so
/// that samples never pile up in memory when nobody scrapes.
const UPKEEP_EVERY: Duration = Duration::from_secs(5);

pub struct MetricsServer {
    port: u16,
    server: Server,
}

struct Scrape {
    handle: PrometheusHandle,
    pools: Pools,
    db: DbPool,
}

impl MetricsServer {
    /// Binds `addr` and builds the server rendering `handle` (see
    /// [`super::recorder::install`]); it serves once [`MetricsServer::run`]
    /// is awaited. `pools` are the application's pools, sampled at each
    /// scrape; the backlog is read on a connection of the metrics' own.
    pub fn start(
        addr: SocketAddr,
        handle: PrometheusHandle,
        database_url: &DatabaseUrl,
        mut pools: Pools,
        shutdown: &Shutdown,
        threads: &mut Threads,
    ) -> anyhow::Result<Self> {
        let db = build_pool_with(database_url, 1, QUERY_TIMEOUTS)
            .context("cannot open the database for the metrics")?;
        pools.add("metrics", &db);
        let upkeep = handle.clone();
        spawn_periodic(
            "metrics-upkeep",
            UPKEEP_EVERY,
            shutdown.clone(),
            threads,
            move || {
                upkeep.run_upkeep();
                Ok(())
            },
        )?;
        let listener = TcpListener::bind(addr)
            .with_context(|| format!("cannot listen on {addr} (METRICS_BIND_ADDR)"))?;
        let port = listener.local_addr()?.port();
        let scrape = web::Data::new(Scrape { handle, pools, db });
        let server = HttpServer::new(move || {
            App::new()
                .app_data(scrape.clone())
                .route("/metrics", web::get().to(metrics))
                .default_service(web::to(not_found))
        })
        .disable_signals()
        .workers(1)
        .shutdown_timeout(1)
        .listen(listener)?
        .run();
        tracing::info!(port, "metrics listening");
        Ok(Self { port, server })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn handle(&self) -> ServerHandle {
        self.server.handle()
    }

    /// Serves until stopped through [`MetricsServer::handle`].
    pub async fn run(self) -> std::io::Result<()> {
        self.server.await
    }
}

async fn metrics(scrape: web::Data<Scrape>) -> HttpResponse {
    scrape.pools.sample();
    let db = scrape.db.clone();
    let read = actix_web::rt::task::spawn_blocking(move || outbox::sample(&db));
    if !matches!(
        tokio::time::timeout(outbox::READ_WITHIN, read).await,
        Ok(Ok(()))
    ) {
        outbox::skipped(true);
    }
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(scrape.handle.render())
}

async fn not_found() -> HttpResponse {
    HttpResponse::NotFound()
        .content_type("text/plain; charset=utf-8")
        .body("Not found: the metrics are at /metrics.\n")
}
