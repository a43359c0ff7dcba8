//! The reconciliation report of a round: every subscription with its ledger
//! entries, the totals, the escrow's flows from the ledger, the settlement or
//! refunds, and the discrepancies between them (none when the books agree).
//!
//! The summary is a handful of aggregate queries; the subscription lines are
//! read page by page (keyset on the id), so a round of 100,000 subscriptions
//! streams out without being held in memory.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text, Timestamp};
use serde::Serialize;

use crate::db::offerings::Offering;
use crate::db::raw::sql;
use crate::db::schema::settlements;
use crate::db::AnyConnection;
use crate::ledger::{find_account, AccountKind};

use super::error::{not_found, ServiceResult};
use super::views::utc;

#[derive(Debug, Clone, Serialize)]
pub struct StatusTotal {
    pub count: i64,
    pub shares: i64,
    pub amount: i64,
}

#[derive(Debug, Clone, Serialize, Default)]
pub struct EscrowFlows {
    pub account_id: Option<String>,
    /// Credited by subscriptions.
    pub subscribed: i64,
    /// Debited by cancellations, refunds and the settlement (as positive figures).
    pub cancelled: i64,
    pub refunded: i64,
    pub settled: i64,
    pub balance: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct SettlementSummary {
    pub entry_id: String,
    pub gross: i64,
    pub fee: i64,
    pub fee_bps: i32,
    pub sponsor_payout: i64,
    pub settled_by: String,
    pub settled_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Discrepancy {
    pub check: &'static str,
    pub expected: i64,
    pub actual: i64,
    pub detail: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub offering_id: String,
    pub title: String,
    pub status: String,
    pub currency: String,
    pub price_per_share: i64,
    pub target_amount: i64,
    pub min_raise: i64,
    pub raised: i64,
    pub subscription_count: i64,
    /// Active subscriptions awaiting reconfirmation of a material change:
    /// the round cannot settle while there are any.
    pub awaiting_reconfirmation: i64,
    pub active: StatusTotal,
    pub settled: StatusTotal,
    pub refunded: StatusTotal,
    pub cancelled: StatusTotal,
    pub escrow: EscrowFlows,
    pub settlement: Option<SettlementSummary>,
    pub fee: i64,
    pub sponsor_payout: i64,
    pub discrepancies: Vec<Discrepancy>,
}

#[derive(QueryableByName)]
struct StatusRow {
    #[diesel(sql_type = Text)]
    status: String,
    #[diesel(sql_type = BigInt)]
    count: i64,
    #[diesel(sql_type = BigInt)]
    shares: i64,
    #[diesel(sql_type = BigInt)]
    amount: i64,
}

#[derive(QueryableByName)]
struct FlowRow {
    #[diesel(sql_type = Text)]
    kind: String,
    #[diesel(sql_type = BigInt)]
    amount: i64,
}

/// The summary, read from one snapshot so that its figures agree with each
/// other. (The streamed lines are read afterwards, page by page; for a closed
/// round nothing changes in between.)
pub fn summary(
    conn: &mut AnyConnection,
    offering_id: &str,
    currency: &str,
) -> ServiceResult<Summary> {
    crate::db::read_snapshot(conn, |conn| {
        summary_in_snapshot(conn, offering_id, currency)
    })
}

fn summary_in_snapshot(
    conn: &mut AnyConnection,
    offering_id: &str,
    currency: &str,
) -> ServiceResult<Summary> {
    let o = Offering::find(conn, offering_id)?
        .filter(|o| o.approved_at.is_some())
        .ok_or_else(|| not_found("offering"))?;
    let rows: Vec<StatusRow> = sql(
        "SELECT status, COUNT(*) AS count, CAST(COALESCE(SUM(shares), 0) AS BIGINT) AS shares, \
         CAST(COALESCE(SUM(amount), 0) AS BIGINT) AS amount \
         FROM subscriptions WHERE offering_id = $1 GROUP BY status",
    )
    .bind::<Text, _>(offering_id)
    .load(conn)?;
    let total = |status: &str| {
        rows.iter().find(|r| r.status == status).map_or(
            StatusTotal {
                count: 0,
                shares: 0,
                amount: 0,
            },
            |r| StatusTotal {
                count: r.count,
                shares: r.shares,
                amount: r.amount,
            },
        )
    };
    let (active, settled, refunded, cancelled) = (
        total("active"),
        total("settled"),
        total("refunded"),
        total("cancelled"),
    );

    let mut escrow = EscrowFlows::default();
    if let Some(account) = find_account(conn, AccountKind::OfferingEscrow, offering_id)? {
        let flows: Vec<FlowRow> = sql(
            "SELECT e.kind AS kind, CAST(SUM(p.amount) AS BIGINT) AS amount \
             FROM postings p JOIN journal_entries e ON e.id = p.entry_id \
             WHERE p.account_id = $1 GROUP BY e.kind",
        )
        .bind::<Text, _>(&account.id)
        .load(conn)?;
        let flow = |kind: &str| {
            flows
                .iter()
                .find(|f| f.kind == kind)
                .map_or(0, |f| f.amount)
        };
        escrow = EscrowFlows {
            subscribed: flow("subscription"),
            cancelled: -flow("cancellation"),
            refunded: -flow("refund"),
            settled: -flow("settlement"),
            balance: flows.iter().map(|f| f.amount).sum(),
            account_id: Some(account.id),
        };
    }
    let settlement: Option<(String, i64, i64, i64, i32, String, NaiveDateTime)> =
        settlements::table
            .find(offering_id)
            .select((
                settlements::entry_id,
                settlements::gross,
                settlements::fee,
                settlements::net,
                settlements::fee_bps,
                settlements::settled_by,
                settlements::settled_at,
            ))
            .first(conn)
            .optional()?;
    let settlement =
        settlement.map(
            |(entry_id, gross, fee, net, fee_bps, settled_by, at)| SettlementSummary {
                entry_id,
                gross,
                fee,
                fee_bps,
                sponsor_payout: net,
                settled_by,
                settled_at: utc(at),
            },
        );

    let mut d = Vec::new();
    let mut check = |name: &'static str, expected: i64, actual: i64, detail: &str| {
        if expected != actual {
            d.push(Discrepancy {
                check: name,
                expected,
                actual,
                detail: detail.to_string(),
            });
        }
    };
    let all_subscribed = active.amount + settled.amount + refunded.amount + cancelled.amount;
    check(
        "escrow_credited_matches_subscriptions",
        all_subscribed,
        escrow.subscribed,
        "the escrow was credited a different sum than the subscriptions recorded",
    );
    check(
        "cancellations_match",
        cancelled.amount,
        escrow.cancelled,
        "escrow debits for cancellations differ from the cancelled subscriptions",
    );
    check(
        "refunds_match",
        refunded.amount,
        escrow.refunded,
        "escrow debits for refunds differ from the refunded subscriptions",
    );
    check(
        "settlement_matches",
        settled.amount,
        escrow.settled,
        "the escrow paid out at settlement differs from the settled subscriptions",
    );
    check(
        "escrow_balance_matches_active",
        active.amount,
        escrow.balance,
        "the escrow balance differs from the active subscriptions",
    );
    if matches!(o.status.as_str(), "open" | "funded" | "settled") {
        check(
            "subscriptions_match_raised",
            o.raised,
            active.amount + settled.amount,
            "raised differs from the sum of subscriptions",
        );
    }
    if matches!(o.status.as_str(), "settled" | "refunded") {
        check(
            "escrow_is_empty",
            0,
            escrow.balance,
            "a closed round still holds money in escrow",
        );
    }
    if let Some(s) = &settlement {
        check(
            "settlement_splits_exactly",
            s.gross,
            s.sponsor_payout + s.fee,
            "payout plus fee differ from the gross",
        );
        check(
            "settlement_gross_matches_escrow",
            s.gross,
            escrow.settled,
            "the recorded gross differs from the escrow's settlement debit",
        );
    } else if o.status == "settled" {
        check(
            "settlement_recorded",
            1,
            0,
            "the offering is settled but no settlement is recorded",
        );
    }
    let (fee, sponsor_payout) = settlement
        .as_ref()
        .map_or((0, 0), |s| (s.fee, s.sponsor_payout));
    Ok(Summary {
        offering_id: o.id,
        title: o.title,
        status: o.status,
        currency: currency.to_string(),
        price_per_share: o.price_per_share,
        target_amount: o.target_amount,
        min_raise: o.min_raise,
        raised: o.raised,
        subscription_count: active.count + settled.count + refunded.count + cancelled.count,
        awaiting_reconfirmation: crate::db::material_changes::awaiting(conn, offering_id)?,
        active,
        settled,
        refunded,
        cancelled,
        escrow,
        settlement,
        fee,
        sponsor_payout,
        discrepancies: d,
    })
}

/// One subscription of the round, as the report lists it.
#[derive(Debug, Clone, Serialize)]
pub struct Line {
    #[serde(flatten)]
    pub row: LineRow,
    /// The version of each document in force when it was made.
    pub documents: Vec<super::documents::InForce>,
}

#[derive(Debug, Clone, Serialize, QueryableByName)]
pub struct LineRow {
    #[diesel(sql_type = Text)]
    pub subscription_id: String,
    #[diesel(sql_type = Text)]
    pub investor_id: String,
    #[diesel(sql_type = BigInt)]
    pub shares: i64,
    #[diesel(sql_type = BigInt)]
    pub amount: i64,
    #[diesel(sql_type = Text)]
    pub status: String,
    #[diesel(sql_type = Timestamp)]
    #[serde(serialize_with = "as_utc")]
    pub created_at: NaiveDateTime,
    /// The entry that moved the money into escrow.
    #[diesel(sql_type = Text)]
    pub subscription_entry_id: String,
    /// The entry that moved it out: cancellation, refund or settlement.
    #[diesel(sql_type = Nullable<Text>)]
    pub closing_entry_id: Option<String>,
    #[diesel(sql_type = BigInt)]
    pub documents_revision: i64,
    /// After a material change: awaiting, reconfirmed, declined or lapsed.
    #[diesel(sql_type = Nullable<Text>)]
    pub reconfirmation: Option<String>,
    /// The reconfirmation's deadline.
    #[diesel(sql_type = Nullable<Timestamp>)]
    #[serde(serialize_with = "as_utc_opt")]
    pub reconfirm_by: Option<NaiveDateTime>,
}

fn as_utc<S: serde::Serializer>(t: &NaiveDateTime, s: S) -> Result<S::Ok, S::Error> {
    utc(*t).serialize(s)
}

fn as_utc_opt<S: serde::Serializer>(t: &Option<NaiveDateTime>, s: S) -> Result<S::Ok, S::Error> {
    t.map(utc).serialize(s)
}

/// The next `limit` subscription lines after `after_id`, in id order.
pub fn lines(
    conn: &mut AnyConnection,
    offering_id: &str,
    settlement_entry: Option<&str>,
    after_id: &str,
    limit: i64,
) -> QueryResult<Vec<Line>> {
    let mut rows: Vec<LineRow> = sql(
        "SELECT s.id AS subscription_id, s.investor_id, s.shares, s.amount, s.status, s.created_at, \
                s.entry_id AS subscription_entry_id, s.documents_revision, \
                s.reconfirmation, s.reconfirm_by, \
                (SELECT MIN(e.id) FROM journal_entries e \
                  WHERE e.reference_id = s.id AND e.kind IN ('cancellation', 'refund')) AS closing_entry_id \
         FROM subscriptions s WHERE s.offering_id = $1 AND s.id > $2 ORDER BY s.id LIMIT $3",
    )
    .bind::<Text, _>(offering_id)
    .bind::<Text, _>(after_id)
    .bind::<BigInt, _>(limit)
    .load(conn)?;
    if let Some(entry) = settlement_entry {
        for row in rows.iter_mut().filter(|l| l.status == "settled") {
            row.closing_entry_id = Some(entry.to_string());
        }
    }
    let in_force = super::documents::in_force(conn, offering_id)?;
    Ok(rows
        .into_iter()
        .map(|row| Line {
            documents: in_force(row.documents_revision),
            row,
        })
        .collect())
}

/// How many columns the CSV has.
pub const CSV_COLUMNS: usize = 14;

/// CSV header shared by the subscription lines and the summary lines.
pub const CSV_HEADER: [&str; CSV_COLUMNS] = [
    "line_type",
    "subscription_id",
    "investor_id",
    "shares",
    "amount",
    "status",
    "created_at",
    "subscription_entry_id",
    "closing_entry_id",
    "figure",
    "value",
    "documents",
    "reconfirmation",
    "reconfirm_by",
];

impl Line {
    pub fn csv_record(&self) -> [String; CSV_COLUMNS] {
        let r = &self.row;
        // `document id:version`, space-separated.
        let documents: Vec<String> = self
            .documents
            .iter()
            .map(|d| format!("{}:{}", d.document_id, d.version))
            .collect();
        [
            "subscription".into(),
            r.subscription_id.clone(),
            r.investor_id.clone(),
            r.shares.to_string(),
            r.amount.to_string(),
            r.status.clone(),
            utc(r.created_at).to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
            r.subscription_entry_id.clone(),
            r.closing_entry_id.clone().unwrap_or_default(),
            String::new(),
            String::new(),
            documents.join(" "),
            r.reconfirmation.clone().unwrap_or_default(),
            r.reconfirm_by
                .map(|t| utc(t).to_rfc3339_opts(chrono::SecondsFormat::Micros, true))
                .unwrap_or_default(),
        ]
    }
}

impl Summary {
    /// The summary as CSV rows (`line_type`, then `figure` and `value`).
    pub fn csv_records(&self) -> Vec<[String; CSV_COLUMNS]> {
        let row = |kind: &str, figure: String, value: String| {
            let mut r: [String; CSV_COLUMNS] = Default::default();
            r[0] = kind.to_string();
            r[9] = figure;
            r[10] = value;
            r
        };
        let mut rows = vec![
            row("total", "status".into(), self.status.clone()),
            row("total", "raised".into(), self.raised.to_string()),
            row(
                "total",
                "subscriptions".into(),
                self.subscription_count.to_string(),
            ),
            row(
                "total",
                "awaiting_reconfirmation".into(),
                self.awaiting_reconfirmation.to_string(),
            ),
        ];
        for (name, t) in [
            ("active", &self.active),
            ("settled", &self.settled),
            ("refunded", &self.refunded),
            ("cancelled", &self.cancelled),
        ] {
            rows.push(row("total", format!("{name}_amount"), t.amount.to_string()));
            rows.push(row("total", format!("{name}_count"), t.count.to_string()));
        }
        for (name, v) in [
            ("escrow_subscribed", self.escrow.subscribed),
            ("escrow_cancelled", self.escrow.cancelled),
            ("escrow_refunded", self.escrow.refunded),
            ("escrow_settled", self.escrow.settled),
            ("escrow_balance", self.escrow.balance),
            ("fee", self.fee),
            ("sponsor_payout", self.sponsor_payout),
        ] {
            rows.push(row("total", name.into(), v.to_string()));
        }
        if let Some(s) = &self.settlement {
            rows.push(row("settlement", "entry_id".into(), s.entry_id.clone()));
        }
        for d in &self.discrepancies {
            rows.push(row(
                "discrepancy",
                d.check.into(),
                format!("expected {} actual {}: {}", d.expected, d.actual, d.detail),
            ));
        }
        rows
    }
}
