//! An email address, normalised (trimmed, lower-cased) and syntax-checked.

use super::FieldError;
use crate::i18n::Text;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

const MAX_LEN: usize = 254;
const MAX_LOCAL_LEN: usize = 64;

impl Email {
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let err = |message: Text| FieldError::new("email", message);
        let value = raw.trim().to_ascii_lowercase();
        if value.is_empty() {
            return Err(err(Text::new("problem-invalid_field-email-required")));
        }
        if value.len() > MAX_LEN {
            return Err(err(Text::new("problem-invalid_field-email-too_long")));
        }
        let (local, domain) = value
            .rsplit_once('@')
            .ok_or_else(|| err(Text::new("problem-invalid_field-email-shape")))?;
        if local.is_empty() || local.len() > MAX_LOCAL_LEN || !valid_local(local) {
            return Err(err(Text::new("problem-invalid_field-email-local")));
        }
        if !valid_domain(domain) {
            return Err(err(Text::new("problem-invalid_field-email-domain")));
        }
        Ok(Self(value))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn valid_local(local: &str) -> bool {
    const SPECIALS: &str = "!#$%&'*+/=?^_`{|}~-.";
    local
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || SPECIALS.contains(c))
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
}

fn valid_domain(domain: &str) -> bool {
    let labels: Vec<&str> = domain.split('.').collect();
    labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
        && labels
            .last()
            .is_some_and(|tld| tld.len() >= 2 && tld.chars().all(|c| c.is_ascii_alphabetic()))
}

impl std::fmt::Display for Email {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::Email;

    #[test]
    fn normalises_and_accepts_ordinary_addresses() {
        assert_eq!(
            Email::parse("  Ada.Lovelace+cf@Example.COM ")
                .unwrap()
                .as_str(),
            "ada.lovelace+cf@example.com"
        );
    }

    #[test]
    fn refuses_malformed_addresses() {
        for bad in [
            "",
            "   ",
            "plain",
            "@example.com",
            "a@",
            "a@b",
            "a@b.c",
            "a..b@example.com",
            ".a@example.com",
            "a@-example.com",
            "a b@example.com",
            "ünï@example.com",
            "a@exa mple.com",
            "a@example.c0m",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?} accepted");
        }
        let long = format!("{}@example.com", "a".repeat(65));
        assert!(Email::parse(&long).is_err());
    }
}
