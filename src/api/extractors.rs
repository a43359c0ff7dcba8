//! Who is calling: the authenticated user (from the bearer token), with role
//! checks that show up in a handler's signature, and the client's address.

use std::future::{ready, Ready};

use actix_web::{dev::Payload, http::header, web, FromRequest, HttpRequest};

use crate::auth::revocations::Refusal;
use crate::domain::Role;
use crate::error::ApiError;
use crate::i18n::Text;

use super::AppState;

/// Any signed-in user.
#[derive(Debug, Clone)]
pub struct AuthUser {
    pub id: String,
    pub role: Role,
    /// The session the access token belongs to (its `sid`).
    pub session_id: String,
}

impl FromRequest for AuthUser {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(authenticate(req))
    }
}

fn authenticate(req: &HttpRequest) -> Result<AuthUser, ApiError> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("AppState missing")))?;
    let token = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| ApiError::unauthorized("unauthorized", Text::new("problem-unauthorized")))?;
    let claims = state.jwt.verify(token).map_err(|e| {
        use jsonwebtoken::errors::ErrorKind;
        match e.kind() {
            ErrorKind::ExpiredSignature => {
                ApiError::unauthorized("token_expired", Text::new("problem-token_expired"))
            }
            _ => ApiError::unauthorized(
                "invalid_token",
                Text::new("problem-invalid_token-access_token"),
            ),
        }
    })?;
    state
        .revocations
        .check(&claims.sid)
        .map_err(|refusal| match refusal {
            Refusal::Revoked => {
                ApiError::unauthorized("session_revoked", Text::new("problem-session_revoked"))
            }
            Refusal::Stale => ApiError::unavailable(anyhow::anyhow!(
                "the list of ended sessions has not been refreshed for too long"
            )),
        })?;
    Ok(AuthUser {
        id: claims.sub,
        role: claims.role,
        session_id: claims.sid,
    })
}

macro_rules! role_extractor {
    ($(#[$doc:meta])* $name:ident, $role:expr, $refusal:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone)]
        pub struct $name(pub AuthUser);

        impl FromRequest for $name {
            type Error = ApiError;
            type Future = Ready<Result<Self, ApiError>>;

            fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
                ready(authenticate(req).and_then(|user| {
                    if user.role == $role {
                        Ok($name(user))
                    } else {
                        Err(ApiError::forbidden($refusal))
                    }
                }))
            }
        }
    };
}

role_extractor!(
    /// A signed-in investor.
    InvestorUser,
    Role::Investor,
    Text::new("problem-forbidden-only_investors")
);
role_extractor!(
    /// A signed-in sponsor (issuer).
    SponsorUser,
    Role::Sponsor,
    Text::new("problem-forbidden-only_sponsors")
);
role_extractor!(
    /// A signed-in platform operator.
    OperatorUser,
    Role::Operator,
    Text::new("problem-forbidden-only_operators")
);

/// The address the request came from, as rate limits and lockouts count it:
/// the TCP peer, or what our trusted proxies forwarded (see
/// [`super::client_ip`]), so a client cannot pick its own bucket; IPv6 by
/// its /64 ([`super::client_ip::limit_key`]).
pub struct ClientIp(pub String);

impl FromRequest for ClientIp {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let ip = super::client_ip::client_ip(req)
            .map(super::client_ip::limit_key)
            .unwrap_or_else(|| "unknown".to_string());
        ready(Ok(ClientIp(ip)))
    }
}

/// A caller who may or may not be signed in, on a public route that looks
/// at who calls (the catalogue, an offering, verifying an email).
///
/// The one rule for optional authentication: no `Authorization` header is
/// an anonymous caller; a header that is there is checked exactly as on a
/// protected route, and one that is malformed, invalid, expired or of an
/// ended session is refused (401 with `WWW-Authenticate`, the same codes).
/// A client whose credentials stopped working learns it, rather than being
/// shown the anonymous view (a sponsor would no longer see their drafts).
pub struct MaybeUser(pub Option<AuthUser>);

impl FromRequest for MaybeUser {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        if req.headers().get(header::AUTHORIZATION).is_none() {
            return ready(Ok(MaybeUser(None)));
        }
        ready(authenticate(req).map(|u| MaybeUser(Some(u))))
    }
}
