//! Seeding a large funded round straight into the database, consistent with
//! the ledger (deposits, subscriptions, escrow), for tests that need tens of
//! thousands of subscriptions faster than the API could take them.

use diesel::RunQueryDsl;

use crate::helpers::TestApp;

pub const SEED_PRICE: i64 = 100;

/// A funded offering of `subscriptions` one-share subscriptions spread over
/// `investors` investors, with its sponsor. Returns (offering id, sponsor id).
pub fn funded_round(app: &TestApp, subscriptions: i64, investors: i64) -> (String, String) {
    let mut conn = app.conn();
    let conn: &mut crowdfund::db::AnyConnection = &mut conn;
    let tag = uuid::Uuid::new_v4().simple().to_string()[..8].to_string();
    let now = "'2026-11-20 10:00:00'";
    let target = subscriptions * SEED_PRICE;
    let seq = |n: i64| {
        format!("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {n}) ")
    };
    let offering = format!("seed-o-{tag}");
    let sponsor = format!("seed-u-{tag}-sponsor");
    // Same digit count for every number, so text order is numeric order.
    let inv = |col: &str| format!("'seed-u-{tag}-' || (1000000 + {col})");
    let statements = [
        format!(
            "INSERT INTO users (id, email, password_hash, display_name, role, email_verified_at, failed_logins, created_at, updated_at) \
             VALUES ('{sponsor}', '{sponsor}@example.com', 'x', 'Seed Sponsor', 'sponsor', {now}, 0, {now}, {now})"
        ),
        format!(
            "{} INSERT INTO users (id, email, password_hash, display_name, role, email_verified_at, failed_logins, created_at, updated_at) \
             SELECT {}, 'seed-{tag}-' || i || '@example.com', 'x', 'Investor ' || i, 'investor', {now}, 0, {now}, {now} FROM n",
            seq(investors),
            inv("i")
        ),
        format!(
            "INSERT INTO offerings (id, sponsor_id, title, summary, description, security_type, price_per_share, \
             target_amount, min_raise, min_subscription, opens_at, closes_at, status, raised, created_at, updated_at, approved_at, closed_at, \
             investor_count) \
             VALUES ('{offering}', '{sponsor}', 'Seeded Round', 'Big', '', 'common_equity', {SEED_PRICE}, {target}, {target}, \
             {SEED_PRICE}, {now}, '2027-06-01 00:00:00', 'funded', {target}, {now}, {now}, {now}, {now}, {})",
            investors.min(subscriptions)
        ),
        format!(
            "INSERT INTO ledger_accounts (id, kind, owner_id, currency, balance, created_at) \
             VALUES ('seed-a-{tag}-escrow', 'offering_escrow', '{offering}', 'USD', {target}, {now})"
        ),
        format!(
            "INSERT INTO ledger_accounts (id, kind, owner_id, currency, balance, created_at) \
             SELECT 'seed-a-{tag}-bank', 'external_bank', 'platform', 'USD', 0, {now} \
             WHERE NOT EXISTS (SELECT 1 FROM ledger_accounts WHERE kind = 'external_bank')"
        ),
        format!(
            "UPDATE ledger_accounts SET balance = balance - {target} WHERE kind = 'external_bank'"
        ),
        format!(
            "{} INSERT INTO ledger_accounts (id, kind, owner_id, currency, balance, created_at) \
             SELECT 'seed-a-{tag}-' || (1000000 + i), 'investor_cash', {}, 'USD', 0, {now} FROM n",
            seq(investors),
            inv("i")
        ),
        // One deposit per investor covering all of their subscriptions.
        format!(
            "{} INSERT INTO journal_entries (id, kind, reference_id, description, created_at) \
             SELECT 'seed-d-{tag}-' || (1000000 + i), 'deposit', 'seed-dep-{tag}-' || i, 'Seeded deposit', {now} FROM n",
            seq(investors)
        ),
        format!(
            "{} INSERT INTO postings (id, entry_id, account_id, amount, created_at) \
             SELECT 'seed-d-{tag}-' || (1000000 + i) || '-c', 'seed-d-{tag}-' || (1000000 + i), 'seed-a-{tag}-' || (1000000 + i), \
             {SEED_PRICE} * ((({subscriptions}) - i) / {investors} + 1), {now} FROM n",
            seq(investors)
        ),
        format!(
            "{} INSERT INTO postings (id, entry_id, account_id, amount, created_at) \
             SELECT 'seed-d-{tag}-' || (1000000 + i) || '-b', 'seed-d-{tag}-' || (1000000 + i), \
             (SELECT id FROM ledger_accounts WHERE kind = 'external_bank'), \
             -{SEED_PRICE} * ((({subscriptions}) - i) / {investors} + 1), {now} FROM n",
            seq(investors)
        ),
        // Each deposit crossed the bank boundary: its transfer record.
        format!(
            "{} INSERT INTO bank_transfers (id, direction, kind, subject_id, bank_txn_id, reference, amount, entry_id, booked_at) \
             SELECT 'deposit:seed-dep-{tag}-' || i, 'credit', 'deposit', 'seed-dep-{tag}-' || i, NULL, 'seed-dep-{tag}-' || i, \
             {SEED_PRICE} * ((({subscriptions}) - i) / {investors} + 1), 'seed-d-{tag}-' || (1000000 + i), {now} FROM n",
            seq(investors)
        ),
        // Subscription k belongs to investor ((k - 1) % investors) + 1.
        format!(
            "{} INSERT INTO journal_entries (id, kind, reference_id, description, created_at) \
             SELECT 'seed-e-{tag}-' || (10000000 + i), 'subscription', 'seed-s-{tag}-' || (10000000 + i), 'Seeded subscription', {now} FROM n",
            seq(subscriptions)
        ),
        format!(
            "{} INSERT INTO postings (id, entry_id, account_id, amount, created_at) \
             SELECT 'seed-e-{tag}-' || (10000000 + i) || '-c', 'seed-e-{tag}-' || (10000000 + i), \
             'seed-a-{tag}-' || (1000000 + ((i - 1) % {investors}) + 1), -{SEED_PRICE}, {now} FROM n",
            seq(subscriptions)
        ),
        format!(
            "{} INSERT INTO postings (id, entry_id, account_id, amount, created_at) \
             SELECT 'seed-e-{tag}-' || (10000000 + i) || '-e', 'seed-e-{tag}-' || (10000000 + i), 'seed-a-{tag}-escrow', {SEED_PRICE}, {now} FROM n",
            seq(subscriptions)
        ),
        format!(
            "{} INSERT INTO subscriptions (id, offering_id, investor_id, shares, amount, status, entry_id, created_at, updated_at) \
             SELECT 'seed-s-{tag}-' || (10000000 + i), '{offering}', {}, 1, {SEED_PRICE}, 'active', \
             'seed-e-{tag}-' || (10000000 + i), {now}, {now} FROM n",
            seq(subscriptions),
            inv(&format!("((i - 1) % {investors}) + 1"))
        ),
    ];
    // One transaction, as the application writes: the server's sealer must
    // never see an entry whose postings are not there yet.
    diesel::Connection::transaction::<_, diesel::result::Error, _>(conn, |conn| {
        for statement in &statements {
            diesel::sql_query(statement.as_str()).execute(conn)?;
        }
        Ok(())
    })
    .unwrap_or_else(|e| panic!("seeding failed: {e}"));
    (offering, sponsor)
}
