//! Trust the district can audit, end to end against the real `nac-hub` process (issue 15):
//! a disabled or re-keyed station's stolen key mints nothing that verifies, a thief who
//! rotated a stolen key is locked out by a district re-key, a station clock that is fast,
//! slow or set back cannot leave two valid codes or date codes outside the window, and a hub
//! restored from a backup is recognised and made whole again by the stations.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use common::*;
use nac_core::domain::Capacity;
use nac_core::station::{RenewOutcome, SyncReport};
use nac_core::{ManualClock, Station};
use nac_credential::Verdict;
use std::path::Path;
use std::sync::Arc;

fn sync(station: &mut Station, hub: &Hub) -> SyncReport {
    station.sync(&mut hub.transport(), &mut |_| {}).unwrap()
}

fn renewed(outcome: RenewOutcome) -> nac_core::station::Renewal {
    match outcome {
        RenewOutcome::Renewed(r) => r,
        other => panic!("expected a renewal, got {other:?}"),
    }
}

fn at(t: i64) -> ManualClock {
    ManualClock::at(chrono::DateTime::from_timestamp(t, 0).unwrap())
}

/// Copies a SQLite file as a backup tool or a thief would: the main file and its write-ahead
/// log (recent commits live there until a checkpoint).
fn copy_sqlite(from: &Path, to: &Path) {
    for suffix in ["", "-wal"] {
        let source = format!("{}{suffix}", from.display());
        let target = format!("{}{suffix}", to.display());
        let _ = std::fs::remove_file(&target);
        if Path::new(&source).exists() {
            std::fs::copy(&source, &target).unwrap();
        }
    }
    let _ = std::fs::remove_file(format!("{}-shm", to.display()));
}

fn events(hub: &Hub) -> String {
    hub.admin(&["events"])
}

#[test]
fn a_disabled_stations_stolen_key_mints_nothing_that_verifies() {
    let dir = tempfile::TempDir::new().unwrap();
    let clock = at(T0);
    let hub = local_hub_following(dir.path(), &clock);
    let lost = dir.path().join("lost.db");
    let (mut laptop, ids) = enrolled(&hub, &lost, &clock, &[1]);
    let (mut other, _) = enrolled(&hub, &dir.path().join("other.db"), &clock, &[2]);
    let genuine = renewed(laptop.renew(ids[0], Capacity::Volunteer).unwrap());
    sync(&mut laptop, &hub);
    let key = stolen_key(&lost);
    let id = laptop.station_id().to_string();

    clock.advance_secs(3600);
    hub.admin(&["station", "disable", &id]);
    clock.advance_secs(3600);
    sync(&mut other, &hub);
    // Minted with the stolen key and dated now: refused by a station that synced since.
    let forged = minted(&key, &id, "STOLEN0001", clock_now(&clock));
    assert_eq!(other.verify(&forged).verdict, Verdict::KeyWithdrawn);
    // Backdated to before the disable: genuine-looking, and honestly so (the key was in
    // service then); the window for that is the hour before the district acted.
    let backdated = minted(&key, &id, "STOLEN0002", clock_now(&clock) - 3 * 3600);
    assert_eq!(other.verify(&backdated).verdict, Verdict::Valid);
    // The laptop's own card issued before the disable stays valid.
    assert_eq!(
        other.verify(&genuine.code.credential).verdict,
        Verdict::Valid
    );
    assert!(events(&hub).contains("station_disabled"));
}

fn clock_now(clock: &ManualClock) -> i64 {
    use nac_core::Clock;
    clock.now().timestamp()
}

#[test]
fn a_thief_who_rotated_a_stolen_key_is_locked_out_by_a_district_rekey() {
    let dir = tempfile::TempDir::new().unwrap();
    let clock = at(T0);
    let hub = local_hub_following(dir.path(), &clock);
    let real = dir.path().join("real.db");
    let (mut station, ids) = enrolled(&hub, &real, &clock, &[1, 2]);
    let (mut other, _) = enrolled(&hub, &dir.path().join("other.db"), &clock, &[3]);
    renewed(station.renew(ids[0], Capacity::Volunteer).unwrap());
    sync(&mut station, &hub);

    // The thief copied the file (and knows the passphrase): rotates in a key of their own and
    // syncs with it, which retires the station's key at the hub.
    let copy = dir.path().join("copy.db");
    copy_sqlite(&real, &copy);
    let mut thief = open_station(&copy, Arc::new(clock.clone()));
    thief
        .rotate_key(Some(&mut hub.transport() as &mut dyn nac_core::Transport))
        .unwrap();
    clock.advance_secs(60);
    sync(&mut thief, &hub);
    let err = station.sync(&mut hub.transport(), &mut |_| {}).unwrap_err();
    assert!(err.to_string().contains("401"), "{err}");

    // The district re-keys the station; the real one enrols again with the code.
    clock.advance_secs(600);
    let id = station.station_id().to_string();
    let out = hub.admin(&["station", "rekey", &id, "--json"]);
    let code: serde_json::Value = serde_json::from_str(&out).unwrap();
    let code = code["enrolment_code"].as_str().unwrap().to_string();
    let old_kid = station.signing_keys().unwrap()[0].kid.clone();
    station
        .enrol(&mut hub.transport(), &hub.url, &code)
        .unwrap();
    assert_eq!(station.station_id(), id, "the same station, a new key");
    let keys = station.signing_keys().unwrap();
    assert_ne!(keys[0].kid, old_kid);
    assert_eq!(keys.iter().filter(|k| k.state == "active").count(), 1);
    let erased: i64 = raw_connection(&real)
        .query_row(
            "SELECT count(*) FROM station_keys WHERE state = 'retired' AND secret IS NULL",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(
        erased as usize,
        keys.len() - 1,
        "retired secrets are erased"
    );
    clock.advance_secs(60);
    assert_eq!(sync(&mut station, &hub).exit_code(), 0);
    let card = renewed(station.renew(ids[1], Capacity::Volunteer).unwrap());
    assert_eq!(sync(&mut station, &hub).synced, 1);

    // The thief is out: refused at the hub, and a card minted with the thief's key dated
    // after the re-key verifies nowhere.
    assert!(thief.sync(&mut hub.transport(), &mut |_| {}).is_err());
    let thief_key = stolen_key(&copy);
    clock.advance_secs(60);
    sync(&mut other, &hub);
    let forged = minted(&thief_key, &id, "THIEF00001", clock_now(&clock));
    assert_eq!(other.verify(&forged).verdict, Verdict::KeyWithdrawn);
    assert_eq!(other.verify(&card.code.credential).verdict, Verdict::Valid);
    // The district saw all of it.
    let log = events(&hub);
    for kind in ["key_rotated", "rekey_code_issued", "station_rekeyed"] {
        assert!(log.contains(kind), "{kind} missing from\n{log}");
    }
}

#[test]
fn a_clock_two_hours_fast_leaves_no_second_valid_code() {
    let dir = tempfile::TempDir::new().unwrap();
    let hub_clock = at(T0);
    let hub = local_hub_following(dir.path(), &hub_clock);
    let fast = at(T0 + 2 * 3600);
    let path = dir.path().join("fast.db");
    let (mut station, ids) = enrolled(&hub, &path, &fast, &[1]);
    let (mut other, _) = enrolled(&hub, &dir.path().join("other.db"), &hub_clock, &[1]);
    // Before any sync the station cannot know its clock is off: it renews and prints.
    let code = renewed(station.renew(ids[0], Capacity::Volunteer).unwrap());
    station
        .record_print(&nac_core::station::PrintRequest {
            layout: "a4-8up".into(),
            destination: "test".into(),
            serials: vec![code.code.serial.clone()],
        })
        .unwrap();
    let report = sync(&mut station, &hub);
    assert_eq!(report.failed, 1, "{report:?}");
    let refused = &station.queue(true, 10).unwrap()[0];
    assert_eq!(
        (refused.state.as_str(), refused.reason.as_deref()),
        ("rejected", Some("issued_in_future"))
    );
    // The refused code is void here, its printed card listed to replace, and it verifies
    // nowhere as valid.
    assert_eq!(station.active_code(ids[0]).unwrap(), None);
    let cards = station.cards_to_replace().unwrap();
    assert!(
        cards.iter().any(|c| c.serial == code.code.serial),
        "{cards:?}"
    );
    sync(&mut other, &hub);
    assert_ne!(
        other.verify(&code.code.credential).verdict,
        Verdict::Valid,
        "unknown to the hub, so not valid at another station"
    );
    // The station now knows its clock is off and says so instead of renewing.
    let err = station.renew(ids[0], Capacity::Volunteer).unwrap_err();
    assert_eq!(err.code(), "clock_off", "{err}");
    assert!(err.to_string().contains("快2小时"), "{err}");
    // Corrected and synced: renewals resume.
    fast.set(chrono::DateTime::from_timestamp(T0 + 60, 0).unwrap());
    hub_clock.set(chrono::DateTime::from_timestamp(T0 + 60, 0).unwrap());
    sync(&mut station, &hub);
    renewed(station.renew(ids[0], Capacity::Volunteer).unwrap());
}

#[test]
fn a_clock_set_back_cannot_date_codes_before_the_last_contact_or_outside_the_window() {
    let dir = tempfile::TempDir::new().unwrap();
    let clock = at(T0);
    let hub = local_hub_following(dir.path(), &clock);
    let station_clock = at(T0);
    let (mut station, ids) = enrolled(&hub, &dir.path().join("s.db"), &station_clock, &[1, 2]);
    renewed(station.renew(ids[0], Capacity::Volunteer).unwrap());
    sync(&mut station, &hub);
    // The clock battery died: the PC boots a day (or years) in the past.
    for back in [DAY, 3 * 365 * DAY] {
        station_clock.set(chrono::DateTime::from_timestamp(T0 - back, 0).unwrap());
        let err = station.renew(ids[1], Capacity::Volunteer).unwrap_err();
        assert_eq!(err.code(), "clock_behind", "{err}");
        assert!(err.to_string().contains("时钟电池"), "{err}");
    }
    // An unsynced station whose clock was set back 9 days: its code reaches the hub outside
    // the district's offline window and is refused and voided here; the hub records the
    // refusal and publishes the code's revocation, so it is valid nowhere.
    let (mut late, late_ids) = enrolled(&hub, &dir.path().join("late.db"), &at(T0 - 9 * DAY), &[3]);
    let code = renewed(late.renew(late_ids[0], Capacity::Volunteer).unwrap());
    let report = sync(&mut late, &hub);
    assert_eq!(report.failed, 1);
    assert_eq!(
        late.queue(true, 10).unwrap()[0].reason.as_deref(),
        Some("issued_too_early")
    );
    assert_eq!(late.active_code(late_ids[0]).unwrap(), None);
    let recorded = hub.data.query(&format!(
        "SELECT status, reason FROM applications WHERE serial = '{}'",
        code.code.serial
    ));
    assert_eq!(
        recorded,
        vec![vec!["rejected".to_string(), "issued_too_early".into()]]
    );
    sync(&mut station, &hub);
    assert_eq!(
        station.verify(&code.code.credential).verdict,
        Verdict::Rejected
    );
    // The phone gateway is held to the same window.
    let key = nac_protocol::person_key(&district_secret(&station), "resident_id", &resident_id(9));
    for issued_at in [T0 - 8 * DAY, 0] {
        let answer = hub.phone_renew_raw(
            key.as_str(),
            issued_at,
            &Rng::new(issued_at as u64).event_id(),
        );
        assert_eq!(answer.0, 400, "{}", answer.1);
    }
}

fn district_secret(station: &Station) -> nac_protocol::DistrictSecret {
    let hex: String = station
        .connection()
        .query_row(
            "SELECT value FROM settings WHERE key = 'district_secret'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    nac_protocol::DistrictSecret::from_hex(&hex).unwrap()
}

/// A restore from a backup: the hub forgets A's renewal of person 1 today, accepts B's, and
/// A — seeing the new epoch — re-sends, is told `already_applied_today`, voids its code and
/// adopts B's. Without an epoch (the stamp lost), A's cursor beyond the feed tells it the
/// same.
#[test]
fn a_restored_hub_is_made_whole_by_the_stations() {
    for stamp_lost in [false, true] {
        let dir = tempfile::TempDir::new().unwrap();
        let clock = at(T0);
        let mut hub = local_hub_following(dir.path(), &clock);
        let (mut a, a_ids) = enrolled(&hub, &dir.path().join("a.db"), &clock, &[1, 2]);
        let (mut b, b_ids) = enrolled(&hub, &dir.path().join("b.db"), &clock, &[1]);
        renewed(a.renew(a_ids[1], Capacity::Volunteer).unwrap());
        sync(&mut a, &hub);
        sync(&mut b, &hub);
        // The backup: the hub stopped, its file copied.
        hub.kill();
        let db = dir.path().join("hub.db");
        let backup = dir.path().join("backup.db");
        copy_sqlite(&db, &backup);
        hub.restart();
        // After the backup: A renews person 1 today; the hub accepts it.
        clock.advance_secs(3600);
        let lost = renewed(a.renew(a_ids[0], Capacity::Volunteer).unwrap());
        assert_eq!(sync(&mut a, &hub).synced, 1);
        // Let the hub record its feed beside its keys, as a running hub does every minute.
        hub.kill();
        if !stamp_lost {
            hub.admin(&["epoch"]);
        }
        // The disk fails; the district restores the backup.
        copy_sqlite(&backup, &db);
        if stamp_lost {
            let _ = std::fs::remove_file(hub.keys_dir().join("feed-stamp"));
        }
        hub.restart();
        // B renews person 1 the same day: the restored hub knows nothing of A's renewal.
        clock.advance_secs(600);
        let kept = renewed(b.renew(b_ids[0], Capacity::Volunteer).unwrap());
        assert_eq!(sync(&mut b, &hub).synced, 1);
        // A syncs: it learns of the restore, re-sends, and is told someone applied today.
        let report = sync(&mut a, &hub);
        assert!(report.resent >= 1, "stamp lost {stamp_lost}: {report:?}");
        let refused = a
            .queue(false, 10)
            .unwrap()
            .into_iter()
            .find(|e| e.serial.as_deref() == Some(lost.code.serial.as_str()))
            .unwrap();
        assert_eq!(refused.reason.as_deref(), Some("already_applied_today"));
        assert_eq!(
            a.active_code(a_ids[0]).unwrap().map(|c| c.serial),
            Some(kept.code.serial.clone()),
            "A adopts the code the hub holds"
        );
        // And the renewal the hub did not lose is answered as a duplicate: still synced.
        assert_eq!(
            a.sync_status().unwrap().synced,
            1,
            "stamp lost {stamp_lost}"
        );
        if !stamp_lost {
            assert!(events(&hub).contains("epoch_started"));
        }
    }
}

/// A station restored from an older backup has a shorter audit log than the hub anchored:
/// the next sync shows the district the rollback (issue 16 §2).
#[test]
fn a_station_restored_from_an_older_backup_shows_the_district_its_rollback() {
    let dir = tempfile::TempDir::new().unwrap();
    let clock = at(T0);
    let hub = local_hub_following(dir.path(), &clock);
    let path = dir.path().join("station.db");
    let (mut station, ids) = enrolled(&hub, &path, &clock, &[1, 2]);
    sync(&mut station, &hub);
    let backup = dir.path().join("monday.nacbackup");
    station.backup(&backup).unwrap();
    clock.advance_secs(3600);
    for id in &ids {
        renewed(station.renew(*id, Capacity::Volunteer).unwrap());
    }
    let report = sync(&mut station, &hub);
    let anchored = report.audit_anchored.expect("the head was anchored");
    drop(station);
    assert!(!events(&hub).contains("audit_rewound"));

    let passphrase = nac_core::store::Passphrase::new(PASSPHRASE);
    let restored = nac_core::station::restore(nac_core::station::RestoreRequest {
        station: &path,
        backup: &backup,
        passphrase: &passphrase,
        account: None,
        force_other_station: false,
        clock: Arc::new(clock.clone()),
        source: nac_core::WriteSource::Cli,
    })
    .unwrap();
    assert!(restored.restored.audit_rows < anchored);
    let mut station = open_station(&path, Arc::new(clock.clone()));
    sync(&mut station, &hub);
    let events = events(&hub);
    assert!(
        events.contains("audit_rewound") && events.contains(&format!("after row {anchored}")),
        "the district sees the rollback: {events}"
    );
}
