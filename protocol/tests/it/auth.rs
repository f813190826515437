//! Request signatures: the documented test vector, round trips, forgery and tampering.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use common::*;
use nac_credential::StationKey;
use nac_protocol::auth::{enrolment_proof, verify_enrolment_proof};
use nac_protocol::*;

const BODY: &[u8] = br#"{"v":1,"station":"ST-4KQ2PZ","events":[]}"#;
const NONCE: &str = "00112233445566778899aabbccddeeff";
const TS: i64 = 1_767_225_600;

/// The vector in docs/sync.md §"Signing requests".
#[test]
fn signature_test_vector() {
    let text = canonical_request("post", "/v1/push", BODY, TS, NONCE, STATION);
    assert_eq!(
        text,
        "NAC-REQ-1\nPOST\n/v1/push\n\
         d809c7a3e7c8a09d17838f4fe738ef5a8422601185ddfde47a6e0dae3cad43d0\n\
         1767225600\n00112233445566778899aabbccddeeff\nST-4KQ2PZ"
    );
    let headers = sign_request(&station_key(), STATION, "POST", "/v1/push", BODY, TS, NONCE);
    assert_eq!(headers.signature, SIGNATURE_VECTOR);
    assert_eq!(
        verify_request(
            &station_key().public_key(),
            "POST",
            "/v1/push",
            BODY,
            &headers,
            TS
        ),
        Ok(())
    );
}

/// Computed independently with Python's `cryptography` (Ed25519PrivateKey.sign).
const SIGNATURE_VECTOR: &str = "e454d3113bff1d6d55a3c782a259c9fabe8e1732504f41d3d6fbc1ccca92eaf62e50de743f0fd08fb602ef08a3d98bb5fd431ffae5adc680411138998786cc03";

fn signed() -> SignedHeaders {
    sign_request(&station_key(), STATION, "POST", "/v1/push", BODY, TS, NONCE)
}

#[test]
fn signature_is_deterministic_and_verifies_within_the_window() {
    let h = signed();
    assert_eq!(h, signed());
    let pk = station_key().public_key();
    for now in [TS - 300, TS, TS + 300] {
        assert_eq!(
            verify_request(&pk, "POST", "/v1/push", BODY, &h, now),
            Ok(())
        );
    }
    assert_eq!(
        verify_request(&pk, "POST", "/v1/push", BODY, &h, TS + 301),
        Err(AuthError::Stale(-301))
    );
    assert_eq!(
        verify_request(&pk, "POST", "/v1/push", BODY, &h, TS - 301),
        Err(AuthError::Stale(301))
    );
}

#[test]
fn tampering_with_any_signed_part_fails() {
    let pk = station_key().public_key();
    let h = signed();
    let bad = |m: &str, p: &str, b: &[u8], h: &SignedHeaders| {
        assert_eq!(
            verify_request(&pk, m, p, b, h, TS),
            Err(AuthError::BadSignature)
        );
    };
    bad("GET", "/v1/push", BODY, &h);
    bad("POST", "/v1/pull", BODY, &h);
    bad("POST", "/v1/push?x=1", BODY, &h);
    bad("POST", "/v1/push", b"{}", &h);
    let mut body = BODY.to_vec();
    body[5] ^= 1;
    bad("POST", "/v1/push", &body, &h);
    bad(
        "POST",
        "/v1/push",
        BODY,
        &SignedHeaders {
            timestamp: TS + 1,
            ..h.clone()
        },
    );
    bad(
        "POST",
        "/v1/push",
        BODY,
        &SignedHeaders {
            nonce: "ff".repeat(16),
            ..h.clone()
        },
    );
    bad(
        "POST",
        "/v1/push",
        BODY,
        &SignedHeaders {
            station: "ST-OTHER".into(),
            ..h.clone()
        },
    );
    // A bit flip in every byte of the signature fails (a different bit each time).
    let sig = hex::decode(&h.signature).unwrap();
    for i in (0..sig.len()).map(|byte| byte * 8 + byte % 8) {
        let mut s = sig.clone();
        s[i / 8] ^= 1 << (i % 8);
        bad(
            "POST",
            "/v1/push",
            BODY,
            &SignedHeaders {
                signature: hex::encode(s),
                ..h.clone()
            },
        );
    }
}

#[test]
fn another_key_is_a_forgery() {
    let other = StationKey::from_secret_bytes(&[9; 32]);
    let forged = sign_request(&other, STATION, "POST", "/v1/push", BODY, TS, NONCE);
    assert_eq!(
        verify_request(
            &station_key().public_key(),
            "POST",
            "/v1/push",
            BODY,
            &forged,
            TS
        ),
        Err(AuthError::BadSignature)
    );
    // A non-hex or wrong-length signature is simply a bad signature, never a panic.
    for sig in ["", "zz", &"0".repeat(128), &"A".repeat(128)] {
        let h = SignedHeaders {
            signature: sig.to_string(),
            ..signed()
        };
        assert_eq!(
            verify_request(
                &station_key().public_key(),
                "POST",
                "/v1/push",
                BODY,
                &h,
                TS
            ),
            Err(AuthError::BadSignature)
        );
    }
}

#[test]
fn header_parsing() {
    let h = signed();
    let ts = h.timestamp.to_string();
    let ok = SignedHeaders::parse(Some(STATION), Some(&ts), Some(NONCE), Some(&h.signature));
    assert_eq!(ok, Ok(h.clone()));
    assert_eq!(
        SignedHeaders::parse(None, Some(&ts), Some(NONCE), Some(&h.signature)),
        Err(AuthError::MissingHeader(HEADER_STATION))
    );
    assert_eq!(
        SignedHeaders::parse(Some(STATION), Some("-5"), Some(NONCE), Some(&h.signature)),
        Err(AuthError::MalformedHeader(HEADER_TIMESTAMP))
    );
    assert_eq!(
        SignedHeaders::parse(Some(STATION), Some(&ts), Some("abcd"), Some(&h.signature)),
        Err(AuthError::MalformedHeader(HEADER_NONCE))
    );
    assert_eq!(
        SignedHeaders::parse(
            Some(STATION),
            Some(&ts),
            Some(&NONCE.to_uppercase()),
            Some(&h.signature)
        ),
        Err(AuthError::MalformedHeader(HEADER_NONCE))
    );
    assert_eq!(
        SignedHeaders::parse(Some(STATION), Some(&ts), Some(NONCE), Some("00")),
        Err(AuthError::MalformedHeader(HEADER_SIGNATURE))
    );
    let pairs = h.pairs();
    assert_eq!(pairs[0], (HEADER_STATION, STATION.to_string()));
    assert_eq!(pairs[1].1, ts);
}

#[test]
fn enrolment_proof_binds_code_and_key() {
    let key = station_key();
    let proof = enrolment_proof(&key, "K7Q2-9XMA");
    assert!(verify_enrolment_proof(
        &key.public_key(),
        "K7Q2-9XMA",
        &proof
    ));
    assert!(!verify_enrolment_proof(
        &key.public_key(),
        "K7Q2-9XMB",
        &proof
    ));
    let other = StationKey::from_secret_bytes(&[3; 32]);
    assert!(!verify_enrolment_proof(
        &other.public_key(),
        "K7Q2-9XMA",
        &proof
    ));
    assert!(!verify_enrolment_proof(
        &key.public_key(),
        "K7Q2-9XMA",
        "nothex"
    ));
}
