//! Money and share counts: integers, never floats, bounded so that sums of
//! them can never overflow an i64.

use super::FieldError;
use crate::i18n::Text;

/// The largest single amount accepted anywhere (10^15 minor units, e.g. ten
/// trillion dollars): far beyond any real figure, far below i64::MAX, so that
/// adding up many of them stays exact.
pub const MAX_AMOUNT: i64 = 1_000_000_000_000_000;

/// A strictly positive amount of money in minor units.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Amount(i64);

impl Amount {
    pub fn parse(field: &'static str, value: i64) -> Result<Self, FieldError> {
        if value <= 0 {
            return Err(FieldError::new(
                field,
                Text::new("problem-invalid_field-amount-positive").text("field", field),
            ));
        }
        if value > MAX_AMOUNT {
            return Err(FieldError::new(
                field,
                Text::new("problem-invalid_field-amount-too_large")
                    .text("field", field)
                    .number("max", MAX_AMOUNT),
            ));
        }
        Ok(Self(value))
    }

    pub fn get(self) -> i64 {
        self.0
    }
}

/// A non-negative amount (incomes, net worth, declared investments).
pub fn parse_non_negative(field: &'static str, value: i64) -> Result<i64, FieldError> {
    if !(0..=MAX_AMOUNT).contains(&value) {
        return Err(FieldError::new(
            field,
            Text::new("problem-invalid_field-non_negative")
                .text("field", field)
                .number("max", MAX_AMOUNT),
        ));
    }
    Ok(value)
}

/// A strictly positive number of shares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shares(i64);

impl Shares {
    pub fn parse(value: i64) -> Result<Self, FieldError> {
        if value <= 0 {
            return Err(FieldError::new(
                "shares",
                Text::new("problem-invalid_field-shares-positive"),
            ));
        }
        Ok(Self(value))
    }

    pub fn get(self) -> i64 {
        self.0
    }

    /// shares × price, or an error when the product leaves the accepted range.
    pub fn cost(self, price_per_share: i64) -> Result<Amount, FieldError> {
        self.0
            .checked_mul(price_per_share)
            .filter(|v| *v <= MAX_AMOUNT)
            .map(Amount)
            .ok_or_else(|| {
                FieldError::new("shares", Text::new("problem-invalid_field-shares-cost"))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_positive_and_bounded() {
        assert!(Amount::parse("amount", 0).is_err());
        assert!(Amount::parse("amount", -1).is_err());
        assert!(Amount::parse("amount", MAX_AMOUNT + 1).is_err());
        assert_eq!(Amount::parse("amount", 1).unwrap().get(), 1);
    }

    #[test]
    fn refusals_are_whole_sentences_naming_the_field() {
        let e = Amount::parse("amount", MAX_AMOUNT + 1).unwrap_err();
        assert_eq!(e.field, "amount");
        assert_eq!(
            e.message.to_string(),
            "amount must be at most 1000000000000000"
        );
        let zh = e.message.render(crate::i18n::Locale::ZhCn).unwrap();
        assert!(
            zh.starts_with("amount ") && zh.contains("1000000000000000"),
            "{zh}"
        );
        assert_eq!(
            Shares::parse(0).unwrap_err().to_string(),
            "shares must be a positive whole number"
        );
    }

    #[test]
    fn cost_never_overflows() {
        assert_eq!(Shares::parse(3).unwrap().cost(250).unwrap().get(), 750);
        assert!(Shares::parse(i64::MAX).unwrap().cost(2).is_err());
        assert!(Shares::parse(MAX_AMOUNT).unwrap().cost(2).is_err());
        assert!(Shares::parse(0).is_err());
        assert!(Shares::parse(-4).is_err());
    }
}
