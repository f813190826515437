//! The station file against a curious volunteer and a stolen copy, through the real `nac`
//! (issue 16 §2–6): the passphrase and restores are administrators' acts and audited; a
//! restore refuses another station's backup; a plaintext station is encrypted only under a
//! strong passphrase and its plaintext is overwritten; an old file's key derivation is
//! raised at its next open.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use nac_core::store::{self, DatabaseKey, FileKind, KdfParams, Passphrase};
use nac_core::{ManualClock, Station, WriteSource};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;

const PASSPHRASE: &str = "test station passphrase";
const NUMBER: &str = "11010519491231002X";

fn nac(db: &Path, env: &[(&str, &str)], args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_nac"));
    cmd.env("NAC_PASSPHRASE", PASSPHRASE)
        .env_remove("NAC_PIN")
        .args(["--lang", "en", "--db"])
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

fn ok(out: Output) -> String {
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    text(&out)
}

/// A station with one resident and the volunteer 李梅 (PIN 246810).
fn station(dir: &Path, name: &str) -> PathBuf {
    let db = dir.join(format!("{name}.db"));
    let csv = dir.join(format!("{name}.csv"));
    std::fs::write(
        &csv,
        format!(
            "区,路,弄,号,室,户联系电话,姓名,证件类型,证件号码,手机,有智能手机,备注\n\
             徐汇区,天钥桥路,100,5,301,,张秀英,居民身份证,{NUMBER},,否,\n"
        ),
    )
    .unwrap();
    ok(nac(&db, &[], &["import", csv.to_str().unwrap()]));
    ok(nac(
        &db,
        &[("NAC_NEW_PIN", "246810")],
        &["volunteer", "add", "李梅"],
    ));
    db
}

fn as_volunteer(db: &Path, args: &[&str]) -> Output {
    let mut all = vec!["--as", "李梅"];
    all.extend_from_slice(args);
    nac(db, &[("NAC_PIN", "246810")], &all)
}

fn station_id(db: &Path) -> String {
    let out = ok(nac(db, &[], &["--json", "config"]));
    let v: serde_json::Value = serde_json::from_str(out.lines().next().unwrap()).unwrap();
    v["station"]["station_id"].as_str().unwrap().to_string()
}

#[test]
fn a_volunteer_cannot_change_the_passphrase_or_restore_and_the_admins_acts_are_audited() {
    let dir = tempfile::tempdir().unwrap();
    let db = station(dir.path(), "station");
    let backup = dir.path().join("b.nacbackup");
    ok(nac(&db, &[], &["backup", backup.to_str().unwrap()]));
    let new = [("NAC_NEW_PASSPHRASE", "梧桐 lantern 47 orchard")];

    let mut all = vec!["--as", "李梅", "passphrase"];
    let out = nac(&db, &[("NAC_PIN", "246810"), new[0]], &all);
    assert_ne!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        text(&out).contains("only a station administrator"),
        "{}",
        text(&out)
    );
    let out = as_volunteer(&db, &["restore", backup.to_str().unwrap()]);
    assert_ne!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        text(&out).contains("only a station administrator"),
        "{}",
        text(&out)
    );
    ok(nac(&db, &[], &["list"]));

    // The administrator (the passphrase holder) restores: audited in the restored log.
    let out = ok(nac(&db, &[], &["restore", backup.to_str().unwrap()]));
    assert!(out.contains("replaced"), "{out}");
    let audit = ok(nac(&db, &[], &["audit", "list"]));
    assert!(audit.contains("restore"), "{audit}");
    ok(nac(&db, &[], &["audit", "verify", "--local"]));

    all.remove(0);
    all.remove(0);
    let out = ok(nac(&db, &new, &all));
    assert!(
        out.contains(backup.to_str().unwrap()),
        "names the backup that keeps the old passphrase: {out}"
    );
    let audit = ok(nac(
        &db,
        &[("NAC_PASSPHRASE", "梧桐 lantern 47 orchard")],
        &["audit", "list"],
    ));
    assert!(audit.contains("passphrase_changed"), "{audit}");
}

#[test]
fn a_restore_refuses_another_stations_backup_unless_forced() {
    let dir = tempfile::tempdir().unwrap();
    let a = station(dir.path(), "a");
    let b = station(dir.path(), "b");
    let (a_id, b_id) = (station_id(&a), station_id(&b));
    let a_backup = dir.path().join("a.nacbackup");
    ok(nac(&a, &[], &["backup", a_backup.to_str().unwrap()]));
    let before = std::fs::read(&b).unwrap();

    let out = nac(&b, &[], &["restore", a_backup.to_str().unwrap()]);
    assert_ne!(out.status.code(), Some(0));
    let message = text(&out);
    assert!(message.contains("not of this station"), "{message}");
    assert!(
        message.contains(&a_id) && message.contains(&b_id),
        "{message}"
    );
    assert_eq!(std::fs::read(&b).unwrap(), before, "nothing replaced");

    ok(nac(
        &b,
        &[],
        &[
            "restore",
            a_backup.to_str().unwrap(),
            "--force-other-station",
        ],
    ));
    assert_eq!(station_id(&b), a_id);
}

/// A plaintext station file as an old version left it: a real station exported unencrypted.
fn plaintext_station(dir: &Path) -> PathBuf {
    let encrypted = station(dir, "old-encrypted");
    let key = DatabaseKey::for_file(&encrypted, &Passphrase::new(PASSPHRASE)).unwrap();
    let conn = store::connect(&encrypted, &key).unwrap();
    let plain = dir.join("plain.db");
    conn.execute(
        "ATTACH DATABASE ?1 AS plain KEY ''",
        [plain.to_string_lossy()],
    )
    .unwrap();
    conn.query_row("SELECT sqlcipher_export('plain')", [], |_| Ok(()))
        .unwrap();
    let version = store::schema_version(&conn).unwrap();
    conn.pragma_update(Some("plain"), "user_version", version)
        .unwrap();
    conn.execute_batch("DETACH DATABASE plain").unwrap();
    assert_eq!(store::file_kind(&plain).unwrap(), FileKind::Plaintext);
    plain
}

#[test]
fn a_plaintext_station_is_encrypted_only_under_a_strong_passphrase_and_then_wiped() {
    let dir = tempfile::tempdir().unwrap();
    let plain = plaintext_station(dir.path());
    for weak in ["", "12345678", "password"] {
        let out = nac(&plain, &[("NAC_PASSPHRASE", weak)], &["list"]);
        assert_ne!(out.status.code(), Some(0), "{weak:?}: {}", text(&out));
        assert!(text(&out).contains("too weak"), "{}", text(&out));
        assert_eq!(store::file_kind(&plain).unwrap(), FileKind::Plaintext);
    }
    let link = dir.path().join("plain-link.db");
    std::fs::hard_link(&plain, &link).unwrap();
    let out = ok(nac(&plain, &[], &["list"]));
    assert!(out.contains("overwritten with zeros"), "{out}");
    assert!(matches!(
        store::file_kind(&plain).unwrap(),
        FileKind::Encrypted(_)
    ));
    let old = std::fs::read(&link).unwrap();
    assert!(!old.is_empty() && old.iter().all(|b| *b == 0));
}

#[test]
fn an_old_files_key_derivation_is_raised_at_its_next_open() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("old.db");
    // Written before the cost was carried in the salt: an unmarked salt, 19 MiB and 2 passes.
    let legacy = DatabaseKey::derive(&Passphrase::new(PASSPHRASE), *b"legacy-salt-16b!").unwrap();
    assert_eq!(legacy.cost(), KdfParams::LEGACY);
    let clock = Arc::new(ManualClock::at_cst(2026, 12, 7, 9, 0, 0));
    let id = Station::open(&db, &legacy, clock, WriteSource::Cli)
        .unwrap()
        .station_id()
        .to_string();

    // As shipped (release builds ignore NAC_TEST_KDF).
    let released = |args: &[&str]| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_nac"));
        cmd.env("NAC_PASSPHRASE", PASSPHRASE)
            .env_remove("NAC_TEST_KDF")
            .args(["--lang", "en", "--db"])
            .arg(&db)
            .args(args);
        ok(cmd.output().unwrap())
    };
    released(&["list"]);
    let FileKind::Encrypted(salt) = store::file_kind(&db).unwrap() else {
        panic!("still encrypted");
    };
    assert_eq!(KdfParams::of_salt(&salt), KdfParams::STANDARD);
    assert_eq!(station_id(&db), id, "the same station, upgraded in place");
    released(&["list"]);
    assert_eq!(
        store::file_kind(&db).unwrap(),
        FileKind::Encrypted(salt),
        "upgraded once"
    );
}
