//! Business days: Monday to Friday, except the deployment's holidays
//! (`BUSINESS_HOLIDAYS`). Dates are UTC dates.

use std::collections::BTreeSet;

use chrono::{Datelike, NaiveDate, NaiveDateTime, TimeDelta, Weekday};

/// The holidays of a deployment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Calendar {
    holidays: BTreeSet<NaiveDate>,
}

impl Calendar {
    pub fn new(holidays: impl IntoIterator<Item = NaiveDate>) -> Self {
        Self {
            holidays: holidays.into_iter().collect(),
        }
    }

    /// `2026-12-25,2027-01-01` (commas or white space between dates; empty: none).
    pub fn parse(raw: &str) -> Result<Self, String> {
        raw.split(|c: char| c == ',' || c.is_whitespace())
            .filter(|d| !d.is_empty())
            .map(|d| {
                NaiveDate::parse_from_str(d, "%Y-%m-%d")
                    .map_err(|_| format!("{d:?} is not a date such as 2026-12-25"))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Self::new)
    }

    pub fn is_business_day(&self, date: NaiveDate) -> bool {
        !matches!(date.weekday(), Weekday::Sat | Weekday::Sun) && !self.holidays.contains(&date)
    }

    /// The same time of day `days` business days after `from`: each day
    /// after `from`'s own that is a business day counts one.
    pub fn add_business_days(&self, from: NaiveDateTime, days: u32) -> NaiveDateTime {
        let mut at = from;
        let mut counted = 0;
        // Bounded: a year has far more business days than any deadline
        // needs, unless every day is a holiday (then stop after ten years).
        for _ in 0..3660 {
            if counted == days {
                break;
            }
            at += TimeDelta::days(1);
            if self.is_business_day(at.date()) {
                counted += 1;
            }
        }
        at
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(date: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(&format!("{date} 10:30:00"), "%Y-%m-%d %H:%M:%S").unwrap()
    }

    #[test]
    fn five_business_days_skip_weekends() {
        let none = Calendar::default();
        // Monday 2026-12-07 -> Monday 2026-12-14.
        assert_eq!(
            none.add_business_days(at("2026-12-07"), 5),
            at("2026-12-14")
        );
        // Thursday -> Thursday.
        assert_eq!(
            none.add_business_days(at("2026-12-10"), 5),
            at("2026-12-17")
        );
        // Saturday and Sunday count from Monday: Friday.
        assert_eq!(
            none.add_business_days(at("2026-12-12"), 5),
            at("2026-12-18")
        );
        assert_eq!(
            none.add_business_days(at("2026-12-13"), 5),
            at("2026-12-18")
        );
    }

    #[test]
    fn holidays_are_skipped_too() {
        let christmas = Calendar::parse("2026-12-24, 2026-12-25\n2027-01-01").unwrap();
        // Monday 2026-12-21: Tue 22, Wed 23, (24, 25 holidays, 26-27 weekend), Mon 28, Tue 29, Wed 30.
        assert_eq!(
            christmas.add_business_days(at("2026-12-21"), 5),
            at("2026-12-30")
        );
        assert!(!christmas.is_business_day(at("2027-01-01").date()));
        assert!(christmas.is_business_day(at("2027-01-04").date()));
    }

    #[test]
    fn calendars_parse_dates_only() {
        assert_eq!(Calendar::parse("").unwrap(), Calendar::default());
        assert!(Calendar::parse("2026-13-01").is_err());
        assert!(Calendar::parse("25/12/2026").is_err());
    }
}
