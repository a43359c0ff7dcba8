//! Query parameters, with one rule for empty values on every route: `name=`
//! (or a bare `name`) is the same as leaving the parameter out. A form that
//! submits an empty field then lists as if it had none, whichever list and
//! parameter it is.

use std::future::{ready, Ready};
use std::ops::Deref;

use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpRequest};
use serde::de::DeserializeOwned;

use crate::error::ApiError;
use crate::i18n::Text;

/// `web::Query` with empty values dropped first; a value that does not
/// parse, or a parameter the route does not take, is 400 `invalid_query`.
pub struct Query<T>(pub T);

impl<T> Query<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> Deref for Query<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: DeserializeOwned> FromRequest for Query<T> {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let given = without_empty_values(req.query_string());
        ready(
            web::Query::<T>::from_query(&given)
                .map(|q| Query(q.into_inner()))
                .map_err(|e| {
                    ApiError::bad_request(
                        "invalid_query",
                        Text::new("problem-invalid_query-query_string")
                            .text("error", e.to_string()),
                    )
                }),
        )
    }
}

/// A free-text search parameter (`q`, `email`): trimmed, absent when
/// nothing is left, at most `max_chars` characters (400 `invalid_query`).
/// Control characters never reach it: a query holding one is refused first,
/// on every route (400 `invalid_characters`, see
/// [`super::problems::reject_control_characters`]).
pub fn search_text(
    name: &str,
    value: Option<String>,
    max_chars: usize,
) -> Result<Option<String>, ApiError> {
    let text = value
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty());
    if text.as_ref().is_some_and(|s| s.chars().count() > max_chars) {
        return Err(ApiError::bad_request(
            "invalid_query",
            Text::new("problem-invalid_query-too_long")
                .text("name", name)
                .number("max_chars", max_chars as i64),
        ));
    }
    Ok(text)
}

fn without_empty_values(query: &str) -> String {
    query
        .split('&')
        .filter(|pair| {
            pair.split_once('=')
                .is_some_and(|(_, value)| !value.is_empty())
        })
        .collect::<Vec<_>>()
        .join("&")
}

#[cfg(test)]
mod tests {
    use super::without_empty_values;

    #[test]
    fn empty_values_are_dropped() {
        assert_eq!(without_empty_values(""), "");
        assert_eq!(without_empty_values("cursor="), "");
        assert_eq!(without_empty_values("status=&limit=5"), "limit=5");
        assert_eq!(without_empty_values("a&&b=1&c="), "b=1");
        assert_eq!(without_empty_values("q=%20"), "q=%20");
        assert_eq!(without_empty_values("=x"), "=x");
    }
}
