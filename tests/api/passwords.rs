//! New passwords that guessing tries first are refused wherever a password
//! is chosen, and a signed-in user changes theirs with the current one.

use std::time::Duration;

use serde_json::{json, Value};

use crate::helpers::{spawn_app, spawn_app_with, unique_email, TestApp, PASSWORD};

async fn register_with(
    app: &TestApp,
    email: &str,
    password: &str,
    name: &str,
) -> crate::helpers::Reply {
    app.post(
        "/api/v1/auth/register",
        None,
        json!({"email": email, "password": password, "display_name": name, "role": "investor"}),
    )
    .await
}

async fn change(app: &TestApp, token: &str, current: &str, new: &str) -> crate::helpers::Reply {
    app.post(
        "/api/v1/me/password",
        Some(token),
        json!({"current_password": current, "new_password": new}),
    )
    .await
}

#[tokio::test]
async fn weak_passwords_are_refused_at_sign_up_reset_and_change() {
    let app = spawn_app().await;
    let email = unique_email("weak");
    for (password, code) in [
        ("123456789012", "password_too_simple"),
        ("passwordpassword", "password_too_simple"),
        ("qwertyuiopasdf", "password_too_simple"),
        ("qwerty123456", "password_breached"),
        ("Password2024!", "password_breached"),
        ("iloveyou1234", "password_breached"),
        (email.as_str(), "password_personal"),
        ("ada lovelace byron", "password_personal"),
    ] {
        let reply = register_with(&app, &email, password, "Ada Lovelace Byron").await;
        reply.assert_problem(422, code);
        assert_eq!(reply.body["field"], "password", "{password}");
        assert!(!reply.body["detail"].as_str().unwrap().is_empty());
    }
    assert_eq!(
        app.count("users"),
        0,
        "nothing is written for a refused password"
    );

    let (_, access, _) = app.signed_up(&email, "investor").await;
    // Reset: the refused password leaves the link unspent.
    app.post(
        "/api/v1/auth/password-reset/request",
        None,
        json!({"email": email}),
    )
    .await;
    let link = app
        .wait_for_email(&email, "Reset your password")
        .await
        .link_token("/reset-password?token=");
    for (password, code) in [
        ("passwordpassword", "password_too_simple"),
        ("1q2w3e4r5t6y", "password_breached"),
        (email.as_str(), "password_personal"),
    ] {
        let reply = app
            .post(
                "/api/v1/auth/password-reset/confirm",
                None,
                json!({"token": link, "new_password": password}),
            )
            .await;
        reply.assert_problem(422, code);
        assert_eq!(reply.body["field"], "new_password");
    }
    // Change: the same rules.
    for (password, code) in [
        ("123456789012", "password_too_simple"),
        ("sunshine2024", "password_breached"),
        ("Test User Test User", "password_too_simple"),
    ] {
        let reply = change(&app, &access, PASSWORD, password).await;
        reply.assert_problem(422, code);
        assert_eq!(reply.body["field"], "new_password");
    }
    let login = app.login(&email, PASSWORD).await;
    assert_eq!(
        login.status, 200,
        "the password is unchanged: {}",
        login.body
    );
    let reset = app
        .post(
            "/api/v1/auth/password-reset/confirm",
            None,
            json!({"token": link, "new_password": "violet kettle orbit ninety"}),
        )
        .await;
    assert_eq!(reset.status, 204, "{}", reset.body);
}

#[tokio::test]
async fn changing_the_password_needs_the_current_one_and_ends_the_other_sessions() {
    let app = spawn_app().await;
    let other = app.spawn_sibling(&[]).await;
    let operator = app.operator().await;
    let email = unique_email("change");
    let (id, laptop, laptop_refresh) = app.signed_up(&email, "investor").await;
    let phone = app.login(&email, PASSWORD).await;
    let field = |r: &crate::helpers::Reply, k: &str| r.body[k].as_str().unwrap().to_string();
    let (phone, phone_refresh) = (
        field(&phone, "access_token"),
        field(&phone, "refresh_token"),
    );
    let new_password = "violet kettle orbit ninety";

    change(&app, &laptop, "not the password at all", new_password)
        .await
        .assert_problem(403, "invalid_current_password");
    app.post(
        "/api/v1/me/password",
        None,
        json!({"current_password": PASSWORD, "new_password": new_password}),
    )
    .await
    .assert_problem(401, "unauthorized");

    let changed = change(&app, &laptop, PASSWORD, new_password).await;
    assert_eq!(changed.status, 200, "{}", changed.body);
    assert_eq!(changed.body["sessions_ended"], 1);

    // This session stays, with its refresh token; the other ends everywhere.
    assert_eq!(app.get("/api/v1/me", Some(&laptop)).await.status, 200);
    let renewed = app
        .post(
            "/api/v1/auth/refresh",
            None,
            json!({"refresh_token": laptop_refresh}),
        )
        .await;
    assert_eq!(renewed.status, 200, "{}", renewed.body);
    app.get("/api/v1/me", Some(&phone))
        .await
        .assert_problem(401, "session_revoked");
    other
        .refused_within(&phone, Duration::from_secs(5))
        .await
        .assert_problem(401, "session_revoked");
    let stolen = app
        .post(
            "/api/v1/auth/refresh",
            None,
            json!({"refresh_token": phone_refresh}),
        )
        .await;
    assert_eq!(stolen.status, 401, "{}", stolen.body);

    // The new password signs in, the old one does not.
    app.login(&email, PASSWORD)
        .await
        .assert_problem(401, "invalid_credentials");
    assert_eq!(app.login(&email, new_password).await.status, 200);

    // The owner is told, and operators can see it happened.
    let mail = app
        .wait_for_email(&email, "Your password was changed")
        .await;
    assert!(mail.body.contains("Forgot password"), "{}", mail.body);
    let log = app
        .get(
            &format!("/api/v1/operator/audit-log?subject_id={id}&action=user.password_changed"),
            Some(&operator.token),
        )
        .await;
    assert_eq!(log.status, 200, "{}", log.body);
    let entries = log.body["items"].as_array().unwrap();
    assert_eq!(entries.len(), 1, "{}", log.body);
    assert_eq!(entries[0]["actor_id"], Value::String(id));
    assert_eq!(entries[0]["details"]["sessions_ended"], 1);
}

#[tokio::test]
async fn wrong_current_passwords_count_as_failed_sign_ins() {
    let app = spawn_app_with(&[("SIGN_IN_LOCK_AFTER", "3")]).await;
    let email = unique_email("guess");
    let (_, stolen, _) = app.signed_up(&email, "investor").await;
    for guess in ["guess number one", "guess number two", "guess number three"] {
        change(&app, &stolen, guess, "violet kettle orbit ninety")
            .await
            .assert_problem(403, "invalid_current_password");
    }
    // Locked as sign-in from here is: even the right password waits.
    let locked = change(&app, &stolen, PASSWORD, "violet kettle orbit ninety").await;
    locked.assert_problem(423, "account_locked");
    assert!(locked.retry_after() >= 1);
    app.login(&email, PASSWORD)
        .await
        .assert_problem(423, "account_locked");
}
