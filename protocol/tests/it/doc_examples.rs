//! docs/sync.md's examples are checked here, so the document cannot drift from the code.
//!
//! Every fenced block tagged ```` ```json <Type> ```` in docs/sync.md must decode as `<Type>`,
//! re-encode (pretty, 2 spaces) to exactly the text in the document, and make sense: events
//! validate, credentials verify under the example keys, the signature example verifies. A
//! `json` block without a type, or a type this test does not know, fails the test.
//!
//! `cargo test -p nac-protocol --test it -- --ignored --nocapture doc_examples::print_examples`
//! prints the examples as they are built here (how they were made for the document).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use common::*;
use nac_credential::{issue, Claims, Revocation, StationKey, TrustList, Verdict, VALIDITY_SECS};
use nac_protocol::*;
use serde::{de::DeserializeOwned, Serialize};

const DOC: &str = include_str!("../../../docs/sync.md");

/// The hub's phone issuing key in the examples.
fn phone_key() -> StationKey {
    StationKey::from_secret_bytes(&[0x42; 32])
}

const OTHER_STATION: &str = "ST-8XW3MN";

/// The example station's key after a rotation.
fn rotated_key() -> StationKey {
    StationKey::from_secret_bytes(&[0x5a; 32])
}
fn other_key() -> StationKey {
    StationKey::from_secret_bytes(&[0x07; 32])
}

fn phone_code() -> IssuedCode {
    let issued_at = ISSUED_AT + 86_400 + 1800;
    let claims = Claims {
        serial: "PQ4M7X2K9A".into(),
        resident_ref: "b1c2d3e4-f5a6-4b7c-8d9e-0f1a2b3c4d5e".into(),
        masked_name: "*".into(),
        id_last4: String::new(),
        issued_at,
        expires_at: issued_at + VALIDITY_SECS,
        station_id: PHONE_CHANNEL.into(),
    };
    IssuedCode {
        person_key: sample_person(),
        channel: Channel::Phone,
        serial: claims.serial.clone(),
        issued_at,
        expires_at: claims.expires_at,
        kid: phone_key().kid(),
        credential: issue(&claims, &phone_key()).unwrap(),
    }
}

fn sample_person() -> PersonKey {
    person_key(&district_secret(), "resident_id", "11010519491231002X")
}

fn first_event() -> Event {
    event(
        "3f2b9c4e-1d7a-4b8e-9f01-23456789abcd",
        "7K3QD9XAZM",
        ISSUED_AT,
    )
}

fn same_day_event() -> Event {
    let mut e = event(
        "9a7c1e55-0b2d-4f3e-8a61-7d5c4b3a2f10",
        "9ZQ4M1T6KE",
        ISSUED_AT + 3600,
    );
    e.supersedes = Some("7K3QD9XAZM".into());
    e
}

/// The code as the hub hands it on: a station's credential sealed.
fn issued(e: &Event) -> IssuedCode {
    IssuedCode {
        person_key: e.person_key.clone(),
        channel: e.channel.clone(),
        serial: e.code.serial.clone(),
        issued_at: e.code.issued_at,
        expires_at: e.code.expires_at,
        kid: e.code.kid,
        credential: e
            .code
            .sealed
            .clone()
            .unwrap_or_else(|| e.code.credential.clone()),
    }
}

/// The district secret sealed under the example's enrolment code (a reproducible nonce).
fn sealed_secret() -> String {
    seal_district_secret_with_nonce("K7Q2-9XMA-4HTB-E3WR", STATION, &district_secret(), [7; 24])
        .unwrap()
}

fn trust_entries() -> Vec<TrustEntry> {
    vec![
        TrustEntry {
            kid: phone_key().kid(),
            station: PHONE_CHANNEL.into(),
            public_key: phone_key().public_key(),
            status: IssuerStatus::Active,
            not_after: None,
        },
        TrustEntry {
            kid: station_key().kid(),
            station: STATION.into(),
            public_key: station_key().public_key(),
            status: IssuerStatus::Active,
            not_after: None,
        },
        TrustEntry {
            kid: other_key().kid(),
            station: OTHER_STATION.into(),
            public_key: other_key().public_key(),
            status: IssuerStatus::Disabled,
            not_after: Some(ISSUED_AT + 86_400),
        },
    ]
}

fn accepted_answer() -> EventAnswer {
    EventAnswer {
        active: Some(issued(&first_event())),
        ..EventAnswer::new(first_event().event_id, Outcome::Accepted)
    }
}

/// Every example, by the type name used in the document, in document order.
fn examples() -> Vec<(&'static str, String)> {
    fn pretty<T: Serialize>(v: &T) -> String {
        serde_json::to_string_pretty(v).unwrap()
    }
    let stored = serde_json::to_string(&accepted_answer()).unwrap();
    vec![
        ("EnrolRequest", pretty(&EnrolRequest {
            v: V1,
            enrolment_code: "K7Q2-9XMA-4HTB-E3WR".into(),
            station_name: "Lane 1200 lobby laptop".into(),
            public_key: station_key().public_key(),
            kid: station_key().kid(),
            proof: auth::enrolment_proof(&station_key(), "K7Q2-9XMA-4HTB-E3WR"),
        })),
        ("EnrolResponse", pretty(&EnrolResponse {
            v: V1,
            station: STATION.into(),
            district_secret_sealed: sealed_secret(),
            issuers: trust_entries()[..2].to_vec(),
        })),
        ("PushRequest", pretty(&PushRequest { v: V1, station: STATION.into(), events: vec![first_event(), same_day_event()], resent_from_epoch: None })),
        ("PushResponse", pretty(&PushResponse {
            v: V1,
            results: vec![
                accepted_answer(),
                EventAnswer {
                    reason: Some(RejectReason::AlreadyAppliedToday),
                    message: Some("already applied today (当日已完成申领): one application per person per day; the active code is attached".into()),
                    active: Some(issued(&first_event())),
                    ..EventAnswer::new(same_day_event().event_id, Outcome::Rejected)
                },
            ],
        })),
        ("PushResponse", pretty(&PushResponse {
            v: V1,
            results: vec![
                EventAnswer { original: Some(StoredAnswer::from_json(stored).unwrap()), ..EventAnswer::new(first_event().event_id, Outcome::Duplicate) },
                EventAnswer {
                    message: Some("this event id was already used with different content; nothing changed".into()),
                    ..EventAnswer::new(same_day_event().event_id, Outcome::Conflict)
                },
            ],
        })),
        ("SubscribeRequest", pretty(&SubscribeRequest { v: V1, station: STATION.into(), person_keys: vec![sample_person()] })),
        ("SubscribeResponse", pretty(&SubscribeResponse { v: V1, added: 1, active: vec![issued(&first_event())] })),
        ("PullResponse", pretty(&PullResponse {
            v: V1,
            changes: vec![
                Change { kind: ChangeKind::Issued, person_key: sample_person(), serial: "PQ4M7X2K9A".into(), kid: phone_key().kid(), code: Some(phone_code()), by: None, by_kid: None, reason: None },
                Change { kind: ChangeKind::Superseded, person_key: sample_person(), serial: "7K3QD9XAZM".into(), kid: station_key().kid(), code: None, by: Some("PQ4M7X2K9A".into()), by_kid: Some(phone_key().kid()), reason: None },
            ],
            next: "1842".into(),
            more: false,
            held: 1,
        })),
        ("TrustListResponse", pretty(&TrustListResponse { v: V1, generated_at: ISSUED_AT + 2 * 86_400, issuers: trust_entries(), next: "3".into(), more: false })),
        ("RevocationsResponse", pretty(&RevocationsResponse {
            v: V1,
            generated_at: ISSUED_AT + 2 * 86_400,
            revocations: vec![
                RevokedSerial { serial: "9ZQ4M1T6KE".into(), kid: station_key().kid(), status: Revocation::Rejected },
                RevokedSerial { serial: "7K3QD9XAZM".into(), kid: station_key().kid(), status: Revocation::Superseded },
            ],
            next: "1842".into(),
            more: false,
        })),
        ("PhoneRenewRequest", pretty(&PhoneRenewRequest {
            v: V1,
            event_id: "b1c2d3e4-f5a6-4b7c-8d9e-0f1a2b3c4d5e".into(),
            person_key: sample_person(),
            capacity: Capacity::Family,
            issued_at: phone_code().issued_at,
        })),
        ("PhoneRenewResponse", pretty(&PhoneRenewResponse {
            v: V1,
            result: EventAnswer { active: Some(phone_code()), ..EventAnswer::new("b1c2d3e4-f5a6-4b7c-8d9e-0f1a2b3c4d5e", Outcome::Accepted) },
        })),
        ("RotateKeyRequest", pretty(&RotateKeyRequest {
            v: V1,
            station: STATION.into(),
            public_key: rotated_key().public_key(),
            kid: rotated_key().kid(),
            proof: auth::rotation_proof(&rotated_key(), STATION),
        })),
        ("RotateKeyResponse", pretty(&RotateKeyResponse {
            v: V1,
            kid: rotated_key().kid(),
            replaced_kid: station_key().kid(),
            rotated_at: ISSUED_AT + 3 * 86_400,
        })),
        ("AuditAnchorRequest", pretty(&AuditAnchorRequest {
            v: V1,
            station: STATION.into(),
            seq: 1207,
            hash: "5d0b9a8f3c2e1d4b6a7f8e9d0c1b2a3f4e5d6c7b8a9f0e1d2c3b4a5f6e7d8c9b".into(),
        })),
        ("AuditAnchorsResponse", pretty(&AuditAnchorsResponse {
            v: V1,
            anchors: vec![
                AuditAnchor {
                    seq: 1180,
                    hash: "0e4c2a9b7d5f3e1c8a6b4d2f0e9c7a5b3d1f8e6c4a2b0d9f7e5c3a1b8d6f4e2c".into(),
                    received_at: ISSUED_AT + 2 * 86_400,
                },
                AuditAnchor {
                    seq: 1207,
                    hash: "5d0b9a8f3c2e1d4b6a7f8e9d0c1b2a3f4e5d6c7b8a9f0e1d2c3b4a5f6e7d8c9b".into(),
                    received_at: ISSUED_AT + 3 * 86_400,
                },
            ],
        })),
        ("ErrorBody", pretty(&ErrorBody { v: V1, error: "forbidden".into(), message: "the request names another station than the signer".into() })),
    ]
}

/// The ```json <Type> blocks of the document, in order.
fn doc_blocks() -> Vec<(String, String)> {
    let mut blocks = Vec::new();
    let mut lines = DOC.lines();
    while let Some(line) = lines.next() {
        let Some(info) = line.trim_start().strip_prefix("```json") else {
            continue;
        };
        let ty = info.trim().to_owned();
        let mut body = Vec::new();
        for l in lines.by_ref() {
            if l.trim_start().starts_with("```") {
                break;
            }
            body.push(l);
        }
        blocks.push((ty, body.join("\n")));
    }
    blocks
}

fn check<T: DeserializeOwned + Serialize>(text: &str) -> T {
    let value: T = serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    assert_eq!(
        serde_json::to_string_pretty(&value).unwrap(),
        text,
        "not in canonical form"
    );
    value
}

/// A code handed on by the hub: a station's opens with the district secret (and with nothing
/// the hub holds), then verifies; a phone code verifies as it is.
fn verifies(code: &IssuedCode) {
    let mut trust = TrustList::new();
    for e in trust_entries() {
        trust.add_issuer(e.public_key, e.station);
    }
    let text = if code.channel == Channel::Phone {
        code.credential.clone()
    } else {
        assert!(
            code.credential.starts_with(SEALED_PREFIX),
            "{}",
            code.serial
        );
        open_credential(
            &district_secret(),
            &code.kid,
            &code.serial,
            &code.credential,
        )
        .unwrap()
    };
    let v = nac_credential::verify(&text, &trust, code.issued_at);
    assert_eq!(v.verdict, Verdict::Valid, "{}", code.serial);
    let claims = v.claims.unwrap();
    assert_eq!(
        (claims.serial.as_str(), claims.issued_at, claims.expires_at),
        (code.serial.as_str(), code.issued_at, code.expires_at)
    );
}

#[test]
fn document_examples_are_exactly_the_code_s() {
    let blocks = doc_blocks();
    let expected = examples();
    assert_eq!(
        blocks.iter().map(|(t, _)| t.as_str()).collect::<Vec<_>>(),
        expected.iter().map(|(t, _)| *t).collect::<Vec<_>>(),
        "docs/sync.md's json blocks (type names, order)"
    );
    for ((ty, text), (_, want)) in blocks.iter().zip(&expected) {
        assert_eq!(text, want, "example {ty} differs from the code's");
        match ty.as_str() {
            "EnrolRequest" => {
                let r: EnrolRequest = check(text);
                assert!(auth::verify_enrolment_proof(
                    &r.public_key,
                    &r.enrolment_code,
                    &r.proof
                ));
                assert_eq!(r.kid, r.public_key.kid());
            }
            "EnrolResponse" => {
                let r: EnrolResponse = check(text);
                assert_eq!(
                    open_district_secret(
                        "k7q2 9xma 4htb e3wr",
                        &r.station,
                        &r.district_secret_sealed
                    )
                    .unwrap(),
                    district_secret(),
                    "the code the station typed opens the secret"
                );
            }
            "PushRequest" => {
                let r: PushRequest = check(text);
                for e in &r.events {
                    e.validate().unwrap();
                    verifies(&issued(e));
                    assert_eq!(
                        open_credential(
                            &district_secret(),
                            &e.code.kid,
                            &e.code.serial,
                            e.code.sealed.as_deref().unwrap()
                        )
                        .unwrap(),
                        e.code.credential,
                        "the sealed credential is the clear one"
                    );
                }
            }
            "PushResponse" => {
                let r: PushResponse = check(text);
                for a in &r.results {
                    if let Some(code) = &a.active {
                        verifies(code)
                    }
                    if a.status == Outcome::Duplicate {
                        assert!(a.original_answer().is_some())
                    }
                }
            }
            "SubscribeRequest" => {
                check::<SubscribeRequest>(text);
            }
            "SubscribeResponse" => {
                check::<SubscribeResponse>(text)
                    .active
                    .iter()
                    .for_each(verifies);
            }
            "PullResponse" => {
                check::<PullResponse>(text)
                    .changes
                    .iter()
                    .filter_map(|c| c.code.as_ref())
                    .for_each(verifies);
            }
            "TrustListResponse" => {
                check::<TrustListResponse>(text);
            }
            "RevocationsResponse" => {
                check::<RevocationsResponse>(text);
            }
            "PhoneRenewRequest" => {
                check::<PhoneRenewRequest>(text);
            }
            "PhoneRenewResponse" => {
                check::<PhoneRenewResponse>(text)
                    .result
                    .active
                    .iter()
                    .for_each(verifies);
            }
            "RotateKeyRequest" => {
                let r: RotateKeyRequest = check(text);
                assert!(auth::verify_rotation_proof(
                    &r.public_key,
                    &r.station,
                    &r.proof
                ));
                assert!(!auth::verify_rotation_proof(
                    &r.public_key,
                    OTHER_STATION,
                    &r.proof
                ));
                assert_eq!(r.kid, r.public_key.kid());
            }
            "RotateKeyResponse" => {
                check::<RotateKeyResponse>(text);
            }
            "AuditAnchorRequest" => {
                let r: AuditAnchorRequest = check(text);
                assert_eq!(r.hash.len(), 64);
            }
            "AuditAnchorsResponse" => {
                check::<AuditAnchorsResponse>(text);
            }
            "ErrorBody" => {
                check::<ErrorBody>(text);
            }
            other => panic!("unknown example type {other:?}"),
        }
    }
}

/// The document's signing example (section "Signing requests") is the tested vector.
#[test]
fn document_signing_example_matches() {
    for needle in [
        "d809c7a3e7c8a09d17838f4fe738ef5a8422601185ddfde47a6e0dae3cad43d0",
        "e454d3113bff1d6d55a3c782a259c9fabe8e1732504f41d3d6fbc1ccca92eaf62e50de743f0fd08fb602ef08a3d98bb5fd431ffae5adc680411138998786cc03",
        "f181c6ae51717d38c4ef10716c75110632dbe05c57d2a6372569b186bed3e8da",
        SECRET_HEX,
    ] {
        assert!(DOC.contains(needle), "docs/sync.md lacks {needle}");
    }
    for (name, value) in [
        ("MAX_BODY_BYTES", MAX_BODY_BYTES.to_string()),
        ("MAX_EVENTS_PER_PAGE", MAX_EVENTS_PER_PAGE.to_string()),
        (
            "MAX_PERSON_KEYS_PER_PAGE",
            MAX_PERSON_KEYS_PER_PAGE.to_string(),
        ),
        ("MAX_ITEMS_PER_PAGE", MAX_ITEMS_PER_PAGE.to_string()),
        ("MAX_AUDIT_ANCHORS", MAX_AUDIT_ANCHORS.to_string()),
    ] {
        assert!(
            DOC.contains(&format!("`{name}` = {value}")),
            "docs/sync.md must state `{name}` = {value}"
        );
    }
}

/// §3's release header: its name is the one the client sends, its value one the hub keeps, and
/// this release's own version is kept too.
#[test]
fn the_release_header_example_is_what_client_and_hub_use() {
    let line = DOC
        .lines()
        .find(|l| l.starts_with("x-nac-app-version: "))
        .expect("docs/sync.md shows the x-nac-app-version header");
    let (name, value) = line.split_once(": ").unwrap();
    assert_eq!(name, HEADER_APP_VERSION);
    assert_eq!(app_version(value), Some(value));
    assert_eq!(app_version(APP_VERSION), Some(APP_VERSION));
}

#[test]
#[ignore = "prints the examples for docs/sync.md"]
fn print_examples() {
    for (ty, text) in examples() {
        println!("```json {ty}\n{text}\n```\n");
    }
}
