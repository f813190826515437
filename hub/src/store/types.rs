//! Plain records passed between the service layer and the stores.

use nac_credential::{PublicKey, StationKey};
use nac_protocol::DistrictSecret;
use serde::Serialize;

/// The hub's secrets, created once with its database and stored in it (table `meta`).
#[derive(Clone)]
pub struct HubSecrets {
    /// The HMAC key of person keys, handed to stations at enrolment.
    pub district_secret: DistrictSecret,
    /// The hub's own issuing key, for phone renewals (station id `phone` in the trust list).
    pub phone_issuer: StationKey,
    /// The phone gateway's request-signing key (principal `phone`).
    pub phone_gateway: StationKey,
}

impl std::fmt::Debug for HubSecrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HubSecrets")
            .field("phone_issuer", &self.phone_issuer.kid())
            .field("phone_gateway", &self.phone_gateway.kid())
            .finish_non_exhaustive()
    }
}

impl HubSecrets {
    /// Fresh random secrets.
    pub fn generate() -> Result<Self, String> {
        Ok(Self {
            district_secret: DistrictSecret::generate().map_err(|e| e.to_string())?,
            phone_issuer: StationKey::generate().map_err(|e| e.to_string())?,
            phone_gateway: StationKey::generate().map_err(|e| e.to_string())?,
        })
    }

    /// The `meta` rows that store them.
    pub fn to_meta(&self) -> [(&'static str, String); 3] {
        [
            ("district_secret", self.district_secret.to_hex()),
            (
                "phone_issuer_secret",
                hex::encode(self.phone_issuer.secret_bytes()),
            ),
            (
                "phone_gateway_secret",
                hex::encode(self.phone_gateway.secret_bytes()),
            ),
        ]
    }

    /// Reads them back from `meta` values.
    pub fn from_meta(get: impl Fn(&str) -> Option<String>) -> Result<Self, String> {
        let key = |name: &str| -> Result<StationKey, String> {
            let text = get(name).ok_or_else(|| format!("meta {name} missing"))?;
            let mut bytes = [0u8; 32];
            hex::decode_to_slice(&text, &mut bytes).map_err(|_| format!("meta {name} damaged"))?;
            Ok(StationKey::from_secret_bytes(&bytes))
        };
        let secret = get("district_secret").ok_or("meta district_secret missing")?;
        Ok(Self {
            district_secret: DistrictSecret::from_hex(&secret).map_err(|e| e.to_string())?,
            phone_issuer: key("phone_issuer_secret")?,
            phone_gateway: key("phone_gateway_secret")?,
        })
    }
}

/// A station's lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StationStatus {
    /// Added, not yet enrolled (no key).
    Pending,
    /// Enrolled and in service.
    Active,
    /// Switched off by the operator.
    Disabled,
}

impl StationStatus {
    /// The stored name.
    pub const fn as_str(self) -> &'static str {
        match self {
            StationStatus::Pending => "pending",
            StationStatus::Active => "active",
            StationStatus::Disabled => "disabled",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "pending" => Some(StationStatus::Pending),
            "active" => Some(StationStatus::Active),
            "disabled" => Some(StationStatus::Disabled),
            _ => None,
        }
    }
}

/// A station to add.
#[derive(Debug, Clone)]
pub struct NewStation {
    /// The hub-assigned id (`ST-` + 6 characters).
    pub id: String,
    /// Display name.
    pub name: String,
    /// The area it serves.
    pub area: String,
    /// SHA-256 hex of the one-time enrolment code (the code itself is never stored).
    pub code_hash: String,
    /// Unix seconds.
    pub now: i64,
    /// When the code stops working (unix seconds).
    pub code_expires_at: i64,
}

/// A station as `station list` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StationRecord {
    /// Hub-assigned id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Area.
    pub area: String,
    /// Lifecycle state.
    pub status: StationStatus,
    /// Key id once enrolled.
    pub kid: Option<String>,
    /// The name the station gave itself at enrolment.
    pub device_name: Option<String>,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds, once enrolled.
    pub enrolled_at: Option<i64>,
}

/// An enrolment attempt, after the proof of key possession was checked.
#[derive(Debug, Clone)]
pub struct Enrolment {
    /// SHA-256 hex of the presented code.
    pub code_hash: String,
    /// The station's name for itself.
    pub device_name: String,
    /// The key to register.
    pub public_key: PublicKey,
    /// Unix seconds.
    pub now: i64,
}

/// Why an enrolment code was not accepted (all answered 403 `enrolment_refused`, with this
/// reason in the message).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EnrolRefusal {
    /// No such code.
    Unknown,
    /// Used before.
    AlreadyUsed,
    /// Past its 24 hours.
    Expired,
    /// The station was disabled before enrolling.
    StationDisabled,
    /// The key is already registered to a station.
    KeyInUse,
}

impl EnrolRefusal {
    /// English text for the error body.
    pub const fn as_str(self) -> &'static str {
        match self {
            EnrolRefusal::Unknown => "unknown enrolment code",
            EnrolRefusal::AlreadyUsed => "enrolment code already used",
            EnrolRefusal::Expired => "enrolment code expired",
            EnrolRefusal::StationDisabled => "station is disabled",
            EnrolRefusal::KeyInUse => "public key already registered",
        }
    }
}

/// A key rotation, after the proof of possession of the new key was checked.
#[derive(Debug, Clone)]
pub struct KeyRotation {
    /// The station (authenticated with its current key, or with `new_key` on a retry).
    pub station: String,
    /// The key that becomes current.
    pub new_key: PublicKey,
    /// Unix seconds.
    pub now: i64,
}

/// A station key replaced by a rotation: trusted for codes issued before `retired_at`, and
/// for everything while that is `None` (the station has not yet signed with its new key).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetiredKey {
    /// The key.
    pub public_key: PublicKey,
    /// When the rotation was certified (unix s).
    pub rotated_at: i64,
    /// When the station first signed a request with its next key (unix s).
    pub retired_at: Option<i64>,
}

/// The result of a rotation: the key it replaced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rotated {
    /// The replaced key's id.
    pub replaced_kid: String,
    /// When the rotation was certified.
    pub rotated_at: i64,
}

/// Why a rotation was refused (403 `rotation_refused`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RotateRefusal {
    /// The new key is registered already (to this or another station).
    KeyInUse,
    /// The station is not an enrolled, active station.
    NotActive,
    /// Signed with the replaced key while asking for another new key than the one certified:
    /// the station must finish its rotation (sign with the certified key) first.
    Unfinished,
}

impl RotateRefusal {
    /// English text for the error body.
    pub const fn as_str(self) -> &'static str {
        match self {
            RotateRefusal::KeyInUse => "public key already registered",
            RotateRefusal::NotActive => "station is not enrolled and active",
            RotateRefusal::Unfinished => {
                "the previous rotation is unfinished: sign with the key it certified"
            }
        }
    }
}

/// Who may sign requests: a station or the phone gateway.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrincipalKind {
    /// A neighbourhood station.
    Station,
    /// The phone gateway (principal id `phone`).
    PhoneGateway,
}

/// A request signer as the hub knows it.
#[derive(Debug, Clone)]
pub struct Principal {
    /// Its id (the `x-nac-station` header).
    pub id: String,
    /// Station or gateway.
    pub kind: PrincipalKind,
    /// Lifecycle state (the gateway is always active).
    pub status: StationStatus,
    /// Its registered key (`None` while pending).
    pub public_key: Option<PublicKey>,
    /// The key it replaced by its last rotation, while the station has not yet signed a request
    /// with the new one (still accepted).
    pub previous_key: Option<PublicKey>,
    /// Whether this request was signed with `previous_key` (set by the authentication).
    pub signed_with_previous: bool,
    /// Its retired keys, when the caller loaded them ([`super::Store::retired_keys`]; empty
    /// otherwise): only a push carrying a code signed with a non-current key needs them.
    pub retired: Vec<RetiredKey>,
}

/// One page of a cursor-paged list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    /// The items, oldest first.
    pub items: Vec<T>,
    /// The cursor for the next request.
    pub next: i64,
    /// Whether more items follow.
    pub more: bool,
}

/// What a purge removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct PurgeReport {
    /// Idempotency records deleted.
    pub records: u64,
    /// Nonces deleted.
    pub nonces: u64,
}

/// How long idempotency records are kept before a purge may delete them: the protocol's 60 days
/// plus one day of margin.
pub const RECORD_RETENTION_SECS: i64 = nac_protocol::IDEMPOTENCY_RETENTION_SECS + 86_400;
/// How long nonces are kept: twice the timestamp window, so a replay is always caught.
pub const NONCE_RETENTION_SECS: i64 = 2 * nac_protocol::MAX_REQUEST_SKEW_SECS + 60;
