//! The credential fuzz harness: what every credential target checks for one input.
//!
//! Shared word for word by the fuzz targets (`fuzz/src/lib.rs`) and the stable regression test
//! `credential/tests/fuzz_regressions.rs` (included there with `#[path]`), so a saved crash input
//! replays under `cargo test` exactly as the fuzzer ran it. Uses only `nac-credential` and its own
//! dependencies (`flate2`, `ed25519-dalek`).
//!
//! Besides "never panics", each input is checked against the contract of `verify` (see
//! `credential/src/verify.rs`): `Malformed` exactly when `decode_unverified` fails, claims only
//! for the verdicts that carry them, and claims that `verify` accepts re-issue to the same
//! verification.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Write;

use ed25519_dalek::{Signer, SigningKey};
use nac_credential::{
    base45, decode_cose, decode_unverified, issue, verify, Revocation, StationKey, TrustList,
    Verdict, Verification, MAX_CLOCK_SKEW_SECS, PREFIX, VALIDITY_SECS,
};

/// The station the test key is trusted for.
pub const STATION: &str = "ST-4KQ2PZ";
/// Issue time of the seed credentials (2026-01-01T00:00:00Z).
pub const ISSUED_AT: i64 = 1_767_225_600;
/// The verifier's clock: one day after [`ISSUED_AT`].
pub const NOW: i64 = ISSUED_AT + 86_400;
/// Serials the trust list marks as superseded / rejected.
pub const SUPERSEDED_SERIAL: &str = "SUPERSEDED1";
pub const REJECTED_SERIAL: &str = "REJECTED1";

/// The one trusted signing key (the same secret as the credential crate's tests).
pub fn key() -> StationKey {
    StationKey::from_secret_bytes(&[0x5a; 32])
}

/// A trust list holding [`key`] for [`STATION`] and two revoked serials.
pub fn trust() -> TrustList {
    let mut trust = TrustList::new();
    trust.add_issuer(key().public_key(), STATION);
    trust.revoke(key().kid(), SUPERSEDED_SERIAL, Revocation::Superseded);
    trust.revoke(key().kid(), REJECTED_SERIAL, Revocation::Rejected);
    trust
}

/// `NAC1:` + Base45(zlib(cose)): the outer layers, written from docs/credential.md.
pub fn wrap(cose: &[u8]) -> String {
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
    z.write_all(cose).expect("zlib into a Vec");
    let z = z.finish().expect("zlib into a Vec");
    let mut text = String::from(PREFIX);
    base45::encode_into(&z, &mut text);
    text
}

fn bstr(out: &mut Vec<u8>, b: &[u8]) {
    let n = b.len();
    if n < 24 {
        out.push(0x40 | n as u8);
    } else if n < 256 {
        out.extend_from_slice(&[0x58, n as u8]);
    } else if n < 65_536 {
        out.push(0x59);
        out.extend_from_slice(&(n as u16).to_be_bytes());
    } else {
        out.push(0x5a);
        out.extend_from_slice(&(n as u32).to_be_bytes());
    }
    out.extend_from_slice(b);
}

/// A tagged COSE_Sign1 (EdDSA, kid of `key`) over arbitrary `payload` bytes, correctly signed.
pub fn sign1(payload: &[u8], key: &StationKey) -> Vec<u8> {
    let mut protected = vec![0xa2, 0x01, 0x27, 0x04, 0x48];
    protected.extend_from_slice(&key.kid().0);
    let mut tbs = vec![0x84, 0x6a];
    tbs.extend_from_slice(b"Signature1");
    bstr(&mut tbs, &protected);
    bstr(&mut tbs, &[]);
    bstr(&mut tbs, payload);
    let signature = SigningKey::from_bytes(&key.secret_bytes())
        .sign(&tbs)
        .to_bytes();
    let mut cose = vec![0xd2, 0x84];
    bstr(&mut cose, &protected);
    cose.push(0xa0);
    bstr(&mut cose, payload);
    bstr(&mut cose, &signature);
    cose
}

/// Verdicts that come with verified claims (`CannotCheck` may or may not: never with a
/// `TrustList`, which cannot fail).
fn carries_claims(v: Verdict) -> bool {
    matches!(
        v,
        Verdict::Valid
            | Verdict::Expired
            | Verdict::Superseded
            | Verdict::Rejected
            | Verdict::KeyWithdrawn
            | Verdict::InvalidWindow
            | Verdict::NotYetValid
    )
}

/// Verifies `text` and checks the result against `verify`'s contract; returns it.
pub fn check_text(text: &str) -> Verification {
    let trust = trust();
    let v = verify(text, &trust, NOW);
    let unverified = decode_unverified(text);

    assert_eq!(
        v.verdict == Verdict::Malformed,
        unverified.is_err(),
        "decode_unverified must fail exactly when verify says Malformed: {v:?} / {unverified:?}"
    );
    assert_ne!(
        v.verdict,
        Verdict::CannotCheck,
        "an in-memory trust list cannot fail"
    );
    assert_eq!(
        v.kid.is_some(),
        v.verdict != Verdict::Malformed,
        "kid is present exactly for well-formed texts: {v:?}"
    );
    assert_eq!(
        v.claims.is_some(),
        carries_claims(v.verdict),
        "claims only with a good signature: {v:?}"
    );
    if v.verdict != Verdict::Malformed {
        assert!(
            decode_cose(text).is_ok(),
            "well-formed but decode_cose fails"
        );
    }
    if let Ok((kid, claims)) = &unverified {
        assert_eq!(v.kid.as_ref(), Some(kid));
        if let Some(verified) = &v.claims {
            assert_eq!(verified, claims, "verified and unverified claims differ");
        }
        assert!(
            claims.validate().is_ok(),
            "decoded claims that issue() would refuse: {claims:?}"
        );
    }
    if let Some(claims) = &v.claims {
        let window = i128::from(claims.expires_at) - i128::from(claims.issued_at);
        let ahead = i128::from(claims.issued_at) - i128::from(NOW);
        match v.verdict {
            Verdict::Valid => {
                assert_eq!(window, i128::from(VALIDITY_SECS));
                assert!(ahead <= i128::from(MAX_CLOCK_SKEW_SECS));
                assert!(NOW < claims.expires_at);
                assert_ne!(claims.serial, SUPERSEDED_SERIAL);
                assert_ne!(claims.serial, REJECTED_SERIAL);
            }
            Verdict::InvalidWindow => assert_ne!(window, i128::from(VALIDITY_SECS)),
            Verdict::NotYetValid => assert!(ahead > i128::from(MAX_CLOCK_SKEW_SECS)),
            Verdict::Expired => assert!(NOW >= claims.expires_at),
            _ => {}
        }
        // Claims that verify re-issue (with the one trusted key) to the same verification.
        let again = issue(claims, &key()).expect("verified claims must be issuable");
        let v2 = verify(&again, &trust, NOW);
        assert_eq!(
            v2.verdict, v.verdict,
            "re-issued credential verifies differently"
        );
        assert_eq!(v2.claims.as_ref(), Some(claims));
    }
    v
}

/// The `credential_verify` target: arbitrary bytes as a scanned text (UTF-8 as is, otherwise
/// lossily), plus the Base45 layer on its own.
pub fn check_bytes(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    check_text(&text);
    let body = match text.strip_prefix(PREFIX) {
        Some(body) => body,
        None => {
            // Most mutations break the prefix: check the text behind a good one too.
            check_text(&format!("{PREFIX}{text}"));
            &text
        }
    };
    // Base45: strict but case-insensitive, so a decoded text re-encodes to its uppercase form.
    if let Ok(bytes) = base45::decode(body) {
        assert_eq!(base45::encode(&bytes), body.to_ascii_uppercase());
    }
    // And any bytes round-trip through it.
    let encoded = base45::encode(data);
    assert_eq!(encoded.len(), base45::encoded_len(data.len()));
    assert_eq!(base45::decode(&encoded).ok().as_deref(), Some(data));
}

/// The `credential_cose` target: arbitrary bytes as the COSE_Sign1 inside good outer layers.
pub fn check_cose(data: &[u8]) {
    check_text(&wrap(data));
}

/// The `credential_claims` target: arbitrary bytes as the claims payload of a COSE_Sign1 that
/// the trusted key really signed, so the claims decoder and every verdict past the signature are
/// reached.
pub fn check_claims(data: &[u8]) {
    let v = check_text(&wrap(&sign1(data, &key())));
    match v.verdict {
        Verdict::Malformed => {}
        Verdict::Forged => {
            // Good signature: only a claimed station other than the key's is forged.
            let (_, claims) = decode_unverified(&wrap(&sign1(data, &key()))).expect("well-formed");
            assert_ne!(
                claims.station_id, STATION,
                "a good signature was called forged"
            );
        }
        other => assert!(carries_claims(other), "unexpected verdict {other:?}"),
    }
}
