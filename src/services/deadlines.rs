//! Closing offerings whose deadline has passed: `funded` when they raised at
//! least `min_raise`, `failed` otherwise, and refunding failed and cancelled
//! rounds. Run by the sweeper in every instance and by `crowdfund sweep`;
//! each offering is closed exactly once because the closing UPDATE only
//! matches an offering that is still open.
//!
//! Each round is handled on its own: one that fails is logged, recorded in
//! `job_failures` and held back for a while (the wait doubling with each
//! failure), and the others go on; it is tried again once its wait is over.

use crate::db::job_failures::{self, CLOSE, REFUND};
use crate::db::offerings::Offering;
use crate::db::{clock, write_transaction, AnyConnection};

use super::error::{RefusalKind, ServiceError, ServiceResult};
use super::offerings::notify_closed;

/// How many offerings one pass looks at; the next pass takes the rest.
const BATCH: i64 = 200;

/// Closes what is due by the database's clock (so that several servers, and
/// the subscriptions they write, agree on when a round closed); returns
/// (offering id, new status) for each offering this caller closed.
pub fn close_expired(
    conn: &mut AnyConnection,
    currency: &str,
) -> ServiceResult<Vec<(String, String)>> {
    let now = clock(conn)?;
    let mut closed = Vec::new();
    for id in Offering::due_for_closing(conn, now, BATCH)? {
        let outcome = write_transaction(conn, |conn| -> ServiceResult<Option<String>> {
            let Some(status) = Offering::close_at_deadline(conn, &id, now)? else {
                return Ok(None); // another instance closed it first
            };
            if let Some(offering) = Offering::find(conn, &id)? {
                notify_closed(conn, &offering, &status, currency)?;
                let details = serde_json::json!({"status": status, "raised": offering.raised,
                                                 "min_raise": offering.min_raise});
                crate::db::audit::record(
                    conn,
                    &crate::db::audit::Actor::system("sweeper"),
                    "offering.closed",
                    "offering",
                    &id,
                    &details,
                )?;
            }
            Ok(Some(status))
        });
        match outcome {
            Ok(Some(status)) => {
                tracing::info!(offering = %id, %status, "offering closed at its deadline");
                succeeded(conn, CLOSE, &id);
                closed.push((id, status));
            }
            Ok(None) => {}
            Err(e) => failed(conn, CLOSE, &id, &e, now),
        }
    }
    Ok(closed)
}

/// Refunds every failed offering, and every cancelled one that was ever open:
/// what the sweeper does after closing. Safe from several instances at once
/// (each refund checks and moves the offering's state in its transaction).
pub fn refund_closed(conn: &mut AnyConnection, currency: &str) -> ServiceResult<Vec<String>> {
    use crate::db::audit::{record, Actor};
    use crate::services::settlement::{due_for_refund, refund};

    let now = clock(conn)?;
    let mut refunded = Vec::new();
    for id in due_for_refund(conn, now, BATCH)? {
        let outcome = write_transaction(conn, |conn| -> ServiceResult<_> {
            let view = refund(conn, &id, currency)?;
            let details = serde_json::json!({"subscriptions": view.subscriptions_refunded,
                                             "amount": view.amount_refunded});
            record(
                conn,
                &Actor::system("sweeper"),
                "offering.refunded",
                "offering",
                &id,
                &details,
            )?;
            Ok(view)
        });
        match outcome {
            Ok(view) => {
                tracing::info!(offering = %id, amount = view.amount_refunded, "offering refunded");
                succeeded(conn, REFUND, &id);
                refunded.push(id);
            }
            // Refunded meanwhile by another instance or an operator.
            Err(ServiceError::Refused(r)) if r.kind == RefusalKind::Conflict => {}
            Err(e) => failed(conn, REFUND, &id, &e, now),
        }
    }
    Ok(refunded)
}

/// A round that went through forgets its earlier failures.
fn succeeded(conn: &mut AnyConnection, job: &str, id: &str) {
    if let Err(e) = job_failures::clear(conn, job, id) {
        tracing::warn!(job, offering = %id, error = %e, "could not clear a recorded failure");
    }
}

/// One round that fails must not hold up the others: it is held back for a
/// while and the pass goes on.
fn failed(
    conn: &mut AnyConnection,
    job: &str,
    id: &str,
    error: &ServiceError,
    now: chrono::NaiveDateTime,
) {
    match job_failures::record(conn, job, id, &error.to_string(), now) {
        Ok(attempts) => tracing::error!(job, offering = %id, attempts, %error,
            retry_in_secs = job_failures::backoff(attempts).num_seconds(),
            "round failed; the others go on, it will be tried again"),
        Err(e) => tracing::error!(job, offering = %id, %error, record_error = %e,
            "round failed and the failure could not be recorded"),
    }
}
