//! The Sync screen in the real app against the real `nac-hub` process on 127.0.0.1: a new
//! station enrols from the screen, syncs with "sync now", and a renewal the hub rejects (the
//! resident renewed on the phone first that day) shows with its reason, with the hub's code
//! adopted. Screenshots in `target/e2e-screenshots/sync-*.png`.
#![allow(
    clippy::disallowed_methods,
    reason = "these tests drive real processes and hubs that read the system clock"
)]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use nac_test_support::hub as common;

use common::{add_residents, resident_id, Hub, HubData, HubTime, Rng};
use nac_e2e::{skip_unless_ready, App};
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(30);

fn step(app: &App, name: &str, result: Result<(), String>) {
    let shot = app.screenshot(name);
    if let Err(e) = result {
        panic!("scenario {name} failed: {e} (screenshot: {shot:?})");
    }
}

/// Renews resident `id` through the app's own API (as the renew dialog does).
fn renew(app: &App, id: i64) -> Result<serde_json::Value, String> {
    app.script_async(
        "const [id, callback] = arguments;
         import('./js/api.js').then(({ api }) => api.renew(id, 'volunteer'))
           .then((r) => callback(r)).catch((e) => callback({ error: e }));",
        json!([id]),
    )
}

#[test]
fn a_station_enrols_syncs_and_shows_a_rejected_renewal() {
    let _alone = crate::one_at_a_time();
    let Some((binary, driver)) = skip_unless_ready() else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let hub = Hub::start(
        HubData::Sqlite(dir.path().join("hub.db")),
        dir.path(),
        HubTime::at(chrono::Utc::now().timestamp()),
    );
    let db = dir.path().join("station.db");
    let resident = {
        let mut station = common::open_station(&db, Arc::new(nac_core::SystemClock));
        add_residents(&mut station, &[21])[0]
    };
    let app = App::launch(&binary, &driver, &[("NAC_DB", &db.to_string_lossy())])
        .expect("launch the app through tauri-driver");
    app.set_window(1366, 768).expect("window size");

    step(
        &app,
        "sync-01-enrolled",
        (|| {
            // The station file is encrypted: a wrong passphrase is refused on the start
            // screen, the right one opens it.
            app.wait_text("#unlock-form", "请输入站点口令", WAIT)?;
            app.type_into("#unlock-passphrase", "not the passphrase")?;
            app.click("#unlock-button")?;
            app.wait_text("#unlock-error", "口令不正确", WAIT)?;
            app.screenshot("sync-00-wrong-passphrase")?;
            app.unlock(common::PASSPHRASE)?;
            app.create_admin("王主任", "135790")?;
            // The tabs answer clicks once the first screen is up.
            app.wait_text("#list-status", "共1户", WAIT)?;
            app.click("nav.tabs button[data-screen=\"sync\"]")?;
            app.wait_text("#sync-not-enrolled", "尚未注册", WAIT)?;
            // The district's certificate is optional (an http:// hub here).
            app.wait_text("#enrol-ca-button", "选择证书文件", WAIT)?;
            app.clear("#enrol-url")?;
            app.type_into("#enrol-url", &hub.url)?;
            app.type_into("#enrol-code", &hub.station_code("Lane 1200"))?;
            app.click("#enrol-submit")?;
            app.wait_text("#sync-hub", &hub.url, WAIT)?;
            app.wait_text("#sync-station", "ST-", WAIT)?;
            // Enrolment syncs at once: the lists for offline verification arrive.
            app.wait_text("#sync-last", "20", WAIT)?;
            Ok(())
        })(),
    );

    step(
        &app,
        "sync-02-synced",
        (|| {
            let renewed = renew(&app, resident)?;
            if renewed.get("error").is_some() {
                return Err(format!("renewal failed: {renewed}"));
            }
            app.click("nav.tabs button[data-screen=\"sync\"]")?;
            app.wait_text("#sync-queued", "1", WAIT)?;
            app.click("#sync-now")?;
            app.wait_text("#sync-synced", "1", WAIT)?;
            app.wait_text("#sync-queued", "0", WAIT)?;
            // The sync anchored the audit log's head at the hub.
            app.wait_text("#sync-audit-anchor", "至第", WAIT)?;
            Ok(())
        })(),
    );

    step(
        &app,
        "sync-03-rejected-renewal",
        (|| {
            // A second resident renews on the phone first today; the station, not knowing
            // yet, renews them too, and the hub rejects the station's renewal (R3).
            let second = {
                let mut station = common::open_station(&db, Arc::new(nac_core::SystemClock));
                add_residents(&mut station, &[22])[0]
            };
            let secret_hex: String = common::raw_connection(&db)
                .query_row(
                    "SELECT value FROM settings WHERE key = 'district_secret'",
                    [],
                    |r| r.get(0),
                )
                .map_err(|e| e.to_string())?;
            let secret =
                nac_protocol::DistrictSecret::from_hex(&secret_hex).map_err(|e| e.to_string())?;
            let key = nac_protocol::person_key(&secret, "resident_id", &resident_id(22));
            let now = chrono::Utc::now().timestamp();
            let phone = hub.phone_renew(key.as_str(), now - 60, &Rng::new(22).event_id());
            if phone["result"]["status"] != "accepted" {
                return Err(format!("phone renewal: {phone}"));
            }
            let renewed = renew(&app, second)?;
            if renewed.get("error").is_some() {
                return Err(format!("renewal failed: {renewed}"));
            }
            app.click("nav.tabs button[data-screen=\"households\"]")?;
            app.click("nav.tabs button[data-screen=\"sync\"]")?;
            app.click("#sync-now")?;
            app.wait_text("#sync-rejected", "1", WAIT)?;
            app.wait_text("#sync-problems", "当日已在别处申领", WAIT)?;
            Ok(())
        })(),
    );
}
