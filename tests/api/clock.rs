//! Moving the clock forward for a test, without sleeping: servers whose
//! view of the time runs ahead (the database's own clock on PostgreSQL, the
//! server process's clock on SQLite), and tokens such servers still take.

use serde_json::json;

use crate::helpers::{backend_is_postgres, ServerProcess, TestApp, JWT_SECRET};

/// An access token for `user_id`, signed with the tests' key and good for a
/// month: seeded people have no password, and a server whose clock runs
/// days ahead must still take it.
pub fn token_for(user_id: &str, role: &str) -> String {
    let now = jsonwebtoken::get_current_timestamp();
    jsonwebtoken::encode(
        &jsonwebtoken::Header::default(),
        &json!({"sub": user_id, "role": role, "sid": format!("test-{user_id}"), "iat": now,
                "exp": now + 30 * 86_400, "iss": "crowdfund", "aud": "crowdfund-api"}),
        &jsonwebtoken::EncodingKey::from_secret(JWT_SECRET.as_bytes()),
    )
    .expect("sign")
}

/// Servers (`app`'s configuration) whose view of the database's clock is
/// `shift_secs` ahead, each sweeping every second: on PostgreSQL the
/// database's own clock for new connections (`crowdfund.clock_offset`,
/// which stays set for the test's database until moved again), on SQLite
/// the server process's clock (a preloaded shim built in `dir`). None
/// where the clock shim cannot be built.
pub async fn servers_ahead(
    app: &TestApp,
    dir: &std::path::Path,
    shift_secs: i64,
    count: usize,
) -> Option<Vec<ServerProcess>> {
    let shift = shift_secs.to_string();
    let mut overrides = vec![("SWEEP_INTERVAL_SECS", "1")];
    let shim;
    if backend_is_postgres() {
        let url = app.database_url_string();
        let name = url.rsplit('/').next().unwrap().split('?').next().unwrap();
        app.execute(&format!(
            "ALTER DATABASE \"{name}\" SET crowdfund.clock_offset = '{shift_secs} seconds'"
        ));
    } else {
        shim = crate::fast_clock::shim(dir)?;
        overrides.push(("LD_PRELOAD", shim.to_str().unwrap()));
        overrides.push(("CLOCK_SHIFT_SECS", &shift));
    }
    let mut servers = Vec::new();
    for _ in 0..count {
        servers.push(app.spawn_process(&overrides).await);
    }
    Some(servers)
}

/// One server [`servers_ahead`] by `shift_secs`, and a client of it (the
/// test's requests go to that process).
pub async fn server_ahead(
    app: &TestApp,
    dir: &std::path::Path,
    shift_secs: i64,
) -> Option<(ServerProcess, TestApp)> {
    let server = servers_ahead(app, dir, shift_secs, 1).await?.pop()?;
    let client = TestApp::of_process(&server, app.test_vars());
    Some((server, client))
}
