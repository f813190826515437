//! Encryption at rest (issue 9 §1–2): the station file, its WAL and its backups hold no
//! resident's name, ID number or phone in the clear; a wrong passphrase changes nothing; a
//! plaintext station is encrypted in place; a change of passphrase and a restore replace the
//! file whole.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use common::Fixture;
use nac_core::domain::Capacity;
use nac_core::store::{self, DatabaseKey, FileKind, Passphrase};
use nac_core::{ManualClock, Station, WriteSource};
use std::path::{Path, PathBuf};
use std::sync::Arc;

const NAMES: [&str; 3] = ["张秀英", "李建国", "王淑珍"];
const PHONE: &str = "13912345678";

fn clock() -> Arc<ManualClock> {
    Arc::new(ManualClock::at_cst(2026, 12, 2, 9, 0, 0))
}

/// A station with three residents (one with a phone), each renewed once.
fn seeded() -> (Fixture, Vec<String>) {
    let mut f = Fixture::at_cst(2026, 12, 2, 9, 0, 0);
    let hh = f
        .station
        .add_household(&nac_core::station::HouseholdInput {
            district: "徐汇区".into(),
            road: "天钥桥路".into(),
            lane: "100".into(),
            number: "5".into(),
            room: "301".into(),
            phone: PHONE.into(),
        })
        .unwrap();
    let mut ids = Vec::new();
    for (n, name) in NAMES.iter().enumerate() {
        let seq = 100 + n as u32;
        let id = f.resident(hh, name, seq);
        ids.push(common::valid_id("310104", "19450312", seq));
        f.station.renew(id, Capacity::Volunteer).unwrap();
    }
    (f, ids)
}

/// Every needle (UTF-8 bytes; ID numbers also as UTF-16) absent from every file given.
fn assert_no_plaintext(files: &[PathBuf], ids: &[String]) {
    let mut needles: Vec<Vec<u8>> = NAMES.iter().map(|n| n.as_bytes().to_vec()).collect();
    needles.push(PHONE.as_bytes().to_vec());
    for id in ids {
        needles.push(id.as_bytes().to_vec());
        needles.push(id.as_bytes()[id.len() - 8..].to_vec());
    }
    let mut scanned = 0;
    for file in files {
        let Ok(bytes) = std::fs::read(file) else {
            continue;
        };
        scanned += bytes.len();
        for needle in &needles {
            assert!(
                !bytes.windows(needle.len()).any(|w| w == needle.as_slice()),
                "{} holds {:?} in the clear",
                file.display(),
                String::from_utf8_lossy(needle)
            );
        }
        assert!(
            !bytes.starts_with(b"SQLite format 3"),
            "{} has a plain SQLite header",
            file.display()
        );
    }
    assert!(
        scanned > 4096,
        "the scan must have read the station's pages"
    );
}

fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect();
    files.sort();
    files
}

#[test]
fn the_file_and_its_wal_hold_no_name_number_or_phone_in_the_clear() {
    let (f, ids) = seeded();
    let path = f.dir.path().join("station.db");
    // The connection is still open: the WAL holds the latest pages too.
    let files = nac_core::files::database_files(&path);
    assert!(files[1].exists(), "the WAL is part of what a thief copies");
    assert_no_plaintext(&files, &ids);
    assert_eq!(
        store::file_kind(&path).unwrap(),
        FileKind::Encrypted(common::key().salt()),
        "the file starts with the salt its key was derived with"
    );
    // The signing seed is not in the clear either.
    let seed: Vec<u8> = f
        .station
        .connection()
        .query_row("SELECT secret FROM station_keys", [], |r| r.get(0))
        .unwrap();
    for file in &files {
        if let Ok(bytes) = std::fs::read(file) {
            assert!(!bytes.windows(32).any(|w| w == seed.as_slice()));
        }
    }
}

#[test]
fn a_wrong_passphrase_is_refused_and_changes_no_byte() {
    let (f, _) = seeded();
    let path = f.dir.path().join("station.db");
    drop(f.station);
    let before = snapshot(f.dir.path());
    let wrong = DatabaseKey::for_file(&path, &Passphrase::new("not the passphrase")).unwrap();
    let err = Station::open(&path, &wrong, clock(), WriteSource::Cli)
        .err()
        .expect("a wrong passphrase must not open the station");
    assert_eq!(err.code(), "wrong_passphrase", "{err}");
    assert!(err.to_string().contains("wrong passphrase"), "{err}");
    assert_eq!(
        snapshot(f.dir.path()),
        before,
        "the files must be byte for byte as before"
    );
    Station::open(&path, common::key(), clock(), WriteSource::Cli).expect("the right one opens");
}

/// A plain SQLite station written by an earlier version, made by exporting a station
/// without a key.
fn plaintext_copy(from: &Station, to: &Path) {
    from.connection()
        .execute("ATTACH DATABASE ?1 AS plain KEY ''", [to.to_string_lossy()])
        .unwrap();
    from.connection()
        .query_row("SELECT sqlcipher_export('plain')", [], |_| Ok(()))
        .unwrap();
    let version = store::schema_version(from.connection()).unwrap();
    from.connection()
        .pragma_update(Some("plain"), "user_version", version)
        .unwrap();
    from.connection()
        .execute_batch("DETACH DATABASE plain")
        .unwrap();
}

#[test]
fn a_plaintext_station_is_encrypted_in_place_at_its_first_open() {
    let (f, ids) = seeded();
    let plain = f.dir.path().join("old.db");
    plaintext_copy(&f.station, &plain);
    assert_eq!(store::file_kind(&plain).unwrap(), FileKind::Plaintext);
    let before = rusqlite::Connection::open(&plain)
        .unwrap()
        .query_row("SELECT count(*) FROM residents", [], |r| r.get::<_, i64>(0))
        .unwrap();
    assert_eq!(before, 3);
    let name = NAMES[0].as_bytes();
    assert!(
        std::fs::read(&plain)
            .unwrap()
            .windows(name.len())
            .any(|w| w == name),
        "the scan would see a name in a plaintext file"
    );
    // A second name for the same inode: what an unlinked-but-not-overwritten file leaves on
    // the disk is what this link shows afterwards.
    let link = f.dir.path().join("old-link.db");
    std::fs::hard_link(&plain, &link).unwrap();
    let plain_len = std::fs::metadata(&plain).unwrap().len();

    let key = DatabaseKey::for_file(&plain, &Passphrase::new(common::PASSPHRASE)).unwrap();
    let station = Station::open(&plain, &key, clock(), WriteSource::Cli).unwrap();
    let rows = station.residents(&Default::default()).unwrap();
    assert_eq!(rows.len(), 3, "every resident survived the migration");
    assert_eq!(station.station_id(), f.station.station_id());
    assert_eq!(
        store::file_kind(&plain).unwrap(),
        FileKind::Encrypted(key.salt())
    );
    drop(station);
    assert_no_plaintext(&nac_core::files::database_files(&plain), &ids);
    let old_inode = std::fs::read(&link).unwrap();
    assert_eq!(old_inode.len() as u64, plain_len);
    assert!(
        old_inode.iter().all(|b| *b == 0),
        "the plaintext file was overwritten with zeros before it was let go"
    );
    std::fs::remove_file(&link).unwrap();
    let leftovers: Vec<String> = snapshot(f.dir.path())
        .into_iter()
        .map(|(name, _)| name)
        .filter(|name| name.contains("tmp"))
        .collect();
    assert!(leftovers.is_empty(), "temporary copies left: {leftovers:?}");
}

#[test]
fn a_plaintext_station_in_use_elsewhere_is_not_migrated_under_the_other_program() {
    let (f, _) = seeded();
    let plain = f.dir.path().join("old.db");
    plaintext_copy(&f.station, &plain);
    let other = rusqlite::Connection::open(&plain).unwrap();
    other.execute_batch("PRAGMA journal_mode = WAL").unwrap();
    other
        .query_row("SELECT count(*) FROM residents", [], |r| r.get::<_, i64>(0))
        .unwrap();
    let key = DatabaseKey::for_file(&plain, &Passphrase::new(common::PASSPHRASE)).unwrap();
    let err = Station::open(&plain, &key, clock(), WriteSource::Cli)
        .err()
        .expect("another program holds the file");
    assert_eq!(err.code(), "in_use", "{err}");
    assert_eq!(store::file_kind(&plain).unwrap(), FileKind::Plaintext);
}

#[test]
fn a_changed_passphrase_opens_the_station_and_the_old_one_no_longer_does() {
    let (f, ids) = seeded();
    let path = f.dir.path().join("station.db");
    let id = f.station.station_id().to_string();
    drop(f.station);
    let new = Passphrase::new("a new station passphrase");
    let new_key = store::change_passphrase(&path, common::key(), &new, &[], |_| Ok(())).unwrap();
    assert_ne!(new_key.salt(), common::key().salt(), "a fresh salt");

    let old = DatabaseKey::for_file(&path, &Passphrase::new(common::PASSPHRASE)).unwrap();
    let err = Station::open(&path, &old, clock(), WriteSource::Cli)
        .err()
        .unwrap();
    assert_eq!(err.code(), "wrong_passphrase");
    let key = DatabaseKey::for_file(&path, &new).unwrap();
    let station = Station::open(&path, &key, clock(), WriteSource::Cli).unwrap();
    assert_eq!(station.station_id(), id);
    assert_eq!(station.residents(&Default::default()).unwrap().len(), 3);
    assert!(station.verify_audit().unwrap().problem.is_none());
    drop(station);
    assert_no_plaintext(&nac_core::files::database_files(&path), &ids);

    let short = store::change_passphrase(&path, &key, &Passphrase::new("short"), &[], |_| Ok(()))
        .err()
        .unwrap();
    assert!(matches!(short, store::StoreError::WeakPassphrase { .. }));
}

#[test]
fn a_backup_is_encrypted_checked_and_restores_the_station() {
    let (mut f, ids) = seeded();
    let path = f.dir.path().join("station.db");
    let backup = f.dir.path().join("backups").join("2026-12-02.nacbackup");
    std::fs::create_dir(backup.parent().unwrap()).unwrap();
    f.station.backup(&backup).unwrap();
    assert_no_plaintext(std::slice::from_ref(&backup), &ids);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&backup).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "a backup holds personal data");
    }
    // The backup opens on its own with the station's passphrase.
    let key = DatabaseKey::for_file(&backup, &Passphrase::new(common::PASSPHRASE)).unwrap();
    let copy = Station::open(&backup, &key, clock(), WriteSource::Cli).unwrap();
    assert_eq!(copy.station_id(), f.station.station_id());
    drop(copy);
    // A backup cannot overwrite the station itself.
    let err = f.station.backup(&path).err().unwrap();
    assert!(
        matches!(
            err.code(),
            nac_core::ErrorCode::FileExtension | nac_core::ErrorCode::StationFile
        ),
        "{err}"
    );

    // After the backup a resident is removed; restoring brings the three back.
    let gone = f.station.residents(&Default::default()).unwrap()[0].id;
    f.station.remove_resident(gone).unwrap();
    drop(f.station);
    let kept = store::restore(
        &path,
        Some(common::key()),
        &backup,
        &key,
        1_764_640_000,
        |_| Ok(()),
    )
    .unwrap()
    .expect("the replaced station is kept");
    let station = Station::open(&path, common::key(), clock(), WriteSource::Cli).unwrap();
    assert_eq!(station.residents(&Default::default()).unwrap().len(), 3);
    let replaced = Station::open(&kept, common::key(), clock(), WriteSource::Cli).unwrap();
    assert_eq!(replaced.residents(&Default::default()).unwrap().len(), 2);
}

#[test]
fn a_damaged_or_foreign_backup_is_refused_before_anything_is_replaced() {
    let (mut f, _) = seeded();
    let path = f.dir.path().join("station.db");
    let backup = f.dir.path().join("b.nacbackup");
    f.station.backup(&backup).unwrap();
    drop(f.station);
    let key = DatabaseKey::for_file(&backup, &Passphrase::new(common::PASSPHRASE)).unwrap();

    let mut bytes = std::fs::read(&backup).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x40;
    let damaged = f.dir.path().join("damaged.nacbackup");
    std::fs::write(&damaged, &bytes).unwrap();
    let before = snapshot(f.dir.path());
    let err =
        store::restore(&path, Some(common::key()), &damaged, &key, 1, |_| Ok(())).unwrap_err();
    assert!(
        matches!(err, store::StoreError::BadBackup { .. }),
        "a flipped bit must fail the page HMAC: {err}"
    );
    assert_eq!(snapshot(f.dir.path()), before, "nothing replaced");

    let other_key = DatabaseKey::for_file(&backup, &Passphrase::new("another passphrase")).unwrap();
    let err = store::restore(&path, Some(common::key()), &backup, &other_key, 1, |_| {
        Ok(())
    })
    .unwrap_err();
    assert!(
        matches!(err, store::StoreError::WrongPassphrase { .. }),
        "{err}"
    );
    assert_eq!(snapshot(f.dir.path()), before, "nothing replaced");
}

#[test]
fn a_restore_waits_for_the_station_to_be_closed() {
    let (mut f, _) = seeded();
    let path = f.dir.path().join("station.db");
    let backup = f.dir.path().join("b.nacbackup");
    f.station.backup(&backup).unwrap();
    let key = DatabaseKey::for_file(&backup, &Passphrase::new(common::PASSPHRASE)).unwrap();
    let err = store::restore(&path, Some(common::key()), &backup, &key, 1, |_| Ok(())).unwrap_err();
    assert!(matches!(err, store::StoreError::InUse), "{err}");
    // The open station is untouched and still works.
    assert_eq!(f.station.residents(&Default::default()).unwrap().len(), 3);
}
