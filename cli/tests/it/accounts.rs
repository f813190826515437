//! Volunteer accounts through the real `nac` (issue 9 §3–4): `--as NAME` signs in with the
//! PIN from `$NAC_PIN`; the reveal matrix — every read command's output, files and messages, by
//! role — shows full ID numbers and phones to the administrator only.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::{Command, Output};

const PASSPHRASE: &str = "test station passphrase";
const NUMBER: &str = "11010519491231002X";
const PHONE: &str = "13912345678";
const HOUSEHOLD_PHONE: &str = "13800001111";

fn nac(db: &Path, env: &[(&str, &str)], args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_nac"));
    cmd.env("NAC_PASSPHRASE", PASSPHRASE)
        .env_remove("NAC_PIN")
        .env_remove("LANG")
        .arg("--db")
        .arg(db)
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

/// A station with one household (with a phone) and one resident (with a phone), renewed,
/// the administrator `station` (the CLI) and the volunteer 李梅.
fn station(dir: &Path) -> std::path::PathBuf {
    let db = dir.join("station.db");
    let csv = dir.join("roster.csv");
    std::fs::write(
        &csv,
        format!(
            "区,路,弄,号,室,户联系电话,姓名,证件类型,证件号码,手机,有智能手机,备注\n\
             徐汇区,天钥桥路,100,5,301,{HOUSEHOLD_PHONE},张秀英,居民身份证,{NUMBER},{PHONE},否,\n"
        ),
    )
    .unwrap();
    let out = nac(&db, &[], &["import", csv.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let out = nac(&db, &[], &["renew", "--id", NUMBER]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let out = nac(
        &db,
        &[("NAC_NEW_PIN", "246810")],
        &["volunteer", "add", "李梅"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    db
}

#[test]
fn as_a_volunteer_no_command_shows_a_full_number_or_phone() {
    let dir = tempfile::tempdir().unwrap();
    let db = station(dir.path());
    let as_li = [("NAC_PIN", "246810")];
    let masked = dir.path().join("masked.csv");
    let pdf = dir.path().join("cards.pdf");
    let reads: Vec<(&str, Vec<&str>)> = vec![
        ("list", vec!["--as", "李梅", "list"]),
        ("list json", vec!["--as", "李梅", "--json", "list"]),
        ("show", vec!["--as", "李梅", "show", "--id", NUMBER]),
        (
            "show json",
            vec!["--as", "李梅", "--json", "show", "--id", NUMBER],
        ),
        ("cards", vec!["--as", "李梅", "--json", "cards"]),
        ("queue", vec!["--as", "李梅", "--json", "queue", "--all"]),
        ("config", vec!["--as", "李梅", "--json", "config"]),
        (
            "export",
            vec!["--as", "李梅", "export", masked.to_str().unwrap()],
        ),
        (
            "print",
            vec![
                "--as",
                "李梅",
                "print",
                "--all-active",
                "--out",
                pdf.to_str().unwrap(),
            ],
        ),
    ];
    for (what, args) in &reads {
        let out = nac(&db, &as_li, args);
        assert_eq!(out.status.code(), Some(0), "{what}: {}", text(&out));
        for secret in [NUMBER, PHONE, HOUSEHOLD_PHONE] {
            assert!(
                !text(&out).contains(secret),
                "{what} shows {secret} to a volunteer: {}",
                text(&out)
            );
        }
    }
    let exported = std::fs::read_to_string(&masked).unwrap();
    assert!(exported.contains("张秀英") && !exported.contains(NUMBER) && !exported.contains(PHONE));
    let pdf_bytes = std::fs::read(&pdf).unwrap();
    assert!(!pdf_bytes
        .windows(NUMBER.len())
        .any(|w| w == NUMBER.as_bytes()));

    // What only an administrator may do is refused, with nothing written.
    let full = dir.path().join("full.csv");
    let backup = dir.path().join("b.nacbackup");
    let audit_csv = dir.path().join("audit.csv");
    for (what, args) in [
        (
            "unmasked export",
            vec![
                "--as",
                "李梅",
                "export",
                "--unmasked",
                full.to_str().unwrap(),
            ],
        ),
        (
            "audit list",
            vec!["--as", "李梅", "--json", "audit", "list"],
        ),
        (
            "audit verify",
            vec!["--as", "李梅", "--json", "audit", "verify"],
        ),
        (
            "audit export",
            vec![
                "--as",
                "李梅",
                "--json",
                "audit",
                "export",
                audit_csv.to_str().unwrap(),
            ],
        ),
        (
            "backup",
            vec!["--as", "李梅", "--json", "backup", backup.to_str().unwrap()],
        ),
        (
            "disable",
            vec!["--as", "李梅", "--json", "volunteer", "disable", "station"],
        ),
    ] {
        let out = nac(&db, &as_li, &args);
        assert_eq!(out.status.code(), Some(2), "{what}: {}", text(&out));
        assert!(
            text(&out).contains("not_allowed") || text(&out).contains("管理员"),
            "{what}: {}",
            text(&out)
        );
    }
    assert!(!full.exists() && !backup.exists() && !audit_csv.exists());

    // The administrator (the CLI holding the passphrase) exports the full roster.
    let out = nac(&db, &[], &["export", "--unmasked", full.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let exported = std::fs::read_to_string(&full).unwrap();
    assert!(exported.contains(NUMBER) && exported.contains(PHONE));
    // … and reads in the log who did what.
    let out = nac(&db, &[], &["--json", "audit", "list"]);
    let log = text(&out);
    assert!(
        log.contains("signin") && log.contains("李梅") && log.contains("roster.export"),
        "{log}"
    );
    let out = nac(&db, &[], &["audit", "export", audit_csv.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let exported = std::fs::read_to_string(&audit_csv).unwrap();
    assert!(exported.contains("roster.export") && exported.contains("李梅"));
    assert!(
        !exported.contains(NUMBER) && !exported.contains(PHONE),
        "the audit log holds no ID number or phone"
    );
}

#[test]
fn a_wrong_or_missing_pin_stops_before_anything_happens() {
    let dir = tempfile::tempdir().unwrap();
    let db = station(dir.path());
    let out = nac(
        &db,
        &[("NAC_PIN", "000000")],
        &["--json", "--as", "李梅", "renew", "--id", NUMBER],
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("wrong_pin"), "{}", text(&out));
    // No PIN and no terminal: a clear error, exit 2.
    let out = nac(&db, &[], &["--as", "李梅", "list"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("NAC_PIN"), "{}", text(&out));
    // Nor does a missing passphrase get anywhere.
    let out = Command::new(env!("CARGO_BIN_EXE_nac"))
        .env_remove("NAC_PASSPHRASE")
        .arg("--db")
        .arg(&db)
        .arg("list")
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).contains("NAC_PASSPHRASE"), "{}", text(&out));
}
