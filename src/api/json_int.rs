//! Integers in request bodies, read as JSON Schema counts them: `12`,
//! `12.0` and `1.2e1` are the same integer; `12.5` is none.
//!
//! serde reads `12.0` as a float and refuses it for an `i64`, although the
//! schema (`type: integer`) admits it and some clients write whole numbers
//! that way. Going through `f64` would round (`1.0000000000000001` would
//! become 1), so the number's text is read exactly instead: a value is
//! accepted only if it is exactly a whole number within `i64`.

use serde::de::{Deserializer, Error};
use serde::Deserialize;
use serde_json::value::RawValue;

/// `#[serde(deserialize_with = "json_int::exact")]` on an `i64`.
pub fn exact<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    let raw = Box::<RawValue>::deserialize(d)?;
    parse(raw.get()).ok_or_else(|| {
        D::Error::custom(format!(
            "invalid value: {}, expected a whole number within 64 bits",
            raw.get()
        ))
    })
}

/// The same for an `Option<i64>` (absent or null: None).
pub fn optional<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    #[derive(Deserialize)]
    struct Exact(#[serde(deserialize_with = "exact")] i64);
    Ok(Option::<Exact>::deserialize(d)?.map(|Exact(n)| n))
}

/// For a patch's `Option<Option<i64>>`: absent is None (with
/// `#[serde(default)]`), null is `Some(None)`.
pub fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<i64>>, D::Error> {
    optional(d).map(Some)
}

/// The integer a JSON number's text denotes, if it is one within `i64`.
fn parse(text: &str) -> Option<i64> {
    let (negative, unsigned) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (mantissa, exponent) = match unsigned.find(['e', 'E']) {
        Some(at) => (&unsigned[..at], Some(&unsigned[at + 1..])),
        None => (unsigned, None),
    };
    let (whole, fraction) = match mantissa.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (mantissa, None),
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(whole) || fraction.is_some_and(|f| !digits(f)) {
        return None;
    }
    let fraction = fraction.unwrap_or("");
    let exponent: i64 = match exponent {
        None => 0,
        Some(e) => {
            let unsigned = e.strip_prefix(['+', '-']).unwrap_or(e);
            if !digits(unsigned) {
                return None;
            }
            // Anything longer cannot name a whole number within i64
            // unless the digits are all zero, handled below.
            match e.parse::<i64>() {
                Ok(n) => n.clamp(-1_000, 1_000),
                Err(_) if e.starts_with('-') => -1_000,
                Err(_) => 1_000,
            }
        }
    };
    // All the digits, and where the decimal point goes among them.
    let all = format!("{whole}{fraction}");
    let significant = all.trim_start_matches('0');
    if significant.is_empty() {
        return Some(0);
    }
    let scale = exponent - fraction.len() as i64;
    let integer = if scale >= 0 {
        if significant.len() as i64 + scale > 19 {
            return None;
        }
        format!("{significant}{}", "0".repeat(scale as usize))
    } else {
        let cut = significant.len() as i64 + scale;
        if cut <= 0 {
            return None;
        }
        let (kept, dropped) = significant.split_at(cut as usize);
        if dropped.bytes().any(|b| b != b'0') {
            return None;
        }
        kept.to_string()
    };
    let magnitude: i128 = integer.parse().ok()?;
    i64::try_from(if negative { -magnitude } else { magnitude }).ok()
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn whole_numbers_in_any_spelling() {
        for (text, value) in [
            ("12", 12),
            ("-12", -12),
            ("0", 0),
            ("-0", 0),
            ("12.0", 12),
            ("12.000", 12),
            ("1.2e1", 12),
            ("1.2E+1", 12),
            ("1200e-2", 12),
            ("-1.50e1", -15),
            ("0.0", 0),
            ("0e400", 0),
            ("0.000e-99999999999999999999", 0),
            ("124644.0", 124_644),
            ("9223372036854775807", i64::MAX),
            ("9223372036854775807.000", i64::MAX),
            ("-9223372036854775808", i64::MIN),
            ("9.223372036854775807e18", i64::MAX),
        ] {
            assert_eq!(parse(text), Some(value), "{text}");
        }
    }

    #[test]
    fn fractions_out_of_range_and_other_values_are_refused() {
        for text in [
            "12.5",
            "1e-1",
            "1.0000000000000001",
            "0.5",
            "9223372036854775808",
            "-9223372036854775809",
            "1e19",
            "1e400",
            "1e99999999999999999999",
            "1e-99999999999999999999",
            "\"12\"",
            "true",
            "null",
            "[1]",
            "1.",
            ".5",
            "1e",
            "",
            "-",
        ] {
            assert_eq!(parse(text), None, "{text}");
        }
    }
}
