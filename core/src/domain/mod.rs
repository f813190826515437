//! Domain values, validated at the edge so the rest of the core never sees a malformed one.

pub mod address;
pub mod document;
pub mod person;

pub use address::{Address, AddressError, AddressPart};
pub use document::{Document, DocumentError, DocumentType};
pub use person::{NameError, PersonName, Phone, PhoneError};

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// In what capacity an application is made (R5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Capacity {
    /// The resident applies for themself (at the station, with a volunteer operating the app).
    #[serde(rename = "self")]
    OwnBehalf,
    /// A family member applies on the resident's behalf (亲属代领).
    Family,
    /// A station volunteer applies on the resident's behalf.
    Volunteer,
}

impl Capacity {
    pub fn as_str(self) -> &'static str {
        match self {
            Capacity::OwnBehalf => "self",
            Capacity::Family => "family",
            Capacity::Volunteer => "volunteer",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Capacity::OwnBehalf => "本人",
            Capacity::Family => "亲属代领",
            Capacity::Volunteer => "志愿者代领",
        }
    }
}

impl fmt::Display for Capacity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("身份应为 self、family 或 volunteer，而不是“{0}” / capacity must be self, family or volunteer, not \"{0}\"")]
pub struct CapacityError(pub String);

impl FromStr for Capacity {
    type Err = CapacityError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "self" | "本人" => Ok(Capacity::OwnBehalf),
            "family" | "亲属" | "亲属代领" => Ok(Capacity::Family),
            "volunteer" | "志愿者" | "志愿者代领" => Ok(Capacity::Volunteer),
            other => Err(CapacityError(other.to_string())),
        }
    }
}
