//! What the app keeps outside the encryption, in the real app under Xvfb (issue 16, item 10):
//!
//! 1. Settings: how long printed PDFs are kept (7 days by default);
//! 2. the backend's idle lock: with the page's clock frozen (its own idle timer can never
//!    fire), the first click after the idle time brings the sign-in screen, audited.
//!
//! Screenshots in `target/e2e-screenshots/secrets-*.png`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use nac_e2e::{skip_unless_ready, App};
use serde_json::json;
use std::path::Path;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(30);
/// The idle lock for this test (the station's own default is 10 minutes).
const IDLE_SECONDS: u64 = 6;
const PASSPHRASE: &str = "morning tea at the lane office";

fn step(app: &App, name: &str, result: Result<(), String>) {
    let shot = app.screenshot(name);
    if let Err(e) = result {
        panic!("scenario {name} failed: {e} (screenshot: {shot:?})");
    }
}

fn launch(binary: &Path, driver: &Path, db: &Path) -> App {
    let idle = IDLE_SECONDS.to_string();
    let app = App::launch(
        binary,
        driver,
        &[
            ("NAC_DB", &db.to_string_lossy()),
            ("NAC_IDLE_LOCK_SECONDS", &idle),
        ],
    )
    .expect("launch the app through tauri-driver");
    app.set_window(1366, 768).expect("window size");
    app
}

fn open_settings(app: &App) -> Result<(), String> {
    app.click("nav.tabs button[data-screen=\"settings\"]")?;
    app.find("#s-keep-printed", WAIT).map(|_| ())
}

#[test]
fn the_station_locks_itself_in_the_backend() {
    let Some((binary, driver)) = skip_unless_ready() else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("station.db");
    let app = launch(&binary, &driver, &db);

    step(
        &app,
        "secrets-02-settings",
        (|| {
            app.unlock(PASSPHRASE)?;
            app.create_admin("王主任", "135790")?;
            app.wait_text("#signed-in", "王主任", WAIT)?;
            open_settings(&app)?;
            let days = app.script(
                "return document.getElementById('s-keep-printed').value;",
                json!([]),
            )?;
            if days != "7" {
                return Err(format!("printed PDFs kept {days} days by default"));
            }
            app.wait_text("#settings-form", "打印文件保留天数", WAIT)?;
            Ok(())
        })(),
    );

    step(
        &app,
        "secrets-04-backend-idle-lock",
        (|| {
            // The page's clock stops: its own idle timer can never fire again.
            app.script(
                "window.__realNow = Date.now; const t = Date.now(); Date.now = () => t;",
                json!([]),
            )?;
            std::thread::sleep(Duration::from_secs(IDLE_SECONDS + 2));
            if !app.find_all("#unlock-form")?.is_empty() {
                return Err("the page locked by itself; the test proves nothing".into());
            }
            app.click("nav.tabs button[data-screen=\"households\"]")?;
            app.wait_text("#unlock-form", "志愿者登录", WAIT)?;
            app.script("Date.now = window.__realNow;", json!([]))?;
            Ok(())
        })(),
    );

    step(
        &app,
        "secrets-05-idle-audited",
        (|| {
            app.sign_in("王主任", "135790")?;
            open_settings(&app)?;
            app.wait_text("#audit-table", "idle", WAIT)?;
            Ok(())
        })(),
    );
}
