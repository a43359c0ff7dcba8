//! Rounds led by a lead investor (领投 + 跟投): the lead, approved by an
//! operator, commits at least a share of the round (`lead_min_bps` of the
//! target) before followers may subscribe; the lead's carry is recorded in
//! basis points of the followers' profit, for later distributions.

/// The least the lead must have committed to a round of `target`, rounded
/// up to whole shares of `price`.
pub fn min_commitment(target: i64, min_bps: i32, price: i64) -> i64 {
    let up = |n: i128, d: i128| (n + d - 1) / d;
    let raw = up(
        i128::from(target.max(0)) * i128::from(min_bps.max(0)),
        10_000,
    );
    let price = i128::from(price.max(1));
    (up(raw, price) * price).min(i128::from(target)) as i64
}

/// Whether followers may subscribe: the lead's commitment is in.
pub fn committed(lead_committed: i64, min: i64) -> bool {
    lead_committed > 0 && lead_committed >= min
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_minimum_is_a_share_of_the_target_in_whole_shares() {
        assert_eq!(min_commitment(1_000_000, 1_000, 100), 100_000);
        // 10% of 1,000,050 is 100,005: 1,001 shares of 100.
        assert_eq!(min_commitment(1_000_050, 1_000, 100), 100_100);
        assert_eq!(min_commitment(1_000, 10_000, 100), 1_000);
        assert_eq!(min_commitment(900, 10_000, 1_000), 900);
    }

    #[test]
    fn followers_wait_until_the_lead_is_in() {
        assert!(!committed(0, 0));
        assert!(!committed(99_999, 100_000));
        assert!(committed(100_000, 100_000));
    }
}
