//! An outbox message made into what is sent: the subject, the plain-text
//! part and the HTML part, in the reader's language and time zone.

use crate::i18n::{Locale, Reader};

use super::message::Message;
use super::{content, layout};

#[derive(Debug, Clone)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// `message` for `reader`. Strict: a text missing in the reader's language
/// is an error (see [`render_for`] for what the relay sends then).
pub fn render(message: &Message, reader: &Reader) -> anyhow::Result<Rendered> {
    let content = content::write(message, reader)?;
    let html = layout::html(&content).map_err(anyhow::Error::msg)?;
    Ok(Rendered {
        subject: content.subject.clone(),
        text: layout::text(&content),
        html,
    })
}

/// What the relay sends: `message` in the reader's language, or, should
/// that language lack a text (a test fails first), in English rather than
/// not at all.
pub fn render_for(message: &Message, reader: &Reader) -> anyhow::Result<Rendered> {
    render(message, reader).or_else(|e| {
        tracing::warn!(kind = message.kind(), locale = %reader.locale, error = %e,
            "email text missing; sent in English");
        let english = Reader {
            locale: Locale::En,
            time_zone: reader.time_zone,
        };
        render(message, &english)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::TimeZone;
    use crate::mail::content::{Block, Content};
    use crate::mail::samples;

    fn reader(locale: Locale) -> Reader {
        let zone = match locale {
            Locale::En => "America/New_York",
            Locale::ZhCn => "Asia/Shanghai",
        };
        Reader {
            locale,
            time_zone: TimeZone::parse(zone).unwrap(),
        }
    }

    /// The words of a content, each of which both parts must say.
    fn words(c: &Content) -> Vec<String> {
        let mut out = vec![c.heading.clone(), c.footer.clone()];
        for block in &c.blocks {
            match block {
                Block::Paragraph { text } => out.push(text.clone()),
                Block::Details { rows } => {
                    for row in rows {
                        out.push(row.label.clone());
                        out.push(row.value.clone());
                    }
                }
                Block::Button { label, url } => {
                    out.push(label.clone());
                    out.push(url.clone());
                }
                Block::Quote { text } => out.extend(text.lines().map(str::to_string)),
            }
        }
        out
    }

    fn squash(s: &str) -> String {
        s.split_whitespace().collect::<Vec<_>>().join(" ")
    }

    #[test]
    fn every_kind_renders_in_every_locale_and_both_parts_say_the_same() {
        let raw_enums = [
            "common_equity",
            "preferred_equity",
            "offering_memorandum",
            "financial_statements",
            "funded",
            "failed",
        ];
        for locale in Locale::ALL {
            for message in samples::all() {
                let kind = message.kind();
                let r = reader(locale);
                let content = content::write(&message, &r)
                    .unwrap_or_else(|e| panic!("{kind} in {locale}: {e}"));
                let out = render(&message, &r).unwrap();
                for part in [&out.subject, &out.text, &out.html] {
                    assert!(!part.contains('{') || part == &out.html, "{kind}: {part}");
                    assert!(!part.contains("Unknown localization"), "{kind}: {part}");
                }
                for word in raw_enums {
                    // Enum values never reach the words; "funded" as an
                    // English word may (it is the status written out).
                    if locale == Locale::ZhCn || word.contains('_') {
                        assert!(!out.text.contains(word), "{kind} {locale}: {}", out.text);
                    }
                }
                // The HTML part: a document a browser parses without an
                // error, in the reader's language, loading nothing.
                let doc = scraper::Html::parse_document(&out.html);
                assert!(doc.errors.is_empty(), "{kind} {locale}: {:?}", doc.errors);
                assert!(
                    out.html.contains(&format!("lang=\"{}\"", locale.tag())),
                    "{kind}"
                );
                for external in ["src=", "<link", "@import", "url("] {
                    assert!(!out.html.contains(external), "{kind} loads {external}");
                }
                let anchors = scraper::Selector::parse("a[href]").unwrap();
                for a in doc.select(&anchors) {
                    let href = a.value().attr("href").unwrap_or_default();
                    let ours = content
                        .blocks
                        .iter()
                        .any(|b| matches!(b, Block::Button { url, .. } if url == href));
                    assert!(ours, "{kind}: a link that is not the message's: {href}");
                }
                // Both parts say every word of the content.
                let visible = squash(&doc.root_element().text().collect::<String>());
                let text = squash(&out.text);
                for word in words(&content) {
                    let word = squash(&word);
                    assert!(text.contains(&word), "{kind} {locale} text lacks {word:?}");
                    assert!(
                        visible.contains(&word),
                        "{kind} {locale} HTML lacks {word:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn money_plurals_and_times_follow_the_reader() {
        let all = samples::all();
        let find = |kind: &str| all.iter().find(|m| m.kind() == kind).unwrap().clone();
        let confirmed = find("subscription_confirmed");
        let zh = render(&confirmed, &reader(Locale::ZhCn)).unwrap();
        for needle in [
            "¥100.00",
            "12 股",
            "¥1,200.00",
            "普通股",
            "2026年12月7日 09:30（Asia/Shanghai）",
        ] {
            assert!(zh.text.contains(needle), "{needle} not in {}", zh.text);
        }
        let en = render(&confirmed, &reader(Locale::En)).unwrap();
        for needle in [
            "CN¥100.00",
            "12 shares",
            "CN¥1,200.00",
            "common equity",
            "6 December 2026, 20:30 (America/New_York)",
        ] {
            assert!(en.text.contains(needle), "{needle} not in {}", en.text);
        }
        let one = render(&find("subscription_cancelled"), &reader(Locale::En)).unwrap();
        assert!(one.text.contains("1 share of Solar"), "{}", one.text);
        let many = render(&find("subscription_refunded"), &reader(Locale::En)).unwrap();
        assert!(many.text.contains("1,500 shares"), "{}", many.text);
        let usd = Message::DepositCredited {
            reference: "DEP-1".into(),
            amount: 123_450,
            currency: "USD".into(),
        };
        let en = render(&usd, &reader(Locale::En)).unwrap();
        assert!(en.text.contains("$1,234.50"), "{}", en.text);
        assert!(!en.text.contains("USD"), "{}", en.text);
    }

    #[test]
    fn what_people_wrote_is_escaped_in_html_and_kept_in_text() {
        let update = samples::all()
            .into_iter()
            .find(|m| m.kind() == "offering_update")
            .unwrap();
        let out = render(&update, &reader(Locale::En)).unwrap();
        assert!(
            out.html.contains("&lt;Monday&gt; &amp; ends"),
            "{}",
            out.html
        );
        assert!(!out.html.contains("<Monday>"));
        assert!(out
            .text
            .contains("> Installation starts <Monday> & ends in May."));
        let hostile = Message::NewQuestion {
            offering_title: "<script>alert(1)</script>".into(),
            question: "\"><img src=x onerror=alert(1)>".into(),
            url: "https://crowdfund.example/q/1".into(),
        };
        let out = render(&hostile, &reader(Locale::ZhCn)).unwrap();
        assert!(!out.html.contains("<script>alert"), "{}", out.html);
        assert!(!out.html.contains("<img"), "{}", out.html);
        assert!(out.subject.contains("<script>alert(1)</script>"));
    }
}
