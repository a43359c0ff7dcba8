//! Closing the books: the reconciliation report (JSON and CSV, also for a
//! round of 100,000 subscriptions), bank statement matching, the hash chain
//! over the journal, and a crash in the middle of a settlement.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::helpers::{spawn_app, Reply, TestApp, JWT_SECRET, PASSWORD};
use crate::seed;
use crate::world::Person;

const PRICE: i64 = 1_000;

async fn report(app: &TestApp, operator: &Person, offering: &str, csv: bool) -> (u16, String) {
    let mut req = app
        .client
        .get(app.url(&format!(
            "/api/v1/operator/offerings/{offering}/reconciliation"
        )))
        .bearer_auth(&operator.token);
    if csv {
        req = req.header("Accept", "text/csv");
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    (status, resp.text().await.unwrap())
}

#[tokio::test]
async fn the_report_of_a_settled_round_agrees_to_the_cent_in_json_and_csv() {
    let app = spawn_app().await;
    let operator = app.operator().await;
    let sponsor = app.sponsor().await;
    let offering = app
        .open_offering(
            &sponsor,
            &operator,
            json!({"price_per_share": PRICE, "target_amount": 10 * PRICE}),
        )
        .await;
    let a = app.investor(&operator, 20 * PRICE).await;
    let b = app.investor(&operator, 20 * PRICE).await;
    let cancelled = app.subscribe(&a, &offering, json!(2), "a1").await;
    app.post(
        format!(
            "/api/v1/subscriptions/{}/cancel",
            cancelled.body["id"].as_str().unwrap()
        ),
        Some(&a.token),
        json!({}),
    )
    .await;
    let kept = app.subscribe(&a, &offering, json!(7), "a2").await;
    assert_eq!(
        app.subscribe(&b, &offering, json!(3), "b1").await.status,
        201
    );
    assert_eq!(app.settle(&operator, &offering, "s").await.status, 200);

    let (status, text) = report(&app, &operator, &offering, false).await;
    assert_eq!(status, 200, "{text}");
    let r: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(r["status"], "settled");
    assert_eq!(r["raised"], 10 * PRICE);
    assert_eq!(r["subscription_count"], 3);
    assert_eq!(r["settled"]["amount"], 10 * PRICE);
    assert_eq!(r["cancelled"]["amount"], 2 * PRICE);
    assert_eq!(r["escrow"]["subscribed"], 12 * PRICE);
    assert_eq!(r["escrow"]["cancelled"], 2 * PRICE);
    assert_eq!(r["escrow"]["settled"], 10 * PRICE);
    assert_eq!(r["escrow"]["balance"], 0);
    assert_eq!(r["fee"], 500);
    assert_eq!(r["sponsor_payout"], 9_500);
    assert_eq!(r["settlement"]["gross"], 10 * PRICE);
    assert_eq!(r["discrepancies"], json!([]));
    let lines = r["subscriptions"].as_array().unwrap();
    assert_eq!(lines.len(), 3);
    let kept_line = lines
        .iter()
        .find(|l| l["subscription_id"] == kept.body["id"])
        .unwrap();
    assert_eq!(kept_line["status"], "settled");
    assert_eq!(kept_line["closing_entry_id"], r["settlement"]["entry_id"]);
    let cancelled_line = lines
        .iter()
        .find(|l| l["subscription_id"] == cancelled.body["id"])
        .unwrap();
    assert_eq!(cancelled_line["status"], "cancelled");
    assert!(cancelled_line["closing_entry_id"].is_string());
    assert_ne!(
        cancelled_line["closing_entry_id"],
        cancelled_line["subscription_entry_id"]
    );

    let (status, csv) = report(&app, &operator, &offering, true).await;
    assert_eq!(status, 200);
    let rows: Vec<&str> = csv.lines().collect();
    assert_eq!(
        rows[0],
        "line_type,subscription_id,investor_id,shares,amount,status,created_at,subscription_entry_id,closing_entry_id,figure,value,documents,reconfirmation,reconfirm_by"
    );
    assert_eq!(
        rows.iter()
            .filter(|r| r.starts_with("subscription,"))
            .count(),
        3
    );
    assert!(rows.contains(&"total,,,,,,,,,fee,500,,,"), "{csv}");
    assert!(
        rows.contains(&"total,,,,,,,,,sponsor_payout,9500,,,"),
        "{csv}"
    );
    assert!(rows.contains(&"total,,,,,,,,,escrow_balance,0,,,"), "{csv}");
    assert!(!csv.contains("discrepancy"), "{csv}");

    // Operators only; unknown offerings are 404.
    let (status, _) = report(&app, &a, &offering, false).await;
    assert_eq!(status, 403);
    let (status, _) = report(&app, &operator, "nope", false).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn the_report_names_a_discrepancy_when_the_books_disagree() {
    let app = spawn_app().await;
    let operator = app.operator().await;
    let sponsor = app.sponsor().await;
    let offering = app
        .open_offering(
            &sponsor,
            &operator,
            json!({"price_per_share": PRICE, "target_amount": 10 * PRICE}),
        )
        .await;
    let a = app.investor(&operator, 20 * PRICE).await;
    assert_eq!(
        app.subscribe(&a, &offering, json!(4), "a").await.status,
        201
    );
    {
        use diesel::RunQueryDsl;
        let mut conn = app.conn();
        let conn: &mut crowdfund::db::AnyConnection = &mut conn;
        diesel::sql_query(format!(
            "UPDATE offerings SET raised = raised + 1 WHERE id = '{offering}'"
        ))
        .execute(conn)
        .unwrap();
    }
    let (_, text) = report(&app, &operator, &offering, false).await;
    let r: Value = serde_json::from_str(&text).unwrap();
    let checks: Vec<&str> = r["discrepancies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["check"].as_str().unwrap())
        .collect();
    assert_eq!(checks, ["subscriptions_match_raised"], "{text}");
    let (_, csv) = report(&app, &operator, &offering, true).await;
    assert!(
        csv.contains("discrepancy,,,,,,,,,subscriptions_match_raised,"),
        "{csv}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_round_of_100_000_subscriptions_settles_and_reports_in_seconds() {
    let app = spawn_app().await;
    let operator = app.operator().await;
    let n = 100_000;
    let started = Instant::now();
    let seed_app = &app;
    let (offering, _) = tokio::task::block_in_place(|| seed::funded_round(seed_app, n, 2_000));
    eprintln!("seeded {n} subscriptions in {:?}", started.elapsed());
    app.assert_books_balance(&operator).await;

    let started = Instant::now();
    let settled = app.settle(&operator, &offering, "big").await;
    let settle_time = started.elapsed();
    assert_eq!(settled.status, 200, "{}", settled.body);
    assert_eq!(settled.body["subscriptions_settled"], n);
    assert_eq!(settled.body["holders"], 2_000);

    let started = Instant::now();
    let (status, text) = report(&app, &operator, &offering, false).await;
    let json_time = started.elapsed();
    assert_eq!(status, 200);
    let r: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(r["subscriptions"].as_array().unwrap().len(), n as usize);
    assert_eq!(r["discrepancies"], json!([]));
    let started = Instant::now();
    let (_, csv) = report(&app, &operator, &offering, true).await;
    let csv_time = started.elapsed();
    assert_eq!(
        csv.lines()
            .filter(|l| l.starts_with("subscription,"))
            .count(),
        n as usize
    );
    eprintln!(
        "{n} subscriptions ({}): settle {settle_time:?}, report JSON {json_time:?} ({} bytes), CSV {csv_time:?}",
        if crate::helpers::backend_is_postgres() { "postgresql" } else { "sqlite" },
        text.len()
    );
    for t in [settle_time, json_time, csv_time] {
        assert!(t < Duration::from_secs(30), "{t:?}");
    }
    app.assert_books_balance(&operator).await;
}

pub fn statement(lines: &[(&str, &str, i64, &str, &str)]) -> String {
    let mut text = String::from("bank_txn_id,booked_at,amount,direction,reference\n");
    for (id, at, amount, direction, reference) in lines {
        text.push_str(&format!("{id},{at},{amount},{direction},{reference}\n"));
    }
    text
}

pub async fn upload(app: &TestApp, operator: &Person, body: Vec<u8>, content_type: &str) -> Reply {
    let resp = app
        .client
        .post(app.url("/api/v1/operator/bank-statements"))
        .bearer_auth(&operator.token)
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    crate::helpers::read(resp).await
}

#[tokio::test]
async fn a_statement_is_matched_line_by_line_and_reuploads_change_nothing() {
    let app = spawn_app().await;
    let operator = app.operator().await;
    let investor = app.investor(&operator, 0).await;
    let mut references = Vec::new();
    for (i, amount) in [10_000, 20_000, 30_000].into_iter().enumerate() {
        let d = app.deposit(&investor, amount).await;
        let reference = d.body["reference"].as_str().unwrap().to_string();
        let r = app
            .bank_webhook(
                &json!({"bank_txn_id": format!("BANK-{i}"), "reference": reference,
                                  "amount": amount, "kind": "deposit"}),
            )
            .await;
        assert_eq!(r.body["outcome"], "credited");
        references.push(reference);
    }
    let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
    let text = statement(&[
        // matched, by the bank's id
        ("BANK-0", &today, 10_000, "credit", &references[0]),
        // amount mismatch
        ("BANK-1", &today, 19_999, "credit", &references[1]),
        // unmatched in the statement: someone else's reference
        ("BANK-9", &today, 5_000, "credit", "DEP-SOMEONEELSE"),
    ]);
    let r = upload(&app, &operator, text.clone().into_bytes(), "text/csv").await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["lines"], 3);
    assert_eq!(r.body["matched"].as_array().unwrap().len(), 1);
    assert_eq!(r.body["matched"][0]["line"], 2);
    assert_eq!(r.body["amount_mismatches"][0]["line"], 3);
    assert_eq!(r.body["amount_mismatches"][0]["statement_amount"], 19_999);
    assert_eq!(r.body["amount_mismatches"][0]["ledger"]["amount"], 20_000);
    assert_eq!(r.body["unmatched_in_statement"][0]["line"], 4);
    // unmatched in the ledger: the third deposit is missing from the statement
    assert_eq!(r.body["unmatched_in_ledger"].as_array().unwrap().len(), 1);
    assert_eq!(
        r.body["unmatched_in_ledger"][0]["reference"],
        references[2].as_str()
    );

    // Order does not matter: a second transfer quoting a reference comes
    // first, yet the line with the bank's recorded id is the one matched.
    let reordered = statement(&[
        ("BANK-7", &today, 30_000, "credit", &references[2]),
        ("BANK-2", &today, 30_000, "credit", &references[2]),
    ]);
    let r2 = upload(&app, &operator, reordered.into_bytes(), "text/csv").await;
    assert_eq!(
        r2.body["matched"][0]["bank_txn_id"], "BANK-2",
        "{}",
        r2.body
    );
    assert_eq!(r2.body["matched"][0]["matched_by"], "bank_txn_id");
    assert_eq!(
        r2.body["unmatched_in_statement"][0]["bank_txn_id"],
        "BANK-7"
    );

    let entries = app.count("journal_entries");
    let again = upload(
        &app,
        &operator,
        text.into_bytes(),
        "text/csv; charset=utf-8",
    )
    .await;
    assert_eq!(again.body, r.body);
    assert_eq!(
        app.count("journal_entries"),
        entries,
        "matching moves no money"
    );
    let log = app
        .get(
            "/api/v1/operator/audit-log?action=bank_statement.matched",
            Some(&operator.token),
        )
        .await;
    assert_eq!(log.body["items"].as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn bad_statements_are_refused_naming_the_line() {
    let app = spawn_app().await;
    let operator = app.operator().await;
    let cases = [
        (
            "bank_txn_id,amount,direction,reference\nT1,5,credit,R\n".to_string(),
            1,
        ),
        (
            statement(&[
                ("T1", "2026-11-01", 100, "credit", "R"),
                ("T2", "2026-11-01", 0, "credit", "R"),
            ]),
            3,
        ),
        (
            "bank_txn_id,booked_at,amount,direction,reference\nT1,2026-11-01,ten,credit,R\n"
                .to_string(),
            2,
        ),
        (
            statement(&[
                ("T1", "2026-11-01", 100, "credit", "R"),
                ("T1", "2026-11-02", 100, "credit", "S"),
            ]),
            3,
        ),
    ];
    for (text, line) in cases {
        let r = upload(&app, &operator, text.clone().into_bytes(), "text/csv").await;
        r.assert_problem(422, "invalid_statement");
        assert_eq!(r.body["line"], line, "{text}");
        assert!(r.body["detail"]
            .as_str()
            .unwrap()
            .contains(&format!("line {line}")));
    }
    let huge = vec![b'x'; 50 * 1024 * 1024];
    upload(&app, &operator, huge, "text/csv")
        .await
        .assert_problem(413, "payload_too_large");
    upload(&app, &operator, b"{}".to_vec(), "application/json")
        .await
        .assert_problem(415, "unsupported_media_type");
    let investor = app.investor(&operator, 0).await;
    upload(&app, &investor, statement(&[]).into_bytes(), "text/csv")
        .await
        .assert_problem(403, "forbidden");
}

#[tokio::test]
async fn an_edited_journal_entry_breaks_the_seal_chain_and_is_named() {
    let app = spawn_app().await;
    let operator = app.operator().await;
    let investor = app.investor(&operator, 12_345).await;
    // A movement inside the platform (cash held for a payout): no other
    // invariant sees a balanced edit of it.
    let held = app
        .post_keyed(
            "/api/v1/me/withdrawals",
            Some(&investor.token),
            "hold",
            serde_json::json!({"amount": 1_000}),
        )
        .await;
    assert_eq!(held.status, 201, "{}", held.body);
    {
        let mut conn = app.conn();
        let sealed = crowdfund::ledger::seal::seal_pending(&mut conn).unwrap();
        assert!(sealed >= 1);
    }
    assert!(app.verify_ledger().0);
    // Editing is refused by the database itself...
    {
        use diesel::RunQueryDsl;
        let mut conn = app.conn();
        let conn: &mut crowdfund::db::AnyConnection = &mut conn;
        let refused = diesel::sql_query("UPDATE postings SET amount = amount + 1").execute(conn);
        assert!(refused.is_err(), "postings must be append-only");
        // ...so an attacker drops the guard first, and moves money around
        // while keeping every sum balanced.
        let drop_guard = if crate::helpers::backend_is_postgres() {
            "ALTER TABLE postings DISABLE TRIGGER postings_append_only"
        } else {
            "DROP TRIGGER postings_no_update"
        };
        diesel::sql_query(drop_guard).execute(conn).unwrap();
        diesel::sql_query(
            "UPDATE postings SET amount = CASE WHEN amount > 0 THEN amount + 100 ELSE amount - 100 END \
             WHERE entry_id = (SELECT id FROM journal_entries WHERE kind = 'withdrawal_hold')",
        )
        .execute(conn)
        .unwrap();
        diesel::sql_query(
            "UPDATE ledger_accounts SET balance = (SELECT COALESCE(SUM(p.amount), 0) FROM postings p \
             WHERE p.account_id = ledger_accounts.id)",
        )
        .execute(conn)
        .unwrap();
    }
    let (ok, report) = app.verify_ledger();
    assert!(!ok, "{report}");
    let violations = report["violations"].as_array().unwrap();
    assert_eq!(
        violations.len(),
        1,
        "only the chain catches a balanced edit: {report}"
    );
    assert_eq!(violations[0]["invariant"], "seal_chain");
    assert!(
        violations[0]["subject"]
            .as_str()
            .unwrap()
            .starts_with("entry:"),
        "{report}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_server_killed_mid_settlement_leaves_all_or_nothing_and_settling_again_completes() {
    let app = spawn_app().await;
    let operator = app.operator().await;
    let (offering, _) = tokio::task::block_in_place(|| seed::funded_round(&app, 100_000, 1_000));

    // A separate server process on the same database, to be killed.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = tempfile::tempdir().unwrap();
    let url = app.database_url_string();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_crowdfund"))
        .arg("serve")
        .env("DATABASE_URL", &url)
        .env("BIND_ADDR", format!("127.0.0.1:{port}"))
        .env("JWT_SECRET", JWT_SECRET)
        .env("MAIL_DIR", dir.path())
        .env("RUST_LOG", "warn")
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let mut up = false;
    for _ in 0..100 {
        if app
            .client
            .get(format!("{base}/healthz"))
            .send()
            .await
            .is_ok()
        {
            up = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(up, "the child server did not start");
    let login = app
        .client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"email": operator.email, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    let token = crate::helpers::read(login).await.body["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let request = app
        .client
        .post(format!(
            "{base}/api/v1/operator/offerings/{offering}/settle"
        ))
        .bearer_auth(&token)
        .header("Idempotency-Key", "doomed")
        .send();
    let killer = async {
        tokio::time::sleep(Duration::from_millis(150)).await;
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
    };
    let (answer, _) = tokio::join!(request, killer);
    let completed = answer.map(|r| r.status().as_u16() == 200).unwrap_or(false);

    // All or nothing.
    let settled_subs = app.count(&format!(
        "subscriptions WHERE offering_id = '{offering}' AND status = 'settled'"
    ));
    let settlements = app.count("settlements");
    let status = app.offering(&offering).await["status"]
        .as_str()
        .unwrap()
        .to_string();
    eprintln!("killed mid-settlement: request completed = {completed}, offering now {status}");
    if status == "settled" {
        assert_eq!((settled_subs, settlements), (100_000, 1));
    } else {
        assert_eq!(status, "funded");
        assert_eq!((settled_subs, settlements), (0, 0));
        assert_eq!(app.count("holdings"), 0);
        // Settling again (a new key: the killed request's key was never
        // completed) finishes it. Until PostgreSQL notices that the killed
        // server is gone, its transaction still holds the round's rows:
        // meanwhile the answer is 503 database_busy, and a client retries.
        let deadline = std::time::Instant::now() + Duration::from_secs(120);
        let again = loop {
            let again = app.settle(&operator, &offering, "after-crash").await;
            if again.status != 503 || std::time::Instant::now() > deadline {
                break again;
            }
            assert_eq!(again.body["code"], "database_busy", "{}", again.body);
            tokio::time::sleep(Duration::from_millis(500)).await;
        };
        assert_eq!(again.status, 200, "{}", again.body);
    }
    assert_eq!(app.offering(&offering).await["status"], "settled");
    app.assert_books_balance(&operator).await;
    assert!(app.verify_ledger().0);
}

#[tokio::test]
async fn the_sealer_in_the_server_seals_new_entries_within_seconds() {
    let app = crate::helpers::spawn_app_with(&[("SEAL_INTERVAL_SECS", "1")]).await;
    let operator = app.operator().await;
    let investor = app.investor(&operator, 5_000).await;
    app.fund(&investor, 7_000).await;
    let mut sealed = false;
    for _ in 0..100 {
        let report = app.assert_books_balance(&operator).await;
        if report["entries"] == 2 && report["sealed_entries"] == 2 {
            sealed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(sealed, "the sealer did not seal the two deposits");
    assert!(app.count("ledger_seals") >= 1);
    assert!(app.verify_ledger().0);
}
