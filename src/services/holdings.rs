//! After settlement: what investors hold, and each round's cap table.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;

use crate::db::offerings::Offering;
use crate::db::schema::{holdings, investor_profiles, offerings, users};
use crate::db::{AnyConnection, Backend};
use crate::domain::Role;
use crate::i18n::Text;

use super::error::{not_found, Refusal, RefusalKind, ServiceResult};
use super::offerings::{id_cursor, next_id_cursor, Viewer};
use super::views::{utc, Page};

#[derive(Debug, Serialize)]
pub struct HoldingView {
    pub id: String,
    pub offering_id: String,
    pub offering_title: String,
    pub security_type: String,
    pub shares: i64,
    pub price_per_share: i64,
    pub amount: i64,
    /// What the investor paid for these shares: the sum of their settled
    /// subscriptions in the round (the platform's fee is the sponsor's, so
    /// nothing is added on top).
    pub cost_basis: i64,
    pub acquired_at: DateTime<Utc>,
}

type HoldingRow = (
    String,
    String,
    String,
    String,
    i64,
    i64,
    i64,
    chrono::NaiveDateTime,
);

pub fn mine(
    conn: &mut AnyConnection,
    investor_id: &str,
    cursor: Option<&str>,
    limit: i64,
) -> ServiceResult<Page<HoldingView>> {
    let before = id_cursor(cursor, "holdings")?;
    let mut q = holdings::table
        .inner_join(offerings::table)
        .filter(holdings::investor_id.eq(investor_id.to_string()))
        .order_by(holdings::id.desc())
        .limit(limit + 1)
        .select((
            holdings::id,
            holdings::offering_id,
            offerings::title,
            offerings::security_type,
            holdings::shares,
            holdings::price_per_share,
            holdings::amount,
            holdings::acquired_at,
        ))
        .into_boxed::<Backend>();
    if let Some(before) = before {
        q = q.filter(holdings::id.lt(before));
    }
    let mut rows: Vec<HoldingRow> = q.load(conn)?;
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let next_cursor = next_id_cursor(&rows, more, "holdings", |r| &r.0);
    let items = rows
        .into_iter()
        .map(
            |(
                id,
                offering_id,
                offering_title,
                security_type,
                shares,
                price_per_share,
                amount,
                at,
            )| HoldingView {
                id,
                offering_id,
                offering_title,
                security_type,
                shares,
                price_per_share,
                amount,
                cost_basis: amount,
                acquired_at: utc(at),
            },
        )
        .collect();
    Ok(Page { items, next_cursor })
}

#[derive(Debug, Serialize)]
pub struct CapTableLine {
    pub holding_id: String,
    pub investor_id: String,
    pub holder: String,
    pub shares: i64,
    pub amount: i64,
    /// Share of the round in basis points (hundredths of a percent), rounded down.
    pub percentage_bps: i64,
    /// The same as a decimal string, e.g. "12.50".
    pub percentage: String,
}

#[derive(Debug, Serialize)]
pub struct CapTable {
    pub offering_id: String,
    pub security_type: String,
    pub price_per_share: i64,
    pub total_shares: i64,
    pub holders: i64,
    pub items: Vec<CapTableLine>,
    pub next_cursor: Option<String>,
}

/// The cap table of a settled round, for its sponsor and operators.
pub fn cap_table(
    conn: &mut AnyConnection,
    viewer: &Viewer,
    offering_id: &str,
    cursor: Option<&str>,
    limit: i64,
) -> ServiceResult<CapTable> {
    let offering = Offering::find(conn, offering_id)?.ok_or_else(|| not_found("offering"))?;
    let allowed = viewer.role == Role::Operator
        || (viewer.role == Role::Sponsor && viewer.user_id == offering.sponsor_id);
    if !allowed {
        return Err(not_found("offering"));
    }
    if offering.status != "settled" {
        return Err(Refusal::new(
            RefusalKind::Conflict,
            "offering_not_settled",
            Text::new("problem-offering_not_settled"),
        )
        .with("offering_status", offering.status)
        .into());
    }
    let (total_shares, holders): (i64, i64) = holdings::table
        .filter(holdings::offering_id.eq(offering_id))
        .select((
            diesel::dsl::sql::<diesel::sql_types::BigInt>(
                "CAST(COALESCE(SUM(holdings.shares), 0) AS BIGINT)",
            ),
            diesel::dsl::count_star(),
        ))
        .first(conn)?;
    let after = id_cursor(cursor, "cap-table")?;
    let mut q = holdings::table
        .inner_join(users::table.on(users::id.eq(holdings::investor_id)))
        .left_join(
            investor_profiles::table.on(investor_profiles::user_id.eq(holdings::investor_id)),
        )
        .filter(holdings::offering_id.eq(offering_id.to_string()))
        .order_by(holdings::id.asc())
        .limit(limit + 1)
        .select((
            holdings::id,
            holdings::investor_id,
            users::display_name,
            investor_profiles::legal_name.nullable(),
            holdings::shares,
            holdings::amount,
        ))
        .into_boxed::<Backend>();
    if let Some(after) = after {
        q = q.filter(holdings::id.gt(after));
    }
    let mut rows: Vec<(String, String, String, Option<String>, i64, i64)> = q.load(conn)?;
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let next_cursor = next_id_cursor(&rows, more, "cap-table", |r| &r.0);
    let items = rows
        .into_iter()
        .map(
            |(holding_id, investor_id, display_name, legal_name, shares, amount)| {
                let bps = ((shares as i128 * 10_000) / total_shares.max(1) as i128) as i64;
                CapTableLine {
                    holding_id,
                    investor_id,
                    holder: legal_name.unwrap_or(display_name),
                    shares,
                    amount,
                    percentage_bps: bps,
                    percentage: format!("{}.{:02}", bps / 100, bps % 100),
                }
            },
        )
        .collect();
    Ok(CapTable {
        offering_id: offering_id.to_string(),
        security_type: offering.security_type,
        price_per_share: offering.price_per_share,
        total_shares,
        holders,
        items,
        next_cursor,
    })
}
