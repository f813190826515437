//! Shared test fixtures: a real station file in a temp dir with a manual clock.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use nac_core::domain::document::resident_id_check_char;
use nac_core::station::{HouseholdInput, ResidentInput};
use nac_core::{ManualClock, Station, WriteSource};
use std::sync::Arc;
use tempfile::TempDir;

/// The passphrase of every test station.
pub const PASSPHRASE: &str = "test station passphrase";

/// The key of every test station (one Argon2id derivation per test binary: every test file
/// is written with the same salt, which is all a key depends on besides the passphrase).
pub fn key() -> &'static nac_core::store::DatabaseKey {
    static KEY: std::sync::OnceLock<nac_core::store::DatabaseKey> = std::sync::OnceLock::new();
    KEY.get_or_init(|| {
        nac_core::store::DatabaseKey::derive(
            &nac_core::store::Passphrase::new(PASSPHRASE),
            *b"test-salt-16byte",
        )
        .unwrap()
    })
}

/// A connection straight to a station file (no migration), as another program would have.
pub fn raw_connection(path: &std::path::Path) -> rusqlite::Connection {
    nac_core::store::connect(path, key()).unwrap()
}

pub struct Fixture {
    pub dir: TempDir,
    pub clock: ManualClock,
    pub station: Station,
}

impl Fixture {
    /// A fresh station whose clock reads the given CST wall time.
    pub fn at_cst(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> Fixture {
        let dir = TempDir::new().unwrap();
        let clock = ManualClock::at_cst(y, mo, d, h, mi, s);
        let station = Station::open(
            &dir.path().join("station.db"),
            key(),
            Arc::new(clock.clone()),
            WriteSource::Cli,
        )
        .unwrap();
        Fixture {
            dir,
            clock,
            station,
        }
    }

    pub fn household(&mut self, room: &str) -> i64 {
        self.station
            .add_household(&HouseholdInput {
                district: "徐汇区".into(),
                road: "天钥桥路".into(),
                lane: "100".into(),
                number: "5".into(),
                room: room.into(),
                phone: String::new(),
            })
            .unwrap()
    }

    /// Adds a resident with a valid ID built from `seq` to household `hh`.
    pub fn resident(&mut self, hh: i64, name: &str, seq: u32) -> i64 {
        self.station
            .add_resident(
                hh,
                &ResidentInput {
                    name: name.into(),
                    document_number: valid_id("310104", "19450312", seq),
                    ..Default::default()
                },
            )
            .unwrap()
    }

    /// Every row of every table, for before/after comparisons.
    pub fn dump(&self) -> String {
        dump(self.station.connection())
    }
}

/// A station file `name` in `dir` whose clock reads 2026-11-27 10:00 CST, writing as an import
/// (the roster-file tests' station).
pub fn import_station(dir: &TempDir, name: &str) -> Station {
    Station::open(
        &dir.path().join(name),
        key(),
        Arc::new(ManualClock::at_cst(2026, 11, 27, 10, 0, 0)),
        WriteSource::Import,
    )
    .unwrap()
}

pub fn valid_id(region: &str, birth: &str, seq: u32) -> String {
    let first17 = format!("{region}{birth}{:03}", seq % 1000);
    format!("{first17}{}", resident_id_check_char(&first17).unwrap())
}

pub fn dump(conn: &rusqlite::Connection) -> String {
    let mut out = String::new();
    let tables: Vec<String> = conn
        .prepare(
            "SELECT name FROM sqlite_master WHERE type = 'table'
             AND sql NOT LIKE 'CREATE VIRTUAL TABLE%' ORDER BY name",
        )
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    for t in tables {
        out.push_str(&format!("== {t}\n"));
        let mut stmt = conn
            .prepare(&format!("SELECT * FROM \"{t}\" ORDER BY 1"))
            .unwrap();
        let n = stmt.column_count();
        let mut rows = stmt.query([]).unwrap();
        while let Some(r) = rows.next().unwrap() {
            let cols: Vec<String> = (0..n)
                .map(|i| format!("{:?}", r.get_ref(i).unwrap()))
                .collect();
            out.push_str(&cols.join("|"));
            out.push('\n');
        }
    }
    out
}

pub fn count(conn: &rusqlite::Connection, sql: &str) -> i64 {
    conn.query_row(sql, [], |r| r.get(0)).unwrap()
}
