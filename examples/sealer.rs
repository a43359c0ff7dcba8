//! The ledger sealer's cost as the journal grows.
//!
//! ```text
//! cargo run --release --example sealer -- [--backend sqlite|postgres]
//!     [--pg-admin-url postgres://postgres@127.0.0.1:5432/postgres]
//!     [--entries 1000000]
//! ```
//!
//! On a fresh database it grows the journal in steps (10,000, 100,000, then
//! `--entries`), lets the real sealer seal everything at each step, then adds
//! 1,000 entries and times one sealer run over them. Beside it, the time the
//! sealer's former way of finding unsealed entries (an anti-join of the whole
//! journal against the seals) takes on the same data: that one grows with the
//! history, the queue the sealer reads now does not. The seeded entries have
//! no postings (their hashes are cheaper to compute than real ones; the
//! timed 1,000 are the same kind, so the steps compare like with like).

use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use diesel::connection::SimpleConnection;
use diesel::{Connection, RunQueryDsl};

use crowdfund::db::{build_pool, run_migrations, AnyConnection, DatabaseUrl};

fn main() -> Result<()> {
    let mut backend = "sqlite".to_string();
    let mut admin = std::env::var("PG_ADMIN_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let mut entries: i64 = 1_000_000;
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args
            .next()
            .with_context(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--backend" => backend = value,
            "--pg-admin-url" => admin = value,
            "--entries" => entries = value.parse()?,
            other => bail!("unknown flag {other}"),
        }
    }
    let dir = tempfile::tempdir()?;
    let (url, drop_database) = match backend.as_str() {
        "sqlite" => (
            format!("sqlite://{}", dir.path().join("sealer.db").display()),
            None,
        ),
        "postgres" => {
            let name = format!("cf_sealer_{}", uuid::Uuid::new_v4().simple());
            diesel::PgConnection::establish(&admin)?
                .batch_execute(&format!("CREATE DATABASE \"{name}\""))?;
            let base = admin.rsplit_once('/').context("admin URL ends in /db")?.0;
            (format!("{base}/{name}"), Some(name))
        }
        _ => bail!("--backend is sqlite or postgres"),
    };
    let result = run(&url, entries);
    if let Some(name) = drop_database {
        if let Ok(mut conn) = diesel::PgConnection::establish(&admin) {
            let _ = conn.batch_execute(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"));
        }
    }
    result
}

fn run(url: &str, entries: i64) -> Result<()> {
    let pool = build_pool(&DatabaseUrl::parse(url)?, 1)?;
    let mut conn = pool.get()?;
    run_migrations(&mut conn)?;
    println!(
        "{:>12} {:>22} {:>26}",
        "journal", "seal 1,000 new entries", "former anti-join (1,000)"
    );
    let mut seeded = 0;
    for step in [10_000, 100_000, entries] {
        if step <= seeded {
            continue;
        }
        seed(&mut conn, seeded, step)?;
        seeded = step;
        crowdfund::ledger::seal::seal_pending(&mut conn)?;
        seed(&mut conn, seeded, seeded + 1_000)?;
        seeded += 1_000;
        let anti_join = time(|| former_query(&mut conn))?;
        let started = Instant::now();
        let sealed = crowdfund::ledger::seal::seal_pending(&mut conn)?;
        let sealing = started.elapsed();
        if sealed != 1_000 {
            bail!("sealed {sealed}, expected 1000");
        }
        println!(
            "{:>12} {:>19.1} ms {:>23.1} ms",
            seeded,
            ms(sealing),
            ms(anti_join)
        );
    }
    Ok(())
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn time(f: impl FnOnce() -> Result<()>) -> Result<Duration> {
    let started = Instant::now();
    f()?;
    Ok(started.elapsed())
}

/// Journal entries `from + 1 ..= to`, in one statement.
fn seed(conn: &mut AnyConnection, from: i64, to: i64) -> Result<()> {
    let sql = match conn {
        AnyConnection::Sqlite(_) => format!(
            "WITH RECURSIVE n(i) AS (SELECT {first} UNION ALL SELECT i + 1 FROM n WHERE i < {to}) \
             INSERT INTO journal_entries (id, kind, reference_id, description, created_at) \
             SELECT printf('seed-%012d', i), 'deposit', 'seed', 'seeded', '2026-01-01 00:00:00' FROM n",
            first = from + 1
        ),
        AnyConnection::Postgresql(_) => format!(
            "INSERT INTO journal_entries (id, kind, reference_id, description, created_at) \
             SELECT 'seed-' || lpad(i::text, 12, '0'), 'deposit', 'seed', 'seeded', \
             TIMESTAMP '2026-01-01 00:00:00' FROM generate_series({first}, {to}) AS i",
            first = from + 1
        ),
    };
    conn.batch_execute(&sql)?;
    Ok(())
}

/// How the sealer used to find its work: every entry without a seal.
fn former_query(conn: &mut AnyConnection) -> Result<()> {
    #[derive(diesel::QueryableByName)]
    struct Id {
        #[diesel(sql_type = diesel::sql_types::Text)]
        #[allow(dead_code)]
        id: String,
    }
    let ids: Vec<Id> = diesel::sql_query(
        "SELECT j.id FROM journal_entries j LEFT JOIN entry_seals s ON s.entry_id = j.id \
         WHERE s.entry_id IS NULL ORDER BY j.id LIMIT 1000",
    )
    .load(conn)?;
    if ids.len() != 1_000 {
        bail!("the anti-join found {} unsealed entries", ids.len());
    }
    Ok(())
}
