//! `nac` and the station file: the demo goes to its own marked file, never into a real station;
//! read-only commands work while another process (the desktop app importing) holds the write
//! lock; exports never overwrite the station or write through a symlink; files are private.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

fn nac(home: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_nac"))
        .env("NAC_PASSPHRASE", common::PASSPHRASE)
        .args(args)
        .env_remove("NAC_DB")
        .env_remove("LANG")
        .env_remove("LC_ALL")
        .env("HOME", home)
        .env("XDG_DATA_HOME", home.join("share"))
        .output()
        .unwrap()
}

fn json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&out.stdout)))
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn nac_demo_makes_its_own_marked_file_beside_the_station() {
    let home = tempfile::tempdir().unwrap();
    let data = home.path().join("share/cn.nacstation.station");
    // A data directory left world-readable by an older version is made owner-only.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::create_dir_all(&data).unwrap();
        std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let out = nac(home.path(), &["--json", "demo", "--households", "2"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let demo = data.join("demo-station.db");
    assert_eq!(json(&out)["db"], demo.display().to_string());
    assert!(demo.exists());
    assert!(
        !data.join("station.db").exists(),
        "the real station file is not created"
    );
    #[cfg(unix)]
    {
        assert_eq!(mode(&data), 0o700);
        assert_eq!(mode(&demo), 0o600);
    }

    let demo_arg = demo.to_str().unwrap();
    let info = json(&nac(home.path(), &["--json", "--db", demo_arg, "config"]));
    assert_eq!(info["station"]["demo"], true, "{info}");
    // The real station (the default file) starts empty and is not a demo.
    let info = json(&nac(home.path(), &["--json", "config"]));
    assert_eq!(info["station"]["demo"], false, "{info}");
    let list = json(&nac(home.path(), &["--json", "list"]));
    assert_eq!(list["residents"].as_array().map(Vec::len), Some(0));
}

#[test]
fn nac_demo_refuses_a_real_station() {
    let home = tempfile::tempdir().unwrap();
    let db = home.path().join("station.db");
    let db_arg = db.to_str().unwrap();
    assert_eq!(
        nac(home.path(), &["--db", db_arg, "list"]).status.code(),
        Some(0)
    );
    let out = nac(
        home.path(),
        &["--json", "--db", db_arg, "demo", "--households", "2"],
    );
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(json(&out)["error"]["code"], "not_a_demo");
    let list = json(&nac(home.path(), &["--json", "--db", db_arg, "list"]));
    assert_eq!(list["residents"].as_array().map(Vec::len), Some(0));
}

/// While the desktop app holds the write lock (an import), read-only commands answer at once:
/// they take no lock, so they neither wait for the busy timeout (5 s) nor fail.
#[test]
fn read_commands_work_while_another_process_writes() {
    let home = tempfile::tempdir().unwrap();
    let db = home.path().join("demo-station.db");
    let db_arg = db.to_str().unwrap();
    let out = nac(home.path(), &["--db", db_arg, "demo", "--households", "3"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (credential, document): (String, String) = common::raw_connection(&db)
        .query_row(
            "SELECT c.credential, r.doc_number FROM codes c JOIN residents r ON r.id = c.resident_id
             WHERE c.state = 'active' AND c.expires_at > unixepoch() LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();

    let writer = common::raw_connection(&db);
    writer.execute_batch("BEGIN IMMEDIATE").unwrap();
    writer
        .execute("UPDATE households SET phone = '13900001111'", [])
        .unwrap();
    for args in [
        vec!["list"],
        vec!["show", "--id", &document],
        vec!["cards"],
        vec!["verify", &credential],
        vec!["config"],
    ] {
        let mut all = vec!["--db", db_arg];
        all.extend_from_slice(&args);
        let started = Instant::now();
        let out = nac(home.path(), &all);
        let took = started.elapsed();
        assert_eq!(
            out.status.code(),
            Some(0),
            "nac {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            took < Duration::from_secs(3),
            "nac {args:?} waited {took:?}"
        );
    }
    writer.execute_batch("ROLLBACK").unwrap();
}

#[test]
fn nac_export_never_overwrites_the_station_nor_writes_through_a_link() {
    let home = tempfile::tempdir().unwrap();
    let db = home.path().join("demo-station.db");
    let db_arg = db.to_str().unwrap();
    assert_eq!(
        nac(home.path(), &["--db", db_arg, "demo", "--households", "2"])
            .status
            .code(),
        Some(0)
    );
    let before = std::fs::read(&db).unwrap();
    let out = nac(home.path(), &["--db", db_arg, "export", db_arg]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(std::fs::read(&db).unwrap(), before);

    #[cfg(unix)]
    {
        let victim = home.path().join("notes.txt");
        std::fs::write(&victim, "keep").unwrap();
        let link = home.path().join("roster.csv");
        std::os::unix::fs::symlink(&victim, &link).unwrap();
        let out = nac(
            home.path(),
            &["--json", "--db", db_arg, "export", link.to_str().unwrap()],
        );
        assert_eq!(out.status.code(), Some(2));
        assert_eq!(json(&out)["error"]["code"], "symlink");
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep");
    }

    let good = home.path().join("roster.xlsx");
    let out = nac(
        home.path(),
        &["--db", db_arg, "export", good.to_str().unwrap()],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    #[cfg(unix)]
    assert_eq!(mode(&good), 0o600);
}
