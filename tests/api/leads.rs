//! Led rounds (领投 + 跟投) over HTTP: followers wait for the lead's
//! commitment; the offering shows its lead; an operator appoints (and the
//! refusals around it); a lead who takes their commitment back withdraws,
//! and the followers are asked to reconfirm; a led round settles only with
//! a committed lead; followers racing the lead's commitment never get in
//! before it; the books balance throughout.

use std::time::{Duration, Instant};

use futures_util::future::join_all;
use serde_json::{json, Value};

use crate::helpers::{eventually, spawn_app, spawn_app_with, Reply, TestApp};
use crate::world::Person;

const PRICE: i64 = 1_000;
/// 100 shares; the lead commits at least 20% of it: 20 shares.
const TARGET: i64 = 100 * PRICE;
const LEAD_MIN_BPS: i64 = 2_000;
const LEAD_MIN: i64 = 20 * PRICE;

/// An open led round of 100 shares (plus `extra` terms).
async fn led_round(app: &TestApp, sponsor: &Person, operator: &Person, extra: Value) -> String {
    let mut terms = json!({"price_per_share": PRICE, "target_amount": TARGET,
                           "lead_min_bps": LEAD_MIN_BPS});
    for (k, v) in extra.as_object().unwrap() {
        terms[k] = v.clone();
    }
    app.open_offering(sponsor, operator, terms).await
}

async fn appoint(app: &TestApp, by: &Person, offering: &str, body: Value) -> Reply {
    app.put(
        &format!("/api/v1/operator/offerings/{offering}/lead"),
        Some(&by.token),
        body,
    )
    .await
}

fn lead_body(lead: &Person) -> Value {
    json!({"investor_id": lead.id, "carry_bps": 2_000,
           "terms": "  Commits 20% of the round; carry 20% of the followers' profit.  "})
}

async fn subscribe(app: &TestApp, who: &Person, offering: &str, shares: i64) -> Reply {
    app.subscribe(
        who,
        offering,
        json!(shares),
        uuid::Uuid::new_v4().to_string(),
    )
    .await
}

/// Settles, trying again for a while if the round may not settle yet for
/// a reason other than the ones this file tests (the rule profile's wait).
async fn settle(app: &TestApp, operator: &Person, offering: &str) -> Reply {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let key = uuid::Uuid::new_v4().to_string();
        let reply = app.settle(operator, offering, &key).await;
        let definitive = reply.status == 200
            || matches!(
                reply.code(),
                "lead_required" | "reconfirmations_pending" | "invalid_offering_state"
            );
        if definitive || Instant::now() > deadline {
            return reply;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

async fn my_subscription(app: &TestApp, who: &Person, id: &str) -> Value {
    let mine = app.get("/api/v1/me/subscriptions", Some(&who.token)).await;
    assert_eq!(mine.status, 200, "{}", mine.body);
    mine.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == id)
        .cloned()
        .unwrap_or_else(|| panic!("{id} not among {}", mine.body))
}

#[tokio::test]
async fn followers_follow_a_committed_lead_and_reconfirm_when_it_withdraws() {
    let app = spawn_app().await;
    let op = app.operator().await;
    let sponsor = app.sponsor().await;
    let offering = led_round(&app, &sponsor, &op, json!({})).await;
    let lead = app.investor(&op, 50 * PRICE).await;
    let followers = [
        app.investor(&op, 50 * PRICE).await,
        app.investor(&op, 50 * PRICE).await,
    ];

    // A led round without a lead takes no follower.
    let view = app.offering(&offering).await;
    assert_eq!(view["lead_min_bps"], LEAD_MIN_BPS);
    assert!(view["lead"].is_null(), "{view}");
    let early = subscribe(&app, &followers[0], &offering, 10).await;
    early.assert_problem(409, "lead_commitment_pending");
    assert_eq!(early.body["lead_min_commitment"], LEAD_MIN);

    // The operator appoints the lead: appointed, not yet committed.
    let appointed = appoint(&app, &op, &offering, lead_body(&lead)).await;
    assert_eq!(appointed.status, 200, "{}", appointed.body);
    assert_eq!(appointed.body["investor_id"], lead.id.as_str());
    assert_eq!(appointed.body["name"], "Test User");
    assert_eq!(appointed.body["carry_bps"], 2_000);
    assert_eq!(
        appointed.body["terms"],
        "Commits 20% of the round; carry 20% of the followers' profit."
    );
    assert_eq!(appointed.body["min_commitment"], LEAD_MIN);
    assert_eq!(appointed.body["committed"], 0);
    assert_eq!(appointed.body["status"], "appointed");
    assert!(appointed.body["appointed_at"].is_string());
    assert_eq!(
        app.count("audit_log WHERE action = 'offering.lead_appointed'"),
        1
    );

    // Followers wait until the lead has committed the whole minimum.
    let first = subscribe(&app, &lead, &offering, 10).await;
    assert_eq!(first.status, 201, "{}", first.body);
    let waiting = subscribe(&app, &followers[0], &offering, 10).await;
    waiting.assert_problem(409, "lead_commitment_pending");
    assert_eq!(waiting.body["lead_min_commitment"], LEAD_MIN);
    assert_eq!(waiting.body["lead_committed"], 10 * PRICE);
    let second = subscribe(&app, &lead, &offering, 10).await;
    assert_eq!(second.status, 201, "{}", second.body);
    let mut followed = Vec::new();
    for f in &followers {
        let r = subscribe(&app, f, &offering, 10).await;
        assert_eq!(r.status, 201, "{}", r.body);
        followed.push(r.body["id"].as_str().unwrap().to_string());
    }

    // The offering shows its committed lead.
    let view = app.offering(&offering).await;
    let shown = &view["lead"];
    assert_eq!(shown["investor_id"], lead.id.as_str(), "{view}");
    assert_eq!(shown["name"], "Test User");
    assert_eq!(shown["carry_bps"], 2_000);
    assert_eq!(
        shown["terms"],
        "Commits 20% of the round; carry 20% of the followers' profit."
    );
    assert_eq!(shown["min_commitment"], LEAD_MIN);
    assert_eq!(shown["committed"], LEAD_MIN);
    assert_eq!(shown["status"], "committed");

    // A committed lead is not replaced.
    let other = app.investor(&op, 50 * PRICE).await;
    let refused = appoint(&app, &op, &offering, lead_body(&other)).await;
    refused.assert_problem(409, "lead_already_committed");
    assert_eq!(refused.body["lead_committed"], LEAD_MIN);

    // The lead takes half back: below the minimum, they withdraw; the
    // followers' subscriptions await reconfirmation and they are told.
    let cancelled = app
        .post(
            format!(
                "/api/v1/subscriptions/{}/cancel",
                second.body["id"].as_str().unwrap()
            ),
            Some(&lead.token),
            json!({}),
        )
        .await;
    assert_eq!(cancelled.status, 200, "{}", cancelled.body);
    for (f, id) in followers.iter().zip(&followed) {
        let s = my_subscription(&app, f, id).await;
        assert_eq!(s["status"], "active", "{s}");
        assert_eq!(s["reconfirmation"], "awaiting", "{s}");
    }
    let lead_rest = my_subscription(&app, &lead, first.body["id"].as_str().unwrap()).await;
    assert!(lead_rest["reconfirmation"].is_null(), "{lead_rest}");
    assert_eq!(app.count("outbox WHERE kind = 'lead_withdrawn'"), 2);
    app.wait_for_email(&followers[0].email, "lead investor withdrew")
        .await;
    assert_eq!(
        app.count(&format!(
            "material_changes WHERE offering_id = '{offering}' AND kind = 'lead_withdrawn'"
        )),
        1
    );
    assert_eq!(
        app.count(&format!(
            "audit_log WHERE action = 'offering.lead_withdrew' AND subject_id = '{offering}'"
        )),
        1
    );
    let view = app.offering(&offering).await;
    assert!(view["lead"].is_null(), "{view}");
    let latecomer = app.investor(&op, 60 * PRICE).await;
    subscribe(&app, &latecomer, &offering, 10)
        .await
        .assert_problem(409, "lead_commitment_pending");

    // A new lead is appointed and commits; the followers reconfirm.
    let appointed = appoint(&app, &op, &offering, lead_body(&other)).await;
    assert_eq!(appointed.status, 200, "{}", appointed.body);
    let committed = subscribe(&app, &other, &offering, 20).await;
    assert_eq!(committed.status, 201, "{}", committed.body);
    assert_eq!(app.offering(&offering).await["lead"]["status"], "committed");
    for (f, id) in followers.iter().zip(&followed) {
        let r = app
            .post(
                format!("/api/v1/subscriptions/{id}/reconfirm"),
                Some(&f.token),
                json!({}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.body["reconfirmation"], "reconfirmed");
    }

    // The appointments, newest first: the sponsor's and operators' view.
    let history = app
        .get(
            &format!("/api/v1/offerings/{offering}/leads"),
            Some(&sponsor.token),
        )
        .await;
    assert_eq!(history.status, 200, "{}", history.body);
    let items = history.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{}", history.body);
    assert_eq!(items[0]["investor_id"], other.id.as_str());
    assert!(items[0]["end_reason"].is_null());
    assert_eq!(items[1]["investor_id"], lead.id.as_str());
    assert_eq!(items[1]["end_reason"], "withdrew");
    assert!(items[1]["ended_at"].is_string());
    app.get(
        &format!("/api/v1/offerings/{offering}/leads"),
        Some(&lead.token),
    )
    .await
    .assert_problem(403, "forbidden");
    let stranger = app.sponsor().await;
    app.get(
        &format!("/api/v1/offerings/{offering}/leads"),
        Some(&stranger.token),
    )
    .await
    .assert_problem(404, "not_found");

    // The rest of the round: 10 + 10 + 10 + 20 shares in, 50 to go.
    let funding = subscribe(&app, &latecomer, &offering, 50).await;
    assert_eq!(funding.status, 201, "{}", funding.body);
    assert_eq!(app.offering(&offering).await["status"], "funded");
    let settled = settle(&app, &op, &offering).await;
    assert_eq!(settled.status, 200, "{}", settled.body);
    assert_eq!(settled.body["gross"], TARGET);
    assert_eq!(settled.body["subscriptions_settled"], 5);
    app.assert_books_balance(&op).await;
}

#[tokio::test]
async fn appointments_are_refused_where_they_do_not_apply() {
    let app = spawn_app().await;
    let op = app.operator().await;
    let sponsor = app.sponsor().await;
    let offering = led_round(&app, &sponsor, &op, json!({})).await;
    let investor = app.investor(&op, 50 * PRICE).await;

    // Operators only.
    appoint(&app, &sponsor, &offering, lead_body(&investor))
        .await
        .assert_problem(403, "forbidden");
    appoint(&app, &investor, &offering, lead_body(&investor))
        .await
        .assert_problem(403, "forbidden");
    appoint(&app, &op, "no-such-offering", lead_body(&investor))
        .await
        .assert_problem(404, "not_found");

    // A round that is not led has no lead.
    let plain = app
        .open_offering(
            &sponsor,
            &op,
            json!({"price_per_share": PRICE, "target_amount": TARGET}),
        )
        .await;
    appoint(&app, &op, &plain, lead_body(&investor))
        .await
        .assert_problem(409, "offering_not_led");

    // Only a draft's sponsor works on it; in review, a lead may be appointed.
    let draft = app
        .draft(
            &sponsor,
            json!({"price_per_share": PRICE, "target_amount": TARGET, "lead_min_bps": 1_000}),
        )
        .await;
    assert_eq!(draft.status, 201, "{}", draft.body);
    let draft = draft.body["id"].as_str().unwrap().to_string();
    appoint(&app, &op, &draft, lead_body(&investor))
        .await
        .assert_problem(409, "invalid_offering_state");
    let submitted = app
        .post(
            format!("/api/v1/offerings/{draft}/submit"),
            Some(&sponsor.token),
            json!({}),
        )
        .await;
    assert_eq!(submitted.status, 200, "{}", submitted.body);
    let in_review = appoint(&app, &op, &draft, lead_body(&investor)).await;
    assert_eq!(in_review.status, 200, "{}", in_review.body);
    assert_eq!(in_review.body["min_commitment"], 10 * PRICE);

    // The lead is an investor whose identity was verified.
    let mut sponsor_as_lead = lead_body(&investor);
    sponsor_as_lead["investor_id"] = json!(sponsor.id);
    let r = appoint(&app, &op, &offering, sponsor_as_lead).await;
    r.assert_problem(422, "lead_not_eligible");
    let unverified = {
        let email = crate::helpers::unique_email("lead");
        let (id, token, _) = app.signed_up(&email, "investor").await;
        Person { id, email, token }
    };
    let r = appoint(&app, &op, &offering, lead_body(&unverified)).await;
    r.assert_problem(422, "lead_not_eligible");
    assert_eq!(r.body["kyc_status"], "missing");
    let mut nobody = lead_body(&investor);
    nobody["investor_id"] = json!("no-such-user");
    appoint(&app, &op, &offering, nobody)
        .await
        .assert_problem(422, "lead_not_eligible");

    // The carry is in basis points, the terms are required and bounded.
    for carry in [json!(-1), json!(10_001), json!(12.5)] {
        let mut body = lead_body(&investor);
        body["carry_bps"] = carry.clone();
        let r = appoint(&app, &op, &offering, body).await;
        assert_eq!(r.status, 422, "{carry}: {}", r.body);
    }
    let mut body = lead_body(&investor);
    body["carry_bps"] = json!(10_001);
    let r = appoint(&app, &op, &offering, body).await;
    r.assert_problem(422, "invalid_field");
    assert_eq!(r.body["field"], "carry_bps");
    for terms in [json!(" \u{200B} "), json!("x".repeat(2_001))] {
        let mut body = lead_body(&investor);
        body["terms"] = terms;
        let r = appoint(&app, &op, &offering, body).await;
        r.assert_problem(422, "invalid_field");
        assert_eq!(r.body["field"], "terms");
    }
    let mut body = lead_body(&investor);
    body["extra"] = json!(1);
    appoint(&app, &op, &offering, body)
        .await
        .assert_problem(422, "invalid_body");
    assert!(app.offering(&offering).await["lead"].is_null());

    // A lead who has not committed may be replaced (or re-appointed on
    // new terms); one who has may not.
    let first = appoint(&app, &op, &offering, lead_body(&investor)).await;
    assert_eq!(first.status, 200, "{}", first.body);
    let other = app.investor(&op, 50 * PRICE).await;
    let replaced = appoint(&app, &op, &offering, lead_body(&other)).await;
    assert_eq!(replaced.status, 200, "{}", replaced.body);
    assert_eq!(
        app.count(&format!(
            "offering_leads WHERE offering_id = '{offering}' AND end_reason = 'replaced'"
        )),
        1
    );
    // The replaced lead is a follower now, and waits like one.
    subscribe(&app, &investor, &offering, 5)
        .await
        .assert_problem(409, "lead_commitment_pending");
    let r = subscribe(&app, &other, &offering, 20).await;
    assert_eq!(r.status, 201, "{}", r.body);
    appoint(&app, &op, &offering, lead_body(&investor))
        .await
        .assert_problem(409, "lead_already_committed");
    // A funded round takes no new lead.
    let r = subscribe(&app, &investor, &offering, 50).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let rest = app.investor(&op, 50 * PRICE).await;
    let r = subscribe(&app, &rest, &offering, 30).await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(app.offering(&offering).await["status"], "funded");
    let r = appoint(&app, &op, &offering, lead_body(&rest)).await;
    r.assert_problem(409, "invalid_offering_state");
    assert_eq!(r.body["offering_status"], "funded");
    app.assert_books_balance(&op).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_led_round_funded_without_its_leads_commitment_does_not_settle() {
    let app = spawn_app_with(&[("SWEEP_INTERVAL_SECS", "1")]).await;
    let op = app.operator().await;
    let sponsor = app.sponsor().await;
    let lead = app.investor(&op, 50 * PRICE).await;
    // Funded at its deadline with 5 shares (its minimum raise), which the
    // lead holds: less than the 20 they must commit.
    let closes_at = (chrono::Utc::now() + chrono::Duration::seconds(8)).to_rfc3339();
    let offering = led_round(
        &app,
        &sponsor,
        &op,
        json!({"min_raise": 5 * PRICE, "closes_at": closes_at}),
    )
    .await;
    let appointed = appoint(&app, &op, &offering, lead_body(&lead)).await;
    assert_eq!(appointed.status, 200, "{}", appointed.body);
    let r = subscribe(&app, &lead, &offering, 5).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let funded = eventually(Duration::from_secs(30), || {
        app.count(&format!(
            "offerings WHERE id = '{offering}' AND status = 'funded'"
        )) == 1
    })
    .await;
    assert!(funded, "the round did not close funded");
    let view = app.offering(&offering).await;
    assert_eq!(view["lead"]["status"], "appointed", "{view}");

    let refused = settle(&app, &op, &offering).await;
    refused.assert_problem(409, "lead_required");
    assert_eq!(refused.body["lead_min_commitment"], LEAD_MIN);
    assert_eq!(refused.body["lead_committed"], 5 * PRICE);
    assert_eq!(app.offering(&offering).await["status"], "funded");
    app.assert_books_balance(&op).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 8)]
async fn followers_racing_the_leads_commitment_never_get_in_before_it() {
    let app = spawn_app().await;
    let op = app.operator().await;
    let sponsor = app.sponsor().await;
    let offering = led_round(&app, &sponsor, &op, json!({})).await;
    let lead = app.investor(&op, 50 * PRICE).await;
    let mut followers = Vec::new();
    for _ in 0..20 {
        followers.push(app.investor(&op, 10 * PRICE).await);
    }
    let appointed = appoint(&app, &op, &offering, lead_body(&lead)).await;
    assert_eq!(appointed.status, 200, "{}", appointed.body);

    // Twenty followers of one share each, each trying again as long as the
    // lead has not committed, and the lead's commitment in their midst.
    let follow = followers.iter().map(|f| {
        let (app, offering) = (&app, &offering);
        async move {
            let mut refused = 0;
            let deadline = Instant::now() + Duration::from_secs(30);
            loop {
                let r = subscribe(app, f, offering, 1).await;
                if r.status == 201 {
                    return refused;
                }
                r.assert_problem(409, "lead_commitment_pending");
                assert!(Instant::now() < deadline, "never accepted");
                refused += 1;
            }
        }
    });
    let commit = async {
        tokio::time::sleep(Duration::from_millis(150)).await;
        subscribe(&app, &lead, &offering, 20).await
    };
    let (refusals, commitment) = tokio::join!(join_all(follow), commit);
    assert_eq!(commitment.status, 201, "{}", commitment.body);
    assert!(
        refusals.iter().sum::<i32>() > 0,
        "the followers came after the lead: no race"
    );
    // Each follower got in once, none before the lead's commitment.
    assert_eq!(
        app.count(&format!(
            "subscriptions WHERE offering_id = '{offering}' AND investor_id <> '{}' \
             AND status = 'active'",
            lead.id
        )),
        20
    );
    let lead_at = format!(
        "(SELECT MIN(l.created_at) FROM subscriptions l \
          WHERE l.offering_id = '{offering}' AND l.investor_id = '{}')",
        lead.id
    );
    assert_eq!(
        app.count(&format!(
            "subscriptions f WHERE f.offering_id = '{offering}' AND f.investor_id <> '{}' \
             AND f.created_at < {lead_at}",
            lead.id
        )),
        0
    );
    let view = app.offering(&offering).await;
    assert_eq!(view["progress"]["raised"], 40 * PRICE, "{view}");
    assert_eq!(view["lead"]["status"], "committed");
    app.assert_books_balance(&op).await;
}

#[tokio::test]
async fn a_cn_private_round_waits_for_its_lead_too() {
    let app = spawn_app_with(&[("RULE_PROFILE", "cn_private")]).await;
    let op = app.operator().await;
    let sponsor = app.sponsor().await;
    // ¥10,000 a share, ¥10,000,000 in all; the lead commits 20%: ¥2,000,000.
    // ¥1,000,000 in the one round qualifies anyone for it.
    let price = 1_000_000;
    let offering = app
        .open_offering(
            &sponsor,
            &op,
            json!({"price_per_share": price, "target_amount": 1_000 * price,
                   "lead_min_bps": LEAD_MIN_BPS}),
        )
        .await;
    let lead = app.investor(&op, 200 * price).await;
    let follower = app.investor(&op, 100 * price).await;
    subscribe(&app, &follower, &offering, 100)
        .await
        .assert_problem(409, "lead_commitment_pending");
    let appointed = appoint(&app, &op, &offering, lead_body(&lead)).await;
    assert_eq!(appointed.status, 200, "{}", appointed.body);
    assert_eq!(appointed.body["min_commitment"], 200 * price);
    let r = subscribe(&app, &lead, &offering, 200).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let r = subscribe(&app, &follower, &offering, 100).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let view = app.offering(&offering).await;
    assert_eq!(view["lead"]["status"], "committed", "{view}");
    assert_eq!(view["lead"]["committed"], 200 * price);
    app.assert_books_balance(&op).await;
}
