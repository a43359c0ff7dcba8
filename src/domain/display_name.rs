//! The name a user is shown by: 1 to 100 visible characters on one line,
//! normalised (see [`super::text`]).

use super::text::{self, Lines};
use super::FieldError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisplayName(String);

pub const MAX_CHARS: usize = 100;

impl DisplayName {
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        text::required("display_name", raw, MAX_CHARS, Lines::One).map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::DisplayName;

    #[test]
    fn trims_and_bounds() {
        assert_eq!(DisplayName::parse("  Ada  ").unwrap().as_str(), "Ada");
        assert!(DisplayName::parse("").is_err());
        assert!(DisplayName::parse(" \t ").is_err());
        assert!(DisplayName::parse("\u{200B}\u{200D}").is_err());
        assert!(DisplayName::parse(&"x".repeat(101)).is_err());
        assert!(DisplayName::parse(&"ß".repeat(100)).is_ok());
        assert!(DisplayName::parse("evil\u{202E}gnp.exe").is_err());
        assert!(DisplayName::parse("line\nbreak").is_err());
    }
}
