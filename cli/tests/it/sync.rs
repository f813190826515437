//! Stations against the real `nac-hub` process on 127.0.0.1: enrolment, idempotent pushes,
//! two offline stations converging, phone renewals reaching a station, crash points, an
//! unreachable or refusing hub, offline verification from the cached lists, and no identity
//! on the hub.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use common::*;
use nac_core::domain::Capacity;
use nac_core::station::{PrintRequest, RenewOutcome, SyncReport};
use nac_core::{ManualClock, Station, Transport, TransportError};
use std::process::Command;
use std::sync::Arc;

/// A station enrolled with `hub`, on a manual clock, holding residents `people`.
fn sync(station: &mut Station, hub: &Hub) -> SyncReport {
    station.sync(&mut hub.transport(), &mut |_| {}).unwrap()
}

fn renewed_serial(outcome: RenewOutcome) -> String {
    match outcome {
        RenewOutcome::Renewed(r) => r.code.serial,
        other => panic!("expected a renewal, got {other:?}"),
    }
}

fn active_serial(station: &Station, resident: i64) -> Option<String> {
    station.active_code(resident).unwrap().map(|c| c.serial)
}

fn hub_active(hub: &Hub) -> Vec<Vec<String>> {
    hub.data.query(
        "SELECT ac.person_key, a.serial FROM active_codes ac
             JOIN applications a ON a.id = ac.application_id ORDER BY ac.person_key",
    )
}

fn hub_count(hub: &Hub, sql: &str) -> i64 {
    hub.data.query(sql)[0][0].parse().unwrap()
}

#[test]
fn enrol_and_push_through_the_cli_is_idempotent_and_the_hub_holds_no_identity() {
    let dir = tempfile::TempDir::new().unwrap();
    let hub = local_hub(dir.path());
    let db = dir.path().join("station.db");
    let csv = dir.path().join("roster.csv");
    let people = [
        ("张三丰", resident_id(1), "13812345678"),
        ("李四光", resident_id(2), "13987654321"),
        ("王五洲", resident_id(3), "13700001111"),
    ];
    let mut roster = String::from("区,路,弄,号,室,姓名,证件号码,手机号\n");
    for (i, (name, id, phone)) in people.iter().enumerate() {
        roster.push_str(&format!(
            "徐汇区,天钥桥路,100,5,{},{name},{id},{phone}\n",
            301 + i
        ));
    }
    std::fs::write(&csv, roster).unwrap();

    // A demo station never enrols.
    let demo = dir.path().join("demo.db");
    assert!(nac(&demo, &["demo", "--households", "3"]).status.success());
    let refused = nac(
        &demo,
        &["--json", "enrol", "--hub", &hub.url, "--code", "X"],
    );
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stdout).contains("demo_station"));

    // Unenrolled: sync says so, exit 2.
    let out = nac(&db, &["--json", "sync", "--hub", &hub.url]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stdout).contains("not_enrolled"));

    let code = hub.station_code("Lane 1200");
    let out = nac(
        &db,
        &["--json", "enrol", "--hub", &hub.url, "--code", &code],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    // The code works once.
    let again = nac(
        &db,
        &["--json", "enrol", "--hub", &hub.url, "--code", &code],
    );
    assert_eq!(again.status.code(), Some(2));
    assert!(nac(&db, &["import", csv.to_str().unwrap()])
        .status
        .success());
    for (_, id, _) in &people {
        assert!(nac(&db, &["renew", "--id", id]).status.success());
    }
    let out = nac(&db, &["--json", "sync"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["sync"]["synced"], 3, "{v}");
    let before = hub_active(&hub);
    assert_eq!(before.len(), 3);

    // Answers lost 4 times in a row: the same batch is pushed again each time, and the hub
    // answers duplicate with its first answer: one renewal each, nothing else changes.
    let conn = raw_connection(&db);
    let first_answers = hub
        .data
        .query("SELECT event_id, answer FROM event_records ORDER BY event_id");
    for round in 2..=5 {
        conn.execute(
            "UPDATE outbox SET state = 'queued' WHERE state = 'synced'",
            [],
        )
        .unwrap();
        let out = nac(&db, &["--json", "sync"]);
        assert_eq!(out.status.code(), Some(0), "round {round}");
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v["sync"]["pushed"], 3, "round {round}: {v}");
        assert_eq!(hub_count(&hub, "SELECT count(*) FROM applications"), 3);
        assert_eq!(hub_active(&hub), before);
        assert_eq!(
            hub.data
                .query("SELECT event_id, answer FROM event_records ORDER BY event_id"),
            first_answers
        );
    }
    let queue = nac(&db, &["--json", "queue", "--all"]);
    let v: serde_json::Value = serde_json::from_slice(&queue.stdout).unwrap();
    assert_eq!(v["status"]["synced"], 3, "{v}");
    assert!(v["events"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["state"] == "synced"));

    // Nothing of a resident's identity is on the hub: not in its database, not in its log.
    drop(conn);
    let mut hub = hub;
    hub.kill();
    let mut bytes = std::fs::read(dir.path().join("hub.db")).unwrap();
    for extra in ["hub.db-wal", "hub.log"] {
        bytes.extend(std::fs::read(dir.path().join(extra)).unwrap_or_default());
    }
    let haystack = String::from_utf8_lossy(&bytes);
    for (name, id, phone) in &people {
        for needle in [name, id.as_str(), phone] {
            assert!(!haystack.contains(needle), "the hub holds {needle}");
        }
    }
    // The log holds requests (method, path, station, status) but no person key and no
    // credential text, which the database does hold.
    let log = hub.log_text();
    assert!(log.contains("request"), "the log was written: {log}");
    let keys = hub.data.query("SELECT person_key FROM applications");
    assert!(!keys.is_empty());
    for key in keys.iter().flatten() {
        assert!(
            haystack.contains(key.as_str()),
            "the scan sees what the database holds"
        );
        assert!(
            !log.contains(key.as_str()),
            "the hub's log names person key {key}"
        );
    }
    assert!(
        !log.contains("NAC1:"),
        "the hub's log holds credential text"
    );
}

#[test]
fn a_station_that_issued_codes_before_enrolling_is_refused_and_keeps_them() {
    let dir = tempfile::TempDir::new().unwrap();
    let clock = ManualClock::at(chrono::DateTime::from_timestamp(T0, 0).unwrap());
    let hub = local_hub_following(dir.path(), &clock);
    let mut station = open_station(&dir.path().join("s.db"), Arc::new(clock));
    let ids = add_residents(&mut station, &[1]);
    station.renew(ids[0], Capacity::Volunteer).unwrap();
    let code = hub.station_code("late");
    let err = station
        .enrol(&mut hub.transport(), &hub.url, &code)
        .unwrap_err();
    assert_eq!(err.code(), "codes_before_enrolment", "{err}");
    assert!(!station.is_enrolled());
    assert_eq!(station.sync_status().unwrap().local, 1);
    // Its queue never sends them.
    assert_eq!(
        station
            .sync(&mut hub.transport(), &mut |_| {})
            .unwrap_err()
            .code(),
        "not_enrolled"
    );
}

/// Two stations renew the same person on the same day while both are offline; whichever
/// syncs second is rejected, adopts the winner's code and lists its printed card to replace.
#[test]
fn two_offline_stations_converge_in_either_order() {
    for a_first in [true, false] {
        let dir = tempfile::TempDir::new().unwrap();
        let clock = ManualClock::at(chrono::DateTime::from_timestamp(T0, 0).unwrap());
        let hub = local_hub_following(dir.path(), &clock);
        let (mut a, ra) = enrolled(&hub, &dir.path().join("a.db"), &clock, &[7, 8]);
        let (mut b, rb) = enrolled(&hub, &dir.path().join("b.db"), &clock, &[7]);
        sync(&mut a, &hub);
        sync(&mut b, &hub);

        let sa = renewed_serial(a.renew(ra[0], Capacity::Volunteer).unwrap());
        a.renew(ra[1], Capacity::Volunteer).unwrap();
        clock.advance_secs(600);
        let sb = renewed_serial(b.renew(rb[0], Capacity::Family).unwrap());
        for (station, serial) in [(&mut a, &sa), (&mut b, &sb)] {
            station
                .record_print(&PrintRequest {
                    layout: "card".into(),
                    destination: "/tmp/cards.pdf".into(),
                    serials: vec![serial.clone()],
                })
                .unwrap();
        }

        let (first, second) = if a_first {
            (&mut a, &mut b)
        } else {
            (&mut b, &mut a)
        };
        let r1 = sync(first, &hub);
        assert_eq!((r1.synced, r1.rejected, r1.exit_code()), (r1.pushed, 0, 0));
        let r2 = sync(second, &hub);
        assert_eq!(r2.rejected, 1, "{r2:?}");
        assert_eq!(r2.exit_code(), 1);
        let (winner, loser) = if a_first { (&sa, &sb) } else { (&sb, &sa) };
        let (loser_station, loser_resident) = if a_first { (&b, rb[0]) } else { (&a, ra[0]) };
        assert_eq!(
            active_serial(loser_station, loser_resident).as_ref(),
            Some(winner)
        );
        let queue = loser_station.queue(true, 100).unwrap();
        let rejected: Vec<_> = queue.iter().filter(|e| e.state == "rejected").collect();
        assert_eq!(rejected.len(), 1);
        assert_eq!(rejected[0].reason.as_deref(), Some("already_applied_today"));
        assert_eq!(rejected[0].serial.as_ref(), Some(loser));
        let cards = loser_station.cards_to_replace().unwrap();
        assert_eq!(cards.len(), 1, "{cards:?}");
        assert_eq!(&cards[0].serial, loser);
        assert_eq!(cards[0].code_state, "rejected");
        assert_eq!(cards[0].current_serial.as_ref(), Some(winner));
        assert_eq!(
            loser_station.rejected_among(&[loser_resident]).unwrap(),
            vec![loser_resident]
        );
        // The same day stays refused at the loser (the winner's code counts, R3).
        let loser_station = if a_first { &mut b } else { &mut a };
        assert!(matches!(
            loser_station
                .renew(loser_resident, Capacity::Volunteer)
                .unwrap(),
            RenewOutcome::AlreadyAppliedToday { .. }
        ));

        // After another round everyone agrees with the hub.
        sync(&mut a, &hub);
        sync(&mut b, &hub);
        assert_eq!(active_serial(&a, ra[0]).as_ref(), Some(winner));
        assert_eq!(active_serial(&b, rb[0]).as_ref(), Some(winner));
        assert_eq!(hub_active(&hub).len(), 2);
        assert_eq!(
            hub_count(
                &hub,
                "SELECT count(*) FROM applications WHERE status = 'accepted'"
            ),
            2
        );
    }
}

#[test]
fn a_phone_renewal_reaches_the_station_and_counts_for_the_day() {
    let dir = tempfile::TempDir::new().unwrap();
    let clock = ManualClock::at(chrono::DateTime::from_timestamp(T0, 0).unwrap());
    let hub = local_hub_following(dir.path(), &clock);
    let (mut station, ids) = enrolled(&hub, &dir.path().join("s.db"), &clock, &[4]);
    let first = renewed_serial(station.renew(ids[0], Capacity::Volunteer).unwrap());
    sync(&mut station, &hub);

    // Next day, the resident renews on the phone.
    clock.advance_secs(DAY);
    let secret = nac_protocol::DistrictSecret::from_hex(
        &raw_connection(&dir.path().join("s.db"))
            .query_row(
                "SELECT value FROM settings WHERE key = 'district_secret'",
                [],
                |r| r.get::<_, String>(0),
            )
            .unwrap(),
    )
    .unwrap();
    let key = nac_protocol::person_key(&secret, "resident_id", &resident_id(4));
    let answer = hub.phone_renew(key.as_str(), T0 + DAY, &Rng::new(4).event_id());
    assert_eq!(answer["result"]["status"], "accepted", "{answer}");
    let phone_serial = answer["result"]["active"]["serial"]
        .as_str()
        .unwrap()
        .to_string();

    let report = sync(&mut station, &hub);
    assert_eq!(report.adopted, 1, "{report:?}");
    assert_eq!(active_serial(&station, ids[0]), Some(phone_serial.clone()));
    let detail = station.resident(ids[0]).unwrap();
    assert_eq!(detail.history.len(), 2);
    assert_eq!(detail.history[0].channel, "phone");
    assert_eq!(detail.history[1].code.serial, first);
    assert_eq!(detail.history[1].code.state, "superseded");
    // The phone's renewal counts for the day here too (R3), and the next day is free again.
    assert!(matches!(
        station.renew(ids[0], Capacity::Volunteer).unwrap(),
        RenewOutcome::AlreadyAppliedToday { .. }
    ));
    clock.advance_secs(DAY);
    renewed_serial(station.renew(ids[0], Capacity::Volunteer).unwrap());
    assert_eq!(sync(&mut station, &hub).synced, 1);

    // The station's first code is void everywhere: verified offline from the cached lists.
    let old = station
        .resident(ids[0])
        .unwrap()
        .history
        .into_iter()
        .find(|h| h.code.serial == first)
        .unwrap();
    let verdict = station.verify(&old.code.credential).verdict;
    assert_eq!(verdict, nac_credential::Verdict::Superseded);
}

/// A transport that "crashes" (panics, so nothing after it runs, as a SIGKILL would) at a
/// chosen point: before a push leaves, after the hub committed a push, or mid-pull.
struct CrashAt {
    inner: HubTransport,
    point: &'static str,
}

impl Transport for CrashAt {
    fn send(&mut self, request: &nac_core::station::HubRequest) -> Result<Vec<u8>, TransportError> {
        let push = request.path_and_query.starts_with("/v1/push");
        let pull = request.path_and_query.starts_with("/v1/pull");
        if self.point == "before_send" && push {
            panic!("crash before the push is sent");
        }
        let answer = self.inner.send(request);
        if (self.point == "after_commit" && push) || (self.point == "mid_pull" && pull) {
            panic!("crash after the hub answered");
        }
        answer
    }
}

#[test]
fn crash_points_resume_without_duplicates_or_gaps() {
    for point in ["before_send", "after_commit", "mid_pull"] {
        let dir = tempfile::TempDir::new().unwrap();
        let clock = ManualClock::at(chrono::DateTime::from_timestamp(T0, 0).unwrap());
        let hub = local_hub_following(dir.path(), &clock);
        let path = dir.path().join("s.db");
        let (mut other, oids) = enrolled(&hub, &dir.path().join("o.db"), &clock, &[1, 2]);
        let (mut station, ids) = enrolled(&hub, &path, &clock, &[1, 2, 3]);
        sync(&mut station, &hub);
        // Another station renews person 1 so the pull has something to bring.
        other.renew(oids[0], Capacity::Volunteer).unwrap();
        other.renew(oids[1], Capacity::Volunteer).unwrap();
        sync(&mut other, &hub);
        clock.advance_secs(DAY);
        for id in &ids {
            station.renew(*id, Capacity::Volunteer).unwrap();
        }
        let crashed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let mut t = CrashAt {
                inner: hub.transport(),
                point,
            };
            let _ = station.sync(&mut t, &mut |_| {});
        }));
        assert!(crashed.is_err(), "{point}: the crash did not happen");
        drop(station);

        let mut station = open_station(&path, Arc::new(clock.clone()));
        let report = sync(&mut station, &hub);
        assert_eq!(report.exit_code(), 0, "{point}: {report:?}");
        let status = station.sync_status().unwrap();
        assert_eq!(
            (status.queued, status.sending, status.error, status.rejected),
            (0, 0, 0, 0),
            "{point}"
        );
        // Exactly the station's 3 applications of day 2 plus the other's 2: no duplicate,
        // no gap.
        assert_eq!(
            hub_count(&hub, "SELECT count(*) FROM applications"),
            5,
            "{point}"
        );
        sync(&mut other, &hub);
        for (i, id) in ids.iter().enumerate().take(2) {
            assert_eq!(
                active_serial(&station, *id),
                active_serial(&other, oids[i]),
                "{point}: stations disagree"
            );
        }
        let integrity: String = station
            .connection()
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .unwrap();
        assert_eq!(integrity, "ok");
    }
}

#[test]
fn sigkill_mid_sync_then_a_plain_sync_converges() {
    let dir = tempfile::TempDir::new().unwrap();
    let clock = ManualClock::at(chrono::DateTime::from_timestamp(T0, 0).unwrap());
    let hub = local_hub_following(dir.path(), &clock);
    let db = dir.path().join("s.db");
    let people: Vec<u32> = (0..1200).collect();
    {
        let (mut station, _) = enrolled(&hub, &db, &clock, &people);
        let batch = station
            .renew_batch(
                nac_core::station::BatchScope::Station,
                nac_core::station::DueSelection::within(7),
                Capacity::Volunteer,
                200,
                &mut |_| std::ops::ControlFlow::Continue(()),
            )
            .unwrap();
        assert_eq!(batch.renewed, 1200);
    }
    for delay_ms in [40u64, 120, 300, 700] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_nac"))
            .env("NAC_PASSPHRASE", "test station passphrase")
            .arg("--db")
            .arg(&db)
            .args(["sync", "--hub", &hub.url])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(delay_ms));
        let _ = child.kill();
        let _ = child.wait();
    }
    let mut station = open_station(&db, Arc::new(clock.clone()));
    let report = sync(&mut station, &hub);
    assert_eq!(report.exit_code(), 0, "{report:?}");
    assert_eq!(station.sync_status().unwrap().synced, 1200);
    assert_eq!(hub_count(&hub, "SELECT count(*) FROM applications"), 1200);
}

#[test]
fn an_unreachable_hub_backs_off_and_a_disabled_station_is_refused() {
    let dir = tempfile::TempDir::new().unwrap();
    let clock = ManualClock::at(chrono::DateTime::from_timestamp(T0, 0).unwrap());
    let mut hub = local_hub_following(dir.path(), &clock);
    let (mut station, ids) = enrolled(&hub, &dir.path().join("s.db"), &clock, &[1]);
    station.renew(ids[0], Capacity::Volunteer).unwrap();
    let url = hub.url.clone();
    hub.kill();
    let mut previous = 0;
    for failure in 1..=3 {
        let mut t = nac_core::HttpTransport::with_clock(&url, Arc::new(hub.time.clone()));
        let report = station.sync(&mut t, &mut |_| {}).unwrap();
        assert_eq!(report.exit_code(), 2);
        let next = report.next_attempt_at.unwrap() - station.now();
        let base = 30 << (failure - 1);
        assert!(
            (base / 2..=base).contains(&next),
            "failure {failure}: {next} s"
        );
        assert!(next >= previous / 2);
        previous = next;
        let queue = station.queue(true, 10).unwrap();
        assert_eq!(queue[0].state, "error");
        assert_eq!(queue[0].reason.as_deref(), Some("unreachable"));
        assert!(queue[0].next_attempt_at.is_some());
    }
    hub.restart();
    let report = sync(&mut station, &hub);
    assert_eq!(report.exit_code(), 0, "{report:?}");
    let status = station.sync_status().unwrap();
    assert_eq!(
        (status.synced, status.error, status.next_sync_at),
        (1, 0, None)
    );

    // Disabled on the hub: a renewal dated after it is refused by the push (its key was
    // withdrawn then) and void here too; the rest of the sync is refused (403).
    let id = station.station_id().to_string();
    hub.admin(&["station", "disable", &id]);
    clock.advance_secs(DAY);
    let before_disable = active_serial(&station, ids[0]);
    let refused_serial = renewed_serial(station.renew(ids[0], Capacity::Volunteer).unwrap());
    let err = station.sync(&mut hub.transport(), &mut |_| {}).unwrap_err();
    assert_eq!(err.code(), "hub_refused", "{err}");
    assert!(err.to_string().contains("station_disabled"), "{err}");
    let status = station.sync_status().unwrap();
    assert_eq!((status.queued, status.rejected), (0, 1));
    let refused = &station.queue(true, 10).unwrap()[0];
    assert_eq!(refused.reason.as_deref(), Some("key_withdrawn"));
    assert_ne!(
        active_serial(&station, ids[0]),
        Some(refused_serial.clone())
    );
    assert_eq!(
        active_serial(&station, ids[0]),
        before_disable,
        "the code the hub refused is void; the one it holds is active again"
    );
    let refused_text: String = station
        .connection()
        .query_row(
            "SELECT credential FROM codes WHERE serial = ?1",
            [&refused_serial],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(
        station.verify(&refused_text).verdict,
        nac_credential::Verdict::Rejected,
        "and valid nowhere"
    );

    // Told it is disabled, the station signs nothing more: no code, no application, no event.
    clock.advance_secs(DAY);
    let codes = |station: &Station| -> i64 {
        station
            .connection()
            .query_row("SELECT count(*) FROM codes", [], |r| r.get(0))
            .unwrap()
    };
    let before = codes(&station);
    let err = station.renew(ids[0], Capacity::Volunteer).unwrap_err();
    assert_eq!(err.code(), "station_disabled", "{err}");
    assert_eq!(codes(&station), before);
    assert_eq!(station.sync_status().unwrap().queued, 0);

    // Enabled again at the hub: the next sync goes through and renewals resume.
    hub.admin(&["station", "enable", &id]);
    assert_eq!(sync(&mut station, &hub).exit_code(), 0);
    station.renew(ids[0], Capacity::Volunteer).unwrap();
}

#[test]
fn the_same_event_id_with_other_content_is_a_conflict_that_changes_nothing() {
    let dir = tempfile::TempDir::new().unwrap();
    let clock = ManualClock::at(chrono::DateTime::from_timestamp(T0, 0).unwrap());
    let hub = local_hub_following(dir.path(), &clock);
    let (mut station, ids) = enrolled(&hub, &dir.path().join("s.db"), &clock, &[5, 6]);
    station.renew(ids[0], Capacity::Volunteer).unwrap();
    station.renew(ids[1], Capacity::Volunteer).unwrap();
    assert_eq!(sync(&mut station, &hub).synced, 2);
    let before = (
        hub_active(&hub),
        hub.data
            .query("SELECT event_id, answer FROM event_records ORDER BY event_id"),
    );
    // The first event's content changes under the same id (a bug, or tampering).
    let conn = raw_connection(&dir.path().join("s.db"));
    let (id, payload): (i64, String) = conn
        .query_row(
            "SELECT id, payload FROM outbox ORDER BY id LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    let changed = payload.replace("\"capacity\":\"volunteer\"", "\"capacity\":\"family\"");
    assert_ne!(changed, payload);
    conn.execute(
        "UPDATE outbox SET payload = ?2, state = 'queued' WHERE id = ?1",
        rusqlite::params![id, changed],
    )
    .unwrap();
    let report = sync(&mut station, &hub);
    assert_eq!((report.failed, report.exit_code()), (1, 1), "{report:?}");
    let problem = station
        .queue(true, 10)
        .unwrap()
        .into_iter()
        .find(|e| e.state == "rejected")
        .unwrap();
    assert_eq!(problem.reason.as_deref(), Some("conflict"));
    assert_eq!(
        problem.next_attempt_at, None,
        "a conflict is not retried automatically"
    );
    assert_eq!(
        station.active_code(ids[0]).unwrap(),
        None,
        "the altered event's code is void here"
    );
    assert_eq!(
        before,
        (
            hub_active(&hub),
            hub.data
                .query("SELECT event_id, answer FROM event_records ORDER BY event_id"),
        )
    );
    // The other event is untouched: one failing event never blocks the rest.
    assert_eq!(station.sync_status().unwrap().synced, 1);
}

/// A station that joins after another issued 4,000 codes for the same residents adopts them
/// all at its first sync (the subscribe answers carry a credential per key: they are paged so
/// each stays under the 1 MiB body cap; one page of 4,000 used to exceed what a station reads).
#[test]
fn a_station_joining_late_adopts_every_code_issued_elsewhere() {
    let dir = tempfile::TempDir::new().unwrap();
    let clock = ManualClock::at(chrono::DateTime::from_timestamp(T0, 0).unwrap());
    let hub = local_hub_following(dir.path(), &clock);
    let people: Vec<u32> = (0..4000).collect();
    let (mut first, _) = enrolled(&hub, &dir.path().join("a.db"), &clock, &people);
    let batch = first
        .renew_batch(
            nac_core::station::BatchScope::Station,
            nac_core::station::DueSelection::within(7),
            Capacity::Volunteer,
            500,
            &mut |_| std::ops::ControlFlow::Continue(()),
        )
        .unwrap();
    assert_eq!(batch.renewed, 4000);
    assert_eq!(sync(&mut first, &hub).synced, 4000);

    let (mut late, ids) = enrolled(&hub, &dir.path().join("b.db"), &clock, &people);
    let mut measured = LargestAnswer {
        inner: hub.transport(),
        largest: 0,
    };
    let report = late.sync(&mut measured, &mut |_| {}).unwrap();
    assert!(report.stopped.is_none(), "{report:?}");
    assert!(
        measured.largest <= nac_protocol::MAX_BODY_BYTES,
        "an answer of {} bytes exceeds the protocol's body cap",
        measured.largest
    );
    assert_eq!((report.subscribed, report.adopted), (4000, 4000));
    for id in ids.iter().step_by(397) {
        assert!(active_serial(&late, *id).is_some());
    }
    // R3 holds here for codes issued elsewhere: the same day is refused locally.
    assert!(matches!(
        late.renew(ids[0], Capacity::Volunteer).unwrap(),
        RenewOutcome::AlreadyAppliedToday { .. }
    ));
}

/// Passes requests through and remembers the largest answer.
struct LargestAnswer {
    inner: HubTransport,
    largest: usize,
}

impl Transport for LargestAnswer {
    fn send(&mut self, request: &nac_core::station::HubRequest) -> Result<Vec<u8>, TransportError> {
        let answer = self.inner.send(request)?;
        self.largest = self.largest.max(answer.len());
        Ok(answer)
    }
}

/// A second connection opened before the enrolment (the desktop app's readers) shows the
/// station's new, hub-assigned number in its sync status, not the provisional one it cached
/// (issue 18, item 6: the app showed the old number until it restarted).
#[test]
fn a_connection_opened_before_enrolment_shows_the_hubs_station_number() {
    let dir = tempfile::TempDir::new().unwrap();
    let clock = ManualClock::at(chrono::DateTime::from_timestamp(T0, 0).unwrap());
    let hub = local_hub_following(dir.path(), &clock);
    let db = dir.path().join("station.db");
    let mut writer = open_station(&db, Arc::new(clock.clone()));
    let reader = open_station(&db, Arc::new(clock.clone()));
    let provisional = reader.station_id().to_string();
    let code = hub.station_code("station");
    writer.enrol(&mut hub.transport(), &hub.url, &code).unwrap();
    let assigned = writer.station_id().to_string();
    assert_ne!(assigned, provisional, "the hub assigns the number");
    assert_eq!(reader.sync_status().unwrap().station_id, assigned);
    assert_eq!(reader.info().unwrap().station_id, assigned);
}
