//! The languages the platform speaks: who reads in which locale and time
//! zone, the text of each message in Fluent files (`locales/<tag>/*.ftl`,
//! embedded at build time), and money and times written the way a reader
//! of each locale expects.

pub mod money;
pub mod time;

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;

use fluent_templates::fluent_bundle::FluentValue;
use fluent_templates::LanguageIdentifier;
use serde::{Deserialize, Serialize};

pub use money::{Currency, CURRENCIES};
pub use time::TimeZone;

fluent_templates::static_loader! {
    static LOCALES = {
        locales: "./src/i18n/locales",
        fallback_language: "en",
        // No invisible isolation marks around each value: the text goes to
        // mail clients and JSON, not into a bidirectional page.
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

/// A supported locale. The tag is what the API and the database hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Locale {
    #[serde(rename = "en")]
    En,
    #[serde(rename = "zh-CN")]
    ZhCn,
}

impl Locale {
    pub const ALL: [Locale; 2] = [Locale::En, Locale::ZhCn];

    pub fn tag(self) -> &'static str {
        match self {
            Locale::En => "en",
            Locale::ZhCn => "zh-CN",
        }
    }

    /// The locale a tag names exactly (`en`, `zh-CN`; case-insensitive).
    pub fn parse(tag: &str) -> Option<Locale> {
        Self::ALL
            .into_iter()
            .find(|l| l.tag().eq_ignore_ascii_case(tag.trim()))
    }

    /// The supported locale an `Accept-Language` header prefers, if any
    /// (`zh`, `zh-Hans`, `zh-CN;q=0.9` all choose `zh-CN`; `en-GB` chooses
    /// `en`); `None` when it names none of them.
    pub fn negotiate(accept_language: &str) -> Option<Locale> {
        let requested = fluent_langneg::accepted_languages::parse(accept_language);
        let available: Vec<LanguageIdentifier> = Self::ALL.iter().map(|l| l.langid()).collect();
        let chosen = fluent_langneg::negotiate_languages(
            &requested,
            &available,
            None,
            fluent_langneg::NegotiationStrategy::Filtering,
        );
        let first = chosen.first()?;
        Self::ALL.into_iter().find(|l| &l.langid() == *first)
    }

    fn langid(self) -> LanguageIdentifier {
        match self {
            Locale::En => fluent_templates::langid!("en"),
            Locale::ZhCn => fluent_templates::langid!("zh-CN"),
        }
    }
}

impl fmt::Display for Locale {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.tag())
    }
}

/// A message's text could not be made: its key is missing in the locale,
/// or the text names a value it was not given.
#[derive(Debug, thiserror::Error)]
#[error("no complete text for {key:?} in {locale}: {reason}")]
pub struct MissingText {
    pub locale: Locale,
    pub key: String,
    pub reason: String,
}

/// The values a message's text is filled in with.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Args(Vec<(&'static str, Arg)>);

#[derive(Debug, Clone, PartialEq, Eq)]
enum Arg {
    Text(String),
    Number(i64),
    /// Another message, written in the same language.
    Nested(Text),
}

impl Args {
    pub fn new() -> Self {
        Self::default()
    }

    /// A value written as it is (already formatted for the reader).
    pub fn text(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.0.push((name, Arg::Text(value.into())));
        self
    }

    /// A number, for the text to choose a plural form by.
    pub fn number(mut self, name: &'static str, value: i64) -> Self {
        self.0.push((name, Arg::Number(value)));
        self
    }

    fn fluent(&self, locale: Locale) -> HashMap<Cow<'static, str>, FluentValue<'static>> {
        self.0
            .iter()
            .map(|(name, arg)| {
                let value = match arg {
                    Arg::Text(s) => FluentValue::String(s.clone().into()),
                    Arg::Number(n) => FluentValue::from(*n),
                    Arg::Nested(t) => FluentValue::String(t.in_locale(locale).into()),
                };
                (Cow::Borrowed(*name), value)
            })
            .collect()
    }
}

/// The text of `key` in `locale`, filled in with `args`. Strict: a key
/// missing in this locale, or a value the text names and was not given, is
/// an error, not a fallback to another language.
pub fn text(locale: Locale, key: &str, args: &Args) -> Result<String, MissingText> {
    LOCALES
        .lookup_single_language(&locale.langid(), key, Some(&args.fluent(locale)))
        .map_err(|e| MissingText {
            locale,
            key: key.to_string(),
            reason: e.to_string(),
        })
}

/// Something said to a person, to be written in their language when it is
/// shown: a message of the Fluent files and its values. A problem's
/// `detail` is one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Text(Box<Message>);

/// Boxed: a `Text` travels inside every error, and stays one pointer wide.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Message {
    key: Cow<'static, str>,
    args: Args,
}

impl Text {
    pub fn new(key: &'static str) -> Self {
        Self(Box::new(Message {
            key: Cow::Borrowed(key),
            args: Args::new(),
        }))
    }

    /// A message whose id is made at run time (`problem-not_found-{what}`):
    /// a test must name every id it can make.
    pub fn made(key: String) -> Self {
        Self(Box::new(Message {
            key: Cow::Owned(key),
            args: Args::new(),
        }))
    }

    pub fn key(&self) -> &str {
        &self.0.key
    }

    /// A value written as it is.
    pub fn text(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.0.args.0.push((name, Arg::Text(value.into())));
        self
    }

    /// A number (plural forms are chosen by it).
    pub fn number(mut self, name: &'static str, value: i64) -> Self {
        self.0.args.0.push((name, Arg::Number(value)));
        self
    }

    /// Another message as a value, written in the same language.
    pub fn nested(mut self, name: &'static str, value: Text) -> Self {
        self.0.args.0.push((name, Arg::Nested(value)));
        self
    }

    /// Strictly in `locale` (see [`text`]).
    pub fn render(&self, locale: Locale) -> Result<String, MissingText> {
        text(locale, &self.0.key, &self.0.args)
    }

    /// In `locale`, or in English should that lack it (a test fails first),
    /// or, as a last resort, the key itself: never nothing.
    pub fn in_locale(&self, locale: Locale) -> String {
        self.render(locale)
            .or_else(|e| {
                tracing::warn!(error = %e, "text missing; written in English");
                self.render(Locale::En)
            })
            .unwrap_or_else(|_| self.0.key.to_string())
    }
}

impl fmt::Display for Text {
    /// In English (logs, `Display` of errors).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.in_locale(Locale::En))
    }
}

/// The message ids a locale's files define, read from the files as they
/// were embedded (for the test that both locales define the same ones).
pub fn defined_keys(locale: Locale) -> Vec<String> {
    let mut keys: Vec<String> = sources(locale)
        .iter()
        .flat_map(|source| source.lines())
        .filter_map(|line| {
            let (id, _) = line.split_once('=')?;
            let id = id.trim_end();
            let first = id.chars().next()?;
            (first.is_ascii_alphabetic()
                && id
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'))
            .then(|| id.to_string())
        })
        .collect();
    keys.sort();
    keys
}

fn sources(locale: Locale) -> &'static [&'static str] {
    match locale {
        Locale::En => &[
            include_str!("locales/en/common.ftl"),
            include_str!("locales/en/emails.ftl"),
            include_str!("locales/en/problems.ftl"),
            include_str!("locales/en/problems-http.ftl"),
            include_str!("locales/en/problems-domain.ftl"),
            include_str!("locales/en/problems-services.ftl"),
            include_str!("locales/en/problems-rules.ftl"),
            include_str!("locales/en/problems-leads.ftl"),
            include_str!("locales/en/problems-ecsp.ftl"),
            include_str!("locales/en/knowledge-test.ftl"),
        ],
        Locale::ZhCn => &[
            include_str!("locales/zh-CN/common.ftl"),
            include_str!("locales/zh-CN/emails.ftl"),
            include_str!("locales/zh-CN/problems.ftl"),
            include_str!("locales/zh-CN/problems-http.ftl"),
            include_str!("locales/zh-CN/problems-domain.ftl"),
            include_str!("locales/zh-CN/problems-services.ftl"),
            include_str!("locales/zh-CN/problems-rules.ftl"),
            include_str!("locales/zh-CN/problems-leads.ftl"),
            include_str!("locales/zh-CN/problems-ecsp.ftl"),
            include_str!("locales/zh-CN/knowledge-test.ftl"),
        ],
    }
}

/// Who reads a message: in which language, in which time zone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reader {
    pub locale: Locale,
    pub time_zone: TimeZone,
}

/// What a deployment assumes of a person who has not said: `DEFAULT_LOCALE`
/// and `DEFAULT_TIME_ZONE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Defaults {
    pub locale: Locale,
    pub time_zone: TimeZone,
}

impl Defaults {
    /// The reader a person's stored choices (either may be unset) make.
    pub fn reader(&self, locale: Option<&str>, time_zone: Option<&str>) -> Reader {
        Reader {
            locale: locale.and_then(Locale::parse).unwrap_or(self.locale),
            time_zone: time_zone
                .and_then(TimeZone::parse)
                .unwrap_or(self.time_zone),
        }
    }
}

/// Every `.rs` file under `src/` as (path, text), for the tests that read
/// the sources to check what they name.
#[cfg(test)]
pub(crate) fn rust_sources() -> Vec<(String, String)> {
    fn walk(dir: &std::path::Path, out: &mut Vec<(String, String)>) {
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                if let Ok(text) = std::fs::read_to_string(&path) {
                    out.push((path.display().to_string(), text));
                }
            }
        }
    }
    let mut files = Vec::new();
    walk(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut files,
    );
    files
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language_chooses_a_supported_locale() {
        assert_eq!(
            Locale::negotiate("zh-CN,zh;q=0.9,en;q=0.8"),
            Some(Locale::ZhCn)
        );
        assert_eq!(Locale::negotiate("zh"), Some(Locale::ZhCn));
        assert_eq!(Locale::negotiate("zh-Hans"), Some(Locale::ZhCn));
        assert_eq!(Locale::negotiate("en-GB,en;q=0.5"), Some(Locale::En));
        assert_eq!(Locale::negotiate("fr-FR, en;q=0.3"), Some(Locale::En));
        assert_eq!(Locale::negotiate("fr-FR, de"), None);
        assert_eq!(Locale::negotiate(""), None);
        assert_eq!(Locale::negotiate("*"), None);
    }

    #[test]
    fn tags_parse_exactly() {
        assert_eq!(Locale::parse("zh-cn"), Some(Locale::ZhCn));
        assert_eq!(Locale::parse("en"), Some(Locale::En));
        assert_eq!(Locale::parse("en-US"), None);
        assert_eq!(Locale::parse("zh"), None);
    }

    #[test]
    fn both_locales_define_the_same_messages() {
        let en = defined_keys(Locale::En);
        let zh = defined_keys(Locale::ZhCn);
        for keys in [&en, &zh] {
            let mut unique = keys.clone();
            unique.dedup();
            assert_eq!(&unique, keys, "a message id defined twice");
        }
        assert!(en.len() > 50, "{} keys read", en.len());
        let only_en: Vec<_> = en.iter().filter(|k| !zh.contains(k)).collect();
        let only_zh: Vec<_> = zh.iter().filter(|k| !en.contains(k)).collect();
        assert!(only_en.is_empty(), "missing in zh-CN: {only_en:?}");
        assert!(only_zh.is_empty(), "missing in en: {only_zh:?}");
    }

    /// Every literal id given to `Text::new` in the sources names a message
    /// both locales define (ids made at run time have tests of their own).
    #[test]
    fn every_text_the_code_names_is_in_both_locales() {
        let files = rust_sources();
        let en = defined_keys(Locale::En);
        let zh = defined_keys(Locale::ZhCn);
        let mut named = 0;
        for (path, text) in &files {
            for (i, _) in text.match_indices("Text::new(\"") {
                let rest = &text[i + "Text::new(\"".len()..];
                let key = &rest[..rest.find('"').unwrap()];
                assert!(en.iter().any(|k| k == key), "{path}: {key} not in en");
                assert!(zh.iter().any(|k| k == key), "{path}: {key} not in zh-CN");
                named += 1;
            }
        }
        assert!(named > 10, "{named} texts named");
    }

    #[test]
    fn a_missing_key_or_value_is_an_error_not_a_fallback() {
        assert!(text(Locale::ZhCn, "no-such-message", &Args::new()).is_err());
        assert!(text(Locale::En, "email-footer", &Args::new()).is_ok());
        // `shares` names $count and $shares; without them the text is not whole.
        assert!(text(Locale::En, "shares", &Args::new()).is_err());
    }
}
