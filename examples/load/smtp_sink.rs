//! A mail server for the benchmark: accepts every message over SMTP on
//! loopback and counts it, so that the servers' relays deliver as they
//! would to a real one (`SMTP_URL`), at a cost that is the relay's.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

pub struct SmtpSink {
    pub port: u16,
    received: Arc<AtomicU64>,
}

impl SmtpSink {
    pub fn start() -> std::io::Result<SmtpSink> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let port = listener.local_addr()?.port();
        let received = Arc::new(AtomicU64::new(0));
        let counter = received.clone();
        std::thread::Builder::new()
            .name("smtp-sink".into())
            .spawn(move || {
                for stream in listener.incoming().flatten() {
                    let counter = counter.clone();
                    let _ = std::thread::Builder::new()
                        .name("smtp-session".into())
                        .spawn(move || {
                            let _ = session(stream, &counter);
                        });
                }
            })?;
        Ok(SmtpSink { port, received })
    }

    /// Messages accepted so far.
    pub fn received(&self) -> u64 {
        self.received.load(Ordering::Acquire)
    }
}

fn session(stream: TcpStream, received: &AtomicU64) -> std::io::Result<()> {
    stream.set_nodelay(true)?;
    let mut writer = stream.try_clone()?;
    let mut reader = BufReader::new(stream);
    writer.write_all(b"220 sink ESMTP\r\n")?;
    let mut line = String::new();
    loop {
        line.clear();
        if reader.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let command = line.trim_end().to_ascii_uppercase();
        if command.starts_with("EHLO") {
            writer.write_all(b"250-sink\r\n250 8BITMIME\r\n")?;
        } else if command == "DATA" {
            writer.write_all(b"354 go ahead\r\n")?;
            loop {
                line.clear();
                if reader.read_line(&mut line)? == 0 {
                    return Ok(());
                }
                if line == ".\r\n" {
                    break;
                }
            }
            received.fetch_add(1, Ordering::AcqRel);
            writer.write_all(b"250 queued\r\n")?;
        } else if command == "QUIT" {
            writer.write_all(b"221 bye\r\n")?;
            return Ok(());
        } else {
            writer.write_all(b"250 OK\r\n")?;
        }
    }
}
