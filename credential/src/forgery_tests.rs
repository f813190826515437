//! Tests that need to forge, which the public API (rightly) cannot do.

use super::*;

fn claims() -> Claims {
    Claims {
        serial: "7K3QD9XAZM".into(),
        resident_ref: "3f2b9c4e-1d7a-4b8e-9f01-23456789abcd".into(),
        masked_name: "张*丰".into(),
        id_last4: "123X".into(),
        issued_at: 1_767_225_600,
        expires_at: 1_769_817_600,
        station_id: "ST-4KQ2PZ".into(),
    }
}

#[test]
fn another_key_under_the_trusted_kid_is_forged() {
    let genuine = StationKey::from_secret_bytes(&[1; 32]);
    let impostor = StationKey::from_secret_bytes(&[2; 32]);
    let mut trust = TrustList::new();
    trust.add_issuer(genuine.public_key(), "ST-4KQ2PZ");

    let forged = issue_naming(&claims(), &impostor, &genuine.kid()).unwrap();
    let (kid, decoded) = decode_unverified(&forged).unwrap();
    assert_eq!(kid, genuine.kid());
    assert_eq!(decoded, claims());
    let v = verify(&forged, &trust, claims().issued_at);
    assert_eq!(v.verdict, Verdict::Forged);
    assert_eq!(v.claims, None);
    assert_eq!(v.kid, Some(genuine.kid()));

    // Control: the same claims signed by the genuine key are valid.
    let real = issue(&claims(), &genuine).unwrap();
    assert_eq!(
        verify(&real, &trust, claims().issued_at).verdict,
        Verdict::Valid
    );
}

#[test]
fn forged_wins_over_revoked_and_expired() {
    // Order of checks: a forged code that is also revoked and expired is reported as forged.
    let genuine = StationKey::from_secret_bytes(&[1; 32]);
    let impostor = StationKey::from_secret_bytes(&[2; 32]);
    let mut trust = TrustList::new();
    trust.add_issuer(genuine.public_key(), "ST-4KQ2PZ");
    trust.revoke(genuine.kid(), "7K3QD9XAZM", Revocation::Rejected);
    let forged = issue_naming(&claims(), &impostor, &genuine.kid()).unwrap();
    assert_eq!(verify(&forged, &trust, i64::MAX).verdict, Verdict::Forged);
}
