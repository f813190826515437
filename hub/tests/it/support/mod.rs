//! Test support shared by the hub's tests: sample stations, events and credentials, databases
//! on the test PostgreSQL server (also one over TLS), the real `nac-hub` process, and a raw
//! HTTP client for the robustness tests.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

#[macro_use]
pub mod backends;
pub mod pg;
pub mod pg_tls;
pub mod process;
pub mod raw;
pub mod web;

use nac_credential::{issue, Claims, StationKey, VALIDITY_SECS};
use nac_hub::{Clock, Hub, KeyDir, Policy, Store};
use nac_protocol::auth::enrolment_proof;
use nac_protocol::*;

/// 2026-01-01T10:00:00+08:00.
pub const T0: i64 = 1_767_232_800;
pub const DAY: i64 = 86_400;

/// Sample residents: the hub must never see these (tests scan its files and logs for them).
pub const SEEDED_IDS: [&str; 3] = [
    "11010519491231002X",
    "310101195001011234",
    "440301194505056789",
];
pub const SEEDED_NAMES: [&str; 3] = ["张三丰", "李四光", "王五洲"];
pub const SEEDED_PHONES: [&str; 3] = ["13812345678", "13987654321", "13700001111"];

/// An enrolled station: its id, key and the district secret it opened at enrolment.
#[derive(Clone)]
pub struct TestStation {
    pub id: String,
    pub key: StationKey,
    pub secret: DistrictSecret,
}

/// A hub over `store` with its keys in `dir/keys`, the default policy and a clock at `now`.
pub async fn open_hub<S: Store>(store: S, dir: &std::path::Path, now: i64) -> Hub<S> {
    let keys = KeyDir::open(dir.join("keys")).unwrap();
    Hub::open(store, Clock::starting_at(now), keys, Policy::default())
        .await
        .unwrap()
}

/// Adds and enrols a station on `hub` directly (no HTTP); the station opens the district
/// secret with its code, as a real one does.
pub async fn enrol<S: Store>(hub: &Hub<S>, seed: u8) -> TestStation {
    let (record, code) = hub
        .add_station(&format!("station {seed}"), "test area")
        .await
        .unwrap();
    let key = StationKey::from_secret_bytes(&[seed; 32]);
    let enrolled = hub.enrol(&enrol_request(&key, &code)).await.unwrap();
    assert_eq!(enrolled.station, record.id);
    let secret = open_district_secret(&code, &enrolled.station, &enrolled.sealed_secret).unwrap();
    TestStation {
        id: enrolled.station,
        key,
        secret,
    }
}

pub fn enrol_request(key: &StationKey, code: &str) -> EnrolRequest {
    EnrolRequest {
        v: V1,
        enrolment_code: code.into(),
        station_name: "lobby laptop".into(),
        public_key: key.public_key(),
        kid: key.kid(),
        proof: enrolment_proof(key, code),
    }
}

/// The person key of seeded resident `i` under `secret`.
pub fn person(secret: &DistrictSecret, i: usize) -> PersonKey {
    person_key(secret, "resident_id", SEEDED_IDS[i % 3])
}

/// A synthetic person key (for volume tests).
pub fn nth_person(n: usize) -> PersonKey {
    PersonKey::parse(&format!("{n:064x}")).unwrap()
}

/// A deterministic event id from a number.
pub fn event_id(n: u64) -> String {
    let h = format!("{n:032x}");
    format!(
        "{}-{}-4{}-8{}-{}",
        &h[0..8],
        &h[8..12],
        &h[13..16],
        &h[17..20],
        &h[20..32]
    )
}

/// A station's event for `person`, code `serial` issued at `issued_at`, signed by the station.
pub fn event(
    station: &TestStation,
    n: u64,
    person: &PersonKey,
    serial: &str,
    issued_at: i64,
) -> Event {
    event_signed(station, &station.key, n, person, serial, issued_at)
}

/// [`event`] with the code signed by `key` (a key the station held before or after a rotation).
pub fn event_signed(
    station: &TestStation,
    key: &StationKey,
    n: u64,
    person: &PersonKey,
    serial: &str,
    issued_at: i64,
) -> Event {
    let claims = Claims {
        serial: serial.into(),
        resident_ref: "3f2b9c4e-1d7a-4b8e-9f01-23456789abcd".into(),
        masked_name: "张*丰".into(),
        id_last4: "002X".into(),
        issued_at,
        expires_at: issued_at + VALIDITY_SECS,
        station_id: station.id.clone(),
    };
    let credential = issue(&claims, key).unwrap();
    Event {
        event_id: event_id(n),
        person_key: person.clone(),
        capacity: Capacity::Volunteer,
        channel: Channel::Station(station.id.clone()),
        volunteer: Some(format!("{}/v-1", station.id)),
        code: Code {
            serial: serial.into(),
            issued_at,
            expires_at: issued_at + VALIDITY_SECS,
            kid: key.kid(),
            sealed: Some(
                seal_credential(&station.secret, &key.kid(), serial, &credential).unwrap(),
            ),
            credential,
        },
        supersedes: None,
    }
}

/// Checks events as the HTTP layer would and pushes them.
pub async fn push<S: Store>(
    hub: &Hub<S>,
    station: &TestStation,
    events: &[Event],
    now: i64,
) -> Vec<EventAnswer> {
    push_raw(hub, station, events, now)
        .await
        .iter()
        .map(|a| serde_json::from_str(a).unwrap())
        .collect()
}

/// Raw answers (JSON text) of a push.
pub async fn push_raw<S: Store>(
    hub: &Hub<S>,
    station: &TestStation,
    events: &[Event],
    now: i64,
) -> Vec<String> {
    push_resent(hub, station, events, None, now).await
}

/// Raw answers of a push re-sent after a restore, from `epoch` (as a station does).
pub async fn push_resent<S: Store>(
    hub: &Hub<S>,
    station: &TestStation,
    events: &[Event],
    epoch: Option<&str>,
    now: i64,
) -> Vec<String> {
    let principal = hub.store.principal(&station.id).await.unwrap().unwrap();
    let principal = hub.signer_for(&principal, events).await.unwrap();
    let (order, resent) = hub.push_order(epoch).await.unwrap();
    let checked = events
        .iter()
        .map(|e| hub.check_station_event(&principal, e.clone(), resent, now))
        .collect();
    hub.store
        .push(&station.id, checked, order, now)
        .await
        .unwrap()
}
