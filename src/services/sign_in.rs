//! Signing in: the password check, and the lockout that protects it without
//! handing attackers a way to lock owners out.
//!
//! Failures are counted per (email, client address): the fifth in a row
//! from one address locks that address out of that email for a minute, and
//! each further failure after a lock doubles it, up to an hour. A flood from
//! one address therefore never locks the owner out from another. Against
//! guessing spread over many addresses, failures are also counted per
//! account, whatever the address: after twenty in a row the account accepts
//! sign-ins only from addresses it has signed in from before, for the same
//! growing periods. The owner is emailed (at most hourly) once failures pile
//! up; a password reset lifts every lock.
//!
//! Unknown emails are counted and locked exactly like known ones, and every
//! refusal takes one argon2 verification, so neither the answers nor their
//! timing tell which accounts exist.

use std::time::Duration;

use chrono::{NaiveDateTime, TimeDelta};

use crate::auth::password::{verify_against_dummy, verify_password};
use crate::db::users::User;
use crate::db::{now, sign_in, write_transaction, AnyConnection};
use crate::domain::Email;
use crate::mail::{enqueue, templates};

use super::accounts::AccountError;
use super::sessions::{self, SessionSettings, TokenPair};

/// When failures lock, and for how long.
#[derive(Debug, Clone, Copy)]
pub struct LockoutPolicy {
    /// Failures in a row from one address before it is locked out of the account.
    pub address_failures: i32,
    /// Failures in a row from any address before unknown addresses are locked out.
    pub account_failures: i32,
    /// The first lock; each further failure doubles it.
    pub first_lock: Duration,
    pub max_lock: Duration,
    /// Failures in a row (any address) before the owner is emailed.
    pub alert_after: i32,
}

impl Default for LockoutPolicy {
    fn default() -> Self {
        Self {
            address_failures: 5,
            account_failures: 20,
            first_lock: Duration::from_secs(60),
            max_lock: Duration::from_secs(3600),
            alert_after: 5,
        }
    }
}

/// The owner hears of failed sign-ins at most this often.
const ALERT_QUIET: TimeDelta = TimeDelta::hours(1);

impl LockoutPolicy {
    /// How long `failures` in a row lock for, given the threshold.
    fn lock_for(&self, failures: i32, threshold: i32) -> Option<TimeDelta> {
        if failures < threshold {
            return None;
        }
        let doublings = (failures - threshold).min(30) as u32;
        let lock = self
            .first_lock
            .saturating_mul(2u32.saturating_pow(doublings))
            .min(self.max_lock);
        TimeDelta::from_std(lock).ok()
    }
}

/// Whole seconds until `until`, rounded up: retrying after them is never early.
fn seconds_until(now: NaiveDateTime, until: NaiveDateTime) -> u64 {
    let millis = (until - now).num_milliseconds().max(1);
    (millis as u64).div_ceil(1000)
}

/// Checks the password and opens a new session.
pub fn login(
    conn: &mut AnyConnection,
    email: &str,
    password: &str,
    client_ip: &str,
    policy: &LockoutPolicy,
    settings: &SessionSettings<'_>,
) -> Result<TokenPair, AccountError> {
    let Ok(email) = Email::parse(email) else {
        verify_against_dummy(password);
        return Err(AccountError::InvalidCredentials);
    };
    let email = email.as_str();
    let now = now();
    let address = sign_in::find(conn, email, client_ip)?;
    if let Some(until) = address
        .as_ref()
        .and_then(|a| a.locked_until)
        .filter(|until| *until > now)
    {
        verify_against_dummy(password);
        return Err(AccountError::Locked {
            retry_after_secs: seconds_until(now, until),
        });
    }
    let user = User::find_by_email(conn, email)?;
    let known_address = address.is_some_and(|a| a.last_success_at.is_some());
    if let Some(until) = user
        .as_ref()
        .and_then(|u| u.locked_until)
        .filter(|until| *until > now && !known_address)
    {
        verify_against_dummy(password);
        return Err(AccountError::Locked {
            retry_after_secs: seconds_until(now, until),
        });
    }
    let verified = match &user {
        Some(user) => verify_password(password, &user.password_hash),
        None => {
            verify_against_dummy(password);
            false
        }
    };
    let user = match user {
        Some(user) if verified => user,
        other => {
            let owner = other.as_ref().map(|u| (u.id.as_str(), u.email.as_str()));
            record_failure(conn, email, client_ip, owner, policy, now)?;
            return Err(AccountError::InvalidCredentials);
        }
    };
    // Only someone who knows the password learns that the account is disabled.
    if user.disabled_at.is_some() {
        return Err(AccountError::Disabled);
    }
    let opened = write_transaction(conn, |conn| {
        if user.failed_logins > 0 || user.locked_until.is_some() {
            User::clear_failed_logins(conn, &user.id)?;
        }
        sign_in::record_success(conn, email, client_ip, now)?;
        sessions::open(conn, &user.id, now, settings.refresh_ttl)
    })?;
    sessions::tokens(settings, &user, opened)
}

/// Counts a failed sign-in from `client_ip`, locks what has earned a lock,
/// and emails the owner when failures pile up.
fn record_failure(
    conn: &mut AnyConnection,
    email: &str,
    client_ip: &str,
    user: Option<(&str, &str)>,
    policy: &LockoutPolicy,
    now: NaiveDateTime,
) -> Result<(), AccountError> {
    write_transaction(conn, |conn| {
        let from_here = sign_in::record_failure(conn, email, client_ip, now)?;
        if let Some(lock) = policy.lock_for(from_here, policy.address_failures) {
            sign_in::lock(conn, email, client_ip, now + lock)?;
            tracing::warn!(client_ip, "sign-in locked for an address after failures");
        }
        let Some((user_id, owner)) = user else {
            return Ok(());
        };
        let in_a_row = User::record_failed_login(conn, user_id, now)?;
        if let Some(lock) = policy.lock_for(in_a_row, policy.account_failures) {
            User::lock(conn, user_id, now + lock)?;
            tracing::warn!(
                user = user_id,
                "sign-in from new addresses locked after failures"
            );
        }
        if in_a_row >= policy.alert_after
            && User::claim_sign_in_alert(conn, user_id, now, now - ALERT_QUIET)?
        {
            enqueue(
                conn,
                &templates::failed_sign_ins(owner, in_a_row, client_ip),
            )?;
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locks_grow_from_the_threshold_up_to_the_cap() {
        let policy = LockoutPolicy::default();
        let secs = |n| policy.lock_for(n, 5).map(|d| d.num_seconds());
        assert_eq!(secs(4), None);
        assert_eq!(secs(5), Some(60));
        assert_eq!(secs(6), Some(120));
        assert_eq!(secs(8), Some(480));
        assert_eq!(secs(11), Some(3600));
        assert_eq!(secs(1_000), Some(3600));
    }
}
