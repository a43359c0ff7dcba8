//! Every movement the bank reports is on the books, whatever it matches.
//! Each test keeps its own tally of what the bank holds, from the
//! notifications it sends, and checks the books against it: the external
//! bank account must equal it, and `verify-ledger` must pass, at every step.

use serde_json::{json, Value};

use crate::bank_returns::balance_of;
use crate::helpers::{backend_is_postgres, spawn_app, TestApp};
use crate::world::Person;

/// What the bank holds for the platform, by the bank's own word.
struct Bank(i64);

impl Bank {
    /// Sends a notification; money in or out is counted only if the server
    /// took it (200), whatever it matched.
    async fn tell(&mut self, app: &TestApp, note: Value) -> Value {
        let r = app.bank_webhook(&note).await;
        assert_eq!(r.status, 200, "{}", r.body);
        if r.body["outcome"] != "duplicate" {
            let amount = note["amount"].as_i64().unwrap();
            match note["kind"].as_str().unwrap() {
                "deposit" => self.0 += amount,
                "withdrawal_returned" => self.0 += amount,
                _ => self.0 -= amount,
            }
        }
        r.body
    }

    /// The books equal the bank, and every invariant holds.
    async fn agrees(&self, app: &TestApp, operator: &Person) -> Value {
        let books = app.assert_books_balance(operator).await;
        assert_eq!(
            balance_of(&books, "external_bank"),
            -self.0,
            "the books differ from the bank: {books}"
        );
        let (ok, report) = app.verify_ledger();
        assert!(ok, "verify-ledger: {report}");
        books
    }
}

/// A withdrawal request, answered as it comes.
async fn withdraw(app: &TestApp, who: &Person, amount: i64) -> crate::helpers::Reply {
    app.post_keyed(
        "/api/v1/me/withdrawals",
        Some(&who.token),
        &uuid::Uuid::new_v4().to_string(),
        json!({"amount": amount}),
    )
    .await
}

async fn owed(app: &TestApp, who: &Person) -> i64 {
    let account = app.get("/api/v1/me/account", Some(&who.token)).await;
    assert_eq!(account.status, 200, "{}", account.body);
    account.body["owed"].as_i64().unwrap()
}

/// A deposit announced and credited by the bank transaction `txn`.
async fn deposit(app: &TestApp, bank: &mut Bank, who: &Person, amount: i64, txn: &str) -> Value {
    let d = app.deposit(who, amount).await;
    assert_eq!(d.status, 201, "{}", d.body);
    let outcome = bank
        .tell(
            app,
            json!({"bank_txn_id": txn, "kind": "deposit", "reference": d.body["reference"],
                   "amount": amount}),
        )
        .await;
    assert_eq!(outcome["outcome"], "credited", "{outcome}");
    d.body
}

/// The review's reproduction: a payout paid short, the rest withdrawn, then
/// the deposit returned after it was spent. Before, only `bank_events` rows
/// were written and the books overstated the bank; now each movement is
/// booked, the investor owes what the return took beyond their cash, and an
/// operator resolves the short payout.
#[tokio::test]
async fn money_out_that_matches_nothing_is_booked_and_an_operator_resolves_it() {
    let app = spawn_app().await;
    let operator = app.operator().await;
    let sponsor = app.sponsor().await;
    let investor = app.investor(&operator, 0).await;
    let mut bank = Bank(0);
    let d1 = deposit(&app, &mut bank, &investor, 50_000, "IN-1").await;

    let w1 = withdraw(&app, &investor, 20_000).await;
    assert_eq!(w1.status, 201, "{}", w1.body);
    let short = json!({"bank_txn_id": "OUT-1", "kind": "withdrawal",
                       "reference": w1.body["reference"], "amount": 18_500});
    let paid_short = bank.tell(&app, short.clone()).await;
    assert_eq!(paid_short["outcome"], "amount_mismatch");
    let movement = paid_short["unreconciled_movement_id"]
        .as_str()
        .unwrap()
        .to_string();
    bank.agrees(&app, &operator).await;
    // The bank repeating itself changes nothing.
    assert_eq!(bank.tell(&app, short).await["outcome"], "duplicate");

    let w2 = withdraw(&app, &investor, 30_000).await;
    let paid = bank
        .tell(
            &app,
            json!({"bank_txn_id": "OUT-2", "kind": "withdrawal",
                   "reference": w2.body["reference"], "amount": 30_000}),
        )
        .await;
    assert_eq!(paid["outcome"], "paid");
    assert_eq!(app.available(&investor).await, 0);

    // The deposit comes back after it was spent: the investor owes it all.
    let back = bank
        .tell(
            &app,
            json!({"bank_txn_id": "OUT-3", "kind": "deposit_returned",
                   "original_bank_txn_id": "IN-1", "reference": d1["reference"],
                   "amount": 50_000}),
        )
        .await;
    assert_eq!(back["outcome"], "return_uncovered", "{back}");
    assert_eq!(owed(&app, &investor).await, 50_000);
    let books = bank.agrees(&app, &operator).await;
    assert_eq!(balance_of(&books, "unreconciled_bank_movements"), -18_500);
    assert_eq!(balance_of(&books, "investor_receivable"), -50_000);
    let open: Vec<(String, i64, i64)> = books["open_items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            (
                o["kind"].as_str().unwrap().to_string(),
                o["count"].as_i64().unwrap(),
                o["amount"].as_i64().unwrap(),
            )
        })
        .collect();
    assert!(
        open.contains(&("unreconciled_movements".into(), 1, 18_500)),
        "{open:?}"
    );
    assert!(
        open.contains(&("receivables".into(), 1, 50_000)),
        "{open:?}"
    );
    let mail = app.wait_for_email(&investor.email, "was returned").await;
    assert!(mail.body.contains("you now owe $500.00"), "{}", mail.body);

    // While it is owed, no money leaves and nothing new is subscribed.
    withdraw(&app, &investor, 1)
        .await
        .assert_problem(403, "receivable_outstanding");
    let offering = app.open_offering(&sponsor, &operator, json!({})).await;
    let refused = app.subscribe(&investor, &offering, json!(1), "s-1").await;
    refused.assert_problem(403, "receivable_outstanding");
    assert_eq!(refused.body["owed"], 50_000);

    // The operator sees the open movement and assigns it to the withdrawal
    // the bank paid short: the withdrawal is paid, and the 15.00 the bank
    // kept goes back to the investor.
    let open = app
        .get(
            "/api/v1/operator/unreconciled-movements?status=open",
            Some(&operator.token),
        )
        .await;
    assert_eq!(open.status, 200, "{}", open.body);
    let items = open.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{}", open.body);
    assert_eq!(items[0]["id"], movement.as_str());
    assert_eq!(items[0]["reason"], "amount_mismatch");
    assert_eq!(items[0]["withdrawal_id"], w1.body["id"]);
    app.get(
        "/api/v1/operator/unreconciled-movements",
        Some(&investor.token),
    )
    .await
    .assert_problem(403, "forbidden");

    let path = format!("/api/v1/operator/unreconciled-movements/{movement}/assign");
    let body = json!({"withdrawal_id": w1.body["id"], "note": "bank fee of 15.00"});
    let assigned = app
        .post_keyed(&path, Some(&operator.token), "assign-1", body.clone())
        .await;
    assert_eq!(assigned.status, 200, "{}", assigned.body);
    assert_eq!(assigned.body["status"], "assigned");
    assert_eq!(assigned.body["assigned_kind"], "withdrawal");
    let replay = app
        .post_keyed(&path, Some(&operator.token), "assign-1", body.clone())
        .await;
    assert_eq!(replay.status, 200);
    assert_eq!(replay.headers["idempotent-replayed"], "true");
    app.post_keyed(&path, Some(&operator.token), "assign-2", body)
        .await
        .assert_problem(409, "already_resolved");
    assert_eq!(app.available(&investor).await, 1_500);
    let list = app
        .get("/api/v1/me/withdrawals", Some(&investor.token))
        .await;
    let first = list.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["id"] == w1.body["id"])
        .unwrap();
    assert_eq!(first["status"], "paid");
    assert_eq!(
        app.count(
            "audit_log WHERE action = 'unreconciled_movement.assigned' \
             AND subject_id = (SELECT id FROM unreconciled_movements)"
        ),
        1
    );
    let books = bank.agrees(&app, &operator).await;
    assert_eq!(balance_of(&books, "unreconciled_bank_movements"), 0);

    // A new deposit pays what is owed first; then money moves again.
    deposit(&app, &mut bank, &investor, 60_000, "IN-2").await;
    assert_eq!(owed(&app, &investor).await, 0);
    assert_eq!(app.available(&investor).await, 11_500);
    let again = app.subscribe(&investor, &offering, json!(1), "s-2").await;
    assert_eq!(again.status, 201, "{}", again.body);
    assert_eq!(withdraw(&app, &investor, 500).await.status, 201);
    bank.agrees(&app, &operator).await;
}

#[tokio::test]
async fn a_return_must_quote_its_transfers_reference_and_write_offs_need_a_reason() {
    let app = spawn_app().await;
    let operator = app.operator().await;
    let a = app.investor(&operator, 0).await;
    let b = app.investor(&operator, 0).await;
    let mut bank = Bank(0);
    let deposit_a = deposit(&app, &mut bank, &a, 10_000, "IN-A").await;
    let deposit_b = deposit(&app, &mut bank, &b, 10_000, "IN-B").await;

    // A's transfer named with B's reference takes nobody's money.
    let crossed = bank
        .tell(
            &app,
            json!({"bank_txn_id": "RET-1", "kind": "deposit_returned", "original_bank_txn_id": "IN-A",
                   "reference": deposit_b["reference"], "amount": 10_000}),
        )
        .await;
    assert_eq!(crossed["outcome"], "reference_mismatch", "{crossed}");
    assert_eq!(app.available(&a).await, 10_000);
    assert_eq!(app.available(&b).await, 10_000);
    bank.agrees(&app, &operator).await;

    // Written off as the platform's loss, with a reason.
    let id = crossed["unreconciled_movement_id"].as_str().unwrap();
    let path = format!("/api/v1/operator/unreconciled-movements/{id}/write-off");
    app.post_keyed(&path, Some(&operator.token), "wo-1", json!({"reason": " "}))
        .await
        .assert_problem(422, "invalid_field");
    app.post_keyed(&path, Some(&operator.token), "wo-2", json!({}))
        .await
        .assert_problem(422, "invalid_body");
    let written = app
        .post_keyed(
            &path,
            Some(&operator.token),
            "wo-3",
            json!({"reason": "returned to the sender in error; claimed from the bank"}),
        )
        .await;
    assert_eq!(written.status, 200, "{}", written.body);
    assert_eq!(written.body["status"], "written_off");
    assert!(written.body["note"].as_str().unwrap().contains("in error"));
    let books = bank.agrees(&app, &operator).await;
    assert_eq!(balance_of(&books, "bank_write_offs"), -10_000);

    // A return of a transfer the books never saw, assigned to the deposit
    // it really was: that deposit is returned and its investor pays.
    let unknown = bank
        .tell(
            &app,
            json!({"bank_txn_id": "RET-2", "kind": "deposit_returned",
                   "original_bank_txn_id": "NEVER", "reference": "?", "amount": 10_000}),
        )
        .await;
    assert_eq!(unknown["outcome"], "unmatched");
    let id = unknown["unreconciled_movement_id"].as_str().unwrap();
    let path = format!("/api/v1/operator/unreconciled-movements/{id}/assign");
    app.post_keyed(
        &path,
        Some(&operator.token),
        "as-1",
        json!({"withdrawal_id": deposit_a["id"]}),
    )
    .await
    .assert_problem(422, "invalid_field");
    app.post_keyed(
        &path,
        Some(&operator.token),
        "as-2",
        json!({"withdrawal_id": "x", "deposit_id": "y"}),
    )
    .await
    .assert_problem(422, "invalid_field");
    let assigned = app
        .post_keyed(
            &path,
            Some(&operator.token),
            "as-3",
            json!({"deposit_id": deposit_a["id"]}),
        )
        .await;
    assert_eq!(assigned.status, 200, "{}", assigned.body);
    assert_eq!(app.available(&a).await, 0);
    let list = app.get("/api/v1/me/deposits", Some(&a.token)).await;
    assert_eq!(list.body["items"][0]["status"], "returned");
    bank.agrees(&app, &operator).await;

    // Money in that matches nothing still goes to suspense, and a return of
    // a payout nobody made too.
    let stray = bank
        .tell(
            &app,
            json!({"bank_txn_id": "IN-X", "kind": "withdrawal_returned",
                   "reference": "WDR-NOBODY", "amount": 700}),
        )
        .await;
    assert_eq!(stray["outcome"], "unmatched");
    assert!(stray["unallocated_deposit_id"].is_string());
    let books = bank.agrees(&app, &operator).await;
    assert_eq!(balance_of(&books, "unallocated_deposits"), 700);
}

/// Returns of spent deposits race subscriptions of the same investors: each
/// investor ends owing exactly what they subscribed beyond what they had
/// left, and the books equal the bank.
#[tokio::test]
async fn concurrent_returns_and_subscriptions_leave_the_books_equal_to_the_bank() {
    let app = spawn_app().await;
    let operator = app.operator().await;
    let sponsor = app.sponsor().await;
    let offering = app.open_offering(&sponsor, &operator, json!({})).await;
    let mut bank = Bank(0);
    let mut investors = Vec::new();
    for i in 0..6 {
        let who = app.investor(&operator, 0).await;
        let d = deposit(&app, &mut bank, &who, 10_000, &format!("IN-{i}")).await;
        investors.push((who, d["reference"].as_str().unwrap().to_string()));
    }
    let mut tasks = Vec::new();
    for (i, (who, _)) in investors.iter().enumerate() {
        for k in 0..4 {
            let app = &app;
            let offering = offering.clone();
            tasks.push(Box::pin(async move {
                let r = app
                    .subscribe(who, &offering, json!(2), format!("sub-{i}-{k}"))
                    .await;
                assert!(
                    r.status == 201
                        || r.code() == "receivable_outstanding"
                        || r.code() == "insufficient_funds",
                    "{} {}",
                    r.status,
                    r.body
                );
                None
            })
                as std::pin::Pin<
                    Box<dyn std::future::Future<Output = Option<Value>> + '_>,
                >);
        }
    }
    for (i, (_, reference)) in investors.iter().enumerate() {
        let note = json!({"bank_txn_id": format!("RET-{i}"), "kind": "deposit_returned",
                          "original_bank_txn_id": format!("IN-{i}"), "reference": reference,
                          "amount": 10_000});
        let app = &app;
        tasks.push(Box::pin(async move {
            let r = app.bank_webhook(&note).await;
            assert_eq!(r.status, 200, "{}", r.body);
            Some(r.body)
        }));
    }
    let results = futures_util::future::join_all(tasks).await;
    for outcome in results.into_iter().flatten() {
        assert!(
            matches!(
                outcome["outcome"].as_str(),
                Some("returned" | "return_uncovered")
            ),
            "{outcome}"
        );
        bank.0 -= 10_000;
    }
    for (who, _) in &investors {
        let subscribed = app.count(&format!(
            "subscriptions WHERE investor_id = '{}' AND status = 'active'",
            who.id
        )) * 2_000;
        // In 10,000, back 10,000: what they hold less what they owe is
        // minus what they subscribed.
        assert_eq!(
            app.available(who).await - owed(&app, who).await,
            -subscribed,
            "{}",
            who.email
        );
    }
    bank.agrees(&app, &operator).await;
}

/// One investor whose cash row another transaction holds does not hold up
/// the others' subscriptions; their own waits for a later batch, and is
/// answered 503 only if the row stays held.
#[tokio::test]
async fn a_held_investor_row_delays_that_investor_alone() {
    if !backend_is_postgres() {
        eprintln!("skipped on SQLite: its one writer holds every row; PostgreSQL only");
        return;
    }
    use diesel::connection::SimpleConnection;
    let app = spawn_app().await;
    let operator = app.operator().await;
    let sponsor = app.sponsor().await;
    let offering = app.open_offering(&sponsor, &operator, json!({})).await;
    let held = app.investor(&operator, 10_000).await;
    let others = [
        app.investor(&operator, 10_000).await,
        app.investor(&operator, 10_000).await,
    ];
    let hold = |conn: &mut diesel::PgConnection| {
        conn.batch_execute(&format!(
            "BEGIN; SELECT balance FROM ledger_accounts WHERE kind = 'investor_cash' \
             AND owner_id = '{}' FOR UPDATE",
            held.id
        ))
        .unwrap();
    };
    let mut holder =
        <diesel::PgConnection as diesel::Connection>::establish(&app.database_url_string())
            .unwrap();
    hold(&mut holder);
    let waiting = tokio::spawn({
        let (client, url, token) = (
            app.client.clone(),
            app.url(&format!("/api/v1/offerings/{offering}/subscriptions")),
            held.token.clone(),
        );
        async move {
            let resp = client
                .post(url)
                .bearer_auth(token)
                .header("Idempotency-Key", "held-1")
                .json(&json!({"shares": 1}))
                .send()
                .await
                .unwrap();
            crate::helpers::read(resp).await
        }
    });
    for (i, who) in others.iter().enumerate() {
        let r = app
            .subscribe(who, &offering, json!(1), format!("free-{i}"))
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
    }
    assert!(!waiting.is_finished(), "the held investor was not held");
    holder.batch_execute("COMMIT").unwrap();
    let r = waiting.await.unwrap();
    assert_eq!(r.status, 201, "{}", r.body);

    // Held for longer than the pipeline waits: 503, and the key is free
    // for the retry.
    hold(&mut holder);
    let busy = app.subscribe(&held, &offering, json!(1), "held-2").await;
    busy.assert_problem(503, "database_busy");
    holder.batch_execute("COMMIT").unwrap();
    let retry = app.subscribe(&held, &offering, json!(1), "held-2").await;
    assert_eq!(retry.status, 201, "{}", retry.body);
    let (ok, report) = app.verify_ledger();
    assert!(ok, "{report}");
}

/// The bank's notices arrive in any order: a deposit's return before the
/// deposit itself is booked as money out that matched nothing, and applied
/// to the deposit the moment it is credited.
#[tokio::test]
async fn a_return_that_arrives_before_its_deposit_is_applied_when_the_deposit_comes() {
    let app = spawn_app().await;
    let operator = app.operator().await;
    let investor = app.investor(&operator, 0).await;
    let mut bank = Bank(0);
    let d = app.deposit(&investor, 25_000).await;
    let reference = d.body["reference"].clone();
    let early = bank
        .tell(
            &app,
            json!({"bank_txn_id": "BACK-1", "kind": "deposit_returned",
                   "original_bank_txn_id": "IN-LATE", "reference": reference, "amount": 25_000}),
        )
        .await;
    assert_eq!(early["outcome"], "unmatched");
    bank.agrees(&app, &operator).await;
    let late = bank
        .tell(
            &app,
            json!({"bank_txn_id": "IN-LATE", "kind": "deposit", "reference": reference,
                   "amount": 25_000}),
        )
        .await;
    assert_eq!(late["outcome"], "credited");
    assert_eq!(app.available(&investor).await, 0);
    assert_eq!(owed(&app, &investor).await, 0);
    let list = app.get("/api/v1/me/deposits", Some(&investor.token)).await;
    assert_eq!(list.body["items"][0]["status"], "returned");
    let open = app
        .get(
            "/api/v1/operator/unreconciled-movements?status=assigned",
            Some(&operator.token),
        )
        .await;
    assert_eq!(
        open.body["items"][0]["resolved_by"], "bank",
        "{}",
        open.body
    );
    let books = bank.agrees(&app, &operator).await;
    assert_eq!(balance_of(&books, "unreconciled_bank_movements"), 0);

    // Unallocated money is credited only to a verified investor.
    let registered = app
        .register(&crate::helpers::unique_email("unverified"), "investor")
        .await;
    assert_eq!(registered.status, 201, "{}", registered.body);
    let unverified = registered.body["id"].as_str().unwrap().to_string();
    let stray = bank
        .tell(
            &app,
            json!({"bank_txn_id": "IN-STRAY", "kind": "deposit", "reference": "nobody's",
                   "amount": 900}),
        )
        .await;
    let id = stray["unallocated_deposit_id"].as_str().unwrap();
    app.post_keyed(
        &format!("/api/v1/operator/unallocated-deposits/{id}/credit"),
        Some(&operator.token),
        "credit-unverified",
        json!({"investor_id": unverified}),
    )
    .await
    .assert_problem(422, "email_not_verified");
    bank.agrees(&app, &operator).await;
}

/// A return that arrives before the money it returns, when that money then
/// matches nothing: the two are matched when the money lands in suspense;
/// and an operator can match a return to money in suspense by hand.
#[tokio::test]
async fn a_return_before_unmatched_money_is_matched_to_it_in_suspense() {
    let app = spawn_app().await;
    let operator = app.operator().await;
    let mut bank = Bank(0);
    let early = bank
        .tell(
            &app,
            json!({"bank_txn_id": "BACK-9", "kind": "deposit_returned",
                   "original_bank_txn_id": "IN-9", "reference": "no such", "amount": 4_200}),
        )
        .await;
    assert_eq!(early["outcome"], "unmatched");
    let late = bank
        .tell(
            &app,
            json!({"bank_txn_id": "IN-9", "kind": "deposit", "reference": "no such",
                   "amount": 4_200}),
        )
        .await;
    assert_eq!(late["outcome"], "unmatched");
    let books = bank.agrees(&app, &operator).await;
    assert_eq!(balance_of(&books, "unallocated_deposits"), 0);
    assert_eq!(balance_of(&books, "unreconciled_bank_movements"), 0);
    let id = late["unallocated_deposit_id"].as_str().unwrap();
    let list = app
        .get(
            "/api/v1/operator/unallocated-deposits?status=returned",
            Some(&operator.token),
        )
        .await;
    assert_eq!(list.body["items"][0]["id"], id, "{}", list.body);
    assert_eq!(list.body["items"][0]["return_bank_txn_id"], "BACK-9");

    // By hand: money in first (to suspense), then a return quoting another
    // reference, which the operator matches to it.
    let money = bank
        .tell(
            &app,
            json!({"bank_txn_id": "IN-10", "kind": "deposit", "reference": "who?",
                   "amount": 3_000}),
        )
        .await;
    let back = bank
        .tell(
            &app,
            json!({"bank_txn_id": "BACK-10", "kind": "deposit_returned",
                   "original_bank_txn_id": "IN-10", "reference": "WHO", "amount": 3_000}),
        )
        .await;
    assert_eq!(back["outcome"], "reference_mismatch");
    let movement = back["unreconciled_movement_id"].as_str().unwrap();
    let path = format!("/api/v1/operator/unreconciled-movements/{movement}/assign");
    app.post_keyed(
        &path,
        Some(&operator.token),
        "nul",
        json!({"unallocated_deposit_id": "a\u{0}b"}),
    )
    .await
    .assert_problem(422, "invalid_field");
    let matched = app
        .post_keyed(
            &path,
            Some(&operator.token),
            "match",
            json!({"unallocated_deposit_id": money["unallocated_deposit_id"]}),
        )
        .await;
    assert_eq!(matched.status, 200, "{}", matched.body);
    assert_eq!(matched.body["assigned_kind"], "unallocated_deposit");
    let books = bank.agrees(&app, &operator).await;
    assert_eq!(balance_of(&books, "unallocated_deposits"), 0);
    assert_eq!(balance_of(&books, "unreconciled_bank_movements"), 0);
}

/// Notifications an older release recorded and booked nothing for (money
/// out that matched nothing, a deposit returned after it was spent) fail
/// verify-ledger until they are booked, which the next start (or `crowdfund
/// migrate`) does, once.
#[tokio::test]
async fn notifications_an_older_release_left_unbooked_are_booked_at_the_next_start() {
    let app = spawn_app().await;
    let operator = app.operator().await;
    let investor = app.investor(&operator, 0).await;
    let mut bank = Bank(0);
    let d = deposit(&app, &mut bank, &investor, 20_000, "OLD-IN").await;
    let w = withdraw(&app, &investor, 20_000).await;
    assert_eq!(w.status, 201, "{}", w.body);
    // As the release before this one recorded them: a short payout and the
    // deposit's return, each a bank_events row and nothing else.
    let payout = json!({"bank_txn_id": "OLD-OUT", "kind": "withdrawal",
                        "reference": w.body["reference"], "amount": 19_000});
    let returned = json!({"bank_txn_id": "OLD-BACK", "kind": "deposit_returned",
                          "original_bank_txn_id": "OLD-IN", "reference": d["reference"],
                          "amount": 20_000});
    for (note, outcome) in [
        (&payout, "amount_mismatch"),
        (&returned, "return_uncovered"),
    ] {
        app.execute(&format!(
            "INSERT INTO bank_events (bank_txn_id, kind, reference, amount, outcome, raw_body, received_at) \
             VALUES ('{}', '{}', '{}', {}, '{outcome}', '{}', CURRENT_TIMESTAMP)",
            note["bank_txn_id"].as_str().unwrap(),
            note["kind"].as_str().unwrap(),
            note["reference"].as_str().unwrap(),
            note["amount"],
            note
        ));
        bank.0 -= note["amount"].as_i64().unwrap();
    }
    let (ok, report) = app.verify_ledger();
    assert!(!ok, "{report}");
    assert_eq!(report["violations"][0]["invariant"], "bank_events_booked");

    let out = app.cli(&["migrate"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("2 bank notification(s)"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let books = bank.agrees(&app, &operator).await;
    assert_eq!(balance_of(&books, "unreconciled_bank_movements"), -19_000);
    assert_eq!(owed(&app, &investor).await, 20_000);
    // Once: the next run finds nothing.
    let again = app.cli(&["migrate"]);
    assert!(!String::from_utf8_lossy(&again.stdout).contains("bank notification"));
    bank.agrees(&app, &operator).await;
}

/// Operators racing to resolve the same movement (assigning it, writing it
/// off, each with their own key) resolve it once; the books equal the bank.
#[tokio::test]
async fn concurrent_resolutions_of_one_movement_resolve_it_once() {
    let app = spawn_app().await;
    let operator = app.operator().await;
    let investor = app.investor(&operator, 0).await;
    let mut bank = Bank(0);
    deposit(&app, &mut bank, &investor, 30_000, "IN-R").await;
    let w = withdraw(&app, &investor, 30_000).await;
    let short = bank
        .tell(
            &app,
            json!({"bank_txn_id": "OUT-R", "kind": "withdrawal",
                   "reference": w.body["reference"], "amount": 29_000}),
        )
        .await;
    let id = short["unreconciled_movement_id"]
        .as_str()
        .unwrap()
        .to_string();
    let attempts = (0..8).map(|i| {
        let (app, operator, id, w) = (&app, &operator, id.clone(), &w);
        async move {
            let (path, body) = if i % 2 == 0 {
                ("assign", json!({"withdrawal_id": w.body["id"]}))
            } else {
                ("write-off", json!({"reason": "race"}))
            };
            app.post_keyed(
                &format!("/api/v1/operator/unreconciled-movements/{id}/{path}"),
                Some(&operator.token),
                &format!("race-{i}"),
                body,
            )
            .await
        }
    });
    let replies = futures_util::future::join_all(attempts).await;
    let won: Vec<_> = replies.iter().filter(|r| r.status == 200).collect();
    assert_eq!(
        won.len(),
        1,
        "{:?}",
        replies.iter().map(|r| &r.body).collect::<Vec<_>>()
    );
    for r in replies.iter().filter(|r| r.status != 200) {
        r.assert_problem(409, "already_resolved");
    }
    let books = bank.agrees(&app, &operator).await;
    assert_eq!(balance_of(&books, "unreconciled_bank_movements"), 0);
    if won[0].body["status"] == "assigned" {
        assert_eq!(app.available(&investor).await, 1_000);
    } else {
        assert_eq!(balance_of(&books, "bank_write_offs"), -29_000);
    }
}
