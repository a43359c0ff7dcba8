//! A Server-Sent Events client for the tests: connects, then reads the
//! stream's events one at a time as the server writes them.

use std::time::Duration;

use serde_json::Value;

use crate::helpers::TestApp;

#[derive(Debug, Clone)]
pub struct SseEvent {
    pub id: Option<String>,
    pub event: Option<String>,
    pub data: Value,
}

impl SseEvent {
    pub fn id_number(&self) -> i64 {
        self.id
            .as_deref()
            .and_then(|id| id.parse().ok())
            .expect("a numeric event id")
    }
}

pub struct SseStream {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    response: reqwest::Response,
    buffer: String,
    /// Comment lines seen (heartbeats).
    pub comments: usize,
    /// The `retry:` the server asked for, in ms.
    pub retry: Option<u64>,
}

/// Opens `path` as an event stream, with `Last-Event-ID` when given.
pub async fn open(
    app: &TestApp,
    path: &str,
    token: Option<&str>,
    last_event_id: Option<&str>,
) -> SseStream {
    let client = reqwest::Client::new();
    let mut req = client
        .get(app.url(path))
        .header("Accept", "text/event-stream");
    if let Some(token) = token {
        req = req.bearer_auth(token);
    }
    if let Some(id) = last_event_id {
        req = req.header("Last-Event-ID", id);
    }
    let response = req.send().await.expect("stream request sent");
    SseStream {
        status: response.status().as_u16(),
        headers: response.headers().clone(),
        response,
        buffer: String::new(),
        comments: 0,
        retry: None,
    }
}

pub enum Next {
    Event(SseEvent),
    /// The server ended the stream.
    Ended,
    TimedOut,
}

impl SseStream {
    /// The next event (comments and `retry` lines are counted, not returned).
    pub async fn next(&mut self, within: Duration) -> Next {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            if let Some(event) = self.take_buffered() {
                return Next::Event(event);
            }
            match tokio::time::timeout_at(deadline, self.response.chunk()).await {
                Err(_) => return Next::TimedOut,
                Ok(Ok(Some(bytes))) => self.buffer.push_str(&String::from_utf8_lossy(&bytes)),
                Ok(Ok(None)) | Ok(Err(_)) => return Next::Ended,
            }
        }
    }

    /// The next event, which must come within `within`.
    pub async fn event(&mut self, within: Duration) -> SseEvent {
        match self.next(within).await {
            Next::Event(e) => e,
            Next::Ended => panic!("the stream ended"),
            Next::TimedOut => panic!("no event within {within:?}"),
        }
    }

    /// Events until one satisfies `done` (returned last), within `within`.
    pub async fn until(
        &mut self,
        within: Duration,
        done: impl Fn(&SseEvent) -> bool,
    ) -> Vec<SseEvent> {
        let deadline = tokio::time::Instant::now() + within;
        let mut events = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            let event = self.event(left).await;
            let finished = done(&event);
            events.push(event);
            if finished {
                return events;
            }
        }
    }

    fn take_buffered(&mut self) -> Option<SseEvent> {
        loop {
            let end = self.buffer.find("\n\n")?;
            let block: String = self.buffer[..end].to_string();
            self.buffer.drain(..end + 2);
            let mut event = SseEvent {
                id: None,
                event: None,
                data: Value::Null,
            };
            let mut data = String::new();
            let mut is_event = false;
            for line in block.lines() {
                if line.starts_with(':') {
                    self.comments += 1;
                } else if let Some(v) = line.strip_prefix("retry:") {
                    self.retry = v.trim().parse().ok();
                } else if let Some(v) = line.strip_prefix("id:") {
                    event.id = Some(v.trim().to_string());
                } else if let Some(v) = line.strip_prefix("event:") {
                    event.event = Some(v.trim().to_string());
                } else if let Some(v) = line.strip_prefix("data:") {
                    data.push_str(v.trim_start());
                    is_event = true;
                }
            }
            if is_event {
                event.data = serde_json::from_str(&data).expect("event data is JSON");
                return Some(event);
            }
        }
    }
}
