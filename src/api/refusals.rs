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
                };
                let mut error = ApiError::new(status, r.code, r.detail);
                error.extra = r.figures;
                error
            }
            ServiceError::Database(e) => ApiError::from(e),
            ServiceError::Internal(e) => ApiError::internal(e),
        }
    }
}
