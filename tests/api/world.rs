//! Building the people and offerings a test needs, through the real API.

use chrono::{Duration as TimeDelta, Utc};
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;

use crate::helpers::{unique_email, Reply, TestApp, BANK_SECRET, PASSWORD};

pub struct Person {
    pub id: String,
    pub email: String,
    pub token: String,
}

pub fn sign(body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(BANK_SECRET.as_bytes()).unwrap();
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

impl TestApp {
    /// An operator, made the way the command line makes one, signed in.
    pub async fn operator(&self) -> Person {
        let email = unique_email("op");
        let mut conn = self.conn();
        crowdfund::services::accounts::create_operator(
            &mut conn,
            &crowdfund::domain::Email::parse(&email).unwrap(),
            &crowdfund::domain::Password::parse("password", PASSWORD.into()).unwrap(),
            &crowdfund::domain::DisplayName::parse("Ops").unwrap(),
        )
        .unwrap();
        drop(conn);
        self.signed_in(email).await
    }

    /// The person with this email, signed in with the tests' password.
    pub async fn signed_in(&self, email: String) -> Person {
        let login = self.login(&email, PASSWORD).await;
        assert_eq!(login.status, 200, "{email}: {}", login.body);
        let token = login.body["access_token"].as_str().unwrap().to_string();
        let me = self.get("/api/v1/me", Some(&token)).await;
        Person {
            id: me.body["id"].as_str().unwrap().to_string(),
            email,
            token,
        }
    }

    pub async fn sponsor(&self) -> Person {
        let email = unique_email("sponsor");
        let (id, token, _) = self.signed_up(&email, "sponsor").await;
        Person { id, email, token }
    }

    /// A verified investor with an approved profile (income and net worth as
    /// given, in minor units) and `cash` deposited and confirmed by the bank.
    pub async fn investor_with(
        &self,
        operator: &Person,
        income: i64,
        net_worth: i64,
        accredited: bool,
        cash: i64,
    ) -> Person {
        let profile = json!({"annual_income": income, "net_worth": net_worth,
                             "accredited": accredited});
        self.investor_declaring(operator, profile, cash).await
    }

    /// A verified investor whose profile declares `declared` (merged over a
    /// plain profile: no income, no net worth, not accredited), approved by
    /// KYC, with `cash` deposited and confirmed by the bank.
    pub async fn investor_declaring(
        &self,
        operator: &Person,
        declared: Value,
        cash: i64,
    ) -> Person {
        let email = unique_email("inv");
        let (id, token, _) = self.signed_up(&email, "investor").await;
        let mut body = json!({"legal_name": "Ada Investor", "country": "US", "annual_income": 0,
                              "net_worth": 0, "accredited": false, "external_investments_12m": 0});
        if let (Some(body), Some(declared)) = (body.as_object_mut(), declared.as_object()) {
            body.extend(declared.clone());
        }
        let profile = self
            .put("/api/v1/me/investor-profile", Some(&token), body)
            .await;
        assert_eq!(profile.status, 200, "{}", profile.body);
        let kyc = self
            .post(
                &format!("/api/v1/operator/investors/{id}/kyc"),
                Some(&operator.token),
                json!({"decision": "approved", "submitted_at": profile.body["updated_at"]}),
            )
            .await;
        assert_eq!(kyc.status, 200, "{}", kyc.body);
        let person = Person { id, email, token };
        if cash > 0 {
            self.fund(&person, cash).await;
        }
        person
    }

    /// An accredited investor (no 12-month limit) with `cash`.
    pub async fn investor(&self, operator: &Person, cash: i64) -> Person {
        self.investor_with(operator, 0, 0, true, cash).await
    }

    /// Announces a deposit (`amount` as JSON, so tests can send bad ones),
    /// with a fresh Idempotency-Key.
    pub async fn deposit(&self, investor: &Person, amount: impl Into<Value>) -> Reply {
        self.post_keyed(
            "/api/v1/me/deposits",
            Some(&investor.token),
            &uuid::Uuid::new_v4().to_string(),
            json!({"amount": amount.into()}),
        )
        .await
    }

    /// Announces a deposit and has the bank confirm it.
    pub async fn fund(&self, investor: &Person, amount: i64) {
        let deposit = self.deposit(investor, amount).await;
        assert_eq!(deposit.status, 201, "{}", deposit.body);
        let reference = deposit.body["reference"].as_str().unwrap();
        let reply = self
            .bank_webhook(
                &json!({"bank_txn_id": format!("BT-{}", uuid::Uuid::new_v4()),
                                  "reference": reference, "amount": amount, "kind": "deposit"}),
            )
            .await;
        assert_eq!(reply.body["outcome"], "credited", "{}", reply.body);
    }

    pub async fn bank_webhook(&self, body: &Value) -> Reply {
        let raw = body.to_string();
        self.bank_webhook_raw(raw.as_bytes(), &sign(raw.as_bytes()))
            .await
    }

    pub async fn bank_webhook_raw(&self, raw: &[u8], signature: &str) -> Reply {
        let resp = self
            .client
            .post(self.url("/api/v1/webhooks/bank"))
            .header("content-type", "application/json")
            .header("X-Bank-Signature", signature)
            .body(raw.to_vec())
            .send()
            .await
            .unwrap();
        crate::helpers::read(resp).await
    }

    /// A draft with these terms merged over sensible defaults (price 10.00,
    /// target 10,000.00, all-or-nothing, closing in 30 days).
    pub async fn draft(&self, sponsor: &Person, overrides: Value) -> Reply {
        let mut body = json!({
            "title": "Solar Farm Cooperative",
            "summary": "Community-owned solar panels",
            "description": "A long description.",
            "security_type": "common_equity",
            "price_per_share": 1_000,
            "target_amount": 1_000_000,
            "closes_at": (Utc::now() + TimeDelta::days(30)).to_rfc3339(),
        });
        for (k, v) in overrides.as_object().unwrap() {
            body[k] = v.clone();
        }
        self.post("/api/v1/offerings", Some(&sponsor.token), body)
            .await
    }

    /// A draft, submitted and approved: open for subscriptions. Returns its id.
    pub async fn open_offering(
        &self,
        sponsor: &Person,
        operator: &Person,
        overrides: Value,
    ) -> String {
        let draft = self.draft(sponsor, overrides).await;
        assert_eq!(draft.status, 201, "{}", draft.body);
        let id = draft.body["id"].as_str().unwrap().to_string();
        let submitted = self
            .post(
                &format!("/api/v1/offerings/{id}/submit"),
                Some(&sponsor.token),
                json!({}),
            )
            .await;
        assert_eq!(submitted.status, 200, "{}", submitted.body);
        let approved = self
            .post(
                &format!("/api/v1/operator/offerings/{id}/approve"),
                Some(&operator.token),
                json!({}),
            )
            .await;
        assert_eq!(approved.status, 200, "{}", approved.body);
        assert_eq!(approved.body["status"], "open");
        id
    }

    pub async fn subscribe(
        &self,
        investor: &Person,
        offering: &str,
        shares: Value,
        key: impl Into<String>,
    ) -> Reply {
        let key: String = key.into();
        let resp = self
            .client
            .post(self.url(&format!("/api/v1/offerings/{offering}/subscriptions")))
            .bearer_auth(&investor.token)
            .header("Idempotency-Key", key.as_str())
            .json(&json!({"shares": shares}))
            .send()
            .await
            .unwrap();
        crate::helpers::read(resp).await
    }

    pub async fn settle(&self, operator: &Person, offering: &str, key: &str) -> Reply {
        let resp = self
            .client
            .post(self.url(&format!("/api/v1/operator/offerings/{offering}/settle")))
            .bearer_auth(&operator.token)
            .header("Idempotency-Key", key)
            .send()
            .await
            .unwrap();
        crate::helpers::read(resp).await
    }

    pub async fn refund(&self, operator: &Person, offering: &str, key: &str) -> Reply {
        let resp = self
            .client
            .post(self.url(&format!("/api/v1/operator/offerings/{offering}/refund")))
            .bearer_auth(&operator.token)
            .header("Idempotency-Key", key)
            .send()
            .await
            .unwrap();
        crate::helpers::read(resp).await
    }

    pub async fn put(&self, path: &str, token: Option<&str>, body: Value) -> Reply {
        self.request(reqwest::Method::PUT, path, token, Some(body))
            .await
    }

    pub async fn patch(&self, path: &str, token: Option<&str>, body: Value) -> Reply {
        self.request(reqwest::Method::PATCH, path, token, Some(body))
            .await
    }

    /// The trial balance, asserted clean.
    pub async fn assert_books_balance(&self, operator: &Person) -> Value {
        let report = self
            .get(
                "/api/v1/operator/ledger/trial-balance",
                Some(&operator.token),
            )
            .await;
        assert_eq!(report.status, 200, "{}", report.body);
        assert_eq!(
            report.body["ok"], true,
            "ledger invariants broken: {}",
            report.body
        );
        assert_eq!(report.body["postings_total"], 0);
        report.body
    }

    pub async fn available(&self, person: &Person) -> i64 {
        let account = self.get("/api/v1/me/account", Some(&person.token)).await;
        assert_eq!(account.status, 200, "{}", account.body);
        account.body["available"].as_i64().unwrap()
    }

    pub async fn offering(&self, id: &str) -> Value {
        let reply = self.get(&format!("/api/v1/offerings/{id}"), None).await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        reply.body
    }
}
