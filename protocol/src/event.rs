//! One application as it travels from a station's outbox to the hub.
//!
//! An [`Event`] says: *this person* (by [`PersonKey`]) was issued *this code* (serial, times,
//! signing key, credential text), *in this capacity*, *through this channel*, *by this
//! volunteer*, replacing *that serial*. It carries no ID number, name or phone: the person is
//! known by the HMAC key, and the credential (which shows a masked name and the last 4
//! characters of the number) comes twice — in the clear for the hub to verify in memory, and
//! sealed under the district secret, the only form the hub stores ([`crate::seal_credential`]).

use std::fmt;

use nac_credential::KeyId;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::ids::{is_event_id, is_serial, is_station_id};
use crate::{PersonKey, ProtocolError};

/// The channel name of residents' own phone renewals (the hub issues those codes itself).
pub const PHONE_CHANNEL: &str = "phone";

/// The longest volunteer id (a station-scoped stable id such as `ST-4KQ2PZ/v-3f9a`).
pub const MAX_VOLUNTEER_LEN: usize = 64;

/// In what capacity the application was made (R5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum Capacity {
    /// The person applied for themselves (`"self"`).
    #[serde(rename = "self")]
    Own,
    /// A family member applied on their behalf (亲属码).
    Family,
    /// A station volunteer applied on their behalf.
    Volunteer,
}

impl Capacity {
    /// The wire name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Capacity::Own => "self",
            Capacity::Family => "family",
            Capacity::Volunteer => "volunteer",
        }
    }

    /// Parses a wire name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "self" => Some(Capacity::Own),
            "family" => Some(Capacity::Family),
            "volunteer" => Some(Capacity::Volunteer),
            _ => None,
        }
    }
}

impl fmt::Display for Capacity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a person typed for a capacity was none of them.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("身份应为 self、family 或 volunteer，而不是“{0}” / capacity must be self, family or volunteer, not \"{0}\"")]
pub struct CapacityError(pub String);

/// What people type (the CLI's `--capacity`, a roster cell): the wire names or their Chinese.
impl std::str::FromStr for Capacity {
    type Err = CapacityError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "self" | "本人" => Ok(Capacity::Own),
            "family" | "亲属" | "亲属代领" => Ok(Capacity::Family),
            "volunteer" | "志愿者" | "志愿者代领" => Ok(Capacity::Volunteer),
            other => Err(CapacityError(other.to_string())),
        }
    }
}

/// Through which channel the application came: a station (by its hub-assigned id) or the
/// resident's phone (`"phone"`). A JSON string either way.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Channel {
    /// A station, by its hub-assigned station id.
    Station(String),
    /// The resident's own phone renewal, issued by the hub.
    Phone,
}

impl Channel {
    /// The wire form: the station id, or `phone`.
    pub fn as_str(&self) -> &str {
        match self {
            Channel::Station(id) => id,
            Channel::Phone => PHONE_CHANNEL,
        }
    }

    /// Reads the wire form (any non-`phone` text is a station id; [`Event::validate`] checks it).
    pub fn from_wire(s: &str) -> Self {
        if s == PHONE_CHANNEL {
            Channel::Phone
        } else {
            Channel::Station(s.to_owned())
        }
    }
}

impl fmt::Display for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Channel {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Channel {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Ok(Channel::from_wire(&text))
    }
}

/// The code issued by the application: what the paper card's QR holds, plus its key facts
/// in the clear so the hub can index them (the hub checks they match the signed credential).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Code {
    /// The code's serial (the credential's claim 1).
    pub serial: String,
    /// Unix seconds, UTC (claim 5); its CST day is the application's day for R3.
    pub issued_at: i64,
    /// Unix seconds, UTC (claim 6): `issued_at` + 720 h (R1).
    pub expires_at: i64,
    /// The key id of the signing key (16 hex digits).
    pub kid: KeyId,
    /// The credential text, `NAC1:…` (docs/credential.md): the hub verifies it, never stores it.
    pub credential: String,
    /// The same credential sealed for stations ([`crate::seal_credential`], `NACS1:…`): what
    /// the hub stores and hands to other stations. Required from stations; absent on the phone
    /// channel, whose codes the hub issues itself and which hold no identity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sealed: Option<String>,
}

/// One application (first or repeat) from a station's outbox or the phone channel.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Event {
    /// The idempotency key: a canonical lowercase UUID made once, when the application is
    /// recorded, and sent unchanged on every retry.
    pub event_id: String,
    /// For whom (HMAC of the document; never the number itself).
    pub person_key: PersonKey,
    /// In what capacity (R5).
    pub capacity: Capacity,
    /// Through which channel (R5): the pushing station's id, or `phone`.
    pub channel: Channel,
    /// Which volunteer account (R5): a station-scoped stable id (never a name or a database
    /// rowid). `null` on the phone channel.
    pub volunteer: Option<String>,
    /// The code issued.
    pub code: Code,
    /// The serial this code replaces, as the issuer saw it (`null` for a first code). The hub
    /// decides supersession itself (R2); this is the issuer's view, kept for the record.
    pub supersedes: Option<String>,
}

impl Event {
    /// Checks every rule that needs no database: identifier forms, R1's 720-hour window, the
    /// credential's shape, capacity and volunteer per channel.
    pub fn validate(&self) -> Result<(), ProtocolError> {
        use ProtocolError as E;
        if !is_event_id(&self.event_id) {
            return Err(E::invalid(
                "event_id",
                "must be a lowercase hyphenated UUID",
            ));
        }
        match &self.channel {
            Channel::Station(id) if !is_station_id(id) => {
                return Err(E::invalid("channel", "must be a station id or \"phone\""));
            }
            Channel::Station(id) => {
                match &self.volunteer {
                    Some(v) if is_volunteer_id(v) && is_volunteer_of(v, id) => {}
                    _ => return Err(E::invalid(
                        "volunteer",
                        "a station event needs a volunteer id \"<station>/<id>\" of the pushing station, 1-64 characters A-Z a-z 0-9 . _ : / -",
                    )),
                }
                if !self
                    .code
                    .sealed
                    .as_deref()
                    .is_some_and(crate::is_sealed_text)
                {
                    return Err(E::invalid(
                        "code.sealed",
                        "a station event needs its credential sealed (NACS1:…)",
                    ));
                }
            }
            Channel::Phone => {
                if self.code.sealed.is_some() {
                    return Err(E::invalid(
                        "code.sealed",
                        "must be absent on the phone channel",
                    ));
                }
                if self.volunteer.is_some() {
                    return Err(E::invalid("volunteer", "must be null on the phone channel"));
                }
                if self.capacity == Capacity::Volunteer {
                    return Err(E::invalid(
                        "capacity",
                        "the phone channel has no volunteers",
                    ));
                }
            }
        }
        let code = &self.code;
        if !is_serial(&code.serial) {
            return Err(E::invalid(
                "code.serial",
                "must be 1-32 printable ASCII characters",
            ));
        }
        if code.issued_at < 0 {
            return Err(E::invalid("code.issued_at", "must not be before 1970"));
        }
        if code.issued_at.checked_add(nac_credential::VALIDITY_SECS) != Some(code.expires_at) {
            return Err(E::invalid(
                "code.expires_at",
                "must be issued_at + 2592000 (720 h, R1)",
            ));
        }
        let max_text = nac_credential::PREFIX.len() + nac_credential::MAX_BASE45_LEN;
        if !code.credential.starts_with(nac_credential::PREFIX) || code.credential.len() > max_text
        {
            return Err(E::invalid(
                "code.credential",
                "must be a NAC1: credential text",
            ));
        }
        if let Some(old) = &self.supersedes {
            if !is_serial(old) || *old == code.serial {
                return Err(E::invalid("supersedes", "must be another code's serial"));
            }
        }
        Ok(())
    }
}

/// Whether volunteer id `v` names a volunteer of station `station` (`<station>/…`): a station
/// cannot record an application in another station's volunteer's name.
fn is_volunteer_of(v: &str, station: &str) -> bool {
    v.strip_prefix(station)
        .and_then(|rest| rest.strip_prefix('/'))
        .is_some_and(|own| !own.is_empty())
}

/// A volunteer id: 1–64 characters of `A-Z a-z 0-9 . _ : / -`.
fn is_volunteer_id(s: &str) -> bool {
    (1..=MAX_VOLUNTEER_LEN).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b':' | b'/' | b'-'))
}
