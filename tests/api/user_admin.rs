//! Operators disable an account (sign-in refused, every session ended,
//! audited) and enable it again.

use std::time::Duration;

use serde_json::json;

use crate::helpers::{spawn_app, unique_email, PASSWORD};

#[tokio::test]
async fn a_disabled_user_is_signed_out_everywhere_and_cannot_sign_in_until_enabled() {
    let app = spawn_app().await;
    let other = app.spawn_sibling(&[]).await;
    let operator = app.operator().await;
    let email = unique_email("banned");
    let (id, access, refresh) = app.signed_up(&email, "investor").await;
    // A reset link mailed before the account is disabled.
    app.post(
        "/api/v1/auth/password-reset/request",
        None,
        json!({"email": email}),
    )
    .await;
    let early_link = app
        .wait_for_email(&email, "Reset your password")
        .await
        .link_token("/reset-password?token=");

    let disabled = app
        .post(
            format!("/api/v1/operator/users/{id}/disable"),
            Some(&operator.token),
            json!({"reason": "Chargeback fraud under investigation"}),
        )
        .await;
    assert_eq!(disabled.status, 200, "{}", disabled.body);
    assert_eq!(disabled.body["user"]["disabled"], true);
    assert!(disabled.body["user"]["disabled_at"].is_string());
    assert_eq!(disabled.body["sessions_ended"], 1);

    app.get("/api/v1/me", Some(&access))
        .await
        .assert_problem(401, "session_revoked");
    other
        .refused_within(&access, Duration::from_secs(5))
        .await
        .assert_problem(401, "session_revoked");
    app.post(
        "/api/v1/auth/refresh",
        None,
        json!({"refresh_token": refresh}),
    )
    .await
    .assert_problem(401, "refresh_token_reused");
    // The right password learns the account is disabled; a wrong one learns nothing.
    app.login(&email, PASSWORD)
        .await
        .assert_problem(403, "account_disabled");
    app.login(&email, "a wrong password guess")
        .await
        .assert_problem(401, "invalid_credentials");
    // No reset mail for a disabled account, with the usual answer, and the
    // link mailed before was spent by disabling.
    let reset = app
        .post(
            "/api/v1/auth/password-reset/request",
            None,
            json!({"email": email}),
        )
        .await;
    assert_eq!(reset.status, 202);
    app.post(
        "/api/v1/auth/password-reset/confirm",
        None,
        json!({"token": early_link, "new_password": "the intruder's password"}),
    )
    .await
    .assert_problem(401, "invalid_token");

    let enabled = app
        .post(
            format!("/api/v1/operator/users/{id}/enable"),
            Some(&operator.token),
            json!({}),
        )
        .await;
    assert_eq!(enabled.status, 200, "{}", enabled.body);
    assert_eq!(enabled.body["user"]["disabled"], false);
    assert!(enabled.body["user"]["disabled_at"].is_null());
    let back = app.login(&email, PASSWORD).await;
    assert_eq!(back.status, 200, "{}", back.body);
    assert_eq!(
        app.get("/api/v1/me", back.body["access_token"].as_str())
            .await
            .status,
        200
    );
    assert_eq!(
        app.count(&format!(
            "outbox WHERE recipient = '{email}' AND kind = 'password_reset'"
        )),
        1,
        "only the link mailed before the account was disabled"
    );

    let log = app
        .get(
            &format!("/api/v1/operator/audit-log?subject_id={id}"),
            Some(&operator.token),
        )
        .await;
    assert_eq!(log.status, 200, "{}", log.body);
    let actions: Vec<&str> = log.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["subject_type"] == "user")
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert!(actions.contains(&"user.disabled"), "{actions:?}");
    assert!(actions.contains(&"user.enabled"), "{actions:?}");
    let record = log.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "user.disabled")
        .unwrap();
    assert_eq!(record["actor_id"], operator.id.as_str());
    assert_eq!(
        record["details"]["reason"],
        "Chargeback fraud under investigation"
    );
}

#[tokio::test]
async fn operators_can_disable_other_operators_but_not_themselves() {
    let app = spawn_app().await;
    let first = app.operator().await;
    let second = app.operator().await;
    app.post(
        format!("/api/v1/operator/users/{}/disable", first.id),
        Some(&first.token),
        json!({"reason": "oops"}),
    )
    .await
    .assert_problem(409, "own_account");
    let done = app
        .post(
            format!("/api/v1/operator/users/{}/disable", second.id),
            Some(&first.token),
            json!({"reason": "Laptop stolen"}),
        )
        .await;
    assert_eq!(done.status, 200, "{}", done.body);
    app.get("/api/v1/me", Some(&second.token))
        .await
        .assert_problem(401, "session_revoked");
    app.login(&second.email, PASSWORD)
        .await
        .assert_problem(403, "account_disabled");
    // Disabling again is harmless; an unknown id is not found; investors may not.
    let again = app
        .post(
            format!("/api/v1/operator/users/{}/disable", second.id),
            Some(&first.token),
            json!({"reason": "Still stolen"}),
        )
        .await;
    assert_eq!(again.status, 200);
    assert_eq!(
        again.body["user"]["disabled_at"],
        done.body["user"]["disabled_at"]
    );
    app.post(
        "/api/v1/operator/users/nobody/disable",
        Some(&first.token),
        json!({"reason": "x"}),
    )
    .await
    .assert_problem(404, "not_found");
    let (_, investor, _) = app.signed_up(&unique_email("nosy"), "investor").await;
    app.post(
        format!("/api/v1/operator/users/{}/enable", second.id),
        Some(&investor),
        json!({}),
    )
    .await
    .assert_problem(403, "forbidden");
}

#[tokio::test]
async fn enabling_again_revives_no_link_mailed_before_disabling() {
    let app = spawn_app().await;
    let operator = app.operator().await;
    let email = unique_email("revived");
    // Registered, never verified: a verification link and a reset link out.
    let reg = app.register(&email, "investor").await;
    assert_eq!(reg.status, 201, "{}", reg.body);
    let id = reg.body["id"].as_str().unwrap().to_string();
    let verify_link = app
        .wait_for_email(&email, "Confirm your email")
        .await
        .link_token("/verify-email?token=");
    app.post(
        "/api/v1/auth/password-reset/request",
        None,
        json!({"email": email}),
    )
    .await;
    let reset_link = app
        .wait_for_email(&email, "Reset your password")
        .await
        .link_token("/reset-password?token=");

    for action in ["disable", "enable"] {
        let reply = app
            .post(
                format!("/api/v1/operator/users/{id}/{action}"),
                Some(&operator.token),
                json!({"reason": "Stolen laptop, found again"}),
            )
            .await;
        assert_eq!(reply.status, 200, "{action}: {}", reply.body);
    }

    app.post(
        "/api/v1/auth/password-reset/confirm",
        None,
        json!({"token": reset_link, "new_password": "an attacker's new password"}),
    )
    .await
    .assert_problem(401, "invalid_token");
    app.post(
        "/api/v1/auth/verify-email",
        None,
        json!({"token": verify_link}),
    )
    .await
    .assert_problem(401, "invalid_token");
    app.login(&email, PASSWORD).await.body["access_token"]
        .as_str()
        .expect("the old password still signs in");

    // The owner asks for new links, and those work.
    app.post(
        "/api/v1/auth/verify-email/resend",
        None,
        json!({"email": email}),
    )
    .await;
    let fresh = wait_for_another(
        &app,
        &email,
        "Confirm your email",
        &verify_link,
        "/verify-email?token=",
    )
    .await;
    let verified = app
        .post("/api/v1/auth/verify-email", None, json!({"token": fresh}))
        .await;
    assert_eq!(verified.status, 200, "{}", verified.body);
    app.post(
        "/api/v1/auth/password-reset/request",
        None,
        json!({"email": email}),
    )
    .await;
    let fresh = wait_for_another(
        &app,
        &email,
        "Reset your password",
        &reset_link,
        "/reset-password?token=",
    )
    .await;
    let reset = app
        .post(
            "/api/v1/auth/password-reset/confirm",
            None,
            json!({"token": fresh, "new_password": "a brand new passphrase"}),
        )
        .await;
    assert_eq!(reset.status, 204, "{}", reset.body);
}

/// The token of a mail about `subject` other than the one carrying `old`.
async fn wait_for_another(
    app: &crate::helpers::TestApp,
    to: &str,
    subject: &str,
    old: &str,
    marker: &str,
) -> String {
    let found = crate::helpers::eventually(Duration::from_secs(15), || {
        app.emails_to(to)
            .iter()
            .filter(|m| m.header("Subject").contains(subject))
            .any(|m| m.link_token(marker) != old)
    })
    .await;
    assert!(found, "no second mail about {subject:?}");
    app.emails_to(to)
        .iter()
        .filter(|m| m.header("Subject").contains(subject))
        .map(|m| m.link_token(marker))
        .find(|t| t != old)
        .unwrap()
}

#[tokio::test]
async fn signing_out_and_enabling_keep_an_optional_reason_and_refuse_a_bad_body() {
    let app = spawn_app().await;
    let operator = app.operator().await;
    let email = unique_email("reasons");
    let (id, _, _) = app.signed_up(&email, "investor").await;
    let send = |path: &'static str, body: Option<&'static str>| {
        let mut request = app
            .client
            .post(app.url(&format!("/api/v1/operator/users/{id}/{path}")))
            .bearer_auth(&operator.token);
        if let Some(body) = body {
            request = request
                .header("content-type", "application/json")
                .body(body);
        }
        async move { crate::helpers::read(request.send().await.unwrap()).await }
    };

    // With a reason, without a body at all, and with a broken body.
    let with_reason = send("sign-out", Some(r#"{"reason": "Phone reported stolen"}"#)).await;
    assert_eq!(with_reason.status, 200, "{}", with_reason.body);
    assert_eq!(with_reason.body["sessions_ended"], 1);
    let bare = send("sign-out", None).await;
    assert_eq!(bare.status, 200, "{}", bare.body);
    let null = send("sign-out", Some(r#"{"reason": null}"#)).await;
    assert_eq!(null.status, 200, "{}", null.body);
    send("sign-out", Some("{\"reason\": "))
        .await
        .assert_problem(400, "malformed_json");
    send("sign-out", Some(r#"{"why": "x"}"#))
        .await
        .assert_problem(422, "invalid_body");
    let disabled = app
        .post(
            format!("/api/v1/operator/users/{id}/disable"),
            Some(&operator.token),
            json!({"reason": "Checking documents"}),
        )
        .await;
    assert_eq!(disabled.status, 200, "{}", disabled.body);
    let enabled = send("enable", Some(r#"{"reason": "Documents checked"}"#)).await;
    assert_eq!(enabled.status, 200, "{}", enabled.body);
    assert_eq!(enabled.body["user"]["disabled"], false);

    let log = app
        .get(
            &format!("/api/v1/operator/audit-log?subject_id={id}"),
            Some(&operator.token),
        )
        .await;
    let reasons: Vec<(String, serde_json::Value)> = log.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["action"].as_str().unwrap().to_string(),
                r["details"]["reason"].clone(),
            )
        })
        .collect();
    assert_eq!(
        reasons,
        vec![
            ("user.enabled".into(), json!("Documents checked")),
            ("user.disabled".into(), json!("Checking documents")),
            ("user.signed_out".into(), json!(null)),
            ("user.signed_out".into(), json!(null)),
            ("user.signed_out".into(), json!("Phone reported stolen")),
            ("user.email_verified".into(), json!(null)),
        ]
    );
}
