//! Credentials: password hashing, access tokens (JWT) and opaque tokens.

pub mod jwt;
pub mod key_ring;
pub mod links;
pub mod opaque;
pub mod password;
pub mod revocations;

pub use jwt::{AccessClaims, JwtKeys};
pub use key_ring::KeyRing;
pub use revocations::Revocations;
