//! Property tests: `verify` never panics and never says Valid to junk; any claims round-trip.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failure

use crate::common;

use common::wrap::{sign1, wrap};
use common::{claims, key, trust_for, ISSUED_AT};
use nac_credential::{
    base45, decode_cose, decode_unverified, issue, verify, Claims, StationKey, TrustList, Verdict,
    VALIDITY_SECS,
};
use proptest::prelude::*;

/// Claims anywhere within the format's limits, including astral-plane and CJK names.
fn any_claims() -> impl Strategy<Value = Claims> {
    let printable =
        |max: usize| proptest::string::string_regex(&format!("[!-~]{{1,{max}}}")).unwrap();
    let uuid = any::<[u8; 16]>().prop_map(|b| {
        let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
        format!(
            "{}-{}-{}-{}-{}",
            &h[..8],
            &h[8..12],
            &h[12..16],
            &h[16..20],
            &h[20..]
        )
    });
    let name_char = prop_oneof![
        any::<char>(),
        proptest::char::range('\u{4e00}', '\u{9fff}'),
        proptest::char::range('\u{20000}', '\u{2a6df}'),
        Just('*'),
        Just('·'),
    ]
    .prop_filter("no control characters", |c| !c.is_control());
    (
        proptest::string::string_regex("[0-9A-HJKMNP-TV-Z]{1,32}").unwrap(),
        prop_oneof![uuid, printable(64)],
        proptest::collection::vec(name_char.clone(), 1..=32),
        proptest::collection::vec(name_char, 0..=4),
        any::<i64>(),
        // Mostly the one window verify accepts (R1), sometimes any other.
        prop_oneof![3 => Just(VALIDITY_SECS), 1 => 1..=i64::MAX],
        printable(32),
    )
        .prop_map(
            |(serial, resident_ref, name, last4, issued_at, validity, station_id)| Claims {
                serial,
                resident_ref,
                masked_name: name.into_iter().collect(),
                id_last4: last4.into_iter().collect(),
                issued_at,
                expires_at: issued_at
                    .saturating_add(validity)
                    .max(issued_at.saturating_add(1)),
                station_id,
            },
        )
        .prop_filter("within limits", |c| c.validate().is_ok())
}

fn trust() -> (StationKey, TrustList) {
    let key = key();
    let trust = trust_for(&key);
    (key, trust)
}

proptest! {
    #[test]
    fn arbitrary_strings_are_malformed(s in any::<String>()) {
        let (_, trust) = trust();
        prop_assert_eq!(verify(&s, &trust, ISSUED_AT).verdict, Verdict::Malformed);
        let prefixed = format!("NAC1:{s}");
        prop_assert_eq!(verify(&prefixed, &trust, ISSUED_AT).verdict, Verdict::Malformed);
    }

    #[test]
    fn arbitrary_bytes_are_malformed(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        let (_, trust) = trust();
        let lossy = String::from_utf8_lossy(&bytes);
        prop_assert_eq!(verify(&lossy, &trust, ISSUED_AT).verdict, Verdict::Malformed);
        prop_assert_eq!(verify(&format!("NAC1:{lossy}"), &trust, ISSUED_AT).verdict, Verdict::Malformed);
        // As valid Base45, and as a valid zlib stream: deeper layers must refuse them.
        let b45 = format!("NAC1:{}", base45::encode(&bytes));
        prop_assert_eq!(verify(&b45, &trust, ISSUED_AT).verdict, Verdict::Malformed);
        prop_assert_eq!(verify(&wrap(&bytes), &trust, ISSUED_AT).verdict, Verdict::Malformed);
    }

    #[test]
    fn arbitrary_base45_is_malformed(s in "[0-9A-Z $%*+./:-]{0,400}") {
        let (_, trust) = trust();
        prop_assert_eq!(verify(&format!("NAC1:{s}"), &trust, ISSUED_AT).verdict, Verdict::Malformed);
        prop_assert_eq!(verify(&s, &trust, ISSUED_AT).verdict, Verdict::Malformed);
    }

    #[test]
    fn arbitrary_claims_round_trip(c in any_claims()) {
        let key = key();
        let mut trust = TrustList::new();
        trust.add_issuer(key.public_key(), c.station_id.clone());
        let text = issue(&c, &key).unwrap();
        prop_assert!(text.bytes().all(|b| base45::ALPHABET.contains(&b)));
        let r1 = c.expires_at.checked_sub(c.issued_at) == Some(VALIDITY_SECS);
        let v = verify(&text, &trust, c.issued_at);
        prop_assert_eq!(v.verdict, if r1 { Verdict::Valid } else { Verdict::InvalidWindow });
        prop_assert_eq!(v.claims.as_ref(), Some(&c));
        prop_assert_eq!(
            verify(&text, &trust, c.expires_at).verdict,
            if r1 { Verdict::Expired } else { Verdict::InvalidWindow }
        );
        prop_assert_eq!(decode_unverified(&text).unwrap(), (key.kid(), c));
    }
}

proptest! {
    // These sign or verify for every case; Ed25519 is slow in unoptimised test builds.
    #![proptest_config(ProptestConfig::with_cases(96))]

    /// Random edits of a genuine COSE_Sign1, re-wrapped so the zlib checksum is right.
    #[test]
    fn edited_cose_is_never_valid(
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6),
        cut in proptest::option::of(any::<prop::sample::Index>()),
    ) {
        let (key, trust) = trust();
        let original = decode_cose(&issue(&claims(), &key).unwrap()).unwrap();
        let mut cose = original.clone();
        for (i, b) in edits {
            let i = i.index(cose.len());
            cose[i] = b;
        }
        if let Some(cut) = cut {
            cose.truncate(cut.index(cose.len() + 1));
        }
        let verdict = verify(&wrap(&cose), &trust, ISSUED_AT).verdict;
        if cose == original {
            prop_assert_eq!(verdict, Verdict::Valid);
        } else {
            prop_assert!(
                matches!(verdict, Verdict::Forged | Verdict::Malformed | Verdict::UnknownIssuer),
                "{:?}", verdict
            );
        }
    }

    /// Correctly signed junk payloads: the claims parser must refuse them without panicking,
    /// and verify() must agree with decode_unverified() on what is malformed.
    #[test]
    fn signed_junk_payloads(payload in prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..200),
        // Maps with plausible heads, to get past the first byte more often.
        proptest::collection::vec(any::<u8>(), 0..120).prop_map(|mut v| { v.insert(0, 0xa7); v }),
        proptest::collection::vec(0u8..0x20, 0..60).prop_map(|mut v| { v.insert(0, 0xa7); v }),
    ]) {
        let (key, trust) = trust();
        let text = wrap(&sign1(&payload, &key));
        let v = verify(&text, &trust, ISSUED_AT);
        match decode_unverified(&text) {
            Err(_) => prop_assert_eq!(v.verdict, Verdict::Malformed),
            Ok((kid, c)) => {
                prop_assert_eq!(kid, key.kid());
                prop_assert_ne!(v.verdict, Verdict::Malformed);
                prop_assert!(c.validate().is_ok());
            }
        }
    }
}

#[test]
fn independent_signer_produces_valid_credentials() {
    // Guards the property tests above: if `sign1` were wrong, `signed_junk_payloads` would
    // test nothing.
    let (key, trust) = trust();
    let cose = decode_cose(&issue(&claims(), &key).unwrap()).unwrap();
    let payload = &cose[19..cose.len() - 66];
    assert_eq!(sign1(payload, &key), cose);
    assert_eq!(
        verify(&wrap(&sign1(payload, &key)), &trust, ISSUED_AT).verdict,
        Verdict::Valid
    );
}
