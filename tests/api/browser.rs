//! A real browser for the console's tests: Debian's headless Chromium driven
//! through chromedriver (WebDriver) with fantoccini. Each test gets its own
//! chromedriver, browser and profile directory, all gone when it ends.
//!
//! Under `CI=true` a missing browser fails the test; elsewhere the test says
//! it was skipped and why. `CHROMIUM` and `CHROMEDRIVER` name other binaries.
//! With `CONSOLE_SCREENSHOTS=<dir>` the tests save their screenshots there
//! (the README's come from `docs/console`).

use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::wd::{Capabilities, WebDriverCompatibleCommand};
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};

const WAIT: Duration = Duration::from_secs(30);

pub struct Browser {
    pub client: Client,
    driver: Child,
    _profile: tempfile::TempDir,
    /// Where the browser saves downloads.
    pub downloads: tempfile::TempDir,
}

impl Drop for Browser {
    fn drop(&mut self) {
        // chromedriver runs in a process group of its own, with the browser
        // it started: end them all, even when the test failed half-way.
        end_group(&mut self.driver);
    }
}

fn end_group(driver: &mut Child) {
    let _ = Command::new("kill")
        .args(["-KILL", "--", &format!("-{}", driver.id())])
        .status();
    let _ = driver.kill();
    let _ = driver.wait();
}

fn binary(var: &str, default: &str) -> Option<PathBuf> {
    let path = PathBuf::from(std::env::var(var).unwrap_or_else(|_| default.to_string()));
    path.exists().then_some(path)
}

/// A browser, or None (after saying why) when there is none and CI is unset.
pub async fn launch() -> Option<Browser> {
    let (Some(chromium), Some(chromedriver)) = (
        binary("CHROMIUM", "/usr/bin/chromium"),
        binary("CHROMEDRIVER", "/usr/bin/chromedriver"),
    ) else {
        let why = "no Chromium and chromedriver (apt-get install chromium chromium-driver, \
                   or set CHROMIUM and CHROMEDRIVER)";
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("the console's browser tests need a browser under CI=true: {why}");
        }
        eprintln!("SKIPPED: the console's browser test: {why}");
        return None;
    };
    let profile = tempfile::tempdir().unwrap();
    let downloads = tempfile::tempdir().unwrap();
    let mut caps = Capabilities::new();
    caps.insert("browserName".into(), json!("chrome"));
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": chromium,
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--disable-extensions",
                "--window-size=1280,1000", "--force-device-scale-factor=1",
                format!("--user-data-dir={}", profile.path().display()),
            ],
            "prefs": {
                "download.default_directory": downloads.path(),
                "download.prompt_for_download": false,
            },
        }),
    );
    // Everything the page logs, errors and CSP violations included.
    caps.insert("goog:loggingPrefs".into(), json!({"browser": "ALL"}));
    // The port is picked free and then handed over, so another test may
    // take it in between: then chromedriver exits, and another port is tried.
    for _ in 0..5 {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut driver = Command::new(&chromedriver)
            .arg(format!("--port={port}"))
            .process_group(0)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let webdriver = format!("http://127.0.0.1:{port}");
        for _ in 0..100 {
            if driver.try_wait().unwrap().is_some() {
                break;
            }
            let connected =
                ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
                    .capabilities(caps.clone())
                    .connect(&webdriver)
                    .await;
            if let Ok(client) = connected {
                return Some(Browser {
                    client,
                    driver,
                    _profile: profile,
                    downloads,
                });
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        end_group(&mut driver);
    }
    panic!("chromedriver did not start a session");
}

/// chromedriver's extension: the browser's log since the last call.
#[derive(Debug)]
struct BrowserLog;

impl WebDriverCompatibleCommand for BrowserLog {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/se/log",
            session_id.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        (
            http::Method::POST,
            Some(json!({"type": "browser"}).to_string()),
        )
    }
}

impl Browser {
    pub async fn goto(&self, url: &str) {
        self.client.goto(url).await.unwrap();
    }

    pub async fn find(&self, css: &str) -> fantoccini::elements::Element {
        self.client
            .wait()
            .at_most(WAIT)
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no {css} on the page: {e}"))
    }

    pub async fn click(&self, css: &str) {
        self.find(css).await.click().await.unwrap();
    }

    pub async fn type_into(&self, css: &str, text: &str) {
        let input = self.find(css).await;
        input.clear().await.unwrap();
        input.send_keys(text).await.unwrap();
    }

    /// Waits until the element's text contains `needle`; returns the text.
    pub async fn text_of(&self, css: &str, needle: &str) -> String {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let text = match self.client.find(Locator::Css(css)).await {
                Ok(el) => el.text().await.unwrap_or_default(),
                Err(_) => String::new(),
            };
            if text.contains(needle) {
                return text;
            }
            if tokio::time::Instant::now() > deadline {
                panic!("{css} never said {needle:?}; it says {text:?}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Runs `script` (a function body) in the page and returns its value.
    pub async fn run(&self, script: &str) -> Value {
        self.client.execute(script, vec![]).await.unwrap()
    }

    /// The page's log since the last call; fails on any error or
    /// Content-Security-Policy report, apart from entries containing one of
    /// `expected`. Returns every entry.
    pub async fn assert_clean_log(&self, expected: &[&str]) -> Vec<Value> {
        let log = self.client.issue_cmd(BrowserLog).await.unwrap();
        let entries = log.as_array().cloned().unwrap_or_default();
        let bad: Vec<&Value> = entries
            .iter()
            .filter(|e| {
                let message = e["message"].as_str().unwrap_or_default();
                (e["level"] == "SEVERE" || message.contains("Content Security Policy"))
                    && !expected.iter().any(|x| message.contains(x))
            })
            .collect();
        assert!(bad.is_empty(), "the console logged errors: {bad:#?}");
        entries
    }

    /// Waits for the browser to finish downloading `name`; returns its text.
    pub async fn downloaded(&self, name: &str) -> String {
        let path = self.downloads.path().join(name);
        let deadline = tokio::time::Instant::now() + WAIT;
        while !path.exists() {
            assert!(
                tokio::time::Instant::now() < deadline,
                "{name} was never downloaded"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        std::fs::read_to_string(path).unwrap()
    }

    /// Saves a screenshot as `<CONSOLE_SCREENSHOTS>/<name>.png` when asked to.
    pub async fn screenshot(&self, name: &str) {
        let Ok(dir) = std::env::var("CONSOLE_SCREENSHOTS") else {
            return;
        };
        let png = self.client.screenshot().await.unwrap();
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(PathBuf::from(dir).join(format!("{name}.png")), png).unwrap();
    }
}
