//! Signing-key rotation and audit anchors against the real `nac-hub` on 127.0.0.1: the hub
//! certifies the new key, cards signed with the old one stay valid everywhere, a lost rotation
//! answer is finished by the next sync without refusing a code, and a consistently rewritten
//! audit log is caught by the heads the hub holds.
#![allow(
    clippy::disallowed_methods,
    reason = "these tests drive real processes and hubs that read the system clock"
)]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use common::*;
use nac_core::domain::Capacity;
use nac_core::station::{HubRequest, RenewOutcome};
use nac_core::{Clock, ManualClock, Station, Transport, TransportError};
use nac_credential::Verdict;
use std::process::Command;
use std::sync::Arc;

/// Renews `resident`; returns the code's serial and credential text.
fn renew(station: &mut Station, resident: i64) -> (String, String) {
    match station.renew(resident, Capacity::Volunteer).unwrap() {
        RenewOutcome::Renewed(r) => (r.code.serial, r.code.credential),
        other => panic!("expected a renewal, got {other:?}"),
    }
}

fn key_states(station: &Station) -> Vec<(String, String)> {
    station
        .signing_keys()
        .unwrap()
        .into_iter()
        .map(|k| (k.kid, k.state))
        .collect()
}

/// Loses the hub's answer to the first key rotation (the hub has committed it).
struct LoseRotationAnswer<T> {
    inner: T,
    lost: bool,
}

impl<T: Transport> Transport for LoseRotationAnswer<T> {
    fn send(&mut self, request: &HubRequest) -> Result<Vec<u8>, TransportError> {
        let answer = self.inner.send(request);
        if !self.lost && request.path_and_query == nac_protocol::PATH_ROTATE_KEY {
            self.lost = true;
            answer?;
            return Err(TransportError::Unreachable(
                "answer lost (simulated)".into(),
            ));
        }
        answer
    }
}

#[test]
fn the_hub_certifies_a_rotated_key_and_cards_signed_before_stay_valid_everywhere() {
    let dir = tempfile::TempDir::new().unwrap();
    let clock = ManualClock::at(chrono::Utc::now());
    let hub = local_hub_following(dir.path(), &clock);
    let a_path = dir.path().join("a.db");
    let (mut a, ids) = enrolled(&hub, &a_path, &clock, &[1, 2]);
    let (mut b, _) = enrolled(&hub, &dir.path().join("b.db"), &clock, &[3]);
    let (_, before) = renew(&mut a, ids[0]);
    let old_kid = a.info().unwrap().kid;
    let old_seed = stolen_key(&a_path);
    drop(a);

    let out = nac(&a_path, &["--json", "key", "rotate"]);
    assert!(out.status.success(), "{}", output_text(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let new_kid = json["rotation"]["kid"].as_str().unwrap().to_string();
    assert_eq!(json["rotation"]["replaced_kid"], old_kid.as_str());
    assert_eq!(json["rotation"]["certified_by_hub"], true);
    assert_ne!(new_kid, old_kid);
    let listed = output_text(&nac(&a_path, &["key", "list"]));
    assert!(
        listed.contains(new_kid.as_str()) && listed.contains("active"),
        "{listed}"
    );
    assert!(listed.contains("retired (verification only)"), "{listed}");
    assert_eq!(
        hub.data
            .query("SELECT kid FROM principals WHERE kind = 'station' ORDER BY pos")[0][0],
        new_kid,
        "the hub verifies this station's requests with the new key"
    );

    // The app (or any open connection) signs with the new key at once.
    clock.advance_secs(60);
    let mut a = open_station(&a_path, Arc::new(clock.clone()));
    assert_eq!(
        key_states(&a),
        vec![
            (new_kid.clone(), "active".into()),
            (old_kid.clone(), "retired".into())
        ]
    );
    let (_, after) = renew(&mut a, ids[1]);
    assert_eq!(a.info().unwrap().kid, new_kid);

    // The renewal made before the rotation, pushed after it, is accepted; so is the new one.
    let report = a.sync(&mut hub.transport(), &mut |_| {}).unwrap();
    assert_eq!(
        (report.synced, report.rejected, report.failed),
        (2, 0, 0),
        "{report:?}"
    );
    let kids = hub
        .data
        .query("SELECT kid FROM applications ORDER BY issued_at, serial");
    assert_eq!(kids, vec![vec![old_kid.clone()], vec![new_kid.clone()]]);
    assert_eq!(
        hub.data
            .query("SELECT count(*) FROM retired_keys WHERE retired_at IS NOT NULL")[0][0],
        "1",
        "the first request signed with the new key retired the old one"
    );

    // Both cards verify here and at another station once it has the hub's trust list.
    b.sync(&mut hub.transport(), &mut |_| {}).unwrap();
    for card in [&before, &after] {
        assert_eq!(a.verify(card).verdict, Verdict::Valid);
        assert_eq!(b.verify(card).verdict, Verdict::Valid);
    }
    let audit = a.audit_log(20).unwrap();
    assert!(
        audit
            .iter()
            .any(|e| e.action == "key.rotate" && e.subject.contains(&new_kid)),
        "the rotation is audited"
    );

    // Issue 16 §1: the retired seed is erased, and a copy taken before the rotation mints
    // nothing that verifies once dated after the retirement — here or at another station.
    assert_eq!(erased_secret(&a, &old_kid), Some(true));
    clock.advance_secs(3600);
    let now = clock.now().timestamp();
    let forged = minted(&old_seed, a.station_id(), "RETIRED01", now);
    assert_eq!(a.verify(&forged).verdict, Verdict::KeyWithdrawn);
    b.sync(&mut hub.transport(), &mut |_| {}).unwrap();
    assert_eq!(b.verify(&forged).verdict, Verdict::KeyWithdrawn);
    let out = nac(&a_path, &["verify", &forged]);
    assert_ne!(out.status.code(), Some(0), "{}", output_text(&out));
}

/// Whether the signing key `kid` has had its secret erased (`None`: no such key).
fn erased_secret(station: &Station, kid: &str) -> Option<bool> {
    use rusqlite::OptionalExtension as _;
    station
        .connection()
        .query_row(
            "SELECT secret IS NULL FROM station_keys WHERE kid = ?1",
            [kid],
            |r| r.get(0),
        )
        .optional()
        .unwrap()
}

#[test]
fn a_lost_rotation_answer_is_finished_by_the_next_sync_and_refuses_no_code() {
    let dir = tempfile::TempDir::new().unwrap();
    let clock = ManualClock::at(chrono::Utc::now());
    let hub = local_hub_following(dir.path(), &clock);
    let (mut a, ids) = enrolled(&hub, &dir.path().join("a.db"), &clock, &[1, 2]);
    let old_kid = a.info().unwrap().kid;

    let mut lossy = LoseRotationAnswer {
        inner: hub.transport(),
        lost: false,
    };
    let err = a.rotate_key(Some(&mut lossy)).unwrap_err();
    assert_eq!(err.code(), "hub_unreachable", "{err}");
    let states = key_states(&a);
    let pending = states
        .iter()
        .find(|(_, s)| s == "pending")
        .expect("the new key waits for the hub's answer")
        .0
        .clone();
    assert!(states.contains(&(old_kid.clone(), "active".into())));
    assert_eq!(
        hub.data
            .query("SELECT kid FROM principals WHERE kind = 'station'")[0][0],
        pending,
        "the hub committed the rotation before its answer was lost"
    );

    // Meanwhile the old key still signs, and the hub still takes it.
    let (serial, _) = renew(&mut a, ids[0]);
    let report = a.sync(&mut hub.transport(), &mut |_| {}).unwrap();
    assert_eq!(report.key_rotated.as_deref(), Some(pending.as_str()));
    assert_eq!((report.synced, report.failed), (1, 0), "{report:?}");
    assert_eq!(
        hub.data.query(&format!(
            "SELECT kid FROM applications WHERE serial = '{serial}'"
        ))[0][0],
        old_kid
    );
    assert_eq!(
        key_states(&a),
        vec![
            (pending.clone(), "active".into()),
            (old_kid.clone(), "retired".into())
        ]
    );
    renew(&mut a, ids[1]);
    let report = a.sync(&mut hub.transport(), &mut |_| {}).unwrap();
    assert_eq!((report.synced, report.failed), (1, 0), "{report:?}");
    assert_eq!(report.key_rotated, None);
}

#[test]
fn a_station_that_is_not_enrolled_rotates_alone_and_volunteers_cannot() {
    let dir = tempfile::TempDir::new().unwrap();
    let db = dir.path().join("s.db");
    let clock = ManualClock::at(chrono::Utc::now());
    let mut s = open_station(&db, Arc::new(clock.clone()));
    let ids = add_residents(&mut s, &[1]);
    let (_, card) = renew(&mut s, ids[0]);
    s.add_account("小李", nac_core::station::Role::Volunteer, "246810")
        .unwrap();
    drop(s);
    let refused = Command::new(env!("CARGO_BIN_EXE_nac"))
        .env("NAC_PASSPHRASE", PASSPHRASE)
        .env("NAC_PIN", "246810")
        .args(["--db", db.to_str().unwrap(), "--lang", "en", "--as", "小李"])
        .args(["key", "rotate"])
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(2), "{}", output_text(&refused));
    assert!(
        output_text(&refused).contains("administrator"),
        "{}",
        output_text(&refused)
    );
    assert_eq!(
        key_states(&open_station(&db, Arc::new(clock.clone()))).len(),
        1
    );

    let old_seed = stolen_key(&db);
    let out = nac(&db, &["--json", "key", "rotate"]);
    assert!(out.status.success(), "{}", output_text(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["rotation"]["certified_by_hub"], false);
    let old_kid = json["rotation"]["replaced_kid"]
        .as_str()
        .unwrap()
        .to_string();
    clock.advance_secs(60);
    let s = open_station(&db, Arc::new(clock.clone()));
    assert_eq!(
        s.verify(&card).verdict,
        Verdict::Valid,
        "the old key still verifies"
    );
    // No hub to certify the successor: the old key is retired and its seed erased at once.
    assert_eq!(erased_secret(&s, &old_kid), Some(true));
    let forged = minted(
        &old_seed,
        s.station_id(),
        "RETIRED02",
        clock.now().timestamp(),
    );
    assert_eq!(s.verify(&forged).verdict, Verdict::KeyWithdrawn);
}

#[test]
fn a_consistently_rewritten_audit_log_is_caught_by_the_heads_the_hub_holds() {
    let dir = tempfile::TempDir::new().unwrap();
    let clock = ManualClock::at(chrono::Utc::now());
    let hub = local_hub_following(dir.path(), &clock);
    let path = dir.path().join("a.db");
    let (mut a, ids) = enrolled(&hub, &path, &clock, &[1, 2]);
    renew(&mut a, ids[0]);
    let report = a.sync(&mut hub.transport(), &mut |_| {}).unwrap();
    let anchored = report.audit_anchored.expect("the sync sent the audit head");
    assert_eq!(a.sync_status().unwrap().audit_anchored_seq, Some(anchored));
    let again = a.sync(&mut hub.transport(), &mut |_| {}).unwrap();
    assert_eq!(
        again.audit_anchored, None,
        "an unchanged head is not sent again"
    );
    drop(a);

    let ok = nac(&path, &["audit", "verify"]);
    assert!(ok.status.success(), "{}", output_text(&ok));
    assert!(
        output_text(&ok).contains(&format!(
            "matches the heads the hub holds, up to row {anchored}"
        )),
        "{}",
        output_text(&ok)
    );

    // Someone with the passphrase edits row 2 and recomputes every hash after it: the chain
    // alone is consistent again, the hub's head is not in it.
    let conn = raw_connection(&path);
    conn.execute_batch(
        "DROP TRIGGER IF EXISTS audit_log_no_update; DROP TRIGGER IF EXISTS audit_log_no_delete;",
    )
    .unwrap();
    conn.execute(
        "UPDATE audit_log SET subject = 'nothing happened' WHERE id = 2",
        [],
    )
    .unwrap();
    let rows: Vec<(i64, i64, String, Option<i64>, String, String)> = conn
        .prepare("SELECT id, at, source, volunteer_id, action, subject FROM audit_log ORDER BY id")
        .unwrap()
        .query_map([], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
            ))
        })
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let mut prev = nac_core::audit::GENESIS.to_string();
    for (id, at, source, volunteer_id, action, subject) in &rows {
        let hash = nac_core::audit::row_hash(
            &prev,
            &nac_core::audit::Entry {
                id: *id,
                at: *at,
                source,
                volunteer_id: *volunteer_id,
                action,
                subject,
            },
        );
        conn.execute(
            "UPDATE audit_log SET prev_hash = ?1, hash = ?2 WHERE id = ?3",
            rusqlite::params![prev, hash, id],
        )
        .unwrap();
        prev = hash;
    }
    conn.execute("UPDATE audit_head SET hash = ?1", [&prev])
        .unwrap();
    drop(conn);

    let local = nac(&path, &["audit", "verify", "--local"]);
    assert!(
        local.status.success(),
        "the rewritten chain is consistent on its own: {}",
        output_text(&local)
    );
    let caught = nac(&path, &["audit", "verify"]);
    assert_eq!(caught.status.code(), Some(1), "{}", output_text(&caught));
    assert!(
        output_text(&caught).contains(&format!(
            "audit row {anchored} differs from the hash the hub kept"
        )),
        "{}",
        output_text(&caught)
    );
}
