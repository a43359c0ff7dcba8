//! Credentials: password hashing, access tokens (JWT) and opaque tokens.

pub mod jwt;
pub mod opaque;
pub mod password;

pub use jwt::{AccessClaims, JwtKeys};
