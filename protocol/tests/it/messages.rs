//! Round trips, the version marker, unknown-field refusal and event validation.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use common::*;
use nac_credential::Revocation;
use nac_protocol::*;
use serde::{de::DeserializeOwned, Serialize};

fn round_trip<T: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug>(value: &T) {
    let json = serde_json::to_string(value).unwrap();
    let back: T = serde_json::from_str(&json).unwrap();
    assert_eq!(&back, value, "{json}");
    assert_eq!(serde_json::to_string(&back).unwrap(), json, "stable bytes");
}

fn issued(serial: &str) -> IssuedCode {
    let e = event("3f2b9c4e-1d7a-4b8e-9f01-23456789abcd", serial, ISSUED_AT);
    IssuedCode {
        person_key: e.person_key,
        channel: e.channel,
        serial: e.code.serial,
        issued_at: e.code.issued_at,
        expires_at: e.code.expires_at,
        kid: e.code.kid,
        credential: e.code.credential,
    }
}

#[test]
fn every_message_round_trips() {
    let e = event(
        "3f2b9c4e-1d7a-4b8e-9f01-23456789abcd",
        "7K3QD9XAZM",
        ISSUED_AT,
    );
    round_trip(&e);
    round_trip(&PushRequest {
        v: V1,
        station: STATION.into(),
        events: vec![e.clone()],
        resent_from_epoch: None,
    });
    round_trip(&PushRequest {
        v: V1,
        station: STATION.into(),
        events: vec![e.clone()],
        resent_from_epoch: Some("5f3a9c0e1b2d4a68".into()),
    });
    let accepted = EventAnswer {
        active: Some(issued("7K3QD9XAZM")),
        ..EventAnswer::new(&e.event_id, Outcome::Accepted)
    };
    let stored = serde_json::to_string(&accepted).unwrap();
    let duplicate = EventAnswer {
        original: Some(StoredAnswer::from_json(stored.clone()).unwrap()),
        ..EventAnswer::new(&e.event_id, Outcome::Duplicate)
    };
    let rejected = EventAnswer {
        reason: Some(RejectReason::AlreadyAppliedToday),
        message: Some("already applied today".into()),
        active: Some(issued("OTHER")),
        ..EventAnswer::new(&e.event_id, Outcome::Rejected)
    };
    round_trip(&PushResponse {
        v: V1,
        results: vec![accepted.clone(), duplicate.clone(), rejected],
    });
    assert_eq!(duplicate.original_answer(), Some(accepted));
    // The stored answer is embedded verbatim.
    let dup_json = serde_json::to_string(&duplicate).unwrap();
    assert!(
        dup_json.contains(&format!("\"original\":{stored}")),
        "{dup_json}"
    );

    round_trip(&SubscribeRequest {
        v: V1,
        station: STATION.into(),
        person_keys: vec![e.person_key.clone()],
    });
    round_trip(&SubscribeResponse {
        v: V1,
        added: 1,
        active: vec![issued("7K3QD9XAZM")],
    });
    round_trip(&PullResponse {
        v: V1,
        changes: vec![
            Change {
                kind: ChangeKind::Issued,
                person_key: e.person_key.clone(),
                serial: "7K3QD9XAZM".into(),
                kid: station_key().kid(),
                code: Some(issued("7K3QD9XAZM")),
                by: None,
                by_kid: None,
                reason: None,
            },
            Change {
                kind: ChangeKind::Superseded,
                person_key: e.person_key.clone(),
                serial: "OLD".into(),
                kid: station_key().kid(),
                code: None,
                by: Some("7K3QD9XAZM".into()),
                by_kid: Some(station_key().kid()),
                reason: None,
            },
        ],
        next: "2".into(),
        more: false,
        held: 3,
    });
    let entry = TrustEntry {
        kid: station_key().kid(),
        station: STATION.into(),
        public_key: station_key().public_key(),
        status: IssuerStatus::Active,
        not_after: None,
    };
    round_trip(&TrustEntry {
        status: IssuerStatus::Retired,
        not_after: Some(ISSUED_AT),
        ..entry.clone()
    });
    round_trip(&TrustListResponse {
        v: V1,
        generated_at: ISSUED_AT,
        issuers: vec![entry.clone()],
        next: "1".into(),
        more: false,
    });
    round_trip(&RevocationsResponse {
        v: V1,
        generated_at: ISSUED_AT,
        revocations: vec![RevokedSerial {
            serial: "OLD".into(),
            kid: station_key().kid(),
            status: Revocation::Superseded,
        }],
        next: "9".into(),
        more: true,
    });
    round_trip(&EnrolRequest {
        v: V1,
        enrolment_code: "ABCD-EFGH".into(),
        station_name: "lobby laptop".into(),
        public_key: station_key().public_key(),
        kid: station_key().kid(),
        proof: auth::enrolment_proof(&station_key(), "ABCD-EFGH"),
    });
    round_trip(&EnrolResponse {
        v: V1,
        station: STATION.into(),
        district_secret_sealed: seal_district_secret("ABCD-EFGH", STATION, &district_secret())
            .unwrap(),
        issuers: vec![entry],
    });
    round_trip(&PhoneRenewRequest {
        v: V1,
        event_id: e.event_id.clone(),
        person_key: e.person_key.clone(),
        capacity: Capacity::Family,
        issued_at: ISSUED_AT,
    });
    round_trip(&ErrorBody {
        v: V1,
        error: "bad_request".into(),
        message: "x".into(),
    });
    round_trip(&PageQuery {
        since: Some("5".into()),
        limit: Some(10),
    });
}

#[test]
fn version_must_be_one() {
    let ok = r#"{"v":1,"error":"e","message":"m"}"#;
    assert!(serde_json::from_str::<ErrorBody>(ok).is_ok());
    for bad in [
        r#"{"v":2,"error":"e","message":"m"}"#,
        r#"{"v":0,"error":"e","message":"m"}"#,
        r#"{"v":"1","error":"e","message":"m"}"#,
        r#"{"error":"e","message":"m"}"#,
        r#"{"v":1,"error":"e","message":"m","extra":true}"#,
    ] {
        assert!(serde_json::from_str::<ErrorBody>(bad).is_err(), "{bad}");
    }
    assert_eq!(serde_json::to_string(&V1).unwrap(), "1");
}

#[test]
fn event_serialises_in_documented_field_order() {
    let e = event(
        "3f2b9c4e-1d7a-4b8e-9f01-23456789abcd",
        "7K3QD9XAZM",
        ISSUED_AT,
    );
    let json = serde_json::to_string(&e).unwrap();
    let order = [
        "event_id",
        "person_key",
        "capacity",
        "channel",
        "volunteer",
        "code",
        "supersedes",
    ];
    let positions: Vec<usize> = order
        .iter()
        .map(|k| json.find(&format!("\"{k}\":")).unwrap())
        .collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{json}");
    assert!(json.contains("\"capacity\":\"volunteer\""));
    assert!(json.contains("\"supersedes\":null"));
}

#[test]
fn valid_event_validates() {
    let e = event(
        "3f2b9c4e-1d7a-4b8e-9f01-23456789abcd",
        "7K3QD9XAZM",
        ISSUED_AT,
    );
    assert_eq!(e.validate(), Ok(()));
    let mut phone = e.clone();
    phone.channel = Channel::Phone;
    phone.volunteer = None;
    phone.capacity = Capacity::Own;
    phone.code.sealed = None;
    assert_eq!(phone.validate(), Ok(()));
}

/// A change that makes a good event invalid.
type Mutation = Box<dyn Fn(&mut Event)>;

#[test]
fn invalid_events_are_refused() {
    let good = event(
        "3f2b9c4e-1d7a-4b8e-9f01-23456789abcd",
        "7K3QD9XAZM",
        ISSUED_AT,
    );
    let cases: Vec<(&str, Mutation)> = vec![
        (
            "uppercase id",
            Box::new(|e| e.event_id = e.event_id.to_uppercase()),
        ),
        ("empty id", Box::new(|e| e.event_id.clear())),
        (
            "bad station",
            Box::new(|e| e.channel = Channel::Station("ST 1".into())),
        ),
        ("no volunteer", Box::new(|e| e.volunteer = None)),
        (
            "volunteer with space",
            Box::new(|e| e.volunteer = Some("Zhang San".into())),
        ),
        (
            "long volunteer",
            Box::new(|e| e.volunteer = Some("v".repeat(65))),
        ),
        (
            "phone with volunteer",
            Box::new(|e| e.channel = Channel::Phone),
        ),
        (
            "phone as volunteer",
            Box::new(|e| {
                e.channel = Channel::Phone;
                e.volunteer = None;
                e.code.sealed = None;
            }),
        ),
        (
            "phone with a sealed credential",
            Box::new(|e| {
                e.channel = Channel::Phone;
                e.volunteer = None;
                e.capacity = Capacity::Own;
            }),
        ),
        (
            "another station's volunteer",
            Box::new(|e| e.volunteer = Some("ST-8XW3MN/v-01".into())),
        ),
        (
            "a bare volunteer id",
            Box::new(|e| e.volunteer = Some("v-01".into())),
        ),
        ("station without a seal", Box::new(|e| e.code.sealed = None)),
        (
            "seal that is no seal",
            Box::new(|e| e.code.sealed = Some("NACS1:short".into())),
        ),
        ("empty serial", Box::new(|e| e.code.serial.clear())),
        ("window", Box::new(|e| e.code.expires_at += 1)),
        (
            "negative time",
            Box::new(|e| {
                e.code.issued_at = -10;
                e.code.expires_at = -10 + nac_credential::VALIDITY_SECS;
            }),
        ),
        ("overflow", Box::new(|e| e.code.issued_at = i64::MAX)),
        (
            "not a credential",
            Box::new(|e| e.code.credential = "hello".into()),
        ),
        (
            "huge credential",
            Box::new(|e| e.code.credential = format!("NAC1:{}", "A".repeat(7000))),
        ),
        (
            "supersedes itself",
            Box::new(|e| e.supersedes = Some(e.code.serial.clone())),
        ),
        (
            "supersedes blank",
            Box::new(|e| e.supersedes = Some(String::new())),
        ),
    ];
    for (name, mutate) in cases {
        let mut e = good.clone();
        mutate(&mut e);
        assert!(e.validate().is_err(), "{name} should be refused");
    }
}

#[test]
fn wire_names() {
    assert_eq!(serde_json::to_string(&Capacity::Own).unwrap(), "\"self\"");
    assert_eq!(Capacity::parse("family"), Some(Capacity::Family));
    assert_eq!(Capacity::parse("Self"), None);
    for r in [
        RejectReason::AlreadyAppliedToday,
        RejectReason::InvalidEvent,
        RejectReason::InvalidCredential,
        RejectReason::SerialInUse,
        RejectReason::IssuedInFuture,
    ] {
        assert_eq!(
            serde_json::to_string(&r).unwrap(),
            format!("\"{}\"", r.as_str())
        );
        assert_eq!(RejectReason::parse(r.as_str()), Some(r));
    }
    assert_eq!(serde_json::to_string(&Channel::Phone).unwrap(), "\"phone\"");
    assert_eq!(Channel::from_wire("ST-1"), Channel::Station("ST-1".into()));
    assert_eq!(
        PageQuery {
            since: Some("7".into()),
            limit: Some(3)
        }
        .to_query_string(),
        "since=7&limit=3"
    );
    assert_eq!(PageQuery::default().to_query_string(), "");
}

#[test]
fn person_key_of_the_sample_resident() {
    // The same vector as docs/sync.md §"Person key".
    let key = person_key(&district_secret(), "resident_id", "11010519491231002X");
    assert_eq!(
        key.as_str(),
        "f181c6ae51717d38c4ef10716c75110632dbe05c57d2a6372569b186bed3e8da"
    );
    assert_eq!(
        DistrictSecret::from_hex(SECRET_HEX).unwrap(),
        district_secret()
    );
}

#[test]
fn an_audit_anchor_has_a_row_number_and_a_lowercase_chain_hash() {
    let anchor = |seq: i64, hash: &str| AuditAnchorRequest {
        v: V1,
        station: "ST-4KQ2PZ".into(),
        seq,
        hash: hash.into(),
    };
    assert!(anchor(1, &"ab".repeat(32)).validate().is_ok());
    assert!(
        anchor(0, &"ab".repeat(32)).validate().is_err(),
        "rows start at 1"
    );
    assert!(
        anchor(5, &"AB".repeat(32)).validate().is_err(),
        "lowercase only"
    );
    assert!(anchor(5, &"ab".repeat(31)).validate().is_err(), "64 digits");
}
