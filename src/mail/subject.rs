//! The Subject header. Subjects carry user text (offering titles), and a
//! header is read by mail clients that decode RFC 2047 encoded words
//! (`=?utf-8?b?...?=`) wherever they find them: a title written as one
//! would reach the inbox as whatever it encodes (a right-to-left override,
//! a fake warning). lettre passes ASCII words through as they are, so the
//! subject is encoded here: text that could be mistaken for an encoded word,
//! or that is not plain ASCII, goes out as encoded words of our own making,
//! which decode back to the literal text and nothing more.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use lettre::message::header::{HeaderName, HeaderValue};

const NAME: &str = "Subject";

/// Bytes of text per encoded word: 39 bytes are 52 characters of base64,
/// so each folded line stays within 78 characters.
const WORD_BYTES: usize = 39;

/// The Subject header for `subject`.
pub fn header(subject: &str) -> HeaderValue {
    let text = neutralise(subject);
    let name = HeaderName::new_from_ascii_str(NAME);
    if is_plain(&text) {
        // lettre folds it and writes it as it is.
        return HeaderValue::new(name, text);
    }
    let encoded = encode(&text);
    HeaderValue::dangerous_new_pre_encoded(name, text, encoded)
}

/// The text with what must not reach a header removed: control characters
/// (line breaks become spaces) and the invisible characters that change the
/// direction of text around them.
fn neutralise(subject: &str) -> String {
    let mut out = String::with_capacity(subject.len());
    for c in subject.chars() {
        if matches!(c, '\r' | '\n' | '\t') {
            out.push(' ');
        } else if !c.is_control() && !direction_control(c) {
            out.push(c);
        }
    }
    out.trim().to_string()
}

fn direction_control(c: char) -> bool {
    matches!(c,
        '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Printable ASCII with nothing a decoder could take for an encoded word.
fn is_plain(text: &str) -> bool {
    text.bytes().all(|b| (0x20..0x7f).contains(&b)) && !text.contains("=?")
}

/// The whole text as base64 encoded words, split between characters, one
/// per folded line (decoders join adjacent encoded words without the space).
fn encode(text: &str) -> String {
    let mut words = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        let mut end = rest.len().min(WORD_BYTES);
        while !rest.is_char_boundary(end) {
            end -= 1;
        }
        // A character longer than a word (none is: four bytes at most).
        if end == 0 {
            end = rest.chars().next().map_or(rest.len(), char::len_utf8);
        }
        let (word, tail) = rest.split_at(end);
        words.push(format!("=?utf-8?b?{}?=", STANDARD.encode(word)));
        rest = tail;
    }
    words.join("\r\n ")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 2047 decoding of what [`encode`] writes.
    fn decode(encoded: &str) -> String {
        encoded
            .split("\r\n ")
            .map(|w| {
                let b64 = w
                    .strip_prefix("=?utf-8?b?")
                    .and_then(|w| w.strip_suffix("?="))
                    .unwrap();
                String::from_utf8(STANDARD.decode(b64).unwrap()).unwrap()
            })
            .collect()
    }

    #[test]
    fn plain_subjects_stay_readable() {
        assert!(is_plain("Confirm your email address"));
        assert!(!is_plain("Subscription confirmed: =?utf-8?b?4oCuZXhl?="));
        assert!(!is_plain("Ærøskøbing"));
    }

    #[test]
    fn encoded_words_from_users_come_back_literally() {
        let title = "=?utf-8?b?4oCuZXhlLmZkcA==?= and 李小龍 ".repeat(4);
        let subject = format!("Subscription confirmed: {title}");
        let encoded = encode(&neutralise(&subject));
        assert_eq!(decode(&encoded), subject.trim());
        for line in encoded.split("\r\n") {
            assert!(line.len() <= 78 - "Subject: ".len(), "{line}");
        }
    }

    #[test]
    fn line_breaks_controls_and_direction_overrides_are_taken_out() {
        assert_eq!(
            neutralise("Title\r\nBcc: victim@example.com\u{0}"),
            "Title  Bcc: victim@example.com"
        );
        assert_eq!(neutralise("\u{202E}gnp.exe\u{2066}x\u{200F}"), "gnp.exex");
    }
}
