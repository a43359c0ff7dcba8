//! Text people type: names, titles, descriptions, reasons.
//!
//! Every such value is normalised to NFC (so that "é" typed two ways is one
//! name), trimmed of white space and invisible characters at both ends, and
//! refused when it holds control characters, bidirectional overrides (which
//! let a name disguise itself in emails and operator screens) or nothing
//! visible at all, such as only zero-width spaces.

use unicode_normalization::UnicodeNormalization;

use super::FieldError;
use crate::i18n::Text;

/// Whether line breaks (and tabs) are allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lines {
    One,
    Many,
}

/// Code points that render as nothing: Unicode's Default_Ignorable_Code_Point
/// set, and the Braille blank, which is often abused as an invisible letter.
fn invisible(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{115F}'..='\u{1160}'
        | '\u{17B4}'..='\u{17B5}' | '\u{180B}'..='\u{180F}' | '\u{200B}'..='\u{200F}'
        | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{206F}' | '\u{2800}' | '\u{3164}'
        | '\u{FE00}'..='\u{FE0F}' | '\u{FEFF}' | '\u{FFA0}' | '\u{FFF0}'..='\u{FFF8}'
        | '\u{1BCA0}'..='\u{1BCA3}' | '\u{1D173}'..='\u{1D17A}' | '\u{E0000}'..='\u{E0FFF}')
}

fn bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Invisible characters that real text needs inside a word: joiners
/// (emoji sequences, Indic and Arabic scripts), variation selectors and
/// direction marks.
fn needed_inside(c: char) -> bool {
    matches!(c,
        '\u{200C}' | '\u{200D}' | '\u{FE00}'..='\u{FE0F}' | '\u{E0100}'..='\u{E01EF}'
        | '\u{200E}' | '\u{200F}' | '\u{061C}')
}

fn blank(c: char) -> bool {
    c.is_whitespace() || invisible(c)
}

/// The normalised text, which is empty when nothing visible was typed.
pub fn clean(
    field: &'static str,
    raw: &str,
    max_chars: usize,
    lines: Lines,
) -> Result<String, FieldError> {
    let text: String = raw.replace("\r\n", "\n").nfc().collect();
    let allowed = |c: char| lines == Lines::Many && matches!(c, '\n' | '\t');
    let line_break = |c: char| matches!(c, '\u{2028}' | '\u{2029}');
    if text.chars().any(|c| {
        (c.is_control() && !allowed(c)) || bidi_control(c) || (lines == Lines::One && line_break(c))
    }) {
        return Err(FieldError::new(
            field,
            Text::new("problem-invalid_field-text-control").text("field", field),
        ));
    }
    let text = text.trim_matches(blank);
    // On one line (names, titles) an invisible character inside the text
    // only serves to make two different values look alike.
    if lines == Lines::One && text.chars().any(|c| invisible(c) && !needed_inside(c)) {
        return Err(FieldError::new(
            field,
            Text::new("problem-invalid_field-text-invisible").text("field", field),
        ));
    }
    if text.chars().count() > max_chars {
        return Err(FieldError::new(
            field,
            Text::new("problem-invalid_field-text-too_long")
                .text("field", field)
                .number("max", max_chars as i64),
        ));
    }
    if text.chars().all(blank) {
        return Ok(String::new());
    }
    Ok(text.to_string())
}

/// "`field` is required (and must contain visible characters)".
pub(super) fn required_text(field: &'static str) -> Text {
    Text::new("problem-invalid_field-text-required").text("field", field)
}

/// [`clean`], refusing a value with nothing visible in it.
pub fn required(
    field: &'static str,
    raw: &str,
    max_chars: usize,
    lines: Lines,
) -> Result<String, FieldError> {
    let text = clean(field, raw, max_chars, lines)?;
    if text.is_empty() {
        return Err(FieldError::new(field, required_text(field)));
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_to_nfc_and_trims_the_invisible() {
        // "e" + combining acute accent becomes the single code point é.
        let decomposed = "Jose\u{0301}";
        assert_eq!(clean("n", decomposed, 10, Lines::One).unwrap(), "José");
        assert_eq!(
            clean("n", "\u{200B} Ada \u{FEFF}", 10, Lines::One).unwrap(),
            "Ada"
        );
        // Joiners inside a word (emoji sequences, Indic scripts) stay.
        let family = "a\u{200D}b";
        assert_eq!(clean("n", family, 10, Lines::One).unwrap(), family);
    }

    #[test]
    fn one_line_values_refuse_invisible_characters_inside() {
        for raw in [
            "Ad\u{200B}a",
            "A\u{2060}da",
            "Ad\u{FEFF}a",
            "Ada\u{2028}Lovelace",
        ] {
            assert!(clean("n", raw, 20, Lines::One).is_err(), "{raw:?}");
        }
        assert!(clean("n", "Ad\u{200B}a", 20, Lines::Many).is_ok());
    }

    #[test]
    fn nothing_visible_is_nothing() {
        for raw in [
            "",
            "   ",
            "\u{200B}\u{200C}\u{200D}",
            "\u{2800}",
            "\u{3164}\u{FEFF}",
        ] {
            assert_eq!(clean("n", raw, 10, Lines::One).unwrap(), "", "{raw:?}");
            assert!(required("n", raw, 10, Lines::One).is_err(), "{raw:?}");
        }
    }

    #[test]
    fn refuses_controls_and_overrides() {
        assert!(clean("n", "evil\u{202E}gnp.exe", 50, Lines::One).is_err());
        assert!(clean("n", "a\u{2066}b", 50, Lines::Many).is_err());
        assert!(clean("n", "bell\u{7}", 50, Lines::Many).is_err());
        assert!(clean("n", "two\nlines", 50, Lines::One).is_err());
        assert_eq!(
            clean("n", "two\r\nlines\tand tab", 50, Lines::Many).unwrap(),
            "two\nlines\tand tab"
        );
    }

    #[test]
    fn counts_characters_after_normalising() {
        assert!(clean("n", &"e\u{0301}".repeat(10), 10, Lines::One).is_ok());
        assert!(clean("n", &"x".repeat(11), 10, Lines::One).is_err());
    }
}
