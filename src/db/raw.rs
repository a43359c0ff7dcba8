//! Hand-written SQL that both backends run as is.
//!
//! Placeholders are written `$1`, `$2`, ... for PostgreSQL. SQLite accepts
//! them too, but numbers them in the order they first *appear* in the text,
//! while diesel binds values by position: a statement in which `$2` appears
//! before `$1` would silently bind the wrong values on SQLite. [`sql`] refuses
//! such a statement.

use diesel::query_builder::SqlQuery;

/// A raw statement whose placeholders first appear in increasing order.
pub fn sql(text: impl Into<String>) -> SqlQuery {
    let text = text.into();
    debug_assert!(
        placeholders_in_order(&text),
        "placeholders must first appear as $1, $2, ... in order: {text}"
    );
    diesel::sql_query(text)
}

/// True when each `$n` first appears after `$1..$n-1`.
pub fn placeholders_in_order(text: &str) -> bool {
    let bytes = text.as_bytes();
    let mut highest = 0u32;
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'$' {
            let digits: String = text[i + 1..]
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            if let Ok(n) = digits.parse::<u32>() {
                if n > highest + 1 {
                    return false;
                }
                highest = highest.max(n);
                i += digits.len();
            }
        }
        i += 1;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::placeholders_in_order;

    #[test]
    fn placeholders_must_appear_in_order() {
        assert!(placeholders_in_order("SELECT $1, $2, $1, $3"));
        assert!(placeholders_in_order("SELECT 1"));
        assert!(!placeholders_in_order("SELECT $1, $3, $2"));
        assert!(!placeholders_in_order("SELECT $2"));
        assert!(placeholders_in_order("SELECT $1 || '$' || $2"));
    }
}
