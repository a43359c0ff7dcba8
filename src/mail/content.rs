//! An email's words for its reader: each [`Message`] written in the
//! reader's language (Fluent, `crate::i18n`), money with their currency's
//! symbol, counts with their plural, enums as words, times on their clock.
//! The result is a [`Content`]: a subject and a few blocks that the layout
//! (`super::layout`) writes both as HTML and as plain text, so the two
//! parts say the same.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::i18n::{self, Args, Locale, MissingText, Reader};

use super::message::{Message, TakeBack};

/// What an email says, ready for either part.
#[derive(Debug, Clone, Serialize)]
pub struct Content {
    /// The `lang` of the HTML part.
    pub lang: &'static str,
    pub subject: String,
    /// The first line a mail app shows beside the subject.
    pub preheader: String,
    pub heading: String,
    pub blocks: Vec<Block>,
    pub footer: String,
}

/// One piece of an email's body.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Block {
    Paragraph {
        text: String,
    },
    /// Labelled figures: a table in HTML, `label: value` lines in text.
    Details {
        rows: Vec<Row>,
    },
    /// A link to act on: a button in HTML, the label and URL in text.
    Button {
        label: String,
        url: String,
    },
    /// Text someone wrote (an update, a question, a reason), set apart and
    /// kept as written.
    Quote {
        text: String,
    },
}

#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub label: String,
    pub value: String,
}

/// The content of `message` for `reader`; an error when the reader's
/// language lacks a text the message needs.
pub fn write(message: &Message, reader: &Reader) -> Result<Content, MissingText> {
    let w = Writer { reader };
    let mut c = w.compose(message)?;
    c.footer = w.t("email-footer", Args::new())?;
    Ok(c)
}

struct Writer<'a> {
    reader: &'a Reader,
}

impl Writer<'_> {
    fn locale(&self) -> Locale {
        self.reader.locale
    }

    fn t(&self, key: &str, args: Args) -> Result<String, MissingText> {
        i18n::text(self.locale(), key, &args)
    }

    fn money(&self, minor: i64, currency: &str) -> String {
        i18n::money::format(minor, currency, self.locale())
    }

    /// `12 shares`, `1 share`, `12 股`.
    fn shares(&self, n: i64) -> Result<String, MissingText> {
        self.t(
            "shares",
            Args::new()
                .number("count", n)
                .text("shares", i18n::money::group(n.unsigned_abs())),
        )
    }

    fn time(&self, at: DateTime<Utc>) -> String {
        self.reader.time_zone.format(at, self.locale())
    }

    /// An enum value as a word: `security-common_equity`, `status-funded`.
    fn word(&self, family: &str, value: &str) -> Result<String, MissingText> {
        self.t(&format!("{family}-{value}"), Args::new())
    }

    fn paragraph(&self, key: &str, args: Args) -> Result<Block, MissingText> {
        Ok(Block::Paragraph {
            text: self.t(key, args)?,
        })
    }

    fn row(&self, label: &str, value: String) -> Result<Row, MissingText> {
        Ok(Row {
            label: self.t(label, Args::new())?,
            value,
        })
    }

    fn button(&self, label: &str, url: &str) -> Result<Block, MissingText> {
        Ok(Block::Button {
            label: self.t(label, Args::new())?,
            url: url.to_string(),
        })
    }

    /// Subject, heading and preheader of `name`, with the same values.
    fn start(&self, name: &str, args: &Args, blocks: Vec<Block>) -> Result<Content, MissingText> {
        Ok(Content {
            lang: self.locale().tag(),
            subject: self.t(&format!("email-{name}-subject"), args.clone())?,
            heading: self.t(&format!("email-{name}-heading"), args.clone())?,
            preheader: self.t(&format!("email-{name}-preheader"), args.clone())?,
            blocks,
            footer: String::new(),
        })
    }

    fn compose(&self, message: &Message) -> Result<Content, MissingText> {
        match message {
            Message::VerifyEmail { link, valid_hours } => {
                let args = Args::new().number("hours", *valid_hours);
                let blocks = vec![
                    self.paragraph("email-verify-email-body", args.clone())?,
                    self.button("email-verify-email-button", link)?,
                    self.paragraph("email-verify-email-expiry", args.clone())?,
                ];
                self.start("verify-email", &args, blocks)
            }
            Message::PasswordReset {
                link,
                valid_minutes,
            } => {
                let args = Args::new().number("minutes", *valid_minutes);
                let blocks = vec![
                    self.paragraph("email-password-reset-body", args.clone())?,
                    self.button("email-password-reset-button", link)?,
                    self.paragraph("email-password-reset-expiry", args.clone())?,
                ];
                self.start("password-reset", &args, blocks)
            }
            Message::PasswordChanged => {
                let args = Args::new();
                let blocks = vec![
                    self.paragraph("email-password-changed-body", args.clone())?,
                    self.paragraph("email-password-changed-advice", args.clone())?,
                ];
                self.start("password-changed", &args, blocks)
            }
            Message::FailedSignIns {
                failures,
                client_ip,
            } => {
                let args = Args::new()
                    .number("failures", *failures)
                    .text("address", client_ip);
                let blocks = vec![
                    self.paragraph("email-failed-sign-ins-body", args.clone())?,
                    self.paragraph("email-failed-sign-ins-advice", args.clone())?,
                ];
                self.start("failed-sign-ins", &args, blocks)
            }
            Message::KycApproved => {
                let args = Args::new();
                let blocks = vec![self.paragraph("email-kyc-approved-body", args.clone())?];
                self.start("kyc-approved", &args, blocks)
            }
            Message::KycRejected { reason } => {
                let args = Args::new();
                let blocks = vec![
                    self.paragraph("email-kyc-rejected-body", args.clone())?,
                    Block::Quote {
                        text: reason.clone(),
                    },
                    self.paragraph("email-kyc-rejected-advice", args.clone())?,
                ];
                self.start("kyc-rejected", &args, blocks)
            }
            Message::DepositCredited {
                reference,
                amount,
                currency,
            } => self.transfer("deposit-credited", reference, *amount, currency),
            Message::UnallocatedCredited {
                reference,
                amount,
                currency,
            } => self.transfer("unallocated-credited", reference, *amount, currency),
            Message::WithdrawalPaid {
                reference,
                amount,
                currency,
            } => self.transfer("withdrawal-paid", reference, *amount, currency),
            Message::WithdrawalReturned {
                reference,
                amount,
                currency,
            } => self.transfer("withdrawal-returned", reference, *amount, currency),
            Message::DepositReturned {
                reference,
                amount,
                owed,
                currency,
            } => {
                let args = Args::new()
                    .text("reference", reference)
                    .text("amount", self.money(*amount, currency))
                    .text("covered", self.money(amount - owed, currency))
                    .text("owed", self.money(*owed, currency));
                let mut blocks = vec![self.paragraph("email-deposit-returned-body", args.clone())?];
                if *owed > 0 {
                    blocks.push(self.paragraph("email-deposit-returned-owed", args.clone())?);
                } else {
                    blocks.push(self.paragraph("email-deposit-returned-covered", args.clone())?);
                }
                blocks.push(self.paragraph("email-deposit-returned-advice", args.clone())?);
                self.start("deposit-returned", &args, blocks)
            }
            Message::SubscriptionConfirmed {
                subscription_id,
                at,
                offering_title,
                security_type,
                price_per_share,
                shares,
                amount,
                currency,
                take_back,
            } => {
                let args = Args::new().text("offering", offering_title);
                let take_back = match take_back {
                    TakeBack::Unstated => {
                        self.paragraph("email-subscription-confirmed-escrow", args.clone())?
                    }
                    TakeBack::CancelUntil { until } => self.paragraph(
                        "email-subscription-confirmed-cancel-until",
                        args.clone().text("until", self.time(*until)),
                    )?,
                    TakeBack::RevokeUntil { until } => self.paragraph(
                        "email-subscription-confirmed-revoke-until",
                        args.clone().text("until", self.time(*until)),
                    )?,
                    TakeBack::Not => {
                        self.paragraph("email-subscription-confirmed-final", args.clone())?
                    }
                };
                let rows = vec![
                    self.row("label-date", self.time(*at))?,
                    self.row("label-offering", offering_title.clone())?,
                    self.row("label-security", self.word("security", security_type)?)?,
                    self.row(
                        "label-price-per-share",
                        self.money(*price_per_share, currency),
                    )?,
                    self.row("label-shares", self.shares(*shares)?)?,
                    self.row("label-amount", self.money(*amount, currency))?,
                    self.row("label-reference", subscription_id.clone())?,
                ];
                let blocks = vec![
                    self.paragraph("email-subscription-confirmed-body", args.clone())?,
                    Block::Details { rows },
                    take_back,
                ];
                self.start("subscription-confirmed", &args, blocks)
            }
            Message::SubscriptionCancelled {
                offering_title,
                shares,
                amount,
                currency,
            } => self.subscription_ended(
                "subscription-cancelled",
                offering_title,
                *shares,
                *amount,
                currency,
            ),
            Message::SubscriptionLapsed {
                offering_title,
                shares,
                amount,
                currency,
            } => self.subscription_ended(
                "subscription-lapsed",
                offering_title,
                *shares,
                *amount,
                currency,
            ),
            Message::SubscriptionRefunded {
                offering_title,
                shares,
                amount,
                currency,
            } => self.subscription_ended(
                "subscription-refunded",
                offering_title,
                *shares,
                *amount,
                currency,
            ),
            Message::SharesAllotted {
                offering_title,
                security_type,
                shares,
                price_per_share,
                amount,
                currency,
                at,
            } => {
                let args = Args::new().text("offering", offering_title);
                let rows = vec![
                    self.row("label-shares-allotted", self.shares(*shares)?)?,
                    self.row("label-security", self.word("security", security_type)?)?,
                    self.row(
                        "label-price-per-share",
                        self.money(*price_per_share, currency),
                    )?,
                    self.row("label-amount", self.money(*amount, currency))?,
                    self.row(
                        "label-date",
                        self.reader.time_zone.format_date(*at, self.locale()),
                    )?,
                ];
                let blocks = vec![
                    self.paragraph("email-shares-allotted-body", args.clone())?,
                    Block::Details { rows },
                    self.paragraph("email-shares-allotted-holdings", args.clone())?,
                ];
                self.start("shares-allotted", &args, blocks)
            }
            Message::OfferingClosed {
                offering_title,
                status,
            } => {
                let name = match status.as_str() {
                    "funded" => "offering-funded",
                    "failed" => "offering-failed",
                    _ => "offering-cancelled",
                };
                let args = Args::new().text("offering", offering_title);
                let blocks = vec![self.paragraph(&format!("email-{name}-body"), args.clone())?];
                self.start(name, &args, blocks)
            }
            Message::OfferingClosedSponsor {
                offering_title,
                status,
                raised,
                currency,
            } => {
                let args = Args::new()
                    .text("offering", offering_title)
                    .text("status", self.word("status", status)?);
                let rows = vec![self.row("label-raised", self.money(*raised, currency))?];
                let blocks = vec![
                    self.paragraph("email-offering-closed-sponsor-body", args.clone())?,
                    Block::Details { rows },
                ];
                self.start("offering-closed-sponsor", &args, blocks)
            }
            Message::OfferingSettledSponsor {
                offering_title,
                gross,
                fee,
                fee_bps,
                net,
                currency,
            } => {
                let args = Args::new().text("offering", offering_title);
                let fee_text = self.t(
                    "fee-with-rate",
                    Args::new()
                        .text("fee", self.money(*fee, currency))
                        .text("percent", percent(*fee_bps)),
                )?;
                let rows = vec![
                    self.row("label-raised", self.money(*gross, currency))?,
                    self.row("label-platform-fee", fee_text)?,
                    self.row("label-payout", self.money(*net, currency))?,
                ];
                let blocks = vec![
                    self.paragraph("email-offering-settled-sponsor-body", args.clone())?,
                    Block::Details { rows },
                    self.paragraph("email-offering-settled-sponsor-withdraw", args.clone())?,
                ];
                self.start("offering-settled-sponsor", &args, blocks)
            }
            Message::LeadWithdrawn {
                offering_title,
                deadline,
                offering_url,
                reminder,
            } => {
                let args = Args::new()
                    .text("offering", offering_title)
                    .text("deadline", self.time(*deadline));
                let rows = vec![self.row("label-deadline", self.time(*deadline))?];
                let blocks = vec![
                    self.paragraph("email-lead-withdrawn-body", args.clone())?,
                    Block::Details { rows },
                    self.button("button-view-offering", offering_url)?,
                    self.paragraph("email-material-change-reconfirm", args.clone())?,
                ];
                let name = if *reminder {
                    "lead-withdrawn-reminder"
                } else {
                    "lead-withdrawn"
                };
                self.start(name, &args, blocks)
            }
            Message::MaterialChange {
                offering_title,
                document_kind,
                file_name,
                version,
                reason,
                deadline,
                documents_url,
                reminder,
            } => {
                let args = Args::new()
                    .text("offering", offering_title)
                    .text("document", self.word("document", document_kind)?)
                    .text("deadline", self.time(*deadline));
                let rows = vec![
                    self.row("label-document", file_name.clone())?,
                    self.row("label-version", version.to_string())?,
                    self.row("label-deadline", self.time(*deadline))?,
                ];
                let blocks = vec![
                    self.paragraph("email-material-change-body", args.clone())?,
                    Block::Details { rows },
                    self.paragraph("email-material-change-reason", args.clone())?,
                    Block::Quote {
                        text: reason.clone(),
                    },
                    self.button("button-read-documents", documents_url)?,
                    self.paragraph("email-material-change-reconfirm", args.clone())?,
                ];
                let name = if *reminder {
                    "material-change-reminder"
                } else {
                    "material-change"
                };
                self.start(name, &args, blocks)
            }
            Message::DocumentAmended {
                offering_title,
                document_kind,
                file_name,
                version,
                documents_url,
            } => {
                let args = Args::new()
                    .text("offering", offering_title)
                    .text("document", self.word("document", document_kind)?);
                let rows = vec![
                    self.row("label-document", file_name.clone())?,
                    self.row("label-version", version.to_string())?,
                ];
                let blocks = vec![
                    self.paragraph("email-document-amended-body", args.clone())?,
                    Block::Details { rows },
                    self.button("button-read-documents", documents_url)?,
                    self.paragraph("email-document-amended-stands", args.clone())?,
                ];
                self.start("document-amended", &args, blocks)
            }
            Message::OfferingUpdate {
                offering_title,
                title,
                body,
                url,
            } => {
                let args = Args::new()
                    .text("offering", offering_title)
                    .text("title", title);
                let blocks = vec![
                    self.paragraph("email-offering-update-body", args.clone())?,
                    Block::Quote { text: body.clone() },
                    self.button("button-read-online", url)?,
                    self.paragraph("email-offering-update-why", args.clone())?,
                ];
                self.start("offering-update", &args, blocks)
            }
            Message::NewQuestion {
                offering_title,
                question,
                url,
            } => {
                let args = Args::new().text("offering", offering_title);
                let blocks = vec![
                    self.paragraph("email-new-question-body", args.clone())?,
                    Block::Quote {
                        text: question.clone(),
                    },
                    self.button("button-read-thread", url)?,
                    self.paragraph("email-new-question-answer", args.clone())?,
                ];
                self.start("new-question", &args, blocks)
            }
            Message::QuestionAnswered {
                offering_title,
                answer,
                url,
            } => {
                let args = Args::new().text("offering", offering_title);
                let blocks = vec![
                    self.paragraph("email-question-answered-body", args.clone())?,
                    Block::Quote {
                        text: answer.clone(),
                    },
                    self.button("button-read-thread", url)?,
                ];
                self.start("question-answered", &args, blocks)
            }
        }
    }

    /// Money that moved to or from the reader's account, by reference.
    fn transfer(
        &self,
        name: &str,
        reference: &str,
        amount: i64,
        currency: &str,
    ) -> Result<Content, MissingText> {
        let args = Args::new()
            .text("reference", reference)
            .text("amount", self.money(amount, currency));
        let rows = vec![
            self.row("label-reference", reference.to_string())?,
            self.row("label-amount", self.money(amount, currency))?,
        ];
        let blocks = vec![
            self.paragraph(&format!("email-{name}-body"), args.clone())?,
            Block::Details { rows },
            self.paragraph(&format!("email-{name}-next"), args.clone())?,
        ];
        self.start(name, &args, blocks)
    }

    /// A subscription that ended with the money back in the account.
    fn subscription_ended(
        &self,
        name: &str,
        offering: &str,
        shares: i64,
        amount: i64,
        currency: &str,
    ) -> Result<Content, MissingText> {
        let args = Args::new()
            .text("offering", offering)
            .text("shares", self.shares(shares)?)
            .text("amount", self.money(amount, currency));
        let rows = vec![
            self.row("label-offering", offering.to_string())?,
            self.row("label-shares", self.shares(shares)?)?,
            self.row("label-amount-returned", self.money(amount, currency))?,
        ];
        let blocks = vec![
            self.paragraph(&format!("email-{name}-body"), args.clone())?,
            Block::Details { rows },
        ];
        self.start(name, &args, blocks)
    }
}

/// Basis points as a percentage: 500 → `5`, 250 → `2.5`, 125 → `1.25`.
fn percent(bps: i64) -> String {
    let whole = bps / 100;
    let rest = (bps % 100).abs();
    match rest {
        0 => whole.to_string(),
        r if r % 10 == 0 => format!("{whole}.{}", r / 10),
        r => format!("{whole}.{r:02}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::document::DocumentKind;
    use crate::domain::offering::{OfferingStatus, SECURITY_TYPES};

    #[test]
    fn every_enum_value_an_email_names_has_a_word_in_every_locale() {
        for locale in Locale::ALL {
            let reader = Reader {
                locale,
                time_zone: i18n::TimeZone::utc(),
            };
            let w = Writer { reader: &reader };
            for value in SECURITY_TYPES {
                let word = w.word("security", value).unwrap();
                assert!(!word.contains('_'), "{locale}: {word}");
            }
            for status in OfferingStatus::ALL {
                w.word("status", status.as_str()).unwrap();
            }
            for kind in DocumentKind::ALL {
                let word = w.word("document", kind.as_str()).unwrap();
                assert!(!word.contains('_'), "{locale}: {word}");
            }
        }
    }

    #[test]
    fn basis_points_read_as_percent() {
        assert_eq!(percent(500), "5");
        assert_eq!(percent(250), "2.5");
        assert_eq!(percent(125), "1.25");
        assert_eq!(percent(5), "0.05");
        assert_eq!(percent(0), "0");
    }
}
