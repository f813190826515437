//! Opens the app on a data file and saves screenshots of its main screens, to look at them:
//! `cargo run -p nac-e2e --example look -- /tmp/look/station.db` (under Xvfb).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use nac_e2e::App;
use std::time::Duration;

fn main() -> nac_e2e::Result<()> {
    let db = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "/tmp/look/station.db".into());
    let (app, driver) = nac_e2e::prerequisites()?;
    let app = App::launch(&app, &driver, &[("NAC_DB", db.as_str())])?;
    app.set_window(1366, 768)?;
    std::thread::sleep(Duration::from_secs(3));
    println!("{}", app.screenshot("look-0-start")?.display());
    println!("{}", app.script("return document.body.innerText.slice(0, 500) + ' | ' + typeof window.__TAURI__ + ' | ' + JSON.stringify(window.__nac || null)", serde_json::json!([]))?);
    app.find(".hh-row[data-index]", Duration::from_secs(60))?;
    std::thread::sleep(Duration::from_millis(500));
    println!("{}", app.screenshot("look-1-households")?.display());
    app.click(".hh-row[data-index=\"0\"]")?;
    app.find("#household-detail", Duration::from_secs(10))?;
    std::thread::sleep(Duration::from_millis(800));
    println!("{}", app.screenshot("look-2-household")?.display());
    println!("{}", app.script("const t = document.querySelector('#members'); const r = t.getBoundingClientRect(); return [r.width, r.height, t.rows.length, getComputedStyle(t).display, document.querySelector('#members tbody tr').getBoundingClientRect().height, document.querySelector('#members tbody tr').outerHTML.slice(0, 1500)]", serde_json::json!([]))?);
    app.click("#members tbody tr:first-child [data-action=\"renew\"]")?;
    app.find("#renew-confirm", Duration::from_secs(10))?;
    println!("{}", app.screenshot("look-3-renew-confirm")?.display());
    app.click("#renew-confirm")?;
    app.find("#renew-result", Duration::from_secs(10))?;
    println!("{}", app.screenshot("look-4-renew-result")?.display());
    let js_errors = app.script("return window.__nacErrors || []", serde_json::json!([]))?;
    println!("errors: {js_errors}");
    Ok(())
}
