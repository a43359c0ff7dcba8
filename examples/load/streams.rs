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
    results: std::sync::mpsc::Receiver<Vec<Seen>>,
    count: usize,
}

/// Opens `count` streams on `offering`, spread over the servers, and waits
/// until each has its first event. The clients run on a thread and runtime
/// of their own: reading a thousand streams must not hold up the
/// subscribers' requests in this program, only compete for the cores.
pub async fn follow(bases: &[String], offering: &str, count: usize) -> Result<Followers> {
    let ready = Arc::new(AtomicUsize::new(0));
    let (send, results) = std::sync::mpsc::channel();
    let urls: Vec<String> = (0..count)
        .map(|n| {
            format!(
                "{}/api/v1/offerings/{offering}/events",
                bases[n % bases.len()]
            )
        })
        .collect();
    let counter = ready.clone();
    std::thread::Builder::new()
        .name("stream-clients".into())
        .spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            let seen = runtime.block_on(async move {
                let client = reqwest::Client::builder().build().unwrap_or_default();
                let mut tasks = Vec::with_capacity(urls.len());
                for (n, url) in urls.into_iter().enumerate() {
                    let (client, ready) = (client.clone(), counter.clone());
                    tasks.push(tokio::spawn(read(client, url, ready)));
                    if n % 50 == 49 {
                        // Connecting a thousand at once would fill the listen queue.
                        tokio::time::sleep(Duration::from_millis(20)).await;
                    }
                }
                let mut seen = Vec::with_capacity(tasks.len());
                for task in tasks {
                    seen.push(task.await.unwrap_or_else(|e| Seen {
                        error: Some(e.to_string()),
                        ..Seen::default()
                    }));
                }
                seen
            });
            let _ = send.send(seen);
        })?;
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
    Ok(Followers { results, count })
}

impl Followers {
    /// Waits (up to `within`) for every client to have its `funded` event,
    /// and returns what each saw.
    pub fn finish(self, within: Duration) -> Vec<Seen> {
        match self.results.recv_timeout(within) {
            Ok(seen) => seen,
            Err(_) => (0..self.count)
                .map(|_| Seen {
                    error: Some("not every client had the funded event in time".into()),
                    ..Seen::default()
                })
                .collect(),
        }
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
    let mut last_data = String::new();
    loop {
        match response.chunk().await {
            Ok(Some(bytes)) => buffer.push_str(&String::from_utf8_lossy(&bytes)),
            Ok(None) => {
                seen.error.get_or_insert_with(|| "the stream ended".into());
                seen.last = serde_json::from_str::<Value>(&last_data).ok();
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
            seen.events += 1;
            if seen.events == 1 {
                ready.fetch_add(1, Ordering::AcqRel);
            }
            // Parsed only when it is the last: the figures of the others
            // are not checked, and parsing every one costs this program.
            if data.contains("\"status\":\"funded\"") {
                seen.funded_at = Some(Instant::now());
                seen.last = serde_json::from_str::<Value>(&data).ok();
                return seen;
            }
            last_data = data;
        }
    }
}
