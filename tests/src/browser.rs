//! A real headless Chromium, driven over WebDriver (Debian's `chromium`
//! and `chromium-driver`, which `.ci/run` installs; `make test-browser`).

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use fantoccini::{Client, ClientBuilder};
use serde_json::json;

/// A chromedriver process and one browser session on it; both end when
/// this is dropped.
pub struct Browser {
    driver: Child,
    /// The WebDriver session.
    pub client: Client,
}

impl Browser {
    /// Starts chromedriver on a free port (waiting for the line in which
    /// it says it started) and opens a headless Chromium session.
    pub async fn start() -> Browser {
        // chromedriver cannot be told to pick a port itself (it reports
        // port 0), so one the system just handed out is passed on.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let mut driver = Command::new(
            std::env::var("GRANTTRAIL_TEST_CHROMEDRIVER").unwrap_or("chromedriver".into()),
        )
        .arg(format!("--port={port}"))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver (Debian's chromium-driver) is installed: `make test-browser`");
        let stdout = driver.stdout.take().expect("chromedriver's stdout");
        // Ready once it says so ("ChromeDriver was started successfully
        // on port N.").
        let started = BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            .any(|line| line.contains("started successfully"));
        assert!(started, "chromedriver did not start");
        let mut capabilities = serde_json::Map::new();
        capabilities.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": std::env::var("GRANTTRAIL_TEST_CHROMIUM")
                    .unwrap_or("/usr/bin/chromium".into()),
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu",
                         "--disable-dev-shm-usage", "--window-size=1280,900"]
            }),
        );
        let client = ClientBuilder::rustls()
            .expect("TLS roots for the WebDriver client")
            .capabilities(capabilities)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .expect("a Chromium session");
        Browser { driver, client }
    }

    /// Saves a PNG of the page as `target/ui-screenshots/NAME.png`, for a
    /// reviewer to look at.
    pub async fn screenshot(&self, name: &str) -> PathBuf {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/ui-screenshots");
        std::fs::create_dir_all(&dir).expect("the screenshot folder");
        let file = dir.join(format!("{name}.png"));
        let png = self.client.screenshot().await.expect("a screenshot");
        std::fs::write(&file, png).expect("the screenshot is written");
        file
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}
