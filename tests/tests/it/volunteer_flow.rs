//! The real app, end to end: the built `nac-station` binary under Xvfb, driven through
//! WebDriver (`tauri-driver` + Debian's `WebKitWebDriver`). One volunteer's session on an empty
//! database, scenario by scenario; each asserts on text a volunteer would read and saves a
//! screenshot to `target/e2e-screenshots/<scenario>.png`.
//!
//! Run: `bash scripts/e2e.sh` (builds the app, installs tauri-driver if missing, runs this under
//! `xvfb-run`). Without the binary or tauri-driver the test is skipped with a message, unless
//! `NAC_E2E_REQUIRED=1` (CI), where that is a failure.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use nac_e2e::{skip_unless_ready, App};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(20);
const ENTER: &str = "\u{E007}";

fn step(app: &App, name: &str, result: Result<(), String>) {
    let shot = app.screenshot(name);
    if let Err(e) = result {
        panic!("scenario {name} failed: {e} (screenshot: {shot:?})");
    }
}

fn fill(app: &App, css: &str, text: &str) -> Result<(), String> {
    app.clear(css)?;
    app.type_into(css, text)
}

#[test]
fn volunteer_flow_on_an_empty_database() {
    let _alone = crate::one_at_a_time();
    let Some((binary, driver)) = skip_unless_ready() else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("station.db");
    let db = db.to_string_lossy();
    // A real station (no `NAC_DEMO`) starts empty.
    let app = App::launch(&binary, &driver, &[("NAC_DB", &db)])
        .expect("launch the app through tauri-driver");
    app.set_window(1366, 768).expect("window size");

    // 0. First start: no station file yet, so the volunteer chooses its passphrase (typed
    //    twice, long enough); nothing of the app is shown before.
    step(
        &app,
        "00-choose-passphrase",
        (|| {
            app.wait_text("#unlock-form", "设置站点口令", WAIT)?;
            if !app.find_all("nav.tabs button")?.is_empty()
                && app.script(
                    "return getComputedStyle(document.querySelector('nav.tabs')).display;",
                    serde_json::json!([]),
                )? != "none"
            {
                return Err("the tabs show before the station is open".into());
            }
            app.type_into("#unlock-passphrase", "short")?;
            app.type_into("#unlock-confirm", "short")?;
            app.click("#unlock-button")?;
            app.wait_text("#unlock-error", "至少 8 个字符", WAIT)?;
            app.clear("#unlock-passphrase")?;
            app.clear("#unlock-confirm")?;
            app.type_into("#unlock-passphrase", "天平街道 station 1")?;
            app.type_into("#unlock-confirm", "天平街道 station 2")?;
            app.click("#unlock-button")?;
            app.wait_text("#unlock-error", "不一致", WAIT)?;
            app.screenshot("00-passphrase-screen")?;
            app.unlock("天平街道 station 1")?;
            // Then the first administrator, with a PIN.
            app.wait_text("#unlock-form", "创建站点管理员", WAIT)?;
            app.screenshot("00-create-administrator")?;
            app.create_admin("王主任", "135790")?;
            app.wait_text("#signed-in", "王主任（管理员）", WAIT)
                .map(|_| ())
        })(),
    );

    // 1. First start on an empty database: an empty list, in Chinese.
    step(
        &app,
        "01-first-start-empty",
        (|| {
            app.wait_text("#list-status", "没有符合条件的住户", WAIT)?;
            app.wait_text("header.top", "0户 0人", WAIT)?;
            app.wait_text("nav.tabs", "住户", WAIT)?;
            let demo = app.script(
                "return [document.getElementById('demo-banner').hidden, document.title];",
                serde_json::json!([]),
            )?;
            if demo[0] != serde_json::Value::Bool(true)
                || demo[1].as_str().is_some_and(|t| t.contains("DEMO"))
            {
                return Err(format!("a real station is marked as a demo: {demo}"));
            }
            Ok(())
        })(),
    );

    // 2. Add a household and two members; a wrong check digit is refused inline, in Chinese.
    step(
        &app,
        "02-add-household-and-members",
        (|| {
            app.click("#add-household")?;
            fill(&app, "#f-district", "徐汇区")?;
            fill(&app, "#f-road", "天钥桥路")?;
            fill(&app, "#f-lane", "100")?;
            fill(&app, "#f-number", "5")?;
            fill(&app, "#f-room", "302")?;
            app.click("#save-household")?;
            app.wait_text(
                "#household-address",
                "徐汇区 天钥桥路 100弄 5号 302室",
                WAIT,
            )?;
            app.wait_text("#no-members", "还没有成员", WAIT)?;

            app.click("#add-member")?;
            fill(&app, "#f-name", "张三丰")?;
            fill(&app, "#f-document_number", "110105194912310021")?;
            app.click("#save-resident")?;
            app.wait_text(
                ".field[data-field=\"document_number\"] .field-error",
                "校验位应为X",
                WAIT,
            )?;
            fill(&app, "#f-document_number", "11010519491231002X")?;
            app.click("#save-resident")?;
            app.wait_text("#members", "张三丰", WAIT)?;

            app.click("#add-member")?;
            fill(&app, "#f-name", "李秀英")?;
            fill(&app, "#f-document_number", "310104194501010015")?;
            fill(&app, "#f-phone", "13812345678")?;
            app.click("#save-resident")?;
            let members = app.wait_text("#members", "李秀英", WAIT)?;
            for expected in ["110***********002X", "138****5678", "未申领"] {
                if !members.contains(expected) {
                    return Err(format!("members table lacks {expected}: {members}"));
                }
            }
            Ok(())
        })(),
    );

    // 3. Renew one member: the confirmation, then the new code with its QR preview.
    step(
        &app,
        "03-renew-one",
        (|| {
            app.click("#members tbody tr:first-child [data-action=\"renew\"]")?;
            app.wait_text(".renew-confirm", "为 张三丰 申领新的核酸码", WAIT)?;
            app.click("#capacity-family")?;
            app.click("#renew-confirm")?;
            app.wait_text("#renew-result", "已为张三丰申领新核酸码", WAIT)?;
            app.find("#renew-result img.qr", WAIT)?;
            Ok(())
        })(),
    );

    // 4. Again the same day: refused plainly, with the active code.
    step(
        &app,
        "04-same-day-refused",
        (|| {
            app.click("#dialog .dialog-actions button")?;
            app.wait_text("#members tbody tr:first-child", "今日已申领", WAIT)?;
            app.click("#members tbody tr:first-child [data-action=\"renew\"]")?;
            app.wait_text("#renew-warning", "将立即作废", WAIT)?;
            app.click("#renew-confirm")?;
            app.wait_text("#renew-result", "当日已完成申领", WAIT)?;
            app.wait_text("#renew-result", "当前核酸码", WAIT)?;
            Ok(())
        })(),
    );

    // 5. Batch-renew the household: progress bar, per-person results, summary.
    step(
        &app,
        "05-batch-household",
        (|| {
            app.click("#dialog .dialog-actions button")?;
            app.wait_text("#batch-household", "（1人）", WAIT)?;
            app.click("#batch-household")?;
            app.wait_text("#batch-summary", "共1人需要申领", WAIT)?;
            app.click("#batch-start")?;
            app.wait_text("#batch-done", "新申领1人", WAIT)?;
            app.wait_text("#batch-results", "李秀英", WAIT)?;
            app.find("#batch-progress", WAIT)?;
            Ok(())
        })(),
    );

    // 6. Search by pinyin initials from the list.
    step(
        &app,
        "06-search-pinyin-initials",
        (|| {
            app.click("#batch-close")?;
            app.click("#back")?;
            app.wait_text("#list-status", "共1户", WAIT)?;
            app.type_into("#search", "zsf")?;
            app.wait_text("#household-list", "张三丰", WAIT)?;
            app.wait_text("#list-status", "共1户", WAIT)?;
            fill(&app, "#search", "wxyz")?;
            app.wait_text("#list-status", "没有符合条件的住户", WAIT)?;
            fill(&app, "#search", "lxy")?;
            app.type_into("#search", ENTER)?;
            app.wait_text("#household-list", "李秀英", WAIT)?;
            Ok(())
        })(),
    );

    // 7. Switch to English and back.
    step(
        &app,
        "07-english",
        (|| {
            app.click("#lang-switch")?;
            app.wait_text("nav.tabs", "Households", WAIT)?;
            app.wait_text("#list-status", "1 household(s)", WAIT)?;
            app.wait_text("#lang-switch", "中文", WAIT)?;
            Ok(())
        })(),
    );
    step(
        &app,
        "08-back-to-chinese",
        (|| {
            app.click("#lang-switch")?;
            app.wait_text("nav.tabs", "住户", WAIT)?;
            app.wait_text("#list-status", "共1户", WAIT)?;
            app.wait_text("#lang-switch", "English", WAIT)?;
            Ok(())
        })(),
    );

    // 9. Print the household's cards to a PDF: recorded in the print ledger.
    let pdf = dir.path().join("cards.pdf");
    step(
        &app,
        "09-print-household-pdf",
        (|| {
            app.click(".hh-row[data-index=\"0\"]")?;
            app.click("#print-household")?;
            app.wait_text("#print-list", "张三丰", WAIT)?;
            fill(&app, "#print-path", &pdf.to_string_lossy())?;
            app.click("#print-save")?;
            app.wait_text("#print-result", "已记入打印台账", Duration::from_secs(60))?;
            if !pdf.is_file() {
                return Err(format!("{} was not written", pdf.display()));
            }
            Ok(())
        })(),
    );
}
