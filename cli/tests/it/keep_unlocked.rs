//! The station's secrets from the command line (issue 16, items 10 and 11): `nac config
//! --keep-printed-days` (administrators), `nac unlock --until HH:MM` puts the station key in
//! the kernel keyring (administrators; a volunteer is refused) and `nac lock` removes it
//! without the passphrase. Under `CI=true` a computer without a usable kernel keyring fails
//! instead of skipping.
#![allow(
    clippy::disallowed_methods,
    reason = "these tests drive real processes and hubs that read the system clock"
)]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::{Command, Output};

const PASSPHRASE: &str = "test station passphrase";

fn nac(db: &Path, env: &[(&str, &str)], args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_nac"));
    cmd.env("NAC_PASSPHRASE", PASSPHRASE)
        .env_remove("NAC_PIN")
        .arg("--db")
        .arg(db)
        .args(["--lang", "en"])
        .args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// A station with the volunteer 李梅 (PIN 246810).
fn station(dir: &Path) -> std::path::PathBuf {
    let db = dir.join("station.db");
    let out = nac(
        &db,
        &[("NAC_NEW_PIN", "246810")],
        &["volunteer", "add", "李梅"],
    );
    assert!(out.status.success(), "{}", text(&out));
    db
}

#[test]
fn printed_pdfs_retention_is_an_administrator_setting() {
    let dir = tempfile::tempdir().unwrap();
    let db = station(dir.path());
    let out = nac(&db, &[], &["config"]);
    assert!(
        text(&out).contains("Printed PDFs kept (days): 7"),
        "{}",
        text(&out)
    );
    let out = nac(&db, &[], &["config", "--keep-printed-days", "2"]);
    assert!(
        text(&out).contains("Printed PDFs kept (days): 2"),
        "{}",
        text(&out)
    );
    let out = nac(&db, &[], &["config", "--keep-printed-days", "91"]);
    assert!(!out.status.success(), "{}", text(&out));
    let out = nac(
        &db,
        &[("NAC_PIN", "246810")],
        &["--as", "李梅", "config", "--keep-printed-days", "30"],
    );
    assert!(!out.status.success());
    assert!(text(&out).contains("not_allowed") || text(&out).contains("administrator"));
    let out = nac(&db, &[], &["--json", "config"]);
    assert!(
        text(&out).contains("\"keep_printed_days\":2"),
        "{}",
        text(&out)
    );
}

/// A time later today (CST), for `--until`.
fn later_today() -> String {
    let now = chrono::Utc::now().with_timezone(&nac_core::time::cst());
    let later = now + chrono::Duration::minutes(30);
    if later.date_naive() == now.date_naive() {
        later.format("%H:%M").to_string()
    } else {
        "24:00".into()
    }
}

#[test]
fn an_administrator_keeps_the_station_unlocked_and_anyone_locks_it() {
    if let Err(e) = nac_core::keyring::available() {
        assert!(
            !std::env::var("CI").is_ok_and(|v| v == "true"),
            "CI=true but the kernel keyring is not usable: {e}"
        );
        eprintln!("SKIPPED keyring test: {e}");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let db = station(dir.path());
    let until = later_today();
    let out = nac(
        &db,
        &[("NAC_PIN", "246810")],
        &["--as", "李梅", "unlock", "--until", &until],
    );
    assert!(!out.status.success(), "a volunteer: {}", text(&out));
    assert!(nac_core::keyring::find(&db).unwrap().is_none());

    let out = nac(&db, &[], &["--json", "unlock", "--until", &until]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("kept_until_cst"), "{}", text(&out));
    let kept = nac_core::keyring::find(&db).unwrap().expect("kept");
    assert!(kept.until > chrono::Utc::now().timestamp());

    // No passphrase needed to lock.
    let out = Command::new(env!("CARGO_BIN_EXE_nac"))
        .env_remove("NAC_PASSPHRASE")
        .args(["--lang", "en", "--json", "--db"])
        .arg(&db)
        .arg("lock")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("\"removed\":true"), "{}", text(&out));
    assert!(nac_core::keyring::find(&db).unwrap().is_none());
    let out = nac(&db, &[], &["lock"]);
    assert!(text(&out).contains("not kept unlocked"), "{}", text(&out));

    let out = nac(&db, &[], &["audit", "list"]);
    let log = text(&out);
    assert!(log.contains("station.keep_unlocked"), "{log}");
    assert!(log.contains("station.lock"), "{log}");
}
