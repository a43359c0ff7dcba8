//! Questions and answers over HTTP: anyone reads, signed-in accounts post
//! with their disclosures, the sponsor's answers are marked and mailed,
//! posted markup stays inert, operators hide and restore with an audited
//! reason, and posting is limited per account.

use serde_json::{json, Value};

use crate::helpers::{spawn_app, spawn_app_with, Reply, TestApp};
use crate::world::Person;

fn post(body: &str) -> Value {
    json!({"body": body, "paid_promoter": false, "sponsor_affiliated": false})
}

impl TestApp {
    async fn ask(&self, who: &Person, offering: &str, body: Value) -> Reply {
        self.post(
            format!("/api/v1/offerings/{offering}/questions"),
            Some(&who.token),
            body,
        )
        .await
    }

    async fn reply_to(&self, who: &Person, offering: &str, question: &str, body: Value) -> Reply {
        self.post(
            format!("/api/v1/offerings/{offering}/questions/{question}/replies"),
            Some(&who.token),
            body,
        )
        .await
    }

    async fn questions(&self, offering: &str, token: Option<&str>) -> Vec<Value> {
        let list = self
            .get(&format!("/api/v1/offerings/{offering}/questions"), token)
            .await;
        assert_eq!(list.status, 200, "{}", list.body);
        list.body["items"].as_array().unwrap().clone()
    }

    async fn moderate(
        &self,
        op: &Person,
        offering: &str,
        post: &str,
        action: &str,
        reason: &str,
    ) -> Reply {
        self.post(
            format!("/api/v1/operator/offerings/{offering}/posts/{post}/{action}"),
            Some(&op.token),
            json!({"reason": reason}),
        )
        .await
    }
}

#[tokio::test]
async fn questions_are_public_answers_are_marked_and_markup_stays_inert() {
    let app = spawn_app().await;
    let op = app.operator().await;
    let sponsor = app.sponsor().await;
    let offering = app.open_offering(&sponsor, &op, json!({})).await;
    let investor = app.investor(&op, 0).await;
    let promoter = app.investor(&op, 0).await;

    let script = "Is the roof <script>alert(document.cookie)</script> insured?";
    let asked = app.ask(&investor, &offering, post(script)).await;
    assert_eq!(asked.status, 201, "{}", asked.body);
    let question = asked.body["id"].as_str().unwrap().to_string();
    assert_eq!(asked.body["from_sponsor"], false);
    // The text comes back as written, to be shown as text, and as HTML that runs nothing.
    assert_eq!(asked.body["body"], script);
    let html = asked.body["body_html"].as_str().unwrap();
    assert_eq!(
        html,
        "<p>Is the roof &lt;script&gt;alert(document.cookie)&lt;/script&gt; insured?</p>\n"
    );
    // Its sponsor is told.
    let mail = app.wait_for_email(&sponsor.email, "New question on").await;
    assert!(mail.body.contains("insured?"), "{}", mail.body);

    let paid = app
        .ask(
            &promoter,
            &offering,
            json!({"body": "Great deal, invest now!", "paid_promoter": true, "sponsor_affiliated": false}),
        )
        .await;
    assert_eq!(paid.status, 201, "{}", paid.body);
    assert_eq!(paid.body["paid_promoter"], true);

    // The sponsor's answer is marked as the sponsor's, and the asker is told.
    let answer = app
        .reply_to(&sponsor, &offering, &question, post("Yes, fully insured."))
        .await;
    assert_eq!(answer.status, 201, "{}", answer.body);
    assert_eq!(answer.body["from_sponsor"], true);
    assert_eq!(answer.body["sponsor_affiliated"], true);
    assert_eq!(answer.body["question_id"], question.as_str());
    app.wait_for_email(&investor.email, "answered your question")
        .await;
    // Another reader's reply is not the sponsor's, and mails nobody.
    let other = app
        .reply_to(&promoter, &offering, &question, post("Thanks for asking."))
        .await;
    assert_eq!(other.status, 201, "{}", other.body);
    assert_eq!(other.body["from_sponsor"], false);
    assert_eq!(app.count("outbox WHERE id LIKE 'answer:%'"), 1);
    assert_eq!(app.count("outbox WHERE id LIKE 'question:%'"), 2);

    // Anyone reads it all, newest question first, replies oldest first.
    let list = app.questions(&offering, None).await;
    assert_eq!(list.len(), 2);
    assert_eq!(list[0]["paid_promoter"], true);
    assert_eq!(list[1]["id"], question.as_str());
    let replies = list[1]["replies"].as_array().unwrap();
    assert_eq!(replies.len(), 2);
    assert_eq!(replies[0]["body"], "Yes, fully insured.");
    assert_eq!(replies[0]["from_sponsor"], true);
    assert_eq!(replies[1]["from_sponsor"], false);

    // Refusals: no account, no such question, a reply to a reply, a draft.
    let anonymous = app
        .post(
            format!("/api/v1/offerings/{offering}/questions"),
            None,
            post("hi"),
        )
        .await;
    assert_eq!(anonymous.status, 401, "{}", anonymous.body);
    app.reply_to(&investor, &offering, "no-such-question", post("hi"))
        .await
        .assert_problem(404, "not_found");
    app.reply_to(
        &investor,
        &offering,
        answer.body["id"].as_str().unwrap(),
        post("hi"),
    )
    .await
    .assert_problem(404, "not_found");
    let draft = app.draft(&sponsor, json!({})).await;
    let draft = draft.body["id"].as_str().unwrap();
    app.ask(&investor, draft, post("hi"))
        .await
        .assert_problem(404, "not_found");
    let refused = app
        .ask(&investor, &offering, json!({"body": "no disclosure"}))
        .await;
    refused.assert_problem(422, "invalid_body");
    let refused = app
        .ask(&investor, &offering, post(&"x".repeat(4_001)))
        .await;
    refused.assert_problem(422, "invalid_field");
    assert_eq!(refused.body["field"], "body");
    app.ask(&investor, &offering, post("\u{200B} \n"))
        .await
        .assert_problem(422, "invalid_field");
}

#[tokio::test]
async fn operators_hide_and_restore_posts_with_an_audited_reason() {
    let app = spawn_app().await;
    let op = app.operator().await;
    let sponsor = app.sponsor().await;
    let offering = app.open_offering(&sponsor, &op, json!({})).await;
    let investor = app.investor(&op, 0).await;
    let asked = app
        .ask(&investor, &offering, post("Buy my course at spam.example"))
        .await;
    let question = asked.body["id"].as_str().unwrap().to_string();

    app.moderate(&investor, &offering, &question, "hide", "spam")
        .await
        .assert_problem(403, "forbidden");
    app.moderate(&op, &offering, &question, "hide", " ")
        .await
        .assert_problem(422, "invalid_field");
    let hidden = app
        .moderate(&op, &offering, &question, "hide", "Advertising")
        .await;
    assert_eq!(hidden.status, 200, "{}", hidden.body);
    assert_eq!(hidden.body["hidden"]["reason"], "Advertising");
    app.moderate(&op, &offering, &question, "hide", "again")
        .await
        .assert_problem(409, "already_hidden");

    // Readers see that it was hidden and why, not what it said; operators see it all.
    let public = app.questions(&offering, None).await;
    assert_eq!(public[0]["hidden"]["reason"], "Advertising");
    assert!(public[0]["body"].is_null() && public[0]["body_html"].is_null());
    let operators = app.questions(&offering, Some(&op.token)).await;
    assert_eq!(operators[0]["body"], "Buy my course at spam.example");
    app.reply_to(&sponsor, &offering, &question, post("No."))
        .await
        .assert_problem(409, "post_hidden");

    let restored = app
        .moderate(&op, &offering, &question, "restore", "Appeal upheld")
        .await;
    assert_eq!(restored.status, 200, "{}", restored.body);
    assert!(restored.body["hidden"].is_null());
    app.moderate(&op, &offering, &question, "restore", "again")
        .await
        .assert_problem(409, "not_hidden");
    // The text was never changed.
    let public = app.questions(&offering, None).await;
    assert_eq!(public[0]["body"], "Buy my course at spam.example");
    app.moderate(&op, &offering, "no-such-post", "hide", "x")
        .await
        .assert_problem(404, "not_found");

    for (action, reason) in [
        ("post.hidden", "Advertising"),
        ("post.restored", "Appeal upheld"),
    ] {
        let log = app
            .get(
                &format!("/api/v1/operator/audit-log?action={action}&subject_id={question}"),
                Some(&op.token),
            )
            .await;
        assert_eq!(log.status, 200, "{}", log.body);
        let items = log.body["items"].as_array().unwrap();
        assert_eq!(items.len(), 1, "{}", log.body);
        assert_eq!(items[0]["actor_id"], op.id.as_str());
        assert_eq!(items[0]["details"]["reason"], reason);
    }
}

#[tokio::test]
async fn posting_is_limited_per_account_but_not_the_sponsor_answering() {
    let app = spawn_app_with(&[("POST_RATE_LIMIT_PER_ACCOUNT", "3/1h")]).await;
    let op = app.operator().await;
    let sponsor = app.sponsor().await;
    let offering = app.open_offering(&sponsor, &op, json!({})).await;
    let chatty = app.investor(&op, 0).await;
    let mut first = String::new();
    for n in 0..3 {
        let asked = app
            .ask(&chatty, &offering, post(&format!("Question {n}")))
            .await;
        assert_eq!(asked.status, 201, "{}", asked.body);
        first = asked.body["id"].as_str().unwrap().to_string();
    }
    let refused = app.ask(&chatty, &offering, post("One more")).await;
    refused.assert_problem(429, "rate_limited");
    assert!(refused.retry_after() >= 1);
    // A reply counts against the same limit.
    app.reply_to(&chatty, &offering, &first, post("And another"))
        .await
        .assert_problem(429, "rate_limited");
    // Another account is not held back, nor the sponsor answering.
    let other = app.investor(&op, 0).await;
    let asked = app.ask(&other, &offering, post("Mine")).await;
    assert_eq!(asked.status, 201, "{}", asked.body);
    for n in 0..5 {
        let answer = app
            .reply_to(&sponsor, &offering, &first, post(&format!("Answer {n}")))
            .await;
        assert_eq!(answer.status, 201, "{}", answer.body);
    }
    assert_eq!(app.count("offering_posts"), 3 + 1 + 5);
}
