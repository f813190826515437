//! A real station file in a temp dir with a manual clock: the part of core's test fixture
//! (`core/tests/it/common.rs`) the print-job tests need.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use nac_core::domain::document::resident_id_check_char;
use nac_core::station::{HouseholdInput, ResidentInput};
use nac_core::store::{DatabaseKey, Passphrase};
use nac_core::{ManualClock, Station, WriteSource};
use std::sync::{Arc, OnceLock};
use tempfile::TempDir;

/// The key of every test station (one Argon2id derivation per test binary).
fn key() -> &'static DatabaseKey {
    static KEY: OnceLock<DatabaseKey> = OnceLock::new();
    KEY.get_or_init(|| {
        DatabaseKey::derive(
            &Passphrase::new("test station passphrase"),
            *b"test-salt-16byte",
        )
        .unwrap()
    })
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
        let first17 = format!("31010419450312{:03}", seq % 1000);
        let number = format!("{first17}{}", resident_id_check_char(&first17).unwrap());
        self.station
            .add_resident(
                hh,
                &ResidentInput {
                    name: name.into(),
                    document_number: number,
                    ..Default::default()
                },
            )
            .unwrap()
    }
}

pub fn count(conn: &rusqlite::Connection, sql: &str) -> i64 {
    conn.query_row(sql, [], |r| r.get(0)).unwrap()
}
