//! The operator console: a small single-page application served at
//! `/console/`. Its files are compiled into the binary (nothing is fetched at
//! run time) and it talks to the same public JSON API as every other client,
//! holding its tokens in the page's memory only. The server's part is just
//! this: answering the files, under a Content-Security-Policy that allows
//! only the console's own scripts, styles and API calls.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};

use crate::api::problems::route_not_found;
use crate::error::ApiError;

/// The policy of every answer under `/console` (see `api::security_headers`):
/// scripts, styles, images and connections from this origin only; no inline
/// script or style, no `eval`, no plugins, forms post nowhere, never framed.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
     style-src 'self'; img-src 'self'; connect-src 'self'; base-uri 'none'; \
     form-action 'none'; frame-ancestors 'none'";

/// Where the console lives.
pub const PREFIX: &str = "/console";

struct Asset {
    path: &'static str,
    content_type: &'static str,
    body: &'static [u8],
}

macro_rules! asset {
    ($path:literal, $content_type:expr) => {
        Asset {
            path: $path,
            content_type: $content_type,
            body: include_bytes!(concat!("assets/", $path)),
        }
    };
}

const JS: &str = "text/javascript; charset=utf-8";

/// Every file of the console; `index.html` also answers `/console/`.
const ASSETS: &[Asset] = &[
    asset!("index.html", "text/html; charset=utf-8"),
    asset!("console.css", "text/css; charset=utf-8"),
    asset!("favicon.svg", "image/svg+xml"),
    asset!("api.js", JS),
    asset!("app.js", JS),
    asset!("chart.js", JS),
    asset!("dom.js", JS),
    asset!("format.js", JS),
    asset!("views/audit.js", JS),
    asset!("views/bank.js", JS),
    asset!("views/closing.js", JS),
    asset!("views/kyc.js", JS),
    asset!("views/launches.js", JS),
    asset!("views/ledger.js", JS),
    asset!("views/offerings.js", JS),
    asset!("views/reconciliation.js", JS),
    asset!("views/users.js", JS),
];

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route(PREFIX, web::get().to(to_index))
        .route("/console/", web::get().to(index))
        .route("/console/{path:.+}", web::get().to(file));
}

/// `/console` -> `/console/`, so relative module paths resolve.
async fn to_index() -> HttpResponse {
    HttpResponse::PermanentRedirect()
        .insert_header((header::LOCATION, "/console/"))
        .finish()
}

async fn index() -> HttpResponse {
    serve(&ASSETS[0])
}

async fn file(req: HttpRequest, path: web::Path<String>) -> Result<HttpResponse, ApiError> {
    match ASSETS.iter().find(|a| a.path == path.as_str()) {
        Some(asset) => Ok(serve(asset)),
        None => route_not_found(req).await,
    }
}

fn serve(asset: &Asset) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(asset.content_type)
        // Always revalidated: an upgraded server serves its own console.
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .body(asset.body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_allows_nothing_inline() {
        assert!(!CONTENT_SECURITY_POLICY.contains("unsafe"));
        assert!(CONTENT_SECURITY_POLICY.contains("script-src 'self'"));
    }

    #[test]
    fn every_module_the_console_imports_is_served() {
        // An `import ... from "./x.js"` of a file missing from ASSETS would
        // only fail in a browser; catch it here.
        for asset in ASSETS.iter().filter(|a| a.path.ends_with(".js")) {
            let text = std::str::from_utf8(asset.body).unwrap();
            let dir = asset.path.rsplit_once('/').map_or("", |(d, _)| d);
            for line in text.lines().filter(|l| l.starts_with("import ")) {
                let Some(spec) = line.split('"').nth(1) else {
                    continue;
                };
                let resolved = resolve(dir, spec);
                assert!(
                    ASSETS.iter().any(|a| a.path == resolved),
                    "{} imports {spec} ({resolved}), which is not served",
                    asset.path
                );
            }
        }
    }

    fn resolve(dir: &str, spec: &str) -> String {
        let mut parts: Vec<&str> = dir.split('/').filter(|p| !p.is_empty()).collect();
        for segment in spec.split('/') {
            match segment {
                "." => {}
                ".." => {
                    parts.pop();
                }
                s => parts.push(s),
            }
        }
        parts.join("/")
    }
}
