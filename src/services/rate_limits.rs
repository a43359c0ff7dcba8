//! Rate limits on what costs us or a mailbox something: sign-in attempts,
//! registrations, password-reset mail and verification mail, per client
//! address and per target email. Counted in fixed windows in the database,
//! so every instance shares one count. The count is taken before anything
//! else is looked at, so a refusal says nothing about which accounts exist.

use std::time::Duration;

use crate::auth::opaque::hash_token;
use crate::db::{rate_limits, write_transaction, AnyConnection};
use crate::domain::Email;

/// At most `max` attempts per `window`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    pub max: u32,
    pub window: Duration,
}

impl Limit {
    pub const fn per(max: u32, window_secs: u64) -> Self {
        Self {
            max,
            window: Duration::from_secs(window_secs),
        }
    }

    /// `20/1h`, `5/15m`, `30/60s`, `100/1d`, or `off` (no limit: `None`).
    pub fn parse(raw: &str) -> Result<Option<Self>, String> {
        let raw = raw.trim();
        if raw.eq_ignore_ascii_case("off") {
            return Ok(None);
        }
        let bad = || format!("{raw:?} is not a limit such as 20/1h, 5/15m, 30/60s or off");
        let (max, window) = raw.split_once('/').ok_or_else(bad)?;
        let max: u32 = max.trim().parse().map_err(|_| bad())?;
        let window = window.trim();
        let split = window.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
        let (count, unit) = window.split_at(split);
        let count: u64 = if count.is_empty() {
            1
        } else {
            count.parse().map_err(|_| bad())?
        };
        let unit_secs = match unit {
            "s" => 1,
            "m" => 60,
            "h" => 3600,
            "d" => 86_400,
            _ => return Err(bad()),
        };
        let secs = count.saturating_mul(unit_secs);
        if max == 0 || secs == 0 || secs > 86_400 {
            return Err(format!(
                "{raw:?}: the count must be at least 1 and the window 1s to 1d"
            ));
        }
        Ok(Some(Self::per(max, secs)))
    }
}

pub use crate::db::rate_limits::MAX_WINDOW_SECS;

/// The configured limits; `None` is no limit.
#[derive(Debug, Clone, Copy)]
pub struct RateLimits {
    pub login_per_address: Option<Limit>,
    pub register_per_address: Option<Limit>,
    pub register_per_email: Option<Limit>,
    pub password_reset_per_address: Option<Limit>,
    pub password_reset_per_email: Option<Limit>,
    pub verification_per_address: Option<Limit>,
    pub verification_per_email: Option<Limit>,
    /// Questions and replies, per account.
    pub posts_per_account: Option<Limit>,
    /// Attempts at the EU knowledge test, per account: each attempt's score
    /// is shown, so unlimited attempts would let anyone find the answers by
    /// trial.
    pub knowledge_test_per_account: Option<Limit>,
}

impl Default for RateLimits {
    fn default() -> Self {
        Self {
            login_per_address: Some(Limit::per(20, 60)),
            register_per_address: Some(Limit::per(10, 3600)),
            register_per_email: Some(Limit::per(3, 3600)),
            password_reset_per_address: Some(Limit::per(10, 3600)),
            password_reset_per_email: Some(Limit::per(3, 3600)),
            verification_per_address: Some(Limit::per(10, 3600)),
            verification_per_email: Some(Limit::per(3, 3600)),
            posts_per_account: Some(Limit::per(20, 3600)),
            knowledge_test_per_account: Some(Limit::per(3, 86_400)),
        }
    }
}

/// What is being attempted, and by whom or for whom.
#[derive(Debug, Clone, Copy)]
pub enum Attempt<'a> {
    Login {
        client_ip: &'a str,
    },
    Register {
        client_ip: &'a str,
        email: &'a Email,
    },
    PasswordReset {
        client_ip: &'a str,
        email: &'a Email,
    },
    VerificationMail {
        client_ip: &'a str,
        email: &'a Email,
    },
    /// A question or reply on an offering.
    Post {
        account_id: &'a str,
    },
    /// An attempt at the knowledge test (eu_ecsp).
    KnowledgeTest {
        account_id: &'a str,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("too many attempts; try again in {retry_after_secs} s")]
pub struct Exceeded {
    pub retry_after_secs: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum LimitError {
    #[error(transparent)]
    Exceeded(#[from] Exceeded),
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

impl RateLimits {
    /// The buckets an attempt counts against, with their limits.
    fn buckets(&self, attempt: Attempt<'_>) -> Vec<(String, Limit)> {
        let (action, ip, email, per_ip, per_email) = match attempt {
            Attempt::Post { account_id } => {
                return self
                    .posts_per_account
                    .map(|limit| (format!("post:account:{account_id}"), limit))
                    .into_iter()
                    .collect();
            }
            Attempt::KnowledgeTest { account_id } => {
                return self
                    .knowledge_test_per_account
                    .map(|limit| (format!("knowledge_test:account:{account_id}"), limit))
                    .into_iter()
                    .collect();
            }
            Attempt::Login { client_ip } => {
                ("login", client_ip, None, self.login_per_address, None)
            }
            Attempt::Register { client_ip, email } => (
                "register",
                client_ip,
                Some(email),
                self.register_per_address,
                self.register_per_email,
            ),
            Attempt::PasswordReset { client_ip, email } => (
                "password_reset",
                client_ip,
                Some(email),
                self.password_reset_per_address,
                self.password_reset_per_email,
            ),
            Attempt::VerificationMail { client_ip, email } => (
                "verification",
                client_ip,
                Some(email),
                self.verification_per_address,
                self.verification_per_email,
            ),
        };
        let mut buckets = Vec::with_capacity(2);
        if let Some(limit) = per_ip {
            buckets.push((format!("{action}:address:{ip}"), limit));
        }
        if let (Some(email), Some(limit)) = (email, per_email) {
            // Hashed: the table holds no addresses typed by strangers.
            let hash = hash_token(email.as_str());
            buckets.push((format!("{action}:email:{hash}"), limit));
        }
        buckets
    }

    /// Counts the attempt in every bucket it belongs to, and refuses it when
    /// any of them is over its limit (refused attempts count too).
    pub fn hit(&self, conn: &mut AnyConnection, attempt: Attempt<'_>) -> Result<(), LimitError> {
        let buckets = self.buckets(attempt);
        if buckets.is_empty() {
            return Ok(());
        }
        let epoch = chrono::Utc::now().timestamp();
        let counted = write_transaction(conn, |conn| {
            buckets
                .iter()
                .map(|(bucket, limit)| {
                    let window = limit.window.as_secs() as i64;
                    let start = epoch - epoch.rem_euclid(window);
                    let hits = rate_limits::hit(conn, bucket, start)?;
                    Ok((hits, start + window, limit.max))
                })
                .collect::<diesel::QueryResult<Vec<_>>>()
        })?;
        let retry_after = counted
            .into_iter()
            .filter(|(hits, _, max)| *hits as i64 > *max as i64)
            .map(|(_, ends, _)| (ends - epoch).max(1) as u64)
            .max();
        match retry_after {
            Some(retry_after_secs) => Err(Exceeded { retry_after_secs }.into()),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_limits() {
        assert_eq!(Limit::parse("20/1h"), Ok(Some(Limit::per(20, 3600))));
        assert_eq!(Limit::parse("5/15m"), Ok(Some(Limit::per(5, 900))));
        assert_eq!(Limit::parse(" 30/60s "), Ok(Some(Limit::per(30, 60))));
        assert_eq!(Limit::parse("3/h"), Ok(Some(Limit::per(3, 3600))));
        assert_eq!(Limit::parse("1/1d"), Ok(Some(Limit::per(1, 86_400))));
        assert_eq!(Limit::parse("OFF"), Ok(None));
        for bad in [
            "", "20", "20/", "20/1", "0/1h", "20/0s", "20/2d", "x/1h", "20/1w", "-1/1h",
        ] {
            assert!(Limit::parse(bad).is_err(), "{bad}");
        }
    }
}
