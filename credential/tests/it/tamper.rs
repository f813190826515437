//! Any change to a real credential is caught: it is Forged or Malformed, or — only when the
//! change leaves the signed bytes identical — still Valid.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failure

use crate::common;

use common::wrap::{sign1, wrap};
use common::{claims, key, trust_for, ISSUED_AT};
use nac_credential::{base45, decode_cose, issue, verify, Verdict};

#[test]
fn every_single_character_substitution() {
    let key = key();
    let trust = trust_for(&key);
    let text = issue(&claims(), &key).unwrap();
    let original = decode_cose(&text).unwrap();
    let (mut identical, mut forged, mut malformed) = (0, 0, 0);
    let mut bytes = text.clone().into_bytes();
    for i in 0..bytes.len() {
        let was = bytes[i];
        for &c in base45::ALPHABET.iter().filter(|&&c| c != was) {
            bytes[i] = c;
            let tampered = std::str::from_utf8(&bytes).unwrap();
            let verdict = verify(tampered, &trust, ISSUED_AT).verdict;
            if decode_cose(tampered).as_deref() == Ok(&original[..]) {
                // Possible only where the zlib stream has bits the decoder ignores (the 5 padding
                // bits after a stored block's header). For this credential no single character
                // reaches them alone (a substitution changes its 16-bit group by d, 45·d or
                // 2025·d, |d| < 45, never by the multiple of 2048 that would touch only padding),
                // so `identical` stays 0; `zlib_padding_is_not_signed` covers the case itself.
                assert_eq!(verdict, Verdict::Valid, "position {i} -> {}", c as char);
                identical += 1;
            } else {
                match verdict {
                    Verdict::Forged => forged += 1,
                    Verdict::Malformed => malformed += 1,
                    other => panic!("position {i} -> {}: {other:?}", c as char),
                }
            }
        }
        bytes[i] = was;
    }
    let total = text.len() * 44;
    assert_eq!(identical + forged + malformed, total);
    // Nearly everything dies at Base45 or the zlib checksum; make sure we really looked.
    assert!(
        malformed > total * 9 / 10,
        "{identical} {forged} {malformed}"
    );
    eprintln!(
        "{total} substitutions: {identical} identical, {forged} forged, {malformed} malformed"
    );
}

/// Below the zlib checksum: flip every bit of the COSE bytes and re-wrap them, so that the
/// signature and the parsers are what must catch the change.
#[test]
fn every_bit_flip_of_the_signed_structure() {
    let key = key();
    let trust = trust_for(&key);
    let original = decode_cose(&issue(&claims(), &key).unwrap()).unwrap();
    // Sanity: our independent re-wrapping of the untouched bytes is valid.
    assert_eq!(
        verify(&wrap(&original), &trust, ISSUED_AT).verdict,
        Verdict::Valid
    );
    let kid_bytes = 8..16; // D2 84 4D A2 01 27 04 48 <kid>
    let mut counts = std::collections::HashMap::new();
    for i in 0..original.len() {
        for bit in 0..8 {
            let mut cose = original.clone();
            cose[i] ^= 1 << bit;
            let verdict = verify(&wrap(&cose), &trust, ISSUED_AT).verdict;
            match verdict {
                Verdict::Forged | Verdict::Malformed => {}
                Verdict::UnknownIssuer if kid_bytes.contains(&i) => {}
                other => panic!("byte {i} bit {bit}: {other:?}"),
            }
            *counts.entry(verdict).or_insert(0) += 1;
        }
    }
    // Each kind of failure actually happened.
    assert!(
        counts.get(&Verdict::Forged).copied().unwrap_or(0) >= 64 * 8,
        "{counts:?}"
    );
    assert_eq!(counts.get(&Verdict::UnknownIssuer), Some(&64), "{counts:?}");
    assert!(counts.contains_key(&Verdict::Malformed), "{counts:?}");
}

#[test]
fn truncations_and_extensions() {
    let key = key();
    let trust = trust_for(&key);
    let text = issue(&claims(), &key).unwrap();
    for n in 0..text.len() {
        assert_eq!(
            verify(&text[..n], &trust, ISSUED_AT).verdict,
            Verdict::Malformed,
            "{n}"
        );
    }
    let original = decode_cose(&text).unwrap();
    for n in 0..original.len() {
        assert_eq!(
            verify(&wrap(&original[..n]), &trust, ISSUED_AT).verdict,
            Verdict::Malformed
        );
    }
    for extra in [&[0x00][..], &[0xa0], &[0xff, 0xff]] {
        let cose = [&original[..], extra].concat();
        assert_eq!(
            verify(&wrap(&cose), &trust, ISSUED_AT).verdict,
            Verdict::Malformed
        );
    }
}

#[test]
fn payload_swapped_between_credentials_is_forged() {
    // Cut-and-paste: the envelope of one credential around another's claims.
    let key = key();
    let trust = trust_for(&key);
    let mut other = claims();
    other.serial = "ZZZZZZZZZZ".into();
    let a = decode_cose(&issue(&claims(), &key).unwrap()).unwrap();
    let b = decode_cose(&issue(&other, &key).unwrap()).unwrap();
    let sig = a.len() - 64;
    let spliced = [&b[..sig], &a[sig..]].concat();
    assert_eq!(
        verify(&wrap(&spliced), &trust, ISSUED_AT).verdict,
        Verdict::Forged
    );
    // And our independent signer agrees with the crate's byte for byte.
    let payload_start = 16 + 1 + 2; // header, A0, 58 <len>
    assert_eq!(sign1(&a[payload_start..sig - 2], &key), a);
}

#[test]
fn zlib_padding_is_not_signed() {
    // The stored block's header byte is 01 (BFINAL=1, BTYPE=00) followed by 5 ignored padding
    // bits. Setting them changes the text but not the signed bytes: still valid, by design.
    let key = key();
    let trust = trust_for(&key);
    let text = issue(&claims(), &key).unwrap();
    let mut zlib = base45::decode(&text[5..]).unwrap();
    assert_eq!(zlib[2], 0x01, "expected a stored block");
    zlib[2] |= 0xf8;
    let padded = format!("NAC1:{}", base45::encode(&zlib));
    assert_ne!(padded, text);
    assert_eq!(decode_cose(&padded).unwrap(), decode_cose(&text).unwrap());
    assert_eq!(verify(&padded, &trust, ISSUED_AT).verdict, Verdict::Valid);
}
