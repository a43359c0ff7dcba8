//! Offering documents over HTTP: types read from the bytes, versions, what
//! each person may download and how (ETag, ranges, signed links), frozen
//! and amended documents, and which versions each subscription was made
//! under.

use reqwest::header;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::faults::PRICE;
use crate::helpers::{spawn_app, spawn_app_with, Reply, TestApp};
use crate::world::Person;

/// A small, well-formed PDF with `text` in it.
pub fn pdf(text: &str) -> Vec<u8> {
    format!(
        "%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n\
         2 0 obj << /Type /Pages /Count 0 /Kids [] >> endobj\n\
         % {text}\ntrailer << /Root 1 0 R >>\n%%EOF\n"
    )
    .into_bytes()
}

fn png() -> Vec<u8> {
    let mut bytes =
        b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x02\0\0\0\x90wS\xde".to_vec();
    bytes.extend_from_slice(b"\0\0\0\0IEND\xAE\x42\x60\x82");
    bytes
}

fn sha256(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

impl TestApp {
    /// POSTs `bytes` as the body (an upload).
    pub async fn upload(&self, path: &str, token: Option<&str>, bytes: Vec<u8>) -> Reply {
        let mut req = self
            .client
            .post(self.url(path))
            .header(header::CONTENT_TYPE, "application/octet-stream")
            .body(bytes);
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        crate::helpers::read(req.send().await.unwrap()).await
    }

    /// A new document on `offering`; returns the answer.
    pub async fn add_document(
        &self,
        sponsor: &Person,
        offering: &str,
        query: &str,
        bytes: Vec<u8>,
    ) -> Reply {
        self.upload(
            &format!("/api/v1/offerings/{offering}/documents?{query}"),
            Some(&sponsor.token),
            bytes,
        )
        .await
    }

    /// GETs a URL (absolute, or a path) with these headers; the raw answer.
    pub async fn fetch(
        &self,
        url: &str,
        token: Option<&str>,
        headers: &[(&str, &str)],
    ) -> reqwest::Response {
        // Links are made with PUBLIC_BASE_URL: sent here, to this server.
        let url = match url.find("/api/") {
            Some(at) => self.url(&url[at..]),
            None => self.url(url),
        };
        let mut req = self.client.get(url);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        req.send().await.unwrap()
    }
}

/// The path of a version's content (what `download_url` and links point at).
pub fn content_path(offering: &str, document: &str, version: i64) -> String {
    format!("/api/v1/offerings/{offering}/documents/{document}/versions/{version}/content")
}

#[tokio::test]
async fn a_document_is_what_its_bytes_are_and_each_upload_is_a_new_version() {
    let app = spawn_app_with(&[("DOCUMENT_MAX_BYTES", "4096")]).await;
    let sponsor = app.sponsor().await;
    let draft = app.draft(&sponsor, json!({})).await;
    let offering = draft.body["id"].as_str().unwrap().to_string();

    let memo = pdf("memorandum v1");
    let created = app
        .add_document(
            &sponsor,
            &offering,
            "kind=offering_memorandum&name=Memorandum.pdf",
            memo.clone(),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let doc = created.body["id"].as_str().unwrap().to_string();
    assert_eq!(
        created.headers["location"],
        format!("/api/v1/offerings/{offering}/documents/{doc}").as_str()
    );
    let current = &created.body["current"];
    assert_eq!(created.body["kind"], "offering_memorandum");
    assert_eq!(created.body["visibility"], "public");
    assert_eq!(current["version"], 1);
    assert_eq!(current["content_type"], "application/pdf");
    assert_eq!(current["size"], memo.len());
    assert_eq!(current["sha256"], sha256(&memo));
    assert_eq!(current["amendment"], false);
    assert_eq!(current["file_name"], "Memorandum.pdf");

    // Refused for what the bytes are, whatever the name or header says.
    let polyglot = b"%PDF-1.4\n<html><body><script>alert(document.cookie)</script>\
                     </body></html>\ntrailer\n%%EOF\n"
        .to_vec();
    app.add_document(&sponsor, &offering, "kind=other&name=deck.pdf", polyglot)
        .await
        .assert_problem(422, "active_content");
    let executable = [b"\x7fELF\x02\x01\x01\0".as_slice(), &[0u8; 120]].concat();
    app.add_document(
        &sponsor,
        &offering,
        "kind=other&name=report.pdf",
        executable,
    )
    .await
    .assert_problem(422, "unsupported_file_type");
    let windows = [b"MZ\x90\0\x03\0\0\0".as_slice(), &pdf("inside")].concat();
    app.add_document(&sponsor, &offering, "kind=other&name=setup.pdf", windows)
        .await
        .assert_problem(422, "unsupported_file_type");
    let appended = [pdf("x").as_slice(), b"PK\x03\x04 a zip after the end"].concat();
    app.add_document(&sponsor, &offering, "kind=other&name=x.pdf", appended)
        .await
        .assert_problem(422, "malformed_file");
    app.add_document(&sponsor, &offering, "kind=other&name=photo.png", pdf("x"))
        .await
        .assert_problem(422, "file_name_mismatch");
    app.add_document(&sponsor, &offering, "kind=other&name=x.pdf", Vec::new())
        .await
        .assert_problem(422, "empty_file");
    app.add_document(&sponsor, &offering, "kind=memo&name=x.pdf", pdf("x"))
        .await
        .assert_problem(422, "invalid_document_kind");
    app.add_document(
        &sponsor,
        &offering,
        "kind=other&name=x.pdf&visibility=friends",
        pdf("x"),
    )
    .await
    .assert_problem(422, "invalid_visibility");
    app.add_document(&sponsor, &offering, "kind=other&name=../../x.pdf", pdf("x"))
        .await
        .assert_problem(422, "invalid_file_name");
    let big = [b"%PDF-1.4\n".as_slice(), &[b'a'; 5000], b"\n%%EOF"].concat();
    app.add_document(&sponsor, &offering, "kind=other&name=big.pdf", big.clone())
        .await
        .assert_problem(413, "file_too_large");
    // Without a Content-Length (chunked), cut off at the limit all the same.
    let stream = futures_util::stream::iter(
        big.chunks(1000)
            .map(|c| Ok::<_, std::io::Error>(c.to_vec()))
            .collect::<Vec<_>>(),
    );
    let chunked = app
        .client
        .post(app.url(&format!(
            "/api/v1/offerings/{offering}/documents?kind=other&name=big.pdf"
        )))
        .bearer_auth(&sponsor.token)
        .body(reqwest::Body::wrap_stream(stream))
        .send()
        .await
        .unwrap();
    crate::helpers::read(chunked)
        .await
        .assert_problem(413, "file_too_large");

    // Only the offering's own sponsor uploads.
    let other = app.sponsor().await;
    app.add_document(&other, &offering, "kind=other&name=x.pdf", pdf("x"))
        .await
        .assert_problem(404, "not_found");
    app.upload(
        &format!("/api/v1/offerings/{offering}/documents?kind=other&name=x.pdf"),
        None,
        pdf("x"),
    )
    .await
    .assert_problem(401, "unauthorized");

    // A new version, never an overwrite; a different type is fine.
    let v2 = app
        .upload(
            &format!("/api/v1/offerings/{offering}/documents/{doc}/versions?name=Memo-scan.png"),
            Some(&sponsor.token),
            png(),
        )
        .await;
    assert_eq!(v2.status, 201, "{}", v2.body);
    assert_eq!(v2.body["current"]["version"], 2);
    assert_eq!(v2.body["current"]["content_type"], "image/png");
    let one = app
        .get(
            &format!("/api/v1/offerings/{offering}/documents/{doc}"),
            Some(&sponsor.token),
        )
        .await;
    assert_eq!(one.status, 200, "{}", one.body);
    let versions: Vec<i64> = one.body["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["version"].as_i64().unwrap())
        .collect();
    assert_eq!(versions, [2, 1]);
    // Both versions keep their own bytes (the sponsor reads a draft's
    // documents through signed links).
    for (version, bytes) in [(1, memo.clone()), (2, png())] {
        let link = app
            .post(
                &format!("/api/v1/offerings/{offering}/documents/{doc}/links"),
                Some(&sponsor.token),
                json!({"version": version}),
            )
            .await;
        assert_eq!(link.status, 201, "{}", link.body);
        let got = app
            .fetch(link.body["url"].as_str().unwrap(), None, &[])
            .await;
        assert_eq!(got.status(), 200);
        assert_eq!(got.bytes().await.unwrap().to_vec(), bytes);
    }
    app.upload(
        &format!("/api/v1/offerings/{offering}/documents/nope/versions?name=x.pdf"),
        Some(&sponsor.token),
        pdf("x"),
    )
    .await
    .assert_problem(404, "not_found");

    // Nothing refused was kept: one stored file per version.
    assert_eq!(app.count("stored_files"), 2);
    assert_eq!(app.count("document_versions"), 2);

    // A draft's documents are its sponsor's and operators' business.
    app.get(&format!("/api/v1/offerings/{offering}/documents"), None)
        .await
        .assert_problem(404, "not_found");
    let list = app
        .get(
            &format!("/api/v1/offerings/{offering}/documents"),
            Some(&sponsor.token),
        )
        .await;
    assert_eq!(list.status, 200, "{}", list.body);
    assert_eq!(list.body["items"].as_array().unwrap().len(), 1);
    assert_eq!(list.body["items"][0]["current"]["version"], 2);
    // Not public yet: no plain download URL.
    assert!(list.body["items"][0]["current"]["download_url"].is_null());
}

#[tokio::test]
async fn a_public_document_downloads_with_its_type_name_etag_and_ranges() {
    let app = spawn_app().await;
    let operator = app.operator().await;
    let sponsor = app.sponsor().await;
    let draft = app.draft(&sponsor, json!({})).await;
    let offering = draft.body["id"].as_str().unwrap().to_string();
    let bytes = pdf(&"0123456789".repeat(50));
    let created = app
        .add_document(
            &sponsor,
            &offering,
            "kind=financial_statements&name=Bilan%20%C3%A9t%C3%A9%202026.pdf",
            bytes.clone(),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let doc = created.body["id"].as_str().unwrap().to_string();
    let path = content_path(&offering, &doc, 1);
    // Before the offering is public, nobody else sees it.
    assert_eq!(app.fetch(&path, None, &[]).await.status(), 404);
    open(&app, &sponsor, &operator, &offering).await;

    let listed = app
        .get(&format!("/api/v1/offerings/{offering}/documents"), None)
        .await;
    let url = listed.body["items"][0]["current"]["download_url"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(url.ends_with(&path), "{url}");

    let whole = app.fetch(&path, None, &[]).await;
    assert_eq!(whole.status(), 200);
    let h = whole.headers().clone();
    assert_eq!(h["content-type"], "application/pdf");
    assert_eq!(h["content-length"], bytes.len().to_string().as_str());
    assert_eq!(h["accept-ranges"], "bytes");
    let etag = format!("\"{}\"", sha256(&bytes));
    assert_eq!(h["etag"], etag.as_str());
    assert_eq!(
        h["content-disposition"],
        "attachment; filename=\"Bilan _t_ 2026.pdf\"; \
         filename*=UTF-8''Bilan%20%C3%A9t%C3%A9%202026.pdf"
    );
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(whole.bytes().await.unwrap().to_vec(), bytes);

    let cached = app.fetch(&path, None, &[("If-None-Match", &etag)]).await;
    assert_eq!(cached.status(), 304);

    let part = app.fetch(&path, None, &[("Range", "bytes=10-19")]).await;
    assert_eq!(part.status(), 206);
    assert_eq!(
        part.headers()["content-range"],
        format!("bytes 10-19/{}", bytes.len()).as_str()
    );
    assert_eq!(part.bytes().await.unwrap().to_vec(), bytes[10..20].to_vec());
    let tail = app.fetch(&path, None, &[("Range", "bytes=-6")]).await;
    assert_eq!(tail.status(), 206);
    assert_eq!(
        tail.bytes().await.unwrap().to_vec(),
        bytes[bytes.len() - 6..].to_vec()
    );
    let stale = app
        .fetch(
            &path,
            None,
            &[("Range", "bytes=0-4"), ("If-Range", "\"an-older-version\"")],
        )
        .await;
    assert_eq!(stale.status(), 200);
    let beyond = app
        .fetch(
            &path,
            None,
            &[("Range", &format!("bytes={}-", bytes.len()))],
        )
        .await;
    assert_eq!(beyond.status(), 416);
    assert_eq!(
        beyond.headers()["content-range"],
        format!("bytes */{}", bytes.len()).as_str()
    );
    assert_eq!(
        app.fetch(&content_path(&offering, &doc, 2), None, &[])
            .await
            .status(),
        404
    );
}

/// Submits and approves a draft.
pub async fn open(app: &TestApp, sponsor: &Person, operator: &Person, offering: &str) {
    let submitted = app
        .post(
            &format!("/api/v1/offerings/{offering}/submit"),
            Some(&sponsor.token),
            json!({}),
        )
        .await;
    assert_eq!(submitted.status, 200, "{}", submitted.body);
    let approved = app
        .post(
            &format!("/api/v1/operator/offerings/{offering}/approve"),
            Some(&operator.token),
            json!({}),
        )
        .await;
    assert_eq!(approved.status, 200, "{}", approved.body);
}

#[tokio::test]
async fn a_restricted_document_opens_only_through_a_signed_link_until_it_expires() {
    let app = spawn_app().await;
    let operator = app.operator().await;
    let sponsor = app.sponsor().await;
    let draft = app.draft(&sponsor, json!({})).await;
    let offering = draft.body["id"].as_str().unwrap().to_string();
    let bytes = pdf("for verified investors");
    let created = app
        .add_document(
            &sponsor,
            &offering,
            "kind=subscription_agreement&name=Agreement.pdf&visibility=investors",
            bytes.clone(),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let doc = created.body["id"].as_str().unwrap().to_string();
    open(&app, &sponsor, &operator, &offering).await;
    let path = content_path(&offering, &doc, 1);

    // Listed, but with no plain URL; the plain URL refuses, signed in or not.
    let listed = app
        .get(&format!("/api/v1/offerings/{offering}/documents"), None)
        .await;
    assert_eq!(listed.body["items"][0]["visibility"], "investors");
    assert!(listed.body["items"][0]["current"]["download_url"].is_null());
    let verified = app.investor(&operator, 0).await;
    for token in [None, Some(verified.token.as_str())] {
        let plain = crate::helpers::read(app.fetch(&path, token, &[]).await).await;
        plain.assert_problem(403, "signed_link_required");
    }

    // Links are for verified investors (and the sponsor, and operators).
    let links = format!("/api/v1/offerings/{offering}/documents/{doc}/links");
    let email = crate::helpers::unique_email("unverified");
    let (_, unverified, _) = app.signed_up(&email, "investor").await;
    app.post(&links, Some(&unverified), json!({}))
        .await
        .assert_problem(403, "verification_required");
    app.post(&links, None, json!({}))
        .await
        .assert_problem(401, "unauthorized");
    let other_sponsor = app.sponsor().await;
    app.post(&links, Some(&other_sponsor.token), json!({}))
        .await
        .assert_problem(403, "forbidden");
    for token in [&operator.token, &sponsor.token] {
        assert_eq!(app.post(&links, Some(token), json!({})).await.status, 201);
    }

    let link = app.post(&links, Some(&verified.token), json!({})).await;
    assert_eq!(link.status, 201, "{}", link.body);
    let url = link.body["url"].as_str().unwrap().to_string();
    assert!(url.contains(&path), "{url}");
    // Anyone holding the link opens it, no token needed, never cached.
    let got = app.fetch(&url, None, &[]).await;
    assert_eq!(got.status(), 200);
    assert_eq!(got.headers()["cache-control"], "private, no-store");
    assert_eq!(got.bytes().await.unwrap().to_vec(), bytes);

    // Altered, or moved to another version: refused.
    let tampered = format!("{}0", &url[..url.len() - 1]);
    let tampered = if tampered == url {
        format!("{}1", &url[..url.len() - 1])
    } else {
        tampered
    };
    crate::helpers::read(app.fetch(&tampered, None, &[]).await)
        .await
        .assert_problem(403, "invalid_link");
    let query = url.split_once('?').unwrap().1;
    let later = query.replace("expires=", "expires=9");
    crate::helpers::read(app.fetch(&format!("{path}?{later}"), None, &[]).await)
        .await
        .assert_problem(403, "invalid_link");
    let other_version = format!("{}?{query}", content_path(&offering, &doc, 2));
    crate::helpers::read(app.fetch(&other_version, None, &[]).await)
        .await
        .assert_problem(403, "invalid_link");
    crate::helpers::read(app.fetch(&format!("{path}?expires=1"), None, &[]).await)
        .await
        .assert_problem(403, "invalid_link");

    // Expired: a server of the same deployment whose clock is ten minutes
    // on (the default lifetime is five) refuses the very same link.
    let dir = tempfile::tempdir().unwrap();
    let Some(later_server) = crate::sessions::fast_server(&app, dir.path()).await else {
        return;
    };
    let expired = app
        .client
        .get(format!("{}{}?{query}", later_server.address, path))
        .send()
        .await
        .unwrap();
    crate::helpers::read(expired)
        .await
        .assert_problem(403, "link_expired");
}

/// A draft of `shares` shares at [`PRICE`] with a memorandum (version 1):
/// (offering id, document id).
async fn draft_with_memorandum(app: &TestApp, sponsor: &Person, shares: i64) -> (String, String) {
    let draft = app
        .draft(
            sponsor,
            json!({"price_per_share": PRICE, "target_amount": shares * PRICE}),
        )
        .await;
    assert_eq!(draft.status, 201, "{}", draft.body);
    let offering = draft.body["id"].as_str().unwrap().to_string();
    let memo = app
        .add_document(
            sponsor,
            &offering,
            "kind=offering_memorandum&name=Memo.pdf",
            pdf("v1"),
        )
        .await;
    assert_eq!(memo.status, 201, "{}", memo.body);
    (offering, memo.body["id"].as_str().unwrap().to_string())
}

#[tokio::test]
async fn documents_freeze_in_review_and_amendments_reach_each_investor_once() {
    let app = spawn_app().await;
    let operator = app.operator().await;
    let sponsor = app.sponsor().await;
    let (offering, memo) = draft_with_memorandum(&app, &sponsor, 100).await;
    let next_version =
        format!("/api/v1/offerings/{offering}/documents/{memo}/versions?name=Memo.pdf");
    let submitted = app
        .post(
            &format!("/api/v1/offerings/{offering}/submit"),
            Some(&sponsor.token),
            json!({}),
        )
        .await;
    assert_eq!(submitted.status, 200);
    // In review the operator reads what the sponsor submitted: frozen.
    let frozen = app
        .upload(&next_version, Some(&sponsor.token), pdf("v2"))
        .await;
    frozen.assert_problem(409, "document_frozen");
    assert_eq!(frozen.body["offering_status"], "in_review");
    let approved = app
        .post(
            &format!("/api/v1/operator/offerings/{offering}/approve"),
            Some(&operator.token),
            json!({}),
        )
        .await;
    assert_eq!(approved.status, 200);

    // A subscribes twice, B subscribes and cancels, C has nothing.
    let a = app.investor(&operator, 50 * PRICE).await;
    let b = app.investor(&operator, 50 * PRICE).await;
    let c = app.investor(&operator, 50 * PRICE).await;
    for key in ["a1", "a2"] {
        let s = app.subscribe(&a, &offering, json!(2), key).await;
        assert_eq!(s.status, 201, "{}", s.body);
        assert_eq!(s.body["documents_revision"], 1);
    }
    let s = app.subscribe(&b, &offering, json!(1), "b1").await;
    let b_sub = s.body["id"].as_str().unwrap().to_string();
    let cancelled = app
        .post(
            &format!("/api/v1/subscriptions/{b_sub}/cancel"),
            Some(&b.token),
            json!({}),
        )
        .await;
    assert_eq!(cancelled.status, 200, "{}", cancelled.body);

    let amended = app
        .upload(&next_version, Some(&sponsor.token), pdf("v2"))
        .await;
    assert_eq!(amended.status, 201, "{}", amended.body);
    assert_eq!(amended.body["current"]["amendment"], true);
    let deck = app
        .add_document(&sponsor, &offering, "kind=pitch_deck&name=Deck.png", png())
        .await;
    assert_eq!(deck.status, 201, "{}", deck.body);
    let deck = deck.body["id"].as_str().unwrap().to_string();

    // One message per investor with an active subscription, per amendment.
    let notices = |who: &Person| {
        app.count(&format!(
            "outbox WHERE recipient = '{}' AND kind = 'document_amended'",
            who.email
        ))
    };
    assert_eq!(notices(&a), 2, "A: one for the memo, one for the deck");
    assert_eq!(notices(&b), 0, "B cancelled");
    assert_eq!(notices(&c), 0, "C never subscribed");
    let mail = app.wait_for_email(&a.email, "Document amended").await;
    assert!(mail
        .body
        .contains(&format!("/api/v1/offerings/{offering}/documents")));

    // C subscribes under the new versions; A's stay under the old.
    let s = app.subscribe(&c, &offering, json!(1), "c1").await;
    assert_eq!(s.status, 201, "{}", s.body);
    assert_eq!(s.body["documents_revision"], 3);
    let in_force = |p: &Person| {
        let token = p.token.clone();
        let app = &app;
        async move {
            let mine = app.get("/api/v1/me/subscriptions", Some(&token)).await;
            mine.body["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| {
                    s["documents"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|d| {
                            (
                                d["document_id"].as_str().unwrap().to_string(),
                                d["version"].as_i64().unwrap(),
                            )
                        })
                        .collect::<Vec<_>>()
                })
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(in_force(&a).await, vec![vec![(memo.clone(), 1)]; 2]);
    assert_eq!(
        in_force(&c).await,
        vec![vec![(memo.clone(), 2), (deck.clone(), 1)]]
    );

    // The reconciliation report names them too, line by line.
    let report = app
        .get(
            &format!("/api/v1/operator/offerings/{offering}/reconciliation"),
            Some(&operator.token),
        )
        .await;
    assert_eq!(report.status, 200, "{}", report.body);
    let lines = report.body["subscriptions"].as_array().unwrap();
    assert_eq!(lines.len(), 4);
    for line in lines {
        let versions: Vec<i64> = line["documents"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["version"].as_i64().unwrap())
            .collect();
        let expected = if line["investor_id"] == json!(c.id) {
            vec![2, 1]
        } else {
            vec![1]
        };
        assert_eq!(versions, expected, "{line}");
    }
    let csv = app
        .fetch(
            &format!("/api/v1/operator/offerings/{offering}/reconciliation"),
            Some(&operator.token),
            &[("Accept", "text/csv")],
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(
        csv.lines()
            .next()
            .unwrap()
            .ends_with(",documents,reconfirmation,reconfirm_by"),
        "{csv}"
    );
    assert!(csv.contains(&format!("{memo}:2 {deck}:1")), "{csv}");
}

/// Subscriptions racing an amendment: each names the versions in force when
/// it committed, and every investor whose subscription names the old
/// version was told of the new one, once.
#[tokio::test]
async fn subscriptions_racing_an_amendment_name_the_versions_they_were_made_under() {
    let app = spawn_app().await;
    let operator = app.operator().await;
    let sponsor = app.sponsor().await;
    let (offering, memo) = draft_with_memorandum(&app, &sponsor, 1_000).await;
    open(&app, &sponsor, &operator, &offering).await;
    let mut investors = Vec::new();
    for _ in 0..24 {
        investors.push(app.investor(&operator, 10 * PRICE).await);
    }
    let subscribing = investors.iter().enumerate().map(|(i, inv)| {
        let app = &app;
        let offering = offering.clone();
        async move {
            tokio::time::sleep(std::time::Duration::from_millis(5 * i as u64)).await;
            let s = app
                .subscribe(inv, &offering, json!(1), format!("k{i}"))
                .await;
            assert_eq!(s.status, 201, "{}", s.body);
        }
    });
    let amending = async {
        tokio::time::sleep(std::time::Duration::from_millis(40)).await;
        let r = app
            .upload(
                &format!("/api/v1/offerings/{offering}/documents/{memo}/versions?name=Memo.pdf"),
                Some(&sponsor.token),
                pdf("v2"),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
    };
    futures_util::join!(futures_util::future::join_all(subscribing), amending);

    let mut before = 0;
    for inv in &investors {
        let mine = app.get("/api/v1/me/subscriptions", Some(&inv.token)).await;
        let sub: &Value = &mine.body["items"][0];
        let version = sub["documents"][0]["version"].as_i64().unwrap();
        let told = app.count(&format!(
            "outbox WHERE recipient = '{}' AND kind = 'document_amended'",
            inv.email
        ));
        match version {
            1 => {
                before += 1;
                assert_eq!(told, 1, "{}: subscribed under v1, told once", inv.email);
            }
            2 => assert_eq!(told, 0, "{}: subscribed under v2", inv.email),
            v => panic!("version {v}"),
        }
    }
    eprintln!(
        "{before} of {} subscribed before the amendment",
        investors.len()
    );
    app.assert_books_balance(&operator).await;
}

/// Kilobytes of a process's memory: (resident now, peak resident).
fn memory_kb(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap()
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// A PDF of exactly `size` bytes whose body is pseudo-random, as compressed
/// streams are (deterministic: the same file every run).
pub fn large_pdf(size: usize) -> Vec<u8> {
    let (head, tail) = (b"%PDF-1.7\n".as_slice(), b"\n%%EOF\n".as_slice());
    let mut bytes = Vec::with_capacity(size);
    bytes.extend_from_slice(head);
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    while bytes.len() < size - tail.len() {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let take = (size - tail.len() - bytes.len()).min(8);
        bytes.extend_from_slice(&x.to_le_bytes()[..take]);
    }
    bytes.extend_from_slice(tail);
    bytes
}

/// The largest file the configuration allows (50 MiB, the default) goes in
/// and comes out whole, and the server never holds it: its peak memory
/// grows by a small fraction of the file. The server is a process of its
/// own, so that its memory is its alone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_largest_file_streams_in_and_out_without_the_server_holding_it() {
    largest_file_round_trip(spawn_app().await, None).await;
}

/// The same with the bytes in S3-compatible object storage.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_largest_file_streams_through_object_storage_too() {
    let Some(s3) = crate::s3_server::start().await else {
        return;
    };
    let vars = s3.vars();
    let overrides: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
    largest_file_round_trip(spawn_app_with(&overrides).await, Some(&s3)).await;
}

async fn largest_file_round_trip(app: TestApp, s3: Option<&crate::s3_server::S3Server>) {
    const LIMIT: usize = 50 * 1024 * 1024;
    let operator = app.operator().await;
    let sponsor = app.sponsor().await;
    let draft = app.draft(&sponsor, json!({})).await;
    let offering = draft.body["id"].as_str().unwrap().to_string();
    let server = app
        .spawn_process(&[("DOCUMENT_MAX_BYTES", &LIMIT.to_string())])
        .await;
    let pid = server.child.id();
    let to_server = |path: &str| format!("{}{path}", server.address);
    let upload = |path: String, bytes: Vec<u8>| {
        app.client
            .post(to_server(&path))
            .bearer_auth(&sponsor.token)
            .body(bytes)
            .send()
    };

    // Warm up on a small file: pools, caches and prepared statements.
    let small = upload(
        format!("/api/v1/offerings/{offering}/documents?kind=other&name=small.pdf"),
        pdf("warm up"),
    )
    .await
    .unwrap();
    assert_eq!(small.status(), 201);
    let (_, before) = memory_kb(pid);

    let file = large_pdf(LIMIT);
    let expected = sha256(&file);
    let created = upload(
        format!("/api/v1/offerings/{offering}/documents?kind=pitch_deck&name=Deck.pdf"),
        file,
    )
    .await
    .unwrap();
    let created = crate::helpers::read(created).await;
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(created.body["current"]["size"], LIMIT);
    assert_eq!(created.body["current"]["sha256"], expected);
    let doc = created.body["id"].as_str().unwrap().to_string();
    let (_, after_upload) = memory_kb(pid);

    open(&app, &sponsor, &operator, &offering).await;
    let mut response = app
        .client
        .get(to_server(&content_path(&offering, &doc, 1)))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let mut hasher = Sha256::new();
    let mut received = 0;
    while let Some(piece) = response.chunk().await.unwrap() {
        received += piece.len();
        hasher.update(&piece);
    }
    assert_eq!(received, LIMIT);
    assert_eq!(hex::encode(hasher.finalize()), expected);
    let (_, after_download) = memory_kb(pid);

    // One byte over the limit is refused, and leaves nothing behind.
    let over = upload(
        format!("/api/v1/offerings/{offering}/documents?kind=other&name=over.pdf"),
        large_pdf(LIMIT + 1),
    )
    .await
    .unwrap();
    crate::helpers::read(over)
        .await
        .assert_problem(413, "file_too_large");
    assert_eq!(app.count("stored_files"), 2);
    if let Some(s3) = s3 {
        // The bytes are in the bucket, one object per chunk, the rows keep
        // only hashes; the refused upload left no object.
        assert_eq!(app.count("stored_file_chunks WHERE bytes IS NOT NULL"), 0);
        assert_eq!(
            s3.keys("documents/").await.len() as i64,
            app.count("stored_file_chunks")
        );
        assert_eq!(
            app.count("stored_file_chunks"),
            1 + (LIMIT / (512 * 1024)) as i64
        );
    }

    let grew_in = after_upload.saturating_sub(before);
    let grew_out = after_download.saturating_sub(before);
    eprintln!(
        "peak memory: {before} kB before, +{grew_in} kB after a {} kB upload, \
         +{grew_out} kB after its download",
        LIMIT / 1024
    );
    // A server that buffered the file would grow by at least its size.
    assert!(
        (grew_out as usize) * 1024 < LIMIT / 4,
        "the server's peak memory grew by {grew_out} kB for a {} kB file",
        LIMIT / 1024
    );
}
