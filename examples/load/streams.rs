//! Clients following the hot offering's live progress during the run: each
//! holds `GET /offerings/{id}/events` open, keeps the last figures it was
//! sent, and stops at the `funded` event.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Result};
use serde_json::Value;

/// What one client saw.
#[derive(Default)]
pub struct Seen {
    /// The figures of the last event.
    pub last: Option<Value>,
    pub events: u64,
    /// When the `funded` event arrived.
    pub funded_at: Option<Instant>,
    pub error: Option<String>,
}

pub struct Followers {
    tasks: Vec<tokio::task::JoinHandle<Seen>>,
}

/// Opens `count` streams on `offering`, spread over the servers, and waits
/// until each has its first event.
pub async fn follow(bases: &[String], offering: &str, count: usize) -> Result<Followers> {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()?;
    let ready = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::with_capacity(count);
    for n in 0..count {
        let url = format!(
            "{}/api/v1/offerings/{offering}/events",
            bases[n % bases.len()]
        );
        let (client, ready) = (client.clone(), ready.clone());
        tasks.push(tokio::spawn(async move { read(client, url, ready).await }));
        if n % 50 == 49 {
            // Connecting a thousand at once would fill the listen queue.
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    while ready.load(Ordering::Acquire) < count {
        if Instant::now() > deadline {
            bail!(
                "only {} of {count} streams connected",
                ready.load(Ordering::Acquire)
            );
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Ok(Followers { tasks })
}

impl Followers {
    /// Waits (up to `within`) for every client to finish, and returns what each saw.
    pub async fn finish(self, within: Duration) -> Vec<Seen> {
        let mut seen = Vec::with_capacity(self.tasks.len());
        let deadline = tokio::time::Instant::now() + within;
        for task in self.tasks {
            let abort = task.abort_handle();
            match tokio::time::timeout_at(deadline, task).await {
                Ok(Ok(s)) => seen.push(s),
                Ok(Err(e)) => seen.push(Seen {
                    error: Some(e.to_string()),
                    ..Seen::default()
                }),
                Err(_) => {
                    abort.abort();
                    seen.push(Seen {
                        error: Some("no funded event in time".into()),
                        ..Seen::default()
                    });
                }
            }
        }
        seen
    }
}

async fn read(client: reqwest::Client, url: String, ready: Arc<AtomicUsize>) -> Seen {
    let mut seen = Seen::default();
    let mut response = match client.get(&url).send().await {
        Ok(r) if r.status().is_success() => r,
        Ok(r) => {
            seen.error = Some(format!("status {}", r.status()));
            ready.fetch_add(1, Ordering::AcqRel);
            return seen;
        }
        Err(e) => {
            seen.error = Some(e.to_string());
            ready.fetch_add(1, Ordering::AcqRel);
            return seen;
        }
    };
    let mut buffer = String::new();
    loop {
        match response.chunk().await {
            Ok(Some(bytes)) => buffer.push_str(&String::from_utf8_lossy(&bytes)),
            Ok(None) => {
                seen.error.get_or_insert_with(|| "the stream ended".into());
                return seen;
            }
            Err(e) => {
                seen.error = Some(e.to_string());
                return seen;
            }
        }
        while let Some(end) = buffer.find("\n\n") {
            let block: String = buffer.drain(..end + 2).collect();
            let data: String = block
                .lines()
                .filter_map(|l| l.strip_prefix("data:"))
                .map(str::trim_start)
                .collect();
            if data.is_empty() {
                continue;
            }
            let Ok(value) = serde_json::from_str::<Value>(&data) else {
                continue;
            };
            seen.events += 1;
            if seen.events == 1 {
                ready.fetch_add(1, Ordering::AcqRel);
            }
            let funded = value["status"] == "funded";
            seen.last = Some(value);
            if funded {
                seen.funded_at = Some(Instant::now());
                return seen;
            }
        }
    }
}
