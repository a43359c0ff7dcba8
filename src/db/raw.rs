//! Hand-written SQL that both backends run as is.
//!
//! Placeholders are written `$1`, `$2`, ... for PostgreSQL. SQLite accepts
//! them too, but numbers them in the order they first *appear* in the text,
//! while diesel binds values by position: a statement in which `$2` appears
//! before `$1` would silently bind the wrong values on SQLite. [`sql`] refuses
//! such a statement.

use diesel::query_builder::{BoxedSqlQuery, SqlQuery};

use super::{AnyConnection, Backend};

/// A raw statement whose number of placeholders is known only at run time
/// (multi-row `VALUES`): values are bound one by one, in placeholder order.
pub type Boxed<'a> = BoxedSqlQuery<'a, Backend, SqlQuery>;

/// A raw statement whose placeholders first appear in increasing order.
pub fn sql(text: impl Into<String>) -> SqlQuery {
    let text = text.into();
    debug_assert!(
        placeholders_in_order(&text),
        "placeholders must first appear as $1, $2, ... in order: {text}"
    );
    diesel::sql_query(text)
}

/// [`sql`], boxed so that a loop can bind a variable number of values.
///
/// For SQLite the placeholders are written `?1`, `?2`, ...: SQLite treats
/// `$1` as a *named* parameter and looks each one up by name in a list,
/// which a statement of a few hundred placeholders (a batch's multi-row
/// INSERT) pays for quadratically; `?N` it takes by number.
pub fn boxed<'a>(conn: &AnyConnection, text: impl Into<String>) -> Boxed<'a> {
    let text = text.into();
    match conn {
        AnyConnection::Sqlite(_) => {
            debug_assert!(placeholders_in_order(&text), "{text}");
            diesel::sql_query(numbered_for_sqlite(&text)).into_boxed()
        }
        AnyConnection::Postgresql(_) => sql(text).into_boxed(),
    }
}

/// `$N` placeholders rewritten as `?N` (the text has no `$` in literals).
fn numbered_for_sqlite(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '$' && chars.peek().is_some_and(char::is_ascii_digit) {
            out.push('?');
        } else {
            out.push(c);
        }
    }
    out
}

/// `($1, $2), ($3, $4), ...`: `rows` tuples of `cols` placeholders each,
/// numbered from `$first` in order of appearance.
pub fn value_rows(rows: usize, cols: usize, first: usize) -> String {
    let mut out = String::with_capacity(rows * cols * 5);
    let mut n = first;
    for row in 0..rows {
        if row > 0 {
            out.push_str(", ");
        }
        out.push('(');
        for col in 0..cols {
            if col > 0 {
                out.push_str(", ");
            }
            out.push('$');
            out.push_str(&n.to_string());
            n += 1;
        }
        out.push(')');
    }
    out
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
    fn sqlite_gets_numbered_placeholders() {
        assert_eq!(
            super::numbered_for_sqlite("VALUES ($1, $2), ($3, $12) -- $x"),
            "VALUES (?1, ?2), (?3, ?12) -- $x"
        );
    }

    #[test]
    fn value_rows_number_placeholders_in_order() {
        assert_eq!(super::value_rows(2, 3, 1), "($1, $2, $3), ($4, $5, $6)");
        assert_eq!(super::value_rows(1, 1, 7), "($7)");
        assert!(placeholders_in_order(&format!(
            "VALUES {}",
            super::value_rows(50, 9, 1)
        )));
    }

    #[test]
    fn placeholders_must_appear_in_order() {
        assert!(placeholders_in_order("SELECT $1, $2, $1, $3"));
        assert!(placeholders_in_order("SELECT 1"));
        assert!(!placeholders_in_order("SELECT $1, $3, $2"));
        assert!(!placeholders_in_order("SELECT $2"));
        assert!(placeholders_in_order("SELECT $1 || '$' || $2"));
    }
}
