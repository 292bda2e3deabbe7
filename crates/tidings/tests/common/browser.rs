//! Headless Chromium for the browser tests, driven over WebDriver by
//! fantoccini through Debian's chromedriver. Without `/usr/bin/chromium` and
//! `/usr/bin/chromedriver` the browser tests are skipped with a notice,
//! unless `TIDINGS_REQUIRE_BROWSER=1` makes that a failure.

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::json;

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
/// How long a page gets to show what a test waits for.
const PATIENCE: Duration = Duration::from_secs(15);

/// A chromedriver process of one test; it is killed on drop.
pub struct Driver {
    child: Child,
    url: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Driver {
    /// Starts chromedriver on a free port, or `None` when the browser tests
    /// are skipped.
    pub async fn start() -> Option<Self> {
        if !Path::new(CHROMIUM).exists() || !Path::new(CHROMEDRIVER).exists() {
            let required = std::env::var("TIDINGS_REQUIRE_BROWSER").is_ok_and(|v| v == "1");
            assert!(
                !required,
                "TIDINGS_REQUIRE_BROWSER=1 but {CHROMIUM} or {CHROMEDRIVER} is missing (apt-get install chromium chromium-driver)"
            );
            eprintln!("skipping a browser test: install chromium and chromium-driver to run it");
            return None;
        }
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let child = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let driver = Self {
            child,
            url: format!("http://127.0.0.1:{port}"),
        };
        let started = Instant::now();
        while reqwest::get(format!("{}/status", driver.url))
            .await
            .is_err()
        {
            assert!(started.elapsed() < PATIENCE, "chromedriver did not answer");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Some(driver)
    }

    /// A new headless browser (its own profile, like a separate person).
    pub async fn browser(&self) -> Browser {
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": CHROMIUM,
                "args": ["--headless", "--no-sandbox", "--disable-gpu",
                         "--disable-background-networking", "--disable-dev-shm-usage",
                         "--window-size=1360,960", "--lang=zh-CN"],
            }),
        );
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(caps)
            .connect(&self.url)
            .await
            .expect("a browser session");
        Browser { client }
    }
}

pub struct Browser {
    pub client: Client,
}

impl Browser {
    pub async fn goto(&self, url: &str) {
        self.client.goto(url).await.expect("navigates");
    }

    /// The first element matching `css`, once it is there.
    pub async fn find(&self, css: &str) -> Element {
        self.client
            .wait()
            .at_most(PATIENCE)
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no {css}: {e}"))
    }

    pub async fn fill(&self, css: &str, text: &str) {
        let e = self.find(css).await;
        e.clear().await.expect("clears");
        e.send_keys(text).await.expect("types");
    }

    pub async fn click(&self, css: &str) {
        self.find(css).await.click().await.expect("clicks");
    }

    pub async fn select(&self, css: &str, value: &str) {
        // Options are loaded with the page's data: wait for this one.
        self.find(&format!("{css} option[value=\"{value}\"]")).await;
        self.find(css)
            .await
            .select_by_value(value)
            .await
            .expect("selects");
    }

    /// The text of `css` once `check` accepts it.
    pub async fn text_where(&self, css: &str, check: impl Fn(&str) -> bool) -> String {
        let started = Instant::now();
        let mut last = String::new();
        loop {
            if let Ok(e) = self.client.find(Locator::Css(css)).await {
                if let Ok(t) = e.text().await {
                    if check(&t) {
                        return t;
                    }
                    last = t;
                }
            }
            assert!(
                started.elapsed() < PATIENCE,
                "{css} never matched; last text: {last:?}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Saves a screenshot when `TIDINGS_SCREENSHOTS` names a directory.
    pub async fn screenshot(&self, name: &str) {
        let Ok(dir) = std::env::var("TIDINGS_SCREENSHOTS") else {
            return;
        };
        let png = self.client.screenshot().await.expect("a screenshot");
        std::fs::create_dir_all(&dir).expect("screenshot directory");
        std::fs::write(Path::new(&dir).join(format!("{name}.png")), png).expect("saves");
    }

    pub async fn close(self) {
        let _ = self.client.close().await;
    }
}
