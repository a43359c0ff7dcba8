//! Keyset pagination: opaque cursors that carry the last row's sort value and id.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};

pub const DEFAULT_LIMIT: i64 = 20;
pub const MAX_LIMIT: i64 = 100;

/// Where the previous page ended. Opaque to clients.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Cursor {
    /// The sort it belongs to (a cursor is refused under another sort).
    pub s: String,
    /// The last row's sort value, as text.
    pub v: String,
    pub id: String,
}

impl Cursor {
    pub fn new(sort: &str, value: String, id: &str) -> Self {
        Self {
            s: sort.to_string(),
            v: value,
            id: id.to_string(),
        }
    }

    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(self).unwrap_or_default())
    }

    /// None when the text is not a cursor this server made for `sort`. A
    /// cursor is the client's to send back, so it is checked like any other
    /// input: a control character in it (PostgreSQL refuses NUL in text)
    /// makes it invalid, never a database error.
    pub fn decode(text: &str, sort: &str) -> Option<Self> {
        let bytes = URL_SAFE_NO_PAD.decode(text.as_bytes()).ok()?;
        let cursor: Cursor = serde_json::from_slice(&bytes).ok()?;
        let valid_value = match sort.trim_start_matches('-') {
            "raised" => cursor.v.parse::<i64>().is_ok(),
            "closes_at" | "created_at" | "kyc" | "updates" | "operator_offerings" => {
                parse_time(&cursor.v).is_some()
            }
            _ => true,
        };
        let clean = |s: &str| !s.chars().any(char::is_control);
        (cursor.s == sort
            && valid_value
            && cursor.id.len() <= 200
            && clean(&cursor.v)
            && clean(&cursor.id))
        .then_some(cursor)
    }

    pub fn time(&self) -> NaiveDateTime {
        parse_time(&self.v).unwrap_or_default()
    }

    pub fn number(&self) -> i64 {
        self.v.parse().unwrap_or_default()
    }
}

pub fn time_value(t: NaiveDateTime) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.6f").to_string()
}

fn parse_time(s: &str) -> Option<NaiveDateTime> {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.6f").ok()
}

/// A sort order: a column and a direction (`-column` is descending).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SortKey {
    pub column: &'static str,
    pub descending: bool,
}

impl SortKey {
    pub fn parse(raw: &str, allowed: &[&'static str]) -> Option<Self> {
        let (descending, name) = match raw.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, raw),
        };
        allowed
            .iter()
            .find(|c| **c == name)
            .map(|column| SortKey { column, descending })
    }

    pub fn name(&self) -> String {
        if self.descending {
            format!("-{}", self.column)
        } else {
            self.column.to_string()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_are_bound_to_their_sort() {
        let c = Cursor::new("-raised", "1200".into(), "abc");
        let text = c.encode();
        assert_eq!(Cursor::decode(&text, "-raised"), Some(c));
        assert_eq!(Cursor::decode(&text, "raised"), None);
        assert_eq!(Cursor::decode("garbage!", "-raised"), None);
        let bad = Cursor::new("closes_at", "yesterday".into(), "x").encode();
        assert_eq!(Cursor::decode(&bad, "closes_at"), None);
        let nul = Cursor::new("mine", String::new(), "a\u{0}b").encode();
        assert_eq!(Cursor::decode(&nul, "mine"), None);
        let escape = Cursor::new("audit", "x\u{1b}".into(), "a").encode();
        assert_eq!(Cursor::decode(&escape, "audit"), None);
    }

    #[test]
    fn sort_keys_parse_direction() {
        let k = SortKey::parse("-closes_at", &["closes_at", "raised"]).unwrap();
        assert!(k.descending);
        assert_eq!(k.name(), "-closes_at");
        assert!(SortKey::parse("title", &["closes_at"]).is_none());
    }
}
