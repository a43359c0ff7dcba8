//! The name a user is shown by: 1 to 100 characters, no control characters.

use super::FieldError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisplayName(String);

pub const MAX_CHARS: usize = 100;

impl DisplayName {
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let err = |m: &str| FieldError::new("display_name", m);
        let value = raw.trim();
        if value.is_empty() {
            return Err(err("is required"));
        }
        if value.chars().count() > MAX_CHARS {
            return Err(err("must be at most 100 characters long"));
        }
        // Control and bidirectional-override characters would let a name
        // disguise itself in emails and operator screens.
        let sneaky = |c: char| {
            c.is_control() || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
        };
        if value.chars().any(sneaky) {
            return Err(err("must not contain control characters"));
        }
        Ok(Self(value.to_string()))
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
        assert!(DisplayName::parse(&"x".repeat(101)).is_err());
        assert!(DisplayName::parse(&"ß".repeat(100)).is_ok());
        assert!(DisplayName::parse("evil\u{202E}gnp.exe").is_err());
        assert!(DisplayName::parse("line\nbreak").is_err());
    }
}
