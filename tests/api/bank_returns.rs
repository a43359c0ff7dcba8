//! Money that comes back or matches nothing: payouts the bank rejects or
//! returns, deposits it takes back, and transfers no deposit announced, held
//! in suspense until an operator credits or returns them. Each ends with the
//! money where it belongs, a clean ledger, and a bank statement that matches
//! line for line.

use serde_json::{json, Value};

use crate::books::{statement, upload};
use crate::helpers::{spawn_app, unique_email, TestApp};
use crate::world::Person;

async fn withdraw(app: &TestApp, who: &Person, amount: i64) -> Value {
    let r = app
        .post_keyed(
            "/api/v1/me/withdrawals",
            Some(&who.token),
            &uuid::Uuid::new_v4().to_string(),
            json!({"amount": amount}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    r.body
}

fn today() -> String {
    chrono::Utc::now().format("%Y-%m-%d").to_string()
}

/// The balance of the accounts of `kind` in a trial balance (0 when there
/// is no such account yet).
pub fn balance_of(books: &Value, kind: &str) -> i64 {
    books["accounts_by_kind"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kind"] == kind)
        .map_or(0, |k| k["balance"].as_i64().unwrap())
}

fn assert_ledger_clean(app: &TestApp) {
    let (ok, report) = app.verify_ledger();
    assert!(ok, "verify-ledger: {report}");
}

#[tokio::test]
async fn a_payout_the_bank_rejects_goes_back_to_the_owner() {
    let app = spawn_app().await;
    let operator = app.operator().await;
    let investor = app.investor(&operator, 50_000).await;
    let w = withdraw(&app, &investor, 20_000).await;
    assert_eq!(app.available(&investor).await, 30_000);
    let reference = w["reference"].as_str().unwrap();

    let note = json!({"bank_txn_id": "REJ-1", "kind": "withdrawal_returned",
                      "reference": reference, "amount": 20_000});
    let r = app.bank_webhook(&note).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["outcome"], "returned");
    assert_eq!(app.available(&investor).await, 50_000);
    // Once only, however often the bank repeats itself.
    assert_eq!(app.bank_webhook(&note).await.body["outcome"], "duplicate");
    // A second return of it is money in that matches nothing: suspense.
    let again = json!({"bank_txn_id": "REJ-2", "kind": "withdrawal_returned",
                       "reference": reference, "amount": 20_000});
    let second = app.bank_webhook(&again).await;
    assert_eq!(second.body["outcome"], "already_settled");
    assert!(
        second.body["unallocated_deposit_id"].is_string(),
        "{}",
        second.body
    );
    // Its payout notice arriving after the return: the money did leave and
    // came back. Both movements are booked; the owner keeps what the return
    // gave back.
    let paid = json!({"bank_txn_id": "PAY-1", "kind": "withdrawal",
                      "reference": reference, "amount": 20_000});
    assert_eq!(app.bank_webhook(&paid).await.body["outcome"], "paid");
    assert_eq!(app.bank_webhook(&paid).await.body["outcome"], "duplicate");
    assert_eq!(app.available(&investor).await, 50_000);
    assert_eq!(
        app.count("bank_transfers WHERE bank_txn_id IN ('REJ-1', 'PAY-1')"),
        2
    );

    let list = app
        .get("/api/v1/me/withdrawals", Some(&investor.token))
        .await;
    assert_eq!(list.status, 200, "{}", list.body);
    assert_eq!(list.body["items"][0]["status"], "returned");
    assert!(list.body["items"][0]["returned_at"].is_string());
    let account = app.get("/api/v1/me/account", Some(&investor.token)).await;
    assert_eq!(account.body["pending_withdrawals"], 0);
    let mail = app
        .wait_for_email(
            &investor.email,
            &format!("Your withdrawal {reference} came back"),
        )
        .await;
    assert!(mail.body.contains("$200.00"), "{}", mail.body);
    let books = app.assert_books_balance(&operator).await;
    assert_eq!(balance_of(&books, "payouts_pending"), 0);
    assert_eq!(balance_of(&books, "unallocated_deposits"), 20_000);
    // In 50,000, out 20,000 and back 20,000, in 20,000 again: the bank holds 70,000.
    assert_eq!(balance_of(&books, "external_bank"), -70_000);
    assert_ledger_clean(&app);
}

#[tokio::test]
async fn a_payout_returned_after_it_was_paid_comes_back_and_the_statement_matches() {
    let app = spawn_app().await;
    let operator = app.operator().await;
    // The investor's deposit is the statement's first line.
    let investor = app.investor(&operator, 0).await;
    let deposit = app.deposit(&investor, 40_000).await;
    let dep_ref = deposit.body["reference"].as_str().unwrap().to_string();
    let credited = app
        .bank_webhook(&json!({"bank_txn_id": "IN-1", "kind": "deposit",
                              "reference": dep_ref, "amount": 40_000}))
        .await;
    assert_eq!(credited.body["outcome"], "credited");
    let w = withdraw(&app, &investor, 15_000).await;
    let wdr_ref = w["reference"].as_str().unwrap().to_string();
    let paid = app
        .bank_webhook(&json!({"bank_txn_id": "OUT-1", "kind": "withdrawal",
                              "reference": wdr_ref, "amount": 15_000}))
        .await;
    assert_eq!(paid.body["outcome"], "paid");
    assert_eq!(app.available(&investor).await, 25_000);
    let back = app
        .bank_webhook(
            &json!({"bank_txn_id": "BACK-1", "kind": "withdrawal_returned",
                              "reference": wdr_ref, "amount": 15_000}),
        )
        .await;
    assert_eq!(back.body["outcome"], "returned", "{}", back.body);
    assert_eq!(app.available(&investor).await, 40_000);

    let day = today();
    let text = statement(&[
        ("IN-1", &day, 40_000, "credit", &dep_ref),
        ("OUT-1", &day, 15_000, "debit", &wdr_ref),
        ("BACK-1", &day, 15_000, "credit", &wdr_ref),
    ]);
    let report = upload(&app, &operator, text.into_bytes(), "text/csv").await;
    assert_eq!(report.status, 200, "{}", report.body);
    assert_eq!(
        report.body["matched"].as_array().unwrap().len(),
        3,
        "{}",
        report.body
    );
    assert_eq!(report.body["unmatched_in_statement"], json!([]));
    assert_eq!(report.body["unmatched_in_ledger"], json!([]));
    assert_eq!(report.body["amount_mismatches"], json!([]));
    let kinds: Vec<&str> = report.body["matched"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["ledger"]["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["deposit", "withdrawal", "withdrawal_return"]);
    app.assert_books_balance(&operator).await;
    assert_ledger_clean(&app);
}

#[tokio::test]
async fn money_matching_no_deposit_is_held_until_an_operator_credits_or_returns_it() {
    let app = spawn_app().await;
    let operator = app.operator().await;
    let investor = app.investor(&operator, 0).await;
    let announced = app.deposit(&investor, 10_000).await;
    let reference = announced.body["reference"].as_str().unwrap().to_string();

    // A transfer quoting nothing we know, and one quoting a deposit with
    // another amount: both on the books, in suspense.
    let stray = app
        .bank_webhook(&json!({"bank_txn_id": "STRAY-1", "kind": "deposit",
                              "reference": "payment from grandma", "amount": 7_500}))
        .await;
    assert_eq!(stray.body["outcome"], "unmatched", "{}", stray.body);
    let stray_id = stray.body["unallocated_deposit_id"]
        .as_str()
        .unwrap()
        .to_string();
    let short = app
        .bank_webhook(&json!({"bank_txn_id": "SHORT-1", "kind": "deposit",
                              "reference": reference, "amount": 9_999}))
        .await;
    assert_eq!(short.body["outcome"], "amount_mismatch");
    let short_id = short.body["unallocated_deposit_id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(app.available(&investor).await, 0);
    let books = app.assert_books_balance(&operator).await;
    assert_eq!(balance_of(&books, "unallocated_deposits"), 17_499);

    let open = app
        .get(
            "/api/v1/operator/unallocated-deposits?status=open",
            Some(&operator.token),
        )
        .await;
    assert_eq!(open.status, 200, "{}", open.body);
    assert_eq!(open.body["items"].as_array().unwrap().len(), 2);
    assert_eq!(open.body["items"][0]["id"], short_id.as_str());
    assert_eq!(open.body["items"][0]["deposit_id"], announced.body["id"]);
    assert_eq!(open.body["items"][1]["reason"], "unmatched");
    // Operators only.
    app.get(
        "/api/v1/operator/unallocated-deposits",
        Some(&investor.token),
    )
    .await
    .assert_problem(403, "forbidden");

    // Credit the stray transfer to the investor: idempotent, audited, emailed.
    let credit_path = format!("/api/v1/operator/unallocated-deposits/{stray_id}/credit");
    let body = json!({"investor_id": investor.id, "note": "phoned in, confirmed"});
    let credited = app
        .post_keyed(
            &credit_path,
            Some(&operator.token),
            "credit-1",
            body.clone(),
        )
        .await;
    assert_eq!(credited.status, 200, "{}", credited.body);
    assert_eq!(credited.body["status"], "credited");
    assert_eq!(credited.body["credited_to"], investor.id.as_str());
    let replay = app
        .post_keyed(
            &credit_path,
            Some(&operator.token),
            "credit-1",
            body.clone(),
        )
        .await;
    assert_eq!(replay.status, 200);
    assert_eq!(replay.headers["idempotent-replayed"], "true");
    app.post_keyed(&credit_path, Some(&operator.token), "credit-2", body)
        .await
        .assert_problem(409, "already_resolved");
    assert_eq!(app.available(&investor).await, 7_500);
    app.wait_for_email(
        &investor.email,
        "A transfer has been credited to your account",
    )
    .await;
    // Only to an investor.
    let other = app
        .bank_webhook(&json!({"bank_txn_id": "STRAY-2", "kind": "deposit",
                              "reference": "?", "amount": 100}))
        .await;
    let other_id = other.body["unallocated_deposit_id"].as_str().unwrap();
    app.post_keyed(
        format!("/api/v1/operator/unallocated-deposits/{other_id}/credit"),
        Some(&operator.token),
        "credit-3",
        json!({"investor_id": operator.id}),
    )
    .await
    .assert_problem(422, "invalid_field");

    // Send the short one back to its sender.
    let returned = app
        .post_keyed(
            format!("/api/v1/operator/unallocated-deposits/{short_id}/return"),
            Some(&operator.token),
            "return-1",
            json!({"bank_txn_id": "RET-OUT-1"}),
        )
        .await;
    assert_eq!(returned.status, 200, "{}", returned.body);
    assert_eq!(returned.body["status"], "returned");
    // A bank id already on the books is refused.
    app.post_keyed(
        format!("/api/v1/operator/unallocated-deposits/{other_id}/return"),
        Some(&operator.token),
        "return-2",
        json!({"bank_txn_id": "RET-OUT-1"}),
    )
    .await
    .assert_problem(409, "bank_txn_id_in_use");
    // The bank returns the last one itself.
    let bank_return = app
        .bank_webhook(
            &json!({"bank_txn_id": "RET-IN-2", "kind": "deposit_returned",
                              "original_bank_txn_id": "STRAY-2", "reference": "?", "amount": 100}),
        )
        .await;
    assert_eq!(
        bank_return.body["outcome"], "returned",
        "{}",
        bank_return.body
    );

    let audit = app
        .get(
            "/api/v1/operator/audit-log?subject_type=unallocated_deposit",
            Some(&operator.token),
        )
        .await;
    let actions: Vec<&str> = audit.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert!(
        actions.contains(&"unallocated_deposit.credited"),
        "{actions:?}"
    );
    assert!(
        actions.contains(&"unallocated_deposit.returned"),
        "{actions:?}"
    );

    // Nothing left in suspense; the statement matches every line.
    let books = app.assert_books_balance(&operator).await;
    assert_eq!(balance_of(&books, "unallocated_deposits"), 0);
    let day = today();
    let text = statement(&[
        ("STRAY-1", &day, 7_500, "credit", "grandma"),
        ("SHORT-1", &day, 9_999, "credit", &reference),
        ("STRAY-2", &day, 100, "credit", "?"),
        ("RET-OUT-1", &day, 9_999, "debit", &reference),
        ("RET-IN-2", &day, 100, "debit", "?"),
    ]);
    let report = upload(&app, &operator, text.into_bytes(), "text/csv").await;
    assert_eq!(
        report.body["matched"].as_array().unwrap().len(),
        5,
        "{}",
        report.body
    );
    assert_eq!(report.body["unmatched_in_ledger"], json!([]));
    assert_ledger_clean(&app);
}

#[tokio::test]
async fn a_deposit_the_bank_takes_back_leaves_the_investors_cash_if_it_is_there() {
    let app = spawn_app().await;
    let operator = app.operator().await;
    let investor = app.investor(&operator, 0).await;
    let d = app.deposit(&investor, 30_000).await;
    let reference = d.body["reference"].as_str().unwrap().to_string();
    app.bank_webhook(&json!({"bank_txn_id": "CR-1", "kind": "deposit",
                             "reference": reference, "amount": 30_000}))
        .await;
    assert_eq!(app.available(&investor).await, 30_000);
    let r = app
        .bank_webhook(&json!({"bank_txn_id": "RV-1", "kind": "deposit_returned",
                              "original_bank_txn_id": "CR-1", "reference": reference,
                              "amount": 30_000}))
        .await;
    assert_eq!(r.body["outcome"], "returned", "{}", r.body);
    assert_eq!(app.available(&investor).await, 0);
    let list = app.get("/api/v1/me/deposits", Some(&investor.token)).await;
    assert_eq!(list.body["items"][0]["status"], "returned");
    app.wait_for_email(
        &investor.email,
        &format!("Your deposit {reference} was returned"),
    )
    .await;

    // Money already spent (here: held for a withdrawal) cannot be taken
    // back: what is there is taken, and the investor owes the rest.
    let second = app.investor(&operator, 0).await;
    let d2 = app.deposit(&second, 20_000).await;
    let ref2 = d2.body["reference"].as_str().unwrap().to_string();
    app.bank_webhook(&json!({"bank_txn_id": "CR-2", "kind": "deposit",
                             "reference": ref2, "amount": 20_000}))
        .await;
    withdraw(&app, &second, 15_000).await;
    let uncovered = app
        .bank_webhook(&json!({"bank_txn_id": "RV-2", "kind": "deposit_returned",
                              "original_bank_txn_id": "CR-2", "reference": ref2,
                              "amount": 20_000}))
        .await;
    assert_eq!(uncovered.body["outcome"], "return_uncovered");
    assert_eq!(app.available(&second).await, 0);
    let account = app.get("/api/v1/me/account", Some(&second.token)).await;
    assert_eq!(account.body["owed"], 15_000, "{}", account.body);
    // A return of a transfer we never saw, and one without the original.
    let unknown = app
        .bank_webhook(&json!({"bank_txn_id": "RV-3", "kind": "deposit_returned",
                              "original_bank_txn_id": "NEVER", "reference": "x",
                              "amount": 1}))
        .await;
    assert_eq!(unknown.body["outcome"], "unmatched");
    assert!(
        unknown.body["unreconciled_movement_id"].is_string(),
        "{}",
        unknown.body
    );
    app.bank_webhook(&json!({"bank_txn_id": "RV-4", "kind": "deposit_returned",
                             "reference": "x", "amount": 1}))
        .await
        .assert_problem(422, "invalid_field");
    app.assert_books_balance(&operator).await;
    assert_ledger_clean(&app);
}

#[tokio::test]
async fn a_retried_deposit_request_announces_one_deposit_and_lists_are_private() {
    let app = spawn_app().await;
    let operator = app.operator().await;
    let investor = app.investor(&operator, 0).await;
    let first = app
        .post_keyed(
            "/api/v1/me/deposits",
            Some(&investor.token),
            "dep-1",
            json!({"amount": 12_000}),
        )
        .await;
    assert_eq!(first.status, 201, "{}", first.body);
    let retry = app
        .post_keyed(
            "/api/v1/me/deposits",
            Some(&investor.token),
            "dep-1",
            json!({"amount": 12_000}),
        )
        .await;
    assert_eq!(retry.status, 201);
    assert_eq!(retry.headers["idempotent-replayed"], "true");
    assert_eq!(retry.body["reference"], first.body["reference"]);
    app.post_keyed(
        "/api/v1/me/deposits",
        Some(&investor.token),
        "dep-1",
        json!({"amount": 13_000}),
    )
    .await
    .assert_problem(422, "idempotency_key_mismatch");
    app.post(
        "/api/v1/me/deposits",
        Some(&investor.token),
        json!({"amount": 13_000}),
    )
    .await
    .assert_problem(400, "idempotency_key_required");
    assert_eq!(
        app.count(&format!("deposits WHERE user_id = '{}'", investor.id)),
        1
    );

    // Listed newest first, a page at a time.
    let second = app.deposit(&investor, 5_000).await;
    let page = app
        .get("/api/v1/me/deposits?limit=1", Some(&investor.token))
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert_eq!(page.body["items"][0]["reference"], second.body["reference"]);
    assert_eq!(page.body["items"][0]["status"], "pending");
    let cursor = page.body["next_cursor"].as_str().unwrap();
    let next = app
        .get(
            &format!("/api/v1/me/deposits?limit=1&cursor={cursor}"),
            Some(&investor.token),
        )
        .await;
    assert_eq!(next.body["items"][0]["reference"], first.body["reference"]);
    assert_eq!(next.body["next_cursor"], Value::Null);

    // Nobody sees another's deposits; withdrawals are listed for sponsors too.
    let (_, stranger, _) = app.signed_up(&unique_email("stranger"), "investor").await;
    let theirs = app.get("/api/v1/me/deposits", Some(&stranger)).await;
    assert_eq!(theirs.body["items"], json!([]));
    let sponsor = app.sponsor().await;
    let sponsor_list = app
        .get("/api/v1/me/withdrawals", Some(&sponsor.token))
        .await;
    assert_eq!(sponsor_list.status, 200, "{}", sponsor_list.body);
    app.get("/api/v1/me/withdrawals", Some(&operator.token))
        .await
        .assert_problem(403, "forbidden");
    app.get("/api/v1/me/deposits", None)
        .await
        .assert_problem(401, "unauthorized");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_resolutions_and_returns_move_the_money_once() {
    let app = spawn_app().await;
    let operator = app.operator().await;
    let investor = app.investor(&operator, 40_000).await;
    let w = withdraw(&app, &investor, 10_000).await;
    let reference = w["reference"].as_str().unwrap().to_string();
    // The bank reports the same rejection eight times under eight ids.
    let notes: Vec<Value> = (0..8)
        .map(|i| {
            json!({"bank_txn_id": format!("REJ-{i}"), "kind": "withdrawal_returned",
                   "reference": reference, "amount": 10_000})
        })
        .collect();
    let returns = futures_util::future::join_all(notes.iter().map(|n| app.bank_webhook(n))).await;
    let outcomes: Vec<&str> = returns
        .iter()
        .map(|r| r.body["outcome"].as_str().unwrap_or("?"))
        .collect();
    assert_eq!(
        outcomes.iter().filter(|o| **o == "returned").count(),
        1,
        "{outcomes:?}"
    );
    assert!(
        outcomes
            .iter()
            .all(|o| *o == "returned" || *o == "already_settled"),
        "{outcomes:?}"
    );
    assert_eq!(app.available(&investor).await, 40_000);

    // Eight operators credit one stray transfer at once, under their own keys.
    let stray = app
        .bank_webhook(&json!({"bank_txn_id": "STRAY-C", "kind": "deposit",
                              "reference": "unknown", "amount": 3_000}))
        .await;
    let id = stray.body["unallocated_deposit_id"]
        .as_str()
        .unwrap()
        .to_string();
    let path = format!("/api/v1/operator/unallocated-deposits/{id}/credit");
    let keys: Vec<String> = (0..8).map(|i| format!("c-{i}")).collect();
    let credits = futures_util::future::join_all(keys.iter().map(|key| {
        app.post_keyed(
            &path,
            Some(&operator.token),
            key,
            json!({"investor_id": investor.id}),
        )
    }))
    .await;
    let statuses: Vec<u16> = credits.iter().map(|r| r.status.as_u16()).collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| *s == 200 || *s == 409),
        "{statuses:?}"
    );
    assert_eq!(app.available(&investor).await, 43_000);

    // The bank takes one credited deposit back eight times under eight ids.
    let d = app.deposit(&investor, 5_000).await;
    let dep_ref = d.body["reference"].as_str().unwrap().to_string();
    let credited = app
        .bank_webhook(&json!({"bank_txn_id": "IN-C", "kind": "deposit",
                              "reference": dep_ref, "amount": 5_000}))
        .await;
    assert_eq!(credited.body["outcome"], "credited");
    let takebacks: Vec<Value> = (0..8)
        .map(|i| {
            json!({"bank_txn_id": format!("BACK-{i}"), "kind": "deposit_returned",
                   "original_bank_txn_id": "IN-C", "reference": dep_ref, "amount": 5_000})
        })
        .collect();
    let answers =
        futures_util::future::join_all(takebacks.iter().map(|n| app.bank_webhook(n))).await;
    let outcomes: Vec<&str> = answers
        .iter()
        .map(|r| r.body["outcome"].as_str().unwrap_or("?"))
        .collect();
    assert_eq!(
        outcomes.iter().filter(|o| **o == "returned").count(),
        1,
        "{outcomes:?}"
    );
    assert!(
        outcomes
            .iter()
            .all(|o| *o == "returned" || *o == "already_settled"),
        "{outcomes:?}"
    );
    assert_eq!(app.available(&investor).await, 43_000);
    app.assert_books_balance(&operator).await;
    assert_ledger_clean(&app);
}
