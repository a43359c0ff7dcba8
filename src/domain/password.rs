//! A new password as a user chose it: 12 to 128 characters.

use super::FieldError;

pub struct Password(String);

pub const MIN_CHARS: usize = 12;
pub const MAX_CHARS: usize = 128;

impl Password {
    pub fn parse(field: &'static str, raw: String) -> Result<Self, FieldError> {
        let chars = raw.chars().count();
        if chars < MIN_CHARS {
            return Err(FieldError::new(
                field,
                format!("must be at least {MIN_CHARS} characters long"),
            ));
        }
        if chars > MAX_CHARS {
            return Err(FieldError::new(
                field,
                format!("must be at most {MAX_CHARS} characters long"),
            ));
        }
        if raw.chars().any(char::is_control) {
            return Err(FieldError::new(
                field,
                "must not contain control characters",
            ));
        }
        Ok(Self(raw))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn length_is_counted_in_characters() {
        assert!(Password::parse("password", "a".repeat(11)).is_err());
        assert!(Password::parse("password", "a".repeat(12)).is_ok());
        assert!(Password::parse("password", "é".repeat(12)).is_ok());
        assert!(Password::parse("password", "a".repeat(128)).is_ok());
        assert!(Password::parse("password", "a".repeat(129)).is_err());
        assert!(Password::parse("password", "abcdefghijk\u{0}".into()).is_err());
    }
}
