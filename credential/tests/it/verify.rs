//! Issue → verify behaviour through the public API.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failure

use crate::common;

use common::{claims, key, trust_for, ISSUED_AT, STATION};
use nac_credential::{
    base45, decode_unverified, issue, verify, Claims, CredentialError, KeyId, Revocation,
    StationKey, Trust, TrustError, TrustList, TrustedIssuer, Verdict, Verification,
    MAX_CLOCK_SKEW_SECS, VALIDITY_SECS,
};

#[test]
fn round_trip_is_valid_with_equal_claims() {
    let key = key();
    let text = issue(&claims(), &key).unwrap();
    let v = verify(&text, &trust_for(&key), ISSUED_AT);
    assert_eq!(
        v,
        Verification {
            verdict: Verdict::Valid,
            claims: Some(claims()),
            kid: Some(key.kid()),
            reason: None,
        }
    );
    assert_eq!(decode_unverified(&text).unwrap(), (key.kid(), claims()));
}

#[test]
fn issuing_is_deterministic() {
    let key = key();
    assert_eq!(
        issue(&claims(), &key).unwrap(),
        issue(&claims(), &key).unwrap()
    );
    let mut other = claims();
    other.serial = "7K3QD9XAZN".into();
    assert_ne!(
        issue(&claims(), &key).unwrap(),
        issue(&other, &key).unwrap()
    );
}

#[test]
fn expiry_boundary() {
    let key = key();
    let c = claims();
    let text = issue(&c, &key).unwrap();
    let trust = trust_for(&key);
    assert_eq!(
        verify(&text, &trust, c.expires_at - 1).verdict,
        Verdict::Valid
    );
    let expired = verify(&text, &trust, c.expires_at);
    assert_eq!(expired.verdict, Verdict::Expired);
    assert_eq!(expired.claims, Some(c.clone()));
    assert_eq!(verify(&text, &trust, i64::MAX).verdict, Verdict::Expired);
}

#[test]
fn issued_in_the_future_beyond_the_clock_skew_is_not_yet_valid() {
    let key = key();
    let c = claims();
    let text = issue(&c, &key).unwrap();
    let trust = trust_for(&key);
    // The verifier's clock 4 minutes behind the issuer's: accepted.
    let behind_4_min = verify(&text, &trust, c.issued_at - 4 * 60);
    assert_eq!(behind_4_min.verdict, Verdict::Valid);
    assert_eq!(behind_4_min.reason, None);
    // Exactly the allowance: accepted; one second more: refused.
    assert_eq!(
        verify(&text, &trust, c.issued_at - MAX_CLOCK_SKEW_SECS).verdict,
        Verdict::Valid
    );
    assert_eq!(
        verify(&text, &trust, c.issued_at - MAX_CLOCK_SKEW_SECS - 1).verdict,
        Verdict::NotYetValid
    );
    // 6 minutes: refused, with the reason and the (genuine) claims.
    let ahead_6_min = verify(&text, &trust, c.issued_at - 6 * 60);
    assert_eq!(ahead_6_min.verdict, Verdict::NotYetValid);
    assert_eq!(ahead_6_min.claims, Some(c.clone()));
    assert_eq!(ahead_6_min.kid, Some(key.kid()));
    let reason = ahead_6_min.reason.unwrap();
    assert!(reason.contains("360 s"), "{reason}");
    assert_eq!(
        verify(&text, &trust, c.issued_at - 86_400).verdict,
        Verdict::NotYetValid
    );
    assert_eq!(
        verify(&text, &trust, i64::MIN).verdict,
        Verdict::NotYetValid
    );
    // A revoked code is reported as revoked, whatever the clock says.
    let mut revoked = trust_for(&key);
    revoked.revoke(key.kid(), c.serial.clone(), Revocation::Superseded);
    assert_eq!(
        verify(&text, &revoked, i64::MIN).verdict,
        Verdict::Superseded
    );
}

#[test]
fn a_genuine_signature_over_a_manipulated_window_is_refused() {
    let key = key();
    let trust = trust_for(&key);
    let years = {
        let mut c = claims();
        c.expires_at = c.issued_at + 10 * 365 * 86_400;
        c
    };
    let one_second_long = {
        let mut c = claims();
        c.expires_at += 1;
        c
    };
    let one_second_short = {
        let mut c = claims();
        c.expires_at -= 1;
        c
    };
    let extreme = {
        let mut c = claims();
        c.issued_at = i64::MIN;
        c.expires_at = i64::MAX;
        c
    };
    for c in [years, one_second_long, one_second_short, extreme] {
        // The crate signs any window the format allows; the verifier enforces R1.
        let text = issue(&c, &key).unwrap();
        for now in [c.issued_at, c.issued_at.saturating_add(86_400), i64::MAX] {
            let v = verify(&text, &trust, now);
            assert_eq!(v.verdict, Verdict::InvalidWindow, "{c:?} at {now}");
            assert_eq!(v.claims.as_ref(), Some(&c));
            let reason = v.reason.unwrap();
            assert!(reason.contains("2592000 s (720 h)"), "{reason}");
        }
    }
    // Exactly 720 hours: valid.
    let c = claims();
    assert_eq!(c.expires_at - c.issued_at, VALIDITY_SECS);
    assert_eq!(
        verify(&issue(&c, &key).unwrap(), &trust, c.issued_at).verdict,
        Verdict::Valid
    );
    // The window is checked before revocation: a revoked serial with a bad window is refused for
    // its window.
    let mut long = claims();
    long.expires_at += 86_400;
    let mut revoked = trust_for(&key);
    revoked.revoke(key.kid(), long.serial.clone(), Revocation::Rejected);
    assert_eq!(
        verify(&issue(&long, &key).unwrap(), &revoked, ISSUED_AT).verdict,
        Verdict::InvalidWindow
    );
}

/// A trust source whose storage fails on the chosen lookups.
struct Failing {
    inner: TrustList,
    issuer_fails: bool,
    revocation_fails: bool,
}

impl Trust for Failing {
    fn issuer(&self, kid: &KeyId) -> Result<Option<TrustedIssuer>, TrustError> {
        if self.issuer_fails {
            return Err(TrustError::new("disk I/O error"));
        }
        self.inner.issuer(kid)
    }

    fn revocation(&self, kid: &KeyId, serial: &str) -> Result<Option<Revocation>, TrustError> {
        if self.revocation_fails {
            return Err(TrustError::new("no such table: codes"));
        }
        self.inner.revocation(kid, serial)
    }
}

#[test]
fn a_failed_trust_lookup_is_cannot_check_never_valid() {
    let key = key();
    let text = issue(&claims(), &key).unwrap();
    let failing = |issuer_fails, revocation_fails| Failing {
        inner: trust_for(&key),
        issuer_fails,
        revocation_fails,
    };

    let v = verify(&text, &failing(false, true), ISSUED_AT);
    assert_eq!(v.verdict, Verdict::CannotCheck);
    assert_eq!(
        v.reason.as_deref(),
        Some("trust data unavailable: no such table: codes")
    );
    assert_eq!(v.kid, Some(key.kid()));
    assert_eq!(v.claims, Some(claims()), "the signature did verify");

    let v = verify(&text, &failing(true, false), ISSUED_AT);
    assert_eq!(v.verdict, Verdict::CannotCheck, "not unknown_issuer");
    assert_eq!(
        v.reason.as_deref(),
        Some("trust data unavailable: disk I/O error")
    );
    assert_eq!(v.claims, None, "nothing was verified");

    // Control: the same source, working, says valid.
    assert_eq!(
        verify(&text, &failing(false, false), ISSUED_AT).verdict,
        Verdict::Valid
    );
    // Malformed text needs no lookup: still malformed.
    assert_eq!(
        verify("hello", &failing(true, true), ISSUED_AT).verdict,
        Verdict::Malformed
    );
}

#[test]
fn unknown_kid_is_unknown_issuer() {
    let key = key();
    let text = issue(&claims(), &key).unwrap();
    let stranger = StationKey::from_secret_bytes(&[0x77; 32]);
    let v = verify(&text, &trust_for(&stranger), ISSUED_AT);
    assert_eq!(v.verdict, Verdict::UnknownIssuer);
    assert_eq!(v.kid, Some(key.kid()));
    assert_eq!(v.claims, None);
    assert_eq!(
        verify(&text, &TrustList::new(), ISSUED_AT).verdict,
        Verdict::UnknownIssuer
    );
    // Unknown issuer comes before revocation and expiry.
    let mut trust = trust_for(&stranger);
    trust.revoke(key.kid(), claims().serial, Revocation::Rejected);
    assert_eq!(
        verify(&text, &trust, i64::MAX).verdict,
        Verdict::UnknownIssuer
    );
}

#[test]
fn station_id_mismatch_is_forged() {
    let key = key();
    let text = issue(&claims(), &key).unwrap();
    let mut trust = TrustList::new();
    trust.add_issuer(key.public_key(), "ST-OTHER1");
    let v = verify(&text, &trust, ISSUED_AT);
    assert_eq!(v.verdict, Verdict::Forged);
    assert_eq!(v.claims, None);
    assert_eq!(v.kid, Some(key.kid()));

    // A trusted station signing claims that name another station: also forged.
    let mut lying = claims();
    lying.station_id = "ST-OTHER1".into();
    let text = issue(&lying, &key).unwrap();
    assert_eq!(
        verify(&text, &trust_for(&key), ISSUED_AT).verdict,
        Verdict::Forged
    );
}

#[test]
fn revoked_serials() {
    let key = key();
    let text = issue(&claims(), &key).unwrap();
    for (why, verdict) in [
        (Revocation::Superseded, Verdict::Superseded),
        (Revocation::Rejected, Verdict::Rejected),
    ] {
        let mut trust = trust_for(&key);
        trust.revoke(key.kid(), claims().serial, why);
        let v = verify(&text, &trust, ISSUED_AT);
        assert_eq!(v.verdict, verdict);
        assert_eq!(v.claims, Some(claims()));
        // Revocation is reported before expiry.
        assert_eq!(verify(&text, &trust, i64::MAX).verdict, verdict);
        // Another serial's revocation does not matter.
        let mut trust = trust_for(&key);
        trust.revoke(key.kid(), "0000000000", why);
        assert_eq!(verify(&text, &trust, ISSUED_AT).verdict, Verdict::Valid);
        // Nor another station's code with the same serial: a code is (kid, serial).
        let mut trust = trust_for(&key);
        let other = StationKey::from_secret_bytes(&[0x66; 32]);
        trust.revoke(other.kid(), claims().serial, why);
        assert_eq!(verify(&text, &trust, ISSUED_AT).verdict, Verdict::Valid);
    }
}

#[test]
fn a_withdrawn_key_verifies_only_codes_dated_before_its_withdrawal() {
    let key = key();
    let c = claims();
    let text = issue(&c, &key).unwrap();
    let withdrawn_at = |t: i64| {
        let mut trust = TrustList::new();
        trust.add_issuer_until(key.public_key(), c.station_id.clone(), Some(t));
        trust
    };
    // Withdrawn after the code was dated: the code stays genuine (valid until it expires).
    assert_eq!(
        verify(&text, &withdrawn_at(c.issued_at), ISSUED_AT).verdict,
        Verdict::Valid
    );
    assert_eq!(
        verify(&text, &withdrawn_at(c.issued_at + 1), ISSUED_AT + 10).verdict,
        Verdict::Valid
    );
    // Dated after the withdrawal (a stolen key minting now): refused, before revocation.
    let v = verify(&text, &withdrawn_at(c.issued_at - 1), ISSUED_AT);
    assert_eq!(v.verdict, Verdict::KeyWithdrawn);
    assert!(v.reason.unwrap().contains("1 s after"));
    let mut revoked = withdrawn_at(c.issued_at - 1);
    revoked.revoke(key.kid(), c.serial.clone(), Revocation::Superseded);
    assert_eq!(
        verify(&text, &revoked, ISSUED_AT).verdict,
        Verdict::KeyWithdrawn
    );
}

#[test]
fn scanner_leniency() {
    let key = key();
    let text = issue(&claims(), &key).unwrap();
    let trust = trust_for(&key);
    for typed in [
        format!("{text}\r\n"),
        format!("  {text}\n"),
        format!("\t{text}"),
        text.replacen("NAC1:", "nac1:", 1),
        text.replacen("NAC1:", "Nac1:", 1),
        // Caps Lock on: every letter's case inverted.
        text.chars()
            .map(|c| {
                if c.is_ascii_uppercase() {
                    c.to_ascii_lowercase()
                } else {
                    c
                }
            })
            .collect(),
    ] {
        assert_eq!(
            verify(&typed, &trust, ISSUED_AT).verdict,
            Verdict::Valid,
            "{typed:?}"
        );
    }
    for mangled in [
        text.replacen(':', ";", 1),
        text.replacen("NAC1:", "", 1),
        text.replacen("NAC1:", "NAC1: ", 1),
        format!("{}\n{}", &text[..100], &text[100..]),
        text[..text.len() - 1].to_string(),
        format!("{text}0"),
        format!("{text}00"),
        format!("{text}000"),
        text.clone() + &text,
    ] {
        assert_eq!(
            verify(&mangled, &trust, ISSUED_AT).verdict,
            Verdict::Malformed,
            "{mangled:?}"
        );
    }
}

#[test]
fn text_is_qr_alphanumeric_and_fits_version_11_q() {
    // The brief's realistic set: 10-char serial, 36-char UUID, 3-char masked name, 8-char station.
    let mut c = claims();
    c.station_id = "ST-4KQ2P".into();
    let key = key();
    let text = issue(&c, &key).unwrap();
    assert!(text.starts_with("NAC1:"));
    assert!(
        text.bytes().all(|b| base45::ALPHABET.contains(&b)),
        "non-alphanumeric character in {text}"
    );
    // 259 alphanumeric characters is the capacity of QR version 11 at ECC level Q.
    assert!(text.len() <= 259, "{} characters", text.len());
    assert_eq!(
        text.len(),
        251,
        "length of the typical credential changed; update the docs"
    );
    let qr = qrcode::QrCode::with_error_correction_level(&text, qrcode::EcLevel::Q).unwrap();
    assert!(
        matches!(qr.version(), qrcode::Version::Normal(v) if v <= 11),
        "{:?}",
        qr.version()
    );
    // The middle-dot name style also fits, with the 9-character station ids that stations use.
    c.masked_name = "阿*·*提".into();
    c.station_id = STATION.into();
    let text = issue(&c, &key).unwrap();
    let qr = qrcode::QrCode::with_error_correction_level(&text, qrcode::EcLevel::Q).unwrap();
    assert!(
        matches!(qr.version(), qrcode::Version::Normal(v) if v <= 11),
        "{:?}",
        qr.version()
    );
}

#[test]
fn qr_capacity_assumption_holds() {
    // The size budget in docs/credential.md relies on these capacities.
    let fits = |n: usize| {
        let text = "A".repeat(n);
        match qrcode::QrCode::with_error_correction_level(&text, qrcode::EcLevel::Q)
            .unwrap()
            .version()
        {
            qrcode::Version::Normal(v) => v,
            qrcode::Version::Micro(_) => 0,
        }
    };
    assert_eq!(fits(259), 11);
    assert_eq!(fits(260), 12);
    assert_eq!(fits(296), 12);
    assert_eq!(fits(297), 13);
}

#[test]
fn largest_allowed_claims_still_issue_and_verify() {
    let key = key();
    let c = Claims {
        serial: "S".repeat(32),
        resident_ref: "R".repeat(64),
        masked_name: "𠮷".repeat(32),
        id_last4: "𠮷𠮷𠮷𠮷".into(),
        // Nine-byte integers, the longest, 720 hours apart.
        issued_at: i64::MAX - VALIDITY_SECS,
        expires_at: i64::MAX,
        station_id: "T".repeat(32),
    };
    let text = issue(&c, &key).unwrap();
    let mut trust = TrustList::new();
    trust.add_issuer(key.public_key(), c.station_id.clone());
    let v = verify(&text, &trust, c.issued_at);
    assert_eq!(v.verdict, Verdict::Valid);
    assert_eq!(v.claims, Some(c));
    assert!(text.len() < 700, "{}", text.len());
}

#[test]
fn invalid_claims_are_not_issued() {
    let key = key();
    let mut c = claims();
    c.expires_at = c.issued_at;
    assert!(matches!(
        issue(&c, &key),
        Err(CredentialError::InvalidClaims(_))
    ));
    let mut c = claims();
    c.id_last4 = "110101199003077777".into(); // a full ID number must never get in
    assert!(matches!(
        issue(&c, &key),
        Err(CredentialError::InvalidClaims(_))
    ));
}

#[test]
fn generated_keys_work() {
    let key = StationKey::generate().unwrap();
    let text = issue(&claims(), &key).unwrap();
    assert_eq!(
        verify(&text, &trust_for(&key), ISSUED_AT).verdict,
        Verdict::Valid
    );
    let restored = StationKey::from_secret_bytes(&key.secret_bytes());
    assert_eq!(issue(&claims(), &restored).unwrap(), text);
}

#[test]
fn verification_serialises_for_the_ui() {
    let key = key();
    let text = issue(&claims(), &key).unwrap();
    let v = verify(&text, &trust_for(&key), ISSUED_AT);
    let json = serde_json::to_value(&v).unwrap();
    assert_eq!(json["verdict"], "valid");
    assert_eq!(json["kid"], key.kid().to_string());
    assert_eq!(json["claims"]["masked_name"], "张*丰");
    assert_eq!(serde_json::from_value::<Verification>(json).unwrap(), v);
    let malformed = serde_json::to_value(verify("hello", &trust_for(&key), 0)).unwrap();
    assert_eq!(
        malformed,
        serde_json::json!({"verdict": "malformed", "claims": null, "kid": null, "reason": null})
    );
    let unknown = verify(&text, &TrustList::new(), 0);
    assert_eq!(
        serde_json::to_value(unknown).unwrap()["verdict"],
        "unknown_issuer"
    );
    let future = serde_json::to_value(verify(&text, &trust_for(&key), 0)).unwrap();
    assert_eq!(future["verdict"], "not_yet_valid");
    assert!(future["reason"].is_string());
}
