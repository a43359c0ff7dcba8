//! Text that people post and other people's browsers render: plain text, or
//! a safe subset of Markdown, turned into HTML that can run nothing.
//!
//! The subset: paragraphs, emphasis, strong, strikethrough, headings,
//! lists, quotes, code, rules and links to `http`, `https` and `mailto`
//! addresses. Raw HTML is shown as the text it is, never passed through;
//! links to any other scheme (`javascript:`, `data:`) keep their text and
//! lose the link; images become their alt text (no remote image loads when
//! a reader opens an update).

use pulldown_cmark::{html, Event, Options, Parser, Tag, TagEnd};

/// How a body is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyFormat {
    Text,
    Markdown,
}

impl BodyFormat {
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "text" => Some(Self::Text),
            "markdown" => Some(Self::Markdown),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Text => "text",
            Self::Markdown => "markdown",
        }
    }
}

/// The body as HTML safe to insert into a page.
pub fn to_html(body: &str, format: BodyFormat) -> String {
    match format {
        BodyFormat::Text => text_html(body),
        BodyFormat::Markdown => markdown_html(body),
    }
}

/// `&`, `<`, `>`, `"` and `'` as entities.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Paragraphs at blank lines, line breaks kept, everything escaped.
fn text_html(body: &str) -> String {
    body.split("\n\n")
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| {
            let lines: Vec<String> = p.lines().map(escape).collect();
            format!("<p>{}</p>\n", lines.join("<br>\n"))
        })
        .collect()
}

fn safe_link(url: &str) -> bool {
    let url = url.trim_start().to_ascii_lowercase();
    ["https://", "http://", "mailto:"]
        .iter()
        .any(|scheme| url.starts_with(scheme))
}

fn markdown_html(body: &str) -> String {
    let parser = Parser::new_ext(body, Options::ENABLE_STRIKETHROUGH);
    // Whether each open link was kept: links do not nest, but a refused
    // one's end must be dropped with it.
    let mut links: Vec<bool> = Vec::new();
    let events = parser.filter_map(|event| match event {
        Event::Html(raw) | Event::InlineHtml(raw) => Some(Event::Text(raw)),
        Event::Start(Tag::HtmlBlock) => Some(Event::Start(Tag::Paragraph)),
        Event::End(TagEnd::HtmlBlock) => Some(Event::End(TagEnd::Paragraph)),
        Event::Start(Tag::Image { .. }) | Event::End(TagEnd::Image) => None,
        Event::Start(Tag::Link {
            link_type,
            dest_url,
            title,
            id,
        }) => {
            let keep = safe_link(&dest_url);
            links.push(keep);
            keep.then_some(Event::Start(Tag::Link {
                link_type,
                dest_url,
                title,
                id,
            }))
        }
        Event::End(TagEnd::Link) => links
            .pop()
            .unwrap_or(false)
            .then_some(Event::End(TagEnd::Link)),
        other => Some(other),
    });
    let mut out = String::with_capacity(body.len() * 3 / 2);
    html::push_html(&mut out, events);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn md(s: &str) -> String {
        to_html(s, BodyFormat::Markdown)
    }

    #[test]
    fn markdown_renders_the_subset() {
        assert_eq!(
            md("Hello **world**, _all_ ~~none~~"),
            "<p>Hello <strong>world</strong>, <em>all</em> <del>none</del></p>\n"
        );
        assert_eq!(
            md("[site](https://example.com/a?b=1&c=2)"),
            "<p><a href=\"https://example.com/a?b=1&amp;c=2\">site</a></p>\n"
        );
        assert!(md("- one\n- two").contains("<li>one</li>"));
    }

    #[test]
    fn raw_html_is_shown_as_text() {
        let out = md("<script>alert(1)</script>\n\nSee <img src=x onerror=alert(1)> here");
        assert!(!out.contains("<script"), "{out}");
        assert!(!out.contains("<img"), "{out}");
        assert!(
            out.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
            "{out}"
        );
        assert!(out.contains("&lt;img src=x onerror=alert(1)&gt;"), "{out}");
    }

    #[test]
    fn only_web_and_mail_links_are_kept() {
        for url in [
            "javascript:alert(1)",
            "JaVaScRiPt:alert(1)",
            "data:text/html;base64,PHNjcmlwdD4=",
            "vbscript:x",
            "/relative",
        ] {
            let out = md(&format!("[click]({url})"));
            assert_eq!(out, "<p>click</p>\n", "{url}");
        }
        // An autolink to a refused scheme keeps its text only.
        assert_eq!(md("<javascript:alert(1)>"), "<p>javascript:alert(1)</p>\n");
        assert!(md("[mail](mailto:ir@example.com)").contains("href=\"mailto:ir@example.com\""));
    }

    #[test]
    fn images_become_their_alt_text() {
        assert_eq!(
            md("![a chart](https://t.example/pixel.gif)"),
            "<p>a chart</p>\n"
        );
    }

    #[test]
    fn plain_text_is_escaped_with_its_paragraphs_and_lines() {
        assert_eq!(
            to_html("a < b & \"c\"\nnext\n\n<script>x</script>", BodyFormat::Text),
            "<p>a &lt; b &amp; &quot;c&quot;<br>\nnext</p>\n<p>&lt;script&gt;x&lt;/script&gt;</p>\n"
        );
    }
}
