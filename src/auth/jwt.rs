//! Access tokens: HS256 JWTs with a pinned algorithm and required
//! `exp`, `iat`, `iss`, `aud`, `sub`, `role` and `sid` (the session), signed with the first key of
//! the [`KeyRing`] and naming it in the `kid` header.

use std::time::Duration;

use jsonwebtoken::errors::{Error, ErrorKind};
use jsonwebtoken::{
    decode, decode_header, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation,
};
use serde::{Deserialize, Serialize};

use super::key_ring::KeyRing;
use crate::domain::Role;

pub const ISSUER: &str = "crowdfund";
pub const AUDIENCE: &str = "crowdfund-api";
const ALGORITHM: Algorithm = Algorithm::HS256;
/// Clock skew tolerated on `exp`.
pub const LEEWAY_SECS: u64 = 5;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AccessClaims {
    pub sub: String,
    pub role: Role,
    /// The session the token belongs to: revoking it refuses the token.
    pub sid: String,
    pub iat: u64,
    pub exp: u64,
    pub iss: String,
    pub aud: String,
}

#[derive(Clone)]
pub struct JwtKeys {
    signing_id: String,
    encoding: EncodingKey,
    /// Every key by id, the signing key first.
    decoding: Vec<(String, DecodingKey)>,
    validation: Validation,
    ttl: Duration,
}

impl JwtKeys {
    pub fn new(ring: &KeyRing, ttl: Duration) -> Self {
        let mut validation = Validation::new(ALGORITHM);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "iat", "iss", "aud", "sub"]);
        validation.leeway = LEEWAY_SECS;
        validation.validate_exp = true;
        Self {
            signing_id: ring.signing().id.clone(),
            encoding: EncodingKey::from_secret(&ring.signing().secret),
            decoding: ring
                .iter()
                .map(|k| (k.id.clone(), DecodingKey::from_secret(&k.secret)))
                .collect(),
            validation,
            ttl,
        }
    }

    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    pub fn issue(&self, user_id: &str, role: Role, session_id: &str) -> anyhow::Result<String> {
        let now = jsonwebtoken::get_current_timestamp();
        let claims = AccessClaims {
            sub: user_id.to_string(),
            role,
            sid: session_id.to_string(),
            iat: now,
            exp: now + self.ttl.as_secs(),
            iss: ISSUER.to_string(),
            aud: AUDIENCE.to_string(),
        };
        let header = Header {
            kid: Some(self.signing_id.clone()),
            ..Header::new(ALGORITHM)
        };
        Ok(encode(&header, &claims, &self.encoding)?)
    }

    /// Verifies signature, algorithm, expiry, issuer and audience, with the
    /// key the token's `kid` names. A token without `kid` (issued before keys
    /// had ids) is verified only when there is a single key.
    pub fn verify(&self, token: &str) -> Result<AccessClaims, Error> {
        let kid = decode_header(token)?.kid;
        let key = match (kid.as_deref(), self.decoding.as_slice()) {
            (Some(kid), keys) => keys.iter().find(|(id, _)| id == kid),
            (None, [only]) => Some(only),
            (None, _) => None,
        };
        let (_, key) = key.ok_or_else(|| Error::from(ErrorKind::InvalidToken))?;
        decode::<AccessClaims>(token, key, &self.validation).map(|d| d.claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OLD: &str = "0123456789abcdef0123456789abcdef";
    const NEW: &str = "another secret another secret 123";

    fn keys(list: &str) -> JwtKeys {
        JwtKeys::new(&KeyRing::parse(list).unwrap(), Duration::from_secs(60))
    }

    fn single(secret: &str) -> JwtKeys {
        JwtKeys::new(
            &KeyRing::single(secret.as_bytes().to_vec()),
            Duration::from_secs(60),
        )
    }

    fn kid(token: &str) -> Option<String> {
        decode_header(token).unwrap().kid
    }

    /// A token as this module signed them before keys had ids.
    fn without_kid(secret: &str) -> String {
        let now = jsonwebtoken::get_current_timestamp();
        let claims = AccessClaims {
            sub: "user-1".into(),
            role: Role::Investor,
            sid: "session-1".into(),
            iat: now,
            exp: now + 60,
            iss: ISSUER.into(),
            aud: AUDIENCE.into(),
        };
        let key = EncodingKey::from_secret(secret.as_bytes());
        encode(&Header::new(ALGORITHM), &claims, &key).unwrap()
    }

    #[test]
    fn round_trips_and_rejects_another_key() {
        let keys = single(OLD);
        let token = keys.issue("user-1", Role::Sponsor, "session-1").unwrap();
        assert_eq!(kid(&token).as_deref(), Some("default"));
        let claims = keys.verify(&token).unwrap();
        assert_eq!(claims.sub, "user-1");
        assert_eq!(claims.role, Role::Sponsor);
        assert_eq!(claims.sid, "session-1");
        assert!(single(NEW).verify(&token).is_err());
    }

    #[test]
    fn the_first_key_signs_and_listed_keys_verify() {
        let old = keys(&format!("old:{OLD}"));
        let rotated = keys(&format!("new:{NEW},old:{OLD}"));
        let from_old = old.issue("user-1", Role::Investor, "session-1").unwrap();
        let from_new = rotated
            .issue("user-1", Role::Investor, "session-1")
            .unwrap();
        assert_eq!(kid(&from_old).as_deref(), Some("old"));
        assert_eq!(kid(&from_new).as_deref(), Some("new"));
        assert!(rotated.verify(&from_old).is_ok());
        assert!(rotated.verify(&from_new).is_ok());
        // Unknown to a server that has not listed it yet, or any more.
        assert!(old.verify(&from_new).is_err());
        assert!(keys(&format!("new:{NEW}")).verify(&from_old).is_err());
    }

    #[test]
    fn the_kid_picks_the_key() {
        // Signed with the old secret but claiming to be the new key's.
        let old = keys(&format!("new:{OLD}"));
        let token = old.issue("user-1", Role::Investor, "session-1").unwrap();
        let err = keys(&format!("new:{NEW},old:{OLD}"))
            .verify(&token)
            .unwrap_err();
        assert_eq!(*err.kind(), ErrorKind::InvalidSignature);
    }

    #[test]
    fn tokens_without_kid_verify_only_against_a_single_key() {
        assert!(single(OLD).verify(&without_kid(OLD)).is_ok());
        assert!(keys(&format!("only:{OLD}"))
            .verify(&without_kid(OLD))
            .is_ok());
        assert!(single(NEW).verify(&without_kid(OLD)).is_err());
        let err = keys(&format!("new:{NEW},old:{OLD}"))
            .verify(&without_kid(OLD))
            .unwrap_err();
        assert_eq!(*err.kind(), ErrorKind::InvalidToken);
    }
}
