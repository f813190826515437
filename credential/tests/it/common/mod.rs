//! Shared fixtures for the integration tests.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use nac_credential::{Claims, StationKey, TrustList};

pub const STATION: &str = "ST-4KQ2PZ";
pub const ISSUED_AT: i64 = 1_767_225_600; // 2026-01-01T00:00:00Z
pub const DAYS_30: i64 = 30 * 86_400;

/// A realistic claim set: 10-character serial, 36-character UUID, 3-character masked name.
pub fn claims() -> Claims {
    Claims {
        serial: "7K3QD9XAZM".into(),
        resident_ref: "3f2b9c4e-1d7a-4b8e-9f01-23456789abcd".into(),
        masked_name: "张*丰".into(),
        id_last4: "123X".into(),
        issued_at: ISSUED_AT,
        expires_at: ISSUED_AT + DAYS_30,
        station_id: STATION.into(),
    }
}

pub fn key() -> StationKey {
    StationKey::from_secret_bytes(&[0x5a; 32])
}

/// A trust list holding `key` for `STATION`.
pub fn trust_for(key: &StationKey) -> TrustList {
    let mut trust = TrustList::new();
    trust.add_issuer(key.public_key(), STATION);
    trust
}

pub mod wrap;
