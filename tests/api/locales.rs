//! Each person reads in their own language and time zone: chosen at
//! registration (or taken from Accept-Language), changed on the profile,
//! and every email written in it, HTML and plain text, money in the
//! deployment's currency as that reader writes it.

use serde_json::{json, Value};

use crate::helpers::{
    read, spawn_app, spawn_app_with, unique_email, Mail, Reply, TestApp, PASSWORD,
};
use crate::world::Person;

const PRICE: i64 = 10_000;

/// Registers an investor with `extra` fields and Accept-Language as given.
async fn register(app: &TestApp, email: &str, extra: Value, accept: Option<&str>) -> Reply {
    let mut body = json!({"email": email, "password": PASSWORD,
                          "display_name": "Test User", "role": "investor"});
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    let mut request = app
        .client
        .post(app.url("/api/v1/auth/register"))
        .json(&body);
    if let Some(accept) = accept {
        request = request.header("Accept-Language", accept);
    }
    read(request.send().await.unwrap()).await
}

/// An investor registered so, verified through the emailed link (whose
/// subject is `verify_subject`), KYC-approved and signed in.
async fn investor(
    app: &TestApp,
    operator: &Person,
    extra: Value,
    accept: Option<&str>,
    verify_subject: &str,
) -> (Person, Mail) {
    let email = unique_email("reader");
    let reg = register(app, &email, extra, accept).await;
    assert_eq!(reg.status, 201, "{}", reg.body);
    let verification = app.wait_for_email(&email, verify_subject).await;
    let token = verification.link_token("/verify-email?token=");
    let verified = app
        .post("/api/v1/auth/verify-email", None, json!({"token": token}))
        .await;
    assert_eq!(verified.status, 200, "{}", verified.body);
    let person = app.signed_in(email).await;
    let profile = app
        .put(
            "/api/v1/me/investor-profile",
            Some(&person.token),
            json!({"legal_name": "Li Lei", "country": "CN", "annual_income": 0,
                   "net_worth": 0, "accredited": true, "external_investments_12m": 0}),
        )
        .await;
    assert_eq!(profile.status, 200, "{}", profile.body);
    let kyc = app
        .post(
            &format!("/api/v1/operator/investors/{}/kyc", person.id),
            Some(&operator.token),
            json!({"decision": "approved", "submitted_at": profile.body["updated_at"]}),
        )
        .await;
    assert_eq!(kyc.status, 200, "{}", kyc.body);
    (person, verification)
}

/// Both parts of a multipart message, in the language said.
fn assert_both_parts(mail: &Mail, locale: &str) {
    assert_eq!(mail.header("Content-Language"), locale, "{}", mail.raw);
    assert!(
        mail.header("Content-Type")
            .starts_with("multipart/alternative"),
        "{}",
        mail.raw
    );
    assert!(
        mail.html.contains(&format!("lang=\"{locale}\"")),
        "{}",
        mail.html
    );
    assert!(!mail.body.is_empty() && !mail.html.is_empty());
}

/// Both parts say each of `needles`: the text part as it is, the HTML part
/// as a browser shows it.
fn assert_says(mail: &Mail, needles: &[&str]) {
    let shown: String = scraper::Html::parse_document(&mail.html)
        .root_element()
        .text()
        .collect();
    for needle in needles {
        assert!(
            mail.body.contains(needle),
            "{needle:?} not in {}",
            mail.body
        );
        assert!(
            shown.contains(needle),
            "{needle:?} not in the HTML part: {shown}"
        );
    }
}

#[tokio::test]
async fn a_chinese_and_an_english_investor_each_read_the_whole_round_in_their_language() {
    let app = spawn_app_with(&[("CURRENCY", "CNY")]).await;
    let operator = app.operator().await;
    let sponsor = app.sponsor().await;

    // Chosen at registration: Chinese, Shanghai time.
    let (zh, verification) = investor(
        &app,
        &operator,
        json!({"locale": "zh-CN", "time_zone": "Asia/Shanghai"}),
        Some("en-US"),
        "请确认您的电子邮箱地址",
    )
    .await;
    assert_both_parts(&verification, "zh-CN");
    assert_says(&verification, &["欢迎加入 crowdfund", "24 小时"]);
    // Taken from Accept-Language: English (the deployment's zone, UTC).
    let (en, verification) = investor(
        &app,
        &operator,
        json!({}),
        Some("en-GB,zh;q=0.5"),
        "Confirm your email address",
    )
    .await;
    assert_both_parts(&verification, "en");
    assert_says(&verification, &["Welcome to crowdfund", "24 hours"]);
    let me = app.get("/api/v1/me", Some(&zh.token)).await;
    assert_eq!(me.body["locale"], "zh-CN");
    assert_eq!(me.body["time_zone"], "Asia/Shanghai");
    let me = app.get("/api/v1/me", Some(&en.token)).await;
    assert_eq!(me.body["locale"], "en");
    assert_eq!(me.body["time_zone"], "UTC");

    let kyc = app.wait_for_email(&zh.email, "身份认证已通过").await;
    assert_both_parts(&kyc, "zh-CN");
    app.wait_for_email(&en.email, "identity check is approved")
        .await;

    // Deposits credited.
    app.fund(&zh, 50 * PRICE).await;
    app.fund(&en, 50 * PRICE).await;
    let deposit = app.wait_for_email(&zh.email, "已到账").await;
    assert_both_parts(&deposit, "zh-CN");
    assert_says(&deposit, &["¥5,000.00"]);
    assert!(!deposit.body.contains("CNY"), "{}", deposit.body);
    let deposit = app.wait_for_email(&en.email, "has arrived").await;
    assert_says(&deposit, &["CN¥5,000.00"]);

    // Subscriptions confirmed, in each one's words and zone.
    let offering = app
        .open_offering(
            &sponsor,
            &operator,
            json!({"title": "Solar & Sons <Ltd>", "price_per_share": PRICE,
                   "target_amount": 100 * PRICE, "security_type": "preferred_equity"}),
        )
        .await;
    for (who, shares) in [(&zh, 12), (&en, 1)] {
        let reply = app
            .subscribe(who, &offering, json!(shares), format!("k-{}", who.id))
            .await;
        assert_eq!(reply.status, 201, "{}", reply.body);
    }
    let confirmed = app.wait_for_email(&zh.email, "认购成功").await;
    assert_eq!(confirmed.header("Subject"), "认购成功：Solar & Sons <Ltd>");
    assert_both_parts(&confirmed, "zh-CN");
    assert_says(
        &confirmed,
        &[
            "优先股",
            "¥100.00",
            "12 股",
            "¥1,200.00",
            "（Asia/Shanghai）",
        ],
    );
    assert!(confirmed.html.contains("Solar &amp; Sons &lt;Ltd&gt;"));
    assert!(!confirmed.html.contains("<Ltd>"));
    let confirmed = app
        .wait_for_email(&en.email, "Subscription confirmed")
        .await;
    assert_both_parts(&confirmed, "en");
    assert_says(
        &confirmed,
        &["preferred equity", "CN¥100.00", "1 share", "(UTC)"],
    );
    assert!(!confirmed.body.contains("preferred_equity"));

    // The round is cancelled and refunded: each is told, in their words.
    let cancelled = app
        .post(
            format!("/api/v1/offerings/{offering}/cancel"),
            Some(&sponsor.token),
            json!({}),
        )
        .await;
    assert_eq!(cancelled.body["status"], "cancelled", "{}", cancelled.body);
    let refund = app.refund(&operator, &offering, "refund").await;
    assert_eq!(refund.status, 200, "{}", refund.body);
    let refunded = app.wait_for_email(&zh.email, "已退款").await;
    assert_both_parts(&refunded, "zh-CN");
    assert_says(&refunded, &["12 股", "¥1,200.00"]);
    let refunded = app.wait_for_email(&en.email, "Refund made").await;
    assert_says(&refunded, &["1 share", "CN¥100.00"]);
    app.wait_for_email(&zh.email, "项目已取消").await;
    app.wait_for_email(&en.email, "Offering cancelled").await;

    // Every email either of them got is in their language only.
    for mail in app.emails_to(&zh.email) {
        assert_eq!(mail.header("Content-Language"), "zh-CN");
    }
    for mail in app.emails_to(&en.email) {
        assert_eq!(mail.header("Content-Language"), "en");
    }
    app.assert_books_balance(&operator).await;
}

#[tokio::test]
async fn the_profile_changes_the_language_and_zone_and_refuses_unknown_ones() {
    let app = spawn_app_with(&[
        ("DEFAULT_LOCALE", "zh-CN"),
        ("DEFAULT_TIME_ZONE", "Asia/Shanghai"),
    ])
    .await;
    // Nothing chosen, no Accept-Language: the deployment's defaults.
    let email = unique_email("defaults");
    let reg = register(&app, &email, json!({}), None).await;
    assert_eq!(reg.status, 201, "{}", reg.body);
    assert_eq!(reg.body["locale"], "zh-CN");
    assert_eq!(reg.body["time_zone"], "Asia/Shanghai");
    app.wait_for_email(&email, "请确认您的电子邮箱地址").await;
    // An Accept-Language naming nothing supported: the default too.
    let other = unique_email("french");
    let reg = register(&app, &other, json!({}), Some("fr-FR, de;q=0.5")).await;
    assert_eq!(reg.body["locale"], "zh-CN", "{}", reg.body);

    let operator = app.operator().await;
    let (person, _) = investor(&app, &operator, json!({}), None, "请确认您的电子邮箱地址").await;
    let token = person.token.clone();
    for (body, field) in [
        (json!({"locale": "fr"}), "locale"),
        (json!({"locale": "zh"}), "locale"),
        (json!({"time_zone": "Mars/Olympus"}), "time_zone"),
        (json!({"time_zone": "asia/shanghai"}), "time_zone"),
    ] {
        let refused = app.patch("/api/v1/me", Some(&token), body).await;
        refused.assert_problem(422, "invalid_field");
        assert_eq!(refused.body["field"], field);
    }
    for body in [
        json!({"display_name": "x"}),
        json!([null, null]),
        json!(["en", "UTC"]),
    ] {
        let refused = app.patch("/api/v1/me", Some(&token), body).await;
        refused.assert_problem(422, "invalid_body");
    }
    let refused = register(
        &app,
        &unique_email("bad"),
        json!({"locale": "klingon"}),
        None,
    )
    .await;
    refused.assert_problem(422, "invalid_field");

    let changed = app
        .patch(
            "/api/v1/me",
            Some(&token),
            json!({"locale": "en", "time_zone": "America/New_York"}),
        )
        .await;
    assert_eq!(changed.status, 200, "{}", changed.body);
    assert_eq!(changed.body["locale"], "en");
    assert_eq!(changed.body["time_zone"], "America/New_York");
    // An empty change changes nothing.
    let same = app.patch("/api/v1/me", Some(&token), json!({})).await;
    assert_eq!(same.body, changed.body);
    let me = app.get("/api/v1/me", Some(&token)).await;
    assert_eq!(me.body["locale"], "en");
    // The next email is in the language chosen.
    let reset = app
        .post(
            "/api/v1/auth/password-reset/request",
            None,
            json!({"email": person.email}),
        )
        .await;
    assert_eq!(reset.status, 202, "{}", reset.body);
    // The answer speaks the deployment's language (the request named none);
    // the email, the person's.
    assert_eq!(
        reset.body["detail"],
        "如该地址对应一个账户，密码重置链接已发送。"
    );
    let mail = app
        .wait_for_email(&person.email, "Reset your password")
        .await;
    assert_eq!(mail.header("Content-Language"), "en");
    app.patch("/api/v1/me", None, json!({"locale": "en"}))
        .await
        .assert_problem(401, "unauthorized");
}

/// A reply to `path` (GET, or POST of `body`) asking for `language`.
async fn asking(
    app: &TestApp,
    language: Option<&str>,
    path: &str,
    token: Option<&str>,
    body: Option<&str>,
) -> Reply {
    let mut request = match body {
        Some(body) => app
            .client
            .post(app.url(path))
            .header("content-type", "application/json")
            .body(body.to_string()),
        None => app.client.get(app.url(path)),
    };
    if let Some(language) = language {
        request = request.header("Accept-Language", language);
    }
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    read(request.send().await.unwrap()).await
}

fn chinese(s: &str) -> bool {
    s.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
}

/// The same problem asked for in English and in Chinese: same status, code
/// and figures; title and detail each in its language.
async fn both_ways(
    app: &TestApp,
    path: &str,
    token: Option<&str>,
    body: Option<&str>,
    status: u16,
    code: &str,
) -> (Value, Value) {
    let en = asking(app, Some("en-US,en;q=0.9"), path, token, body).await;
    let zh = asking(app, Some("zh-CN,zh;q=0.9,en;q=0.8"), path, token, body).await;
    for reply in [&en, &zh] {
        reply.assert_problem(status, code);
    }
    for field in ["title", "detail"] {
        let (e, z) = (
            en.body[field].as_str().unwrap(),
            zh.body[field].as_str().unwrap(),
        );
        assert!(!chinese(e), "{path} {code}: {e}");
        assert!(chinese(z), "{path} {code}: {z}");
        assert!(!z.contains('{') && !z.contains("problem-"), "{z}");
    }
    let figures = |v: &Value| {
        let mut v = v.clone();
        let o = v.as_object_mut().unwrap();
        o.remove("title");
        o.remove("detail");
        v
    };
    assert_eq!(figures(&en.body), figures(&zh.body), "{path}");
    (en.body, zh.body)
}

#[tokio::test]
async fn problems_answer_in_the_requests_language_with_the_same_code_and_figures() {
    let app = spawn_app().await;
    let operator = app.operator().await;
    let sponsor = app.sponsor().await;
    let poor = app.investor(&operator, 5 * PRICE).await;
    let offering = app
        .open_offering(
            &sponsor,
            &operator,
            json!({"price_per_share": PRICE, "target_amount": 100 * PRICE}),
        )
        .await;

    // A handler's refusal, with its figures.
    let path = format!("/api/v1/offerings/{offering}/subscriptions");
    let mut request = app
        .client
        .post(app.url(&path))
        .bearer_auth(&poor.token)
        .header("Idempotency-Key", "zh-refusal")
        .header("Accept-Language", "zh-CN")
        .json(&json!({"shares": 10}));
    let zh = read(request.send().await.unwrap()).await;
    zh.assert_problem(422, "insufficient_funds");
    assert!(chinese(zh.body["detail"].as_str().unwrap()), "{}", zh.body);
    assert_eq!(zh.body["title"], "无法处理的内容");
    request = app
        .client
        .post(app.url(&path))
        .bearer_auth(&poor.token)
        .header("Idempotency-Key", "en-refusal")
        .json(&json!({"shares": 10}));
    let en = read(request.send().await.unwrap()).await;
    en.assert_problem(422, "insufficient_funds");
    assert_eq!(en.body["title"], "Unprocessable Entity");
    assert!(!chinese(en.body["detail"].as_str().unwrap()));
    assert_eq!(en.body["available"], zh.body["available"]);

    // Not found, as a handler says it and as the router does.
    both_ways(
        &app,
        "/api/v1/offerings/no-such-offering",
        None,
        None,
        404,
        "not_found",
    )
    .await;
    let (_, zh) = both_ways(
        &app,
        "/api/v1/no/such/route",
        None,
        None,
        404,
        "route_not_found",
    )
    .await;
    assert_eq!(zh["title"], "未找到");
    // Refused by a middleware before any handler.
    both_ways(
        &app,
        "/api/v1/offerings/a%00b",
        None,
        None,
        400,
        "invalid_characters",
    )
    .await;
    // Refused by an extractor: no token, a body that is not JSON, a bad field.
    let (_, zh) = both_ways(&app, "/api/v1/me", None, None, 401, "unauthorized").await;
    assert_eq!(zh["title"], "未登录或登录已失效");
    both_ways(
        &app,
        "/api/v1/auth/login",
        None,
        Some("{not json"),
        400,
        "malformed_json",
    )
    .await;
    let register = r#"{"email": "not-an-address", "password": "correct horse battery staple",
                       "display_name": "X", "role": "investor"}"#;
    let (en, zh) = both_ways(
        &app,
        "/api/v1/auth/register",
        None,
        Some(register),
        422,
        "invalid_field",
    )
    .await;
    assert_eq!(en["field"], "email");
    assert!(zh["detail"].as_str().unwrap().contains("email"), "{zh}");
}

#[tokio::test]
async fn a_chinese_deployment_answers_in_chinese_unless_asked_otherwise() {
    let app = spawn_app_with(&[("DEFAULT_LOCALE", "zh-CN")]).await;
    let plain = asking(&app, None, "/api/v1/offerings/nothing-here", None, None).await;
    plain.assert_problem(404, "not_found");
    assert!(
        chinese(plain.body["detail"].as_str().unwrap()),
        "{}",
        plain.body
    );
    let english = asking(
        &app,
        Some("en"),
        "/api/v1/offerings/nothing-here",
        None,
        None,
    )
    .await;
    english.assert_problem(404, "not_found");
    assert_eq!(english.body["title"], "Not Found");
    assert!(!chinese(english.body["detail"].as_str().unwrap()));
    // A language it does not speak: its own default.
    let french = asking(&app, Some("fr-FR"), "/api/v1/offerings/x", None, None).await;
    assert!(
        chinese(french.body["title"].as_str().unwrap()),
        "{}",
        french.body
    );
}
