//! A new password as a user chose it: 12 to 128 characters, and not one an
//! attacker tries first (see [`Password::check_strength`]).

use std::collections::HashSet;
use std::sync::OnceLock;

use super::FieldError;
use crate::i18n::Text;

pub struct Password(String);

pub const MIN_CHARS: usize = 12;
pub const MAX_CHARS: usize = 128;

impl Password {
    pub fn parse(field: &'static str, raw: String) -> Result<Self, FieldError> {
        let chars = raw.chars().count();
        if chars < MIN_CHARS {
            return Err(FieldError::new(
                field,
                Text::new("problem-invalid_field-password-too_short")
                    .text("field", field)
                    .number("min", MIN_CHARS as i64),
            ));
        }
        if chars > MAX_CHARS {
            return Err(FieldError::new(
                field,
                Text::new("problem-invalid_field-password-too_long")
                    .text("field", field)
                    .number("max", MAX_CHARS as i64),
            ));
        }
        if raw.chars().any(char::is_control) {
            return Err(FieldError::new(
                field,
                Text::new("problem-invalid_field-password-control").text("field", field),
            ));
        }
        Ok(Self(raw))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// Why a well-formed new password is still refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Weakness {
    /// In the embedded list of breached passwords, or one of them with a
    /// few digits or symbols around it.
    Breached,
    /// One short pattern repeated, or a run of consecutive characters or keys.
    Pattern,
    /// The account's own email address or display name.
    Personal,
}

impl Weakness {
    pub fn code(self) -> &'static str {
        match self {
            Self::Breached => "password_breached",
            Self::Pattern => "password_too_simple",
            Self::Personal => "password_personal",
        }
    }

    pub fn detail(self) -> Text {
        match self {
            Self::Breached => Text::new("problem-password_breached"),
            Self::Pattern => Text::new("problem-password_too_simple"),
            Self::Personal => Text::new("problem-password_personal"),
        }
    }
}

/// The embedded list, read once.
fn breached() -> &'static HashSet<&'static str> {
    static LIST: OnceLock<HashSet<&'static str>> = OnceLock::new();
    LIST.get_or_init(|| {
        include_str!("common_passwords.txt")
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .collect()
    })
}

/// Runs of characters people type in order; a run may wrap round
/// (`…7890123…`) and is checked forwards and backwards.
const RUNS: [&str; 6] = [
    "0123456789",
    "abcdefghijklmnopqrstuvwxyz",
    "qwertyuiopasdfghjklzxcvbnm",
    "qazwsxedcrfvtgbyhnujmikolp",
    "1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik,9ol.0p;/-['=]",
    "`1234567890-=qwertyuiop[]\\asdfghjkl;'zxcvbnm,./",
];

/// One unit repeated to make the whole: `abcabcabcabc`, `passwordpassword`.
fn repeated(chars: &[char]) -> bool {
    let n = chars.len();
    n >= 2
        && (1..=n / 2)
            .filter(|unit| n.is_multiple_of(*unit))
            .any(|unit| chars.chunks(unit).all(|c| c == &chars[..unit]))
}

/// A stretch of one of the [`RUNS`], either way: `123456789012`, `lkjhgfdsapoi`.
fn run(text: &str) -> bool {
    let reversed: String = text.chars().rev().collect();
    RUNS.iter().any(|r| {
        let round = r.repeat(text.len() / r.len() + 2);
        round.contains(text) || round.contains(reversed.as_str())
    })
}

fn simple(text: &str) -> bool {
    let chars: Vec<char> = text.chars().collect();
    repeated(&chars) || run(text)
}

/// What a password is compared by: lower case, no white space.
fn folded(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect()
}

impl Password {
    /// Refuses a password that guessing tries first: one in the embedded
    /// list of breached passwords (or one of them with at most six digits or
    /// symbols around it, or with a run or repetition of them), one short
    /// pattern repeated, a run of consecutive characters or keys, or the
    /// account's own email address (or its local part) or display name.
    pub fn check_strength(&self, email: &str, display_name: &str) -> Result<(), Weakness> {
        // Compared without case or white space: neither makes it harder to guess.
        let lower = folded(&self.0);
        let list = breached();
        if list.contains(lower.as_str()) {
            return Err(Weakness::Breached);
        }
        let core = lower.trim_matches(|c: char| !c.is_alphabetic());
        if !core.is_empty() && core.len() < lower.len() && list.contains(core) {
            let added: String = lower.replacen(core, "", 1);
            if added.chars().count() <= 6 || simple(&added) {
                return Err(Weakness::Breached);
            }
        }
        if simple(&lower) {
            return Err(Weakness::Pattern);
        }
        let local = email.split('@').next().unwrap_or_default();
        if [email, local, display_name]
            .into_iter()
            .any(|p| !p.is_empty() && folded(p) == lower)
        {
            return Err(Weakness::Personal);
        }
        Ok(())
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

    fn strength(password: &str) -> Result<(), Weakness> {
        Password::parse("password", password.into())
            .unwrap()
            .check_strength("ada.lovelace@example.com", "Ada Lovelace 1815")
    }

    #[test]
    fn breached_passwords_are_refused_also_dressed_up() {
        for p in [
            "qwerty123456",
            "1q2w3e4r5t6y",
            "Password2024!",
            "iloveyou1234",
            "!!sunshine!!",
            "monkey123456789",
            "dragon0987654321",
        ] {
            assert_eq!(strength(p), Err(Weakness::Breached), "{p}");
        }
    }

    #[test]
    fn repetitions_and_runs_are_refused() {
        for p in [
            "123456789012",
            "passwordpassword",
            "PasswordPASSWORD",
            "aaaaaaaaaaaa",
            "abcabcabcabc",
            "121212121212",
            "abcdefghijklm",
            "qwertyuiopasdf",
            "0987654321098",
            "1qaz2wsx3edc4rfv",
            "zyxwvutsrqpo",
            "correct horsecorrect horse",
            "Test User Test User",
            "pass word 1234",
        ] {
            assert!(strength(p).is_err(), "{p}");
        }
        assert_eq!(strength("123456789012"), Err(Weakness::Pattern));
        assert_eq!(strength("passwordpassword"), Err(Weakness::Pattern));
    }

    #[test]
    fn the_account_itself_is_refused() {
        for p in [
            "ada.lovelace@example.com",
            "ADA.LOVELACE@EXAMPLE.COM",
            "ada.lovelace",
            "Ada Lovelace 1815",
            "adalovelace1815",
        ] {
            assert_eq!(strength(p), Err(Weakness::Personal), "{p}");
        }
    }

    #[test]
    fn ordinary_strong_passwords_pass() {
        for p in [
            "correct horse battery staple",
            "pässwörd-ünïcødé",
            "abc834729183",
            "Tr0ub4dor&3xyz",
            "violet-kettle-orbit-97",
            "a brand new passphrase",
        ] {
            assert_eq!(strength(p), Ok(()), "{p}");
        }
    }
}
