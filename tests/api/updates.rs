//! Sponsor updates over HTTP: who reads which, one email per update and
//! person, scheduled updates published once by whichever server gets there
//! first, a Markdown body that runs nothing, and bad input.

use std::time::{Duration, Instant};

use chrono::Utc;
use serde_json::{json, Value};

use crate::helpers::{spawn_app, spawn_app_with, Reply, TestApp};
use crate::world::Person;

impl TestApp {
    pub async fn post_update(&self, sponsor: &Person, offering: &str, body: Value) -> Reply {
        self.post(
            format!("/api/v1/offerings/{offering}/updates"),
            Some(&sponsor.token),
            body,
        )
        .await
    }

    /// The titles of the updates `token` sees on the offering's first page.
    async fn update_titles(&self, offering: &str, token: Option<&str>) -> Vec<String> {
        let list = self
            .get(&format!("/api/v1/offerings/{offering}/updates"), token)
            .await;
        assert_eq!(list.status, 200, "{}", list.body);
        list.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["title"].as_str().unwrap().to_string())
            .collect()
    }

    /// Outbox rows queued for this update.
    fn update_mail(&self, update_id: &str) -> i64 {
        self.count(&format!("outbox WHERE id LIKE 'update:{update_id}:%'"))
    }
}

#[tokio::test]
async fn an_update_reaches_each_investor_once_and_only_its_audience_reads_it() {
    let app = spawn_app().await;
    let op = app.operator().await;
    let sponsor = app.sponsor().await;
    let offering = app.open_offering(&sponsor, &op, json!({})).await;
    // Several subscriptions (and, for a second round, a sponsor account of
    // their own) must not make several emails.
    let twice = app.investor(&op, 100_000).await;
    for key in ["a", "b"] {
        let sub = app.subscribe(&twice, &offering, json!(2), key).await;
        assert_eq!(sub.status, 201, "{}", sub.body);
    }
    let once = app.investor(&op, 100_000).await;
    let sub = app.subscribe(&once, &offering, json!(1), "c").await;
    assert_eq!(sub.status, 201, "{}", sub.body);
    let outsider = app.investor(&op, 100_000).await;
    let other_sponsor = app.sponsor().await;

    let posted = app
        .post_update(
            &sponsor,
            &offering,
            json!({"title": "Panels delivered", "audience": "investors", "body_format": "markdown",
                   "body": "The **first** panels are in.\n\n<script>alert(1)</script>\n\n\
                            [photos](javascript:alert(2)) and [report](https://example.com/r)"}),
        )
        .await;
    assert_eq!(posted.status, 201, "{}", posted.body);
    let id = posted.body["id"].as_str().unwrap().to_string();
    assert!(!posted.body["published_at"].is_null(), "{}", posted.body);
    let html = posted.body["body_html"].as_str().unwrap();
    assert!(html.contains("<strong>first</strong>"), "{html}");
    assert!(
        html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "{html}"
    );
    assert!(
        !html.contains("<script") && !html.contains("javascript:"),
        "{html}"
    );
    assert!(
        html.contains("<a href=\"https://example.com/r\">report</a>"),
        "{html}"
    );

    // One message per investor: two rows, however many subscriptions.
    assert_eq!(app.update_mail(&id), 2);
    let mail = app.wait_for_email(&twice.email, "Panels delivered").await;
    assert!(
        mail.body.contains("The **first** panels are in."),
        "{}",
        mail.body
    );
    app.wait_for_email(&once.email, "Panels delivered").await;
    assert_eq!(
        app.count(&format!(
            "outbox WHERE recipient = '{}' AND kind = 'offering_update' AND params LIKE '%Panels delivered%'",
            twice.email
        )),
        1
    );
    for nobody in [&outsider, &other_sponsor, &sponsor] {
        assert_eq!(
            app.count(&format!(
                "outbox WHERE id LIKE 'update:{id}:%' AND recipient = '{}'",
                nobody.email
            )),
            0
        );
    }

    // Investors of this offering, its sponsor and operators read it; nobody else.
    let path = format!("/api/v1/offerings/{offering}/updates/{id}");
    for reader in [&twice, &once, &sponsor, &op] {
        let got = app.get(&path, Some(&reader.token)).await;
        assert_eq!(got.status, 200, "{}", got.body);
        assert_eq!(got.body["title"], "Panels delivered");
    }
    for stranger in [Some(&outsider.token), Some(&other_sponsor.token), None] {
        app.get(&path, stranger.map(String::as_str))
            .await
            .assert_problem(404, "not_found");
        assert!(app
            .update_titles(&offering, stranger.map(String::as_str))
            .await
            .is_empty());
    }
    assert_eq!(
        app.update_titles(&offering, Some(&once.token)).await,
        ["Panels delivered"]
    );

    // A public update: everyone reads it, investors are still emailed.
    let public = app
        .post_update(
            &sponsor,
            &offering,
            json!({"title": "Site visit", "body": "Open day <b>Friday</b>."}),
        )
        .await;
    assert_eq!(public.status, 201, "{}", public.body);
    assert_eq!(public.body["audience"], "public");
    assert_eq!(public.body["body_format"], "text");
    assert_eq!(
        public.body["body_html"],
        "<p>Open day &lt;b&gt;Friday&lt;/b&gt;.</p>\n"
    );
    assert_eq!(app.update_mail(public.body["id"].as_str().unwrap()), 2);
    assert_eq!(app.update_titles(&offering, None).await, ["Site visit"]);
    assert_eq!(
        app.update_titles(&offering, Some(&twice.token)).await,
        ["Site visit", "Panels delivered"]
    );
}

#[tokio::test]
async fn a_scheduled_update_is_published_once_by_whichever_server_gets_there_first() {
    let app = spawn_app_with(&[("SWEEP_INTERVAL_SECS", "1")]).await;
    let sibling = app.spawn_sibling(&[]).await;
    let op = app.operator().await;
    let sponsor = app.sponsor().await;
    let offering = app.open_offering(&sponsor, &op, json!({})).await;
    let mut investors = Vec::new();
    for i in 0..3 {
        let investor = app.investor(&op, 100_000).await;
        let sub = app
            .subscribe(&investor, &offering, json!(1), format!("k{i}"))
            .await;
        assert_eq!(sub.status, 201, "{}", sub.body);
        investors.push(investor);
    }
    let at = Utc::now() + chrono::Duration::seconds(3);
    let posted = app
        .post_update(
            &sponsor,
            &offering,
            json!({"title": "Quarterly report", "body": "Revenue is up.", "publish_at": at.to_rfc3339()}),
        )
        .await;
    assert_eq!(posted.status, 201, "{}", posted.body);
    let id = posted.body["id"].as_str().unwrap().to_string();
    assert!(posted.body["published_at"].is_null(), "{}", posted.body);

    // Until its time only its sponsor (and operators) see it, and no mail is queued.
    assert!(app.update_titles(&offering, None).await.is_empty());
    assert!(app
        .update_titles(&offering, Some(&investors[0].token))
        .await
        .is_empty());
    assert_eq!(
        app.update_titles(&offering, Some(&sponsor.token)).await,
        ["Quarterly report"]
    );
    assert_eq!(app.update_mail(&id), 0);

    let deadline = Instant::now() + Duration::from_secs(20);
    while app.update_titles(&offering, None).await.is_empty() {
        assert!(
            Instant::now() < deadline,
            "the scheduled update was never published"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // Both servers' sweepers ran over it: one message per investor.
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    assert_eq!(app.update_mail(&id), 3);
    for investor in &investors {
        app.wait_for_email(&investor.email, "Quarterly report")
            .await;
    }
    let seen = sibling
        .get(&format!("/api/v1/offerings/{offering}/updates/{id}"), None)
        .await;
    assert_eq!(seen.status, 200, "{}", seen.body);
    assert!(!seen.body["published_at"].is_null());
}

#[tokio::test]
async fn updates_refuse_bad_input_and_page_with_cursors() {
    let app = spawn_app().await;
    let op = app.operator().await;
    let sponsor = app.sponsor().await;
    let investor = app.investor(&op, 0).await;
    let offering = app.open_offering(&sponsor, &op, json!({})).await;
    let draft = app.draft(&sponsor, json!({})).await;
    let draft = draft.body["id"].as_str().unwrap();
    let good = json!({"title": "T", "body": "B"});

    app.post_update(&sponsor, draft, good.clone())
        .await
        .assert_problem(409, "offering_not_public");
    let stranger = app.sponsor().await;
    app.post_update(&stranger, &offering, good.clone())
        .await
        .assert_problem(404, "not_found");
    app.post_update(&investor, &offering, good.clone())
        .await
        .assert_problem(403, "forbidden");
    for (body, field) in [
        (json!({"title": " ", "body": "B"}), "title"),
        (json!({"title": "T", "body": ""}), "body"),
        (
            json!({"title": "T", "body": "B", "audience": "friends"}),
            "audience",
        ),
        (
            json!({"title": "T", "body": "B", "body_format": "html"}),
            "body_format",
        ),
        (json!({"title": "T\u{202E}", "body": "B"}), "title"),
        (json!({"title": "T", "body": "x".repeat(20_001)}), "body"),
        (
            json!({"title": "T", "body": "B",
                   "publish_at": (Utc::now() + chrono::Duration::days(400)).to_rfc3339()}),
            "publish_at",
        ),
    ] {
        let refused = app.post_update(&sponsor, &offering, body).await;
        refused.assert_problem(422, "invalid_field");
        assert_eq!(refused.body["field"], field, "{}", refused.body);
    }
    app.post_update(
        &sponsor,
        &offering,
        json!({"title": "T", "body": "B", "pin": true}),
    )
    .await
    .assert_problem(422, "invalid_body");
    assert_eq!(app.count("offering_updates"), 0);

    for n in 1..=3 {
        let posted = app
            .post_update(
                &sponsor,
                &offering,
                json!({"title": format!("Update {n}"), "body": "B"}),
            )
            .await;
        assert_eq!(posted.status, 201, "{}", posted.body);
    }
    let path = format!("/api/v1/offerings/{offering}/updates");
    let first = app.get(&format!("{path}?limit=2"), None).await;
    let titles = |r: &Reply| -> Vec<String> {
        r.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["title"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(titles(&first), ["Update 3", "Update 2"]);
    let cursor = first.body["next_cursor"].as_str().unwrap();
    let second = app
        .get(&format!("{path}?limit=2&cursor={cursor}"), None)
        .await;
    assert_eq!(titles(&second), ["Update 1"]);
    assert!(second.body["next_cursor"].is_null());
    app.get(&format!("{path}?cursor=bm9wZQ"), None)
        .await
        .assert_problem(400, "invalid_cursor");
    app.get(&format!("/api/v1/offerings/{draft}/updates"), None)
        .await
        .assert_problem(404, "not_found");
}
