//! Sign-in in the real app under Xvfb (issue 9 §3): the passphrase opens the station, a
//! volunteer signs in with their PIN (a wrong one is refused), sees no "show full number"
//! button, the screen locks by itself after a shortened idle time and with Ctrl+L, and the
//! administrator sees the accounts and the audit log with the failed attempt. Screenshots in
//! `target/e2e-screenshots/signin-*.png`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use nac_test_support::hub as common;

use nac_core::station::{HouseholdInput, ResidentInput, Role};
use nac_e2e::{skip_unless_ready, App};
use std::sync::Arc;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(30);
/// The idle lock for this test (the station's own default is 10 minutes).
const IDLE_SECONDS: &str = "4";

fn step(app: &App, name: &str, result: Result<(), String>) {
    let shot = app.screenshot(name);
    if let Err(e) = result {
        panic!("scenario {name} failed: {e} (screenshot: {shot:?})");
    }
}

#[test]
fn sign_in_wrong_pin_idle_lock_and_unlock() {
    let _alone = crate::one_at_a_time();
    let Some((binary, driver)) = skip_unless_ready() else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("station.db");
    {
        let mut station = common::open_station(&db, Arc::new(nac_core::SystemClock));
        station.create_administrator("王主任", "135790").unwrap();
        station
            .add_account("李梅", Role::Volunteer, "246810")
            .unwrap();
        let hh = station
            .add_household(&HouseholdInput {
                district: "徐汇区".into(),
                road: "天钥桥路".into(),
                lane: "100".into(),
                number: "5".into(),
                room: "301".into(),
                phone: "13800001111".into(),
            })
            .unwrap();
        station
            .add_resident(
                hh,
                &ResidentInput {
                    name: "张秀英".into(),
                    document_number: common::resident_id(31),
                    phone: "13912345678".into(),
                    ..Default::default()
                },
            )
            .unwrap();
    }
    let app = App::launch(
        &binary,
        &driver,
        &[
            ("NAC_DB", &db.to_string_lossy()),
            ("NAC_IDLE_LOCK_SECONDS", IDLE_SECONDS),
        ],
    )
    .expect("launch the app through tauri-driver");
    app.set_window(1366, 768).expect("window size");

    step(
        &app,
        "signin-01-wrong-pin",
        (|| {
            app.unlock(common::PASSPHRASE)?;
            app.wait_text("#unlock-form", "志愿者登录", WAIT)?;
            app.type_pin("李梅", "000000")?;
            app.wait_text("#unlock-error", "PIN不正确", WAIT)?;
            if app.find_all("nav.tabs button")?.is_empty() {
                return Err("the app frame should exist (hidden) behind the sign-in".into());
            }
            Ok(())
        })(),
    );

    step(
        &app,
        "signin-02-volunteer-signed-in",
        (|| {
            app.sign_in("李梅", "246810")?;
            app.wait_text("#signed-in", "李梅", WAIT)?;
            app.wait_text("#list-status", "共1户", WAIT)?;
            app.click("#household-list [data-id]")?;
            app.wait_text("#members", "张秀英", WAIT)?;
            let members = app.text("#members")?;
            if members.contains("13912345678") || members.contains(&common::resident_id(31)) {
                return Err(format!("a volunteer sees a full number: {members}"));
            }
            if !app.find_all("#members button.link")?.is_empty() {
                return Err("a volunteer is offered the reveal button".into());
            }
            Ok(())
        })(),
    );

    step(
        &app,
        "signin-03-idle-lock",
        (|| {
            // No input for longer than the idle time: the sign-in screen covers everything.
            app.wait_text("#unlock-form", "志愿者登录", Duration::from_secs(15))?;
            let hidden = app.script(
                "return getComputedStyle(document.querySelector('nav.tabs')).display;",
                serde_json::json!([]),
            )?;
            if hidden != "none" {
                return Err(format!("the tabs show on the locked screen: {hidden}"));
            }
            app.sign_in("王主任", "135790")?;
            app.wait_text("#signed-in", "王主任（管理员）", WAIT)
                .map(|_| ())
        })(),
    );

    step(
        &app,
        "signin-04-ctrl-l-and-audit",
        (|| {
            app.script(
                "document.dispatchEvent(new KeyboardEvent('keydown', { key: 'l', ctrlKey: true }));",
                serde_json::json!([]),
            )?;
            app.wait_text("#unlock-form", "志愿者登录", WAIT)?;
            app.sign_in("王主任", "135790")?;
            app.click("nav.tabs button[data-screen=\"settings\"]")?;
            app.wait_text("#accounts-table", "李梅", WAIT)?;
            app.wait_text("#audit-check", "审计记录完整", WAIT)?;
            app.wait_text("#audit-table", "signin.failed", WAIT)?;
            app.wait_text("#audit-table", "signout", WAIT)?;
            // The administrator exports the whole log (with its hashes) for the district.
            let exported = dir.path().join("audit.csv");
            app.clear("#audit-export-path")?;
            app.type_into("#audit-export-path", &exported.display().to_string())?;
            app.click("#audit-export")?;
            app.wait_text("#toast", "审计记录到", WAIT)?;
            app.wait_text("#audit-table", "audit.export", WAIT)?;
            let csv = std::fs::read_to_string(&exported).map_err(|e| e.to_string())?;
            if !csv.contains("signin.failed") {
                return Err(format!("the export lacks the failed sign-in: {csv}"));
            }
            Ok(())
        })(),
    );
}
