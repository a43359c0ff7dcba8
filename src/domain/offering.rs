//! Offerings: their states and the rules their terms must satisfy.

use std::fmt;
use std::str::FromStr;

use chrono::{NaiveDateTime, TimeDelta};

use super::money::MAX_AMOUNT;
use super::text::{self, Lines};
use super::FieldError;
use crate::i18n::Text;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OfferingStatus {
    Draft,
    InReview,
    Open,
    Funded,
    Failed,
    Cancelled,
    Settled,
    Refunded,
}

impl OfferingStatus {
    pub const ALL: [OfferingStatus; 8] = [
        Self::Draft,
        Self::InReview,
        Self::Open,
        Self::Funded,
        Self::Failed,
        Self::Cancelled,
        Self::Settled,
        Self::Refunded,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::InReview => "in_review",
            Self::Open => "open",
            Self::Funded => "funded",
            Self::Failed => "failed",
            Self::Cancelled => "cancelled",
            Self::Settled => "settled",
            Self::Refunded => "refunded",
        }
    }

    /// Seen by everyone: everything that has been approved at some point.
    pub fn is_public(self) -> bool {
        !matches!(self, Self::Draft | Self::InReview)
    }

    /// `draft|in_review|open --cancel--> cancelled`.
    pub fn can_cancel(self) -> bool {
        matches!(self, Self::Draft | Self::InReview | Self::Open)
    }
}

impl FromStr for OfferingStatus {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        Self::ALL.into_iter().find(|v| v.as_str() == s).ok_or(())
    }
}

impl fmt::Display for OfferingStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

pub const SECURITY_TYPES: [&str; 6] = [
    "common_equity",
    "preferred_equity",
    "convertible_note",
    "safe",
    "revenue_share",
    "debt",
];

/// The terms of an offering as a sponsor sets them; `validate` checks them
/// together. `min_raise` and `min_subscription` default when absent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfferingTerms {
    pub title: String,
    pub summary: String,
    pub description: String,
    pub security_type: String,
    pub price_per_share: i64,
    pub target_amount: i64,
    pub min_raise: i64,
    pub min_subscription: i64,
    pub max_per_investor: Option<i64>,
    /// At most this many distinct investors (the rule profile's limit when
    /// it has one and the sponsor sets none).
    pub max_investors: Option<i64>,
    /// A led round: the lead commits at least this share of the target, in
    /// basis points, before followers may subscribe.
    pub lead_min_bps: Option<i32>,
    pub opens_at: Option<NaiveDateTime>,
    pub closes_at: NaiveDateTime,
}

const TITLE_MAX: usize = 200;
const SUMMARY_MAX: usize = 1_000;
const DESCRIPTION_MAX: usize = 20_000;

/// The title as typed, normalised (see [`text`]); empty if nothing visible.
pub fn tidy_title(raw: &str) -> Result<String, FieldError> {
    text::clean("title", raw, TITLE_MAX, Lines::One)
}

pub fn tidy_summary(raw: &str) -> Result<String, FieldError> {
    text::clean("summary", raw, SUMMARY_MAX, Lines::Many)
}

pub fn tidy_description(raw: &str) -> Result<String, FieldError> {
    text::clean("description", raw, DESCRIPTION_MAX, Lines::Many)
}

fn present(field: &'static str, tidy: Result<String, FieldError>) -> Result<(), FieldError> {
    if tidy?.is_empty() {
        return Err(FieldError::new(field, text::required_text(field)));
    }
    Ok(())
}

impl OfferingTerms {
    /// Checks every rule. `earliest_open` is when the offering would open if
    /// `opens_at` is absent (now, for a draft; approval time on approval).
    /// `max_investors_allowed` is the rule profile's limit on investors per
    /// round, if it has one.
    pub fn validate(
        &self,
        earliest_open: NaiveDateTime,
        min_duration: TimeDelta,
        max_investors_allowed: Option<i64>,
    ) -> Result<(), FieldError> {
        present("title", tidy_title(&self.title))?;
        present("summary", tidy_summary(&self.summary))?;
        tidy_description(&self.description)?;
        if !SECURITY_TYPES.contains(&self.security_type.as_str()) {
            return Err(FieldError::new(
                "security_type",
                Text::new("problem-invalid_field-security_type")
                    .text("types", SECURITY_TYPES.join(", ")),
            ));
        }
        let money = |field: &'static str, v: i64| {
            if v <= 0 || v > MAX_AMOUNT {
                Err(FieldError::new(
                    field,
                    Text::new("problem-invalid_field-offering-money")
                        .text("field", field)
                        .number("max", MAX_AMOUNT),
                ))
            } else {
                Ok(())
            }
        };
        money("price_per_share", self.price_per_share)?;
        money("target_amount", self.target_amount)?;
        money("min_raise", self.min_raise)?;
        money("min_subscription", self.min_subscription)?;
        if self.target_amount % self.price_per_share != 0 {
            return Err(FieldError::new(
                "target_amount",
                Text::new("problem-invalid_field-target_amount-whole_shares"),
            ));
        }
        if self.min_raise > self.target_amount {
            return Err(FieldError::new(
                "min_raise",
                Text::new("problem-invalid_field-min_raise-above_target"),
            ));
        }
        if self.min_subscription > self.target_amount {
            return Err(FieldError::new(
                "min_subscription",
                Text::new("problem-invalid_field-min_subscription-above_target"),
            ));
        }
        if let Some(max) = self.max_per_investor {
            money("max_per_investor", max)?;
            if max < self.min_subscription {
                return Err(FieldError::new(
                    "max_per_investor",
                    Text::new("problem-invalid_field-max_per_investor-below_min"),
                ));
            }
            if max < self.price_per_share {
                return Err(FieldError::new(
                    "max_per_investor",
                    Text::new("problem-invalid_field-max_per_investor-one_share"),
                ));
            }
        }
        if let Some(max) = self.max_investors {
            let refused = |message: Text| Err(FieldError::new("max_investors", message));
            match max_investors_allowed {
                Some(allowed) if !(1..=allowed).contains(&max) => {
                    return refused(
                        Text::new("problem-invalid_field-max_investors").number("max", allowed),
                    )
                }
                None if max < 1 => {
                    return refused(Text::new("problem-invalid_field-max_investors-positive"))
                }
                _ => {}
            }
        }
        if self
            .lead_min_bps
            .is_some_and(|bps| !(1..=10_000).contains(&bps))
        {
            return Err(FieldError::new(
                "lead_min_bps",
                Text::new("problem-invalid_field-lead_min_bps"),
            ));
        }
        let opens = match self.opens_at {
            Some(at) if at < earliest_open - TimeDelta::minutes(5) => {
                return Err(FieldError::new(
                    "opens_at",
                    Text::new("problem-invalid_field-opens_at-past"),
                ));
            }
            Some(at) => at.max(earliest_open),
            None => earliest_open,
        };
        if self.closes_at <= opens {
            return Err(FieldError::new(
                "closes_at",
                Text::new("problem-invalid_field-closes_at-before_open"),
            ));
        }
        if self.closes_at - opens < min_duration {
            return Err(FieldError::new(
                "closes_at",
                Text::new("problem-invalid_field-closes_at-too_short")
                    .number("seconds", min_duration.num_seconds()),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> NaiveDateTime {
        chrono::DateTime::from_timestamp(1_800_000_000, 0)
            .unwrap()
            .naive_utc()
    }

    fn terms() -> OfferingTerms {
        OfferingTerms {
            title: "Solar farm".into(),
            summary: "Panels".into(),
            description: String::new(),
            security_type: "common_equity".into(),
            price_per_share: 1_000,
            target_amount: 1_000_000,
            min_raise: 500_000,
            min_subscription: 1_000,
            max_per_investor: None,
            max_investors: None,
            lead_min_bps: None,
            opens_at: None,
            closes_at: now() + TimeDelta::days(30),
        }
    }

    fn check(t: &OfferingTerms) -> Result<(), &'static str> {
        t.validate(now(), TimeDelta::days(21), Some(200))
            .map_err(|e| e.field)
    }

    #[test]
    fn sound_terms_pass() {
        assert_eq!(check(&terms()), Ok(()));
    }

    #[test]
    fn each_rule_names_its_field() {
        type Mutation = Box<dyn Fn(&mut OfferingTerms)>;
        let cases: Vec<(&str, Mutation)> = vec![
            ("title", Box::new(|t| t.title = " ".into())),
            (
                "security_type",
                Box::new(|t| t.security_type = "tulips".into()),
            ),
            ("price_per_share", Box::new(|t| t.price_per_share = 0)),
            ("target_amount", Box::new(|t| t.target_amount = 1_000_500)),
            ("min_raise", Box::new(|t| t.min_raise = 2_000_000)),
            ("min_subscription", Box::new(|t| t.min_subscription = -1)),
            (
                "max_per_investor",
                Box::new(|t| t.max_per_investor = Some(999)),
            ),
            ("max_investors", Box::new(|t| t.max_investors = Some(201))),
            ("max_investors", Box::new(|t| t.max_investors = Some(0))),
            ("lead_min_bps", Box::new(|t| t.lead_min_bps = Some(10_001))),
            ("lead_min_bps", Box::new(|t| t.lead_min_bps = Some(0))),
            (
                "closes_at",
                Box::new(|t| t.closes_at = now() + TimeDelta::days(20)),
            ),
            (
                "closes_at",
                Box::new(|t| t.closes_at = now() - TimeDelta::days(1)),
            ),
            (
                "opens_at",
                Box::new(|t| t.opens_at = Some(now() - TimeDelta::days(1))),
            ),
        ];
        for (field, mutate) in cases {
            let mut t = terms();
            mutate(&mut t);
            assert_eq!(check(&t), Err(field));
        }
    }

    #[test]
    fn duration_counts_from_a_later_opening() {
        let mut t = terms();
        t.opens_at = Some(now() + TimeDelta::days(10));
        assert_eq!(check(&t), Err("closes_at"));
        t.closes_at = now() + TimeDelta::days(31);
        assert_eq!(check(&t), Ok(()));
    }
}
