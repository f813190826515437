//! Who may replace the station file and what is left behind (issue 16 §2–4): changing the
//! passphrase and restoring are administrators' acts, audited in the new file; a restore
//! records what it replaced and refuses another station's backup; copies kept beside the
//! station follow the passphrase, and unfinished ones are swept at every open.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use common::Fixture;
use nac_core::station::{restore, RestoreRequest, Role};
use nac_core::store::{self, DatabaseKey, FileKind, Passphrase};
use nac_core::{ManualClock, Station, WriteSource};
use std::path::{Path, PathBuf};
use std::sync::Arc;

const VOLUNTEER_PIN: &str = "246810";

fn clock() -> Arc<ManualClock> {
    Arc::new(ManualClock::at_cst(2026, 12, 7, 9, 0, 0))
}

/// A station with an administrator, a volunteer 李梅 and one resident.
fn station() -> Fixture {
    let mut f = Fixture::at_cst(2026, 12, 7, 9, 0, 0);
    f.station.create_administrator("王主任", "135790").unwrap();
    f.station
        .add_account("李梅", Role::Volunteer, VOLUNTEER_PIN)
        .unwrap();
    let hh = f.household("301");
    f.resident(hh, "张秀英", 1);
    f
}

fn path(f: &Fixture) -> PathBuf {
    f.dir.path().join("station.db")
}

fn open(path: &Path, key: &DatabaseKey) -> Station {
    Station::open(path, key, clock(), WriteSource::Cli).unwrap()
}

fn passphrase() -> Passphrase {
    Passphrase::new(common::PASSPHRASE)
}

fn request<'a>(
    station: &'a Path,
    backup: &'a Path,
    passphrase: &'a Passphrase,
    account: Option<(&'a str, &'a str)>,
    force: bool,
) -> RestoreRequest<'a> {
    RestoreRequest {
        station,
        backup,
        passphrase,
        account,
        force_other_station: force,
        clock: clock(),
        source: WriteSource::Cli,
    }
}

fn actions(station: &Station) -> Vec<(String, String)> {
    station
        .audit_log(1000)
        .unwrap()
        .into_iter()
        .map(|e| (e.action, e.subject))
        .collect()
}

#[test]
fn a_volunteer_can_neither_change_the_passphrase_nor_restore() {
    let mut f = station();
    let path = path(&f);
    let backup = f.dir.path().join("b.nacbackup");
    f.station.backup(&backup).unwrap();
    f.station.sign_in("李梅", VOLUNTEER_PIN).unwrap();
    let Fixture { dir, station, .. } = f;
    let salt = store::file_kind(&path).unwrap();
    let err = station
        .change_passphrase(&Passphrase::new("a brand new passphrase"))
        .unwrap_err();
    assert_eq!(err.code(), "not_allowed", "{err}");
    assert_eq!(store::file_kind(&path).unwrap(), salt, "not rewritten");

    let p = passphrase();
    let err = restore(request(
        &path,
        &backup,
        &p,
        Some(("李梅", VOLUNTEER_PIN)),
        false,
    ))
    .unwrap_err();
    assert_eq!(err.code(), "not_allowed", "{err}");
    assert!(store::kept_copies(&path).is_empty(), "nothing replaced");
    drop(dir);
}

#[test]
fn a_passphrase_change_is_audited_in_the_new_file_and_names_the_old_backups() {
    let mut f = station();
    let path = path(&f);
    let backup = f.dir.path().join("monday.nacbackup");
    f.station.backup(&backup).unwrap();
    let Fixture { dir, station, .. } = f;
    let new = Passphrase::new("梧桐 lantern 47 orchard");
    let (key, changed) = station.change_passphrase(&new).unwrap();
    assert_eq!(changed.backups, vec![backup.display().to_string()]);
    let station = open(&path, &key);
    let log = actions(&station);
    assert_eq!(log[0].0, "passphrase_changed", "{log:?}");
    assert!(station.verify_audit().unwrap().problem.is_none());
    // The backup keeps the passphrase it was made with.
    let old_key = DatabaseKey::for_file(&backup, &passphrase()).unwrap();
    drop(open(&backup, &old_key));
    // The station's name is no passphrase.
    let name = station.station_name().unwrap();
    let weak = Passphrase::new(format!("{} {}", station.station_id(), name));
    let err = station.change_passphrase(&weak).unwrap_err();
    assert_eq!(err.code(), "weak_passphrase", "{err}");
    drop(dir);
}

#[test]
fn a_restore_records_what_it_replaced_in_the_restored_log() {
    let mut f = station();
    let path = path(&f);
    let backup = f.dir.path().join("b.nacbackup");
    f.station.backup(&backup).unwrap();
    let hh = f.household("302");
    f.resident(hh, "李建国", 2);
    let (rows, head) = nac_core::audit::head(f.station.connection()).unwrap();
    let id = f.station.station_id().to_string();
    drop(f.station);

    let p = passphrase();
    let restored = restore(request(
        &path,
        &backup,
        &p,
        Some(("王主任", "135790")),
        false,
    ))
    .unwrap();
    // The administrator's sign-in for the restore is the replaced log's last row.
    let replaced = restored.replaced.clone().unwrap();
    assert_eq!(replaced.audit_rows, rows + 1);
    assert_ne!(replaced.audit_head, head);
    assert_eq!(restored.restored.station_id, id);
    assert!(restored.kept.as_ref().unwrap().exists());

    let station = open(&path, common::key());
    let log = actions(&station);
    let (action, subject) = &log[0];
    assert_eq!(action, "restore");
    assert!(subject.contains("by 王主任"), "{subject}");
    assert!(
        subject.contains(&format!(
            "replaced {id} at audit row {} {}",
            replaced.audit_rows, replaced.audit_head
        )),
        "the restored log names the head it replaced: {subject}"
    );
    assert!(station.verify_audit().unwrap().problem.is_none());
    assert_eq!(station.residents(&Default::default()).unwrap().len(), 1);
}

#[test]
fn a_backup_of_another_station_or_of_the_demo_is_refused_unless_forced() {
    let mut a = station();
    let a_backup = a.dir.path().join("a.nacbackup");
    a.station.backup(&a_backup).unwrap();
    let a_id = a.station.station_id().to_string();
    let mut b = station();
    let b_path = path(&b);
    let b_id = b.station.station_id().to_string();
    let demo_path = b.dir.path().join("demo.db");
    let mut demo =
        Station::open_demo(&demo_path, common::key(), clock(), WriteSource::Cli).unwrap();
    let demo_backup = b.dir.path().join("demo.nacbackup");
    demo.backup(&demo_backup).unwrap();
    drop(demo);
    let b_residents = b.station.residents(&Default::default()).unwrap().len();
    b.station.set_station_name("B站").unwrap();
    drop(b.station);
    let before = std::fs::read(&b_path).unwrap();

    let p = passphrase();
    for foreign in [&a_backup, &demo_backup] {
        let err = restore(request(&b_path, foreign, &p, None, false)).unwrap_err();
        assert_eq!(err.code(), "other_station", "{err}");
        let message = err.to_string();
        assert!(message.contains(&b_id), "names this station: {message}");
        assert!(message.contains("B站"), "{message}");
        assert_eq!(std::fs::read(&b_path).unwrap(), before, "nothing replaced");
    }
    assert!(err_names(&a_backup, &b_path, &p).contains(&a_id));

    let restored = restore(request(&b_path, &a_backup, &p, None, true)).unwrap();
    assert_eq!(restored.restored.station_id, a_id);
    let station = open(&b_path, common::key());
    assert_eq!(station.station_id(), a_id);
    assert_eq!(
        station.residents(&Default::default()).unwrap().len(),
        b_residents
    );
    let kept = restored.kept.unwrap();
    assert_eq!(open(&kept, common::key()).station_id(), b_id);
}

fn err_names(backup: &Path, station: &Path, p: &Passphrase) -> String {
    restore(request(station, backup, p, None, false))
        .unwrap_err()
        .to_string()
}

#[test]
fn copies_kept_by_a_restore_follow_the_passphrase_and_unfinished_ones_go() {
    let mut f = station();
    let path = path(&f);
    let backup = f.dir.path().join("b.nacbackup");
    f.station.backup(&backup).unwrap();
    drop(f.station);
    let p = passphrase();
    let kept = restore(request(&path, &backup, &p, None, false))
        .unwrap()
        .kept
        .unwrap();
    // What a killed passphrase change leaves behind.
    let unfinished = sibling(&path, ".rekey-tmp");
    std::fs::copy(&kept, &unfinished).unwrap();
    std::fs::write(sibling(&path, ".rekey-tmp-journal"), b"journal").unwrap();

    let station = open(&path, common::key());
    let new = Passphrase::new("梧桐 lantern 47 orchard");
    let (new_key, _) = station.change_passphrase(&new).unwrap();
    assert!(!unfinished.exists(), "an unfinished copy is removed");
    assert!(!sibling(&path, ".rekey-tmp-journal").exists());
    assert_eq!(
        store::file_kind(&kept).unwrap(),
        FileKind::Encrypted(new_key.salt()),
        "the kept copy was re-keyed"
    );
    let err = Station::open(&kept, common::key(), clock(), WriteSource::Cli)
        .err()
        .unwrap();
    assert_eq!(
        err.code(),
        "wrong_passphrase",
        "the old passphrase opens no copy"
    );
    drop(open(&kept, &new_key));
}

#[test]
fn an_open_sweeps_unfinished_copies_and_copies_under_another_key() {
    let f = station();
    let path = path(&f);
    let same_key = store::kept_copies(&path);
    assert!(same_key.is_empty());
    drop(f.station);
    let current = f.dir.path().join("station.db.before-restore-100");
    std::fs::copy(&path, &current).unwrap();
    // A copy from under an earlier passphrase: another salt.
    let earlier = f.dir.path().join("station.db.before-restore-50");
    let other_key = DatabaseKey::derive(&passphrase(), *b"another-salt-16b").unwrap();
    drop(open(&earlier, &other_key));
    let leftovers = [
        sibling(&path, ".restore-tmp"),
        sibling(&path, ".restore-tmp-journal"),
        sibling(&path, ".rekey-tmp-wal"),
    ];
    for file in &leftovers {
        std::fs::write(file, b"left by a kill").unwrap();
    }
    drop(open(&path, common::key()));
    for file in &leftovers {
        assert!(!file.exists(), "{} swept", file.display());
    }
    assert!(!earlier.exists(), "a copy under another key is removed");
    assert_eq!(
        store::kept_copies(&path),
        vec![current],
        "the current one stays"
    );
}

fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_os_string();
    name.push(suffix);
    PathBuf::from(name)
}
