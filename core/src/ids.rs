//! Random identifiers: record uids, code serials, station ids, outbox event ids.
//!
//! Serials are printed on cards and read aloud, so they use Crockford's base32 (no I, L, O, U)
//! and are short; 50 random bits keep collisions across a district negligible, and the
//! database's UNIQUE constraint turns the remaining chance into a retry rather than a clash.

const CROCKFORD: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

fn random_bytes<const N: usize>() -> [u8; N] {
    let mut buf = [0u8; N];
    if getrandom::fill(&mut buf).is_err() {
        // The OS random source never fails on Linux after boot; fall back to time-derived bytes
        // rather than aborting a volunteer's renewal.
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        for (i, b) in buf.iter_mut().enumerate() {
            *b = (nanos >> ((i % 16) * 8)) as u8 ^ (i as u8).wrapping_mul(151);
        }
    }
    buf
}

/// A version-4 UUID string, e.g. `3f2b…-4…`.
pub fn new_uid() -> String {
    let mut b = random_bytes::<16>();
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

fn crockford(len: usize) -> String {
    let bytes = random_bytes::<16>();
    let mut bits: u128 = u128::from_le_bytes(bytes);
    (0..len)
        .map(|_| {
            let c = CROCKFORD[(bits & 31) as usize] as char;
            bits >>= 5;
            c
        })
        .collect()
}

/// A code serial: 10 Crockford base32 characters (50 bits).
pub fn new_serial() -> String {
    crockford(10)
}

/// A station id: `ST-` and 6 Crockford base32 characters.
pub fn new_station_id() -> String {
    format!("ST-{}", crockford(6))
}

/// `7K3QD9XAZM` → `7K3QD-9XAZM`, easier to read aloud and compare with the ledger.
pub fn display_serial(serial: &str) -> String {
    if serial.len() == 10 && serial.is_ascii() {
        format!("{}-{}", &serial[..5], &serial[5..])
    } else {
        serial.to_string()
    }
}
