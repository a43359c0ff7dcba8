//! Documents kept in S3-compatible object storage (moto's server mode):
//! the database keeps the metadata and every chunk's hash, the bucket the
//! bytes; downloads and ranges come out whole and checked, tampered bytes
//! are never served, refused and abandoned uploads leave no objects.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::documents::{content_path, large_pdf, open};
use crate::helpers::{spawn_app_with, TestApp};
use crate::s3_server::{self, S3Server};

async fn app_on(s3: &S3Server, extra: &[(&str, &str)]) -> TestApp {
    let vars = s3.vars();
    let mut overrides: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
    overrides.extend_from_slice(extra);
    spawn_app_with(&overrides).await
}

#[tokio::test]
async fn documents_in_object_storage_come_out_whole_checked_and_in_ranges() {
    let Some(s3) = s3_server::start().await else {
        return;
    };
    let app = app_on(&s3, &[]).await;
    let operator = app.operator().await;
    let sponsor = app.sponsor().await;
    let draft = app.draft(&sponsor, json!({})).await;
    let offering = draft.body["id"].as_str().unwrap().to_string();

    // Three chunks: two whole, one part.
    let bytes = large_pdf(2 * 512 * 1024 + 1000);
    let created = app
        .add_document(
            &sponsor,
            &offering,
            "kind=pitch_deck&name=Deck.pdf",
            bytes.clone(),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let doc = created.body["id"].as_str().unwrap().to_string();
    assert_eq!(app.count("stored_files WHERE storage = 'object_store'"), 1);
    assert_eq!(app.count("stored_file_chunks WHERE bytes IS NULL"), 3);
    let keys = s3.keys("documents/").await;
    assert_eq!(keys.len(), 3, "{keys:?}");

    // A file refused at its end, once a chunk is in the bucket (bytes after
    // the PDF's end), leaves neither rows nor objects.
    let mut appended = large_pdf(700 * 1024);
    appended.extend_from_slice(b"<script>alert(1)</script>");
    let refused = app
        .add_document(&sponsor, &offering, "kind=other&name=invoice.pdf", appended)
        .await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert_eq!(app.count("stored_files"), 1);
    assert_eq!(s3.keys("documents/").await.len(), 3);

    open(&app, &sponsor, &operator, &offering).await;
    let path = content_path(&offering, &doc, 1);
    let whole = app.fetch(&path, None, &[]).await;
    assert_eq!(whole.status(), 200);
    assert_eq!(whole.bytes().await.unwrap().to_vec(), bytes);
    // A range across the first chunk's end.
    let (from, to) = (512 * 1024 - 10, 512 * 1024 + 9);
    let part = app
        .fetch(&path, None, &[("Range", &format!("bytes={from}-{to}"))])
        .await;
    assert_eq!(part.status(), 206);
    assert_eq!(
        part.bytes().await.unwrap().to_vec(),
        bytes[from..=to].to_vec()
    );

    // Bytes changed in the bucket are never served: the response stops
    // before them (the first chunk, still intact, still reads).
    let file: String = {
        let second = keys.iter().find(|k| k.ends_with("/000001")).unwrap();
        second
            .trim_start_matches("documents/")
            .trim_end_matches("/000001")
            .to_string()
    };
    s3.overwrite(&file, 1, vec![0x42; 512 * 1024]).await;
    let tampered = app.fetch(&path, None, &[]).await;
    assert_eq!(tampered.status(), 200);
    let received = tampered.bytes().await;
    assert!(
        received.as_ref().map_or(true, |b| b.len() < bytes.len()),
        "a tampered file was served whole"
    );
    let first = app.fetch(&path, None, &[("Range", "bytes=0-99")]).await;
    assert_eq!(first.bytes().await.unwrap().to_vec(), bytes[..100].to_vec());
}

#[tokio::test]
async fn abandoned_uploads_are_pruned_from_the_bucket_too() {
    let Some(s3) = s3_server::start().await else {
        return;
    };
    let app = app_on(&s3, &[("RETENTION_INTERVAL_SECS", "1")]).await;
    // An upload cut off by a crash two days ago: its row and its object.
    s3.overwrite("abandoned-file", 0, vec![1; 1000]).await;
    app.execute(
        "INSERT INTO stored_files (id, storage, chunk_size, size, created_at) \
         VALUES ('abandoned-file', 'object_store', 524288, 0, '2026-01-01 00:00:00')",
    );
    app.execute(&format!(
        "INSERT INTO stored_file_chunks (file_id, seq, size, sha256) \
         VALUES ('abandoned-file', 0, 1000, '{}')",
        "0".repeat(64)
    ));
    let deadline = Instant::now() + Duration::from_secs(30);
    while app.count("stored_files") > 0 {
        assert!(
            Instant::now() < deadline,
            "the abandoned upload was never pruned"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(s3.keys("documents/abandoned-file").await.is_empty());
}
