//! The EU crowdfunding regulation, Regulation (EU) 2020/1503 (ECSP), for
//! non-sophisticated investors (Annex II defines the sophisticated ones;
//! none of this applies to them):
//! - art. 21: before they first invest, an entry knowledge test, reviewed
//!   every two years (its form: Delegated Regulation (EU) 2022/2114);
//! - art. 21(5): a simulation of their ability to bear loss, 10% of their
//!   net worth;
//! - art. 21(7): an explicit warning, acknowledged, before an investment in
//!   one project above the higher of EUR 1,000 or 5% of their net worth;
//! - art. 22: a reflection period of four calendar days from the offer to
//!   invest, during which they may revoke it without giving a reason or
//!   incurring a penalty.
//!
//! Figures in cents.

use chrono::{NaiveDateTime, TimeDelta};

/// The reflection period (art. 22(2)).
pub const REFLECTION_PERIOD: TimeDelta = TimeDelta::days(4);
/// How long a passed knowledge test stays in force (art. 21: reviewed
/// every two years).
pub const KNOWLEDGE_TEST_VALID_FOR: TimeDelta = TimeDelta::days(2 * 365);
/// The floor of the warning threshold: EUR 1,000.
pub const WARNING_FLOOR: i64 = 100_000;
/// The share of net worth above which the warning is due: 5%.
pub const WARNING_BPS: i64 = 500;
/// The share of net worth the loss simulation shows as the ability to bear
/// loss: 10%.
pub const LOSS_CAPACITY_BPS: i64 = 1_000;

fn share(amount: i64, bps: i64) -> i64 {
    ((i128::from(amount.max(0)) * i128::from(bps)) / 10_000) as i64
}

/// Above what total in one project a non-sophisticated investor must
/// acknowledge the warning.
pub fn warning_threshold(net_worth: i64) -> i64 {
    WARNING_FLOOR.max(share(net_worth, WARNING_BPS))
}

/// Whether an investment bringing the investor's total in one project to
/// `in_project` needs the warning acknowledged.
pub fn needs_warning(net_worth: i64, in_project: i64) -> bool {
    in_project > warning_threshold(net_worth)
}

/// The ability to bear loss the simulation shows.
pub fn loss_capacity(net_worth: i64) -> i64 {
    share(net_worth, LOSS_CAPACITY_BPS)
}

/// Until when a subscription made at `at` may be revoked.
pub fn revocable_until(at: NaiveDateTime) -> NaiveDateTime {
    at + REFLECTION_PERIOD
}

/// Whether a test passed at `passed_at` is in force at `now`.
pub fn knowledge_test_in_force(passed_at: Option<NaiveDateTime>, now: NaiveDateTime) -> bool {
    passed_at.is_some_and(|at| at <= now && now < at + KNOWLEDGE_TEST_VALID_FOR)
}

/// What a non-sophisticated investor still has to do before subscribing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Missing {
    KnowledgeTest,
    LossSimulation,
}

/// The first step missing before a non-sophisticated investor's first
/// subscription, if any.
pub fn missing_step(
    test_passed_at: Option<NaiveDateTime>,
    simulation_at: Option<NaiveDateTime>,
    now: NaiveDateTime,
) -> Option<Missing> {
    if !knowledge_test_in_force(test_passed_at, now) {
        Some(Missing::KnowledgeTest)
    } else if simulation_at.is_none() {
        Some(Missing::LossSimulation)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EUR: i64 = 100;

    fn day(d: u32) -> NaiveDateTime {
        chrono::NaiveDate::from_ymd_opt(2026, 3, d)
            .and_then(|d| d.and_hms_opt(9, 30, 0))
            .unwrap()
    }

    #[test]
    fn the_warning_is_above_the_higher_of_a_thousand_euros_or_five_percent() {
        assert_eq!(warning_threshold(0), 1_000 * EUR);
        assert_eq!(warning_threshold(20_000 * EUR), 1_000 * EUR);
        assert_eq!(warning_threshold(100_000 * EUR), 5_000 * EUR);
        assert!(!needs_warning(100_000 * EUR, 5_000 * EUR));
        assert!(needs_warning(100_000 * EUR, 5_000 * EUR + 1));
        assert!(needs_warning(-5, 1_000 * EUR + 1));
    }

    #[test]
    fn loss_capacity_is_ten_percent_of_net_worth_rounded_down() {
        assert_eq!(loss_capacity(123_456_789), 12_345_678);
        assert_eq!(loss_capacity(0), 0);
    }

    #[test]
    fn the_reflection_period_is_four_calendar_days() {
        assert_eq!(revocable_until(day(1)), day(5));
    }

    #[test]
    fn the_test_then_the_simulation_each_in_force() {
        assert_eq!(
            missing_step(None, None, day(1)),
            Some(Missing::KnowledgeTest)
        );
        assert_eq!(
            missing_step(Some(day(1)), None, day(2)),
            Some(Missing::LossSimulation)
        );
        assert_eq!(missing_step(Some(day(1)), Some(day(1)), day(2)), None);
        // Two years later the test is due again.
        let later = day(1) + KNOWLEDGE_TEST_VALID_FOR;
        assert_eq!(
            missing_step(Some(day(1)), Some(day(1)), later),
            Some(Missing::KnowledgeTest)
        );
    }
}
