//! The claims a credential carries, their rules, and their CBOR map.
//!
//! | key | claim          | CBOR type                                                   |
//! |-----|----------------|-------------------------------------------------------------|
//! | 1   | `serial`       | text, 1–32 bytes of printable ASCII                         |
//! | 2   | `resident_ref` | bytes(16) for a lowercase hyphenated UUID, else text, 1–64 bytes of printable ASCII |
//! | 3   | `masked_name`  | text, 1–128 bytes of UTF-8, no control characters           |
//! | 4   | `id_last4`     | text, 0–4 characters, no control characters                 |
//! | 5   | `issued_at`    | integer (unix seconds, UTC)                                 |
//! | 6   | `expires_at`   | integer (unix seconds, UTC), greater than `issued_at`       |
//! | 7   | `station_id`   | text, 1–32 bytes of printable ASCII                         |

use minicbor::data::Type;
use minicbor::Decoder;
use serde::{Deserialize, Serialize};

use crate::cbor;
use crate::CredentialError;

/// What a credential states about a resident's code. Contains no full ID number and no phone
/// number: a lost card must not leak them.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Claims {
    /// The code's serial, e.g. `7K3QD9XAZM` (Crockford base32). Revocation is by serial.
    pub serial: String,
    /// Opaque, stable reference to the resident (a UUID), never the ID number.
    pub resident_ref: String,
    /// The resident's name with all but its first and last characters masked, e.g. `张*丰`.
    pub masked_name: String,
    /// The last (up to) 4 characters of the resident's document number, e.g. `123X`. Issuers put
    /// in no more than half of the number (rounded down): `34` for the passport `E1234`, since a
    /// card is shown to anyone. Verifiers show whatever is there; older codes may carry 4.
    pub id_last4: String,
    /// When the code was issued, unix seconds UTC.
    pub issued_at: i64,
    /// When the code stops being valid, unix seconds UTC (valid while `now < expires_at`).
    /// The format only requires `expires_at > issued_at`; [`crate::verify`] accepts nothing but
    /// `issued_at +` [`crate::VALIDITY_SECS`] (R1).
    pub expires_at: i64,
    /// The issuing station, e.g. `ST-4KQ2PZ`; must match the station the signing key belongs to.
    pub station_id: String,
}

/// Claim keys of the CBOR map.
mod key {
    pub const SERIAL: u64 = 1;
    pub const RESIDENT_REF: u64 = 2;
    pub const MASKED_NAME: u64 = 3;
    pub const ID_LAST4: u64 = 4;
    pub const ISSUED_AT: u64 = 5;
    pub const EXPIRES_AT: u64 = 6;
    pub const STATION_ID: u64 = 7;
    pub const COUNT: u64 = 7;
}

/// Length limits, in bytes of UTF-8 unless stated otherwise.
pub const MAX_SERIAL_LEN: usize = 32;
/// Maximum length of `resident_ref`.
pub const MAX_RESIDENT_REF_LEN: usize = 64;
/// Maximum length of `masked_name`.
pub const MAX_MASKED_NAME_LEN: usize = 128;
/// Maximum length of `id_last4`, in characters.
pub const MAX_ID_LAST4_CHARS: usize = 4;
/// Maximum length of `station_id`.
pub const MAX_STATION_ID_LEN: usize = 32;

impl Claims {
    /// Checks the format's rules: the lengths and characters in the module table and
    /// `expires_at > issued_at`. [`crate::issue`] refuses claims that fail, and a credential
    /// whose claims fail is [`crate::Verdict::Malformed`].
    pub fn validate(&self) -> Result<(), CredentialError> {
        use CredentialError::InvalidClaims as E;
        if !printable_ascii(&self.serial, MAX_SERIAL_LEN) {
            return Err(E("serial must be 1-32 printable ASCII characters"));
        }
        if !printable_ascii(&self.resident_ref, MAX_RESIDENT_REF_LEN) {
            return Err(E("resident_ref must be 1-64 printable ASCII characters"));
        }
        if self.masked_name.is_empty()
            || self.masked_name.len() > MAX_MASKED_NAME_LEN
            || self.masked_name.chars().any(char::is_control)
        {
            return Err(E(
                "masked_name must be 1-128 bytes of UTF-8 without control characters",
            ));
        }
        if self.id_last4.chars().count() > MAX_ID_LAST4_CHARS
            || self.id_last4.chars().any(char::is_control)
        {
            return Err(E(
                "id_last4 must be at most 4 characters, no control characters",
            ));
        }
        if self.expires_at <= self.issued_at {
            return Err(E("expires_at must be after issued_at"));
        }
        if !printable_ascii(&self.station_id, MAX_STATION_ID_LEN) {
            return Err(E("station_id must be 1-32 printable ASCII characters"));
        }
        Ok(())
    }

    /// Appends the claims' CBOR map (keys in ascending order, preferred serialisation).
    /// The claims must already be valid.
    pub(crate) fn encode_into(&self, out: &mut Vec<u8>) {
        cbor::head(out, cbor::MAJOR_MAP, key::COUNT);
        cbor::head(out, cbor::MAJOR_UNSIGNED, key::SERIAL);
        cbor::text(out, &self.serial);
        cbor::head(out, cbor::MAJOR_UNSIGNED, key::RESIDENT_REF);
        match uuid_bytes(&self.resident_ref) {
            Some(uuid) => cbor::bytes(out, &uuid),
            None => cbor::text(out, &self.resident_ref),
        }
        cbor::head(out, cbor::MAJOR_UNSIGNED, key::MASKED_NAME);
        cbor::text(out, &self.masked_name);
        cbor::head(out, cbor::MAJOR_UNSIGNED, key::ID_LAST4);
        cbor::text(out, &self.id_last4);
        cbor::head(out, cbor::MAJOR_UNSIGNED, key::ISSUED_AT);
        cbor::int(out, self.issued_at);
        cbor::head(out, cbor::MAJOR_UNSIGNED, key::EXPIRES_AT);
        cbor::int(out, self.expires_at);
        cbor::head(out, cbor::MAJOR_UNSIGNED, key::STATION_ID);
        cbor::text(out, &self.station_id);
    }

    /// Decodes and validates a claims map that must fill `bytes` exactly. Keys may come in any
    /// order, each exactly once; unknown keys are refused.
    pub(crate) fn decode(bytes: &[u8]) -> Result<Self, CredentialError> {
        use CredentialError::ClaimsEncoding as E;
        let mut d = Decoder::new(bytes);
        if d.map().map_err(|_| E("not a map"))? != Some(key::COUNT) {
            return Err(E("claims map must have exactly 7 entries"));
        }
        let mut seen = 0u8;
        let mut claims = Claims {
            serial: String::new(),
            resident_ref: String::new(),
            masked_name: String::new(),
            id_last4: String::new(),
            issued_at: 0,
            expires_at: 0,
            station_id: String::new(),
        };
        for _ in 0..key::COUNT {
            let k = d
                .u64()
                .map_err(|_| E("claim key is not an unsigned integer"))?;
            if !(1..=key::COUNT).contains(&k) {
                return Err(E("unknown claim key"));
            }
            let bit = 1u8 << k;
            if seen & bit != 0 {
                return Err(E("duplicate claim key"));
            }
            seen |= bit;
            let text = |d: &mut Decoder<'_>| {
                d.str()
                    .map(str::to_owned)
                    .map_err(|_| E("claim is not a definite-length text string"))
            };
            let int = |d: &mut Decoder<'_>| d.i64().map_err(|_| E("claim is not a 64-bit integer"));
            match k {
                key::SERIAL => claims.serial = text(&mut d)?,
                key::RESIDENT_REF => {
                    claims.resident_ref = match d.datatype() {
                        Ok(Type::Bytes) => {
                            let b = d.bytes().map_err(|_| E("resident_ref bytes"))?;
                            let uuid = <&[u8; 16]>::try_from(b)
                                .map_err(|_| E("resident_ref bytes must be a 16-byte UUID"))?;
                            uuid_string(uuid)
                        }
                        _ => text(&mut d)?,
                    }
                }
                key::MASKED_NAME => claims.masked_name = text(&mut d)?,
                key::ID_LAST4 => claims.id_last4 = text(&mut d)?,
                key::ISSUED_AT => claims.issued_at = int(&mut d)?,
                key::EXPIRES_AT => claims.expires_at = int(&mut d)?,
                _ => claims.station_id = text(&mut d)?,
            }
        }
        if d.position() != bytes.len() {
            return Err(E("trailing bytes after the claims map"));
        }
        claims.validate()?;
        Ok(claims)
    }
}

fn printable_ascii(s: &str, max: usize) -> bool {
    !s.is_empty() && s.len() <= max && s.bytes().all(|b| b.is_ascii_graphic())
}

/// The 16 bytes of `s` if it is a UUID in canonical lowercase hyphenated form
/// (`8-4-4-4-12` hex digits), the only form that [`uuid_string`] gives back identically.
fn uuid_bytes(s: &str) -> Option<[u8; 16]> {
    let s = s.as_bytes();
    if s.len() != 36 {
        return None;
    }
    let mut out = [0u8; 16];
    let mut digits = s
        .iter()
        .enumerate()
        .filter(|&(i, _)| !matches!(i, 8 | 13 | 18 | 23));
    for byte in &mut out {
        let (_, &hi) = digits.next()?;
        let (_, &lo) = digits.next()?;
        *byte = lower_hex(hi)? << 4 | lower_hex(lo)?;
    }
    [8, 13, 18, 23].iter().all(|&i| s[i] == b'-').then_some(out)
}

fn lower_hex(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    }
}

fn uuid_string(b: &[u8; 16]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(36);
    for (i, byte) in b.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            s.push('-');
        }
        s.push(char::from(HEX[usize::from(byte >> 4)]));
        s.push(char::from(HEX[usize::from(byte & 0xf)]));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn sample() -> Claims {
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

    fn encoded(c: &Claims) -> Vec<u8> {
        let mut v = Vec::new();
        c.encode_into(&mut v);
        v
    }

    #[test]
    fn uuid_compaction_only_for_canonical_lowercase() {
        let c = sample();
        let uuid = uuid_bytes(&c.resident_ref).unwrap();
        assert_eq!(uuid_string(&uuid), c.resident_ref);
        assert_eq!(uuid[0], 0x3f);
        assert_eq!(uuid[15], 0xcd);
        for not_canonical in [
            "3F2B9C4E-1D7A-4B8E-9F01-23456789ABCD",
            "3f2b9c4e1d7a4b8e9f0123456789abcd",
            "3f2b9c4e-1d7a-4b8e-9f01-23456789abc",
            "3f2b9c4e-1d7a-4b8e-9f01_23456789abcd",
            "3f2b9c4e-1d7a-4b8e-9f0-123456789abcd",
            "{3f2b9c4e-1d7a-4b8e-9f01-23456789ab}",
        ] {
            assert_eq!(uuid_bytes(not_canonical), None, "{not_canonical}");
        }
    }

    #[test]
    fn encoding_is_the_documented_map() {
        let bytes = encoded(&sample());
        let mut expected = vec![0xa7, 0x01, 0x6a];
        expected.extend_from_slice(b"7K3QD9XAZM");
        expected.extend_from_slice(&[0x02, 0x50]);
        expected.extend_from_slice(&uuid_bytes(&sample().resident_ref).unwrap());
        expected.extend_from_slice(&[0x03, 0x67]);
        expected.extend_from_slice("张*丰".as_bytes());
        expected.extend_from_slice(&[0x04, 0x64]);
        expected.extend_from_slice(b"123X");
        expected.extend_from_slice(&[0x05, 0x1a]);
        expected.extend_from_slice(&1_767_225_600u32.to_be_bytes());
        expected.extend_from_slice(&[0x06, 0x1a]);
        expected.extend_from_slice(&1_769_817_600u32.to_be_bytes());
        expected.extend_from_slice(&[0x07, 0x69]);
        expected.extend_from_slice(b"ST-4KQ2PZ");
        assert_eq!(bytes, expected);
        assert_eq!(Claims::decode(&bytes).unwrap(), sample());
    }

    #[test]
    fn text_resident_ref_round_trips() {
        let mut c = sample();
        c.resident_ref = "R-000042".into();
        assert_eq!(Claims::decode(&encoded(&c)).unwrap(), c);
        c.resident_ref = c.resident_ref.to_uppercase();
        assert_eq!(Claims::decode(&encoded(&c)).unwrap(), c);
    }

    type Mutation = Box<dyn Fn(&mut Claims)>;

    #[test]
    fn validation_rules() {
        let ok = sample();
        assert_eq!(ok.validate(), Ok(()));
        let cases: Vec<(&str, Mutation)> = vec![
            ("empty serial", Box::new(|c| c.serial.clear())),
            ("long serial", Box::new(|c| c.serial = "A".repeat(33))),
            (
                "serial with space",
                Box::new(|c| c.serial = "7K3 QD".into()),
            ),
            ("non-ascii serial", Box::new(|c| c.serial = "7K3Ö".into())),
            ("empty ref", Box::new(|c| c.resident_ref.clear())),
            ("long ref", Box::new(|c| c.resident_ref = "r".repeat(65))),
            ("empty name", Box::new(|c| c.masked_name.clear())),
            ("long name", Box::new(|c| c.masked_name = "张".repeat(43))),
            (
                "control in name",
                Box::new(|c| c.masked_name = "张\n丰".into()),
            ),
            ("five last4", Box::new(|c| c.id_last4 = "1234X".into())),
            ("control last4", Box::new(|c| c.id_last4 = "12\u{7}".into())),
            ("equal times", Box::new(|c| c.expires_at = c.issued_at)),
            (
                "reversed times",
                Box::new(|c| c.expires_at = c.issued_at - 1),
            ),
            ("empty station", Box::new(|c| c.station_id.clear())),
            ("long station", Box::new(|c| c.station_id = "S".repeat(33))),
        ];
        for (what, mutate) in cases {
            let mut c = ok.clone();
            mutate(&mut c);
            assert!(
                matches!(c.validate(), Err(CredentialError::InvalidClaims(_))),
                "{what} accepted"
            );
        }
        let mut edge = ok.clone();
        edge.serial = "A".repeat(32);
        edge.masked_name = "𠮷".repeat(32); // 128 bytes
        edge.id_last4 = String::new();
        edge.expires_at = edge.issued_at + 1;
        assert_eq!(edge.validate(), Ok(()));
    }

    fn entry(key: u64, value: &[u8]) -> Vec<u8> {
        let mut v = Vec::new();
        cbor::head(&mut v, cbor::MAJOR_UNSIGNED, key);
        v.extend_from_slice(value);
        v
    }

    /// A claims map from raw entries, to build malformed ones.
    fn map_of(entries: &[Vec<u8>]) -> Vec<u8> {
        let mut v = Vec::new();
        cbor::head(&mut v, cbor::MAJOR_MAP, entries.len() as u64);
        entries.iter().for_each(|e| v.extend_from_slice(e));
        v
    }

    fn good_entries() -> Vec<Vec<u8>> {
        let c = sample();
        let t = |s: &str| {
            let mut v = Vec::new();
            cbor::text(&mut v, s);
            v
        };
        let i = |n: i64| {
            let mut v = Vec::new();
            cbor::int(&mut v, n);
            v
        };
        vec![
            entry(1, &t(&c.serial)),
            entry(2, &t(&c.resident_ref)),
            entry(3, &t(&c.masked_name)),
            entry(4, &t(&c.id_last4)),
            entry(5, &i(c.issued_at)),
            entry(6, &i(c.expires_at)),
            entry(7, &t(&c.station_id)),
        ]
    }

    #[test]
    fn decoding_accepts_any_key_order_and_text_uuid() {
        let mut entries = good_entries();
        entries.reverse();
        assert_eq!(Claims::decode(&map_of(&entries)).unwrap(), sample());
    }

    #[test]
    fn decoding_rejects_malformed_maps() {
        let good = good_entries();
        let mut cases: Vec<(&str, Vec<u8>)> = Vec::new();
        cases.push(("six entries", map_of(&good[..6])));
        let mut dup = good.clone();
        dup[6] = entry(1, &[0x61, b'A']);
        cases.push(("duplicate key", map_of(&dup)));
        let mut unknown = good.clone();
        unknown[6] = entry(8, &[0x61, b'A']);
        cases.push(("unknown key", map_of(&unknown)));
        let mut zero = good.clone();
        zero[0] = entry(0, &[0x61, b'A']);
        cases.push(("key zero", map_of(&zero)));
        let mut text_key = good.clone();
        text_key[0] = [vec![0x61, b'1'], vec![0x61, b'A']].concat();
        cases.push(("text key", map_of(&text_key)));
        let mut int_serial = good.clone();
        int_serial[0] = entry(1, &[0x05]);
        cases.push(("integer serial", map_of(&int_serial)));
        let mut text_time = good.clone();
        text_time[4] = entry(5, &[0x61, b'5']);
        cases.push(("text time", map_of(&text_time)));
        let mut float_time = good.clone();
        float_time[4] = entry(5, &[0xf9, 0x3c, 0x00]);
        cases.push(("float time", map_of(&float_time)));
        let mut big_time = good.clone();
        big_time[5] = entry(6, &[0x1b, 0x80, 0, 0, 0, 0, 0, 0, 0]);
        cases.push(("time beyond i64", map_of(&big_time)));
        let mut short_uuid = good.clone();
        short_uuid[1] = entry(2, &[0x4f; 16]); // bytes(15)
        cases.push(("15-byte uuid", map_of(&short_uuid)));
        let mut indefinite = good.clone();
        indefinite[0] = entry(1, &[0x7f, 0x61, b'A', 0xff]);
        cases.push(("indefinite text", map_of(&indefinite)));
        let mut bad_utf8 = good.clone();
        bad_utf8[2] = entry(3, &[0x62, 0xc3, 0x28]);
        cases.push(("invalid utf-8", map_of(&bad_utf8)));
        let mut expired_before = good.clone();
        expired_before[5] = entry(6, &[0x00]);
        cases.push(("expires before issued", map_of(&expired_before)));
        let mut trailing = map_of(&good);
        trailing.push(0x00);
        cases.push(("trailing byte", trailing));
        let mut indefinite_map = vec![0xbf];
        good.iter()
            .for_each(|e| indefinite_map.extend_from_slice(e));
        indefinite_map.push(0xff);
        cases.push(("indefinite map", indefinite_map));
        cases.push(("array", vec![0x80]));
        cases.push(("empty", vec![]));
        let mut truncated = map_of(&good);
        truncated.pop();
        cases.push(("truncated", truncated));
        for (what, bytes) in cases {
            assert!(Claims::decode(&bytes).is_err(), "{what} accepted");
        }
    }
}
