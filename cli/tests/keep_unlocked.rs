//! The station's secrets from the command line (issue 16, item 10): `nac config
//! --keep-printed-days` (administrators).
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
