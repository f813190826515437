//! The station file as the operating system sees it: who may read it, whether opening it
//! needs the write lock, how an old schema is upgraded, and where an export may be written.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use common::{count, Fixture};
use nac_core::domain::Capacity;
use nac_core::{ManualClock, Station, WriteSource};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

fn open(path: &Path) -> Station {
    Station::open(
        path,
        common::key(),
        Arc::new(ManualClock::at_cst(2026, 11, 27, 12, 0, 0)),
        WriteSource::Cli,
    )
    .unwrap()
}

/// Reads of a second process (a fresh `Station::open`, a list, a verify) while the desktop app
/// holds the write lock (an import): none of them may need the lock. The wait is bounded well
/// below the busy timeout, so a read that merely waited for the writer would fail too.
#[test]
fn opening_listing_and_verifying_need_no_write_lock() {
    let mut f = Fixture::at_cst(2026, 11, 27, 10, 0, 0);
    let hh = f.household("302");
    let id = f.resident(hh, "张三丰", 1);
    f.station.renew(id, Capacity::Volunteer).unwrap();
    let credential = f.station.active_code(id).unwrap().unwrap().credential;
    let path = f.dir.path().join("station.db");

    let writer = common::raw_connection(&path);
    writer.execute_batch("BEGIN IMMEDIATE").unwrap();
    writer
        .execute(
            "UPDATE households SET phone = '13900001111' WHERE id = ?1",
            [hh],
        )
        .unwrap();

    let started = Instant::now();
    let reader = open(&path);
    let rows = reader.residents(&Default::default()).unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(
        reader.verify(&credential).verdict,
        nac_credential::Verdict::Valid
    );
    reader.counts(None).unwrap();
    reader.info().unwrap();
    let took = started.elapsed();
    assert!(
        took < Duration::from_secs(1),
        "reads waited for the writer ({took:?})"
    );
    // The writer was never disturbed and still commits.
    writer.execute_batch("COMMIT").unwrap();
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[cfg(unix)]
#[test]
fn the_data_directory_and_database_are_private() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("share/cn.nacstation.station");
    let db = data.join("station.db");
    let station = open(&db);
    assert_eq!(mode(&data), 0o700, "data directory");
    assert_eq!(mode(&dir.path().join("share")), 0o700, "created parent");
    // While the station is open, SQLite keeps its -wal and -shm next to it.
    for name in ["station.db", "station.db-wal", "station.db-shm"] {
        assert_eq!(mode(&data.join(name)), 0o600, "{name}");
    }
    drop(station);

    // A database left world-readable by an older version is fixed at the next open.
    for file in nac_core::files::database_files(&db) {
        if file.exists() {
            std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
        }
    }
    let station = open(&db);
    for name in ["station.db", "station.db-wal", "station.db-shm"] {
        assert_eq!(mode(&data.join(name)), 0o600, "{name}");
    }
    drop(station);
    // An existing directory that is not the station's own (e.g. /tmp) is left alone.
    let shared = dir.path().join("shared");
    std::fs::create_dir(&shared).unwrap();
    std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o755)).unwrap();
    drop(open(&shared.join("x.db")));
    assert_eq!(mode(&shared), 0o755);
}

/// A database written by the first release (schema 1) with data in every table the second
/// migration rebuilds or extends opens, is upgraded, and keeps its data.
#[test]
fn a_schema_1_database_with_data_is_upgraded() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("station.db");
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch("PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON;")
            .unwrap();
        conn.execute_batch(include_str!("../../src/store/migrations/0001_init.sql"))
            .unwrap();
        let key = nac_credential::StationKey::from_secret_bytes(&[7u8; 32]);
        let public = key.public_key().to_bytes();
        conn.execute_batch(&format!(
            "INSERT INTO settings VALUES ('station_id', 'ST-OLD');
             INSERT INTO volunteers (id, account, display_name, created_at) VALUES (1, 'station', 'station', 1);
             INSERT INTO households (id, uid, district, road, lane, number, room, address_key, sort_key,
                                     search_text, created_at, updated_at)
                 VALUES (1, 'h1', '徐汇区', '天钥桥路', '100', '5', '302', 'k', 's', 't', 1, 1);
             INSERT INTO residents (id, uid, household_id, name, name_initials, doc_type, doc_number,
                                    doc_last4, created_at, updated_at)
                 VALUES (1, 'r1', 1, '张三丰', 'zsf', 'resident_id', '11010519491231002X', '002X', 1, 1);
             INSERT INTO applications (id, event_id, resident_id, day, applied_at, capacity, channel)
                 VALUES (1, 'e1', 1, '2026-11-01', 100, 'volunteer', 'ST-OLD');
             INSERT INTO codes (id, serial, resident_id, application_id, issued_at, expires_at,
                                station_id, kid, credential)
                 VALUES (1, 'S1', 1, 1, 100, 200, 'ST-OLD', '{kid}', 'NAC1:x');
             INSERT INTO outbox (event_id, kind, application_id, payload, state, created_at, updated_at)
                 VALUES ('e1', 'application', 1,
                         'document_number 11010519491231002X', 'queued', 100, 100);
             INSERT INTO print_jobs (id, printed_at, layout, volunteer_id, destination, card_count)
                 VALUES (1, 150, 'a4-8up', 1, 'file:/tmp/x.pdf', 1);
             INSERT INTO printed_cards (job_id, code_id, resident_id, printed_at) VALUES (1, 1, 1, 150);
             PRAGMA user_version = 1;",
            kid = key.kid(),
        ))
        .unwrap();
        conn.execute(
            "INSERT INTO station_keys VALUES (?1, ?2, ?3, 1)",
            rusqlite::params![
                key.kid().to_string(),
                [7u8; 32].as_slice(),
                public.as_slice()
            ],
        )
        .unwrap();
    }
    let station = open(&path);
    let conn = station.connection();
    assert_eq!(
        station.info().unwrap().schema_version,
        nac_core::store::SCHEMA_VERSION
    );
    assert_eq!(station.station_id(), "ST-OLD");
    assert!(!station.is_demo());
    // An event of the unenrolled era stays as local history (never sent), and the plaintext
    // ID number its payload carried is gone (schema 3).
    assert_eq!(
        count(
            conn,
            "SELECT count(*) FROM outbox WHERE event_id = 'e1' AND state = 'local'
               AND payload NOT LIKE '%1101051949%'"
        ),
        1
    );
    // The rebuilt codes table keeps the code, its application and its printed card.
    assert_eq!(
        count(
            conn,
            "SELECT count(*) FROM codes WHERE serial = 'S1' AND application_id = 1"
        ),
        1
    );
    assert_eq!(
        count(conn, "SELECT count(*) FROM print_jobs WHERE state = 'sent'"),
        1,
        "jobs of version 1 were recorded after they succeeded"
    );
    assert_eq!(count(conn, "SELECT count(*) FROM printed_cards"), 1);
    // The rebuilt outbox keeps its indexes.
    assert_eq!(
        count(
            conn,
            "SELECT count(*) FROM sqlite_master WHERE type = 'index'
             AND name IN ('outbox_state', 'outbox_application')"
        ),
        2
    );
    assert_eq!(
        conn.query_row("PRAGMA foreign_key_check", [], |_| Ok(()))
            .err()
            .map(|e| e.to_string()),
        Some("Query returned no rows".to_string())
    );
}

#[test]
fn an_export_is_never_written_over_the_station_or_through_a_link() {
    let mut f = Fixture::at_cst(2026, 11, 27, 10, 0, 0);
    let hh = f.household("302");
    f.resident(hh, "张三丰", 1);
    let db = f.dir.path().join("station.db");
    let before = std::fs::read(&db).unwrap();

    // The database itself, however spelled: refused for its extension, nothing written.
    for target in [db.clone(), f.dir.path().join("sub/../station.db-wal")] {
        let err = f.station.export_roster(&target, false).unwrap_err();
        assert!(err.to_string().contains(".csv"), "{err}");
    }
    assert_eq!(std::fs::read(&db).unwrap(), before);

    // A wrong extension for the format.
    assert!(f
        .station
        .export_roster(&f.dir.path().join("roster.txt"), false)
        .is_err());

    #[cfg(unix)]
    {
        let victim = f.dir.path().join("victim.txt");
        std::fs::write(&victim, "keep").unwrap();
        let link = f.dir.path().join("roster.csv");
        std::os::unix::fs::symlink(&victim, &link).unwrap();
        let err = f.station.export_roster(&link, false).unwrap_err();
        assert_eq!(err.code(), "symlink");
        assert!(err.to_string().contains("符号链接"), "{err}");
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep");
    }

    // A good target: written whole, private, with no temporary file left behind.
    let out = f.dir.path().join("out.xlsx");
    assert_eq!(f.station.export_roster(&out, false).unwrap(), 1);
    assert!(std::fs::metadata(&out).unwrap().len() > 0);
    #[cfg(unix)]
    assert_eq!(mode(&out), 0o600);
    let stray = std::fs::read_dir(f.dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with(".nac-write"))
        .count();
    assert_eq!(stray, 0);
    // Only the written export is audited.
    assert_eq!(
        count(
            f.station.connection(),
            "SELECT count(*) FROM audit_log WHERE action = 'roster.export'"
        ),
        1
    );
}

/// A station whose database is named like an export cannot be exported over.
#[test]
fn a_database_named_like_an_export_is_still_the_station() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("roster.csv");
    let station = open(&db);
    let err = station
        .export_roster(&dir.path().join("./roster.csv"), false)
        .unwrap_err();
    assert_eq!(err.code(), "station_file", "{err}");
    assert!(
        err.to_string().contains("station's own data files"),
        "{err}"
    );
    assert_eq!(
        station.info().unwrap().schema_version,
        nac_core::store::SCHEMA_VERSION
    );
}
