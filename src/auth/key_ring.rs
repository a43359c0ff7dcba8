//! The HS256 secrets access tokens are signed with: `JWT_KEYS` (`id:secret`
//! pairs, the signing key first), or the one `JWT_SECRET` under the id
//! [`DEFAULT_KEY_ID`].
//!
//! Rotation: list the new key last on every instance (it verifies but does
//! not sign yet), then move it first (it signs), and remove the old one once
//! the tokens it signed have expired (`ACCESS_TOKEN_TTL_SECS`).

use std::collections::HashSet;
use std::fmt;

/// The id `JWT_SECRET` (or the generated secret) goes by.
pub const DEFAULT_KEY_ID: &str = "default";

/// The shortest secret accepted, in bytes.
pub const MIN_SECRET_LEN: usize = 32;

const MAX_ID_LEN: usize = 64;

/// One secret and the id that names it in a token's `kid` header.
#[derive(Clone)]
pub struct JwtKey {
    pub id: String,
    pub secret: Vec<u8>,
}

impl fmt::Debug for JwtKey {
    // Hand-written so that a secret never reaches a log line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JwtKey")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

/// At least one key, ids unique; the first signs.
#[derive(Clone, Debug)]
pub struct KeyRing {
    signing: JwtKey,
    others: Vec<JwtKey>,
}

impl KeyRing {
    /// `JWT_SECRET`: one key, id [`DEFAULT_KEY_ID`].
    pub fn single(secret: Vec<u8>) -> Self {
        Self {
            signing: JwtKey {
                id: DEFAULT_KEY_ID.to_string(),
                secret,
            },
            others: Vec::new(),
        }
    }

    /// `JWT_KEYS`: `id:secret` pairs separated by commas, the signing key
    /// first. Ids are 1 to 64 characters of `A-Z a-z 0-9 . _ -` and unique;
    /// each secret (everything after the first colon, so it may hold colons
    /// but not commas) is at least 32 bytes. Messages never quote a secret.
    pub fn parse(list: &str) -> Result<Self, String> {
        let mut keys = Vec::new();
        let mut ids = HashSet::new();
        for (n, entry) in list.split(',').map(str::trim).enumerate() {
            let n = n + 1;
            let (id, secret) = entry
                .split_once(':')
                .ok_or_else(|| format!("entry {n} is not id:secret"))?;
            if !valid_id(id) {
                return Err(format!(
                    "entry {n}: the id must be 1 to {MAX_ID_LEN} characters of A-Z a-z 0-9 . _ -"
                ));
            }
            if secret.len() < MIN_SECRET_LEN {
                return Err(format!(
                    "the secret of key {id:?} must be at least {MIN_SECRET_LEN} characters long"
                ));
            }
            if !ids.insert(id) {
                return Err(format!("the id {id:?} is listed twice"));
            }
            keys.push(JwtKey {
                id: id.to_string(),
                secret: secret.as_bytes().to_vec(),
            });
        }
        let mut keys = keys.into_iter();
        let signing = keys.next().ok_or("lists no key")?;
        Ok(Self {
            signing,
            others: keys.collect(),
        })
    }

    /// The key new tokens are signed with.
    pub fn signing(&self) -> &JwtKey {
        &self.signing
    }

    /// Every key, the signing key first.
    pub fn iter(&self) -> impl Iterator<Item = &JwtKey> {
        std::iter::once(&self.signing).chain(&self.others)
    }
}

fn valid_id(id: &str) -> bool {
    (1..=MAX_ID_LEN).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    const B: &str = "bbbbbbbb:bbbbbbbbbbbbbbbbbbbbbbbbbbbb";

    #[test]
    fn the_first_key_signs_and_all_verify() {
        let ring = KeyRing::parse(&format!("2026-11:{A}, 2026-10:{B}")).unwrap();
        assert_eq!(ring.signing().id, "2026-11");
        assert_eq!(ring.signing().secret, A.as_bytes());
        let ids: Vec<_> = ring.iter().map(|k| k.id.as_str()).collect();
        assert_eq!(ids, ["2026-11", "2026-10"]);
        // A secret may hold colons: the id ends at the first one.
        assert_eq!(ring.iter().nth(1).unwrap().secret, B.as_bytes());
    }

    #[test]
    fn refuses_malformed_lists_without_quoting_secrets() {
        for bad in [
            String::new(),
            A.to_string(),
            format!(":{A}"),
            format!("has space:{A}"),
            format!("{}:{A}", "k".repeat(65)),
            "k:too-short".to_string(),
            format!("k:{A},k:{B}"),
            format!("k:{A},"),
            format!("k:{A},,j:{B}"),
        ] {
            let err = KeyRing::parse(&bad).unwrap_err();
            assert!(!err.contains("aaaa") && !err.contains("bbbb"), "{err}");
        }
    }

    #[test]
    fn a_single_secret_is_the_default_key() {
        let ring = KeyRing::single(A.as_bytes().to_vec());
        assert_eq!(ring.signing().id, DEFAULT_KEY_ID);
        assert_eq!(ring.iter().count(), 1);
        assert!(!format!("{ring:?}").contains("aaaa"));
    }
}
