//! The district console in Debian's Chromium (headless, 1366×768, through chromedriver)
//! against the real `nac-hub` on 127.0.0.1, on SQLite and on the throwaway PostgreSQL, with a
//! real `nac` station: an officer mistypes the password until the sign-in waits, then signs in
//! and replaces the one-time password, adds a station
//! and reads its enrolment code off the page, the station enrols with it and syncs, the sync
//! shows on the page, the officer disables the station from the page and its next `nac sync`
//! is refused; a viewer can change nothing (the server answers a forged form 403); a change
//! without the CSRF token is refused; an idle session ends; every page passes axe-core with no
//! critical or serious violation; no page holds a resident's ID number, name or phone.
//! Screenshots in `target/console-screenshots/`.
#![allow(
    clippy::disallowed_methods,
    reason = "the station and the hub run on the system clock here, as in the field"
)]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use nac_core::station::{HouseholdInput, ResidentInput};
use nac_e2e::{skip_unless_chromium, App, ChromiumTools};
use nac_protocol::Capacity;
use nac_test_support::hub::{self as common, nac_binary, postgres_database, Hub, HubData, HubTime};
use serde_json::json;
use std::path::Path;
use std::process::Output;
use std::sync::Arc;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(20);

/// The roster the station holds: none of it may ever reach a console page.
const RESIDENTS: [(&str, u32, &str); 3] = [
    ("陈秀英", 41, "13912345678"),
    ("刘建国", 42, "13687654321"),
    ("周玉兰", 43, "13511112222"),
];

#[test]
fn the_console_in_chromium_on_sqlite() {
    let _alone = crate::one_at_a_time();
    let Some(tools) = skip_unless_chromium() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    scenario(
        &tools,
        HubData::Sqlite(dir.path().join("hub.db")),
        dir.path(),
        "sqlite",
    );
}

#[test]
fn the_console_in_chromium_on_postgres() {
    let _alone = crate::one_at_a_time();
    let Some(tools) = skip_unless_chromium() else {
        return;
    };
    let Some(url) = postgres_database() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    scenario(&tools, HubData::Postgres(url), dir.path(), "postgres");
}

fn nac(db: &Path, args: &[&str]) -> Output {
    std::process::Command::new(nac_binary())
        .env("NAC_PASSPHRASE", common::PASSPHRASE)
        .env_remove("NAC_PIN")
        .arg("--db")
        .arg(db)
        .args(["--lang", "en"])
        .args(args)
        .output()
        .unwrap()
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// One page's checks: loaded, no critical or serious axe violation, a screenshot, and its
/// markup kept for the byte scan.
struct Pages<'a> {
    browser: &'a App,
    axe: String,
    label: &'a str,
    seen: Vec<(String, String)>,
}

impl Pages<'_> {
    fn look(&mut self, name: &str) {
        let found = self.browser.axe(&self.axe).unwrap();
        let shot = self
            .browser
            .screenshot(&format!("{}-{name}", self.label))
            .unwrap();
        assert!(
            found.is_empty(),
            "{name}: axe-core found critical or serious violations {found:?} (screenshot {})",
            shot.display()
        );
        // Keyboard only: every link, button and field is in the tab order, and the first stop is
        // the skip link to the page's content.
        let controls = "Array.from(document.querySelectorAll(\
             'a[href], button, input:not([type=hidden]), select, summary'))";
        let unreachable = self
            .browser
            .script(
                &format!("return {controls}.filter((e) => e.tabIndex < 0 || e.disabled).length;"),
                json!([]),
            )
            .unwrap();
        assert_eq!(
            unreachable,
            json!(0),
            "{name}: controls out of the tab order"
        );
        let first = self
            .browser
            .script(
                &format!("return {controls}[0].getAttribute('href');"),
                json!([]),
            )
            .unwrap();
        assert_eq!(first, json!("#main"), "{name}: the skip link comes first");
        self.seen
            .push((name.to_owned(), self.browser.source().unwrap()));
    }
}

fn submit(browser: &App) {
    browser.click("main form button[type=submit]").unwrap();
}

fn scenario(tools: &ChromiumTools, data: HubData, dir: &Path, label: &str) {
    let clock = nac_core::ManualClock::at(chrono::Utc::now());
    let hub = Hub::start(data, dir, HubTime::following(&clock));
    let added: serde_json::Value =
        serde_json::from_str(&hub.admin(&["admin", "add", "li", "--role", "admin", "--json"]))
            .unwrap();
    let one_time = added["password"].as_str().unwrap().to_owned();
    let viewer: serde_json::Value =
        serde_json::from_str(&hub.admin(&["admin", "add", "wang", "--role", "viewer", "--json"]))
            .unwrap();
    let viewer_one_time = viewer["password"].as_str().unwrap().to_owned();
    let axe = std::fs::read_to_string(&tools.axe).unwrap();
    let profile = tempfile::tempdir().unwrap();
    let browser = App::chromium(tools, profile.path()).unwrap();
    let mut pages = Pages {
        browser: &browser,
        axe,
        label,
        seen: Vec::new(),
    };

    // Sign in with the one-time password, then replace it.
    browser.open(&format!("{}/console/", hub.url)).unwrap();
    browser.find("#password", WAIT).unwrap();
    assert!(browser.current_url().unwrap().ends_with("/console/signin"));
    pages.look("signin");
    // Three wrong passwords; then even the right one waits until the hub's clock moved 30 s.
    for _ in 0..3 {
        browser.clear("#name").unwrap();
        browser.type_into("#name", "li").unwrap();
        browser.type_into("#password", "not the password").unwrap();
        submit(&browser);
        browser.wait_text("main", "账号或密码不正确", WAIT).unwrap();
    }
    browser.clear("#name").unwrap();
    browser.type_into("#name", "li").unwrap();
    browser.type_into("#password", &one_time).unwrap();
    submit(&browser);
    browser.wait_text("main", "秒后再试", WAIT).unwrap();
    pages.look("signin-backoff");
    clock.advance_secs(31);
    std::thread::sleep(Duration::from_millis(200));
    browser.clear("#name").unwrap();
    browser.type_into("#name", "li").unwrap();
    browser.type_into("#password", &one_time).unwrap();
    submit(&browser);
    browser.wait_text("main", "首次登录", WAIT).unwrap();
    pages.look("password");
    browser.type_into("#current", &one_time).unwrap();
    browser.type_into("#new", "district office 2026").unwrap();
    browser
        .type_into("#repeat", "district office 2026")
        .unwrap();
    submit(&browser);
    browser.wait_text("main", "新密码已保存", WAIT).unwrap();
    pages.look("overview-empty");

    // Add a station; the code is on the page, large and as a QR code.
    browser
        .open(&format!("{}/console/stations/new", hub.url))
        .unwrap();
    browser.find("#area", WAIT).unwrap();
    pages.look("add-station");
    browser.type_into("#name", "幸福里居委会").unwrap();
    browser.type_into("#area", "长宁区").unwrap();
    submit(&browser);
    let code = browser.wait_text("#enrolment-code", "-", WAIT).unwrap();
    assert!(
        !browser.find_all(".qr svg").unwrap().is_empty(),
        "a QR code"
    );
    pages.look("enrolment-code");

    // A real station with a roster enrols with the code from the page, renews, syncs.
    let db = dir.join("station.db");
    {
        let mut station = common::open_station(&db, Arc::new(nac_core::SystemClock));
        for (name, n, phone) in RESIDENTS {
            let household = station
                .add_household(&HouseholdInput {
                    district: "长宁区".into(),
                    road: "愚园路".into(),
                    lane: "1200".into(),
                    number: "3".into(),
                    room: format!("{}", 100 + n),
                    phone: phone.into(),
                })
                .unwrap();
            station
                .add_resident(
                    household,
                    &ResidentInput {
                        name: name.into(),
                        document_number: common::resident_id(n),
                        phone: phone.into(),
                        ..ResidentInput::default()
                    },
                )
                .unwrap();
        }
    }
    let enrolled = nac(&db, &["enrol", "--hub", &hub.url, "--code", code.trim()]);
    assert!(enrolled.status.success(), "{}", text(&enrolled));
    {
        let mut station = common::open_station(&db, Arc::new(nac_core::SystemClock));
        let ids: Vec<i64> = station
            .connection()
            .prepare("SELECT id FROM residents ORDER BY id")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        for id in ids {
            station.renew(id, Capacity::Volunteer).unwrap();
        }
    }
    let synced = nac(&db, &["sync"]);
    assert!(synced.status.success(), "{}", text(&synced));

    // The sync shows: last sync, three renewals over 7 days, the station's release.
    browser
        .open(&format!("{}/console/stations", hub.url))
        .unwrap();
    browser.wait_text("tbody tr", "幸福里居委会", WAIT).unwrap();
    let cells = browser
        .script(
            "return Array.from(document.querySelectorAll('tbody tr td'), (td) => td.textContent);",
            json!([]),
        )
        .unwrap();
    let cell = |i: usize| cells[i].as_str().unwrap_or_default().to_owned();
    assert_eq!(cell(3), "在用", "{cells}");
    assert_eq!(
        (cell(5), cell(6)),
        ("3".to_owned(), "0".to_owned()),
        "7 days: {cells}"
    );
    assert_eq!(cell(7), nac_protocol::APP_VERSION, "{cells}");
    pages.look("stations");
    browser.open(&format!("{}/console/", hub.url)).unwrap();
    browser.find("#ch-h", WAIT).unwrap();
    let overview = browser.text("main").unwrap();
    assert!(
        overview.contains("1\n在用") || overview.contains("1 在用"),
        "{overview}"
    );
    pages.look("overview");
    for page in ["rejections", "keys", "audit"] {
        browser
            .open(&format!("{}/console/{page}", hub.url))
            .unwrap();
        browser.find("main h1", WAIT).unwrap();
        pages.look(page);
    }
    let audit = browser.text("main").unwrap();
    assert!(
        audit.contains("审计链完整") && audit.contains("station.add"),
        "{audit}"
    );

    // A change without the CSRF token is refused by the server, even from this page.
    let refused = browser
        .script_async(
            "const done = arguments[arguments.length - 1];
             fetch('/console/stations/new', { method: 'POST',
               headers: { 'content-type': 'application/x-www-form-urlencoded' },
               body: 'name=x&area=y' }).then((r) => done(r.status));",
            json!([]),
        )
        .unwrap();
    assert_eq!(refused, json!(403));

    // The officer disables the station from its page; its next sync is refused.
    browser
        .open(&format!("{}/console/stations", hub.url))
        .unwrap();
    browser.click("tbody td a").unwrap();
    browser.find("#disable-reason", WAIT).unwrap();
    pages.look("station");
    browser
        .type_into("#disable-reason", "笔记本电脑丢失")
        .unwrap();
    browser.click("button.danger").unwrap();
    browser.wait_text("main", "站点已停用", WAIT).unwrap();
    pages.look("station-disabled");
    let after = nac(&db, &["sync"]);
    assert!(
        !after.status.success(),
        "a disabled station's sync is refused"
    );
    assert!(
        text(&after).to_lowercase().contains("disabled"),
        "{}",
        text(&after)
    );

    // The viewer signs in (own browser): reads everything, changes nothing.
    let viewer_profile = tempfile::tempdir().unwrap();
    let viewer_browser = App::chromium(tools, viewer_profile.path()).unwrap();
    viewer_browser
        .open(&format!("{}/console/signin", hub.url))
        .unwrap();
    viewer_browser.type_into("#name", "wang").unwrap();
    viewer_browser
        .type_into("#password", &viewer_one_time)
        .unwrap();
    submit(&viewer_browser);
    viewer_browser.find("#current", WAIT).unwrap();
    viewer_browser
        .type_into("#current", &viewer_one_time)
        .unwrap();
    viewer_browser
        .type_into("#new", "read only please 2026")
        .unwrap();
    viewer_browser
        .type_into("#repeat", "read only please 2026")
        .unwrap();
    submit(&viewer_browser);
    viewer_browser
        .wait_text("main", "新密码已保存", WAIT)
        .unwrap();
    viewer_browser
        .open(&format!("{}/console/stations", hub.url))
        .unwrap();
    viewer_browser.find("tbody td a", WAIT).unwrap();
    assert!(
        viewer_browser.find_all("a.button").unwrap().is_empty(),
        "no add button for a viewer"
    );
    viewer_browser.click("tbody td a").unwrap();
    viewer_browser.wait_text("main", "只读账号", WAIT).unwrap();
    assert!(viewer_browser
        .find_all("form button.danger, #enable-reason")
        .unwrap()
        .is_empty());
    let forged = viewer_browser
        .script_async(
            "const done = arguments[arguments.length - 1];
             const csrf = document.querySelector('input[name=csrf]').value;
             const id = location.pathname.split('/').pop();
             fetch('/console/stations/' + id + '/enable', { method: 'POST',
               headers: { 'content-type': 'application/x-www-form-urlencoded' },
               body: 'csrf=' + csrf + '&reason=forged' }).then((r) => done(r.status));",
            json!([]),
        )
        .unwrap();
    assert_eq!(forged, json!(403), "the server refuses a viewer's change");
    let still = nac(&db, &["sync"]);
    assert!(!still.status.success(), "still disabled");

    // An idle half hour ends the session.
    clock.advance_secs(31 * 60);
    // The harness writes the hub's clock file every 20 ms.
    std::thread::sleep(Duration::from_millis(200));
    browser
        .open(&format!("{}/console/stations", hub.url))
        .unwrap();
    browser
        .wait_text("main", "已超过30分钟未操作", WAIT)
        .unwrap();
    pages.look("session-ended");

    // No page showed a resident's ID number, name or phone.
    for (page, markup) in &pages.seen {
        for (name, n, phone) in RESIDENTS {
            let id = common::resident_id(n);
            for secret in [name, id.as_str(), phone] {
                assert!(!markup.contains(secret), "{page} shows {secret}");
            }
        }
    }
}
