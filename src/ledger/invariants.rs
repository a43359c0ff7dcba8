//! The ledger's invariants, checked from the database as it is, each failure
//! reported with what it concerns and the figures that disagree.
//!
//! 1. all postings sum to zero, and so does each journal entry;
//! 2. every stored balance equals the sum of its account's postings;
//! 3. no account is on the wrong side of zero: the external bank may hold
//!    anything, the accounts of what the platform is owed or has lost
//!    (unreconciled bank movements, investor receivables, write-offs) never
//!    go above zero, every other account never below;
//! 4. each offering's escrow equals the sum of its active subscriptions;
//! 5. a settled or refunded offering's escrow is exactly zero;
//! 6. raised never exceeds target, and (while the round is live or settled)
//!    equals the sum of its active and settled subscriptions;
//! 7. the hash chain over sealed journal entries recomputes (see `seal`),
//!    and every journal entry is sealed or queued for sealing;
//! 8. every posting against the external bank is one recorded bank transfer
//!    of the same amount and direction (so a bank statement can match it),
//!    and the external bank account equals the sum of all bank transfers;
//! 9. every bank notification booked what it reported: each one but a
//!    repeat has its bank transfer, except a payout the bank rejected before
//!    it left (no money moved);
//! 10. the suspense account holds exactly the unallocated deposits still
//!     open, and the account of unreconciled bank movements exactly the open
//!     ones.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use serde::Serialize;

use crate::db::AnyConnection;

/// Every invariant [`check`] checks, by the name its violations carry, in
/// the order above: a report lists them all, so a reader sees each one
/// passing or failing.
pub const INVARIANTS: [&str; 17] = [
    "postings_sum_to_zero",
    "entry_balances",
    "balance_matches_postings",
    "no_negative_balance",
    "no_positive_balance",
    "escrow_matches_active_subscriptions",
    "closed_escrow_is_zero",
    "raised_within_target",
    "raised_matches_subscriptions",
    "investor_count_matches_subscriptions",
    "seal_chain",
    "entries_sealed_or_queued",
    "bank_movements_recorded",
    "bank_matches_transfers",
    "bank_events_booked",
    "suspense_matches_unallocated",
    "unreconciled_matches_open_movements",
];

#[derive(Debug, Clone, Serialize)]
pub struct Violation {
    pub invariant: &'static str,
    /// What it concerns: `entry:<id>`, `account:<id>`, `offering:<id>` or `ledger`.
    pub subject: String,
    pub expected: i64,
    pub actual: i64,
    pub detail: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct KindTotal {
    pub kind: String,
    pub accounts: i64,
    pub balance: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct LedgerReport {
    pub ok: bool,
    pub postings_total: i64,
    pub entries: i64,
    /// Entries covered by the seal chain; the rest await the sealer.
    pub sealed_entries: i64,
    pub accounts_by_kind: Vec<KindTotal>,
    /// What waits for an operator or an investor, by kind.
    pub open_items: Vec<OpenItems>,
    /// The names of every invariant checked ([`INVARIANTS`]).
    pub invariants: &'static [&'static str],
    pub violations: Vec<Violation>,
}

/// How many items of one kind are open and what they hold.
#[derive(Debug, Clone, Serialize, QueryableByName)]
pub struct OpenItems {
    /// unallocated_deposits (money in that matched nothing, held in suspense)
    /// | unreconciled_movements (money out that matched nothing) |
    /// receivables (investors who owe the platform)
    #[diesel(sql_type = Text)]
    pub kind: String,
    #[diesel(sql_type = BigInt)]
    pub count: i64,
    #[diesel(sql_type = BigInt)]
    pub amount: i64,
}

#[derive(QueryableByName)]
struct Total {
    #[diesel(sql_type = BigInt)]
    total: i64,
}

#[derive(QueryableByName)]
struct EntrySum {
    #[diesel(sql_type = Text)]
    entry_id: String,
    #[diesel(sql_type = BigInt)]
    total: i64,
}

#[derive(QueryableByName)]
struct AccountCheck {
    #[diesel(sql_type = Text)]
    id: String,
    #[diesel(sql_type = Text)]
    kind: String,
    #[diesel(sql_type = Text)]
    owner_id: String,
    #[diesel(sql_type = BigInt)]
    balance: i64,
    #[diesel(sql_type = BigInt)]
    computed: i64,
}

#[derive(QueryableByName)]
struct KindRow {
    #[diesel(sql_type = Text)]
    kind: String,
    #[diesel(sql_type = BigInt)]
    accounts: i64,
    #[diesel(sql_type = BigInt)]
    balance: i64,
}

#[derive(QueryableByName)]
struct OfferingCheck {
    #[diesel(sql_type = Text)]
    id: String,
    #[diesel(sql_type = Text)]
    status: String,
    #[diesel(sql_type = BigInt)]
    raised: i64,
    #[diesel(sql_type = BigInt)]
    target_amount: i64,
    #[diesel(sql_type = BigInt)]
    escrow: i64,
    #[diesel(sql_type = BigInt)]
    active_sum: i64,
    #[diesel(sql_type = BigInt)]
    committed_sum: i64,
    #[diesel(sql_type = BigInt)]
    investor_count: i64,
    #[diesel(sql_type = BigInt)]
    committed_investors: i64,
}

// Sums are cast so that PostgreSQL's NUMERIC sums come back as BIGINT.
const POSTINGS_TOTAL: &str =
    "SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) AS total FROM postings";
const ENTRY_COUNT: &str = "SELECT COUNT(*) AS total FROM journal_entries";
const UNBALANCED_ENTRIES: &str = "SELECT entry_id, CAST(SUM(amount) AS BIGINT) AS total \
     FROM postings GROUP BY entry_id HAVING SUM(amount) <> 0 ORDER BY entry_id";
const ACCOUNTS: &str = "SELECT a.id, a.kind, a.owner_id, a.balance, \
     CAST(COALESCE(SUM(p.amount), 0) AS BIGINT) AS computed \
     FROM ledger_accounts a LEFT JOIN postings p ON p.account_id = a.id \
     GROUP BY a.id, a.kind, a.owner_id, a.balance \
     HAVING a.balance <> COALESCE(SUM(p.amount), 0) \
        OR (a.kind <> 'external_bank' AND (a.balance < 0 OR COALESCE(SUM(p.amount), 0) < 0)) \
        OR (a.kind IN ('unreconciled_bank_movements', 'investor_receivable', 'bank_write_offs') \
            AND (a.balance > 0 OR COALESCE(SUM(p.amount), 0) > 0)) \
     ORDER BY a.id";

/// Kinds of account whose balance is what the platform is owed or has lost:
/// never above zero.
const OWED_KINDS: [&str; 3] = [
    "unreconciled_bank_movements",
    "investor_receivable",
    "bank_write_offs",
];
const KINDS: &str =
    "SELECT kind, COUNT(*) AS accounts, CAST(COALESCE(SUM(balance), 0) AS BIGINT) AS balance \
     FROM ledger_accounts GROUP BY kind ORDER BY kind";
const OFFERINGS: &str = "SELECT o.id, o.status, o.raised, o.target_amount, \
     CAST(COALESCE((SELECT SUM(p.amount) FROM postings p WHERE p.account_id = e.id), 0) AS BIGINT) AS escrow, \
     CAST(COALESCE((SELECT SUM(s.amount) FROM subscriptions s \
        WHERE s.offering_id = o.id AND s.status = 'active'), 0) AS BIGINT) AS active_sum, \
     CAST(COALESCE((SELECT SUM(s.amount) FROM subscriptions s \
        WHERE s.offering_id = o.id AND s.status IN ('active', 'settled')), 0) AS BIGINT) AS committed_sum, \
     o.investor_count, \
     CAST((SELECT COUNT(DISTINCT s.investor_id) FROM subscriptions s \
        WHERE s.offering_id = o.id AND s.status IN ('active', 'settled')) AS BIGINT) AS committed_investors \
     FROM offerings o LEFT JOIN ledger_accounts e ON e.kind = 'offering_escrow' AND e.owner_id = o.id \
     ORDER BY o.id";

/// Postings against the external bank without a bank transfer of the same
/// entry, amount and direction, and transfers without such a posting.
const UNRECORDED_BANK_MOVEMENTS: &str = "SELECT p.entry_id, CAST(-p.amount AS BIGINT) AS total \
     FROM postings p JOIN ledger_accounts a ON a.id = p.account_id AND a.kind = 'external_bank' \
     LEFT JOIN bank_transfers t ON t.entry_id = p.entry_id \
       AND t.amount = (CASE WHEN p.amount < 0 THEN -p.amount ELSE p.amount END) \
       AND t.direction = (CASE WHEN p.amount < 0 THEN 'credit' ELSE 'debit' END) \
     WHERE t.id IS NULL \
     UNION ALL \
     SELECT t.entry_id, CAST(CASE WHEN t.direction = 'credit' THEN t.amount ELSE -t.amount END AS BIGINT) AS total \
     FROM bank_transfers t WHERE NOT EXISTS (SELECT 1 FROM postings p \
       JOIN ledger_accounts a ON a.id = p.account_id AND a.kind = 'external_bank' \
       WHERE p.entry_id = t.entry_id \
         AND p.amount = (CASE WHEN t.direction = 'credit' THEN -t.amount ELSE t.amount END)) \
     ORDER BY 1";
const SUSPENSE: &str = "SELECT \
     CAST(COALESCE((SELECT SUM(balance) FROM ledger_accounts WHERE kind = 'unallocated_deposits'), 0) AS BIGINT) AS held, \
     CAST(COALESCE((SELECT SUM(amount) FROM unallocated_deposits WHERE status = 'open'), 0) AS BIGINT) AS open";
/// Money out waiting for an operator: the account holds minus the open rows.
const UNRECONCILED: &str = "SELECT \
     CAST(COALESCE((SELECT SUM(balance) FROM ledger_accounts WHERE kind = 'unreconciled_bank_movements'), 0) AS BIGINT) AS held, \
     CAST(-COALESCE((SELECT SUM(amount) FROM unreconciled_movements WHERE status = 'open'), 0) AS BIGINT) AS open";
/// The external bank account against the transfers: money in is negative
/// on it, money out positive.
const BANK_VS_TRANSFERS: &str = "SELECT \
     CAST(COALESCE((SELECT SUM(balance) FROM ledger_accounts WHERE kind = 'external_bank'), 0) AS BIGINT) AS held, \
     CAST(COALESCE((SELECT SUM(CASE WHEN direction = 'debit' THEN amount ELSE -amount END) \
        FROM bank_transfers), 0) AS BIGINT) AS open";
/// Bank notifications that booked nothing: no transfer carries their bank
/// transaction id, and they are neither a repeat nor the rejection of a
/// payout that never left (a withdrawal returned by it without a transfer).
const UNBOOKED_BANK_EVENTS: &str =
    "SELECT e.bank_txn_id AS entry_id, CAST(e.amount AS BIGINT) AS total \
     FROM bank_events e \
     WHERE e.outcome <> 'duplicate' \
       AND NOT EXISTS (SELECT 1 FROM bank_transfers t WHERE t.bank_txn_id = e.bank_txn_id) \
       AND NOT (e.kind = 'withdrawal_returned' AND EXISTS (SELECT 1 FROM withdrawals w \
            WHERE w.return_bank_txn_id = e.bank_txn_id AND w.paid_entry_id IS NULL)) \
     ORDER BY e.bank_txn_id";
const OPEN_ITEMS: &str = "\
     SELECT 'unallocated_deposits' AS kind, COUNT(*) AS count, \
        CAST(COALESCE(SUM(amount), 0) AS BIGINT) AS amount \
     FROM unallocated_deposits WHERE status = 'open' \
     UNION ALL \
     SELECT 'unreconciled_movements', COUNT(*), CAST(COALESCE(SUM(amount), 0) AS BIGINT) \
     FROM unreconciled_movements WHERE status = 'open' \
     UNION ALL \
     SELECT 'receivables', COUNT(*), CAST(COALESCE(-SUM(balance), 0) AS BIGINT) \
     FROM ledger_accounts WHERE kind = 'investor_receivable' AND balance < 0";
/// Journal entries neither sealed nor queued for the sealer.
const UNSEALED_UNQUEUED: &str = "SELECT j.id AS entry_id, CAST(0 AS BIGINT) AS total \
     FROM journal_entries j \
     WHERE NOT EXISTS (SELECT 1 FROM entry_seals s WHERE s.entry_id = j.id) \
       AND NOT EXISTS (SELECT 1 FROM unsealed_entries u WHERE u.entry_id = j.id) \
     ORDER BY j.id";

/// An account's balance (`held`) against what should explain it (`open`).
#[derive(QueryableByName)]
struct Pair {
    #[diesel(sql_type = BigInt)]
    held: i64,
    #[diesel(sql_type = BigInt)]
    open: i64,
}

/// Checks every invariant over one consistent snapshot of the database.
pub fn check(conn: &mut AnyConnection) -> QueryResult<LedgerReport> {
    crate::db::read_snapshot(conn, check_in_snapshot)
}

fn check_in_snapshot(conn: &mut AnyConnection) -> QueryResult<LedgerReport> {
    let mut violations = Vec::new();

    let postings_total = diesel::sql_query(POSTINGS_TOTAL)
        .get_result::<Total>(conn)?
        .total;
    if postings_total != 0 {
        violations.push(Violation {
            invariant: "postings_sum_to_zero",
            subject: "ledger".into(),
            expected: 0,
            actual: postings_total,
            detail: "the sum of all postings is not zero".into(),
        });
    }
    for e in diesel::sql_query(UNBALANCED_ENTRIES).load::<EntrySum>(conn)? {
        violations.push(Violation {
            invariant: "entry_balances",
            subject: format!("entry:{}", e.entry_id),
            expected: 0,
            actual: e.total,
            detail: "this journal entry's postings do not sum to zero".into(),
        });
    }
    for a in diesel::sql_query(ACCOUNTS).load::<AccountCheck>(conn)? {
        if a.balance != a.computed {
            violations.push(Violation {
                invariant: "balance_matches_postings",
                subject: format!("account:{}", a.id),
                expected: a.computed,
                actual: a.balance,
                detail: format!(
                    "stored balance of {} account of {} differs from the sum of its postings",
                    a.kind, a.owner_id
                ),
            });
        }
        if OWED_KINDS.contains(&a.kind.as_str()) {
            if a.computed.max(a.balance) > 0 {
                violations.push(Violation {
                    invariant: "no_positive_balance",
                    subject: format!("account:{}", a.id),
                    expected: 0,
                    actual: a.computed.max(a.balance),
                    detail: format!("{} account of {} is above zero", a.kind, a.owner_id),
                });
            }
        } else if a.kind != "external_bank" && a.computed.min(a.balance) < 0 {
            violations.push(Violation {
                invariant: "no_negative_balance",
                subject: format!("account:{}", a.id),
                expected: 0,
                actual: a.computed.min(a.balance),
                detail: format!("{} account of {} is below zero", a.kind, a.owner_id),
            });
        }
    }
    for o in diesel::sql_query(OFFERINGS).load::<OfferingCheck>(conn)? {
        let subject = format!("offering:{}", o.id);
        if o.escrow != o.active_sum {
            violations.push(Violation {
                invariant: "escrow_matches_active_subscriptions",
                subject: subject.clone(),
                expected: o.active_sum,
                actual: o.escrow,
                detail: "escrow balance differs from the sum of active subscriptions".into(),
            });
        }
        if matches!(o.status.as_str(), "settled" | "refunded") && o.escrow != 0 {
            violations.push(Violation {
                invariant: "closed_escrow_is_zero",
                subject: subject.clone(),
                expected: 0,
                actual: o.escrow,
                detail: format!("a {} offering still holds money in escrow", o.status),
            });
        }
        if o.raised > o.target_amount {
            violations.push(Violation {
                invariant: "raised_within_target",
                subject: subject.clone(),
                expected: o.target_amount,
                actual: o.raised,
                detail: "raised exceeds the target amount".into(),
            });
        }
        if matches!(o.status.as_str(), "open" | "funded" | "settled") && o.raised != o.committed_sum
        {
            violations.push(Violation {
                invariant: "raised_matches_subscriptions",
                subject: subject.clone(),
                expected: o.committed_sum,
                actual: o.raised,
                detail: "raised differs from the sum of active and settled subscriptions".into(),
            });
        }
        if o.investor_count != o.committed_investors {
            violations.push(Violation {
                invariant: "investor_count_matches_subscriptions",
                subject,
                expected: o.committed_investors,
                actual: o.investor_count,
                detail: "the investor count differs from the investors holding an active or settled subscription".into(),
            });
        }
    }

    for e in diesel::sql_query(UNRECORDED_BANK_MOVEMENTS).load::<EntrySum>(conn)? {
        violations.push(Violation {
            invariant: "bank_movements_recorded",
            subject: format!("entry:{}", e.entry_id),
            expected: 0,
            actual: e.total,
            detail: "money crossed the bank boundary in this entry without a matching bank transfer record (or the reverse)".into(),
        });
    }
    let bank = diesel::sql_query(BANK_VS_TRANSFERS).get_result::<Pair>(conn)?;
    if bank.held != bank.open {
        violations.push(Violation {
            invariant: "bank_matches_transfers",
            subject: "ledger".into(),
            expected: bank.open,
            actual: bank.held,
            detail: "the external bank account differs from the sum of the bank transfers".into(),
        });
    }
    for e in diesel::sql_query(UNBOOKED_BANK_EVENTS).load::<EntrySum>(conn)? {
        violations.push(Violation {
            invariant: "bank_events_booked",
            subject: format!("bank_transaction:{}", e.entry_id),
            expected: e.total,
            actual: 0,
            detail: "the bank reported this movement and nothing on the books records it".into(),
        });
    }
    let unreconciled = diesel::sql_query(UNRECONCILED).get_result::<Pair>(conn)?;
    if unreconciled.held != unreconciled.open {
        violations.push(Violation {
            invariant: "unreconciled_matches_open_movements",
            subject: "ledger".into(),
            expected: unreconciled.open,
            actual: unreconciled.held,
            detail: "the account of unreconciled bank movements differs from the open ones".into(),
        });
    }
    for e in diesel::sql_query(UNSEALED_UNQUEUED).load::<EntrySum>(conn)? {
        violations.push(Violation {
            invariant: "entries_sealed_or_queued",
            subject: format!("entry:{}", e.entry_id),
            expected: 1,
            actual: 0,
            detail: "this journal entry is neither sealed nor queued for sealing".into(),
        });
    }
    let suspense = diesel::sql_query(SUSPENSE).get_result::<Pair>(conn)?;
    if suspense.held != suspense.open {
        violations.push(Violation {
            invariant: "suspense_matches_unallocated",
            subject: "ledger".into(),
            expected: suspense.open,
            actual: suspense.held,
            detail: "the suspense account differs from the open unallocated deposits".into(),
        });
    }

    if let Some(broken) = super::seal::verify_chain(conn)? {
        violations.push(broken);
    }

    let accounts_by_kind = diesel::sql_query(KINDS)
        .load::<KindRow>(conn)?
        .into_iter()
        .map(|k| KindTotal {
            kind: k.kind,
            accounts: k.accounts,
            balance: k.balance,
        })
        .collect();
    let entries = diesel::sql_query(ENTRY_COUNT)
        .get_result::<Total>(conn)?
        .total;
    let sealed_entries = diesel::sql_query("SELECT COUNT(*) AS total FROM entry_seals")
        .get_result::<Total>(conn)?
        .total;
    let open_items = diesel::sql_query(OPEN_ITEMS).load::<OpenItems>(conn)?;
    Ok(LedgerReport {
        ok: violations.is_empty(),
        postings_total,
        entries,
        sealed_entries,
        accounts_by_kind,
        open_items,
        invariants: &INVARIANTS,
        violations,
    })
}

#[cfg(test)]
mod tests {
    use super::INVARIANTS;

    /// Every name a violation can carry is in the list a report shows (and
    /// nothing else is), read from the sources that raise them.
    #[test]
    fn the_list_names_every_invariant_checked() {
        let sources = [include_str!("invariants.rs"), include_str!("seal.rs")];
        let mut raised: Vec<&str> = sources
            .iter()
            .flat_map(|s| s.split("invariant: \"").skip(1))
            .filter_map(|rest| rest.split('"').next())
            .filter(|name| {
                !name.is_empty() && name.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
            })
            .collect();
        raised.sort_unstable();
        raised.dedup();
        let mut listed = INVARIANTS.to_vec();
        listed.sort_unstable();
        assert_eq!(raised, listed);
    }
}
