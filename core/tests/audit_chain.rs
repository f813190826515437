//! The audit log's hash chain: an untouched log verifies; one row edited, deleted or moved
//! with an outside SQLite connection (triggers dropped, as anyone holding the file could) is
//! named exactly; rows cut off the end are found; a version-3 log is chained by the migration.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

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
            include_str!("../src/store/migrations/0001_init.sql"),
            include_str!("../src/store/migrations/0002_demo_and_print_state.sql"),
            include_str!("../src/store/migrations/0003_sync.sql"),
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
