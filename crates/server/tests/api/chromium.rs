//! One headless Chromium for every browser test: Debian's `chromium` driven through its
//! `chromedriver` with fantoccini, each session with its own driver (in its own process group,
//! stopped on drop even when a test fails) and a fresh profile.
//!
//! Without `/usr/bin/chromium` and `/usr/bin/chromedriver` a test skips with a loud message,
//! except under `CI=true`, where that is a failure (`scripts/test` installs both).

use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

use crate::common::{TestApp, TestOrg};

pub const CHROMIUM: &str = "/usr/bin/chromium";
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
/// How long any one thing may take to appear before a test fails.
pub const PATIENCE: Duration = Duration::from_secs(15);

/// A headless Chromium session with its own chromedriver and a fresh profile.
pub struct Browser {
    pub client: Client,
    driver: Child,
    _profile: tempfile::TempDir,
}

impl Browser {
    /// `None` (after saying so loudly) when Chromium is not installed, outside CI.
    pub async fn start() -> Option<Browser> {
        let missing: Vec<_> = [CHROMIUM, CHROMEDRIVER]
            .into_iter()
            .filter(|p| !Path::new(p).exists())
            .collect();
        if !missing.is_empty() {
            let message = format!(
                "browser tests need {missing:?} (Debian packages chromium and chromium-driver; scripts/test installs them)"
            );
            if std::env::var("CI").is_ok_and(|v| v == "true") {
                panic!("{message}");
            }
            eprintln!("SKIPPED: {message}");
            return None;
        }
        let port = free_port();
        let driver = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            // Its own process group, so a failed test can stop the driver and its browser.
            .process_group(0)
            .spawn()
            .expect("chromedriver starts");
        let profile = tempfile::tempdir().expect("profile dir");
        let mut browser_guard = DriverGuard(Some(driver));
        wait_for_port(port).await;
        let args = [
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--window-size=1280,900",
            &format!("--user-data-dir={}", profile.path().display()),
        ];
        let mut capabilities = serde_json::Map::new();
        capabilities.insert(
            "goog:chromeOptions".into(),
            json!({"binary": CHROMIUM, "args": args}),
        );
        // Keep the console, so a test can read what the page logged (CSP refusals included).
        capabilities.insert("goog:loggingPrefs".into(), json!({"browser": "ALL"}));
        let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(capabilities)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .expect("a Chromium session through chromedriver");
        Some(Browser {
            client,
            driver: browser_guard.0.take().expect("driver"),
            _profile: profile,
        })
    }

    pub async fn goto(&self, app: &TestApp, path: &str) {
        self.client.goto(&app.url(path)).await.expect("page loads");
    }

    pub async fn find(&self, css: &str) -> Element {
        self.client
            .wait()
            .at_most(PATIENCE)
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no `{css}` on the page: {e}"))
    }

    /// The text of `css` once it is on the page.
    pub async fn text(&self, css: &str) -> String {
        self.find(css).await.text().await.unwrap_or_default()
    }

    /// Waits until the text of `css` satisfies `ok`; returns it.
    pub async fn wait_text(&self, css: &str, ok: impl Fn(&str) -> bool) -> String {
        let started = Instant::now();
        let mut last = String::new();
        while started.elapsed() < PATIENCE {
            if let Ok(element) = self.client.find(Locator::Css(css)).await {
                if let Ok(text) = element.text().await {
                    if ok(&text) {
                        return text;
                    }
                    last = text;
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("`{css}` never showed the expected text; last seen: {last:?}");
    }

    pub async fn type_into(&self, css: &str, text: &str) {
        let field = self.find(css).await;
        field.clear().await.expect("clear");
        field.send_keys(text).await.expect("type");
    }

    pub async fn click(&self, css: &str) {
        self.find(css).await.click().await.expect("click");
    }

    /// Scrolls `css` to the middle of the window first, as a person scrolls what they want to
    /// tap out from under a bar fixed to the bottom of a phone's screen; then clicks it.
    pub async fn click_in_view(&self, css: &str) {
        let element = self.find(css).await;
        let as_json = serde_json::to_value(&element).expect("element as JSON");
        self.client
            .execute(
                "arguments[0].scrollIntoView({block: 'center'})",
                vec![as_json],
            )
            .await
            .expect("scrolled");
        element.click().await.expect("click");
    }

    /// Logs in through the form and waits for the start page.
    pub async fn log_in(&self, app: &TestApp, org: &TestOrg) {
        self.goto(app, "/login").await;
        self.type_into("#email", &org.admin_email).await;
        self.type_into("#password", &org.admin_password).await;
        self.click("form[action='/login'] button[type=submit]")
            .await;
        self.find("nav.sidenav").await;
    }

    /// The console messages logged since the last call (chromedriver hands each out once).
    pub async fn console(&self) -> Vec<String> {
        let entries = self
            .client
            .issue_cmd(BrowserLog)
            .await
            .expect("the browser's console log");
        entries
            .as_array()
            .map(|entries| {
                entries
                    .iter()
                    .filter_map(|e| e["message"].as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Resizes the window (the viewport follows: 390 is a phone's width).
    pub async fn resize(&self, width: u32, height: u32) {
        self.client
            .set_window_size(width, height)
            .await
            .expect("window resized");
    }

    /// By how many CSS pixels the page is wider than the window: above 0, a visitor must scroll
    /// sideways.
    pub async fn horizontal_overflow(&self) -> i64 {
        let value = self
            .client
            .execute(
                "return document.documentElement.scrollWidth - document.documentElement.clientWidth",
                vec![],
            )
            .await
            .expect("script");
        value.as_i64().unwrap_or(i64::MAX)
    }

    /// PNGs of the page at a laptop's and a phone's width in `$FULLHOUSE_SCREENSHOTS`, when
    /// set (`<name>-1400.png`, `<name>-390.png`), to look at what a test walked through.
    pub async fn screenshots(&self, name: &str) {
        let Ok(dir) = std::env::var("FULLHOUSE_SCREENSHOTS") else {
            return;
        };
        std::fs::create_dir_all(&dir).expect("screenshot dir");
        for width in [1400, 390] {
            self.resize(width, 1800).await;
            let png = self.client.screenshot().await.expect("screenshot");
            std::fs::write(format!("{dir}/{name}-{width}.png"), png).expect("png written");
        }
        self.resize(1400, 1000).await;
    }

    /// Goes to an absolute address (a link read from a mail).
    pub async fn goto_url(&self, url: &str) {
        self.client.goto(url).await.expect("page loads");
    }

    /// The path (and query) of the page the browser shows.
    pub async fn path(&self) -> String {
        let url = self.client.current_url().await.expect("current url");
        match url.query() {
            Some(query) => format!("{}?{query}", url.path()),
            None => url.path().to_string(),
        }
    }

    pub async fn lang_attribute(&self) -> String {
        let value = self
            .client
            .execute("return document.documentElement.lang", vec![])
            .await
            .expect("script");
        value.as_str().unwrap_or_default().to_string()
    }

    /// Ends the session (chromedriver closes Chromium), then the driver.
    pub async fn finish(mut self) {
        let _ = self.client.clone().close().await;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// chromedriver's `POST /session/{id}/se/log` with `{"type": "browser"}`: the console.
#[derive(Debug)]
struct BrowserLog;

impl fantoccini::wd::WebDriverCompatibleCommand for BrowserLog {
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

    fn method_and_body(&self, _url: &url::Url) -> (axum::http::Method, Option<String>) {
        (
            axum::http::Method::POST,
            Some(json!({"type": "browser"}).to_string()),
        )
    }
}

/// Stops chromedriver and everything it started when a test fails before `finish`.
struct DriverGuard(Option<Child>);

impl Drop for DriverGuard {
    fn drop(&mut self) {
        if let Some(child) = self.0.take() {
            kill_group(child);
        }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if let Ok(None) = self.driver.try_wait() {
            let _ = Command::new("kill")
                .args(["-KILL", "--", &format!("-{}", self.driver.id())])
                .status();
            let _ = self.driver.wait();
        }
    }
}

fn kill_group(mut child: Child) {
    let _ = Command::new("kill")
        .args(["-KILL", "--", &format!("-{}", child.id())])
        .status();
    let _ = child.wait();
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

async fn wait_for_port(port: u16) {
    let started = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            started.elapsed() < PATIENCE,
            "chromedriver did not listen on {port}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
