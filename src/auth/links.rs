//! Short-lived signed links to restricted documents: the URL carries its
//! expiry and an HMAC-SHA256 of what it opens, under the key ring's signing
//! key (any key of the ring verifies, so links survive a key rotation as
//! tokens do). Every server sharing the keys verifies every link; nothing is
//! stored, and a link cannot be guessed or altered to open something else.

use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::KeyRing;

/// What a link opens and until when: the query of the link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedLink {
    /// Unix seconds.
    pub expires: i64,
    pub key: String,
    pub signature: String,
}

/// Why a link does not open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkRefusal {
    /// Altered, made with an unknown key, or for something else.
    Invalid,
    Expired,
}

/// None only for a key HMAC refuses, which no key of any length is.
fn mac(secret: &[u8], subject: &str, expires: i64) -> Option<Hmac<Sha256>> {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).ok()?;
    mac.update(b"crowdfund document link\0");
    mac.update(subject.as_bytes());
    mac.update(b"\0");
    mac.update(expires.to_string().as_bytes());
    Some(mac)
}

/// A link to `subject` (what it opens, e.g. a document version) valid until `expires`.
pub fn sign(keys: &KeyRing, subject: &str, expires: i64) -> Option<SignedLink> {
    let key = keys.signing();
    Some(SignedLink {
        expires,
        key: key.id.clone(),
        signature: hex::encode(mac(&key.secret, subject, expires)?.finalize().into_bytes()),
    })
}

/// Whether `link` opens `subject` at `now` (unix seconds).
pub fn verify(
    keys: &KeyRing,
    subject: &str,
    link: &SignedLink,
    now: i64,
) -> Result<(), LinkRefusal> {
    let key = keys
        .iter()
        .find(|k| k.id == link.key)
        .ok_or(LinkRefusal::Invalid)?;
    let signature = hex::decode(&link.signature).map_err(|_| LinkRefusal::Invalid)?;
    // Constant-time comparison.
    mac(&key.secret, subject, link.expires)
        .ok_or(LinkRefusal::Invalid)?
        .verify_slice(&signature)
        .map_err(|_| LinkRefusal::Invalid)?;
    if now >= link.expires {
        return Err(LinkRefusal::Expired);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ring() -> KeyRing {
        KeyRing::single(vec![7; 32])
    }

    #[test]
    fn a_link_opens_what_it_was_made_for_until_it_expires() {
        let link = sign(&ring(), "doc/1", 1_000).unwrap();
        assert_eq!(verify(&ring(), "doc/1", &link, 999), Ok(()));
        assert_eq!(
            verify(&ring(), "doc/1", &link, 1_000),
            Err(LinkRefusal::Expired)
        );
        assert_eq!(
            verify(&ring(), "doc/2", &link, 999),
            Err(LinkRefusal::Invalid)
        );
        let later = SignedLink {
            expires: 5_000,
            ..link.clone()
        };
        assert_eq!(
            verify(&ring(), "doc/1", &later, 999),
            Err(LinkRefusal::Invalid)
        );
        let other = KeyRing::single(vec![8; 32]);
        assert_eq!(
            verify(&other, "doc/1", &link, 999),
            Err(LinkRefusal::Invalid)
        );
    }
}
