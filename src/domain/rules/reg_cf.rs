//! The Reg CF rolling 12-month investment limit for non-accredited investors.
//!
//! If annual income or net worth is below the threshold: the greater of the
//! floor or 5% of the greater of income and net worth. If both are at least the
//! threshold: 10% of the greater, capped. Accredited investors have no limit.
//! Percentages round down (in the investor's protection).

/// The rule's figures, in minor units and basis points (configurable).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RegCfRule {
    pub threshold: i64,
    pub floor: i64,
    pub lower_bps: i64,
    pub upper_bps: i64,
    pub cap: i64,
}

impl Default for RegCfRule {
    /// The figures in force: 124,000 / 2,500 / 5% / 10% / 124,000 (USD, in cents).
    fn default() -> Self {
        Self {
            threshold: 12_400_000,
            floor: 250_000,
            lower_bps: 500,
            upper_bps: 1_000,
            cap: 12_400_000,
        }
    }
}

/// What a profile declares that the limit depends on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InvestorFinances {
    pub annual_income: i64,
    pub net_worth: i64,
    pub accredited: bool,
}

/// The 12-month limit, or `None` when there is none (accredited).
pub fn annual_limit(rule: &RegCfRule, f: &InvestorFinances) -> Option<i64> {
    if f.accredited {
        return None;
    }
    let greater = f.annual_income.max(f.net_worth);
    let pct = |bps: i64| ((greater as i128 * bps as i128) / 10_000) as i64;
    if f.annual_income < rule.threshold || f.net_worth < rule.threshold {
        Some(rule.floor.max(pct(rule.lower_bps)))
    } else {
        Some(pct(rule.upper_bps).min(rule.cap))
    }
}

/// What remains of the limit after what was invested in the last 12 months
/// (here and, as declared, elsewhere). Never negative.
pub fn remaining(limit: Option<i64>, invested_here: i64, declared_elsewhere: i64) -> Option<i64> {
    limit.map(|l| (l - invested_here.saturating_add(declared_elsewhere)).max(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    const USD: i64 = 100; // cents per dollar

    fn limit(income: i64, worth: i64) -> Option<i64> {
        annual_limit(
            &RegCfRule::default(),
            &InvestorFinances {
                annual_income: income * USD,
                net_worth: worth * USD,
                accredited: false,
            },
        )
    }

    #[test]
    fn small_means_get_the_floor() {
        assert_eq!(limit(0, 0), Some(2_500 * USD));
        assert_eq!(limit(30_000, 20_000), Some(2_500 * USD));
        // 5% of 50,000 is exactly the floor.
        assert_eq!(limit(50_000, 10_000), Some(2_500 * USD));
    }

    #[test]
    fn below_the_threshold_five_percent_of_the_greater() {
        assert_eq!(limit(80_000, 10_000), Some(4_000 * USD));
        // Just below the threshold on one side only: still the 5% branch.
        assert_eq!(limit(123_999, 500_000), Some(25_000 * USD));
        assert_eq!(limit(500_000, 123_999), Some(25_000 * USD));
    }

    #[test]
    fn at_and_above_the_threshold_ten_percent_capped() {
        // Both exactly at the threshold: 10%.
        assert_eq!(limit(124_000, 124_000), Some(12_400 * USD));
        assert_eq!(limit(200_000, 150_000), Some(20_000 * USD));
        // The cap.
        assert_eq!(limit(2_000_000, 1_240_000), Some(124_000 * USD));
        assert_eq!(limit(1_240_000, 124_000), Some(124_000 * USD));
        assert_eq!(limit(1_250_000, 124_000), Some(124_000 * USD));
    }

    #[test]
    fn percentages_round_down() {
        let f = InvestorFinances {
            annual_income: 12_400_000,
            net_worth: 12_400_009,
            accredited: false,
        };
        assert_eq!(annual_limit(&RegCfRule::default(), &f), Some(1_240_000));
    }

    #[test]
    fn accredited_investors_have_no_limit() {
        let f = InvestorFinances {
            annual_income: 0,
            net_worth: 0,
            accredited: true,
        };
        assert_eq!(annual_limit(&RegCfRule::default(), &f), None);
        assert_eq!(remaining(None, 10, 10), None);
    }

    #[test]
    fn declared_outside_investments_count_against_it() {
        let l = limit(80_000, 10_000); // 4,000
        assert_eq!(remaining(l, 1_000 * USD, 2_000 * USD), Some(1_000 * USD));
        assert_eq!(remaining(l, 0, 5_000 * USD), Some(0));
    }
}
