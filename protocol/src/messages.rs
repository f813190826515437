//! The messages of the sync protocol, one type per request and answer body.
//!
//! Every top-level message carries `"v": 1` and refuses unknown fields: a station and a hub that
//! disagree on the protocol must fail with HTTP 400, never guess. Optional answer fields are
//! left out when empty, so a stored per-event answer is compact and its bytes are stable.

use std::fmt;

use nac_credential::{KeyId, PublicKey, Revocation};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::value::RawValue;

use crate::{Capacity, Channel, Event, PersonKey, V1};

/// `POST`: enrol a station (the only unsigned request; the enrolment code and a proof of key
/// possession authenticate it).
pub const PATH_ENROL: &str = "/v1/enrol";
/// `POST`: push a page of events.
pub const PATH_PUSH: &str = "/v1/push";
/// `POST`: tell the hub which person keys the station holds.
pub const PATH_SUBSCRIBE: &str = "/v1/subscribe";
/// `GET ?since=CURSOR&limit=N`: changes for the station's person keys.
pub const PATH_PULL: &str = "/v1/pull";
/// `GET ?since=CURSOR&limit=N`: the trust list.
pub const PATH_TRUST: &str = "/v1/trust";
/// `GET ?since=CURSOR&limit=N`: superseded and rejected serials.
pub const PATH_REVOCATIONS: &str = "/v1/revocations";
/// `POST`: a resident's own renewal, from the phone gateway.
pub const PATH_PHONE_RENEW: &str = "/v1/phone/renew";
/// `POST`: replace the station's signing key (signed with the key being replaced).
pub const PATH_ROTATE_KEY: &str = "/v1/keys/rotate";
/// `POST`: record the head of the station's audit log.
pub const PATH_AUDIT_ANCHOR: &str = "/v1/audit/anchor";

// ───────────────────────────── push ─────────────────────────────

/// `POST /v1/push`: a page of the station's queued events, oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PushRequest {
    /// Protocol version.
    pub v: V1,
    /// The pushing station; must be the authenticated one.
    pub station: String,
    /// At most [`crate::MAX_EVENTS_PER_PAGE`] events, in outbox order; each event's `channel`
    /// must be `station`.
    pub events: Vec<Event>,
    /// Set when these events are sent again because the hub lost them (it was restored from a
    /// backup: a new epoch, or a pull cursor beyond its feed): the epoch under which the hub
    /// first accepted them. The hub then places them in that epoch's order (they never
    /// supersede a code it accepted since the restore) and does not hold the offline window
    /// against them (they were on time when first sent); expired codes are still refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resent_from_epoch: Option<String>,
}

/// The answer to a push: one result per event, in the request's order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PushResponse {
    /// Protocol version.
    pub v: V1,
    /// One answer per pushed event, same order.
    pub results: Vec<EventAnswer>,
}

/// What the hub did with one event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Recorded as an application; `active` is the person's active code afterwards (this code,
    /// or a later one that already supersedes it).
    Accepted,
    /// This event id was decided before with the same content: nothing changed again, and
    /// `original` is the first answer, byte for byte.
    Duplicate,
    /// This event id was decided before with *different* content: refused, nothing changed.
    Conflict,
    /// Refused by a rule (`reason`); with `active`, the person's authoritative active code.
    Rejected,
}

/// Why an event was rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RejectReason {
    /// R3: the hub already accepted an application for this person on this CST day
    /// (当日已完成申领). Recorded: the code's serial is revoked as `rejected`.
    AlreadyAppliedToday,
    /// A field breaks the protocol's rules (see `message`). Nothing recorded.
    InvalidEvent,
    /// The credential does not verify under the pushing station's registered key, or does not
    /// match the event's serial, times or kid. Nothing recorded.
    InvalidCredential,
    /// The serial belongs to another application. Nothing recorded.
    SerialInUse,
    /// The code is dated more than 5 minutes after the hub's clock. Nothing recorded.
    IssuedInFuture,
    /// The code is dated before the district's offline window (a station clock set back, or a
    /// station offline longer than the district allows), or has expired. Nothing recorded.
    IssuedTooEarly,
    /// The code was signed by a key after the district withdrew it (station disabled, key
    /// retired by a rotation or a re-key). Nothing recorded.
    KeyWithdrawn,
}

impl RejectReason {
    /// The wire name.
    pub const fn as_str(self) -> &'static str {
        match self {
            RejectReason::AlreadyAppliedToday => "already_applied_today",
            RejectReason::InvalidEvent => "invalid_event",
            RejectReason::InvalidCredential => "invalid_credential",
            RejectReason::SerialInUse => "serial_in_use",
            RejectReason::IssuedInFuture => "issued_in_future",
            RejectReason::IssuedTooEarly => "issued_too_early",
            RejectReason::KeyWithdrawn => "key_withdrawn",
        }
    }

    /// Parses a wire name.
    pub fn parse(s: &str) -> Option<Self> {
        [
            RejectReason::AlreadyAppliedToday,
            RejectReason::InvalidEvent,
            RejectReason::InvalidCredential,
            RejectReason::SerialInUse,
            RejectReason::IssuedInFuture,
            RejectReason::IssuedTooEarly,
            RejectReason::KeyWithdrawn,
        ]
        .into_iter()
        .find(|r| r.as_str() == s)
    }
}

/// A code as the hub knows it: who holds it, through which channel it came, and the credential
/// to print.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IssuedCode {
    /// Whose code.
    pub person_key: PersonKey,
    /// Through which channel it was issued.
    pub channel: Channel,
    /// The serial.
    pub serial: String,
    /// Unix seconds, UTC.
    pub issued_at: i64,
    /// Unix seconds, UTC.
    pub expires_at: i64,
    /// The signing key's id.
    pub kid: KeyId,
    /// A station's code: its credential sealed for stations (`NACS1:…`, open it with
    /// [`crate::open_credential`] for (`kid`, `serial`)); the hub cannot read it. A phone code
    /// (`channel` `phone`): the `NAC1:` credential itself, which the hub issued and which holds
    /// no identity (masked name `*`, no number).
    pub credential: String,
}

/// The hub's answer for one pushed event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventAnswer {
    /// The event this answers.
    pub event_id: String,
    /// What happened.
    pub status: Outcome,
    /// Why, for `rejected`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<RejectReason>,
    /// A human-readable explanation (English), for `rejected` and `conflict`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// The person's active code after the decision (`accepted`, and `rejected` by a rule).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active: Option<IssuedCode>,
    /// For `duplicate`: the answer first given for this event, replayed byte for byte.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub original: Option<StoredAnswer>,
}

impl EventAnswer {
    /// An answer with only the id and status set.
    pub fn new(event_id: impl Into<String>, status: Outcome) -> Self {
        Self {
            event_id: event_id.into(),
            status,
            reason: None,
            message: None,
            active: None,
            original: None,
        }
    }

    /// The `original` answer decoded, for a `duplicate` (`None` otherwise or if undecodable).
    pub fn original_answer(&self) -> Option<EventAnswer> {
        self.original
            .as_ref()
            .and_then(|raw| serde_json::from_str(raw.get()).ok())
    }
}

/// A JSON value kept exactly as the hub stored it (the first answer for an event), so replaying
/// it is byte-for-byte identical. Compares by its text.
#[derive(Clone)]
pub struct StoredAnswer(Box<RawValue>);

impl StoredAnswer {
    /// Wraps stored JSON text; fails if it is not valid JSON.
    pub fn from_json(text: String) -> Result<Self, serde_json::Error> {
        RawValue::from_string(text).map(Self)
    }

    /// The exact stored text.
    pub fn get(&self) -> &str {
        self.0.get()
    }
}

impl PartialEq for StoredAnswer {
    fn eq(&self, other: &Self) -> bool {
        self.get() == other.get()
    }
}

impl Eq for StoredAnswer {}

impl fmt::Debug for StoredAnswer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "StoredAnswer({})", self.get())
    }
}

impl Serialize for StoredAnswer {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for StoredAnswer {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Box::<RawValue>::deserialize(deserializer).map(Self)
    }
}

// ───────────────────────────── subscribe ─────────────────────────────

/// `POST /v1/subscribe`: the person keys the station holds, so the hub sends it their changes
/// (codes issued by the phone or other stations) even if the station never pushed for them.
/// Pushing an event subscribes its person key automatically. Idempotent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubscribeRequest {
    /// Protocol version.
    pub v: V1,
    /// The subscribing station; must be the authenticated one.
    pub station: String,
    /// At most [`crate::MAX_PERSON_KEYS_PER_PAGE`] keys.
    pub person_keys: Vec<PersonKey>,
}

/// The answer to a subscribe: how many keys were new, and the current active code of every
/// requested key that has one (so the station is current without a pull from the start).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubscribeResponse {
    /// Protocol version.
    pub v: V1,
    /// Keys not subscribed before this request.
    pub added: u64,
    /// The active code of each requested key that has one, ordered by person key.
    pub active: Vec<IssuedCode>,
}

// ───────────────────────────── pull ─────────────────────────────

/// The query of the paged `GET` endpoints (`/v1/pull`, `/v1/trust`, `/v1/revocations`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PageQuery {
    /// The `next` cursor of the previous page; absent for the first page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<String>,
    /// Page size, 1..=[`crate::MAX_ITEMS_PER_PAGE`] (default: the maximum).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
}

impl PageQuery {
    /// The query string (`since=…&limit=…`, without `?`), empty when both are absent. Cursors
    /// are digits, so no escaping is needed; anything else is sent as it is and refused.
    pub fn to_query_string(&self) -> String {
        let mut parts = Vec::new();
        if let Some(since) = &self.since {
            parts.push(format!("since={since}"));
        }
        if let Some(limit) = self.limit {
            parts.push(format!("limit={limit}"));
        }
        parts.join("&")
    }
}

/// What kind of change a [`Change`] reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    /// An application was accepted and its code recorded (`code`).
    Issued,
    /// A code was superseded (R2) by the code `by`.
    Superseded,
    /// An application was rejected (`reason`); its code is void.
    Rejected,
}

/// One change to a person's codes, in the hub's commit order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Change {
    /// What happened.
    pub kind: ChangeKind,
    /// To whom.
    pub person_key: PersonKey,
    /// The code concerned: its serial…
    pub serial: String,
    /// …and the key that signed it (a code is (kid, serial): two stations may pick one serial).
    pub kid: KeyId,
    /// For `issued`: the code, with its credential.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<IssuedCode>,
    /// For `superseded`: the serial of the code that replaced it…
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
    /// …and that code's key id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by_kid: Option<KeyId>,
    /// For `rejected`: why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<RejectReason>,
}

/// `GET /v1/pull`: the changes for the station's subscribed person keys after the cursor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PullResponse {
    /// Protocol version.
    pub v: V1,
    /// Oldest first.
    pub changes: Vec<Change>,
    /// The cursor for the next request (store it once the changes are applied). Lower than the
    /// `since` sent only when the hub's feed is shorter than the cursor: the hub was restored
    /// from a backup (the station then re-sends what it lost and pulls again from the start).
    pub next: String,
    /// Whether more changes are waiting (ask again at once with `since=next`).
    pub more: bool,
    /// How many of the pulling station's applications the hub holds as accepted. Fewer than
    /// the station holds as synced means the hub lost some (restored from a backup): the
    /// station sends them again.
    pub held: u64,
}

// ───────────────────────────── trust and revocation lists ─────────────────────────────

/// Whether a trusted key is in service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IssuerStatus {
    /// The station is enrolled and in service with this key.
    Active,
    /// The station was disabled: codes the key issued before `not_after` stay genuine, later
    /// ones are refused.
    Disabled,
    /// The station replaced the key (rotation or a re-key by the district): codes it issued
    /// before `not_after` stay genuine, later ones are refused.
    Retired,
}

/// One trusted issuing key: a station's, or the hub's own for the phone channel
/// (`station: "phone"`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrustEntry {
    /// The key id.
    pub kid: KeyId,
    /// The station the key belongs to (the credential's `station_id` must equal it).
    pub station: String,
    /// The Ed25519 public key.
    pub public_key: PublicKey,
    /// In service, disabled or retired.
    pub status: IssuerStatus,
    /// When the key was withdrawn (unix s; disabled or retired): a code it signed dated after
    /// this is refused by every verifier. `null` while the key is in service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_after: Option<i64>,
}

/// `GET /v1/trust`: the trust list, paged. A key appears again, at a later position, each time
/// its status changes (disabled, enabled, retired): a station that follows the cursor learns
/// every change; the latest entry for a kid is the one that holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrustListResponse {
    /// Protocol version.
    pub v: V1,
    /// The hub's clock when the page was made (unix s): verifiers show the list's age.
    pub generated_at: i64,
    /// The entries of this page.
    pub issuers: Vec<TrustEntry>,
    /// The cursor of the next page.
    pub next: String,
    /// Whether more entries follow.
    pub more: bool,
}

/// One withdrawn code, by (kid, serial).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RevokedSerial {
    /// The serial.
    pub serial: String,
    /// The key that signed the code (only that station's code with this serial is withdrawn).
    pub kid: KeyId,
    /// Superseded (R2) or rejected.
    pub status: Revocation,
}

/// `GET /v1/revocations`: superseded and rejected serials after the cursor, paged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RevocationsResponse {
    /// Protocol version.
    pub v: V1,
    /// The hub's clock when the page was made (unix s).
    pub generated_at: i64,
    /// Oldest first.
    pub revocations: Vec<RevokedSerial>,
    /// The cursor of the next page.
    pub next: String,
    /// Whether more follow.
    pub more: bool,
}

// ───────────────────────────── enrolment ─────────────────────────────

/// `POST /v1/enrol`: a new station presents its one-time enrolment code and its public key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnrolRequest {
    /// Protocol version.
    pub v: V1,
    /// The one-time code printed by `nac-hub station add`.
    pub enrolment_code: String,
    /// The station's own name for itself (shown in `station list`).
    pub station_name: String,
    /// The station's Ed25519 public key.
    pub public_key: PublicKey,
    /// Its key id (must match the key).
    pub kid: KeyId,
    /// Proof of possession: the station key's signature, hex, over
    /// [`crate::auth::enrolment_message`].
    pub proof: String,
}

/// The answer to a successful enrolment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnrolResponse {
    /// Protocol version.
    pub v: V1,
    /// The hub-assigned station id: the station signs requests and credentials with it.
    pub station: String,
    /// The district secret for [`crate::person_key`], sealed under the enrolment code
    /// ([`crate::open_district_secret`] with the code and `station`): the hub stored it that
    /// way when the code was made and cannot open it itself.
    pub district_secret_sealed: String,
    /// The whole trust list at enrolment time (including this station and the phone issuer).
    pub issuers: Vec<TrustEntry>,
}

// ───────────────────────────── key rotation ─────────────────────────────

/// `POST /v1/keys/rotate`: the station replaces its signing key. The request is signed (headers)
/// with the key being replaced; `proof` shows the station holds the new one. The hub certifies
/// the new key (it joins the trust list) and keeps accepting the old one until the station
/// first signs a request with the new key; from then on the old key is retired: it signs no
/// request, and a pushed code signed with it is accepted only if issued before. It stays in the
/// trust list, so the cards it signed stay genuine until they expire.
///
/// Idempotent: the same request again (a station whose answer was lost asks again, still
/// signing with the old key) gets the same answer and changes nothing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RotateKeyRequest {
    /// Protocol version.
    pub v: V1,
    /// The station; must be the authenticated one.
    pub station: String,
    /// The new Ed25519 public key.
    pub public_key: PublicKey,
    /// Its key id (must match the key).
    pub kid: KeyId,
    /// The new key's signature, hex, over [`crate::auth::rotation_message`].
    pub proof: String,
}

/// The answer to a key rotation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RotateKeyResponse {
    /// Protocol version.
    pub v: V1,
    /// The station's key from now on.
    pub kid: KeyId,
    /// The key it replaces (kept for verification only).
    pub replaced_kid: KeyId,
    /// When the hub certified the new key (unix s).
    pub rotated_at: i64,
}

// ───────────────────────────── audit anchors ─────────────────────────────

/// `POST /v1/audit/anchor`: the head of the station's hash-chained audit log. The hub keeps
/// every anchor it is sent, so a station whose log was later rewritten (even consistently,
/// every hash recomputed) no longer contains a head the hub holds: `nac audit verify` asks for
/// them and names the first one missing. The hash reveals nothing of the log's content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditAnchorRequest {
    /// Protocol version.
    pub v: V1,
    /// The station; must be the authenticated one.
    pub station: String,
    /// The number of the newest audit row (1-based, rows are never deleted).
    pub seq: i64,
    /// Its chain hash, 64 lowercase hex digits.
    pub hash: String,
}

impl AuditAnchorRequest {
    /// Row numbers start at 1; a chain hash is 64 lowercase hex digits.
    pub fn validate(&self) -> Result<(), crate::ProtocolError> {
        if self.seq < 1 {
            return Err(crate::ProtocolError::invalid("seq", "must be 1 or more"));
        }
        if self.hash.len() != 64 || !crate::auth::is_lower_hex(&self.hash) {
            return Err(crate::ProtocolError::Hex("hash"));
        }
        Ok(())
    }
}

/// One audit head the hub holds for a station.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditAnchor {
    /// The row's number.
    pub seq: i64,
    /// Its chain hash.
    pub hash: String,
    /// When the hub received it (unix s).
    pub received_at: i64,
}

/// The answer to an anchor (`GET /v1/audit/anchor` with no body lists them all, newest last).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditAnchorsResponse {
    /// Protocol version.
    pub v: V1,
    /// The anchors the hub holds for the station, oldest first (at most
    /// [`crate::MAX_AUDIT_ANCHORS`]: the newest ones).
    pub anchors: Vec<AuditAnchor>,
}

// ───────────────────────────── phone channel ─────────────────────────────

/// `POST /v1/phone/renew`, signed by the phone gateway: a resident renews on their phone; the
/// hub issues the code with its own key, under the same rules as a station's push.
///
/// The hub derives the code from the request alone (serial from the event id, deterministic
/// Ed25519), so a gateway that retries the same request gets a `duplicate`, not a `conflict`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PhoneRenewRequest {
    /// Protocol version.
    pub v: V1,
    /// The gateway's idempotency key for this renewal.
    pub event_id: String,
    /// For whom.
    pub person_key: PersonKey,
    /// `self` or `family` (亲属码).
    pub capacity: Capacity,
    /// When the resident applied (unix seconds); at most 5 minutes ahead of the hub's clock.
    pub issued_at: i64,
}

/// The answer to a phone renewal: the same per-event answer a push gives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PhoneRenewResponse {
    /// Protocol version.
    pub v: V1,
    /// Accepted (with the new code as `active`), duplicate, conflict or rejected.
    pub result: EventAnswer,
}

// ───────────────────────────── errors ─────────────────────────────

/// The body of every non-2xx answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ErrorBody {
    /// Protocol version.
    pub v: V1,
    /// A stable code: `bad_request`, `unauthorized`, `forbidden`, `not_found`, `too_large`,
    /// `rate_limited`, `enrolment_refused`, `rotation_refused`, [`STATION_DISABLED`],
    /// [`SUBSCRIPTION_LIMIT`], `unavailable`, `internal`.
    pub error: String,
    /// English detail for logs and the CLI.
    pub message: String,
}
