//! `?limit=&cursor=` on every list.

use serde::Deserialize;

use crate::db::page::{DEFAULT_LIMIT, MAX_LIMIT};
use crate::error::ApiError;
use crate::i18n::Text;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PageQuery {
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

impl PageQuery {
    /// The page size, 1..=100 (default 20).
    pub fn limit(&self) -> Result<i64, ApiError> {
        check_limit(self.limit)
    }
}

pub fn check_limit(limit: Option<i64>) -> Result<i64, ApiError> {
    match limit {
        None => Ok(DEFAULT_LIMIT),
        Some(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
        Some(_) => Err(ApiError::bad_request(
            "invalid_query",
            Text::new("problem-invalid_query-limit").number("max", MAX_LIMIT),
        )),
    }
}
