//! Access tokens die with their session: logout, reuse of a spent refresh
//! token, a password reset and an operator's sign-out refuse them at once
//! on the server that ended the session, and within a poll on every other.

use std::time::Duration;

use futures_util::future::join_all;
use serde_json::json;

use crate::helpers::{spawn_app, unique_email, Reply, TestApp, PASSWORD};
use crate::world::Person;

async fn refresh(app: &TestApp, token: &str) -> Reply {
    app.post(
        "/api/v1/auth/refresh",
        None,
        json!({"refresh_token": token}),
    )
    .await
}

fn field(reply: &Reply, name: &str) -> String {
    reply.body[name].as_str().unwrap().to_string()
}

#[tokio::test]
async fn logout_ends_its_access_tokens_here_at_once_and_on_other_servers_soon() {
    let app = spawn_app().await;
    let other = app
        .spawn_sibling(&[("SESSION_REVOCATION_POLL_MS", "")])
        .await;
    let email = unique_email("out");
    let (_, access, refresh_token) = app.signed_up(&email, "investor").await;
    let second = app.login(&email, PASSWORD).await;
    assert_eq!(other.get("/api/v1/me", Some(&access)).await.status, 200);

    let out = app
        .post(
            "/api/v1/auth/logout",
            None,
            json!({"refresh_token": refresh_token}),
        )
        .await;
    assert_eq!(out.status, 204);
    app.get("/api/v1/me", Some(&access))
        .await
        .assert_problem(401, "session_revoked");
    // The other server polls every second by default.
    other
        .refused_within(&access, Duration::from_secs(5))
        .await
        .assert_problem(401, "session_revoked");
    // Only that session ended: the user's other sign-in still works.
    let other_session = field(&second, "access_token");
    assert_eq!(
        app.get("/api/v1/me", Some(&other_session)).await.status,
        200
    );
    assert_eq!(
        other.get("/api/v1/me", Some(&other_session)).await.status,
        200
    );
    assert_eq!(
        app.count("sessions WHERE revoked_reason = 'logout'"),
        1,
        "one session ended"
    );
}

#[tokio::test]
async fn a_stolen_access_token_is_refused_after_the_owners_password_reset_on_another_server() {
    let app = spawn_app().await;
    let other = app
        .spawn_sibling(&[("SESSION_REVOCATION_POLL_MS", "")])
        .await;
    let email = unique_email("stolen");
    let (_, _, _) = app.signed_up(&email, "investor").await;
    // The attacker signed in with the stolen password, on the other server.
    let stolen = other.login(&email, PASSWORD).await;
    let (stolen_access, stolen_refresh) = (
        field(&stolen, "access_token"),
        field(&stolen, "refresh_token"),
    );
    assert_eq!(
        other.get("/api/v1/me", Some(&stolen_access)).await.status,
        200
    );

    // The owner resets the password through the first server.
    let asked = app
        .post(
            "/api/v1/auth/password-reset/request",
            None,
            json!({"email": email}),
        )
        .await;
    assert_eq!(asked.status, 202);
    let token = app
        .wait_for_email(&email, "Reset your password")
        .await
        .link_token("/reset-password?token=");
    let done = app
        .post(
            "/api/v1/auth/password-reset/confirm",
            None,
            json!({"token": token, "new_password": "the owner's new password"}),
        )
        .await;
    assert_eq!(done.status, 204, "{}", done.body);

    other
        .refused_within(&stolen_access, Duration::from_secs(5))
        .await
        .assert_problem(401, "session_revoked");
    app.get("/api/v1/me", Some(&stolen_access))
        .await
        .assert_problem(401, "session_revoked");
    refresh(&other, &stolen_refresh)
        .await
        .assert_problem(401, "refresh_token_reused");
    other
        .login(&email, PASSWORD)
        .await
        .assert_problem(401, "invalid_credentials");
    let owner = other.login(&email, "the owner's new password").await;
    assert_eq!(owner.status, 200, "{}", owner.body);
    assert_eq!(
        other
            .get("/api/v1/me", Some(&field(&owner, "access_token")))
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn reuse_of_a_spent_refresh_token_ends_the_sessions_access_tokens() {
    let app = spawn_app().await;
    let (_, first_access, first_refresh) = app.signed_up(&unique_email("reuse"), "investor").await;
    let renewed = refresh(&app, &first_refresh).await;
    assert_eq!(renewed.status, 200, "{}", renewed.body);
    let renewed_access = field(&renewed, "access_token");
    assert_eq!(
        app.get("/api/v1/me", Some(&renewed_access)).await.status,
        200
    );

    refresh(&app, &first_refresh)
        .await
        .assert_problem(401, "refresh_token_reused");
    for token in [&first_access, &renewed_access] {
        app.get("/api/v1/me", Some(token))
            .await
            .assert_problem(401, "session_revoked");
    }
}

#[tokio::test]
async fn an_operator_signs_a_user_out_of_every_session() {
    let app = spawn_app().await;
    let other = app.spawn_sibling(&[]).await;
    let operator = app.operator().await;
    let email = unique_email("signout");
    let (id, phone, _) = app.signed_up(&email, "investor").await;
    let laptop = field(&app.login(&email, PASSWORD).await, "access_token");

    let done = app
        .post(
            format!("/api/v1/operator/users/{id}/sign-out"),
            Some(&operator.token),
            json!({}),
        )
        .await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert_eq!(done.body["sessions_ended"], 2);
    assert_eq!(done.body["user"]["id"], id.as_str());
    assert_eq!(done.body["user"]["disabled"], false);
    for token in [&phone, &laptop] {
        app.get("/api/v1/me", Some(token))
            .await
            .assert_problem(401, "session_revoked");
        other
            .refused_within(token, Duration::from_secs(5))
            .await
            .assert_problem(401, "session_revoked");
    }
    let log = app
        .get(
            &format!("/api/v1/operator/audit-log?action=user.signed_out&subject_id={id}"),
            Some(&operator.token),
        )
        .await;
    assert_eq!(log.status, 200, "{}", log.body);
    let entries = log.body["items"].as_array().unwrap();
    assert_eq!(entries.len(), 1, "{}", log.body);
    assert_eq!(entries[0]["actor_id"], operator.id.as_str());
    assert_eq!(entries[0]["details"]["sessions_ended"], 2);
    // Signing in again works: sign-out is not a ban.
    assert_eq!(app.login(&email, PASSWORD).await.status, 200);

    // Only operators may.
    app.post(
        format!("/api/v1/operator/users/{id}/sign-out"),
        Some(&field(&app.login(&email, PASSWORD).await, "access_token")),
        json!({}),
    )
    .await
    .assert_problem(403, "forbidden");
    app.post(
        "/api/v1/operator/users/no-such-user/sign-out",
        Some(&operator.token),
        json!({}),
    )
    .await
    .assert_problem(404, "not_found");
}

#[tokio::test]
async fn concurrent_subscriptions_on_a_revoked_session_move_no_money() {
    let app = spawn_app().await;
    let operator = app.operator().await;
    let sponsor = app.sponsor().await;
    let investor = app.investor(&operator, 1_000_000).await;
    let offering = app
        .open_offering(&sponsor, &operator, json!({"price_per_share": 100}))
        .await;
    let signed_out = app
        .post(
            format!("/api/v1/operator/users/{}/sign-out", investor.id),
            Some(&operator.token),
            json!({}),
        )
        .await;
    assert_eq!(signed_out.status, 200, "{}", signed_out.body);

    let replies = join_all(
        (0..30).map(|i| app.subscribe(&investor, &offering, json!(1), format!("revoked-{i}"))),
    )
    .await;
    for reply in &replies {
        reply.assert_problem(401, "session_revoked");
    }
    assert_eq!(app.count("subscriptions"), 0);
    assert_eq!(app.offering(&offering).await["progress"]["raised"], 0);
    // A fresh session of the same investor subscribes as usual.
    let login = app.login(&investor.email, PASSWORD).await;
    let fresh = Person {
        token: field(&login, "access_token"),
        ..investor
    };
    let replies =
        join_all((0..10).map(|i| app.subscribe(&fresh, &offering, json!(1), format!("fresh-{i}"))))
            .await;
    assert!(replies.iter().all(|r| r.status == 201), "{replies:?}");
    assert_eq!(app.available(&fresh).await, 1_000_000 - 10 * 100);
    app.assert_books_balance(&operator).await;
}

#[tokio::test]
async fn a_refresh_racing_a_password_reset_does_not_outlive_it() {
    let app = spawn_app().await;
    let other = app.spawn_sibling(&[]).await;
    let email = unique_email("race");
    let (id, _, _) = app.signed_up(&email, "investor").await;
    let stolen = other.login(&email, PASSWORD).await;
    app.post(
        "/api/v1/auth/password-reset/request",
        None,
        json!({"email": email}),
    )
    .await;
    let token = app
        .wait_for_email(&email, "Reset your password")
        .await
        .link_token("/reset-password?token=");

    // The thief renews as fast as it can on one server while the owner
    // resets on the other.
    let thief = async {
        let mut held = (
            field(&stolen, "refresh_token"),
            field(&stolen, "access_token"),
        );
        for _ in 0..500 {
            let renewed = refresh(&other, &held.0).await;
            if renewed.status != 200 {
                break;
            }
            held = (
                field(&renewed, "refresh_token"),
                field(&renewed, "access_token"),
            );
        }
        held
    };
    let owner = async {
        tokio::time::sleep(Duration::from_millis(30)).await;
        app.post(
            "/api/v1/auth/password-reset/confirm",
            None,
            json!({"token": token, "new_password": "the owner's new password"}),
        )
        .await
    };
    let ((last_refresh, last_access), done) = tokio::join!(thief, owner);
    assert_eq!(done.status, 204, "{}", done.body);

    // Nothing the thief holds outlives the reset.
    assert_eq!(
        app.count(&format!(
            "sessions WHERE user_id = '{id}' AND revoked_at IS NULL"
        )),
        0
    );
    assert_eq!(
        app.count(&format!(
            "refresh_tokens WHERE user_id = '{id}' AND revoked_at IS NULL"
        )),
        0
    );
    refresh(&other, &last_refresh)
        .await
        .assert_problem(401, "refresh_token_reused");
    other
        .refused_within(&last_access, Duration::from_secs(5))
        .await
        .assert_problem(401, "session_revoked");
}

/// A server whose clock runs ten minutes ahead (twice the poll's overlap)
/// is a process of its own with the clock shim preloaded.
pub(crate) async fn fast_server(
    app: &TestApp,
    dir: &std::path::Path,
) -> Option<crate::helpers::ServerProcess> {
    let shim = crate::fast_clock::shim(dir)?;
    let process = app
        .spawn_process(&[
            ("LD_PRELOAD", shim.to_str().expect("utf-8 path")),
            ("CLOCK_SHIFT_SECS", "600"),
        ])
        .await;
    Some(process)
}

/// PostgreSQL: revocations are stamped and polled by the database's clock,
/// so a server whose own clock runs fast still sees a revocation made on
/// another server (by its own clock it would poll only from "ten minutes
/// from now, less the overlap" on, past it).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_server_whose_clock_runs_fast_still_sees_revocations_made_elsewhere() {
    if !crate::helpers::backend_is_postgres() {
        eprintln!("skipped: SQLite's servers share one machine, and its clock");
        return;
    }
    let app = spawn_app().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let Some(process) = fast_server(&app, dir.path()).await else {
        return;
    };
    let fast = TestApp::of_process(&process, app.test_vars());
    let email = unique_email("skew");
    let (_, access, refresh_token) = app.signed_up(&email, "investor").await;
    // The fast server has polled since it started, and takes the token.
    assert_eq!(fast.get("/api/v1/me", Some(&access)).await.status, 200);

    let out = app
        .post(
            "/api/v1/auth/logout",
            None,
            json!({"refresh_token": refresh_token}),
        )
        .await;
    assert_eq!(out.status, 204);
    fast.refused_within(&access, Duration::from_secs(10))
        .await
        .assert_problem(401, "session_revoked");
}

/// PostgreSQL: an Idempotency-Key claimed and not yet answered (as an older
/// release left its claims, committed before the work) is not taken for
/// abandoned by a server whose clock runs fast: claims are stamped and aged
/// by the database's clock.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_server_whose_clock_runs_fast_does_not_take_over_a_key_in_progress() {
    if !crate::helpers::backend_is_postgres() {
        eprintln!("skipped: SQLite's servers share one machine, and its clock");
        return;
    }
    let app = spawn_app().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let Some(process) = fast_server(&app, dir.path()).await else {
        return;
    };
    let fast = TestApp::of_process(&process, app.test_vars());
    let operator = app.operator().await;
    let investor = app.investor(&operator, 0).await;
    let first = app
        .post_keyed(
            "/api/v1/me/deposits",
            Some(&investor.token),
            "in-progress",
            json!({"amount": 100}),
        )
        .await;
    assert_eq!(first.status, 201, "{}", first.body);
    // As an older release's claim looks while its request runs: claimed a
    // moment ago by the database's clock, no answer yet.
    app.execute(
        "UPDATE idempotency_keys SET status_code = NULL, response_body = NULL, \
         locked_at = CAST(clock_timestamp() AT TIME ZONE 'UTC' AS TIMESTAMP) \
         WHERE idem_key = 'in-progress'",
    );
    let again = fast
        .post_keyed(
            "/api/v1/me/deposits",
            Some(&investor.token),
            "in-progress",
            json!({"amount": 100}),
        )
        .await;
    again.assert_problem(409, "idempotency_in_progress");
    assert_eq!(app.count("deposits"), 1, "the request ran once");
}
