//! Closing the books on a round: settling a funded offering (escrow to the
//! sponsor's payout, less the platform fee; subscriptions settled; holdings
//! recorded) and refunding a failed or cancelled one (each active
//! subscription's money back to its investor).
//!
//! Each is one transaction whatever the size of the round, written as
//! set-based statements (one INSERT ... SELECT or UPDATE per step) so that a
//! round of 100,000 subscriptions settles in seconds, and a crash at any
//! moment leaves it either wholly done or not at all.
//!
//! Lock order, as everywhere: the escrow account first, then the offering row.
//! Refunds also update many investors' cash accounts in one statement; on
//! PostgreSQL they take a transaction-scoped advisory lock first, so two
//! refunds never lock the same investors in different orders.

use chrono::NaiveDateTime;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text, Timestamp};
use serde::Serialize;

use crate::config::Rules;
use crate::db::offerings::Offering;
use crate::db::raw::sql;
use crate::db::schema::{offerings, settlements, subscriptions};
use crate::db::subscriptions::Subscription;
use crate::db::users::User;
use crate::db::{clock, new_id, now, write_transaction, AnyConnection};
use crate::domain::rules::{settles_from, Profile};
use crate::i18n;
use crate::ledger::{
    ensure_account, find_account, lock_balance, post, AccountKind, EntryKind, Leg, PLATFORM,
};
use crate::mail::outbox::enqueue_many;
use crate::mail::{enqueue, Email, Message};

use super::error::{not_found, Refusal, RefusalKind, ServiceError, ServiceResult};
use super::views::utc;

const REFUND_LOCK_KEY: i64 = 0x63_66_72_65_66; // "cfref"

/// The platform's fee on `gross`: `bps` basis points, rounded up (in the
/// platform's favour), never more than `gross`. The sponsor gets the rest, so
/// nothing is ever left in escrow.
pub fn platform_fee(gross: i64, bps: i64) -> i64 {
    let fee = (gross as i128 * bps as i128 + 9_999) / 10_000;
    (fee as i64).clamp(0, gross)
}

/// How settlement divides a round's gross.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Split {
    pub fee_bps: i64,
    pub fee: i64,
    pub sponsor_payout: i64,
}

/// The division of `gross` that settling `offering` makes: at the fee fixed
/// on it at approval (offerings approved before fees were fixed: at
/// `default_fee_bps`), by [`platform_fee`]. The one rule of the settlement
/// and of its quote.
pub fn split(offering: &Offering, gross: i64, default_fee_bps: i64) -> Split {
    let fee_bps = offering.fee_bps.map_or(default_fee_bps, i64::from);
    let fee = platform_fee(gross, fee_bps);
    Split {
        fee_bps,
        fee,
        sponsor_payout: gross - fee,
    }
}

#[derive(Debug, Serialize)]
pub struct SettlementView {
    pub offering_id: String,
    pub status: String,
    pub gross: i64,
    pub fee: i64,
    pub fee_bps: i64,
    pub sponsor_payout: i64,
    pub entry_id: String,
    pub subscriptions_settled: i64,
    pub holders: i64,
    pub settled_at: chrono::DateTime<chrono::Utc>,
}

fn wrong_state(o: &Offering, detail: i18n::Text) -> ServiceError {
    Refusal::new(RefusalKind::Conflict, "invalid_offering_state", detail)
        .with("offering_status", o.status.clone())
        .into()
}

/// Refuses to settle a funded round before its rule profile lets it
/// (see [`crate::domain::rules::settles_from`]): 409
/// `offering_period_running` (reg_cf) or `reflection_period_running`
/// (eu_ecsp), with `settles_from`.
fn ensure_settles_now(
    conn: &mut AnyConnection,
    offering: &Offering,
    rules: &Rules,
    now: chrono::NaiveDateTime,
) -> ServiceResult<()> {
    let profile = Profile::parse(&offering.rule_profile).unwrap_or(rules.profile);
    let opened_at = offering
        .opens_at
        .max(offering.approved_at)
        .unwrap_or(offering.created_at);
    let revocable_until = match profile {
        Profile::EuEcsp => Subscription::latest_revocable(conn, &offering.id)?,
        _ => None,
    };
    let Some(from) = settles_from(
        profile,
        opened_at,
        rules.reg_cf_min_open,
        revocable_until,
        now,
    ) else {
        return Ok(());
    };
    let (code, detail) = match profile {
        Profile::EuEcsp => (
            "reflection_period_running",
            i18n::Text::new("problem-reflection_period_running"),
        ),
        _ => (
            "offering_period_running",
            i18n::Text::new("problem-offering_period_running"),
        ),
    };
    Err(Refusal::new(RefusalKind::Conflict, code, detail)
        .with("settles_from", utc(from).to_rfc3339())
        .into())
}

/// Settles a funded offering at the fee fixed on it at approval (offerings
/// approved before fees were fixed settle at `default_fee_bps`). Settling
/// twice, or anything not funded, is refused and changes nothing.
pub fn settle(
    conn: &mut AnyConnection,
    offering_id: &str,
    operator_id: &str,
    rules: &Rules,
    currency: &str,
) -> ServiceResult<SettlementView> {
    let default_fee_bps = rules.platform_fee_bps;
    write_transaction(conn, |conn| {
        let now = clock(conn)?;
        let offering = Offering::find(conn, offering_id)?.ok_or_else(|| not_found("offering"))?;
        let Some(escrow) = find_account(conn, AccountKind::OfferingEscrow, offering_id)? else {
            return Err(wrong_state(
                &offering,
                i18n::Text::new("problem-invalid_offering_state-settle"),
            ));
        };
        let gross = lock_balance(conn, &escrow.id)?;
        // Re-read under the escrow lock: a concurrent settlement has committed or not.
        let offering = Offering::find(conn, offering_id)?.ok_or_else(|| not_found("offering"))?;
        if offering.status != "funded" {
            return Err(wrong_state(
                &offering,
                i18n::Text::new("problem-invalid_offering_state-settle"),
            ));
        }
        super::material_changes::ensure_none_awaiting(conn, offering_id)?;
        super::leads::ensure_lead_committed(conn, &offering)?;
        ensure_settles_now(conn, &offering, rules, now)?;
        if gross != offering.raised || gross <= 0 {
            return Err(ServiceError::Internal(anyhow::anyhow!(
                "escrow of offering {offering_id} holds {gross}, raised is {}",
                offering.raised
            )));
        }
        let Split {
            fee_bps,
            fee,
            sponsor_payout: net,
        } = split(&offering, gross, default_fee_bps);
        let payout = ensure_account(
            conn,
            AccountKind::SponsorPayout,
            &offering.sponsor_id,
            currency,
        )?;
        let fee_account = ensure_account(conn, AccountKind::PlatformFee, PLATFORM, currency)?;
        let mut legs = vec![Leg {
            account_id: &escrow.id,
            amount: -gross,
        }];
        if net > 0 {
            legs.push(Leg {
                account_id: &payout,
                amount: net,
            });
        }
        if fee > 0 {
            legs.push(Leg {
                account_id: &fee_account,
                amount: fee,
            });
        }
        let entry_id = post(
            conn,
            EntryKind::Settlement,
            offering_id,
            &format!(
                "Settlement of {}: {} to the sponsor, {} fee",
                offering.title, net, fee
            ),
            &legs,
        )?;
        let settled = diesel::update(
            subscriptions::table
                .filter(subscriptions::offering_id.eq(offering_id))
                .filter(subscriptions::status.eq("active")),
        )
        .set((
            subscriptions::status.eq("settled"),
            subscriptions::updated_at.eq(now),
        ))
        .execute(conn)? as i64;
        let holders = record_holdings(conn, &offering, now)?;
        diesel::insert_into(settlements::table)
            .values((
                settlements::offering_id.eq(offering_id),
                settlements::entry_id.eq(&entry_id),
                settlements::gross.eq(gross),
                settlements::fee.eq(fee),
                settlements::net.eq(net),
                settlements::fee_bps.eq(fee_bps as i32),
                settlements::settled_by.eq(operator_id),
                settlements::settled_at.eq(now),
            ))
            .execute(conn)?;
        notify_holders(conn, &offering, now, currency)?;
        if let Some(sponsor) = User::find(conn, &offering.sponsor_id)? {
            let message = Message::OfferingSettledSponsor {
                offering_title: offering.title.clone(),
                gross,
                fee,
                fee_bps,
                net,
                currency: currency.to_string(),
            };
            enqueue(conn, &Email::to_user(&sponsor, message))?;
        }
        let moved = diesel::update(
            offerings::table
                .find(offering_id)
                .filter(offerings::status.eq("funded")),
        )
        .set((
            offerings::status.eq("settled"),
            offerings::updated_at.eq(now),
        ))
        .execute(conn)?;
        if moved != 1 {
            return Err(wrong_state(
                &offering,
                i18n::Text::new("problem-invalid_offering_state-changed"),
            ));
        }
        Ok(SettlementView {
            offering_id: offering_id.to_string(),
            status: "settled".into(),
            gross,
            fee,
            fee_bps,
            sponsor_payout: net,
            entry_id,
            subscriptions_settled: settled,
            holders,
            settled_at: utc(now),
        })
    })
}

/// What settling a funded round would do now, without doing it.
#[derive(Debug, Serialize)]
pub struct SettlementQuote {
    pub offering_id: String,
    /// What settlement pays out of escrow: the offering's `raised`.
    pub gross: i64,
    pub fee_bps: i64,
    pub fee: i64,
    pub sponsor_payout: i64,
    pub currency: String,
    /// Subscriptions awaiting reconfirmation of a material change: while
    /// any do, settling is refused (`reconfirmations_pending`).
    pub awaiting_reconfirmation: i64,
}

/// The settlement of a funded offering as [`settle`] would make it now, by
/// the same [`split`]; reads only. An offering that does not exist or was
/// never approved (there is nothing it could ever settle) is not found; any
/// other status than funded is refused as settling it would be.
pub fn quote(
    conn: &mut AnyConnection,
    offering_id: &str,
    default_fee_bps: i64,
    currency: &str,
) -> ServiceResult<SettlementQuote> {
    crate::db::read_snapshot(conn, |conn| {
        let offering = Offering::find(conn, offering_id)?
            .filter(|o| o.approved_at.is_some())
            .ok_or_else(|| not_found("offering"))?;
        if offering.status != "funded" {
            return Err(wrong_state(
                &offering,
                i18n::Text::new("problem-invalid_offering_state-settle"),
            ));
        }
        let awaiting = crate::db::material_changes::awaiting(conn, offering_id)?;
        let gross = offering.raised;
        let Split {
            fee_bps,
            fee,
            sponsor_payout,
        } = split(&offering, gross, default_fee_bps);
        Ok(SettlementQuote {
            offering_id: offering.id,
            gross,
            fee_bps,
            fee,
            sponsor_payout,
            currency: currency.to_string(),
            awaiting_reconfirmation: awaiting,
        })
    })
}

/// One holding per investor: the sum of their settled subscriptions.
fn record_holdings(
    conn: &mut AnyConnection,
    offering: &Offering,
    now: NaiveDateTime,
) -> QueryResult<i64> {
    // Time-ordered prefix + investor id: unique, and sorts like the other ids.
    sql("INSERT INTO holdings (id, investor_id, offering_id, shares, price_per_share, amount, acquired_at) \
         SELECT $1 || ':' || s.investor_id, s.investor_id, s.offering_id, SUM(s.shares), $2, SUM(s.amount), $3 \
         FROM subscriptions s WHERE s.offering_id = $4 AND s.status = 'settled' \
         GROUP BY s.investor_id, s.offering_id")
    .bind::<Text, _>(new_id())
    .bind::<BigInt, _>(offering.price_per_share)
    .bind::<Timestamp, _>(now)
    .bind::<Text, _>(&offering.id)
    .execute(conn)
    .map(|n| n as i64)
}

/// "Shares allotted" to every holder, each in their language, queued in
/// one statement.
fn notify_holders(
    conn: &mut AnyConnection,
    offering: &Offering,
    now: NaiveDateTime,
    currency: &str,
) -> QueryResult<()> {
    let holders: Vec<Recipient> = sql(
        "SELECT h.investor_id AS key, u.email, u.locale, u.time_zone, h.shares, h.amount \
         FROM holdings h JOIN users u ON u.id = h.investor_id WHERE h.offering_id = $1",
    )
    .bind::<Text, _>(&offering.id)
    .load(conn)?;
    let prefix = new_id();
    let emails: Vec<(String, Email)> = holders
        .into_iter()
        .map(|h| {
            let message = Message::SharesAllotted {
                offering_title: offering.title.clone(),
                security_type: offering.security_type.clone(),
                shares: h.shares,
                price_per_share: offering.price_per_share,
                amount: h.amount,
                currency: currency.to_string(),
                at: utc(now),
            };
            (format!("{prefix}:{}", h.key), h.email(message))
        })
        .collect();
    enqueue_many(conn, &emails, now)
}

/// Whom a set-wise notice goes to, with their figures: `key` makes each
/// message's id (an investor's, a subscription's).
#[derive(QueryableByName)]
struct Recipient {
    #[diesel(sql_type = Text)]
    key: String,
    #[diesel(sql_type = Text)]
    email: String,
    #[diesel(sql_type = Nullable<Text>)]
    locale: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    time_zone: Option<String>,
    #[diesel(sql_type = BigInt)]
    shares: i64,
    #[diesel(sql_type = BigInt)]
    amount: i64,
}

impl Recipient {
    fn email(self, message: Message) -> Email {
        Email {
            to: self.email,
            locale: self.locale,
            time_zone: self.time_zone,
            message,
        }
    }
}

#[derive(Debug, Serialize)]
pub struct RefundView {
    pub offering_id: String,
    pub status: String,
    pub subscriptions_refunded: i64,
    pub amount_refunded: i64,
}

/// Refunds a failed or cancelled offering: every active subscription's money
/// back to its investor (one journal entry each), the offering `refunded`,
/// its escrow exactly zero.
pub fn refund(
    conn: &mut AnyConnection,
    offering_id: &str,
    currency: &str,
) -> ServiceResult<RefundView> {
    let now = now();
    write_transaction(conn, |conn| {
        if let AnyConnection::Postgresql(c) = conn {
            c.batch_execute(&format!("SELECT pg_advisory_xact_lock({REFUND_LOCK_KEY})"))?;
        }
        Offering::find(conn, offering_id)?.ok_or_else(|| not_found("offering"))?;
        lock_subscribers_cash(conn, offering_id)?;
        let escrow = match find_account(conn, AccountKind::OfferingEscrow, offering_id)? {
            Some(escrow) => escrow.id,
            None => ensure_account(conn, AccountKind::OfferingEscrow, offering_id, currency)?,
        };
        let held = lock_balance(conn, &escrow)?;
        let offering = Offering::find(conn, offering_id)?.ok_or_else(|| not_found("offering"))?;
        if offering.status != "failed" && offering.status != "cancelled" {
            return Err(wrong_state(
                &offering,
                i18n::Text::new("problem-invalid_offering_state-refund"),
            ));
        }
        let (count, total): (i64, i64) = subscriptions::table
            .filter(subscriptions::offering_id.eq(offering_id))
            .filter(subscriptions::status.eq("active"))
            .select((
                diesel::dsl::count_star(),
                diesel::dsl::sql::<BigInt>(
                    "CAST(COALESCE(SUM(subscriptions.amount), 0) AS BIGINT)",
                ),
            ))
            .first(conn)?;
        if total != held {
            return Err(ServiceError::Internal(anyhow::anyhow!(
                "escrow of offering {offering_id} holds {held}, active subscriptions {total}"
            )));
        }
        if count > 0 {
            refund_all(conn, &offering, &escrow, total, now, currency)?;
        }
        let moved = diesel::update(
            offerings::table
                .find(offering_id)
                .filter(offerings::status.eq_any(["failed", "cancelled"])),
        )
        .set((
            offerings::status.eq("refunded"),
            offerings::investor_count.eq(0),
            offerings::updated_at.eq(now),
        ))
        .execute(conn)?;
        if moved != 1 {
            return Err(wrong_state(
                &offering,
                i18n::Text::new("problem-invalid_offering_state-changed"),
            ));
        }
        Ok(RefundView {
            offering_id: offering_id.to_string(),
            status: "refunded".into(),
            subscriptions_refunded: count,
            amount_refunded: total,
        })
    })
}

/// On PostgreSQL, locks the cash accounts of the round's active subscribers
/// in id order, before the escrow: the same order (investor, then escrow) as
/// a subscription or cancellation that may be in flight, so neither waits for
/// the other in a cycle.
fn lock_subscribers_cash(conn: &mut AnyConnection, offering_id: &str) -> QueryResult<()> {
    if let AnyConnection::Postgresql(_) = conn {
        sql("SELECT a.id FROM ledger_accounts a WHERE a.kind = 'investor_cash' AND a.owner_id IN \
             (SELECT s.investor_id FROM subscriptions s WHERE s.offering_id = $1 AND s.status = 'active') \
             ORDER BY a.id FOR UPDATE")
        .bind::<Text, _>(offering_id)
        .execute(conn)?;
    }
    Ok(())
}

/// The set-based refund: entries, postings, balances, subscriptions, emails.
fn refund_all(
    conn: &mut AnyConnection,
    offering: &Offering,
    escrow: &str,
    total: i64,
    now: NaiveDateTime,
    currency: &str,
) -> ServiceResult<()> {
    let prefix = new_id();
    let id = &offering.id;
    sql(
        "INSERT INTO journal_entries (id, kind, reference_id, description, created_at) \
         SELECT $1 || ':' || s.id, 'refund', s.id, 'Refund of ' || s.shares || $2, $3 \
         FROM subscriptions s WHERE s.offering_id = $4 AND s.status = 'active'",
    )
    .bind::<Text, _>(&prefix)
    .bind::<Text, _>(format!(" shares of {}", offering.title))
    .bind::<Timestamp, _>(now)
    .bind::<Text, _>(id)
    .execute(conn)?;
    // Investor side: every subscriber has a cash account (they paid from it).
    sql("INSERT INTO postings (id, entry_id, account_id, amount, created_at) \
         SELECT $1 || ':' || s.id || ':in', $1 || ':' || s.id, a.id, s.amount, $2 \
         FROM subscriptions s JOIN ledger_accounts a ON a.kind = 'investor_cash' AND a.owner_id = s.investor_id \
         WHERE s.offering_id = $3 AND s.status = 'active'")
    .bind::<Text, _>(&prefix)
    .bind::<Timestamp, _>(now)
    .bind::<Text, _>(id)
    .execute(conn)?;
    sql(
        "INSERT INTO postings (id, entry_id, account_id, amount, created_at) \
         SELECT $1 || ':' || s.id || ':out', $1 || ':' || s.id, $2, -s.amount, $3 \
         FROM subscriptions s WHERE s.offering_id = $4 AND s.status = 'active'",
    )
    .bind::<Text, _>(&prefix)
    .bind::<Text, _>(escrow)
    .bind::<Timestamp, _>(now)
    .bind::<Text, _>(id)
    .execute(conn)?;
    sql("UPDATE ledger_accounts SET balance = balance + COALESCE((SELECT SUM(s.amount) FROM subscriptions s \
            WHERE s.offering_id = $1 AND s.status = 'active' AND s.investor_id = ledger_accounts.owner_id), 0) \
         WHERE kind = 'investor_cash' AND owner_id IN \
            (SELECT s.investor_id FROM subscriptions s WHERE s.offering_id = $1 AND s.status = 'active')")
    .bind::<Text, _>(id)
    .execute(conn)?;
    post_escrow_release(conn, escrow, total)?;
    let refunded: Vec<Recipient> = sql(
        "SELECT s.id AS key, u.email, u.locale, u.time_zone, s.shares, s.amount \
         FROM subscriptions s JOIN users u ON u.id = s.investor_id \
         WHERE s.offering_id = $1 AND s.status = 'active'",
    )
    .bind::<Text, _>(id)
    .load(conn)?;
    let emails: Vec<(String, Email)> = refunded
        .into_iter()
        .map(|r| {
            let message = Message::SubscriptionRefunded {
                offering_title: offering.title.clone(),
                shares: r.shares,
                amount: r.amount,
                currency: currency.to_string(),
            };
            (format!("{prefix}:{}", r.key), r.email(message))
        })
        .collect();
    enqueue_many(conn, &emails, now)?;
    diesel::update(
        subscriptions::table
            .filter(subscriptions::offering_id.eq(id))
            .filter(subscriptions::status.eq("active")),
    )
    .set((
        subscriptions::status.eq("refunded"),
        subscriptions::updated_at.eq(now),
    ))
    .execute(conn)?;
    Ok(())
}

/// Takes `total` out of the escrow's stored balance; it must hold exactly that.
fn post_escrow_release(conn: &mut AnyConnection, escrow: &str, total: i64) -> ServiceResult<()> {
    use crate::db::schema::ledger_accounts;
    let changed = diesel::update(
        ledger_accounts::table
            .find(escrow)
            .filter(ledger_accounts::balance.eq(total)),
    )
    .set(ledger_accounts::balance.eq(0))
    .execute(conn)?;
    if changed != 1 {
        return Err(ServiceError::Internal(anyhow::anyhow!(
            "escrow {escrow} did not hold {total}"
        )));
    }
    Ok(())
}

/// Failed offerings, and cancelled ones that were ever open, still to refund.
pub fn due_for_refund(
    conn: &mut AnyConnection,
    now: NaiveDateTime,
    limit: i64,
) -> QueryResult<Vec<String>> {
    use crate::db::job_failures::{held_back_ids, REFUND};
    offerings::table
        .filter(
            offerings::status.eq("failed").or(offerings::status
                .eq("cancelled")
                .and(offerings::approved_at.is_not_null())),
        )
        .filter(diesel::dsl::not(
            offerings::id.eq_any(held_back_ids(REFUND, now)),
        ))
        .select(offerings::id)
        .order(offerings::id.asc())
        .limit(limit)
        .load(conn)
}

#[cfg(test)]
mod tests {
    use super::platform_fee;

    #[test]
    fn the_fee_rounds_up_and_never_exceeds_the_gross() {
        assert_eq!(platform_fee(100_000, 500), 5_000);
        assert_eq!(platform_fee(100_001, 500), 5_001); // 5000.05 rounds up
        assert_eq!(platform_fee(19, 500), 1);
        assert_eq!(platform_fee(1, 0), 0);
        assert_eq!(platform_fee(7, 10_000), 7);
        assert_eq!(platform_fee(i64::MAX / 2, 500), (i64::MAX / 2) / 20 + 1);
    }
}
