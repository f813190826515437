//! Identifier formats (event ids, serials, station ids) and random values: one implementation
//! for the station and the hub.
//!
//! Serials are printed on cards and read aloud, so they use Crockford's base32 (no I, L, O, U)
//! and are short; 50 random bits keep collisions across a district negligible, and a database's
//! UNIQUE constraint turns the remaining chance into a retry rather than a clash.

/// Crockford's base32 alphabet: unambiguous read aloud or typed from paper.
pub const CROCKFORD: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// A canonical lowercase hyphenated UUID (`xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`, `0-9a-f`):
/// the form of an event id. One spelling per id, so the idempotency key cannot be dodged by
/// changing case.
pub fn is_event_id(s: &str) -> bool {
    s.len() == 36
        && s.bytes().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => b == b'-',
            _ => b.is_ascii_digit() || (b'a'..=b'f').contains(&b),
        })
}

/// A code serial as the credential allows it: 1–32 printable ASCII characters (`!`–`~`).
pub fn is_serial(s: &str) -> bool {
    (1..=nac_credential::MAX_SERIAL_LEN).contains(&s.len())
        && s.bytes().all(|b| b.is_ascii_graphic())
}

/// A station id: 1–32 characters of `A-Z a-z 0-9 - _ .` (the hub assigns `ST-` + 6 characters).
pub fn is_station_id(s: &str) -> bool {
    (1..=nac_credential::MAX_STATION_ID_LEN).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// `n` random bytes from the operating system, as lowercase hex (for nonces and enrolment codes).
pub fn random_hex(n: usize) -> Result<String, getrandom::Error> {
    let mut bytes = vec![0u8; n];
    getrandom::fill(&mut bytes)?;
    Ok(hex::encode(bytes))
}

/// A fresh random (version 4) event id in canonical form.
pub fn new_event_id() -> Result<String, getrandom::Error> {
    let mut b = [0u8; 16];
    getrandom::fill(&mut b)?;
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex::encode(b);
    Ok(format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    ))
}

/// `n` random Crockford base32 characters (each from one random byte: 256 is a multiple of 32,
/// so every character is equally likely).
pub fn random_crockford(n: usize) -> Result<String, getrandom::Error> {
    let mut bytes = vec![0u8; n];
    getrandom::fill(&mut bytes)?;
    Ok(bytes
        .iter()
        .map(|b| CROCKFORD[usize::from(b & 31)] as char)
        .collect())
}

/// A code serial: 10 Crockford base32 characters (50 bits).
pub fn new_serial() -> Result<String, getrandom::Error> {
    random_crockford(10)
}

/// A station id: `ST-` and 6 Crockford base32 characters.
pub fn new_station_id() -> Result<String, getrandom::Error> {
    Ok(format!("ST-{}", random_crockford(6)?))
}

/// `7K3QD9XAZM` → `7K3QD-9XAZM`, easier to read aloud and compare with the ledger.
pub fn display_serial(serial: &str) -> String {
    if serial.len() == 10 && serial.is_ascii() {
        format!("{}-{}", &serial[..5], &serial[5..])
    } else {
        serial.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_ids() {
        assert!(is_event_id("3f2b9c4e-1d7a-4b8e-9f01-23456789abcd"));
        assert!(!is_event_id("3F2B9C4E-1D7A-4B8E-9F01-23456789ABCD"));
        assert!(!is_event_id("3f2b9c4e1d7a4b8e9f0123456789abcd"));
        assert!(!is_event_id("3f2b9c4e-1d7a-4b8e-9f01-23456789abcg"));
        assert!(!is_event_id(""));
        let fresh = new_event_id().unwrap();
        assert!(is_event_id(&fresh), "{fresh}");
        assert_ne!(fresh, new_event_id().unwrap());
    }

    #[test]
    fn serials_and_stations() {
        assert!(is_serial("7K3QD9XAZM"));
        assert!(!is_serial(""));
        assert!(!is_serial("a b"));
        assert!(!is_serial(&"A".repeat(33)));
        assert!(is_station_id("ST-4KQ2PZ"));
        assert!(!is_station_id("ST 4KQ2PZ"));
        assert!(!is_station_id(""));
        assert_eq!(random_hex(16).unwrap().len(), 32);
        let serial = new_serial().unwrap();
        assert!(serial.len() == 10 && serial.bytes().all(|b| CROCKFORD.contains(&b)));
        assert!(is_station_id(&new_station_id().unwrap()));
        assert_eq!(display_serial("7K3QD9XAZM"), "7K3QD-9XAZM");
        assert_eq!(display_serial("short"), "short");
    }
}
