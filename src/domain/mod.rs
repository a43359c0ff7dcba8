//! Pure rules and validated values. Nothing here knows about HTTP or SQL.

pub mod calendar;
mod display_name;
pub mod document;
mod email;
pub mod kyc;
pub mod money;
pub mod offering;
mod password;
pub mod rich_text;
mod role;
pub mod rules;
pub mod statement;
pub mod text;

pub use display_name::DisplayName;

use crate::i18n::Text;
pub use email::Email;
pub use money::{Amount, Shares};
pub use offering::{OfferingStatus, OfferingTerms};
pub use password::{Password, Weakness};
pub use role::Role;

/// Why a value was refused: which field, and a message fit for the client.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct FieldError {
    pub field: &'static str,
    /// The whole sentence, naming the field ("email is not a valid email
    /// address"), in the reader's language when shown.
    pub message: Text,
}

impl FieldError {
    pub fn new(field: &'static str, message: impl Into<Text>) -> Self {
        Self {
            field,
            message: message.into(),
        }
    }
}
