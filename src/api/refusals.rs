//! Use-case refusals -> problem+json.

use actix_web::http::StatusCode;

use crate::error::ApiError;
use crate::services::{RefusalKind, ServiceError};

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::Refused(r) => {
                let status = match r.kind {
                    RefusalKind::BadRequest => StatusCode::BAD_REQUEST,
                    RefusalKind::Invalid => StatusCode::UNPROCESSABLE_ENTITY,
                    RefusalKind::NotFound => StatusCode::NOT_FOUND,
                    RefusalKind::Forbidden => StatusCode::FORBIDDEN,
                    RefusalKind::Conflict => StatusCode::CONFLICT,
                    RefusalKind::TooMany => StatusCode::TOO_MANY_REQUESTS,
                };
                let retry_after = r.figures.get("retry_after").and_then(|v| v.as_u64());
                let mut error = ApiError::new(status, r.code, r.detail);
                error.extra = r.figures;
                match retry_after {
                    Some(secs) => error.retry_after(secs),
                    None => error,
                }
            }
            ServiceError::Database(e) => ApiError::from(e),
            ServiceError::Internal(e) => ApiError::internal(e),
        }
    }
}
