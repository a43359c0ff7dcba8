//! Times in the reader's own time zone, written as their locale writes them.

use chrono::{DateTime, Utc};

use super::Locale;

/// An IANA time zone (`Asia/Shanghai`, `America/New_York`, `UTC`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeZone(chrono_tz::Tz);

impl TimeZone {
    pub fn utc() -> Self {
        Self(chrono_tz::UTC)
    }

    /// The zone an IANA name names, exactly as the database spells it
    /// (`Asia/Shanghai`; `asia/shanghai` is not one).
    pub fn parse(name: &str) -> Option<Self> {
        name.parse::<chrono_tz::Tz>().ok().map(Self)
    }

    pub fn name(&self) -> &'static str {
        self.0.name()
    }

    /// `at` on the reader's clock, with the zone named:
    /// `7 December 2026, 09:30 (Asia/Shanghai)`,
    /// `2026年12月7日 09:30（Asia/Shanghai）`.
    pub fn format(&self, at: DateTime<Utc>, locale: Locale) -> String {
        let local = at.with_timezone(&self.0);
        match locale {
            Locale::En => format!("{} ({})", local.format("%-d %B %Y, %H:%M"), self.name()),
            Locale::ZhCn => format!(
                "{}（{}）",
                local.format("%Y年%-m月%-d日 %H:%M"),
                self.name()
            ),
        }
    }

    /// The date alone, on the reader's clock: `7 December 2026`, `2026年12月7日`.
    pub fn format_date(&self, at: DateTime<Utc>, locale: Locale) -> String {
        let local = at.with_timezone(&self.0);
        match locale {
            Locale::En => local.format("%-d %B %Y").to_string(),
            Locale::ZhCn => local.format("%Y年%-m月%-d日").to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone as _;

    #[test]
    fn a_time_is_written_on_the_readers_clock() {
        let at = Utc.with_ymd_and_hms(2026, 12, 6, 23, 30, 0).unwrap();
        let shanghai = TimeZone::parse("Asia/Shanghai").unwrap();
        assert_eq!(
            shanghai.format(at, Locale::ZhCn),
            "2026年12月7日 07:30（Asia/Shanghai）"
        );
        let new_york = TimeZone::parse("America/New_York").unwrap();
        assert_eq!(
            new_york.format(at, Locale::En),
            "6 December 2026, 18:30 (America/New_York)"
        );
        assert_eq!(
            TimeZone::utc().format_date(at, Locale::En),
            "6 December 2026"
        );
        assert!(TimeZone::parse("Mars/Olympus").is_none());
        assert!(TimeZone::parse("").is_none());
    }
}
