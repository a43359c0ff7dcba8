//! Choosing the backend from `DATABASE_URL` by its scheme.
//!
//! A URL with any scheme other than `postgres`, `postgresql` or `sqlite` is an
//! error: a mistyped PostgreSQL URL must never silently become a SQLite file name.

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DatabaseUrl {
    Postgres(String),
    /// A file path (`sqlite://` stripped), or `:memory:`.
    Sqlite(String),
}

#[derive(Debug, thiserror::Error)]
pub enum DatabaseUrlError {
    #[error("unknown scheme {0:?}: use postgres://, postgresql://, sqlite:// or a file path")]
    UnknownScheme(String),
    #[error("the SQLite path is empty")]
    EmptyPath,
}

impl DatabaseUrl {
    pub fn parse(raw: &str) -> Result<Self, DatabaseUrlError> {
        let raw = raw.trim();
        if raw.starts_with("postgres://") || raw.starts_with("postgresql://") {
            return Ok(Self::Postgres(raw.to_string()));
        }
        let path = if let Some(rest) = raw.strip_prefix("sqlite://") {
            rest
        } else if let Some(rest) = raw.strip_prefix("sqlite:") {
            rest
        } else if let Some(scheme) = scheme_of(raw) {
            return Err(DatabaseUrlError::UnknownScheme(scheme.to_string()));
        } else {
            raw
        };
        if path.is_empty() {
            return Err(DatabaseUrlError::EmptyPath);
        }
        Ok(Self::Sqlite(path.to_string()))
    }

    pub fn backend_name(&self) -> &'static str {
        match self {
            Self::Postgres(_) => "postgresql",
            Self::Sqlite(_) => "sqlite",
        }
    }
}

/// `Some(scheme)` when `raw` starts like a URL (`letters:`), other than a
/// one-letter Windows drive.
fn scheme_of(raw: &str) -> Option<&str> {
    let (scheme, _) = raw.split_once(':')?;
    let looks_like_scheme = scheme.len() > 1
        && scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    looks_like_scheme.then_some(scheme)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_backend_by_scheme() {
        assert_eq!(
            DatabaseUrl::parse("postgres://u@h/db").unwrap(),
            DatabaseUrl::Postgres("postgres://u@h/db".into())
        );
        assert!(matches!(
            DatabaseUrl::parse("postgresql://h/db").unwrap(),
            DatabaseUrl::Postgres(_)
        ));
        assert_eq!(
            DatabaseUrl::parse("sqlite://data/x.db").unwrap(),
            DatabaseUrl::Sqlite("data/x.db".into())
        );
        assert_eq!(
            DatabaseUrl::parse("./x.db").unwrap(),
            DatabaseUrl::Sqlite("./x.db".into())
        );
        assert_eq!(
            DatabaseUrl::parse(":memory:").unwrap(),
            DatabaseUrl::Sqlite(":memory:".into())
        );
    }

    #[test]
    fn mistyped_schemes_are_errors_not_files() {
        for bad in [
            "postgress://h/db",
            "postgre://h/db",
            "mysql://h/db",
            "pg:db",
        ] {
            assert!(DatabaseUrl::parse(bad).is_err(), "{bad}");
        }
        assert!(DatabaseUrl::parse("sqlite://").is_err());
    }
}
