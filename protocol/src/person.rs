//! The pseudonymous person key: how the hub knows a resident without knowing who they are.
//!
//! `person_key = HMAC-SHA256(district secret, document type + ":" + document number)`, as 64
//! lowercase hex digits. Every station of a district receives the same secret at enrolment, so
//! the same resident has the same key at every station and on the phone channel, and R2/R3 can
//! be enforced across them; the hub itself never sees the number. A leaked hub database reveals
//! no identity (reversing the HMAC needs the secret), and the `:` separator keeps
//! `("passport", "E1")` and `("passport:E", "1")` apart.

use std::fmt;

use hmac::{Hmac, Mac};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::Sha256;

use crate::ProtocolError;

/// The district's 32-byte HMAC secret. Serialises as 64 lowercase hex digits; `Debug` hides it.
#[derive(Clone, PartialEq, Eq)]
pub struct DistrictSecret(pub [u8; 32]);

impl DistrictSecret {
    /// A fresh random secret (the hub creates one when its database is created).
    pub fn generate() -> Result<Self, getrandom::Error> {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes)?;
        Ok(Self(bytes))
    }

    /// The secret as 64 lowercase hex digits (for storing it).
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// Parses 64 hex digits.
    pub fn from_hex(s: &str) -> Result<Self, ProtocolError> {
        let mut bytes = [0u8; 32];
        hex::decode_to_slice(s, &mut bytes).map_err(|_| ProtocolError::Hex("district_secret"))?;
        Ok(Self(bytes))
    }
}

impl fmt::Debug for DistrictSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DistrictSecret(…)")
    }
}

impl Serialize for DistrictSecret {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_hex())
    }
}

impl<'de> Deserialize<'de> for DistrictSecret {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::from_hex(&text).map_err(serde::de::Error::custom)
    }
}

/// A person's pseudonymous key: exactly 64 lowercase hex digits (one spelling per person, so
/// the hub's unique indexes see one person as one key).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PersonKey(String);

impl PersonKey {
    /// Checks the form (64 lowercase hex digits).
    pub fn parse(s: &str) -> Result<Self, ProtocolError> {
        if s.len() == 64
            && s.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        {
            Ok(Self(s.to_owned()))
        } else {
            Err(ProtocolError::invalid(
                "person_key",
                "must be 64 lowercase hex digits",
            ))
        }
    }

    /// The 64 hex digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PersonKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for PersonKey {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for PersonKey {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// The person key of the resident holding document `number` of type `doc_type`.
///
/// `doc_type` is the station's stable document-type code (`resident_id`, `hk_macau_permit`,
/// `taiwan_permit`, `passport`) and `number` the number in the station's canonical form (for a
/// resident ID: 18 characters, uppercase `X`). The key is
/// `hex(HMAC-SHA256(secret, doc_type ":" number))`.
pub fn person_key(secret: &DistrictSecret, doc_type: &str, number: &str) -> PersonKey {
    // HMAC accepts keys of any length, so `new_from_slice` cannot fail for 32 bytes; the
    // fallback is unreachable but keeps the function total without a panic path.
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(&secret.0) else {
        return PersonKey(String::new());
    };
    mac.update(doc_type.as_bytes());
    mac.update(b":");
    mac.update(number.as_bytes());
    PersonKey(hex::encode(mac.finalize().into_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Test vector (also in docs/sync.md): secret = bytes 0x00..0x1f.
    #[test]
    fn person_key_vector() {
        let secret = DistrictSecret(std::array::from_fn(|i| i as u8));
        let key = person_key(&secret, "resident_id", "11010519491231002X");
        assert_eq!(
            key.as_str(),
            "f181c6ae51717d38c4ef10716c75110632dbe05c57d2a6372569b186bed3e8da"
        );
    }

    #[test]
    fn person_key_separates_type_and_number() {
        let secret = DistrictSecret([7; 32]);
        let a = person_key(&secret, "passport", "E1");
        let b = person_key(&secret, "passport:E", "1");
        let c = person_key(&secret, "resident_id", "E1");
        assert_ne!(a, b);
        assert_ne!(a, c);
        assert_eq!(a, person_key(&secret, "passport", "E1"));
        assert_ne!(a, person_key(&DistrictSecret([8; 32]), "passport", "E1"));
        assert!(PersonKey::parse(a.as_str()).is_ok());
    }

    #[test]
    fn person_key_form() {
        assert!(PersonKey::parse(&"a".repeat(64)).is_ok());
        assert!(PersonKey::parse(&"A".repeat(64)).is_err());
        assert!(PersonKey::parse(&"a".repeat(63)).is_err());
        assert!(PersonKey::parse(&"g".repeat(64)).is_err());
        assert!(serde_json::from_str::<PersonKey>(&format!("\"{}\"", "0".repeat(64))).is_ok());
    }

    #[test]
    fn secret_hex_and_debug() {
        let s = DistrictSecret([0xab; 32]);
        assert_eq!(DistrictSecret::from_hex(&s.to_hex()).unwrap(), s);
        assert!(!format!("{s:?}").contains("ab"));
        assert!(DistrictSecret::from_hex("zz").is_err());
    }
}
