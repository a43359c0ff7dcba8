//! Where mail goes: `.eml` files in a folder (the default) or an SMTP server.

use std::time::Duration;

use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::PoolConfig;
use lettre::{FileTransport, SmtpTransport, Transport as _};

use crate::config::MailConfig;
use crate::i18n::Defaults;

use super::message::Message;
use super::outbox::OutboxMessage;
use super::render::render_for;

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

    /// Sends `message`, written for its reader (`defaults` for what they
    /// have not chosen): HTML and plain text in one multipart/alternative
    /// message; an older release's message as the plain text it queued.
    pub fn send(
        &self,
        from: &Mailbox,
        message: &OutboxMessage,
        defaults: &Defaults,
    ) -> Result<(), SendError> {
        let permanent = |e: String| SendError {
            message: e,
            permanent: true,
        };
        let to: Mailbox = message
            .recipient
            .parse()
            .map_err(|e| permanent(format!("bad recipient: {e}")))?;
        let builder = lettre::Message::builder()
            .from(from.clone())
            .to(to)
            // A stable Message-ID lets a receiver drop the duplicate if a send
            // is retried after the first attempt did in fact arrive.
            .message_id(Some(format!("<{}@crowdfund>", message.id)));
        let email = match (&message.params, &message.subject, &message.body_text) {
            (Some(params), _, _) => {
                let said = Message::from_params(params)
                    .map_err(|e| permanent(format!("unreadable message: {e}")))?;
                let reader =
                    defaults.reader(message.locale.as_deref(), message.time_zone.as_deref());
                let written = render_for(&said, &reader)
                    .map_err(|e| permanent(format!("cannot write message: {e:#}")))?;
                let language = HeaderValue::new(
                    HeaderName::new_from_ascii_str("Content-Language"),
                    reader.locale.tag().to_string(),
                );
                builder
                    // Encoded by us: user text in it is never read as encoded words.
                    .raw_header(super::subject::header(&written.subject))
                    .raw_header(language)
                    .multipart(MultiPart::alternative_plain_html(
                        written.text,
                        written.html,
                    ))
            }
            (None, Some(subject), Some(text)) => builder
                .raw_header(super::subject::header(subject))
                .singlepart(
                    SinglePart::builder()
                        .header(ContentType::TEXT_PLAIN)
                        .body(text.clone()),
                ),
            _ => return Err(permanent("a message with neither params nor text".into())),
        }
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
