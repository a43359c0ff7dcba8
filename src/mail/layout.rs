//! The two parts of every email, from one [`Content`]: responsive HTML
//! (an MJML layout, rendered to HTML once, then filled in by minijinja with
//! every value HTML-escaped) and plain text saying the same.

use std::sync::OnceLock;

use super::content::{Block, Content};

const LAYOUT_MJML: &str = include_str!("layout.mjml");
const TEMPLATE: &str = "email.html";

/// The layout as a minijinja environment: MJML to HTML costs milliseconds,
/// so it is done once; filling it in costs microseconds.
fn environment() -> Result<&'static minijinja::Environment<'static>, String> {
    static ENV: OnceLock<Result<minijinja::Environment<'static>, String>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mjml = mrml::parse(LAYOUT_MJML).map_err(|e| format!("email layout: {e}"))?;
        let options = mrml::prelude::render::RenderOptions {
            // No web fonts: an email loads nothing from elsewhere.
            fonts: Default::default(),
            ..Default::default()
        };
        let html = mjml
            .element
            .render(&options)
            .map_err(|e| format!("email layout: {e}"))?;
        let mut env = minijinja::Environment::new();
        // Named .html, so every value is HTML-escaped.
        env.add_template_owned(TEMPLATE, html)
            .map_err(|e| format!("email layout: {e}"))?;
        Ok(env)
    })
    .as_ref()
    .map_err(Clone::clone)
}

/// The HTML part.
pub fn html(content: &Content) -> Result<String, String> {
    let env = environment()?;
    let template = env.get_template(TEMPLATE).map_err(|e| e.to_string())?;
    template
        .render(minijinja::value::Serde(content))
        .map_err(|e| e.to_string())
}

/// The plain-text part: the same words, in the same order.
pub fn text(content: &Content) -> String {
    // Chinese text takes the full-width colon.
    let colon = if content.lang == "zh-CN" { "：" } else { ": " };
    let mut out = String::new();
    out.push_str(&content.heading);
    out.push_str("\n\n");
    for block in &content.blocks {
        match block {
            Block::Paragraph { text } => out.push_str(text),
            Block::Details { rows } => {
                for (i, row) in rows.iter().enumerate() {
                    if i > 0 {
                        out.push('\n');
                    }
                    out.push_str(&format!("{}{colon}{}", row.label, row.value));
                }
            }
            Block::Button { label, url } => {
                out.push_str(&format!("{label}{}\n{url}", colon.trim_end()))
            }
            Block::Quote { text } => {
                let quoted: Vec<String> = text.lines().map(|l| format!("> {l}")).collect();
                out.push_str(&quoted.join("\n"));
            }
        }
        out.push_str("\n\n");
    }
    out.push_str("-- \n");
    out.push_str(&content.footer);
    out.push('\n');
    out
}
