//! Saves a screenshot of every screen of the app on a data file, to look at them:
//! `cargo run -p nac-e2e --example screens -- /tmp/look/station.db` (under Xvfb).

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
    let wait = Duration::from_secs(20);
    app.find(".hh-row[data-index]", wait)?;
    // Expand the first road in the tree and filter to it.
    app.click("#place-tree details summary")?;
    app.click("#place-tree .tree-pick")?;
    std::thread::sleep(Duration::from_millis(400));
    app.screenshot("screens-01-tree-filter")?;
    app.click("#clear-place")?;
    app.click("#filter-expired")?;
    std::thread::sleep(Duration::from_millis(400));
    app.screenshot("screens-02-filter-expired")?;
    app.click("#filter-expired")?;
    app.click(".hh-row[data-index=\"1\"]")?;
    app.find("#household-detail", wait)?;
    app.click("#add-member")?;
    app.type_into("#f-name", "王")?;
    app.type_into("#f-document_number", "31010419450101001")?;
    app.type_into("#f-phone", "1381234")?;
    app.click("#save-resident")?;
    std::thread::sleep(Duration::from_millis(400));
    app.screenshot("screens-03-member-form-errors")?;
    app.click("#dialog .dialog-actions button:last-child")?;
    app.click("#members tbody tr:first-child [data-action=\"code\"]")?;
    std::thread::sleep(Duration::from_millis(400));
    app.screenshot("screens-04-code-dialog")?;
    app.click("#dialog .dialog-actions button")?;
    app.click("#batch-household")?;
    std::thread::sleep(Duration::from_millis(400));
    app.screenshot("screens-05-batch-confirm")?;
    app.click("#confirm-no, #dialog .dialog-actions button:last-child")?;
    for (tab, name) in [
        ("verify", "screens-06-verify"),
        ("cards", "screens-07-cards"),
        ("sync", "screens-08-sync"),
        ("files", "screens-09-files"),
        ("settings", "screens-10-settings"),
        ("print", "screens-11-print-unprinted"),
    ] {
        app.click(&format!("nav.tabs button[data-screen=\"{tab}\"]"))?;
        std::thread::sleep(Duration::from_millis(600));
        if tab == "verify" {
            app.type_into("#verify-input", "NAC1:NOT-A-REAL-CODE\u{E007}")?;
            std::thread::sleep(Duration::from_millis(300));
        }
        app.screenshot(name)?;
    }
    app.click("#lang-switch")?;
    app.click("nav.tabs button[data-screen=\"households\"]")?;
    std::thread::sleep(Duration::from_millis(800));
    println!(
        "errors: {} status: {:?}",
        app.script("return window.__nacErrors", serde_json::json!([]))?,
        app.text("#list-status")
    );
    app.screenshot("screens-12a-households-en")?;
    app.click(".hh-row[data-index=\"1\"]")?;
    app.find("#household-detail", wait)?;
    std::thread::sleep(Duration::from_millis(400));
    app.screenshot("screens-12-household-en")?;
    app.click("#lang-switch")?;
    Ok(())
}
