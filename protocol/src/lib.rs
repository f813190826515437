//! The NAC Station ↔ NAC Hub sync protocol: the wire types both sides speak, the pseudonymous
//! person key, and the request signatures.
//!
//! # Why a crate of its own
//!
//! The station (core, CLI, app) and the hub (a server) must agree on every byte, yet must not
//! depend on each other: a server must not link the station's PDF engine or window, and the
//! station must not link a web server. Both depend on this crate, which holds no database and,
//! by default, no HTTP code — only types, validation and the signing scheme — so it builds in
//! seconds and can be tested alone. The feature `client` adds the one signed HTTP client that
//! the station and the hub's tools share ([`client`]).
//!
//! # What is in it
//!
//! * [`Event`]: one application (renewal) as it leaves a station's outbox: the idempotency key,
//!   the [`PersonKey`] (never an ID number, name or phone), capacity, channel, volunteer, the
//!   signed code and the serial it supersedes.
//! * The messages ([`messages`]): push, subscribe, pull, trust list, revocation list, enrolment,
//!   phone renewal and the error body. Every top-level message carries `"v": 1` ([`V1`]); a
//!   decoder refuses any other version and any unknown field, so a hub and a station of
//!   different protocol versions fail loudly instead of half-understanding each other.
//! * [`auth`]: the canonical request string and its Ed25519 signature (headers `x-nac-*`).
//! * Size caps ([`MAX_BODY_BYTES`], [`MAX_EVENTS_PER_PAGE`], …) that both sides enforce.
//!
//! The protocol is specified, with a worked example of every message, in `docs/sync.md`; the
//! crate's tests parse those examples, so the document cannot drift from the code.

pub mod auth;
#[cfg(feature = "client")]
pub mod client;
mod error;
mod event;
pub mod ids;
pub mod messages;
mod person;
mod seal;
mod version;

pub use auth::{
    canonical_request, sign_request, verify_request, AuthError, Method, RequestSigner,
    SignedHeaders, HEADER_NONCE, HEADER_SIGNATURE, HEADER_STATION, HEADER_TIMESTAMP,
    MAX_REQUEST_SKEW_SECS, SIGNATURE_TAG,
};
pub use error::ProtocolError;
pub use event::{Capacity, CapacityError, Channel, Code, Event, MAX_VOLUNTEER_LEN, PHONE_CHANNEL};
pub use ids::{is_event_id, is_serial, is_station_id, new_event_id, random_hex};
pub use messages::*;
pub use person::{person_key, DistrictSecret, PersonKey};
pub use seal::{
    is_sealed_text, normalize_enrolment_code, open_credential, open_district_secret,
    seal_credential, seal_credential_with_nonce, seal_district_secret,
    seal_district_secret_with_nonce, SealError, MAX_SEALED_LEN, SEALED_PREFIX,
};
pub use version::V1;

/// The largest request or response body either side accepts: 1 MiB.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;
/// The `error` of a 403 for a station the district disabled: the station stops issuing codes
/// until it is enabled again (§5.7).
pub const STATION_DISABLED: &str = "station_disabled";
/// The `error` of a 403 for a subscribe over the station's allowance.
pub const SUBSCRIPTION_LIMIT: &str = "subscription_limit";
/// Response header on every hub answer: the hub's clock (unix seconds). A station measures its
/// own clock against it at every sync and refuses to renew while it is off.
pub const HEADER_HUB_TIME: &str = "x-nac-hub-time";
/// Response header on every hub answer: the hub database's epoch (16 hex digits). A new one
/// means the hub was restored from a backup: the station re-sends and re-pulls.
pub const HEADER_HUB_EPOCH: &str = "x-nac-hub-epoch";
/// Request header on every request a station (or the phone gateway) sends: the sender's
/// release, e.g. `0.1.0` (docs/sync.md §3). Informational, for the district's console: not
/// signed, so the hub stores it only in the form [`app_version`] accepts, and decides nothing
/// by it.
pub const HEADER_APP_VERSION: &str = "x-nac-app-version";
/// This release, as the [`HEADER_APP_VERSION`] header carries it. The workspace has one version,
/// so the protocol crate's is the station app's and the hub's.
pub const APP_VERSION: &str = env!("CARGO_PKG_VERSION");

/// A version header's value if it is a plausible release name (1–32 characters of
/// `0-9A-Za-z.+-`, starting with a digit); anything else is ignored as if absent.
pub fn app_version(value: &str) -> Option<&str> {
    let plausible = (1..=32).contains(&value.len())
        && value.starts_with(|c: char| c.is_ascii_digit())
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'+' | b'-'));
    plausible.then_some(value)
}

/// How long before its arrival at the hub a code may be dated, unless the district sets
/// another window: 7 days (a station offline for a week still syncs; a clock set back by
/// years does not).
pub const DEFAULT_OFFLINE_WINDOW_SECS: i64 = 7 * 86_400;
/// The most events one push request may carry (a full page of ~500 events is ~300 KiB).
pub const MAX_EVENTS_PER_PAGE: usize = 500;
/// The most person keys one subscribe request may carry. The answer holds the active code of
/// each key (~450-600 bytes with its credential), so 1000 keys keep it under [`MAX_BODY_BYTES`].
pub const MAX_PERSON_KEYS_PER_PAGE: usize = 1000;
/// The most changes, trust entries or revocations one pull-style answer holds.
pub const MAX_ITEMS_PER_PAGE: usize = 1000;
/// Audit anchors returned per station (the newest; one is enough to check the chain before it).
pub const MAX_AUDIT_ANCHORS: usize = 100;
/// How long the hub keeps the answer of every event it decided, at least (60 days): a station
/// offline for less than that which re-sends an event gets the original answer back.
pub const IDEMPOTENCY_RETENTION_SECS: i64 = 60 * 86_400;
/// China Standard Time, UTC+08:00 (no DST): R3's "calendar day" is a day in this offset.
pub const CST_OFFSET_SECS: i64 = 8 * 3600;

/// The CST calendar day of a unix time, as days since 1970-01-01 (CST): the "day" of R3.
///
/// Two applications for a person are on the same day exactly when this number is equal.
pub fn cst_day(unix_secs: i64) -> i64 {
    (unix_secs.saturating_add(CST_OFFSET_SECS)).div_euclid(86_400)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cst_day_boundaries() {
        // 2026-01-01T00:00:00+08:00 = 2025-12-31T16:00:00Z = 1767196800.
        let midnight_cst = 1_767_196_800;
        assert_eq!(cst_day(midnight_cst) - cst_day(midnight_cst - 1), 1);
        assert_eq!(cst_day(midnight_cst), cst_day(midnight_cst + 86_399));
        assert_eq!(cst_day(midnight_cst + 86_400) - cst_day(midnight_cst), 1);
        assert_eq!(cst_day(0), 0);
        assert_eq!(cst_day(-CST_OFFSET_SECS - 1), -1);
        // Never panics at the extremes.
        let _ = cst_day(i64::MAX);
        let _ = cst_day(i64::MIN);
    }

    #[test]
    fn only_plausible_release_names_are_app_versions() {
        assert_eq!(app_version(APP_VERSION), Some(APP_VERSION));
        for good in ["0.1.0", "1.2.3-rc.1", "2.0.0+deb12"] {
            assert_eq!(app_version(good), Some(good));
        }
        for bad in ["", "v1.0", "1.0 <script>", "1.0\n", &"1".repeat(33), "１.0"] {
            assert_eq!(app_version(bad), None, "{bad:?} is no release name");
        }
    }
}
