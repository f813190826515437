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

use support::backends::Env;

both_backends!(
    signing_in_backoff_first_password_and_expiry,
    changes_need_the_token_the_origin_and_an_administrator,
    accounts_from_the_command_line_and_a_re_enrolment,
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

    /// A signing clock reading the same file (a station signing by the hub's time).
    fn signing(&self) -> nac_protocol::client::SigningClock {
        let path = self.0.clone();
        std::sync::Arc::new(move || {
            std::fs::read_to_string(&path)
                .ok()
                .and_then(|t| t.trim().parse().ok())
                .unwrap_or(T0)
        })
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

fn cli(env: &Env, clock: &HubClock, args: &[&str]) -> serde_json::Value {
    serde_json::from_str(&run_hub(&env.data, args, &clock.env())).unwrap()
}

fn accounts_from_the_command_line_and_a_re_enrolment(env: Env) {
    use nac_credential::StationKey;
    use nac_protocol::client::{ClientLimits, HubClient, SignedClient};
    use nac_protocol::{Method, PATH_ENROL, PATH_TRUST};

    let clock = HubClock::new(env.dir.path());
    let one_time = add_admin(&env, &clock, "li", "admin");
    let hub = HubProcess::start(&env.data, env.dir.path(), &[], &clock.env());
    let mut web = Web::new(&hub.url);
    web.first_sign_in("li", &one_time, "district office 2026");
    let listed = cli(&env, &clock, &["admin", "list", "--json"]);
    assert_eq!(listed[0]["name"], "li");
    assert_eq!(
        listed[0]["must_change"], false,
        "changed at the first sign-in"
    );

    // Disabling ends the session at once; enabling lets the account sign in again.
    run_hub(&env.data, &["admin", "disable", "li"], &clock.env());
    assert_eq!(web.get("/console/").location(), "/console/signin?ended=1");
    assert_eq!(web.sign_in("li", "district office 2026").status, 401);
    run_hub(&env.data, &["admin", "enable", "li"], &clock.env());
    assert_eq!(web.sign_in("li", "district office 2026").status, 303);
    // A reset: the old password stops working, the new one-time one must be replaced.
    let reset = cli(&env, &clock, &["admin", "reset", "li", "--json"]);
    let again = reset["password"].as_str().unwrap();
    assert_eq!(web.get("/console/").location(), "/console/signin?ended=1");
    let mut fresh = Web::new(&hub.url);
    assert_eq!(fresh.sign_in("li", "district office 2026").status, 401);
    fresh.first_sign_in("li", again, "a new password 2026");

    // Re-enrolment from the console: a new code; once a new laptop enrols with it, the old key
    // is refused and the new one served.
    let added = cli(
        &env,
        &clock,
        &[
            "station",
            "add",
            "--name",
            "幸福里",
            "--area",
            "长宁",
            "--json",
        ],
    );
    let id = added["station"].as_str().unwrap().to_owned();
    let enrol = |key: &StationKey, code: &str| {
        let body = serde_json::to_vec(&enrol_request(key, code)).unwrap();
        HubClient::new(&hub.url, ClientLimits::TOOLS)
            .send(Method::Post, PATH_ENROL, &body, &[])
            .unwrap()
            .status
    };
    let old_key = StationKey::from_secret_bytes(&[1; 32]);
    assert_eq!(
        enrol(&old_key, added["enrolment_code"].as_str().unwrap()),
        200
    );
    let old = SignedClient::new(&hub.url, &id, old_key).with_clock(clock.signing());
    assert_eq!(old.send(Method::Get, PATH_TRUST, b"").unwrap().status, 200);
    let csrf = fresh.csrf();
    let page = fresh.post(
        &format!("/console/stations/{id}/reenrol"),
        &[("csrf", &csrf), ("reason", "laptop replaced")],
    );
    assert_eq!(page.status, 200, "{}", page.text());
    let code = page
        .body
        .split("id=\"enrolment-code\">")
        .nth(1)
        .and_then(|s| s.split('<').next())
        .unwrap()
        .to_owned();
    let new_key = StationKey::from_secret_bytes(&[2; 32]);
    assert_eq!(enrol(&new_key, &code), 200);
    assert_eq!(old.send(Method::Get, PATH_TRUST, b"").unwrap().status, 401);
    let new = SignedClient::new(&hub.url, &id, new_key).with_clock(clock.signing());
    assert_eq!(new.send(Method::Get, PATH_TRUST, b"").unwrap().status, 200);
    let audit = fresh.get("/console/audit").text();
    for action in [
        "admin.disable",
        "admin.enable",
        "admin.reset",
        "station.reenrol",
    ] {
        assert!(audit.contains(action), "{action}: {audit}");
    }
}

/// Over HTTPS the session cookie is `Secure` and `__Host-` prefixed (the browser then refuses it
/// unless it came from this host, for `/`, over TLS), and so is the sign-in form's.
#[test]
fn over_https_the_cookies_are_secure_and_host_prefixed() {
    let dir = tempfile::tempdir().unwrap();
    let issued = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_string()]).unwrap();
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    std::fs::write(&cert, issued.cert.pem()).unwrap();
    std::fs::write(&key, issued.signing_key.serialize_pem()).unwrap();
    let env = Env {
        data: DataArg::Sqlite(dir.path().join("hub.db")),
        dir,
    };
    let clock = HubClock::new(env.dir.path());
    let one_time = add_admin(&env, &clock, "li", "admin");
    let (cert_arg, key_arg) = (cert.display().to_string(), key.display().to_string());
    let hub = HubProcess::start(
        &env.data,
        env.dir.path(),
        &["--tls-cert", &cert_arg, "--tls-key", &key_arg],
        &clock.env(),
    );
    assert!(hub.url.starts_with("https://"), "{}", hub.url);
    let mut web = Web::with_ca(&hub.url, &issued.cert.pem());
    let form = web.get("/console/signin");
    let pre_cookie = form.header("set-cookie").unwrap_or_default().to_owned();
    assert!(
        pre_cookie.starts_with("__Host-nac_signin=") && pre_cookie.contains("; Secure"),
        "{pre_cookie}"
    );
    let signed = web.sign_in("li", &one_time);
    assert_eq!(signed.status, 303, "{}", signed.text());
    let session = signed
        .headers
        .iter()
        .find(|(k, v)| k == "set-cookie" && v.starts_with("__Host-nac_console="))
        .map(|(_, v)| v.clone())
        .unwrap();
    for attribute in ["; Path=/", "; HttpOnly", "; SameSite=Strict", "; Secure"] {
        assert!(session.contains(attribute), "{attribute}: {session}");
    }
    assert!(
        !session.contains("Domain="),
        "a __Host- cookie names no domain"
    );
    // An http:// origin is another site to an https:// console.
    let csrf_page = web.get("/console/password");
    let csrf = csrf_page.input("csrf").unwrap();
    let plain_origin = hub.url.replacen("https://", "http://", 1);
    let refused = web.post_from(
        "/console/password",
        &[
            ("csrf", &csrf),
            ("current", &one_time),
            ("new", "x"),
            ("repeat", "x"),
        ],
        Some(&plain_origin),
    );
    assert_eq!(refused.status, 403);
}
