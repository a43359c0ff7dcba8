//! The operator console, used in a real browser (see `browser`) against the
//! real server and database: a whole round run from the console, and the
//! refusals. Each step also fails on any error or Content-Security-Policy
//! violation the page logged.
//!
//! Screenshots for the README: `CONSOLE_SCREENSHOTS=docs/console cargo test
//! --test api console::`.

use serde_json::json;

use crate::books::statement;
use crate::browser::{self, Browser};
use crate::helpers::{spawn_app_with, unique_email, TestApp, PASSWORD};
use crate::world::Person;

/// One line of the bank statement the test will upload.
struct BankLine {
    bank_txn_id: String,
    amount: i64,
    reference: String,
}

/// Announces a deposit and has the bank confirm it, keeping what the bank
/// statement will say about it.
async fn fund(app: &TestApp, investor: &Person, amount: i64) -> BankLine {
    let deposit = app.deposit(investor, amount).await;
    assert_eq!(deposit.status, 201, "{}", deposit.body);
    let line = BankLine {
        bank_txn_id: format!("BT-{}", uuid::Uuid::new_v4().simple()),
        amount,
        reference: deposit.body["reference"].as_str().unwrap().to_string(),
    };
    let reply = app
        .bank_webhook(
            &json!({"bank_txn_id": line.bank_txn_id, "reference": line.reference,
                              "amount": amount, "kind": "deposit"}),
        )
        .await;
    assert_eq!(reply.body["outcome"], "credited", "{}", reply.body);
    line
}

async fn sign_in(browser: &Browser, app: &TestApp, email: &str) {
    browser.goto(&app.url("/console/")).await;
    sign_in_here(browser, email).await;
}

async fn open_page(browser: &Browser, name: &str) {
    browser.click(&format!("#nav a[href='#/{name}']")).await;
    browser
        .find(&format!("#nav a[href='#/{name}'][aria-current=page]"))
        .await;
}

#[tokio::test]
async fn an_operator_runs_a_whole_round_from_the_console() {
    let Some(browser) = browser::launch().await else {
        return;
    };
    let app = spawn_app_with(&[("SEAL_INTERVAL_SECS", "1")]).await;
    let operator = app.operator().await;
    let sponsor = app.sponsor().await;

    // A sponsor's offering waiting for review: 10,000.00 at 10.00 a share.
    let draft = app
        .draft(
            &sponsor,
            json!({"title": "Harbour Bakery", "target_amount": 1_000_000}),
        )
        .await;
    assert_eq!(draft.status, 201, "{}", draft.body);
    let offering = draft.body["id"].as_str().unwrap().to_string();
    let submitted = app
        .post(
            &format!("/api/v1/offerings/{offering}/submit"),
            Some(&sponsor.token),
            json!({}),
        )
        .await;
    assert_eq!(submitted.status, 200, "{}", submitted.body);

    // An investor whose KYC waits for review, and three approved ones.
    let email = unique_email("newcomer");
    let (id, token, _) = app.signed_up(&email, "investor").await;
    let newcomer = Person { id, email, token };
    let profile = app
        .put(
            "/api/v1/me/investor-profile",
            Some(&newcomer.token),
            json!({"legal_name": "Nora Newcomer", "country": "US", "annual_income": 0,
                   "net_worth": 0, "accredited": true, "external_investments_12m": 0}),
        )
        .await;
    assert_eq!(profile.status, 200, "{}", profile.body);
    let mut others = Vec::new();
    for _ in 0..3 {
        others.push(app.investor(&operator, 0).await);
    }

    // Sign in; the console opens on the launches.
    sign_in(&browser, &app, &operator.email).await;
    browser.find("#nav:not([hidden])").await;
    browser.text_of("#who-email", &operator.email).await;
    browser.assert_clean_log(&[]).await;

    // KYC: the declared figures, approved.
    open_page(&browser, "kyc").await;
    let card = format!("article[data-investor='{}']", newcomer.id);
    browser.text_of(&card, "Nora Newcomer").await;
    browser.screenshot("kyc").await;
    browser
        .click(&format!("{card} .actions button.primary"))
        .await;
    browser.text_of("main .notice", "approved").await;
    let profile = app
        .get("/api/v1/me/investor-profile", Some(&newcomer.token))
        .await;
    assert_eq!(profile.body["kyc_status"], "approved", "{}", profile.body);

    // The offering in review: its terms, approved; it opens.
    open_page(&browser, "offerings").await;
    let card = format!("article[data-offering='{offering}']");
    browser.text_of(&card, "Harbour Bakery").await;
    browser.text_of(&card, "10,000.00").await;
    browser.screenshot("offerings").await;
    browser
        .click(&format!("{card} .actions button.primary"))
        .await;
    browser.text_of("main .notice", "Open").await;
    assert_eq!(app.offering(&offering).await["status"], "open");
    browser.assert_clean_log(&[]).await;

    // Launches: investors subscribe through the API, concurrently, until the
    // round is funded; the bar fills from the live stream.
    open_page(&browser, "launches").await;
    let launch = format!("article[data-offering='{offering}']");
    browser.find(&format!("{launch} progress")).await;
    browser.text_of("p.live", "Progress updates").await;
    let mut bank_lines = Vec::new();
    bank_lines.push(fund(&app, &newcomer, 250_000).await);
    for investor in &others {
        bank_lines.push(fund(&app, investor, 250_000).await);
    }
    let everyone: Vec<&Person> = std::iter::once(&newcomer).chain(others.iter()).collect();
    let replies = futures_util::future::join_all(everyone.iter().map(|investor| {
        app.subscribe(
            investor,
            &offering,
            json!(250),
            uuid::Uuid::new_v4().to_string(),
        )
    }))
    .await;
    for reply in &replies {
        assert_eq!(reply.status, 201, "{}", reply.body);
    }
    browser.text_of(&format!("{launch} .state"), "Funded").await;
    browser
        .text_of(&format!("{launch} .figures"), "(100%)")
        .await;
    let bar = browser
        .run(&format!(
            "const p = document.querySelector(\"{launch} progress\"); return [p.value, p.max];"
        ))
        .await;
    assert_eq!(bar, json!([1_000_000, 1_000_000]));
    browser.screenshot("launches").await;
    browser.assert_clean_log(&[]).await;

    // Closing: the fee and the net are shown before confirming; a double
    // click on "Settle now" settles once.
    open_page(&browser, "closing").await;
    browser
        .click(&format!(
            "main table button.primary[data-offering='{offering}']"
        ))
        .await;
    browser.text_of("dialog .fee", "500.00").await;
    browser.text_of("dialog .net", "9,500.00").await;
    browser.screenshot("closing").await;
    browser
        .run(
            "const b = document.querySelector('dialog .actions button.primary'); \
             b.click(); b.click(); return null;",
        )
        .await;
    browser.text_of("dialog", "Settled.").await;
    browser.text_of("dialog", "9,500.00").await;
    // The double click sent one request.
    let posts = browser
        .run(
            "return performance.getEntriesByType('resource') \
               .filter(e => e.name.endsWith('/settle')).length;",
        )
        .await;
    assert_eq!(posts, json!(1));
    browser.click("dialog .actions button.primary").await;
    assert_eq!(
        app.count(&format!(
            "audit_log WHERE action = 'offering.settled' AND subject_id = '{offering}'"
        )),
        1
    );
    assert_eq!(
        app.count(&format!("settlements WHERE offering_id = '{offering}'")),
        1
    );
    assert_eq!(app.offering(&offering).await["status"], "settled");
    browser.assert_clean_log(&[]).await;

    // Reconciliation: no discrepancy, the chart, the lines. A reload
    // forgets the tokens: sign in again, and the page asked for comes back.
    browser
        .goto(&app.url(&format!("/console/#/reconciliation/{offering}")))
        .await;
    browser.client.refresh().await.unwrap();
    browser.find("form.sign-in").await;
    sign_in_here(&browser, &operator.email).await;
    browser.text_of("main .agree", "0 discrepancies").await;
    browser.find("main svg.chart path.series").await;
    browser.text_of("main", "Subscriptions (4)").await;
    browser.screenshot("reconciliation").await;
    browser.click("main button.download").await;
    let csv = browser
        .downloaded(&format!("reconciliation-{offering}.csv"))
        .await;
    assert!(csv.starts_with("line_type,subscription_id,"), "{csv}");
    assert_eq!(
        csv.lines()
            .filter(|l| l.starts_with("subscription,"))
            .count(),
        4
    );
    assert!(!csv.contains("discrepancy,"), "{csv}");
    browser.assert_clean_log(&[]).await;

    // The bank: money in that matches no deposit, then the statement of
    // everything, all matched.
    let stray = BankLine {
        bank_txn_id: format!("BT-{}", uuid::Uuid::new_v4().simple()),
        amount: 12_345,
        reference: "NO-SUCH-REFERENCE".into(),
    };
    let reply = app
        .bank_webhook(
            &json!({"bank_txn_id": stray.bank_txn_id, "reference": stray.reference,
                              "amount": stray.amount, "kind": "deposit"}),
        )
        .await;
    assert_eq!(reply.body["outcome"], "unmatched", "{}", reply.body);
    bank_lines.push(stray);
    let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
    let rows: Vec<(&str, &str, i64, &str, &str)> = bank_lines
        .iter()
        .map(|l| {
            (
                l.bank_txn_id.as_str(),
                today.as_str(),
                l.amount,
                "credit",
                l.reference.as_str(),
            )
        })
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("statement.csv");
    std::fs::write(&file, statement(&rows)).unwrap();

    open_page(&browser, "bank").await;
    browser
        .find("form.upload input[type=file]")
        .await
        .send_keys(file.to_str().unwrap())
        .await
        .unwrap();
    browser.click("form.upload button[type=submit]").await;
    browser
        .text_of(
            ".statement-report",
            &format!("{} matched", bank_lines.len()),
        )
        .await;
    browser
        .text_of(".statement-report", "0 unmatched in the statement")
        .await;
    browser
        .text_of(".statement-report", "0 unmatched in the ledger")
        .await;
    browser.text_of(".statement-report", "0 mismatched").await;

    // The stray money, credited to the investor who sent it.
    let before = app.available(&newcomer).await;
    browser.text_of("main", &bank_lines[4].bank_txn_id).await;
    browser.screenshot("bank").await;
    browser
        .click("main tr.open-item .actions button.primary")
        .await;
    browser
        .type_into("dialog input[type=search]", &newcomer.email)
        .await;
    browser
        .click(&format!(
            "dialog input[type=radio][value='{}']",
            newcomer.id
        ))
        .await;
    browser.click("dialog .actions button.primary").await;
    browser.text_of("dialog", "Credited to").await;
    browser.click("dialog .actions button.primary").await;
    assert_eq!(app.available(&newcomer).await, before + 12_345);
    browser
        .text_of("main", "No unallocated deposit is open.")
        .await;
    browser.assert_clean_log(&[]).await;

    // Users, the audit log and the ledger, as the README shows them.
    open_page(&browser, "users").await;
    browser
        .type_into("form.search input", &newcomer.email)
        .await;
    browser.click("form.search button").await;
    browser.text_of("main table", &newcomer.email).await;
    browser.screenshot("users").await;
    browser.click("main table .actions button:last-child").await;
    browser
        .type_into("dialog textarea", "Signed in on a shared computer")
        .await;
    browser.click("dialog .actions button.primary").await;
    browser.text_of("dialog", "Signed out.").await;
    browser.click("dialog .actions button.primary").await;
    browser.text_of("main .notice", "signed out").await;
    assert_eq!(
        app.count(&format!(
            "audit_log WHERE action = 'user.signed_out' AND subject_id = '{}'",
            newcomer.id
        )),
        1
    );
    open_page(&browser, "audit").await;
    browser.text_of("main table", "offering.settled").await;
    browser
        .text_of("main table", "unallocated_deposit.credited")
        .await;
    browser.screenshot("audit").await;
    // The sealer runs every second here; the page reads its head.
    assert!(
        crate::helpers::eventually(std::time::Duration::from_secs(20), || app
            .count("unsealed_entries")
            == 0)
        .await
    );
    open_page(&browser, "ledger").await;
    browser.text_of("main .agree", "balanced").await;
    browser.text_of("main", "seal_chain").await;
    let failing = browser
        .run("return document.querySelectorAll('main .badge.bad').length;")
        .await;
    assert_eq!(failing, json!(0));
    let passing = browser
        .run("return document.querySelectorAll('main .invariants .badge.ok').length;")
        .await;
    assert_eq!(
        passing,
        json!(crowdfund::ledger::invariants::INVARIANTS.len())
    );
    browser.find("main code.hash").await;
    browser.screenshot("ledger").await;
    browser.assert_clean_log(&[]).await;

    // Signing out returns to the sign-in page.
    browser.click("#sign-out").await;
    browser.text_of("form.sign-in", "You are signed out.").await;
    app.assert_books_balance(&operator).await;
}

/// On a page that shows the sign-in form already.
async fn sign_in_here(browser: &Browser, email: &str) {
    browser
        .type_into("form.sign-in input[type=email]", email)
        .await;
    browser
        .type_into("form.sign-in input[type=password]", PASSWORD)
        .await;
    browser.click("form.sign-in button[type=submit]").await;
}

#[tokio::test]
async fn an_investor_gets_nothing_but_the_sign_in_pages_refusal() {
    let Some(browser) = browser::launch().await else {
        return;
    };
    let app = spawn_app_with(&[]).await;
    let email = unique_email("inv");
    app.signed_up(&email, "investor").await;

    // The console's own answer carries the strict policy.
    let page = app.client.get(app.url("/console/")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let policy = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(policy.contains("script-src 'self'"), "{policy}");
    assert!(!policy.contains("unsafe-inline") && !policy.contains("unsafe-eval"));

    sign_in(&browser, &app, &email).await;
    browser
        .text_of("form.sign-in .problem", "This console is for operators")
        .await;
    let shown = browser
        .run("return [document.getElementById('nav').hidden, document.querySelectorAll('main table, main section').length];")
        .await;
    assert_eq!(shown, json!([true, 0]));
    // Its session was ended, not kept.
    assert!(
        crate::helpers::eventually(std::time::Duration::from_secs(5), || app.count(&format!(
            "sessions WHERE user_id = (SELECT id FROM users WHERE email = '{email}') \
             AND revoked_at IS NULL"
        )) == 1)
        .await,
        "the console's own session should be ended (the test's own stays)"
    );
    browser.screenshot("sign-in-refused").await;
    browser.assert_clean_log(&[]).await;

    // The policy is enforced, and a violation is seen: an inline script
    // does not run and the browser reports it.
    let ran = browser
        .run(
            "const s = document.createElement('script'); s.textContent = 'window.injected = 1'; \
             document.body.append(s); return window.injected === 1;",
        )
        .await;
    assert_eq!(ran, json!(false));
    let log = browser.assert_clean_log(&["Content Security Policy"]).await;
    assert!(
        log.iter().any(|e| e["message"]
            .as_str()
            .unwrap_or("")
            .contains("Content Security Policy")),
        "{log:#?}"
    );
}

#[tokio::test]
async fn a_session_that_ends_returns_to_sign_in() {
    let Some(browser) = browser::launch().await else {
        return;
    };
    let app = spawn_app_with(&[]).await;
    let operator = app.operator().await;
    let other = app.operator().await;
    sign_in(&browser, &app, &operator.email).await;
    browser.find("#nav:not([hidden])").await;

    // Another operator signs this one out everywhere.
    let ended = app
        .post(
            &format!("/api/v1/operator/users/{}/sign-out", operator.id),
            Some(&other.token),
            json!({"reason": "laptop lost"}),
        )
        .await;
    assert_eq!(ended.status, 200, "{}", ended.body);
    open_page(&browser, "ledger").await;
    browser
        .text_of("form.sign-in", "Your session ended. Sign in again.")
        .await;
    // The refused request is the one error the page may log; that it is
    // there shows the log is read at all.
    let log = browser.assert_clean_log(&["401"]).await;
    assert!(
        log.iter()
            .any(|e| e["level"] == "SEVERE" && e["message"].as_str().unwrap_or("").contains("401")),
        "{log:#?}"
    );
}
