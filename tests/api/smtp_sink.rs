//! A minimal SMTP server on loopback that accepts every message and keeps it,
//! so the relay's SMTP path is exercised over a real socket.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

pub struct SmtpSink {
    pub port: u16,
    pub received: Arc<Mutex<Vec<String>>>,
    stall: Arc<Stall>,
    /// Conversations not ended yet.
    open: Arc<AtomicUsize>,
    task: Option<JoinHandle<()>>,
}

/// While `on`, a message's data is read but never answered: the sender
/// waits for "250" (and the message is not kept) until it gives up or dies.
#[derive(Default)]
struct Stall {
    on: AtomicBool,
    stalled: AtomicUsize,
    /// Messages still accepted before stalling begins (None: no limit).
    budget: Mutex<Option<usize>>,
}

impl Stall {
    /// Whether the message just read is left unanswered.
    fn now(&self) -> bool {
        if self.on.load(Ordering::SeqCst) {
            return true;
        }
        let mut budget = self.budget.lock().expect("lock");
        match budget.as_mut() {
            Some(0) => true,
            Some(left) => {
                *left -= 1;
                false
            }
            None => false,
        }
    }
}

impl SmtpSink {
    /// Listens on a random port.
    pub async fn start() -> SmtpSink {
        Self::start_on(0, Arc::new(Mutex::new(Vec::new()))).await
    }

    /// Listens on `port`, adding to `received` (to bring a stopped sink back).
    pub async fn start_on(port: u16, received: Arc<Mutex<Vec<String>>>) -> SmtpSink {
        let listener = TcpListener::bind(("127.0.0.1", port))
            .await
            .expect("bind SMTP sink");
        let port = listener.local_addr().expect("addr").port();
        let store = received.clone();
        let stall = Arc::new(Stall::default());
        let stalls = stall.clone();
        let open = Arc::new(AtomicUsize::new(0));
        let opened = open.clone();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let (store, stall, open) = (store.clone(), stalls.clone(), opened.clone());
                open.fetch_add(1, Ordering::SeqCst);
                tokio::spawn(async move {
                    let _ = session(stream, store, stall).await;
                    open.fetch_sub(1, Ordering::SeqCst);
                });
            }
        });
        SmtpSink {
            port,
            received,
            stall,
            open,
            task: Some(task),
        }
    }

    /// From now on, messages are received but never answered (or kept).
    pub fn stall(&self, on: bool) {
        if !on {
            *self.stall.budget.lock().expect("lock") = None;
        }
        self.stall.on.store(on, Ordering::SeqCst);
    }

    /// Accepts `accepted` more messages, then stalls as [`Self::stall`]
    /// (until `stall(false)`).
    pub fn stall_after(&self, accepted: usize) {
        *self.stall.budget.lock().expect("lock") = Some(accepted);
    }

    /// How many conversations have not ended. A sender killed mid-message
    /// may have left the rest of it unread in the socket: lift a stall only
    /// once its conversations are over, or that message is read after the
    /// stall and kept, though its sender never saw it accepted.
    pub fn open_conversations(&self) -> usize {
        self.open.load(Ordering::SeqCst)
    }

    /// How many messages were left unanswered.
    pub fn stalled(&self) -> usize {
        self.stall.stalled.load(Ordering::SeqCst)
    }

    /// Stops listening: connections are refused until it is started again.
    pub fn stop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }

    pub fn messages(&self) -> Vec<String> {
        self.received.lock().expect("lock").clone()
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        self.stop();
    }
}

async fn session(
    stream: TcpStream,
    store: Arc<Mutex<Vec<String>>>,
    stall: Arc<Stall>,
) -> std::io::Result<()> {
    let (reader, mut writer) = stream.into_split();
    let mut lines = BufReader::new(reader);
    writer.write_all(b"220 sink.test ESMTP\r\n").await?;
    let mut line = String::new();
    loop {
        line.clear();
        if lines.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let command = line.trim_end().to_ascii_uppercase();
        if command.starts_with("EHLO") {
            writer
                .write_all(b"250-sink.test\r\n250 8BITMIME\r\n")
                .await?;
        } else if command.starts_with("HELO")
            || command.starts_with("MAIL FROM")
            || command.starts_with("RCPT TO")
            || command.starts_with("RSET")
            || command.starts_with("NOOP")
        {
            writer.write_all(b"250 OK\r\n").await?;
        } else if command == "DATA" {
            writer.write_all(b"354 go ahead\r\n").await?;
            let mut data = String::new();
            loop {
                line.clear();
                if lines.read_line(&mut line).await? == 0 {
                    return Ok(());
                }
                if line == ".\r\n" || line == ".\n" {
                    break;
                }
                data.push_str(line.strip_prefix('.').unwrap_or(&line));
            }
            if stall.now() {
                stall.stalled.fetch_add(1, Ordering::SeqCst);
                // Until the sender hangs up: then the message was never accepted.
                while lines.read_line(&mut line).await? > 0 {}
                return Ok(());
            }
            store.lock().expect("lock").push(data);
            writer.write_all(b"250 queued\r\n").await?;
        } else if command == "QUIT" {
            writer.write_all(b"221 bye\r\n").await?;
            return Ok(());
        } else {
            writer.write_all(b"502 not implemented\r\n").await?;
        }
    }
}
