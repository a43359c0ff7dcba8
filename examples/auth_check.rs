//! What checking an access token costs per request, with the session check.
//!
//! ```text
//! cargo run --release --example auth_check -- [--revoked 10000] [--checks 1000000]
//! ```
//!
//! On a fresh SQLite database it records `--revoked` ended sessions, loads
//! them the way a server does (one poll), and then times, per request, what
//! every signed-in request pays: verifying the JWT (signature, claims) and
//! looking its session up among the ended ones. The session lookup is the
//! part this check added; the JWT verification beside it is what every
//! request already paid.

use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use crowdfund::auth::{JwtKeys, KeyRing, Revocations};
use crowdfund::db::sessions::{self, Ended};
use crowdfund::db::users::{NewUser, User};
use crowdfund::db::{build_pool, new_id, now, run_migrations, write_transaction, DatabaseUrl};
use crowdfund::domain::Role;

fn main() -> Result<()> {
    let mut revoked: usize = 10_000;
    let mut checks: usize = 1_000_000;
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args
            .next()
            .with_context(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--revoked" => revoked = value.parse()?,
            "--checks" => checks = value.parse()?,
            other => bail!("unknown flag {other}"),
        }
    }
    let dir = tempfile::tempdir()?;
    let url = DatabaseUrl::parse(&format!(
        "sqlite://{}",
        dir.path().join("auth.db").display()
    ))?;
    let pool = build_pool(&url, 1)?;
    let mut conn = pool.get()?;
    run_migrations(&mut conn)?;

    let user_id = new_id();
    let at = now();
    write_transaction(&mut conn, |conn| -> diesel::QueryResult<()> {
        User::insert(
            conn,
            &NewUser {
                id: &user_id,
                email: "bench@example.com",
                password_hash: "not a hash",
                display_name: "Bench",
                role: Role::Investor.as_str(),
                email_verified_at: Some(at),
                created_at: at,
                updated_at: at,
                locale: None,
                time_zone: None,
            },
        )?;
        for _ in 0..revoked {
            let id = new_id();
            sessions::insert(conn, &id, &user_id, at)?;
            sessions::revoke(conn, &id, Ended::Logout)?;
        }
        Ok(())
    })?;
    let ttl = Duration::from_secs(900);
    let list = Revocations::new(ttl, Duration::from_secs(3600));
    let started = Instant::now();
    let remembered = list.poll(&mut conn)?;
    let poll = started.elapsed();

    let keys = JwtKeys::new(
        &KeyRing::single(b"0123456789abcdef0123456789abcdef".to_vec()),
        ttl,
    );
    let open_session = new_id();
    let token = keys.issue(&user_id, Role::Investor, &open_session)?;

    let started = Instant::now();
    for _ in 0..checks {
        let claims = keys.verify(std::hint::black_box(&token))?;
        std::hint::black_box(claims);
    }
    let jwt = started.elapsed();
    let started = Instant::now();
    for _ in 0..checks {
        let ok = list.check(std::hint::black_box(&open_session)).is_ok();
        std::hint::black_box(ok);
    }
    let session = started.elapsed();
    if list.check(&open_session).is_err() {
        bail!("the open session was refused");
    }

    let per = |d: Duration| d.as_nanos() as f64 / checks as f64;
    println!("ended sessions remembered: {remembered} (one poll: {poll:.2?})");
    println!(
        "JWT verification:          {:>8.0} ns per request",
        per(jwt)
    );
    println!(
        "session check:             {:>8.0} ns per request",
        per(session)
    );
    println!(
        "the session check adds {:.1}% to the token check",
        100.0 * per(session) / per(jwt)
    );
    Ok(())
}
