//! `crowdfund verify-ledger` and the trial balance: clean books pass, and any
//! tampering with the database is reported with the invariant and the row.

use serde_json::json;

use crate::helpers::TestApp;
use crate::world::Person;

const PRICE: i64 = 1_000;

async fn books_with_activity() -> (TestApp, Person, String) {
    let app = crate::helpers::spawn_app().await;
    let operator = app.operator().await;
    let sponsor = app.sponsor().await;
    let offering = app
        .open_offering(
            &sponsor,
            &operator,
            json!({"price_per_share": PRICE, "target_amount": 50 * PRICE}),
        )
        .await;
    let a = app.investor(&operator, 30 * PRICE).await;
    let b = app.investor(&operator, 30 * PRICE).await;
    assert_eq!(
        app.subscribe(&a, &offering, json!(10), "a").await.status,
        201
    );
    let sub = app.subscribe(&b, &offering, json!(5), "b").await;
    app.post(
        format!(
            "/api/v1/subscriptions/{}/cancel",
            sub.body["id"].as_str().unwrap()
        ),
        Some(&b.token),
        json!({}),
    )
    .await;
    (app, operator, offering)
}

#[tokio::test]
async fn verify_ledger_passes_on_clean_books() {
    let (app, operator, _) = books_with_activity().await;
    let (ok, report) = app.verify_ledger();
    assert!(ok, "{report}");
    assert_eq!(report["ok"], true);
    assert_eq!(report["violations"], json!([]));
    assert!(report["entries"].as_i64().unwrap() >= 5);
    app.assert_books_balance(&operator).await;
}

#[tokio::test]
async fn tampering_is_reported_with_the_broken_invariant() {
    let (app, operator, offering) = books_with_activity().await;
    {
        use diesel::RunQueryDsl;
        let mut conn = app.conn();
        let conn: &mut crowdfund::db::AnyConnection = &mut conn;
        // Someone edits a stored balance and inflates raised behind the ledger's back.
        diesel::sql_query(
            "UPDATE ledger_accounts SET balance = balance + 500 WHERE kind = 'investor_cash' \
             AND id = (SELECT MIN(id) FROM ledger_accounts WHERE kind = 'investor_cash')",
        )
        .execute(conn)
        .unwrap();
        diesel::sql_query(format!(
            "UPDATE offerings SET raised = raised + 1000 WHERE id = '{offering}'"
        ))
        .execute(conn)
        .unwrap();
    }
    let (ok, report) = app.verify_ledger();
    assert!(!ok, "verify-ledger must fail: {report}");
    let invariants: Vec<&str> = report["violations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["invariant"].as_str().unwrap())
        .collect();
    assert!(invariants.contains(&"balance_matches_postings"), "{report}");
    assert!(
        invariants.contains(&"raised_matches_subscriptions"),
        "{report}"
    );
    let offending = report["violations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["invariant"] == "raised_matches_subscriptions")
        .unwrap();
    assert_eq!(offending["subject"], format!("offering:{offering}"));
    assert_eq!(
        offending["actual"].as_i64().unwrap() - offending["expected"].as_i64().unwrap(),
        1000
    );

    let trial = app
        .get(
            "/api/v1/operator/ledger/trial-balance",
            Some(&operator.token),
        )
        .await;
    assert_eq!(trial.body["ok"], false);
}

/// What the bank reported and the books do not hold fails the check: a
/// notification that booked nothing (as releases before every movement was
/// booked left them), and a journal entry neither sealed nor queued for the
/// sealer.
#[tokio::test]
async fn a_bank_movement_off_the_books_or_an_entry_the_sealer_never_sees_is_reported() {
    // The sealer waits long enough for the test to take an entry off its queue.
    let app = crate::helpers::spawn_app_with(&[("SEAL_INTERVAL_SECS", "3600")]).await;
    let operator = app.operator().await;
    let investor = app.investor(&operator, 10_000).await;
    let (ok, report) = app.verify_ledger();
    assert!(ok, "{report}");

    app.execute(
        "INSERT INTO bank_events (bank_txn_id, kind, reference, amount, outcome, raw_body, received_at) \
         VALUES ('LOST-1', 'withdrawal', 'WDR-NOBODY', 18500, 'amount_mismatch', '{}', CURRENT_TIMESTAMP)",
    );
    let (ok, report) = app.verify_ledger();
    assert!(!ok, "{report}");
    let violation = &report["violations"][0];
    assert_eq!(violation["invariant"], "bank_events_booked", "{report}");
    assert_eq!(violation["subject"], "bank_transaction:LOST-1");
    assert_eq!(violation["expected"], 18500);
    app.execute("DELETE FROM bank_events WHERE bank_txn_id = 'LOST-1'");
    assert!(app.verify_ledger().0);

    let queued = app.count("unsealed_entries");
    assert!(queued > 0, "nothing waits for the sealer");
    app.execute(&format!(
        "DELETE FROM unsealed_entries WHERE entry_id = (SELECT p.entry_id FROM journal_entries j \
         JOIN postings p ON p.entry_id = j.id JOIN ledger_accounts a ON a.id = p.account_id \
         WHERE a.owner_id = '{}' LIMIT 1)",
        investor.id
    ));
    let (ok, report) = app.verify_ledger();
    assert!(!ok, "{report}");
    assert_eq!(
        report["violations"][0]["invariant"], "entries_sealed_or_queued",
        "{report}"
    );
}
