//! The language a request asks for, and a person's choice of language
//! and time zone as the API takes it.

use std::future::{ready, Ready};

use actix_web::dev::Payload;
use actix_web::http::header::ACCEPT_LANGUAGE;
use actix_web::{FromRequest, HttpRequest};

use crate::error::ApiError;
use crate::i18n::{Locale, Text, TimeZone};

/// The supported locale the request's `Accept-Language` prefers; none when
/// it names none of them or is absent (or not text).
pub struct AcceptLanguage(pub Option<Locale>);

impl AcceptLanguage {
    pub fn of(req: &HttpRequest) -> Self {
        let header = req
            .headers()
            .get(ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok());
        Self(header.and_then(Locale::negotiate))
    }
}

impl FromRequest for AcceptLanguage {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(Self::of(req)))
    }
}

/// A `locale` field: `en` or `zh-CN`, or 422 `invalid_field`.
pub fn parse_locale(field: &str, value: &str) -> Result<Locale, ApiError> {
    Locale::parse(value).ok_or_else(|| {
        ApiError::invalid_field(
            field,
            Text::new("problem-invalid_field-locale").text("field", field),
        )
    })
}

/// A `time_zone` field: an IANA time zone, or 422 `invalid_field`.
pub fn parse_time_zone(field: &str, value: &str) -> Result<TimeZone, ApiError> {
    TimeZone::parse(value).ok_or_else(|| {
        ApiError::invalid_field(
            field,
            Text::new("problem-invalid_field-time_zone").text("field", field),
        )
    })
}
