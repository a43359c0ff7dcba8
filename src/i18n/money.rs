//! Money as a reader expects to see it: the currency's symbol for their
//! locale, its minor units, thousands grouped (`$1,234.50`, `¥1,234.50`).
//! Amounts are integers of minor units everywhere; only here are they text.

use super::Locale;

/// A currency a deployment may keep its books in (`CURRENCY`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Currency {
    pub code: &'static str,
    /// Digits after the decimal point: 2 for cents and fen, 0 for yen.
    pub minor_units: u32,
    /// The symbol an English reader knows it by.
    pub symbol_en: &'static str,
    /// The symbol a reader of simplified Chinese knows it by.
    pub symbol_zh: &'static str,
}

/// The currencies supported, with their symbols as CLDR gives them.
pub const CURRENCIES: [Currency; 6] = [
    Currency {
        code: "USD",
        minor_units: 2,
        symbol_en: "$",
        symbol_zh: "US$",
    },
    Currency {
        code: "CNY",
        minor_units: 2,
        symbol_en: "CN¥",
        symbol_zh: "¥",
    },
    Currency {
        code: "EUR",
        minor_units: 2,
        symbol_en: "€",
        symbol_zh: "€",
    },
    Currency {
        code: "GBP",
        minor_units: 2,
        symbol_en: "£",
        symbol_zh: "£",
    },
    Currency {
        code: "HKD",
        minor_units: 2,
        symbol_en: "HK$",
        symbol_zh: "HK$",
    },
    Currency {
        code: "JPY",
        minor_units: 0,
        symbol_en: "¥",
        symbol_zh: "JP¥",
    },
];

impl Currency {
    /// The supported currency with this ISO 4217 code.
    pub fn find(code: &str) -> Option<&'static Currency> {
        CURRENCIES.iter().find(|c| c.code == code)
    }

    pub fn symbol(&self, locale: Locale) -> &'static str {
        match locale {
            Locale::En => self.symbol_en,
            Locale::ZhCn => self.symbol_zh,
        }
    }
}

/// `minor` units of `currency` written for a reader of `locale`. A code
/// that is not supported is written after the figure, with two decimals.
pub fn format(minor: i64, currency: &str, locale: Locale) -> String {
    let sign = if minor < 0 { "-" } else { "" };
    match Currency::find(currency) {
        Some(c) => format!(
            "{sign}{}{}",
            c.symbol(locale),
            figure(minor.unsigned_abs(), c.minor_units)
        ),
        None => format!("{sign}{} {currency}", figure(minor.unsigned_abs(), 2)),
    }
}

/// Grouped digits with `minor_units` decimals: `1,234.50`.
pub fn figure(abs: u64, minor_units: u32) -> String {
    let scale = 10u64.pow(minor_units);
    let whole = group(abs / scale);
    if minor_units == 0 {
        return whole;
    }
    format!(
        "{whole}.{:0width$}",
        abs % scale,
        width = minor_units as usize
    )
}

/// A count with its thousands grouped: `12,345`.
pub fn group(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_locale_writes_its_own_symbol() {
        assert_eq!(format(123_450, "CNY", Locale::ZhCn), "¥1,234.50");
        assert_eq!(format(123_450, "CNY", Locale::En), "CN¥1,234.50");
        assert_eq!(format(123_450, "USD", Locale::En), "$1,234.50");
        assert_eq!(format(123_450, "USD", Locale::ZhCn), "US$1,234.50");
        assert_eq!(format(10_000_000_005, "EUR", Locale::En), "€100,000,000.05");
        assert_eq!(format(-100_000, "USD", Locale::En), "-$1,000.00");
        assert_eq!(format(0, "USD", Locale::En), "$0.00");
        assert_eq!(format(5, "CNY", Locale::ZhCn), "¥0.05");
    }

    #[test]
    fn minor_units_follow_the_currency() {
        assert_eq!(format(1_234_567, "JPY", Locale::En), "¥1,234,567");
        assert_eq!(format(123_456, "XYZ", Locale::En), "1,234.56 XYZ");
        assert_eq!(group(999), "999");
        assert_eq!(group(1_000), "1,000");
        assert_eq!(group(0), "0");
    }
}
