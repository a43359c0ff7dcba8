//! The database backs up the rules the code keeps: each forbidden write is
//! tried straight in SQL, as a bug or an intruder with a connection would,
//! and refused; and what a backstop cannot stop (someone who removes it) the
//! seal chain still catches, against a head kept off the database.

use diesel::RunQueryDsl;
use serde_json::json;

use crate::helpers::{backend_is_postgres, spawn_app, TestApp};

/// Runs `sql` and returns the database's refusal; panics if it was accepted.
fn refused(app: &TestApp, sql: &str) -> String {
    let mut conn = app.conn();
    match diesel::sql_query(sql).execute(&mut *conn) {
        Ok(n) => panic!("the database accepted ({n} rows): {sql}"),
        Err(e) => e.to_string(),
    }
}

fn run(app: &TestApp, sql: &str) -> usize {
    let mut conn = app.conn();
    diesel::sql_query(sql)
        .execute(&mut *conn)
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

#[tokio::test]
async fn the_database_refuses_what_the_code_never_does() {
    let app = spawn_app().await;
    let operator = app.operator().await;
    let sponsor = app.sponsor().await;
    let a = app.investor(&operator, 30_000).await;
    let b = app.investor(&operator, 30_000).await;
    for (who, key) in [(&a, "w-a"), (&b, "w-b")] {
        let w = app
            .post_keyed(
                "/api/v1/me/withdrawals",
                Some(&who.token),
                key,
                json!({"amount": 1_000}),
            )
            .await;
        let paid = app
            .bank_webhook(
                &json!({"bank_txn_id": format!("PAY-{key}"), "kind": "withdrawal",
                                  "reference": w.body["reference"], "amount": 1_000}),
            )
            .await;
        assert_eq!(paid.body["outcome"], "paid");
    }
    let offering = app.open_offering(&sponsor, &operator, json!({})).await;
    assert_eq!(app.offering(&offering).await["fee_bps"], 500);
    let before = app.count("journal_entries");

    // One-shot money movements happen once: a second deposit entry for the
    // same deposit is refused.
    refused(
        &app,
        "INSERT INTO journal_entries (id, kind, reference_id, description, created_at) \
         SELECT 'again-' || id, kind, reference_id, 'again', created_at FROM journal_entries \
         WHERE kind = 'deposit'",
    );
    // A bank transaction credits one deposit and pays one withdrawal.
    refused(
        &app,
        "UPDATE deposits SET bank_txn_id = (SELECT MIN(bank_txn_id) FROM deposits) \
         WHERE bank_txn_id = (SELECT MAX(bank_txn_id) FROM deposits)",
    );
    refused(
        &app,
        "UPDATE withdrawals SET bank_txn_id = 'PAY-w-a' WHERE bank_txn_id = 'PAY-w-b'",
    );
    // A confirmed deposit cannot quietly become pending again.
    refused(
        &app,
        "UPDATE deposits SET status = 'pending' WHERE status = 'confirmed'",
    );
    // Nor can a paid payout, and a returned one never changes again.
    refused(
        &app,
        "UPDATE withdrawals SET status = 'pending', paid_entry_id = NULL WHERE bank_txn_id = 'PAY-w-a'",
    );
    run(
        &app,
        "UPDATE withdrawals SET status = 'returned', returned_entry_id = paid_entry_id, \
         return_bank_txn_id = 'RET-w-b' WHERE bank_txn_id = 'PAY-w-b'",
    );
    for status in ["pending", "paid"] {
        refused(
            &app,
            &format!("UPDATE withdrawals SET status = '{status}' WHERE bank_txn_id = 'PAY-w-b'"),
        );
    }
    run(
        &app,
        "UPDATE deposits SET status = 'returned', returned_entry_id = entry_id \
         WHERE user_id = (SELECT user_id FROM withdrawals WHERE bank_txn_id = 'PAY-w-b')",
    );
    refused(
        &app,
        "UPDATE deposits SET status = 'confirmed', returned_entry_id = NULL WHERE status = 'returned'",
    );
    // Accounts of what the platform is owed never go above zero, the
    // others never below.
    for (kind, balance) in [
        ("investor_receivable", 1),
        ("unreconciled_bank_movements", 1),
        ("bank_write_offs", 1),
        ("investor_cash", -1),
    ] {
        refused(
            &app,
            &format!(
                "INSERT INTO ledger_accounts (id, kind, owner_id, currency, balance, created_at) \
                 VALUES ('sign-{kind}', '{kind}', 'x-{kind}', 'USD', {balance}, CURRENT_TIMESTAMP)"
            ),
        );
    }
    // Accounts keep who and what they are, and are never deleted.
    for sql in [
        "UPDATE ledger_accounts SET owner_id = 'someone-else' WHERE kind = 'investor_cash'",
        "UPDATE ledger_accounts SET kind = 'platform_fee' WHERE kind = 'investor_cash'",
        "UPDATE ledger_accounts SET currency = 'EUR' WHERE kind = 'investor_cash'",
        "DELETE FROM ledger_accounts WHERE kind = 'investor_cash'",
    ] {
        refused(&app, sql);
    }
    // Bank transfers are append-only, like the journal.
    refused(&app, "UPDATE bank_transfers SET amount = amount + 1");
    refused(&app, "DELETE FROM bank_transfers");
    // The fee fixed at approval stays fixed.
    refused(
        &app,
        &format!("UPDATE offerings SET fee_bps = 0 WHERE id = '{offering}'"),
    );
    // An approved profile declares what it was approved on.
    refused(
        &app,
        &format!(
            "UPDATE investor_profiles SET annual_income = annual_income + 1 WHERE user_id = '{}'",
            a.id
        ),
    );
    // ... with none of the approved figures missing (NULL passed PostgreSQL's
    // CHECK once; SQLite's trigger always refused it).
    refused(
        &app,
        &format!(
            "UPDATE investor_profiles SET approved_annual_income = NULL, approved_net_worth = NULL, \
             approved_accredited = NULL, approved_external_investments_12m = NULL \
             WHERE user_id = '{}'",
            a.id
        ),
    );
    if backend_is_postgres() {
        for table in [
            "journal_entries",
            "postings",
            "audit_log",
            "ledger_seals",
            "entry_seals",
            "ledger_accounts",
            "bank_transfers",
        ] {
            let e = refused(&app, &format!("TRUNCATE {table} CASCADE"));
            assert!(e.contains("append-only"), "{table}: {e}");
        }
    }
    // Nothing of that happened (the two returns made by hand moved no money).
    assert_eq!(app.count("journal_entries"), before);
    app.assert_books_balance(&operator).await;
    let (ok, report) = app.verify_ledger();
    assert!(ok, "{report}");
}

#[tokio::test]
async fn the_seal_head_kept_off_the_database_catches_what_the_backstops_did_not() {
    let app = spawn_app().await;
    let operator = app.operator().await;
    // Nothing posted yet: no seal.
    app.get("/api/v1/operator/ledger/seal-head", Some(&operator.token))
        .await
        .assert_problem(404, "no_seal_yet");
    let a = app.investor(&operator, 20_000).await;
    let _b = app.investor(&operator, 10_000).await;

    let out = app.cli(&["seal-head"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let head: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let hash = head["hash"].as_str().unwrap().to_string();
    assert_eq!(hash.len(), 64);
    assert_eq!(head["format"], 2);
    assert_eq!(head["entries_sealed"], app.count("journal_entries"));
    let served = app
        .get("/api/v1/operator/ledger/seal-head", Some(&operator.token))
        .await;
    assert_eq!(served.status, 200, "{}", served.body);
    assert_eq!(served.body["hash"], hash.as_str());
    assert_eq!(served.body["seq"], head["seq"]);
    app.get("/api/v1/operator/ledger/seal-head", Some(&a.token))
        .await
        .assert_problem(403, "forbidden");

    let check = |expect: &str| app.cli(&["verify-ledger", "--expect-head", expect]);
    assert!(check(&hash).status.success());
    let elsewhere = check(&"ab".repeat(32));
    assert!(!elsewhere.status.success());
    let report: serde_json::Value = serde_json::from_slice(&elsewhere.stdout).unwrap();
    assert_eq!(report["violations"][0]["invariant"], "expected_head");

    // Someone with the rights to remove the backstop re-points an
    // investor's cash account to another owner: no posting moved, yet the
    // money now belongs to someone else. The seal names the entries.
    if backend_is_postgres() {
        run(
            &app,
            "ALTER TABLE ledger_accounts DISABLE TRIGGER ledger_accounts_identity",
        );
    } else {
        run(&app, "DROP TRIGGER ledger_accounts_identity");
    }
    run(
        &app,
        &format!(
            "UPDATE ledger_accounts SET owner_id = 'intruder' \
             WHERE kind = 'investor_cash' AND owner_id = '{}'",
            a.id
        ),
    );
    let (ok, report) = app.verify_ledger();
    assert!(!ok, "the re-pointed account went unnoticed: {report}");
    let violation = &report["violations"][0];
    assert_eq!(violation["invariant"], "seal_chain", "{report}");
    assert!(
        violation["detail"]
            .as_str()
            .unwrap()
            .contains("changed after it was sealed"),
        "{report}"
    );
}
