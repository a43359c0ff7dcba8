//! The rules of each market a deployment can run under (`RULE_PROFILE`):
//! who may invest, how much, how many investors a round may have, the
//! cancellation or reflection window, and when a funded round may settle.
//! Each rule is a small pure function in the module of its profile; the
//! subscribe path and the services ask [`Profile`] which apply.
//!
//! - [`reg_cf`]: the US Regulation Crowdfunding investment limit.
//! - [`cn_private`]: China's 2014 draft rules for private equity
//!   crowdfunding (qualified investors only, at most 200 per round).
//! - [`eu_ecsp`]: the EU crowdfunding regulation (2020/1503): sophisticated
//!   and non-sophisticated investors, the entry knowledge test, the loss
//!   simulation, the warning, the reflection period.
//! - [`leads`]: rounds led by a lead investor (any profile).

pub mod cn_private;
pub mod eu_ecsp;
pub mod knowledge_test;
pub mod leads;
pub mod reg_cf;

use chrono::{NaiveDateTime, TimeDelta};

/// The rulebook a deployment runs under.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Profile {
    RegCf,
    CnPrivate,
    EuEcsp,
}

impl Profile {
    pub const ALL: [Profile; 3] = [Profile::RegCf, Profile::CnPrivate, Profile::EuEcsp];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::RegCf => "reg_cf",
            Self::CnPrivate => "cn_private",
            Self::EuEcsp => "eu_ecsp",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == s)
    }

    /// The currency the profile's figures are in. Reg CF's figures are
    /// configurable (REG_CF_*), so a reg_cf deployment may choose another;
    /// the others' thresholds are the law's, in its currency.
    pub fn currency(self) -> &'static str {
        match self {
            Self::RegCf => "USD",
            Self::CnPrivate => "CNY",
            Self::EuEcsp => "EUR",
        }
    }

    /// Whether the deployment may use another currency than
    /// [`Profile::currency`].
    pub fn currency_fixed(self) -> bool {
        self != Self::RegCf
    }

    /// The most investors a round may have (`None`: no limit by law; an
    /// offering may still set its own).
    pub fn max_investors(self) -> Option<i64> {
        match self {
            Self::CnPrivate => Some(cn_private::MAX_INVESTORS),
            Self::RegCf | Self::EuEcsp => None,
        }
    }

    /// How an investor may take a subscription back.
    pub fn withdrawal(self) -> Withdrawal {
        match self {
            Self::RegCf | Self::CnPrivate => Withdrawal::UntilBeforeDeadline,
            Self::EuEcsp => Withdrawal::Reflection {
                period: eu_ecsp::REFLECTION_PERIOD,
            },
        }
    }
}

/// How an investor may take a subscription back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Withdrawal {
    /// Cancellation while the round is open, until the deployment's cutoff
    /// before its deadline (CANCELLATION_CUTOFF_SECS).
    UntilBeforeDeadline,
    /// Revocation without reason within `period` of subscribing, whatever
    /// the round's state, for non-sophisticated investors only.
    Reflection { period: TimeDelta },
}

/// Whether a round funded before its deadline may settle at `now`.
///
/// - reg_cf: once it has been open at least the shortest offering period
///   (21 days by default; Reg CF lets a round close early only then).
/// - eu_ecsp: once no subscription can still be revoked (`revocable_until`
///   is the latest end of a reflection period among its subscriptions).
/// - cn_private: at once.
///
/// Returns when it may, if not yet.
pub fn settles_from(
    profile: Profile,
    opened_at: NaiveDateTime,
    min_open: TimeDelta,
    revocable_until: Option<NaiveDateTime>,
    now: NaiveDateTime,
) -> Option<NaiveDateTime> {
    let from = match profile {
        Profile::RegCf => Some(opened_at + min_open),
        Profile::EuEcsp => revocable_until,
        Profile::CnPrivate => None,
    }?;
    (now < from).then_some(from)
}

/// Whether one more distinct investor fits a round capped at `max`.
/// An investor who already holds a subscription in it is not a new one.
pub fn admits_investor(max: Option<i64>, count: i64, already_invested: bool) -> bool {
    already_invested || max.is_none_or(|max| count < max)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(day: u32) -> NaiveDateTime {
        chrono::NaiveDate::from_ymd_opt(2026, 1, day)
            .and_then(|d| d.and_hms_opt(12, 0, 0))
            .unwrap()
    }

    #[test]
    fn profiles_round_trip_and_know_their_currency() {
        for p in Profile::ALL {
            assert_eq!(Profile::parse(p.as_str()), Some(p));
        }
        assert_eq!(Profile::parse("REG_CF"), None);
        assert_eq!(Profile::CnPrivate.currency(), "CNY");
        assert_eq!(Profile::EuEcsp.currency(), "EUR");
        assert!(!Profile::RegCf.currency_fixed());
        assert_eq!(Profile::CnPrivate.max_investors(), Some(200));
        assert_eq!(Profile::EuEcsp.max_investors(), None);
    }

    #[test]
    fn the_investor_cap_counts_distinct_investors() {
        assert!(admits_investor(Some(200), 199, false));
        assert!(!admits_investor(Some(200), 200, false));
        // Someone already in the round adds to it without counting again.
        assert!(admits_investor(Some(200), 200, true));
        assert!(admits_investor(None, i64::MAX, false));
    }

    #[test]
    fn when_an_early_round_settles() {
        let min_open = TimeDelta::days(21);
        // Reg CF: 21 days after it opened.
        assert_eq!(
            settles_from(Profile::RegCf, at(1), min_open, None, at(10)),
            Some(at(22))
        );
        assert_eq!(
            settles_from(Profile::RegCf, at(1), min_open, None, at(22)),
            None
        );
        // ECSP: when the last reflection period ends.
        assert_eq!(
            settles_from(Profile::EuEcsp, at(1), min_open, Some(at(5)), at(4)),
            Some(at(5))
        );
        assert_eq!(
            settles_from(Profile::EuEcsp, at(1), min_open, Some(at(5)), at(5)),
            None
        );
        assert_eq!(
            settles_from(Profile::EuEcsp, at(1), min_open, None, at(2)),
            None
        );
        // China's draft rules set no such wait.
        assert_eq!(
            settles_from(Profile::CnPrivate, at(1), min_open, None, at(1)),
            None
        );
    }
}
