//! China's rules for private equity crowdfunding, as the Securities
//! Association of China's draft of December 2014 sets them
//! (《私募股权众筹融资管理办法（试行）（征求意见稿）》, art. 14): only
//! qualified investors may invest, and a round may have at most 200
//! investors (the Securities Law's limit for a private offering). Figures
//! in fen (CNY minor units).
//!
//! A qualified investor is
//! - an individual with financial assets of at least ¥3,000,000, or an
//!   average annual income of at least ¥500,000 over the last three years;
//! - an institution with net assets of at least ¥10,000,000; or
//! - anyone investing at least ¥1,000,000 in the one round.

use super::reg_cf::InvestorFinances;

/// The most investors one round may have.
pub const MAX_INVESTORS: i64 = 200;
/// An individual's financial assets that qualify: ¥3,000,000.
pub const FINANCIAL_ASSETS: i64 = 300_000_000;
/// An individual's average annual income over three years that qualifies:
/// ¥500,000.
pub const AVERAGE_INCOME: i64 = 50_000_000;
/// An institution's net assets that qualify: ¥10,000,000.
pub const INSTITUTION_NET_ASSETS: i64 = 1_000_000_000;
/// What qualifies anyone for one round: investing at least ¥1,000,000 in it.
pub const ROUND_AMOUNT: i64 = 100_000_000;

/// Who invests: a person or an institution.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvestorType {
    Individual,
    Institution,
}

impl InvestorType {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Individual => "individual",
            Self::Institution => "institution",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "individual" => Some(Self::Individual),
            "institution" => Some(Self::Institution),
            _ => None,
        }
    }
}

/// What an investor declared (and KYC approved) that qualification rests on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Declared {
    pub investor_type: InvestorType,
    pub financial_assets: i64,
    pub average_income_3y: i64,
    /// For an institution, its net assets.
    pub net_worth: i64,
}

impl Declared {
    pub fn of(f: &InvestorFinances, investor_type: InvestorType, assets: i64, income: i64) -> Self {
        Self {
            investor_type,
            financial_assets: assets,
            average_income_3y: income,
            net_worth: f.net_worth,
        }
    }
}

/// Why an investor is qualified.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Qualification {
    FinancialAssets,
    AverageIncome,
    InstitutionNetAssets,
    /// Not qualified by what they declared, but investing at least
    /// [`ROUND_AMOUNT`] in this round.
    RoundAmount,
}

impl Qualification {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::FinancialAssets => "financial_assets",
            Self::AverageIncome => "average_income",
            Self::InstitutionNetAssets => "institution_net_assets",
            Self::RoundAmount => "round_amount",
        }
    }
}

/// Whether what the investor declared qualifies them for any round.
pub fn qualified_by_declaration(d: &Declared) -> Option<Qualification> {
    match d.investor_type {
        InvestorType::Institution => {
            (d.net_worth >= INSTITUTION_NET_ASSETS).then_some(Qualification::InstitutionNetAssets)
        }
        InvestorType::Individual if d.financial_assets >= FINANCIAL_ASSETS => {
            Some(Qualification::FinancialAssets)
        }
        InvestorType::Individual => {
            (d.average_income_3y >= AVERAGE_INCOME).then_some(Qualification::AverageIncome)
        }
    }
}

/// Whether the investor may hold `in_round` (what they would then have
/// committed to the round in all) in a round.
pub fn qualifies(d: &Declared, in_round: i64) -> Option<Qualification> {
    qualified_by_declaration(d).or((in_round >= ROUND_AMOUNT).then_some(Qualification::RoundAmount))
}

#[cfg(test)]
mod tests {
    use super::*;

    const YUAN: i64 = 100;

    fn person(assets: i64, income: i64) -> Declared {
        Declared {
            investor_type: InvestorType::Individual,
            financial_assets: assets * YUAN,
            average_income_3y: income * YUAN,
            net_worth: 0,
        }
    }

    #[test]
    fn individuals_qualify_by_assets_or_income_at_the_thresholds() {
        assert_eq!(
            qualified_by_declaration(&person(3_000_000, 0)),
            Some(Qualification::FinancialAssets)
        );
        assert_eq!(qualified_by_declaration(&person(2_999_999, 499_999)), None);
        assert_eq!(
            qualified_by_declaration(&person(0, 500_000)),
            Some(Qualification::AverageIncome)
        );
    }

    #[test]
    fn institutions_qualify_by_net_assets_only() {
        let mut firm = person(50_000_000, 50_000_000);
        firm.investor_type = InvestorType::Institution;
        firm.net_worth = 9_999_999 * YUAN;
        assert_eq!(qualified_by_declaration(&firm), None);
        firm.net_worth = 10_000_000 * YUAN;
        assert_eq!(
            qualified_by_declaration(&firm),
            Some(Qualification::InstitutionNetAssets)
        );
    }

    #[test]
    fn anyone_qualifies_for_a_round_they_put_a_million_in() {
        let modest = person(10_000, 10_000);
        assert_eq!(qualifies(&modest, 999_999 * YUAN), None);
        assert_eq!(
            qualifies(&modest, 1_000_000 * YUAN),
            Some(Qualification::RoundAmount)
        );
        // Qualified by declaration, any amount will do.
        assert_eq!(
            qualifies(&person(3_000_000, 0), YUAN),
            Some(Qualification::FinancialAssets)
        );
    }
}
