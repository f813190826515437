//! Issue 16 §9 through the real `nac`: a sign-in name carrying a newline, a line laid out like
//! `nac audit list`'s and terminal escapes is refused before anything is logged; a row an older
//! version logged with such a name lists as one line with the escapes shown, not sent to the
//! terminal, and the export holds no raw control character either.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use common::{nac, output_text, PASSPHRASE};
use std::process::Command;

/// The name: a newline, a fake row, then "clear the screen" and "red".
const HOSTILE: &str =
    "x\n    99  2026-12-01 10:00:00  cli    station      account.add      evil admin\u{1b}[2J\u{1b}[31m";

#[test]
fn a_hostile_sign_in_name_is_refused_and_an_old_one_lists_escaped() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("station.db");
    let out = nac(&db, &["list"]);
    assert!(out.status.success(), "{}", output_text(&out));
    let rows_before = audit_rows(&db);

    let out = Command::new(env!("CARGO_BIN_EXE_nac"))
        .env("NAC_PASSPHRASE", PASSPHRASE)
        .env("NAC_PIN", "000000")
        .arg("--db")
        .arg(&db)
        .args(["--lang", "en", "--as", HOSTILE, "list"])
        .output()
        .unwrap();
    let text = output_text(&out);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(text.contains("account name"), "{text}");
    assert!(
        text.contains("U+000A"),
        "the error names the character: {text}"
    );
    assert!(!text.contains('\u{1b}'), "{text:?}");
    assert_eq!(audit_rows(&db), rows_before, "nothing was logged");

    // A row an older version wrote with that name, straight into the chain.
    {
        let conn = common::raw_connection(&db);
        nac_core::audit::append(&conn, 1_800_000_000, "ui", None, "signin.failed", HOSTILE)
            .unwrap();
    }
    let out = nac(&db, &["audit", "list"]);
    let listed = String::from_utf8(out.stdout).unwrap();
    assert!(out.status.success(), "{listed}");
    assert!(only_newlines(&listed), "{listed:?}");
    assert_eq!(
        listed.lines().count() as i64,
        audit_rows(&db),
        "one line per row, no fake row: {listed}"
    );
    let line = listed
        .lines()
        .find(|l| l.contains("signin.failed"))
        .unwrap();
    assert!(
        line.ends_with(r"x\u{a}    99  2026-12-01 10:00:00  cli    station      account.add      evil admin\u{1b}[2J\u{1b}[31m"),
        "{line}"
    );
    assert!(!listed.lines().any(|l| l.starts_with("    99")), "{listed}");

    let out = nac(&db, &["audit", "verify", "--local"]);
    assert!(out.status.success(), "{}", output_text(&out));
    let csv = dir.path().join("audit.csv");
    let out = nac(&db, &["audit", "export", csv.to_str().unwrap()]);
    assert!(out.status.success(), "{}", output_text(&out));
    let bytes = std::fs::read(&csv).unwrap();
    assert!(!bytes.contains(&0x1b), "no terminal escape in the export");
    let text = String::from_utf8(bytes).unwrap();
    assert_eq!(
        text.matches("\r\n").count(),
        text.matches('\n').count(),
        "no line break inside a cell"
    );
}

fn only_newlines(text: &str) -> bool {
    text.chars()
        .filter(|c| nac_core::audit::is_unsafe_char(*c))
        .all(|c| c == '\n')
}

fn audit_rows(db: &std::path::Path) -> i64 {
    common::raw_connection(db)
        .query_row("SELECT count(*) FROM audit_log", [], |r| r.get(0))
        .unwrap()
}
