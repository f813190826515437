//! Who opens the station, in the real app under Xvfb (issue 16, items 10 and 11):
//!
//! 1. a new station: the create-station screen says the passphrase is for administrators and
//!    volunteers sign in with their PIN;
//! 2. Settings: how long printed PDFs are kept, and "keep the station unlocked until";
//! 3. the backend's idle lock: with the page's clock frozen (its own idle timer can never
//!    fire), the first click after the idle time brings the sign-in screen;
//! 4. kept unlocked: the app restarted asks only for a PIN; "lock now" brings the passphrase
//!    screen, after a restart too.
//!
//! Screenshots in `target/e2e-screenshots/secrets-*.png`.
#![allow(
    clippy::disallowed_methods,
    reason = "these tests drive real processes and hubs that read the system clock"
)]
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

/// A time later today (CST) for "keep unlocked until".
fn later_today() -> String {
    let now = chrono::Utc::now().with_timezone(&nac_core::time::cst());
    let later = now + chrono::Duration::minutes(30);
    if later.date_naive() == now.date_naive() {
        later.format("%H:%M").to_string()
    } else {
        "23:59".into()
    }
}

fn open_settings(app: &App) -> Result<(), String> {
    app.click("nav.tabs button[data-screen=\"settings\"]")?;
    app.find("#keep-form", WAIT).map(|_| ())
}

#[test]
fn the_passphrase_is_the_administrators_and_the_station_locks_itself() {
    let _alone = crate::one_at_a_time();
    let Some((binary, driver)) = skip_unless_ready() else {
        return;
    };
    if let Err(e) = nac_core::keyring::available() {
        if std::env::var_os("NAC_E2E_REQUIRED").is_some()
            || std::env::var("CI").is_ok_and(|v| v == "true")
        {
            panic!("the kernel keyring is not usable here: {e}");
        }
        eprintln!("SKIPPED: the kernel keyring is not usable here: {e}");
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("station.db");
    let app = launch(&binary, &driver, &db);

    step(
        &app,
        "secrets-01-create-station",
        (|| {
            app.wait_text("#unlock-form", "设置站点口令", WAIT)?;
            app.wait_text("#unlock-admins", "口令由管理员掌握", WAIT)?;
            app.wait_text("#unlock-admins", "PIN登录", WAIT)?;
            Ok(())
        })(),
    );

    step(
        &app,
        "secrets-02-settings",
        (|| {
            app.unlock(PASSPHRASE)?;
            app.create_admin("王主任", "135790")?;
            app.wait_text("#signed-in", "王主任", WAIT)?;
            open_settings(&app)?;
            app.wait_text("#kept-status", "未保持解锁", WAIT)?;
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
        "secrets-03-kept-unlocked",
        (|| {
            app.script(
                "const i = document.getElementById('keep-until'); i.value = arguments[0];
                 i.scrollIntoView();",
                json!([later_today()]),
            )?;
            app.click("#keep-unlocked")?;
            app.wait_text("#kept-status", "站点保持解锁至", WAIT)?;
            app.wait_text("#audit-table", "station.keep_unlocked", WAIT)?;
            app.script(
                "document.getElementById('keep-title').scrollIntoView();",
                json!([]),
            )?;
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
    drop(app);

    // Restarted while kept unlocked: no passphrase, the PIN sign-in.
    let app = launch(&binary, &driver, &db);
    step(
        &app,
        "secrets-06-restart-pin-only",
        (|| {
            app.wait_text("#unlock-form", "志愿者登录", WAIT)?;
            if !app.find_all("#unlock-passphrase")?.is_empty() {
                return Err("the passphrase was asked for".into());
            }
            app.sign_in("王主任", "135790")?;
            open_settings(&app)?;
            app.wait_text("#kept-status", "站点保持解锁至", WAIT)?;
            app.script(
                "document.getElementById('keep-title').scrollIntoView();",
                json!([]),
            )?;
            Ok(())
        })(),
    );

    step(
        &app,
        "secrets-07-lock-now",
        (|| {
            app.click("#lock-station")?;
            app.wait_text("#unlock-form", "请输入站点口令", WAIT)?;
            app.find("#unlock-passphrase", WAIT).map(|_| ())
        })(),
    );
    drop(app);
    if nac_core::keyring::find(&db).expect("keyring").is_some() {
        panic!("the kept key is still in the keyring after lock now");
    }

    let app = launch(&binary, &driver, &db);
    step(
        &app,
        "secrets-08-restart-passphrase",
        (|| {
            app.wait_text("#unlock-form", "请输入站点口令", WAIT)?;
            app.wait_text("#unlock-form", "管理员输入口令", WAIT)?;
            Ok(())
        })(),
    );
}
