//! The audit log's hash chain: an untouched log verifies; one row edited, deleted or moved
//! with an outside SQLite connection (triggers dropped, as anyone holding the file could) is
//! named exactly; rows cut off the end are found; a version-3 log is chained by the migration.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use common::Fixture;
use nac_core::domain::Capacity;
use nac_core::{ManualClock, Station, WriteSource};
use std::path::Path;
use std::sync::Arc;

/// A station with a dozen audited actions.
fn busy_station() -> Fixture {
    let mut f = Fixture::at_cst(2026, 11, 27, 10, 0, 0);
    f.station.set_station_name("天平街道社区服务站").unwrap();
    let hh = f.household("302");
    let a = f.resident(hh, "张三丰", 1);
    let b = f.resident(hh, "李四光", 2);
    f.station.renew(a, Capacity::Volunteer).unwrap();
    f.station.renew(b, Capacity::Family).unwrap();
    f.station.reveal_resident(a).unwrap();
    f.station.set_expiring_days(5).unwrap();
    f
}

/// An outside connection to the file, with the append-only triggers dropped.
fn tamper(path: &Path, sql: &str) {
    let conn = common::raw_connection(path);
    conn.execute_batch(&format!(
        "DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete; {sql}"
    ))
    .unwrap();
}

fn reopen(path: &Path) -> Station {
    Station::open(
        path,
        common::key(),
        Arc::new(ManualClock::at_cst(2026, 11, 28, 9, 0, 0)),
        WriteSource::Cli,
    )
    .unwrap()
}

fn copy_of(f: &Fixture, name: &str) -> std::path::PathBuf {
    let path = f.dir.path().join(name);
    f.station
        .connection()
        .execute("VACUUM INTO ?1", [path.to_str().unwrap()])
        .unwrap();
    path
}

#[test]
fn an_untouched_log_verifies_and_every_kind_of_tampering_is_named_at_its_row() {
    let f = busy_station();
    let check = f.station.verify_audit().unwrap();
    assert!(check.rows >= 8, "{check:?}");
    assert_eq!(check.problem, None);
    let rows = check.rows as i64;

    let cases: [(&str, String, i64, &str); 4] = [
        (
            "edit",
            "UPDATE audit_log SET subject = 'nothing happened' WHERE id = 4".into(),
            4,
            "edited",
        ),
        (
            "delete",
            "DELETE FROM audit_log WHERE id = 5".into(),
            5,
            "deleted",
        ),
        (
            "swap",
            // Rows 3 and 6 change places (ids kept, contents swapped).
            "UPDATE audit_log SET id = -3 WHERE id = 3;
             UPDATE audit_log SET id = 3 WHERE id = 6;
             UPDATE audit_log SET id = 6 WHERE id = -3;"
                .into(),
            3,
            "moved",
        ),
        (
            "cut",
            format!("DELETE FROM audit_log WHERE id >= {}", rows - 1),
            rows - 1,
            "truncated",
        ),
    ];
    for (name, sql, row, kind) in cases {
        let path = copy_of(&f, &format!("{name}.db"));
        tamper(&path, &sql);
        let problem = reopen(&path)
            .verify_audit()
            .unwrap()
            .problem
            .unwrap_or_else(|| panic!("{name}: the tampering went unnoticed"));
        assert_eq!(
            (problem.row, problem.kind),
            (row, kind),
            "{name}: {problem:?}"
        );
    }
}

#[test]
fn rewriting_a_row_with_a_recomputed_hash_still_breaks_the_next_row() {
    let f = busy_station();
    let path = copy_of(&f, "rewrite.db");
    // The forger recomputes row 4's hash after editing it, but not the rest of the chain.
    let conn = common::raw_connection(&path);
    let (at, source, volunteer, action, prev): (i64, String, Option<i64>, String, String) = conn
        .query_row(
            "SELECT at, source, volunteer_id, action, prev_hash FROM audit_log WHERE id = 4",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )
        .unwrap();
    let forged = nac_core::audit::row_hash(
        &prev,
        &nac_core::audit::Entry {
            id: 4,
            at,
            source: &source,
            volunteer_id: volunteer,
            action: &action,
            subject: "forged",
        },
    );
    drop(conn);
    tamper(
        &path,
        &format!("UPDATE audit_log SET subject = 'forged', hash = '{forged}' WHERE id = 4"),
    );
    let problem = reopen(&path).verify_audit().unwrap().problem.unwrap();
    assert_eq!((problem.row, problem.kind), (5, "moved"), "{problem:?}");
}

#[test]
fn a_version_3_log_is_chained_by_the_migration() {
    let dir = tempfile::TempDir::new().unwrap();
    let path = dir.path().join("v3.db");
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        for sql in [
            include_str!("../../src/store/migrations/0001_init.sql"),
            include_str!("../../src/store/migrations/0002_demo_and_print_state.sql"),
            include_str!("../../src/store/migrations/0003_sync.sql"),
        ] {
            conn.execute_batch(sql).unwrap();
        }
        conn.execute_batch(
            "PRAGMA user_version = 3;
             INSERT INTO audit_log (id, at, source, action, subject) VALUES
                 (7, 100, 'cli', 'settings', 'station_name'),
                 (9, 200, 'ui', 'code.issue', 'resident 1 code ABC'),
                 (12, 300, 'import', 'roster.import', 'roster.csv');",
        )
        .unwrap();
    }
    let station = reopen(&path);
    let check = station.verify_audit().unwrap();
    assert_eq!(check.problem, None);
    // The three old rows (renumbered 1-3, in order) plus what opening the station audited.
    let subjects: Vec<String> = station
        .connection()
        .prepare("SELECT subject FROM audit_log WHERE id <= 3 ORDER BY id")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        subjects,
        ["station_name", "resident 1 code ABC", "roster.csv"]
    );
    // Still append-only.
    assert!(station
        .connection()
        .execute("DELETE FROM audit_log WHERE id = 1", [])
        .is_err());
}

#[test]
fn the_export_holds_every_row_with_hashes_that_recheck_without_the_station() {
    let mut f = busy_station();
    let out = f.dir.path().join("audit.csv");
    let rows = f.station.verify_audit().unwrap().rows;
    let done = f.station.export_audit(&out).unwrap();
    assert_eq!(done.rows, rows);
    assert!(done.intact);
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&out).unwrap().permissions().mode() & 0o777,
        0o600,
        "the export is private"
    );

    // Whoever receives the file recomputes the chain from its columns alone.
    let bytes = std::fs::read(&out).unwrap();
    let text = std::str::from_utf8(bytes.strip_prefix("\u{feff}".as_bytes()).unwrap()).unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let mut prev = nac_core::audit::GENESIS.to_string();
    let mut count = 0;
    for record in reader.records() {
        let r = record.unwrap();
        let volunteer_id = (!r[4].is_empty()).then(|| r[4].parse().unwrap());
        let entry = nac_core::audit::Entry {
            id: r[0].parse().unwrap(),
            at: r[2].parse().unwrap(),
            source: &r[3],
            volunteer_id,
            action: &r[6],
            subject: &r[7],
        };
        assert_eq!(r[8], prev, "row {} follows the one before", &r[0]);
        assert_eq!(
            nac_core::audit::row_hash(&prev, &entry),
            r[9],
            "row {} rechecks",
            &r[0]
        );
        prev = r[9].to_string();
        count += 1;
    }
    assert_eq!(count, rows);
    let log = f.station.audit_log(1).unwrap();
    assert_eq!(
        log[0].action, "audit.export",
        "the export is itself audited"
    );

    // A volunteer may not export it: nothing is written.
    f.station
        .add_account("小李", nac_core::station::Role::Volunteer, "246810")
        .unwrap();
    f.station.sign_in("小李", "246810").unwrap();
    let refused = f.dir.path().join("refused.csv");
    let err = f.station.export_audit(&refused).unwrap_err();
    assert_eq!(err.code(), "not_allowed");
    assert!(!refused.exists());
}

// ───────────── issue 16 §9: names, escaping, an unambiguous hash, the re-chain ─────────────

use nac_core::audit::{anchored_hash, escape_text, row_hash, row_hash_v1, unescape_text, Entry};
use nac_core::station::Role;

/// What a sign-in name typed by someone who wanted a fake row looked like: a newline, a line
/// laid out like `nac audit list`'s, and terminal escapes (clear screen, red).
const HOSTILE: &str = "x\n    99  2026-12-01 10:00:00  cli    station      account.add      evil admin\u{1b}[2J\u{1b}[31m";

#[test]
fn a_name_with_a_newline_an_escape_or_an_invisible_character_is_refused_before_it_is_logged() {
    let mut f = busy_station();
    let rows = f.station.verify_audit().unwrap().rows;
    for name in [
        HOSTILE,
        "evil\u{1b}[2J",
        "ad\u{200b}min",
        "\u{202e}nimda",
        "a\u{85}b",
    ] {
        let err = f.station.sign_in(name, "000000").unwrap_err();
        assert_eq!(err.code(), "invalid", "{name:?}: {err}");
        let message = err.to_string();
        assert!(
            message.contains("account name") && message.contains("U+"),
            "the error names the field and the character: {message}"
        );
        assert!(
            !message.contains('\u{1b}') && !message.contains('\n'),
            "{message:?}"
        );
        assert_eq!(
            f.station
                .add_account(name, Role::Volunteer, "246810")
                .unwrap_err()
                .code(),
            "invalid",
            "{name:?}"
        );
    }
    assert_eq!(
        f.station.verify_audit().unwrap().rows,
        rows,
        "nothing was logged"
    );
    // The first administrator's name is checked the same way.
    let mut fresh = Fixture::at_cst(2026, 11, 27, 10, 0, 0);
    assert_eq!(
        fresh
            .station
            .create_administrator(HOSTILE, "246810")
            .unwrap_err()
            .code(),
        "invalid"
    );
    // Ordinary names, with a middle dot or a space, still work.
    f.station
        .add_account("阿依古丽·买买提", Role::Volunteer, "246810")
        .unwrap();
    f.station
        .add_account("Li Mei", Role::Volunteer, "135790")
        .unwrap();
    f.station.sign_in("Li Mei", "135790").unwrap();
}

#[test]
fn escaping_is_one_line_inert_and_reversible() {
    for text in [
        HOSTILE,
        "",
        "plain 张三丰",
        r"C:\roster\new.csv",
        r"\u{a} typed literally",
        "\u{0}\u{7f}\u{9b}\u{2028}\u{2066}\u{feff}",
    ] {
        let shown = escape_text(text);
        assert!(
            !shown.chars().any(nac_core::audit::is_unsafe_char),
            "{shown:?}"
        );
        assert_eq!(unescape_text(&shown).as_deref(), Some(text));
    }
    assert_eq!(escape_text("a\nb\u{1b}[2J"), r"a\u{a}b\u{1b}[2J");
    assert_eq!(unescape_text(r"bad \q"), None);
    assert_eq!(unescape_text(r"\u{110000}"), None);
}

/// Version 1 joined the fields with `\n`: these pairs of different rows hashed alike, so one
/// could be turned into the other without breaking the chain. Version 2 tells them apart.
#[test]
fn rows_that_collided_under_the_newline_join_do_not_collide_now() {
    let entry = |source, volunteer_id, action, subject| Entry {
        id: 7,
        at: 1_700_000_000,
        source,
        volunteer_id,
        action,
        subject,
    };
    let pairs = [
        // The action's end moved into the subject.
        (
            entry("cli", Some(1), "resident.reveal\n3", ""),
            entry("cli", Some(1), "resident.reveal", "3\n"),
        ),
        (
            entry("cli", Some(1), "a\nb", "c"),
            entry("cli", Some(1), "a", "b\nc"),
        ),
        // A volunteer id forged into the source.
        (
            entry("cli\n1", None, "signin", "x"),
            entry("cli", Some(1), "", "signin\nx"),
        ),
    ];
    let prev = nac_core::audit::GENESIS;
    for (a, b) in &pairs {
        assert_eq!(
            row_hash_v1(prev, a),
            row_hash_v1(prev, b),
            "collided before"
        );
        assert_ne!(row_hash(prev, a), row_hash(prev, b), "apart now");
    }
    // The documented encoding, byte for byte.
    let e = entry("cli", Some(1), "a", "b\nc");
    let input = format!("11:nac-audit-2,64:{prev},1:7,10:1700000000,3:cli,1:1,1:a,3:b\nc,");
    use sha2::Digest as _;
    let expected: String = sha2::Sha256::digest(input.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(row_hash(prev, &e), expected);
}

/// One audit row as a schema-7 file holds it.
struct OldRow {
    at: i64,
    source: &'static str,
    volunteer_id: Option<i64>,
    action: &'static str,
    subject: &'static str,
}

const OLD_ROWS: [OldRow; 4] = [
    OldRow {
        at: 100,
        source: "cli",
        volunteer_id: Some(1),
        action: "settings",
        subject: "station_name",
    },
    OldRow {
        at: 200,
        source: "ui",
        volunteer_id: None,
        action: "signin.failed",
        subject: HOSTILE,
    },
    OldRow {
        at: 300,
        source: "cli",
        volunteer_id: Some(1),
        action: "code.issue",
        subject: "resident 1 code ABC",
    },
    OldRow {
        at: 400,
        source: "import",
        volunteer_id: Some(1),
        action: "roster.import",
        subject: "roster.csv",
    },
];

/// A station file as version 7 wrote it (schemas 1–7, the audit log chained with version 1),
/// holding [`OLD_ROWS`]; `tweak` runs last, as someone with the file could have. Returns the
/// path and each row's version-1 hash (what the hub holds of the rows it anchored).
fn schema_7_file(dir: &Path, tweak: &str) -> (std::path::PathBuf, Vec<String>) {
    let path = dir.join("v7.db");
    let conn = rusqlite::Connection::open(&path).unwrap();
    for sql in [
        include_str!("../../src/store/migrations/0001_init.sql"),
        include_str!("../../src/store/migrations/0002_demo_and_print_state.sql"),
        include_str!("../../src/store/migrations/0003_sync.sql"),
        include_str!("../../src/store/migrations/0004_audit_chain.sql"),
        // Migration 4's Rust step, for an empty version-3 log.
        "DROP TABLE audit_log_v3;
         CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
         BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
         CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
         BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;",
        include_str!("../../src/store/migrations/0005_accounts.sql"),
        include_str!("../../src/store/migrations/0006_key_rotation.sql"),
        include_str!("../../src/store/migrations/0007_district_trust.sql"),
    ] {
        conn.execute_batch(sql).unwrap();
    }
    conn.execute(
        "INSERT INTO volunteers (id, account, display_name, created_at, role)
         VALUES (1, 'station', 'station', 1, 'admin')",
        [],
    )
    .unwrap();
    let mut prev = nac_core::audit::GENESIS.to_string();
    let mut hashes = Vec::new();
    for (i, r) in OLD_ROWS.iter().enumerate() {
        let id = i as i64 + 1;
        let hash = row_hash_v1(
            &prev,
            &Entry {
                id,
                at: r.at,
                source: r.source,
                volunteer_id: r.volunteer_id,
                action: r.action,
                subject: r.subject,
            },
        );
        conn.execute(
            "INSERT INTO audit_log (id, at, source, volunteer_id, action, subject, prev_hash, hash)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            rusqlite::params![
                id,
                r.at,
                r.source,
                r.volunteer_id,
                r.action,
                r.subject,
                prev,
                hash
            ],
        )
        .unwrap();
        prev = hash.clone();
        hashes.push(hash);
    }
    conn.execute(
        "INSERT INTO audit_head (one, id, hash) VALUES (1, ?1, ?2)",
        rusqlite::params![OLD_ROWS.len() as i64, prev],
    )
    .unwrap();
    conn.execute_batch(&format!(
        "PRAGMA user_version = 7;
         DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete;
         {tweak}"
    ))
    .unwrap();
    (path, hashes)
}

/// The rows' subjects, stored (not escaped).
fn stored_subjects(station: &Station) -> Vec<(i64, String, String)> {
    station
        .connection()
        .prepare("SELECT id, action, subject FROM audit_log ORDER BY id")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

#[test]
fn a_schema_7_log_is_rechained_keeps_verifying_and_shows_old_names_escaped() {
    let dir = tempfile::TempDir::new().unwrap();
    let (path, v1) = schema_7_file(dir.path(), "");
    let station = reopen(&path);
    let check = station.verify_audit().unwrap();
    assert_eq!(check.problem, None, "{check:?}");

    // Contents untouched, every hash recomputed with version 2, version 1 kept beside it.
    let conn = station.connection();
    let mut prev = nac_core::audit::GENESIS.to_string();
    for (i, r) in OLD_ROWS.iter().enumerate() {
        let id = i as i64 + 1;
        let (subject, prev_hash, hash, v1_hash): (String, String, String, String) = conn
            .query_row(
                "SELECT subject, prev_hash, hash, v1_hash FROM audit_log WHERE id = ?1",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .unwrap();
        assert_eq!(subject, r.subject);
        let expected = row_hash(
            &prev,
            &Entry {
                id,
                at: r.at,
                source: r.source,
                volunteer_id: r.volunteer_id,
                action: r.action,
                subject: r.subject,
            },
        );
        assert_eq!(
            (prev_hash.as_str(), hash.as_str()),
            (prev.as_str(), expected.as_str())
        );
        assert_eq!(v1_hash, v1[i]);
        // What the hub holds of an old row is still what the log answers for it.
        assert_eq!(
            anchored_hash(conn, id).unwrap().as_deref(),
            Some(v1[i].as_str())
        );
        prev = hash;
    }
    // The re-chain is in the log itself, naming the version-1 head it started from.
    let rechain: (String, String, i64, String) = conn
        .query_row(
            "SELECT source, action, at, subject FROM audit_log WHERE id = 5",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .unwrap();
    assert_eq!(
        rechain,
        (
            "migration".to_string(),
            "audit.rechain".to_string(),
            400,
            format!("from chain 1 head 4 {}", v1[3])
        )
    );
    let row5: String = conn
        .query_row("SELECT hash FROM audit_log WHERE id = 5", [], |r| r.get(0))
        .unwrap();
    assert_eq!(anchored_hash(conn, 5).unwrap(), Some(row5));
    assert_eq!(anchored_hash(conn, 10_000).unwrap(), None);

    // The hostile sign-in name of the old row reads as one inert line.
    let log = station.audit_log(100).unwrap();
    let old = log.iter().find(|e| e.action == "signin.failed").unwrap();
    assert!(
        !old.subject.chars().any(char::is_control),
        "{:?}",
        old.subject
    );
    assert!(old.subject.starts_with(r"x\u{a}    99  2026-12-01"));
    assert!(old.subject.ends_with(r"evil admin\u{1b}[2J\u{1b}[31m"));
    assert_eq!(unescape_text(&old.subject).as_deref(), Some(HOSTILE));
    // Still append-only.
    assert!(conn
        .execute("UPDATE audit_log SET subject = 'x' WHERE id = 1", [])
        .is_err());
}

#[test]
fn the_export_of_a_migrated_log_rechecks_both_chains_from_the_file() {
    let dir = tempfile::TempDir::new().unwrap();
    let (path, v1) = schema_7_file(dir.path(), "");
    let station = reopen(&path);
    let out = dir.path().join("audit.csv");
    station.export_audit(&out).unwrap();
    let bytes = std::fs::read(&out).unwrap();
    assert!(!bytes.contains(&0x1b), "no terminal escape in the file");
    let text = std::str::from_utf8(bytes.strip_prefix("\u{feff}".as_bytes()).unwrap()).unwrap();
    assert_eq!(
        text.matches("\r\n").count(),
        text.matches('\n').count(),
        "every line break ends a record: no cell holds one"
    );
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let (mut prev, mut prev_v1) = (nac_core::audit::GENESIS.to_string(), None::<String>);
    let mut count = 0;
    for record in reader.records() {
        let r = record.unwrap();
        let cell = |i: usize| unescape_text(&r[i]).unwrap();
        let (source, action, subject) = (cell(3), cell(6), cell(7));
        let entry = Entry {
            id: r[0].parse().unwrap(),
            at: r[2].parse().unwrap(),
            source: &source,
            volunteer_id: (!r[4].is_empty()).then(|| r[4].parse().unwrap()),
            action: &action,
            subject: &subject,
        };
        assert_eq!(r[8], prev);
        assert_eq!(row_hash(&prev, &entry), r[9], "row {}", &r[0]);
        prev = r[9].to_string();
        if !r[10].is_empty() {
            let v1_prev = prev_v1
                .take()
                .unwrap_or_else(|| nac_core::audit::GENESIS.to_string());
            assert_eq!(row_hash_v1(&v1_prev, &entry), r[10], "row {} (v1)", &r[0]);
            prev_v1 = Some(r[10].to_string());
        }
        count += 1;
    }
    assert_eq!(prev_v1.as_deref(), Some(v1[3].as_str()));
    assert_eq!(count, 5);
}

/// Recomputes the version-2 chain (and, with `v1_too`, the version-1 hashes the old rows keep)
/// after `edit`, as someone with the passphrase and this code could.
fn rewrite(path: &Path, edit: &str, v1_too: bool) {
    tamper(path, edit);
    let conn = common::raw_connection(path);
    type Row = (
        i64,
        i64,
        String,
        Option<i64>,
        String,
        String,
        Option<String>,
    );
    let rows: Vec<Row> = conn
        .prepare(
            "SELECT id, at, source, volunteer_id, action, subject, v1_hash
             FROM audit_log ORDER BY id",
        )
        .unwrap()
        .query_map([], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
            ))
        })
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let (mut prev, mut prev_v1) = (
        nac_core::audit::GENESIS.to_string(),
        nac_core::audit::GENESIS.to_string(),
    );
    for (id, at, source, volunteer_id, action, subject, v1_hash) in &rows {
        // A thorough forger also rewrites the head the re-chain row names.
        let subject = if v1_too && action == "audit.rechain" {
            let subject = format!("from chain 1 head {} {prev_v1}", id - 1);
            conn.execute(
                "UPDATE audit_log SET subject = ?1 WHERE id = ?2",
                rusqlite::params![subject, id],
            )
            .unwrap();
            subject
        } else {
            subject.clone()
        };
        let entry = Entry {
            id: *id,
            at: *at,
            source,
            volunteer_id: *volunteer_id,
            action,
            subject: &subject,
        };
        let hash = row_hash(&prev, &entry);
        conn.execute(
            "UPDATE audit_log SET prev_hash = ?1, hash = ?2 WHERE id = ?3",
            rusqlite::params![prev, hash, id],
        )
        .unwrap();
        if v1_too && v1_hash.is_some() {
            let v1 = row_hash_v1(&prev_v1, &entry);
            conn.execute(
                "UPDATE audit_log SET v1_prev_hash = ?1, v1_hash = ?2 WHERE id = ?3",
                rusqlite::params![prev_v1, v1, id],
            )
            .unwrap();
            prev_v1 = v1;
        }
        prev = hash;
    }
    conn.execute("UPDATE audit_head SET hash = ?1", [&prev])
        .unwrap();
}

#[test]
fn an_edit_of_a_rechained_row_is_found_and_so_is_one_made_before_the_migration() {
    let dir = tempfile::TempDir::new().unwrap();
    let problem = |path: &Path| {
        reopen(path)
            .verify_audit()
            .unwrap()
            .problem
            .map(|p| (p.row, p.kind))
    };

    // Edited after the migration, hashes left alone.
    let (path, _) = schema_7_file(dir.path(), "");
    drop(reopen(&path));
    tamper(
        &path,
        "UPDATE audit_log SET subject = 'nothing' WHERE id = 3",
    );
    assert_eq!(problem(&path), Some((3, "edited")));

    // Edited, and the version-2 chain recomputed: the version-1 hash the row keeps still
    // names it.
    std::fs::remove_file(&path).unwrap();
    let (path, _) = schema_7_file(dir.path(), "");
    drop(reopen(&path));
    rewrite(
        &path,
        "UPDATE audit_log SET subject = 'nothing' WHERE id = 3",
        false,
    );
    assert_eq!(problem(&path), Some((3, "edited")));

    // The v1 hashes moved to another row, or dropped from an old row: found too.
    std::fs::remove_file(&path).unwrap();
    let (path, _) = schema_7_file(dir.path(), "");
    drop(reopen(&path));
    rewrite(
        &path,
        "UPDATE audit_log SET v1_hash = NULL, v1_prev_hash = NULL WHERE id = 4",
        false,
    );
    assert!(problem(&path).is_some());

    // Broken before the migration (edited, then rows cut off the end): the re-chain does not
    // launder it.
    for (tweak, expected) in [
        (
            "UPDATE audit_log SET subject = 'nothing' WHERE id = 3",
            (3, "edited"),
        ),
        ("DELETE FROM audit_log WHERE id = 2", (2, "deleted")),
        ("DELETE FROM audit_log WHERE id = 4", (4, "truncated")),
    ] {
        std::fs::remove_file(&path).unwrap();
        let (path, _) = schema_7_file(dir.path(), tweak);
        assert_eq!(problem(&path), Some(expected), "{tweak}");
    }
}

/// A hub that enrols the station and answers the anchor list with the hashes it was given.
struct AnchorHub(Vec<nac_protocol::AuditAnchor>);

impl nac_core::Transport for AnchorHub {
    fn send(
        &mut self,
        request: &nac_core::station::HubRequest,
    ) -> Result<Vec<u8>, nac_core::TransportError> {
        let body = if request.path_and_query == nac_protocol::PATH_ENROL {
            serde_json::to_vec(&nac_protocol::EnrolResponse {
                v: nac_protocol::V1,
                station: "ST-TEST01".into(),
                district_secret_sealed: nac_protocol::seal_district_secret(
                    "CODE",
                    "ST-TEST01",
                    &nac_protocol::DistrictSecret([7; 32]),
                )
                .unwrap(),
                issuers: Vec::new(),
            })
        } else {
            assert_eq!(request.path_and_query, nac_protocol::PATH_AUDIT_ANCHOR);
            serde_json::to_vec(&nac_protocol::AuditAnchorsResponse {
                v: nac_protocol::V1,
                anchors: self.0.clone(),
            })
        };
        Ok(body.unwrap())
    }
}

/// The hub anchored rows 2 and 4 before the migration (version-1 hashes) and the re-chain
/// row after it: none of them reads as rewritten; a rewrite of an old row with both chains
/// recomputed — consistent on its own — is caught by the old anchor.
#[test]
fn anchors_taken_before_the_migration_still_hold_and_still_catch_a_rewrite() {
    let dir = tempfile::TempDir::new().unwrap();
    let (path, v1) = schema_7_file(dir.path(), "");
    let mut station = reopen(&path);
    let row5: String = station
        .connection()
        .query_row("SELECT hash FROM audit_log WHERE id = 5", [], |r| r.get(0))
        .unwrap();
    let anchor = |seq: i64, hash: &str| nac_protocol::AuditAnchor {
        seq,
        hash: hash.to_string(),
        received_at: 1_800_000_000,
    };
    let mut hub = AnchorHub(vec![anchor(2, &v1[1]), anchor(4, &v1[3]), anchor(5, &row5)]);
    station
        .enrol(&mut hub, "http://127.0.0.1:9", "CODE")
        .unwrap();
    let check = station.check_audit_anchors(&mut hub).unwrap();
    assert_eq!(check.problem, None, "{check:?}");
    assert_eq!(check.anchors, 3);
    drop(station);

    rewrite(
        &path,
        "UPDATE audit_log SET subject = 'nothing' WHERE id = 2",
        true,
    );
    let mut station = reopen(&path);
    assert_eq!(
        station.verify_audit().unwrap().problem,
        None,
        "rewritten consistently: the chain alone cannot tell"
    );
    let problem = station
        .check_audit_anchors(&mut hub)
        .unwrap()
        .problem
        .unwrap();
    assert_eq!((problem.row, problem.kind), (2, "rewritten"), "{problem:?}");
    assert_eq!(
        stored_subjects(&station)[1],
        (2, "signin.failed".to_string(), "nothing".to_string())
    );
}
