//! What the live progress streams send: one offering's figures, or the open
//! catalogue's, as committed.

use std::time::Duration;

use crate::db::{progress, AnyConnection};
use crate::domain::OfferingStatus;

use super::error::ServiceResult;
use super::offerings::{visible, Viewer};
use super::views::ProgressEvent;

/// How far back, besides the sequence numbers after a client's last event, a
/// returning catalogue client is sent the offerings that changed. On
/// PostgreSQL a transaction takes its sequence number before it commits, so
/// two changes can commit in the other order than their numbers: a client
/// may have seen number 11 before number 10 was committed. Such a change is
/// at most as old as the longest transaction that changes an offering.
const CATALOGUE_RESUME_SLACK: Duration = Duration::from_secs(120);

/// The offering as the viewer may follow it (404 as `GET /offerings/{id}`).
pub fn of_offering(
    conn: &mut AnyConnection,
    id: &str,
    viewer: Option<&Viewer>,
) -> ServiceResult<ProgressEvent> {
    let offering = visible(conn, id, viewer)?;
    ProgressEvent::all(progress::read(conn, &[offering.id])?)
        .pop()
        .ok_or_else(|| super::error::not_found("offering"))
}

/// Every open offering, and when `after` is given (a returning client's
/// last event id), every public offering that changed since.
pub fn catalogue(
    conn: &mut AnyConnection,
    after: Option<i64>,
) -> ServiceResult<Vec<ProgressEvent>> {
    let open = [OfferingStatus::Open.as_str()];
    let others: Vec<&str> = OfferingStatus::ALL
        .iter()
        .filter(|s| s.is_public() && **s != OfferingStatus::Open)
        .map(|s| s.as_str())
        .collect();
    let now = crate::db::clock(conn)?;
    let slack = chrono::TimeDelta::from_std(CATALOGUE_RESUME_SLACK).unwrap_or_default();
    let rows = match after {
        Some(seq) => progress::catalogue(conn, &open, &others, seq, now - slack)?,
        // A new client is sent the catalogue only.
        None => progress::catalogue(conn, &open, &[], i64::MAX, now)?,
    };
    Ok(ProgressEvent::all(rows))
}

/// Whether anyone may follow an offering in this status on the catalogue
/// stream (it left the catalogue in public: funded, failed, closed...).
pub fn is_public(status: &str) -> bool {
    status
        .parse::<OfferingStatus>()
        .is_ok_and(OfferingStatus::is_public)
}
