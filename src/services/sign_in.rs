//! Signing in: the password check, and the lockout that protects it without
//! handing attackers a way to lock owners out.
//!
//! Failures are counted per (email, client address): the fifth in a row
//! from one address locks that address out of that email for a minute, and
//! each further failure after a lock doubles it, up to an hour. A flood from
//! one address therefore never locks the owner out from another. Against
//! guessing spread over many addresses, failures are also counted per
//! email, whatever the address: after twenty in a row the account accepts
//! sign-ins only from addresses it has signed in from before, for the same
//! growing periods. The owner is emailed (at most hourly) once failures pile
//! up; a password reset lifts every lock.
//!
//! Unknown emails are counted and locked exactly like known ones, and every
//! refusal takes one argon2 verification, so neither the answers nor their
//! timing tell which accounts exist. Locks are checked again after the
//! password (argon2 may queue under load), in the transaction that opens
//! the session, which also holds the user's row: a sign-in racing a
//! password reset or disabling either commits first (and is ended by it)
//! or is refused.

use std::time::Duration;

use chrono::{NaiveDateTime, TimeDelta};

use crate::auth::password::{verify_against_dummy, verify_password};
use crate::db::users::User;
use crate::db::{clock, sign_in, write_transaction, AnyConnection};
use crate::domain::Email;
use crate::mail::{self, enqueue, Message};

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

/// The lock that refuses this attempt, if any: the address's own, or the
/// email's when the address has never signed in to it.
fn lock_in_force(
    conn: &mut AnyConnection,
    email: &str,
    client_ip: &str,
    now: NaiveDateTime,
) -> diesel::QueryResult<Option<NaiveDateTime>> {
    let address = sign_in::find(conn, email, client_ip)?;
    if let Some(until) = address
        .as_ref()
        .and_then(|a| a.locked_until)
        .filter(|until| *until > now)
    {
        return Ok(Some(until));
    }
    if address.is_some_and(|a| a.last_success_at.is_some()) {
        return Ok(None);
    }
    Ok(sign_in::email_locked_until(conn, email)?.filter(|until| *until > now))
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
    let locked = |until: NaiveDateTime, now: NaiveDateTime| AccountError::Locked {
        retry_after_secs: seconds_until(now, until),
    };
    let before = clock(conn)?;
    if let Some(until) = lock_in_force(conn, email, client_ip, before)? {
        verify_against_dummy(password);
        return Err(locked(until, before));
    }
    let user = User::find_by_email(conn, email)?;
    let verified = match &user {
        Some(user) => verify_password(password, &user.password_hash),
        None => {
            verify_against_dummy(password);
            false
        }
    };
    // The check may have queued behind others: what it records starts now.
    let now = clock(conn)?;
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
    let opened = write_transaction(conn, |conn| -> Result<_, AccountError> {
        // Locks placed while the password was being checked still refuse;
        // a password reset or disabling committed meanwhile does too.
        if let Some(until) = lock_in_force(conn, email, client_ip, now)? {
            return Err(locked(until, now));
        }
        if !User::hold_for_sign_in(conn, &user.id, &user.password_hash)? {
            return Err(AccountError::InvalidCredentials);
        }
        sign_in::record_success(conn, email, client_ip, now)?;
        Ok(sessions::open(conn, &user.id, now, settings.refresh_ttl)?)
    })?;
    sessions::tokens(settings, &user, opened)
}

/// Checks a signed-in user's current password (to change it) as a sign-in
/// checks one: refused while a sign-in lock holds for this address, and a
/// wrong one counted as a failed sign-in (locks, the owner's alert), so a
/// stolen session cannot guess its way to the password.
pub fn check_current_password(
    conn: &mut AnyConnection,
    user: &User,
    password: &str,
    client_ip: &str,
    policy: &LockoutPolicy,
) -> Result<(), AccountError> {
    let before = clock(conn)?;
    if let Some(until) = lock_in_force(conn, &user.email, client_ip, before)? {
        verify_against_dummy(password);
        return Err(AccountError::Locked {
            retry_after_secs: seconds_until(before, until),
        });
    }
    if verify_password(password, &user.password_hash) {
        return Ok(());
    }
    let owner = Some((user.id.as_str(), user.email.as_str()));
    let at = clock(conn)?;
    record_failure(conn, &user.email, client_ip, owner, policy, at)?;
    Err(AccountError::WrongPassword)
}

/// Counts a failed sign-in from `client_ip`, locks what has earned a lock,
/// and emails the owner (if the email has one) when failures pile up.
fn record_failure(
    conn: &mut AnyConnection,
    email: &str,
    client_ip: &str,
    owner: Option<(&str, &str)>,
    policy: &LockoutPolicy,
    now: NaiveDateTime,
) -> Result<(), AccountError> {
    write_transaction(conn, |conn| {
        // Rows in the order every sign-in transaction takes them: the user,
        // the address's record, the email's record.
        if let Some((user_id, _)) = owner {
            User::hold(conn, user_id)?;
        }
        let from_here = sign_in::record_failure(conn, email, client_ip, now)?;
        if let Some(lock) = policy.lock_for(from_here, policy.address_failures) {
            sign_in::lock(conn, email, client_ip, now + lock)?;
            tracing::warn!(client_ip, "sign-in locked for an address after failures");
        }
        let in_a_row = sign_in::record_email_failure(conn, email, now)?;
        if let Some(lock) = policy.lock_for(in_a_row, policy.account_failures) {
            sign_in::lock_email(conn, email, now + lock)?;
            tracing::warn!("sign-in from new addresses locked for an email after failures");
        }
        let Some((user_id, _)) = owner else {
            return Ok(());
        };
        if in_a_row >= policy.alert_after
            && User::claim_sign_in_alert(conn, user_id, now, now - ALERT_QUIET)?
        {
            if let Some(user) = User::find(conn, user_id)? {
                let message = Message::FailedSignIns {
                    failures: i64::from(in_a_row),
                    client_ip: client_ip.to_string(),
                };
                enqueue(conn, &mail::Email::to_user(&user, message))?;
            }
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
