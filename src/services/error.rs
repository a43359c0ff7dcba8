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
        Refusal::new(RefusalKind::Invalid, "invalid_field", e.message).with("field", e.field)
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
                Text::new("problem-insufficient_funds-ledger"),
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
        no_such(what),
    ))
}

/// "No such `what`.": the message `problem-not_found-<what>` (spaces as
/// `_`). Every noun passed must be defined in each locale and listed in
/// the test below.
pub fn no_such(what: &str) -> Text {
    Text::made(format!("problem-not_found-{}", what.replace(' ', "_")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::{text, Args, Locale};

    /// Every noun given to [`not_found`] (and [`no_such`]) anywhere in
    /// `src/`: a new one needs its message in each locale and a line here.
    const NOUNS: [&str; 13] = [
        "deposit",
        "document",
        "investor",
        "investor profile",
        "offering",
        "post",
        "profile",
        "question",
        "subscription",
        "unallocated deposit",
        "unreconciled movement",
        "update",
        "version",
    ];

    #[test]
    fn every_noun_not_found_names_has_its_text() {
        for locale in Locale::ALL {
            for what in NOUNS {
                let key = no_such(what).key().to_string();
                let written = text(locale, &key, &Args::new());
                assert!(written.is_ok(), "{what}: {written:?}");
            }
        }
        assert_eq!(
            no_such("unallocated deposit").to_string(),
            "No such unallocated deposit."
        );
    }

    /// The nouns the sources pass, read from them: each is in [`NOUNS`].
    #[test]
    fn the_list_of_nouns_is_complete() {
        let files = crate::i18n::rust_sources();
        let mut seen = 0;
        for (path, text) in &files {
            for call in ["not_found(\"", "no_such(\""] {
                for (i, _) in text.match_indices(call) {
                    // Not `ApiError::not_found("No such ...")` or a route's.
                    let before = &text[..i];
                    if before.ends_with("ApiError::") || before.ends_with('_') {
                        continue;
                    }
                    let rest = &text[i + call.len()..];
                    let what = &rest[..rest.find('"').unwrap()];
                    assert!(NOUNS.contains(&what), "{path}: {what:?} not in NOUNS");
                    seen += 1;
                }
            }
        }
        assert!(seen > 10, "{seen} calls read");
    }
}
