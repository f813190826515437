//! The protocol version marker every top-level message carries as `"v": 1`.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Protocol version 1. Serialises as the number `1`; deserialising anything else fails, so a
/// message of another version is refused as a whole (HTTP 400) rather than misread.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct V1;

impl V1 {
    /// The number on the wire.
    pub const NUMBER: u64 = 1;
}

impl Serialize for V1 {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u64(Self::NUMBER)
    }
}

impl<'de> Deserialize<'de> for V1 {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let n = u64::deserialize(deserializer)?;
        if n == Self::NUMBER {
            Ok(V1)
        } else {
            Err(serde::de::Error::custom(format!(
                "unsupported protocol version {n}: this side speaks version 1"
            )))
        }
    }
}
