//! What operators look up: the KYC queue with the figures last approved,
//! offerings by status (the review queue), what settling a round would pay
//! out, and accounts by part of their email address.

use serde_json::{json, Value};

use crate::helpers::{spawn_app, unique_email, TestApp};
use crate::world::Person;

/// The ids of a page's items, in order.
fn ids(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_string())
        .collect()
}

/// Every item of a list, following `next_cursor` with pages of `limit`;
/// also the number of pages.
async fn every_page(app: &TestApp, path: &str, token: &str, limit: u32) -> (Vec<Value>, usize) {
    let separator = if path.contains('?') { '&' } else { '?' };
    let mut items = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let url = match &cursor {
            Some(c) => format!("{path}{separator}limit={limit}&cursor={c}"),
            None => format!("{path}{separator}limit={limit}"),
        };
        let page = app.get(&url, Some(token)).await;
        assert_eq!(page.status, 200, "{url}: {}", page.body);
        let got = page.body["items"].as_array().unwrap();
        assert!(got.len() <= limit as usize, "{}", page.body);
        items.extend(got.iter().cloned());
        pages += 1;
        match page.body["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_string()),
            None => return (items, pages),
        }
        assert!(pages < 100, "the list does not end");
    }
}

/// The KYC queue's item of this investor, in the queue of `status`.
async fn kyc_item(app: &TestApp, operator: &Person, status: &str, investor_id: &str) -> Value {
    let queue = app
        .get(
            &format!("/api/v1/operator/kyc?status={status}"),
            Some(&operator.token),
        )
        .await;
    assert_eq!(queue.status, 200, "{}", queue.body);
    queue.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["investor_id"] == investor_id)
        .cloned()
        .unwrap_or_else(|| panic!("{investor_id} not in the {status} queue: {}", queue.body))
}

#[tokio::test]
async fn the_kyc_queue_shows_the_figures_last_approved_beside_the_declared_ones() {
    let app = spawn_app().await;
    let operator = app.operator().await;
    let email = unique_email("kyc");
    let (id, token, _) = app.signed_up(&email, "investor").await;
    let declare = |income: i64, external: i64, name: &'static str| {
        json!({"legal_name": name, "country": "US", "annual_income": income,
               "net_worth": 2_000_000, "accredited": false,
               "external_investments_12m": external})
    };

    // Never approved: nothing in force.
    let saved = app
        .put(
            "/api/v1/me/investor-profile",
            Some(&token),
            declare(5_000_000, 0, "Ada Lovelace"),
        )
        .await;
    assert_eq!(saved.status, 200, "{}", saved.body);
    let item = kyc_item(&app, &operator, "pending", &id).await;
    assert!(item["approved"].is_null(), "{item}");
    assert_eq!(item["annual_income"], 5_000_000);

    // Approved: the figures in force are the ones reviewed.
    let decided = app
        .post(
            &format!("/api/v1/operator/investors/{id}/kyc"),
            Some(&operator.token),
            json!({"decision": "approved", "submitted_at": item["submitted_at"]}),
        )
        .await;
    assert_eq!(decided.status, 200, "{}", decided.body);
    let item = kyc_item(&app, &operator, "approved", &id).await;
    let first = json!({"annual_income": 5_000_000, "net_worth": 2_000_000,
                       "accredited": false, "external_investments_12m": 0,
                       "investor_type": "individual", "financial_assets": 0,
                       "average_income_3y": 0, "sophisticated": false});
    assert_eq!(item["approved"], first, "{item}");

    // A change of the figures goes back to review; the queue shows what is
    // declared now beside what was approved, which stays in force.
    let changed = app
        .put(
            "/api/v1/me/investor-profile",
            Some(&token),
            declare(9_000_000, 150_000, "Ada Lovelace"),
        )
        .await;
    assert_eq!(changed.status, 200, "{}", changed.body);
    assert_eq!(changed.body["kyc_status"], "pending");
    let item = kyc_item(&app, &operator, "pending", &id).await;
    assert_eq!(item["annual_income"], 9_000_000);
    assert_eq!(item["external_investments_12m"], 150_000);
    assert_eq!(item["approved"], first, "{item}");

    // Approving again puts the new figures in force.
    let decided = app
        .post(
            &format!("/api/v1/operator/investors/{id}/kyc"),
            Some(&operator.token),
            json!({"decision": "approved", "submitted_at": item["submitted_at"]}),
        )
        .await;
    assert_eq!(decided.status, 200, "{}", decided.body);
    let item = kyc_item(&app, &operator, "approved", &id).await;
    assert_eq!(item["approved"]["annual_income"], 9_000_000, "{item}");
    assert_eq!(item["approved"]["external_investments_12m"], 150_000);

    // A new name leaves nothing in force until it is reviewed.
    let renamed = app
        .put(
            "/api/v1/me/investor-profile",
            Some(&token),
            declare(9_000_000, 150_000, "Ada King"),
        )
        .await;
    assert_eq!(renamed.status, 200, "{}", renamed.body);
    let item = kyc_item(&app, &operator, "pending", &id).await;
    assert!(item["approved"].is_null(), "{item}");
}

#[tokio::test]
async fn operators_list_offerings_by_status_the_review_queue_first() {
    let app = spawn_app().await;
    let operator = app.operator().await;
    let sponsor = app.sponsor().await;
    let investor = app.investor(&operator, 0).await;

    // Three offerings submitted for review, one left a draft.
    let mut submitted = Vec::new();
    for title in ["First Farm", "Second Farm", "Third Farm"] {
        let draft = app.draft(&sponsor, json!({"title": title})).await;
        assert_eq!(draft.status, 201, "{}", draft.body);
        let id = draft.body["id"].as_str().unwrap().to_string();
        let reply = app
            .post(
                format!("/api/v1/offerings/{id}/submit"),
                Some(&sponsor.token),
                json!({}),
            )
            .await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        submitted.push(id);
    }
    let draft = app.draft(&sponsor, json!({"title": "Still a draft"})).await;
    let draft_id = draft.body["id"].as_str().unwrap().to_string();

    // In review by default, oldest first, as an operator sees each one.
    let queue = app
        .get("/api/v1/operator/offerings", Some(&operator.token))
        .await;
    assert_eq!(queue.status, 200, "{}", queue.body);
    assert_eq!(ids(&queue.body), submitted);
    assert!(queue.body["next_cursor"].is_null());
    let one = app
        .get(
            &format!("/api/v1/offerings/{}", submitted[0]),
            Some(&operator.token),
        )
        .await;
    assert_eq!(queue.body["items"][0], one.body);
    assert_eq!(queue.body["items"][0]["status"], "in_review");
    assert_eq!(queue.body["items"][0]["progress"]["raised"], 0);
    // The public catalogue does not list them.
    let public = app.get("/api/v1/offerings?status=in_review", None).await;
    assert_eq!(public.body["items"], json!([]));

    // Page by page: every one once, in the same order.
    let (items, pages) = every_page(
        &app,
        "/api/v1/operator/offerings?status=in_review",
        &operator.token,
        2,
    )
    .await;
    assert_eq!(pages, 2);
    let paged: Vec<&str> = items.iter().map(|i| i["id"].as_str().unwrap()).collect();
    assert_eq!(paged, submitted);

    // Drafts by asking; an empty status is the default.
    let drafts = app
        .get(
            "/api/v1/operator/offerings?status=draft",
            Some(&operator.token),
        )
        .await;
    assert_eq!(ids(&drafts.body), [draft_id]);
    let blank = app
        .get(
            "/api/v1/operator/offerings?status=&cursor=",
            Some(&operator.token),
        )
        .await;
    assert_eq!(ids(&blank.body), submitted);

    // Approved, an offering leaves the queue for the open ones.
    let approved = app
        .post(
            format!("/api/v1/operator/offerings/{}/approve", submitted[1]),
            Some(&operator.token),
            json!({}),
        )
        .await;
    assert_eq!(approved.status, 200, "{}", approved.body);
    let queue = app
        .get("/api/v1/operator/offerings", Some(&operator.token))
        .await;
    assert_eq!(
        ids(&queue.body),
        [submitted[0].clone(), submitted[2].clone()]
    );
    let open = app
        .get(
            "/api/v1/operator/offerings?status=open",
            Some(&operator.token),
        )
        .await;
    assert_eq!(ids(&open.body), [submitted[1].clone()]);
    assert_eq!(open.body["items"][0]["fee_bps"], 500);

    // Operators only.
    for who in [&investor, &sponsor] {
        app.get("/api/v1/operator/offerings", Some(&who.token))
            .await
            .assert_problem(403, "forbidden");
    }
    app.get("/api/v1/operator/offerings", None)
        .await
        .assert_problem(401, "unauthorized");

    // Refusals of the query.
    for query in [
        "status=pending",
        "status=IN_REVIEW",
        "limit=0",
        "limit=101",
        "sort=title",
    ] {
        app.get(
            &format!("/api/v1/operator/offerings?{query}"),
            Some(&operator.token),
        )
        .await
        .assert_problem(400, "invalid_query");
    }
    // Only a cursor of this list: not garbage, not the sponsor's own list's.
    let mine = app
        .get("/api/v1/me/offerings?limit=1", Some(&sponsor.token))
        .await;
    let other_list = mine.body["next_cursor"].as_str().unwrap();
    for cursor in ["garbage", "eyJzIjoieCJ9", other_list] {
        app.get(
            &format!("/api/v1/operator/offerings?cursor={cursor}"),
            Some(&operator.token),
        )
        .await
        .assert_problem(400, "invalid_cursor");
    }
}

const PRICE: i64 = 1_001;

#[tokio::test]
async fn a_settlement_quote_is_what_settling_then_records() {
    let app = spawn_app().await;
    let operator = app.operator().await;
    let sponsor = app.sponsor().await;
    // 10 shares at 10.01: the 5% fee of 100.10 is 5.005, rounded up to 5.01.
    let offering = app
        .open_offering(
            &sponsor,
            &operator,
            json!({"price_per_share": PRICE, "target_amount": 10 * PRICE}),
        )
        .await;
    let quote_path = format!("/api/v1/operator/offerings/{offering}/settlement-quote");

    // Open: settling would be refused, and so is the quote.
    let open = app.get(&quote_path, Some(&operator.token)).await;
    open.assert_problem(409, "invalid_offering_state");
    assert_eq!(open.body["offering_status"], "open");

    // Operators only; unknown or never approved offerings are not found.
    let investors = [
        app.investor(&operator, 6 * PRICE).await,
        app.investor(&operator, 4 * PRICE).await,
    ];
    app.get(&quote_path, Some(&investors[0].token))
        .await
        .assert_problem(403, "forbidden");
    app.get(&quote_path, Some(&sponsor.token))
        .await
        .assert_problem(403, "forbidden");
    app.get(&quote_path, None)
        .await
        .assert_problem(401, "unauthorized");
    app.get(
        "/api/v1/operator/offerings/no-such-offering/settlement-quote",
        Some(&operator.token),
    )
    .await
    .assert_problem(404, "not_found");
    let draft = app.draft(&sponsor, json!({})).await;
    let draft_id = draft.body["id"].as_str().unwrap();
    app.get(
        &format!("/api/v1/operator/offerings/{draft_id}/settlement-quote"),
        Some(&operator.token),
    )
    .await
    .assert_problem(404, "not_found");

    // Funded.
    let mut subscriptions = Vec::new();
    for (i, (investor, shares)) in investors.iter().zip([6, 4]).enumerate() {
        let r = app
            .subscribe(investor, &offering, json!(shares), format!("q{i}"))
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        subscriptions.push(r.body["id"].as_str().unwrap().to_string());
    }
    assert_eq!(app.offering(&offering).await["status"], "funded");

    let quote = app.get(&quote_path, Some(&operator.token)).await;
    assert_eq!(quote.status, 200, "{}", quote.body);
    assert_eq!(
        quote.body,
        json!({"offering_id": offering, "gross": 10 * PRICE, "fee_bps": 500, "fee": 501,
               "sponsor_payout": 10 * PRICE - 501, "currency": "USD",
               "awaiting_reconfirmation": 0})
    );

    // A material amendment: the quote counts who must still answer, and
    // settling waits for them.
    let amended = app
        .upload(
            &format!(
                "/api/v1/offerings/{offering}/documents?kind=offering_memorandum&name=Memo.pdf"
            ),
            Some(&sponsor.token),
            crate::documents::pdf("the terms change"),
        )
        .await;
    assert_eq!(amended.status, 201, "{}", amended.body);
    let document = amended.body["id"].as_str().unwrap();
    let declared = app
        .post(
            format!("/api/v1/offerings/{offering}/documents/{document}/versions/1/material"),
            Some(&operator.token),
            json!({"reason": "The use of funds changes."}),
        )
        .await;
    assert_eq!(declared.status, 201, "{}", declared.body);
    let waiting = app.get(&quote_path, Some(&operator.token)).await;
    assert_eq!(waiting.status, 200, "{}", waiting.body);
    assert_eq!(waiting.body["awaiting_reconfirmation"], 2);
    assert_eq!(waiting.body["fee"], 501);
    let refused = app.settle(&operator, &offering, "too-early").await;
    refused.assert_problem(409, "reconfirmations_pending");
    assert_eq!(refused.body["awaiting"], 2);
    for (investor, subscription) in investors.iter().zip(&subscriptions) {
        let r = app
            .post(
                format!("/api/v1/subscriptions/{subscription}/reconfirm"),
                Some(&investor.token),
                json!({}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
    }
    let quote = app.get(&quote_path, Some(&operator.token)).await;
    assert_eq!(quote.body["awaiting_reconfirmation"], 0, "{}", quote.body);

    // Settling records exactly the quote.
    let settled = app.settle(&operator, &offering, "settle").await;
    assert_eq!(settled.status, 200, "{}", settled.body);
    for field in ["gross", "fee_bps", "fee", "sponsor_payout"] {
        assert_eq!(settled.body[field], quote.body[field], "{field}");
    }
    let report = app.assert_books_balance(&operator).await;
    let fees = report["accounts_by_kind"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kind"] == "platform_fee")
        .map(|k| k["balance"].clone());
    assert_eq!(fees, Some(quote.body["fee"].clone()));

    // Settled: nothing left to quote.
    let after = app.get(&quote_path, Some(&operator.token)).await;
    after.assert_problem(409, "invalid_offering_state");
    assert_eq!(after.body["offering_status"], "settled");
}

#[tokio::test]
async fn operators_find_accounts_by_part_of_their_email() {
    let app = spawn_app().await;
    let operator = app.operator().await;
    let investor = app.investor(&operator, 0).await;
    let tag = uuid::Uuid::new_v4().simple().to_string()[..8].to_string();
    // `_` and `%` are characters of addresses as much as wildcards of LIKE.
    let emails = [
        format!("ann_{tag}@example.com"),
        format!("annx{tag}@example.com"),
        format!("pct%{tag}@example.com"),
        format!("bob{tag}@example.org"),
    ];
    let mut user_ids = Vec::new();
    for email in &emails {
        let r = app.register(email, "sponsor").await;
        assert_eq!(r.status, 201, "{}", r.body);
        user_ids.push(r.body["id"].as_str().unwrap().to_string());
    }
    let find = |text: &str| {
        let encoded: String = url_encode(text);
        let path = format!("/api/v1/operator/users?email={encoded}");
        let token = operator.token.clone();
        let app = &app;
        async move {
            let reply = app.get(&path, Some(&token)).await;
            assert_eq!(reply.status, 200, "{path}: {}", reply.body);
            reply
        }
    };
    let emails_of = |page: &Value| -> Vec<String> {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["email"].as_str().unwrap().to_string())
            .collect()
    };

    // Part of the address, in any case, trimmed; ordered by email.
    let found = find(&format!("  {}  ", tag.to_uppercase())).await;
    let mut sorted = emails.to_vec();
    sorted.sort();
    assert_eq!(emails_of(&found.body), sorted);
    let found = find("ANN_").await;
    assert_eq!(emails_of(&found.body), [emails[0].clone()]);
    // Each item is the account as GET /operator/users/{id} shows it.
    let one = app
        .get(
            &format!("/api/v1/operator/users/{}", user_ids[0]),
            Some(&operator.token),
        )
        .await;
    assert_eq!(found.body["items"][0], one.body);
    assert_eq!(found.body["items"][0]["role"], "sponsor");
    assert_eq!(found.body["items"][0]["email_verified"], false);

    // Wildcards are plain characters.
    assert_eq!(emails_of(&find("_").await.body), [emails[0].clone()]);
    assert_eq!(emails_of(&find("%").await.body), [emails[2].clone()]);
    assert_eq!(
        emails_of(&find(&format!("%{tag}")).await.body),
        [emails[2].clone()]
    );
    assert_eq!(emails_of(&find("n_x").await.body), Vec::<String>::new());
    // So is the escape character (nothing contains it, and it is no error).
    assert_eq!(emails_of(&find("\\").await.body), Vec::<String>::new());
    assert_eq!(emails_of(&find("ann\\_").await.body), Vec::<String>::new());
    assert_eq!(emails_of(&find(".ORG").await.body), [emails[3].clone()]);
    assert_eq!(
        emails_of(&find("nobody-at-all").await.body),
        Vec::<String>::new()
    );

    // Without `email`: every account, page by page, each once.
    let (items, pages) = every_page(&app, "/api/v1/operator/users", &operator.token, 2).await;
    assert_eq!(pages, 3, "6 accounts by 2");
    let all: Vec<String> = items
        .iter()
        .map(|i| i["email"].as_str().unwrap().to_string())
        .collect();
    let mut expected: Vec<String> = emails.to_vec();
    expected.push(operator.email.clone());
    expected.push(investor.email.clone());
    expected.sort();
    assert_eq!(all, expected);
    let (items, _) = every_page(
        &app,
        &format!("/api/v1/operator/users?email={tag}"),
        &operator.token,
        1,
    )
    .await;
    assert_eq!(items.len(), 4);

    // At most 200 characters; no control characters.
    let long = "a".repeat(200);
    assert_eq!(emails_of(&find(&long).await.body), Vec::<String>::new());
    app.get(
        &format!("/api/v1/operator/users?email={}", "a".repeat(201)),
        Some(&operator.token),
    )
    .await
    .assert_problem(400, "invalid_query");
    app.get("/api/v1/operator/users?email=ann%00", Some(&operator.token))
        .await
        .assert_problem(400, "invalid_characters");
    app.get("/api/v1/operator/users?role=sponsor", Some(&operator.token))
        .await
        .assert_problem(400, "invalid_query");
    app.get(
        "/api/v1/operator/users?cursor=nonsense",
        Some(&operator.token),
    )
    .await
    .assert_problem(400, "invalid_cursor");

    // Operators only.
    app.get("/api/v1/operator/users?email=ann", Some(&investor.token))
        .await
        .assert_problem(403, "forbidden");
    app.get("/api/v1/operator/users", None)
        .await
        .assert_problem(401, "unauthorized");
}

/// Percent-encodes everything but unreserved characters.
fn url_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
