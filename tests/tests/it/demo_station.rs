//! The demo, end to end in the real app (`NAC_DEMO=1`, as `scripts/start.sh` starts it when no
//! station exists yet): it opens `demo-station.db` beside the station file and never creates
//! or fills the real one; the title and a banner on every screen say "演示 DEMO"; the sync
//! screen says nothing is sent. Also checks, in the real webview, that a job whose `job-done`
//! arrives before its `invoke` has answered is not lost (`runJob` in `ui/js/api.js`).
//!
//! Run: `bash scripts/e2e.sh`. Skipped without the binary or tauri-driver unless
//! `NAC_E2E_REQUIRED=1`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use nac_e2e::{skip_unless_ready, App};
use serde_json::{json, Value};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(30);

fn step(app: &App, name: &str, result: Result<(), String>) {
    let shot = app.screenshot(name);
    if let Err(e) = result {
        panic!("scenario {name} failed: {e} (screenshot: {shot:?})");
    }
}

#[test]
fn the_demo_says_so_everywhere_and_stays_out_of_the_station_file() {
    let _alone = crate::one_at_a_time();
    let Some((binary, driver)) = skip_unless_ready() else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let station = dir.path().join("station.db");
    let station_arg = station.to_string_lossy();
    let app = App::launch(
        &binary,
        &driver,
        &[("NAC_DB", &station_arg), ("NAC_DEMO", "1")],
    )
    .expect("launch the app through tauri-driver");
    app.set_window(1366, 768).expect("window size");

    step(
        &app,
        "demo-01-banner-and-title",
        (|| {
            app.wait_text("#demo-banner", "演示 DEMO", WAIT)?;
            app.wait_text("#list-status", "共", WAIT)?;
            let shown = app.script(
                "const b = document.getElementById('demo-banner');
                 return { hidden: b.hidden, height: b.getBoundingClientRect().height, title: document.title };",
                json!([]),
            )?;
            if shown["hidden"] != Value::Bool(false)
                || shown["height"].as_f64().unwrap_or(0.0) < 10.0
            {
                return Err(format!("the banner is not visible: {shown}"));
            }
            if !shown["title"]
                .as_str()
                .unwrap_or("")
                .starts_with("演示 DEMO")
            {
                return Err(format!("the title does not say demo: {shown}"));
            }
            Ok(())
        })(),
    );

    step(
        &app,
        "demo-02-sync-never",
        (|| {
            app.click("nav.tabs button[data-screen=\"sync\"]")?;
            app.wait_text("#sync-demo", "演示站点", WAIT)?;
            // The banner stays on every screen.
            app.wait_text("#demo-banner", "演示 DEMO", WAIT)?;
            Ok(())
        })(),
    );

    step(
        &app,
        "demo-03-done-before-invoke-answers",
        (|| {
            // A batch of nobody ends at once; its id is handed over only 1.5 s later, long
            // after its `job-done` event: the event must still reach the handler.
            let result = app.script_async(
                "const callback = arguments[arguments.length - 1];
                 import('./js/api.js').then(async ({ api, runJob }) => {
                   let seen = null;
                   const { job } = await runJob(async () => {
                     const id = await api.startBatch({ target: { kind: 'residents', ids: [] }, within_days: 7, capacity: 'volunteer' });
                     await new Promise((r) => setTimeout(r, 1500));
                     return id;
                   }, { done: (d) => { seen = d.job; } });
                   callback({ job, seen });
                 }).catch((e) => callback({ error: String(e) }));",
                json!([]),
            )?;
            if result["job"].is_null() || result["seen"] != result["job"] {
                return Err(format!("the early job-done was lost: {result}"));
            }
            Ok(())
        })(),
    );

    drop(app);
    let demo = dir.path().join("demo-station.db");
    assert!(demo.is_file(), "the demo file {} exists", demo.display());
    assert!(
        !station.exists(),
        "the demo created the real station file {}",
        station.display()
    );
    let opened = nac_core::Station::open(
        &demo,
        &nac_core::demo::key(&demo).expect("demo key"),
        std::sync::Arc::new(nac_core::SystemClock),
        nac_core::WriteSource::Cli,
    )
    .expect("open the demo");
    assert!(opened.is_demo());
}
