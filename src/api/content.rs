//! Serving stored files: `ETag` and `If-None-Match`, single byte ranges
//! (`Range`, `If-Range`, 206 and 416), and a `Content-Disposition` that
//! carries any file name safely.

use actix_web::http::header::{self, HeaderMap};

use crate::storage::ByteRange;

/// What to send of a file of `size` bytes with this `etag`.
#[derive(Debug, PartialEq, Eq)]
pub enum Part {
    /// The client's copy is current: 304.
    NotModified,
    /// All of it: 200.
    Whole,
    /// One range: 206.
    Range(ByteRange),
    /// A range that lies outside the file: 416.
    Unsatisfiable,
}

/// Decides from the request's headers. A `Range` this server does not
/// serve (several ranges, another unit, bad syntax) is ignored, as RFC 9110
/// allows: the whole file is sent.
pub fn part(headers: &HeaderMap, etag: &str, size: u64) -> Part {
    if let Some(tags) = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
    {
        if tags
            .split(',')
            .map(str::trim)
            .any(|t| t == "*" || weak_eq(t, etag))
        {
            return Part::NotModified;
        }
    }
    let Some(range) = headers.get(header::RANGE).and_then(|v| v.to_str().ok()) else {
        return Part::Whole;
    };
    // A range only of the version the client has.
    if let Some(if_range) = headers.get(header::IF_RANGE).and_then(|v| v.to_str().ok()) {
        if if_range.trim() != etag {
            return Part::Whole;
        }
    }
    match parse_range(range, size) {
        Some(Some(r)) => Part::Range(r),
        Some(None) => Part::Unsatisfiable,
        None => Part::Whole,
    }
}

fn weak_eq(tag: &str, etag: &str) -> bool {
    tag.trim_start_matches("W/") == etag
}

/// `bytes=a-b`, `bytes=a-`, `bytes=-n`. None: not a single byte range
/// (ignored); Some(None): unsatisfiable.
fn parse_range(value: &str, size: u64) -> Option<Option<ByteRange>> {
    let spec = value.trim().strip_prefix("bytes=")?.trim();
    if spec.contains(',') {
        return None;
    }
    let (first, last) = spec.split_once('-')?;
    let (first, last) = (first.trim(), last.trim());
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let range = if first.is_empty() {
        // The last n bytes.
        if !digits(last) {
            return None;
        }
        let n: u64 = last.parse().ok()?;
        if n == 0 || size == 0 {
            return Some(None);
        }
        ByteRange {
            start: size.saturating_sub(n),
            end: size - 1,
        }
    } else {
        if !digits(first) || !(last.is_empty() || digits(last)) {
            return None;
        }
        let start: u64 = first.parse().ok()?;
        let end: u64 = if last.is_empty() {
            u64::MAX
        } else {
            last.parse().ok()?
        };
        if end < start {
            return None;
        }
        if start >= size {
            return Some(None);
        }
        ByteRange {
            start,
            end: end.min(size - 1),
        }
    };
    Some(Some(range))
}

/// `attachment` with the name twice: an ASCII fallback in `filename` and
/// the exact name, percent-encoded UTF-8, in `filename*` (RFC 6266, 8187).
pub fn disposition(file_name: &str) -> String {
    let fallback: String = file_name
        .chars()
        .map(|c| {
            if c.is_ascii() && !c.is_ascii_control() && c != '"' && c != '\\' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut encoded = String::new();
    for b in file_name.bytes() {
        if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
            encoded.push(b as char);
        } else {
            encoded.push_str(&format!("%{b:02X}"));
        }
    }
    format!("attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::header::{HeaderName, HeaderValue};

    fn headers(pairs: &[(HeaderName, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (name, value) in pairs {
            h.insert(name.clone(), HeaderValue::from_str(value).unwrap());
        }
        h
    }

    const TAG: &str = "\"abc\"";

    #[test]
    fn ranges_are_read_as_rfc_9110_says() {
        let r = |v: &str| part(&headers(&[(header::RANGE, v)]), TAG, 100);
        let range = |start, end| Part::Range(ByteRange { start, end });
        assert_eq!(r("bytes=0-9"), range(0, 9));
        assert_eq!(r("bytes=90-"), range(90, 99));
        assert_eq!(r("bytes=-10"), range(90, 99));
        assert_eq!(r("bytes=-500"), range(0, 99));
        assert_eq!(r("bytes=50-500"), range(50, 99));
        assert_eq!(r("bytes=100-"), Part::Unsatisfiable);
        assert_eq!(r("bytes=-0"), Part::Unsatisfiable);
        assert_eq!(r("bytes=0-1,5-6"), Part::Whole);
        assert_eq!(r("bytes=9-1"), Part::Whole);
        assert_eq!(r("items=0-1"), Part::Whole);
        assert_eq!(r("bytes=a-b"), Part::Whole);
    }

    #[test]
    fn validators_decide_before_ranges() {
        let h = headers(&[(header::IF_NONE_MATCH, "\"x\", W/\"abc\"")]);
        assert_eq!(part(&h, TAG, 100), Part::NotModified);
        let h = headers(&[(header::RANGE, "bytes=0-1"), (header::IF_RANGE, "\"old\"")]);
        assert_eq!(part(&h, TAG, 100), Part::Whole);
        let h = headers(&[(header::RANGE, "bytes=0-1"), (header::IF_RANGE, TAG)]);
        assert_eq!(
            part(&h, TAG, 100),
            Part::Range(ByteRange { start: 0, end: 1 })
        );
    }

    #[test]
    fn any_name_is_carried_safely() {
        assert_eq!(
            disposition("Memo \"final\" 年.pdf"),
            "attachment; filename=\"Memo _final_ _.pdf\"; \
             filename*=UTF-8''Memo%20%22final%22%20%E5%B9%B4.pdf"
        );
    }
}
