//! Debian's Chromium through its chromedriver, for the district console's pages (served by the
//! real `nac-hub`), and axe-core for their accessibility: the same small WebDriver client as
//! the app's scenarios, with a session on a headless browser instead of the desktop app.

use super::{free_port_pair, target_dir, App, Result};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// What the console scenarios need.
pub struct ChromiumTools {
    /// `chromedriver`.
    pub driver: PathBuf,
    /// The browser.
    pub browser: PathBuf,
    /// axe-core's `axe.min.js` (npm `axe-core`; `scripts/setup.sh test` installs it).
    pub axe: PathBuf,
}

fn on_path(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|p| {
        std::env::split_paths(&p)
            .map(|dir| dir.join(name))
            .find(|p| p.is_file())
    })
}

/// Where `scripts/setup.sh test` installs axe-core (or `$NAC_AXE_JS`).
pub fn axe_script() -> PathBuf {
    std::env::var_os("NAC_AXE_JS").map_or_else(
        || target_dir().join("console-tools/node_modules/axe-core/axe.min.js"),
        PathBuf::from,
    )
}

/// The tools, or what is missing.
pub fn chromium_tools() -> Result<ChromiumTools> {
    let driver = on_path("chromedriver")
        .ok_or("chromedriver is missing (apt-get install chromium-driver)")?;
    let browser = on_path("chromium").ok_or("chromium is missing (apt-get install chromium)")?;
    let axe = axe_script();
    if !axe.is_file() {
        return Err(format!(
            "axe-core is missing at {} (scripts/setup.sh test installs it)",
            axe.display()
        ));
    }
    Ok(ChromiumTools {
        driver,
        browser,
        axe,
    })
}

/// The tools when present; a skip with its reason otherwise, or a failure under CI
/// (`CI=true`) or with `NAC_E2E_REQUIRED` set: a missing tool there is never a silent pass.
pub fn skip_unless_chromium() -> Option<ChromiumTools> {
    match chromium_tools() {
        Ok(tools) => Some(tools),
        Err(why)
            if std::env::var_os("NAC_E2E_REQUIRED").is_some()
                || std::env::var("CI").is_ok_and(|v| v == "true" || v == "1") =>
        {
            panic!("the console's browser tests must run here but cannot: {why}")
        }
        Err(why) => {
            use std::io::Write as _;
            let _ = writeln!(
                std::io::stderr(),
                "SKIPPED console browser test (set NAC_E2E_REQUIRED=1 to make this a failure): {why}"
            );
            None
        }
    }
}

impl App {
    /// Starts chromedriver and opens a headless Chromium at 1366×768 with its own profile in
    /// `profile` (no cookies shared with another session).
    pub fn chromium(tools: &ChromiumTools, profile: &Path) -> Result<App> {
        let port = free_port_pair()?;
        let child = Command::new(&tools.driver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start chromedriver: {e}"))?;
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(120)))
            .build()
            .into();
        let mut browser = App {
            driver: child,
            base: format!("http://127.0.0.1:{port}"),
            session: String::new(),
            agent,
            screenshots: target_dir().join("console-screenshots"),
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        while browser.get("/status").is_err() {
            if Instant::now() > deadline {
                return Err("chromedriver did not start listening".into());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let caps = json!({ "capabilities": { "alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": tools.browser.display().to_string(),
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu",
                    "--disable-dev-shm-usage", "--window-size=1366,768",
                    "--lang=zh-CN", "--no-first-run",
                    format!("--user-data-dir={}", profile.display()),
                ]
            }
        }}});
        let created = browser.post("/session", &caps)?;
        browser.session = created["sessionId"]
            .as_str()
            .ok_or_else(|| format!("no session id in {created}"))?
            .to_string();
        Ok(browser)
    }

    /// Loads `url` and waits for it.
    pub fn open(&self, url: &str) -> Result<()> {
        self.post(&self.session_path("/url"), &json!({ "url": url }))
            .map(|_| ())
    }

    /// The page's address now.
    pub fn current_url(&self) -> Result<String> {
        Ok(self
            .get(&self.session_path("/url"))?
            .as_str()
            .unwrap_or_default()
            .to_owned())
    }

    /// The page's markup as loaded.
    pub fn source(&self) -> Result<String> {
        Ok(self
            .get(&self.session_path("/source"))?
            .as_str()
            .unwrap_or_default()
            .to_owned())
    }

    /// Runs axe-core on the page; the critical and serious violations (rule and where).
    /// axe's source is sent as the script itself: the console's CSP forbids `eval`, but a
    /// WebDriver script is the browser's own, not the page's.
    pub fn axe(&self, axe_source: &str) -> Result<Vec<String>> {
        let script = format!(
            "{axe_source}\n;const done = arguments[arguments.length - 1];
             axe.run(document, {{ resultTypes: ['violations'] }})
               .then((r) => done(r.violations
                 .filter((v) => v.impact === 'critical' || v.impact === 'serious')
                 .map((v) => v.id + ' (' + v.impact + '): '
                   + v.nodes.map((n) => n.target.join(' ')).join(', '))))
               .catch((e) => done(['axe failed: ' + e]));"
        );
        let found = self.script_async(&script, json!([]))?;
        Ok(found
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(String::from)
                    .collect()
            })
            .unwrap_or_default())
    }
}
