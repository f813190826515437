//! Sample values shared by the protocol's tests (and, through `examples`, by docs/sync.md).
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use nac_credential::{issue, Claims, StationKey, VALIDITY_SECS};
use nac_protocol::*;

/// The key of credential test vector `basic` (docs/credential.md §9).
pub fn station_key() -> StationKey {
    StationKey::from_secret_bytes(&std::array::from_fn(|i| i as u8))
}

pub const STATION: &str = "ST-4KQ2PZ";
pub const SECRET_HEX: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
pub const ISSUED_AT: i64 = 1_767_225_600;

pub fn district_secret() -> DistrictSecret {
    DistrictSecret(std::array::from_fn(|i| i as u8))
}

pub fn credential(serial: &str, issued_at: i64) -> String {
    let claims = Claims {
        serial: serial.into(),
        resident_ref: "3f2b9c4e-1d7a-4b8e-9f01-23456789abcd".into(),
        masked_name: "张*丰".into(),
        id_last4: "123X".into(),
        issued_at,
        expires_at: issued_at + VALIDITY_SECS,
        station_id: STATION.into(),
    };
    issue(&claims, &station_key()).unwrap()
}

pub fn event(event_id: &str, serial: &str, issued_at: i64) -> Event {
    let credential = credential(serial, issued_at);
    Event {
        event_id: event_id.into(),
        person_key: person_key(&district_secret(), "resident_id", "11010519491231002X"),
        capacity: Capacity::Volunteer,
        channel: Channel::Station(STATION.into()),
        volunteer: Some("ST-4KQ2PZ/v-01".into()),
        code: Code {
            serial: serial.into(),
            issued_at,
            expires_at: issued_at + VALIDITY_SECS,
            kid: station_key().kid(),
            sealed: Some(sealed(serial, &credential)),
            credential,
        },
        supersedes: None,
    }
}

/// A credential sealed for stations with a nonce made from its serial, so the examples in
/// docs/sync.md are reproducible (real seals use a random nonce).
pub fn sealed(serial: &str, credential: &str) -> String {
    let mut nonce = [0u8; 24];
    for (i, b) in serial.bytes().cycle().take(24).enumerate() {
        nonce[i] = b ^ (i as u8);
    }
    seal_credential_with_nonce(
        &district_secret(),
        &station_key().kid(),
        serial,
        credential,
        nonce,
    )
    .unwrap()
}
