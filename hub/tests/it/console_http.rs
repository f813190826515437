//! The district console over HTTP against the real `nac-hub` binary on 127.0.0.1, on SQLite
//! and PostgreSQL, with the hub's clock in a file the test moves: sign-in and its backoff, the
//! first-sign-in password change, the CSRF token and the Origin check, a viewer's forged
//! change refused by the server, session expiry, the security headers on every answer, the
//! audit of console and command-line actions, and `--no-console`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::support;

use std::path::{Path, PathBuf};

use support::process::{run_hub, DataArg, HubProcess};
use support::web::{Web, WebPage};
use support::*;

struct Env {
    data: DataArg,
    dir: tempfile::TempDir,
}

fn sqlite_env() -> Option<Env> {
    let dir = tempfile::tempdir().unwrap();
    Some(Env {
        data: DataArg::Sqlite(dir.path().join("hub.db")),
        dir,
    })
}

fn postgres_env() -> Option<Env> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let url = rt.block_on(pg::fresh_database())?;
    let dir = tempfile::tempdir().unwrap();
    Some(Env {
        data: DataArg::Postgres(url, dir.path().join("keys")),
        dir,
    })
}

macro_rules! both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $( #[test] fn $name() { if let Some(env) = super::sqlite_env() { super::$name(env) } } )*
        }
        mod postgres {
            $( #[test] fn $name() { if let Some(env) = super::postgres_env() { super::$name(env) } } )*
        }
    };
}

both_backends!(
    signing_in_backoff_first_password_and_expiry,
    changes_need_the_token_the_origin_and_an_administrator,
);

/// The hub's clock, a file the hub reads at every use.
struct HubClock(PathBuf);

impl HubClock {
    fn new(dir: &Path) -> HubClock {
        let clock = HubClock(dir.join("clock"));
        clock.set(T0);
        clock
    }

    fn set(&self, t: i64) {
        let tmp = self.0.with_extension("tmp");
        std::fs::write(&tmp, t.to_string()).unwrap();
        std::fs::rename(tmp, &self.0).unwrap();
    }

    fn env(&self) -> Vec<(&'static str, String)> {
        vec![("NAC_HUB_CLOCK_FILE", self.0.display().to_string())]
    }
}

/// Adds an account with the CLI; returns its one-time password.
fn add_admin(env: &Env, clock: &HubClock, name: &str, role: &str) -> String {
    let out = run_hub(
        &env.data,
        &["admin", "add", name, "--role", role, "--json"],
        &clock.env(),
    );
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["must_change"], true);
    v["password"].as_str().unwrap().to_owned()
}

fn assert_security_headers(page: &WebPage, what: &str) {
    let csp = page.header("content-security-policy").unwrap_or_default();
    assert!(
        csp.contains("default-src 'self'") && csp.contains("frame-ancestors 'none'"),
        "{what}: CSP {csp:?}"
    );
    assert!(
        !csp.contains("unsafe-inline"),
        "{what}: no inline script or style"
    );
    assert_eq!(
        page.header("x-content-type-options"),
        Some("nosniff"),
        "{what}"
    );
    assert_eq!(
        page.header("referrer-policy"),
        Some("no-referrer"),
        "{what}"
    );
}

fn signing_in_backoff_first_password_and_expiry(env: Env) {
    let clock = HubClock::new(env.dir.path());
    let one_time = add_admin(&env, &clock, "li", "admin");
    let hub = HubProcess::start(&env.data, env.dir.path(), &[], &clock.env());
    let mut web = Web::new(&hub.url);

    let first = web.get("/console/");
    assert_eq!((first.status, first.location()), (303, "/console/signin"));
    assert_security_headers(&first, "a redirect");
    let form = web.get("/console/signin");
    assert_security_headers(&form, "the sign-in page");
    assert!(form.body.contains("<html lang=\"zh-CN\""), "Chinese first");
    let css = web.get("/console/assets/console.css");
    assert_eq!(css.status, 200);
    assert_security_headers(&css, "the stylesheet");

    // The sign-in form's token must match its cookie; a foreign origin is refused.
    let pre = form.input("pre").unwrap();
    let mut stranger = Web::new(&hub.url);
    let forged = stranger.post(
        "/console/signin",
        &[("pre", &pre), ("name", "li"), ("password", &one_time)],
    );
    assert_eq!(forged.status, 403, "no cookie for the token");
    let foreign = web.post_from(
        "/console/signin",
        &[("pre", &pre), ("name", "li"), ("password", &one_time)],
        Some("http://evil.example"),
    );
    assert_eq!(foreign.status, 403, "another site's form");

    // Three wrong passwords, then even the right one waits 30 s.
    for _ in 0..3 {
        let wrong = web.sign_in("li", "not the password");
        assert_eq!(wrong.status, 401);
        assert!(
            wrong.text().contains("账号或密码不正确"),
            "{}",
            wrong.text()
        );
    }
    let waits = web.sign_in("li", &one_time);
    assert_eq!(waits.status, 429);
    assert!(waits.text().contains("秒后再试"), "{}", waits.text());
    clock.set(T0 + 31);
    // The address waits too: a fourth wrong password from here doubles it.
    let now_ok = web.sign_in("li", &one_time);
    assert_eq!(now_ok.status, 303, "{}", now_ok.text());
    assert_eq!(now_ok.location(), "/console/password", "one-time password");
    let cookie = now_ok
        .headers
        .iter()
        .find(|(k, v)| k == "set-cookie" && v.starts_with("nac_console="))
        .map(|(_, v)| v.clone())
        .unwrap();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );

    // Until the password is changed, every page leads to the change.
    assert_eq!(web.get("/console/stations").location(), "/console/password");
    let form = web.get("/console/password");
    let csrf = form.input("csrf").unwrap();
    let weak = web.post(
        "/console/password",
        &[
            ("csrf", &csrf),
            ("current", &one_time),
            ("new", "short"),
            ("repeat", "short"),
        ],
    );
    assert_eq!(weak.status, 400);
    let changed = web.post(
        "/console/password",
        &[
            ("csrf", &csrf),
            ("current", &one_time),
            ("new", "district office 2026"),
            ("repeat", "district office 2026"),
        ],
    );
    assert_eq!(
        (changed.status, changed.location()),
        (303, "/console/?done=password")
    );
    let overview = web.get(changed.location());
    assert_eq!(overview.status, 200);
    assert_security_headers(&overview, "the overview");
    assert!(overview.text().contains("新密码已保存"));
    let mut again = Web::new(&hub.url);
    assert_eq!(
        again.sign_in("li", &one_time).status,
        401,
        "the one-time password is gone"
    );

    // 29 minutes idle: still signed in; then 31 minutes idle: signed out.
    clock.set(T0 + 31 + 29 * 60);
    assert_eq!(web.get("/console/stations").status, 200);
    clock.set(T0 + 31 + 29 * 60 + 31 * 60);
    let ended = web.get("/console/stations");
    assert_eq!(
        (ended.status, ended.location()),
        (303, "/console/signin?ended=1")
    );
    assert!(web
        .get("/console/signin?ended=1")
        .text()
        .contains("已超过30分钟未操作"));

    // Every sign-in, failed or not, and the password change are in the hub's audit log.
    let mut web = Web::new(&hub.url);
    assert_eq!(web.sign_in("li", "district office 2026").status, 303);
    let audit = web.get("/console/audit");
    let text = audit.text();
    assert!(text.contains("审计链完整"), "{text}");
    for action in ["admin.add", "signin.failed", "signin", "password.change"] {
        assert!(text.contains(action), "{action} audited: {text}");
    }
    assert!(
        text.contains("cli:"),
        "the command line's action names its user"
    );

    // Sign-out ends the session on the server too.
    let csrf = web.csrf();
    let out = web.post("/console/signout", &[("csrf", &csrf)]);
    assert_eq!(out.location(), "/console/signin");
    assert_eq!(web.get("/console/").location(), "/console/signin");
    drop(hub);

    let quiet = HubProcess::start(&env.data, env.dir.path(), &["--no-console"], &clock.env());
    let mut web = Web::new(&quiet.url);
    assert_eq!(web.get("/console/").status, 404, "--no-console");
    assert_eq!(web.get("/console/signin").status, 404);
}

fn changes_need_the_token_the_origin_and_an_administrator(env: Env) {
    let clock = HubClock::new(env.dir.path());
    let admin_pw = add_admin(&env, &clock, "li", "admin");
    let viewer_pw = add_admin(&env, &clock, "wang", "viewer");
    let hub = HubProcess::start(&env.data, env.dir.path(), &[], &clock.env());
    let mut admin = Web::new(&hub.url);
    admin.first_sign_in("li", &admin_pw, "district office 2026");
    let csrf = admin.csrf();

    let add = |web: &mut Web, csrf: &str, origin: Option<&str>| {
        web.post_from(
            "/console/stations/new",
            &[("csrf", csrf), ("name", "幸福里居委会"), ("area", "长宁")],
            origin,
        )
    };
    let own = hub.url.clone();
    assert_eq!(add(&mut admin, "", Some(&own)).status, 403, "no token");
    assert_eq!(
        add(&mut admin, &"0".repeat(64), Some(&own)).status,
        403,
        "wrong token"
    );
    assert_eq!(
        add(&mut admin, &csrf, Some("http://evil.example")).status,
        403,
        "another site"
    );
    let added = add(&mut admin, &csrf, Some(&own));
    assert_eq!(added.status, 200, "{}", added.text());
    assert!(added.body.contains("<svg"), "the code as a QR code");
    let code = added
        .body
        .split("id=\"enrolment-code\">")
        .nth(1)
        .and_then(|s| s.split('<').next())
        .unwrap()
        .to_owned();
    assert!(code.len() >= 12, "{code}");
    let listed = run_hub(&env.data, &["station", "list", "--json"], &clock.env());
    let stations: serde_json::Value = serde_json::from_str(&listed).unwrap();
    let id = stations[0]["id"].as_str().unwrap().to_owned();
    assert_eq!(stations[0]["name"], "幸福里居委会");

    // A viewer sees the pages and can change nothing: the server says 403 to a forged form.
    let mut viewer = Web::new(&hub.url);
    viewer.first_sign_in("wang", &viewer_pw, "read only please 2026");
    let page = viewer.get(&format!("/console/stations/{id}"));
    assert_eq!(page.status, 200);
    assert!(
        !page.body.contains("/disable\""),
        "no disable form for a viewer"
    );
    let viewer_csrf = viewer.csrf();
    assert_eq!(add(&mut viewer, &viewer_csrf, Some(&own)).status, 403);
    let forged = viewer.post(
        &format!("/console/stations/{id}/disable"),
        &[("csrf", &viewer_csrf), ("reason", "forged")],
    );
    assert_eq!(forged.status, 403);
    assert!(forged.text().contains("只读账号不能更改任何内容"));
    let listed = run_hub(&env.data, &["station", "list", "--json"], &clock.env());
    assert!(listed.contains("\"pending\""), "unchanged: {listed}");

    // The administrator disables with a reason (required), and enables again.
    let no_reason = admin.post(
        &format!("/console/stations/{id}/disable"),
        &[("csrf", &csrf), ("reason", " ")],
    );
    assert_eq!(no_reason.status, 400);
    let disabled = admin.post(
        &format!("/console/stations/{id}/disable"),
        &[("csrf", &csrf), ("reason", "laptop stolen")],
    );
    assert_eq!(disabled.status, 303, "{}", disabled.text());
    let listed = run_hub(&env.data, &["station", "list", "--json"], &clock.env());
    assert!(listed.contains("\"disabled\""), "{listed}");
    let page = admin.get(disabled.location());
    assert!(page.text().contains("站点已停用"));
    let enabled = admin.post(
        &format!("/console/stations/{id}/enable"),
        &[("csrf", &csrf), ("reason", "found it")],
    );
    assert_eq!(enabled.status, 303);
    let audit = admin.get("/console/audit").text();
    for line in [
        "station.add",
        "station.disable",
        "laptop stolen",
        "station.enable",
        "console:li",
    ] {
        assert!(audit.contains(line), "{line} audited: {audit}");
    }
    assert!(
        !audit.contains("station.disable") || !audit.contains("forged"),
        "the refused change left no trace of having happened"
    );
    // Every page answers, in both languages.
    for path in [
        "/console/",
        "/console/stations",
        "/console/rejections",
        "/console/keys",
        "/console/audit",
        &format!("/console/stations/{id}"),
    ] {
        let page = admin.get(path);
        assert_eq!(page.status, 200, "{path}");
        assert_security_headers(&page, path);
    }
    let switched = admin.get("/console/lang?to=en&back=/console/stations");
    assert_eq!(switched.location(), "/console/stations");
    assert!(admin
        .get("/console/stations")
        .text()
        .contains("Add a station"));
    let outside = admin.get("/console/lang?to=en&back=//evil.example/");
    assert_eq!(outside.location(), "/console/", "never an open redirect");
}
