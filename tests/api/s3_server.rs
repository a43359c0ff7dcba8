//! An S3-compatible server for the tests: moto's server mode (from PyPI),
//! started on a free port with one bucket. `MOTO_SERVER` names its
//! executable (`.ci/run` installs it); else `moto_server` on the PATH.
//! Where there is none the S3 tests are skipped, except under `CI`, where
//! that fails them.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const BUCKET: &str = "crowdfund-test";

pub struct S3Server {
    child: Child,
    pub endpoint: String,
}

impl Drop for S3Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl S3Server {
    /// The configuration that keeps documents in this server's bucket.
    pub fn vars(&self) -> Vec<(&'static str, String)> {
        vec![
            ("DOCUMENT_STORAGE", "s3".to_string()),
            ("S3_BUCKET", BUCKET.to_string()),
            ("S3_ENDPOINT", self.endpoint.clone()),
            ("S3_REGION", "us-east-1".to_string()),
            ("S3_ACCESS_KEY_ID", "test".to_string()),
            ("S3_SECRET_ACCESS_KEY", "test".to_string()),
        ]
    }

    /// The keys of the bucket's objects under `prefix`.
    pub async fn keys(&self, prefix: &str) -> Vec<String> {
        let listing = reqwest::get(format!(
            "{}/{BUCKET}?list-type=2&prefix={prefix}",
            self.endpoint
        ))
        .await
        .expect("list the bucket")
        .text()
        .await
        .expect("listing");
        listing
            .split("<Key>")
            .skip(1)
            .filter_map(|part| part.split("</Key>").next())
            .map(str::to_string)
            .collect()
    }

    /// Replaces chunk `seq` of a file behind the application's back (signed
    /// as the application signs: moto refuses anonymous overwrites).
    pub async fn overwrite(&self, file_id: &str, seq: i32, bytes: Vec<u8>) {
        let objects = crowdfund::storage::Objects::s3(&crowdfund::config::S3Settings {
            bucket: BUCKET.to_string(),
            endpoint: Some(self.endpoint.clone()),
            region: "us-east-1".to_string(),
            access_key_id: Some("test".to_string()),
            secret_access_key: Some("test".to_string()),
            prefix: "documents/".to_string(),
        })
        .expect("a client");
        objects
            .put(file_id, seq, bytes.into())
            .await
            .expect("overwrite");
    }
}

/// A running server with the test bucket, or None (skipped) where moto is
/// not installed and `CI` is not set.
pub async fn start() -> Option<S3Server> {
    let program = std::env::var("MOTO_SERVER").unwrap_or_else(|_| "moto_server".to_string());
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let child = Command::new(&program)
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn();
    let child = match child {
        Ok(child) => child,
        Err(e) => {
            assert!(
                std::env::var("CI").is_err(),
                "CI is set but {program} cannot be started: {e} (pip install 'moto[server]')"
            );
            eprintln!("skipped: no S3-compatible server ({program}: {e})");
            return None;
        }
    };
    let server = S3Server {
        child,
        endpoint: format!("http://127.0.0.1:{port}"),
    };
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let created = client
            .put(format!("{}/{BUCKET}", server.endpoint))
            .send()
            .await;
        match created {
            Ok(r) if r.status().is_success() => return Some(server),
            _ if Instant::now() < deadline => tokio::time::sleep(Duration::from_millis(100)).await,
            other => panic!("moto did not start: {other:?}"),
        }
    }
}
