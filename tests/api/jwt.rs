//! Access tokens that must be refused: tampered, `alg: none`, wrong audience or
//! issuer, expired, string-typed `exp`, missing claims.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::{encode, EncodingKey, Header};
use serde_json::{json, Value};

use crate::helpers::{spawn_app, unique_email, JWT_SECRET};

fn now() -> u64 {
    jsonwebtoken::get_current_timestamp()
}

fn sign(claims: &Value) -> String {
    encode(
        &Header::default(),
        claims,
        &EncodingKey::from_secret(JWT_SECRET.as_bytes()),
    )
    .unwrap()
}

fn good_claims(sub: &str) -> Value {
    json!({"sub": sub, "role": "investor", "sid": "any-open-session", "iat": now(),
           "exp": now() + 600, "iss": "crowdfund", "aud": "crowdfund-api"})
}

#[tokio::test]
async fn a_well_formed_token_signed_with_the_key_is_accepted() {
    // The control for every refusal below: only the one defect differs.
    let app = spawn_app().await;
    let (id, _, _) = app.signed_up(&unique_email("jwt"), "investor").await;
    let reply = app.get("/api/v1/me", Some(&sign(&good_claims(&id)))).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
}

#[tokio::test]
async fn forged_and_malformed_tokens_are_refused() {
    let app = spawn_app().await;
    let (id, access, _) = app.signed_up(&unique_email("jwt"), "investor").await;

    // Tampered payload: the role changed, the signature kept.
    let parts: Vec<&str> = access.split('.').collect();
    let mut payload: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
    payload["role"] = json!("operator");
    let tampered = format!(
        "{}.{}.{}",
        parts[0],
        URL_SAFE_NO_PAD.encode(payload.to_string()),
        parts[2]
    );
    app.get("/api/v1/me", Some(&tampered))
        .await
        .assert_problem(401, "invalid_token");

    // Tampered signature.
    let mut sig = parts[2].to_string();
    let last = if sig.ends_with('A') { 'B' } else { 'A' };
    sig.pop();
    sig.push(last);
    let bad_sig = format!("{}.{}.{}", parts[0], parts[1], sig);
    app.get("/api/v1/me", Some(&bad_sig))
        .await
        .assert_problem(401, "invalid_token");

    // alg: none, no signature.
    let header = URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#);
    let body = URL_SAFE_NO_PAD.encode(good_claims(&id).to_string());
    for none in [format!("{header}.{body}."), format!("{header}.{body}")] {
        app.get("/api/v1/me", Some(&none))
            .await
            .assert_problem(401, "invalid_token");
    }

    // Signed with another key.
    let other = encode(
        &Header::default(),
        &good_claims(&id),
        &EncodingKey::from_secret(b"some-other-secret-some-other-secret"),
    )
    .unwrap();
    app.get("/api/v1/me", Some(&other))
        .await
        .assert_problem(401, "invalid_token");
}

#[tokio::test]
async fn claims_are_checked() {
    let app = spawn_app().await;
    let (id, _, _) = app.signed_up(&unique_email("jwt"), "investor").await;
    let with = |key: &str, value: Value| {
        let mut claims = good_claims(&id);
        claims[key] = value;
        sign(&claims)
    };
    let without = |key: &str| {
        let mut claims = good_claims(&id);
        claims.as_object_mut().unwrap().remove(key);
        sign(&claims)
    };

    app.get("/api/v1/me", Some(&with("aud", json!("someone-else"))))
        .await
        .assert_problem(401, "invalid_token");
    app.get("/api/v1/me", Some(&with("iss", json!("evil"))))
        .await
        .assert_problem(401, "invalid_token");
    app.get("/api/v1/me", Some(&with("exp", json!(now() - 120))))
        .await
        .assert_problem(401, "token_expired");
    // A string-typed exp far in the future must not slip past the expiry check.
    app.get(
        "/api/v1/me",
        Some(&with("exp", json!((now() + 100_000).to_string()))),
    )
    .await
    .assert_problem(401, "invalid_token");
    app.get("/api/v1/me", Some(&with("role", json!("superuser"))))
        .await
        .assert_problem(401, "invalid_token");
    for claim in ["exp", "iat", "iss", "aud", "sub", "role", "sid"] {
        app.get("/api/v1/me", Some(&without(claim)))
            .await
            .assert_problem(401, "invalid_token");
    }
}
