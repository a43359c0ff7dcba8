//! How a use case refuses: a kind (which the HTTP layer maps to a status), a
//! stable code, a message for the client and the figures it needs.

use crate::i18n::Text;
use serde_json::{Map, Value};

use crate::domain::FieldError;
use crate::ledger::LedgerError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefusalKind {
    /// The request itself is malformed (400), e.g. a cursor this server did not make.
    BadRequest,
    /// The input breaks a rule (422).
    Invalid,
    /// No such thing, or not the caller's (404).
    NotFound,
    /// The caller may not do this yet or at all (403).
    Forbidden,
    /// The state of things does not allow it (409).
    Conflict,
    /// Too many of these from the caller for now (429); the refusal carries
    /// `retry_after` (seconds).
    TooMany,
}

#[derive(Debug, Clone)]
pub struct Refusal {
    pub kind: RefusalKind,
    pub code: &'static str,
    /// Written in the reader's language when the answer is sent.
    pub detail: Text,
    pub figures: Map<String, Value>,
}

impl Refusal {
    pub fn new(kind: RefusalKind, code: &'static str, detail: impl Into<Text>) -> Self {
        Self {
            kind,
            code,
            detail: detail.into(),
            figures: Map::new(),
        }
    }

    pub fn with(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.figures.insert(key.to_string(), value.into());
        self
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("{}: {}", .0.code, .0.detail)]
    Refused(Refusal),
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

pub type ServiceResult<T> = Result<T, ServiceError>;

pub fn refuse<T>(
    kind: RefusalKind,
    code: &'static str,
    detail: impl Into<Text>,
) -> ServiceResult<T> {
    Err(ServiceError::Refused(Refusal::new(kind, code, detail)))
}

impl From<Refusal> for ServiceError {
    fn from(r: Refusal) -> Self {
        ServiceError::Refused(r)
    }
}

impl From<FieldError> for Refusal {
    fn from(e: FieldError) -> Self {
        Refusal::new(RefusalKind::Invalid, "invalid_field", e.to_string()).with("field", e.field)
    }
}

impl From<FieldError> for ServiceError {
    fn from(e: FieldError) -> Self {
        ServiceError::Refused(e.into())
    }
}

impl From<LedgerError> for ServiceError {
    fn from(e: LedgerError) -> Self {
        match e {
            LedgerError::InsufficientFunds { .. } => ServiceError::Refused(Refusal::new(
                RefusalKind::Invalid,
                "insufficient_funds",
                "The available balance does not cover the amount.",
            )),
            LedgerError::Database(e) => ServiceError::Database(e),
            LedgerError::Unbalanced => ServiceError::Internal(anyhow::anyhow!(e.to_string())),
        }
    }
}

/// A refusal for something that does not exist or is not the caller's.
pub fn not_found(what: &str) -> ServiceError {
    ServiceError::Refused(Refusal::new(
        RefusalKind::NotFound,
        "not_found",
        format!("No such {what}."),
    ))
}
