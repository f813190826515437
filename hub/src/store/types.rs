//! Plain records passed between the service layer and the stores.

use nac_credential::PublicKey;
use nac_protocol::DistrictSecret;
use serde::Serialize;

/// The secrets an older hub kept in its database (table `meta`), found at its first start by
/// this version, which moves them into the key directory ([`crate::keys`]) and deletes them.
#[derive(Clone)]
pub struct LegacySecrets {
    /// The HMAC key of person keys.
    pub district_secret: DistrictSecret,
    /// The phone issuing key's secret.
    pub phone_issuer: [u8; 32],
    /// The phone gateway's signing key's secret.
    pub phone_gateway: [u8; 32],
}

impl std::fmt::Debug for LegacySecrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LegacySecrets(…)")
    }
}

impl LegacySecrets {
    /// Reads them from `meta` values; `None` when the database holds none (a current one).
    pub fn from_meta(get: impl Fn(&str) -> Option<String>) -> Result<Option<Self>, String> {
        let Some(secret) = get("district_secret") else {
            return Ok(None);
        };
        let key = |name: &str| -> Result<[u8; 32], String> {
            let text = get(name).ok_or_else(|| format!("meta {name} missing"))?;
            let mut bytes = [0u8; 32];
            hex::decode_to_slice(&text, &mut bytes).map_err(|_| format!("meta {name} damaged"))?;
            Ok(bytes)
        };
        Ok(Some(Self {
            district_secret: DistrictSecret::from_hex(&secret).map_err(|e| e.to_string())?,
            phone_issuer: key("phone_issuer_secret")?,
            phone_gateway: key("phone_gateway_secret")?,
        }))
    }
}

/// The public halves of the hub's own keys, as the database records them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PhoneKeys {
    /// The phone issuing key (station `phone` in the trust list).
    pub issuer: PublicKey,
    /// The phone gateway's request-signing key (principal `phone`).
    pub gateway: PublicKey,
}

/// One lifetime of the hub's database: a new one at creation and after every restore from a
/// backup. Stations that see a new epoch re-send what the hub may have lost.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Epoch {
    /// Its order among the database's epochs (1, 2, …).
    pub no: i64,
    /// Its random name (16 hex digits), sent to stations.
    pub name: String,
}

/// Something the district must see (the district console lists them; `nac-hub events`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DistrictEvent {
    /// Its number, increasing.
    pub id: i64,
    /// When (unix s).
    pub at: i64,
    /// `station_disabled`, `station_enabled`, `key_rotated`, `station_rekeyed`,
    /// `bulk_lookup`, `subscription_refused`, `epoch_started`, `restore_detected`,
    /// `audit_rewound`, `clock_off` (a genuine request signed more than
    /// 2 minutes off the hub's clock, once a day per station: `http/auth.rs`).
    pub kind: String,
    /// The station concerned, if any.
    pub station: Option<String>,
    /// What happened, in English (never a person key).
    pub detail: String,
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
    /// The district secret sealed under the code ([`nac_protocol::seal_district_secret`]):
    /// handed to the station at enrolment, then deleted.
    pub sealed_secret: String,
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
    /// When the district disabled it (unix s), while disabled.
    pub disabled_at: Option<i64>,
    /// When it last made a request the hub accepted (unix s).
    pub last_seen_at: Option<i64>,
}

/// A station's answer to a successful enrolment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Enrolled {
    /// The station's id.
    pub station: String,
    /// The district secret sealed under the enrolment code.
    pub sealed_secret: String,
    /// Whether this was a re-key of an enrolled station (its earlier keys are now retired).
    pub rekeyed: bool,
}

/// A one-time code for a station that is enrolled already, made by `station rekey`.
#[derive(Debug, Clone)]
pub struct Rekey {
    /// The station.
    pub station: String,
    /// SHA-256 hex of the code.
    pub code_hash: String,
    /// The district secret sealed under the code.
    pub sealed_secret: String,
    /// Unix seconds.
    pub now: i64,
    /// When the code stops working.
    pub code_expires_at: i64,
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
    /// The station was disabled before enrolling (or, for a re-key, is disabled).
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
    /// When the district disabled it (unix s): a disabled station may still push the codes it
    /// issued before this (they were genuine), nothing else.
    pub disabled_at: Option<i64>,
    /// Its subscription allowance (person keys), if the district set one.
    pub max_subscriptions: Option<i64>,
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
    /// Subscriptions not refreshed within [`SUBSCRIPTION_TTL_SECS`] deleted.
    pub subscriptions: u64,
    /// Unused enrolment codes past their expiry whose sealed district secret was deleted.
    pub codes: u64,
}

/// What a subscribe may do, decided by the service from the district's policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SubscribeLimits {
    /// The most person keys the station may hold subscribed at once.
    pub max_total: i64,
    /// The most keys it may newly subscribe within [`LOOKUP_WINDOW_SECS`].
    pub max_new_per_day: i64,
    /// New keys within the window above which the district is shown a `bulk_lookup`.
    pub alert_new_per_day: i64,
}

/// Why a subscribe was refused (403 `subscription_limit`); nothing was subscribed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubscribeRefusal {
    /// The station would hold more subscriptions than its allowance.
    TooMany {
        /// Its allowance.
        allowed: i64,
    },
    /// The station looked up too many new keys in the last day.
    TooFast {
        /// The daily allowance of new keys.
        allowed: i64,
    },
}

/// What a subscribe did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscribed {
    /// Keys new to this station.
    pub added: u64,
    /// The active codes of the requested keys, ordered by person key.
    pub active: Vec<nac_protocol::IssuedCode>,
}

/// How long a subscription lasts without being refreshed (the station re-sends its roster's
/// keys every [`SUBSCRIPTION_REFRESH_SECS`]): 60 days, so a key a station dropped (or only
/// looked up) stops reaching it.
pub const SUBSCRIPTION_TTL_SECS: i64 = 60 * 86_400;
/// How often a station refreshes its subscriptions: weekly.
pub const SUBSCRIPTION_REFRESH_SECS: i64 = 7 * 86_400;
/// The window new-key lookups are counted over: a day.
pub const LOOKUP_WINDOW_SECS: i64 = 86_400;

/// How long idempotency records are kept before a purge may delete them: the protocol's 60 days
/// plus one day of margin.
pub const RECORD_RETENTION_SECS: i64 = nac_protocol::IDEMPOTENCY_RETENTION_SECS + 86_400;
/// How long nonces are kept: twice the timestamp window, so a replay is always caught.
pub const NONCE_RETENTION_SECS: i64 = 2 * nac_protocol::MAX_REQUEST_SKEW_SECS + 60;
