//! Rotating the access-token keys (`JWT_KEYS`): the first key signs and names
//! itself in `kid`; every listed key verifies the tokens that name it.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::{encode, EncodingKey, Header};
use serde_json::{json, Value};

use crate::helpers::{spawn_app, spawn_app_with, unique_email, JWT_SECRET};

const OLD: &str = "old-signing-secret-that-is-long-enough-0123";
const NEW: &str = "new-signing-secret-that-is-long-enough-4567";

/// The token's JOSE header, decoded by hand.
fn jose_header(token: &str) -> Value {
    let part = token.split('.').next().unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
}

fn kid(token: &str) -> Value {
    jose_header(token)["kid"].clone()
}

/// A token for `sub` signed with `secret`, with this `kid` (or none).
fn sign(sub: &str, secret: &str, kid: Option<&str>) -> String {
    let now = jsonwebtoken::get_current_timestamp();
    let claims = json!({"sub": sub, "role": "investor", "sid": "any-open-session", "iat": now,
                        "exp": now + 600, "iss": "crowdfund", "aud": "crowdfund-api"});
    let header = Header {
        kid: kid.map(str::to_string),
        ..Header::default()
    };
    encode(
        &header,
        &claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap()
}

#[tokio::test]
async fn tokens_of_a_listed_older_key_are_accepted_after_the_rotation() {
    let old_keys = format!("old:{OLD}");
    let app = spawn_app_with(&[("JWT_SECRET", ""), ("JWT_KEYS", &old_keys)]).await;
    let (_, old_token, refresh) = app.signed_up(&unique_email("rot"), "investor").await;
    assert_eq!(kid(&old_token), "old");
    assert_eq!(jose_header(&old_token)["alg"], "HS256");

    let rotated = app
        .spawn_sibling(&[("JWT_KEYS", &format!("new:{NEW},old:{OLD}"))])
        .await;
    let me = rotated.get("/api/v1/me", Some(&old_token)).await;
    assert_eq!(me.status, 200, "{}", me.body);

    // Refresh tokens live in the database: the rotated server renews the
    // session, and what it signs names the new key.
    let renewed = rotated
        .post(
            "/api/v1/auth/refresh",
            None,
            json!({"refresh_token": refresh}),
        )
        .await;
    assert_eq!(renewed.status, 200, "{}", renewed.body);
    let new_token = renewed.body["access_token"].as_str().unwrap();
    assert_eq!(kid(new_token), "new");
    assert_eq!(rotated.get("/api/v1/me", Some(new_token)).await.status, 200);
    // A server that does not list the new key yet refuses what it signed.
    app.get("/api/v1/me", Some(new_token))
        .await
        .assert_problem(401, "invalid_token");
}

#[tokio::test]
async fn a_server_that_dropped_the_old_key_refuses_its_tokens() {
    let old_keys = format!("old:{OLD}");
    let app = spawn_app_with(&[("JWT_SECRET", ""), ("JWT_KEYS", &old_keys)]).await;
    let (_, old_token, _) = app.signed_up(&unique_email("rot"), "investor").await;

    let only_new = app
        .spawn_sibling(&[("JWT_KEYS", &format!("new:{NEW}"))])
        .await;
    only_new
        .get("/api/v1/me", Some(&old_token))
        .await
        .assert_problem(401, "invalid_token");
}

#[tokio::test]
async fn the_kid_must_name_a_listed_key_that_signed_the_token() {
    let keys = format!("new:{NEW},old:{OLD}");
    let app = spawn_app_with(&[("JWT_SECRET", ""), ("JWT_KEYS", &keys)]).await;
    let (id, _, _) = app.signed_up(&unique_email("rot"), "investor").await;

    // The control: each key verifies the tokens that name it.
    for token in [sign(&id, OLD, Some("old")), sign(&id, NEW, Some("new"))] {
        let me = app.get("/api/v1/me", Some(&token)).await;
        assert_eq!(me.status, 200, "{}", me.body);
    }
    for token in [
        // A kid nobody listed, whatever the signature.
        sign(&id, NEW, Some("2020-01")),
        sign(&id, NEW, Some("")),
        // The kid of one key, the signature of another.
        sign(&id, NEW, Some("old")),
        sign(&id, OLD, Some("new")),
        // No kid, with several keys listed: not even the signing key's.
        sign(&id, NEW, None),
        sign(&id, OLD, None),
    ] {
        app.get("/api/v1/me", Some(&token))
            .await
            .assert_problem(401, "invalid_token");
    }
}

#[tokio::test]
async fn jwt_secret_signs_as_the_default_key_and_its_tokens_survive_the_switch() {
    // JWT_SECRET alone: kid-less tokens of the previous version still work,
    // and new tokens are marked `default`.
    let app = spawn_app().await;
    let (id, token, _) = app.signed_up(&unique_email("rot"), "investor").await;
    assert_eq!(kid(&token), "default");
    let legacy = sign(&id, JWT_SECRET, None);
    assert_eq!(app.get("/api/v1/me", Some(&legacy)).await.status, 200);

    // The same secret listed as `default` behind a new signing key.
    let rotated = app
        .spawn_sibling(&[
            ("JWT_SECRET", ""),
            ("JWT_KEYS", &format!("new:{NEW},default:{JWT_SECRET}")),
        ])
        .await;
    let me = rotated.get("/api/v1/me", Some(&token)).await;
    assert_eq!(me.status, 200, "{}", me.body);
    let (_, fresh, _) = rotated.signed_up(&unique_email("rot"), "investor").await;
    assert_eq!(kid(&fresh), "new");
}
