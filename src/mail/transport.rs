//! Where mail goes: `.eml` files in a folder (the default) or an SMTP server.

use std::time::Duration;

use lettre::message::{header::ContentType, Mailbox};
use lettre::transport::smtp::PoolConfig;
use lettre::{FileTransport, Message, SmtpTransport, Transport as _};

use crate::config::MailConfig;

use super::outbox::OutboxMessage;

pub enum Transport {
    File(FileTransport),
    Smtp(Box<SmtpTransport>),
}

/// A send that failed: `permanent` when retrying cannot help (a malformed
/// address), otherwise it is retried with backoff.
#[derive(Debug)]
pub struct SendError {
    pub message: String,
    pub permanent: bool,
}

impl Transport {
    pub fn from_config(config: &MailConfig) -> anyhow::Result<Self> {
        match &config.smtp_url {
            Some(url) => {
                // A connection per sender, kept open between messages.
                let pool = PoolConfig::new().max_size(config.senders as u32);
                let transport = SmtpTransport::from_url(url)?
                    .timeout(Some(Duration::from_secs(10)))
                    .pool_config(pool)
                    .build();
                Ok(Transport::Smtp(Box::new(transport)))
            }
            None => {
                std::fs::create_dir_all(&config.dir)?;
                Ok(Transport::File(FileTransport::new(&config.dir)))
            }
        }
    }

    pub fn send(&self, from: &Mailbox, message: &OutboxMessage) -> Result<(), SendError> {
        let permanent = |e: String| SendError {
            message: e,
            permanent: true,
        };
        let to: Mailbox = message
            .recipient
            .parse()
            .map_err(|e| permanent(format!("bad recipient: {e}")))?;
        let email = Message::builder()
            .from(from.clone())
            .to(to)
            // Encoded by us: user text in it is never read as encoded words.
            .raw_header(super::subject::header(&message.subject))
            // A stable Message-ID lets a receiver drop the duplicate if a send
            // is retried after the first attempt did in fact arrive.
            .message_id(Some(format!("<{}@crowdfund>", message.id)))
            .header(ContentType::TEXT_PLAIN)
            .body(message.body_text.clone())
            .map_err(|e| permanent(format!("cannot build message: {e}")))?;
        let result = match self {
            Transport::File(t) => t.send(&email).map(|_| ()).map_err(|e| e.to_string()),
            Transport::Smtp(t) => t.send(&email).map(|_| ()).map_err(|e| e.to_string()),
        };
        result.map_err(|message| SendError {
            message,
            permanent: false,
        })
    }
}
