//! Deposits confirmed by the bank's signed webhook, withdrawals held and paid
//! out, and every way a notification can be wrong.

use futures_util::future::join_all;
use serde_json::json;

use crate::helpers::spawn_app;
use crate::world::sign;

#[tokio::test]
async fn a_deposit_is_credited_once_when_the_bank_confirms_it() {
    let app = spawn_app().await;
    let operator = app.operator().await;
    let investor = app.investor(&operator, 0).await;
    let deposit = app.deposit(&investor, 25_000).await;
    assert_eq!(deposit.status, 201, "{}", deposit.body);
    assert_eq!(deposit.body["status"], "pending");
    let reference = deposit.body["reference"].as_str().unwrap().to_string();
    assert_eq!(
        app.available(&investor).await,
        0,
        "nothing before the bank confirms"
    );

    let note = json!({"bank_txn_id": "BANK-1", "reference": reference, "amount": 25_000, "kind": "deposit"});
    let first = app.bank_webhook(&note).await;
    assert_eq!(first.status, 200, "{}", first.body);
    assert_eq!(first.body["outcome"], "credited");
    // The same notification again, and many at once: nothing more.
    let replays = join_all((0..8).map(|_| app.bank_webhook(&note))).await;
    for r in &replays {
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.body["outcome"], "duplicate");
        assert_eq!(r.body["original_outcome"], "credited");
    }
    // Another bank transaction quoting the same reference does not credit twice.
    let second = app
        .bank_webhook(&json!({"bank_txn_id": "BANK-2", "reference": reference, "amount": 25_000, "kind": "deposit"}))
        .await;
    assert_eq!(second.body["outcome"], "already_settled");
    assert_eq!(app.available(&investor).await, 25_000);
    app.assert_books_balance(&operator).await;
}

#[tokio::test]
async fn bad_notifications_are_refused_or_recorded_without_crediting() {
    let app = spawn_app().await;
    let operator = app.operator().await;
    let investor = app.investor(&operator, 0).await;
    let deposit = app.deposit(&investor, 10_000).await;
    let reference = deposit.body["reference"].as_str().unwrap().to_string();
    let body =
        json!({"bank_txn_id": "B-1", "reference": reference, "amount": 10_000, "kind": "deposit"})
            .to_string();

    // Wrong, missing and malformed signatures.
    let forged = app
        .bank_webhook_raw(body.as_bytes(), &sign(b"something else"))
        .await;
    forged.assert_problem(401, "invalid_signature");
    app.bank_webhook_raw(body.as_bytes(), "")
        .await
        .assert_problem(401, "invalid_signature");
    app.bank_webhook_raw(body.as_bytes(), "sha256=nothex")
        .await
        .assert_problem(401, "invalid_signature");
    // A body altered after signing.
    let tampered = body.replace("10000", "99999");
    app.bank_webhook_raw(tampered.as_bytes(), &sign(body.as_bytes()))
        .await
        .assert_problem(401, "invalid_signature");

    // Signed but wrong: unknown reference, mismatched amount.
    let unknown = app
        .bank_webhook(&json!({"bank_txn_id": "B-2", "reference": "DEP-NOPE", "amount": 10_000, "kind": "deposit"}))
        .await;
    assert_eq!(unknown.body["outcome"], "unmatched");
    let mismatch = app
        .bank_webhook(&json!({"bank_txn_id": "B-3", "reference": reference, "amount": 9_999, "kind": "deposit"}))
        .await;
    assert_eq!(mismatch.body["outcome"], "amount_mismatch");
    // Signed but malformed.
    for bad in [
        json!({"bank_txn_id": "B-4", "reference": reference, "amount": -5, "kind": "deposit"}),
        json!({"bank_txn_id": "B-5", "reference": reference, "amount": 10_000, "kind": "refund"}),
        json!({"bank_txn_id": "", "reference": reference, "amount": 10_000, "kind": "deposit"}),
    ] {
        app.bank_webhook(&bad)
            .await
            .assert_problem(422, "invalid_field");
    }
    app.bank_webhook(&json!({"bank_txn_id": "B-6", "amount": 1.5}))
        .await
        .assert_problem(422, "invalid_body");
    assert_eq!(app.available(&investor).await, 0);
    assert_eq!(
        app.count("bank_events"),
        2,
        "unmatched and mismatched are kept for reconciliation"
    );
    // The money is on the books all the same, in suspense.
    assert_eq!(
        app.count("journal_entries WHERE kind = 'unallocated_deposit'"),
        2
    );
    assert_eq!(app.count("unallocated_deposits WHERE status = 'open'"), 2);

    // The right notification still works afterwards.
    let ok = app
        .bank_webhook_raw(body.as_bytes(), &sign(body.as_bytes()))
        .await;
    assert_eq!(ok.body["outcome"], "credited");
    assert_eq!(app.available(&investor).await, 10_000);
    app.assert_books_balance(&operator).await;
}

#[tokio::test]
async fn withdrawals_hold_the_money_and_leave_when_the_bank_pays_out() {
    let app = spawn_app().await;
    let operator = app.operator().await;
    let investor = app.investor(&operator, 50_000).await;
    let w = app
        .client
        .post(app.url("/api/v1/me/withdrawals"))
        .bearer_auth(&investor.token)
        .header("Idempotency-Key", "w-1")
        .json(&json!({"amount": 20_000}))
        .send()
        .await
        .unwrap();
    let w = crate::helpers::read(w).await;
    assert_eq!(w.status, 201, "{}", w.body);
    let account = app.get("/api/v1/me/account", Some(&investor.token)).await;
    assert_eq!(account.body["available"], 30_000);
    assert_eq!(account.body["pending_withdrawals"], 20_000);
    let reference = w.body["reference"].as_str().unwrap();
    let paid = app
        .bank_webhook(&json!({"bank_txn_id": "OUT-1", "reference": reference, "amount": 20_000, "kind": "withdrawal"}))
        .await;
    assert_eq!(paid.body["outcome"], "paid", "{}", paid.body);
    let account = app.get("/api/v1/me/account", Some(&investor.token)).await;
    assert_eq!(account.body["available"], 30_000);
    assert_eq!(account.body["pending_withdrawals"], 0);
    let report = app.assert_books_balance(&operator).await;
    let bank = report["accounts_by_kind"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kind"] == "external_bank")
        .unwrap()["balance"]
        .clone();
    assert_eq!(bank, -30_000, "50,000 came in, 20,000 went out");
}

#[tokio::test]
async fn concurrent_withdrawals_never_overdraw() {
    let app = spawn_app().await;
    let operator = app.operator().await;
    let investor = app.investor(&operator, 10_000).await;
    let replies = join_all((0..12).map(|i| {
        let req = app
            .client
            .post(app.url("/api/v1/me/withdrawals"))
            .bearer_auth(&investor.token)
            .header("Idempotency-Key", format!("cw-{i}"))
            .json(&json!({"amount": 3_000}))
            .send();
        async move { crate::helpers::read(req.await.unwrap()).await }
    }))
    .await;
    assert_eq!(replies.iter().filter(|r| r.status == 201).count(), 3);
    for r in replies.iter().filter(|r| r.status != 201) {
        r.assert_problem(422, "insufficient_funds");
    }
    assert_eq!(app.available(&investor).await, 1_000);
    app.assert_books_balance(&operator).await;
}

#[tokio::test]
async fn amounts_are_validated_and_accounts_are_private() {
    let app = spawn_app().await;
    let operator = app.operator().await;
    let investor = app.investor(&operator, 0).await;
    for amount in [json!(0), json!(-1), json!(10_000_000_000_000_000i64)] {
        app.deposit(&investor, amount)
            .await
            .assert_problem(422, "invalid_field");
    }
    for amount in [json!(1.25), json!("100"), json!(1e20)] {
        app.deposit(&investor, amount)
            .await
            .assert_problem(422, "invalid_body");
    }
    app.get("/api/v1/me/account", None)
        .await
        .assert_problem(401, "unauthorized");
    app.get("/api/v1/me/account", Some(&operator.token))
        .await
        .assert_problem(403, "forbidden");
    let sponsor = app.sponsor().await;
    app.deposit(&sponsor, 100)
        .await
        .assert_problem(403, "forbidden");
    assert_eq!(app.count("deposits"), 0);
}
