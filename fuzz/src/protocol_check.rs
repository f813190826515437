//! The protocol fuzz harness: every message body a hub or a station decodes from the other side.
//!
//! Shared word for word by the `protocol_messages` fuzz target and the stable regression test
//! `protocol/tests/fuzz_regressions.rs` (included there with `#[path]`). The first byte picks the
//! message type, the rest is the body; a fifth-of-the-bytes variant feeds the four signature
//! headers instead. Uses only `nac-protocol` and `serde_json`.
//!
//! Besides "never panics": a body that decodes re-encodes to a body that decodes to the same
//! message (so a stored answer replays as it was), every pushed event's `validate` answers, and
//! a duplicate's stored original decodes or is refused.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use nac_protocol::*;
use serde::de::DeserializeOwned;
use serde::Serialize;

/// The message types, in the order of the selector byte (seeds are named after them).
pub const TYPES: [&str; 17] = [
    "PushRequest",
    "PushResponse",
    "SubscribeRequest",
    "SubscribeResponse",
    "PullResponse",
    "TrustListResponse",
    "RevocationsResponse",
    "EnrolRequest",
    "EnrolResponse",
    "RotateKeyRequest",
    "RotateKeyResponse",
    "AuditAnchorRequest",
    "AuditAnchorsResponse",
    "PhoneRenewRequest",
    "PhoneRenewResponse",
    "ErrorBody",
    "SignedHeaders",
];

fn round_trip<T>(body: &[u8]) -> Option<T>
where
    T: DeserializeOwned + Serialize + PartialEq + std::fmt::Debug,
{
    let message: T = serde_json::from_slice(body).ok()?;
    let again = serde_json::to_vec(&message).expect("a decoded message encodes");
    let back: T = serde_json::from_slice(&again).expect("an encoded message decodes");
    assert_eq!(back, message, "round trip changed the message");
    Some(message)
}

fn answers(results: &[EventAnswer]) {
    for a in results {
        let _ = a.original_answer();
    }
}

/// Checks one input (selector byte + body).
pub fn check(data: &[u8]) {
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    if body.len() > MAX_BODY_BYTES {
        return;
    }
    match usize::from(selector) % TYPES.len() {
        0 => {
            if let Some(push) = round_trip::<PushRequest>(body) {
                for event in &push.events {
                    let _ = event.validate();
                }
            }
        }
        1 => {
            if let Some(r) = round_trip::<PushResponse>(body) {
                answers(&r.results);
            }
        }
        2 => {
            round_trip::<SubscribeRequest>(body);
        }
        3 => {
            round_trip::<SubscribeResponse>(body);
        }
        4 => {
            round_trip::<PullResponse>(body);
        }
        5 => {
            round_trip::<TrustListResponse>(body);
        }
        6 => {
            round_trip::<RevocationsResponse>(body);
        }
        7 => {
            if let Some(r) = round_trip::<EnrolRequest>(body) {
                let _ = auth::verify_enrolment_proof(&r.public_key, &r.enrolment_code, &r.proof);
            }
        }
        8 => {
            round_trip::<EnrolResponse>(body);
        }
        9 => {
            if let Some(r) = round_trip::<RotateKeyRequest>(body) {
                let _ = auth::verify_rotation_proof(&r.public_key, &r.station, &r.proof);
            }
        }
        10 => {
            round_trip::<RotateKeyResponse>(body);
        }
        11 => {
            if let Some(r) = round_trip::<AuditAnchorRequest>(body) {
                let _ = r.validate();
            }
        }
        12 => {
            round_trip::<AuditAnchorsResponse>(body);
        }
        13 => {
            round_trip::<PhoneRenewRequest>(body);
        }
        14 => {
            if let Some(r) = round_trip::<PhoneRenewResponse>(body) {
                answers(std::slice::from_ref(&r.result));
            }
        }
        15 => {
            round_trip::<ErrorBody>(body);
        }
        _ => {
            let text = String::from_utf8_lossy(body);
            let mut lines = text.splitn(4, '\n');
            let _ = SignedHeaders::parse(lines.next(), lines.next(), lines.next(), lines.next());
        }
    }
}
