//! Hub storage: one trait, two databases.
//!
//! Like atuin's server (a `Database` trait with a PostgreSQL and a SQLite implementation and one
//! set of tests over both), every backend offers the same operations with the same results, and
//! `hub/tests/conformance/` runs one suite against each. The decision about a pushed event is
//! not taken in SQL but by [`rules::decide_page`] from a [`rules::PageState`] that the backend
//! loads inside its transaction, so the two backends cannot disagree on the rules; they differ
//! only in how they lock, load and write.
//!
//! Durability and races: a page of events is one transaction. SQLite has a single writer
//! (`BEGIN IMMEDIATE`); PostgreSQL locks the page's person keys (advisory locks, in sorted order)
//! and serialises appends to the change feed, and retries a page that lost a race to a
//! constraint. Either way the database's own constraints — one row per person in
//! `active_codes` (R2), a partial unique index on `(person_key, day)` of accepted applications
//! (R3), unique event ids and serials — are the last line, not the Rust code.

pub mod console;
pub mod postgres;
mod rows;
pub mod rules;
pub mod sqlite;
mod types;

use std::future::Future;

/// The schema this hub writes: the last migration of each backend (the same number on both).
pub const SCHEMA_VERSION: i64 = 4;

pub use postgres::PgStore;
pub use rules::{CheckedEvent, EpochOrder, PageState, PageWrites};
pub use sqlite::SqliteStore;
pub use types::*;

use nac_protocol::{AuditAnchor, Change, DistrictSecret, PersonKey, RevokedSerial, TrustEntry};

/// A storage failure (the request gets HTTP 500; nothing is half-written, every operation is one
/// transaction).
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite said no.
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// PostgreSQL said no.
    #[error("postgres: {0}")]
    Postgres(#[from] tokio_postgres::Error),
    /// No PostgreSQL connection could be had.
    #[error("postgres pool: {0}")]
    Pool(String),
    /// The schema is missing, damaged or newer than this hub.
    #[error("schema: {0}")]
    Schema(String),
    /// A stored value is not what the schema promises.
    #[error("corrupt row: {0}")]
    Corrupt(String),
    /// A background task died.
    #[error("storage task failed: {0}")]
    Task(String),
}

impl StoreError {
    /// The error for the log: PostgreSQL's `DETAIL` (which quotes the conflicting key values,
    /// e.g. a person key) is left out, so even an error line names no person.
    pub fn for_log(&self) -> String {
        match self {
            StoreError::Postgres(e) => match e.as_db_error() {
                Some(db) => format!("postgres {}: {}", db.code().code(), db.message()),
                None => format!("postgres: {e}"),
            },
            other => other.to_string(),
        }
    }
}

/// The tag of a change: what [`Store::feed_tag`] answers for its position.
pub fn change_tag(kid: &str, serial: &str, kind: &str) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(format!("{kid}\n{serial}\n{kind}").as_bytes());
    hex::encode(&digest[..8])
}

/// A fresh epoch name: 16 random hex digits.
pub fn new_epoch_name() -> Result<String, StoreError> {
    nac_protocol::random_hex(8).map_err(|e| StoreError::Task(format!("random source: {e}")))
}

/// What the district is told about a station's look-ups (counts only, never a key).
pub fn lookup_detail(
    new_keys: i64,
    known_at_hub: i64,
    earlier_today: i64,
    refused: Option<SubscribeRefusal>,
) -> String {
    let head = format!(
        "looked up {new_keys} new person keys ({known_at_hub} with a code at the hub) after \
         {earlier_today} in the last 24 h"
    );
    match refused {
        None => head,
        Some(SubscribeRefusal::TooMany { allowed }) => {
            format!("{head}; refused: over its allowance of {allowed} subscriptions")
        }
        Some(SubscribeRefusal::TooFast { allowed }) => {
            format!("{head}; refused: over {allowed} new keys a day")
        }
    }
}

/// What every hub database offers. Methods take `now` (unix seconds) from the caller, so tests
/// inject time.
pub trait Store: Clone + Send + Sync + 'static {
    /// Secrets an older hub kept in `meta` (moved out by [`crate::Hub::open`]), if any.
    fn legacy_secrets(
        &self,
    ) -> impl Future<Output = Result<Option<LegacySecrets>, StoreError>> + Send;

    /// Finishes moving legacy secrets out: seals every stored station credential (and the
    /// stored answers that carry one) with `secret`, then deletes the secrets from `meta` and
    /// scrubs freed pages. Idempotent.
    fn seal_legacy(
        &self,
        secret: &DistrictSecret,
    ) -> impl Future<Output = Result<u64, StoreError>> + Send;

    /// The public keys of the hub's phone issuer and gateway, once recorded.
    fn phone_keys(&self) -> impl Future<Output = Result<Option<PhoneKeys>, StoreError>> + Send;

    /// Records the phone issuer (trust list) and gateway (principal `phone`) on a new database.
    fn init_phone_keys(
        &self,
        keys: PhoneKeys,
        now: i64,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// The current epoch and every earlier one of this database, oldest first.
    fn epochs(&self) -> impl Future<Output = Result<Vec<Epoch>, StoreError>> + Send;

    /// Starts a new epoch (after a restore from a backup); returns it.
    fn new_epoch(
        &self,
        reason: &str,
        now: i64,
    ) -> impl Future<Output = Result<Epoch, StoreError>> + Send;

    /// The newest change-feed position (0 when empty).
    fn feed_head(&self) -> impl Future<Output = Result<i64, StoreError>> + Send;

    /// Registers a station (status `pending`) with a one-time enrolment code (its SHA-256 hex)
    /// and the district secret sealed under it.
    fn add_station(
        &self,
        new: NewStation,
    ) -> impl Future<Output = Result<StationRecord, StoreError>> + Send;

    /// Every station, oldest first (the phone gateway excluded).
    fn list_stations(&self) -> impl Future<Output = Result<Vec<StationRecord>, StoreError>> + Send;

    /// Disables a station at `now`: its keys stay in the trust list as `disabled` with
    /// `not_after = now` (codes they signed later are refused), its requests get 403 (except
    /// pushes of codes issued before `now`). `false` if there is no such station.
    fn disable_station(
        &self,
        id: &str,
        now: i64,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Enables a disabled station again (active if it had enrolled, pending otherwise), its
    /// current key active in the trust list again. `false` if there is no such disabled station.
    fn enable_station(
        &self,
        id: &str,
        now: i64,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Sets how many person keys the station may hold subscribed (`None`: the hub's default).
    /// `false` if there is no such station.
    fn set_max_subscriptions(
        &self,
        id: &str,
        max: Option<i64>,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Makes a one-time re-key code for an enrolled station (its key was stolen, or the
    /// station lost it): enrolling with it replaces every key of the station.
    fn add_rekey_code(
        &self,
        rekey: Rekey,
    ) -> impl Future<Output = Result<Result<(), EnrolRefusal>, StoreError>> + Send;

    /// Uses an enrolment (or re-key) code: single use, before its expiry. Registers the key and
    /// activates the station; a re-key retires every earlier key of the station at `now`.
    fn enrol(
        &self,
        enrolment: Enrolment,
    ) -> impl Future<Output = Result<Result<Enrolled, EnrolRefusal>, StoreError>> + Send;

    /// The principal (station or phone gateway) named by a request's `x-nac-station` header.
    fn principal(
        &self,
        id: &str,
    ) -> impl Future<Output = Result<Option<Principal>, StoreError>> + Send;

    /// Records a request nonce; `false` if this principal used it before (a replay). Also
    /// notes when the principal was last seen and, if the request named one, its release
    /// (`x-nac-app-version`, already checked by [`nac_protocol::app_version`]).
    fn remember_nonce(
        &self,
        principal: &str,
        nonce: &str,
        now: i64,
        app_version: Option<&str>,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Decides and records a page of events from `station` (one transaction); returns one answer
    /// (JSON text of an `EventAnswer`) per event, in order.
    fn push(
        &self,
        station: &str,
        events: Vec<CheckedEvent>,
        order: EpochOrder,
        now: i64,
    ) -> impl Future<Output = Result<Vec<String>, StoreError>> + Send;

    /// Subscribes `station` to person keys (refreshing those it holds), within `limits`;
    /// returns how many were new and the active codes of the requested keys. A refusal
    /// subscribes nothing. Bulk lookups are recorded as district events.
    fn subscribe(
        &self,
        station: &str,
        keys: Vec<PersonKey>,
        limits: SubscribeLimits,
        now: i64,
    ) -> impl Future<Output = Result<Result<Subscribed, SubscribeRefusal>, StoreError>> + Send;

    /// Changes for `station`'s subscribed keys after cursor `since`. When `since` is beyond
    /// the feed (a restored hub), `next` is the feed's head, lower than `since`.
    fn pull(
        &self,
        station: &str,
        since: i64,
        limit: usize,
    ) -> impl Future<Output = Result<Page<Change>, StoreError>> + Send;

    /// The tag of the change at feed position `seq` (16 hex digits of SHA-256 over the code
    /// and the kind of change), `None` for position 0 or one this feed does not hold.
    fn feed_tag(&self, seq: i64)
        -> impl Future<Output = Result<Option<String>, StoreError>> + Send;

    /// How many applications of `station` the hub accepted (and holds).
    fn held_applications(
        &self,
        station: &str,
    ) -> impl Future<Output = Result<u64, StoreError>> + Send;

    /// The trust list after position `since`: a key appears again at a later position each
    /// time its status changes.
    fn trust_entries(
        &self,
        since: i64,
        limit: usize,
    ) -> impl Future<Output = Result<Page<TrustEntry>, StoreError>> + Send;

    /// Superseded and rejected codes after cursor `since`.
    fn revocations(
        &self,
        since: i64,
        limit: usize,
    ) -> impl Future<Output = Result<Page<RevokedSerial>, StoreError>> + Send;

    /// Makes `rotation.new_key` the station's key; the current one becomes its previous key
    /// (kept in the trust list, still accepted until [`Store::retire_previous_key`]). If the new
    /// key is already the station's current key (a retried rotation), answers the earlier
    /// result and changes nothing.
    fn rotate_key(
        &self,
        rotation: KeyRotation,
    ) -> impl Future<Output = Result<Result<Rotated, RotateRefusal>, StoreError>> + Send;

    /// The station's retired keys, oldest first.
    fn retired_keys(
        &self,
        station: &str,
    ) -> impl Future<Output = Result<Vec<RetiredKey>, StoreError>> + Send;

    /// Retires the station's previous key (it signed its first request with the new one): from
    /// now on the old key signs no request, a code signed with it must predate `now`, and the
    /// trust list says so.
    fn retire_previous_key(
        &self,
        station: &str,
        now: i64,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Keeps an audit-log head sent by `station` (the first hash sent for a row number wins;
    /// `false` if a different hash was kept for that row before: the log was rewritten).
    fn add_audit_anchor(
        &self,
        station: &str,
        anchor: AuditAnchor,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// The station's newest `limit` audit anchors, oldest first.
    fn audit_anchors(
        &self,
        station: &str,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<AuditAnchor>, StoreError>> + Send;

    /// Records something the district must see.
    fn record_district_event(
        &self,
        kind: &str,
        station: Option<&str>,
        detail: &str,
        now: i64,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// District events after `since`, oldest first.
    fn district_events(
        &self,
        since: i64,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<DistrictEvent>, StoreError>> + Send;

    /// Deletes idempotency records older than [`nac_protocol::IDEMPOTENCY_RETENTION_SECS`]
    /// (plus a day of margin), nonces older than the request window, subscriptions not
    /// refreshed for [`SUBSCRIPTION_TTL_SECS`], and the sealed secrets of expired codes.
    fn purge(&self, now: i64) -> impl Future<Output = Result<PurgeReport, StoreError>> + Send;

    /// Every row that makes up the hub's state (not nonces, not secrets), as sorted text lines in
    /// the same format for both backends: tests compare it before and after a refused request.
    fn dump(&self) -> impl Future<Output = Result<String, StoreError>> + Send;
}

/// A store of either kind, chosen at start-up (`--data FILE` or `--database postgres://…`).
#[derive(Clone)]
pub enum AnyStore {
    /// Embedded SQLite.
    Sqlite(SqliteStore),
    /// PostgreSQL.
    Postgres(PgStore),
}

impl AnyStore {
    /// Opens (creating and migrating if needed) the database at `location`: a
    /// `postgres://`/`postgresql://` URL, or a SQLite file path.
    pub async fn open(location: &str, now: i64) -> Result<Self, StoreError> {
        if location.starts_with("postgres://") || location.starts_with("postgresql://") {
            Ok(AnyStore::Postgres(PgStore::connect(location, now).await?))
        } else {
            Ok(AnyStore::Sqlite(SqliteStore::open(location, now).await?))
        }
    }
}

macro_rules! delegate {
    ($self:ident, $s:ident => $e:expr) => {
        match $self {
            AnyStore::Sqlite($s) => $e,
            AnyStore::Postgres($s) => $e,
        }
    };
}

impl Store for AnyStore {
    async fn legacy_secrets(&self) -> Result<Option<LegacySecrets>, StoreError> {
        delegate!(self, s => s.legacy_secrets().await)
    }
    async fn seal_legacy(&self, secret: &DistrictSecret) -> Result<u64, StoreError> {
        delegate!(self, s => s.seal_legacy(secret).await)
    }
    async fn phone_keys(&self) -> Result<Option<PhoneKeys>, StoreError> {
        delegate!(self, s => s.phone_keys().await)
    }
    async fn init_phone_keys(&self, keys: PhoneKeys, now: i64) -> Result<(), StoreError> {
        delegate!(self, s => s.init_phone_keys(keys, now).await)
    }
    async fn epochs(&self) -> Result<Vec<Epoch>, StoreError> {
        delegate!(self, s => s.epochs().await)
    }
    async fn new_epoch(&self, reason: &str, now: i64) -> Result<Epoch, StoreError> {
        delegate!(self, s => s.new_epoch(reason, now).await)
    }
    async fn feed_head(&self) -> Result<i64, StoreError> {
        delegate!(self, s => s.feed_head().await)
    }
    async fn add_station(&self, new: NewStation) -> Result<StationRecord, StoreError> {
        delegate!(self, s => s.add_station(new).await)
    }
    async fn list_stations(&self) -> Result<Vec<StationRecord>, StoreError> {
        delegate!(self, s => s.list_stations().await)
    }
    async fn disable_station(&self, id: &str, now: i64) -> Result<bool, StoreError> {
        delegate!(self, s => s.disable_station(id, now).await)
    }
    async fn enable_station(&self, id: &str, now: i64) -> Result<bool, StoreError> {
        delegate!(self, s => s.enable_station(id, now).await)
    }
    async fn set_max_subscriptions(&self, id: &str, max: Option<i64>) -> Result<bool, StoreError> {
        delegate!(self, s => s.set_max_subscriptions(id, max).await)
    }
    async fn add_rekey_code(&self, r: Rekey) -> Result<Result<(), EnrolRefusal>, StoreError> {
        delegate!(self, s => s.add_rekey_code(r).await)
    }
    async fn enrol(&self, e: Enrolment) -> Result<Result<Enrolled, EnrolRefusal>, StoreError> {
        delegate!(self, s => s.enrol(e).await)
    }
    async fn principal(&self, id: &str) -> Result<Option<Principal>, StoreError> {
        delegate!(self, s => s.principal(id).await)
    }
    async fn remember_nonce(
        &self,
        p: &str,
        n: &str,
        now: i64,
        version: Option<&str>,
    ) -> Result<bool, StoreError> {
        delegate!(self, s => s.remember_nonce(p, n, now, version).await)
    }
    async fn push(
        &self,
        station: &str,
        events: Vec<CheckedEvent>,
        order: EpochOrder,
        now: i64,
    ) -> Result<Vec<String>, StoreError> {
        delegate!(self, s => s.push(station, events, order, now).await)
    }
    async fn subscribe(
        &self,
        station: &str,
        keys: Vec<PersonKey>,
        limits: SubscribeLimits,
        now: i64,
    ) -> Result<Result<Subscribed, SubscribeRefusal>, StoreError> {
        delegate!(self, s => s.subscribe(station, keys, limits, now).await)
    }
    async fn pull(
        &self,
        station: &str,
        since: i64,
        limit: usize,
    ) -> Result<Page<Change>, StoreError> {
        delegate!(self, s => s.pull(station, since, limit).await)
    }
    async fn feed_tag(&self, seq: i64) -> Result<Option<String>, StoreError> {
        delegate!(self, s => s.feed_tag(seq).await)
    }
    async fn held_applications(&self, station: &str) -> Result<u64, StoreError> {
        delegate!(self, s => s.held_applications(station).await)
    }
    async fn trust_entries(
        &self,
        since: i64,
        limit: usize,
    ) -> Result<Page<TrustEntry>, StoreError> {
        delegate!(self, s => s.trust_entries(since, limit).await)
    }
    async fn revocations(
        &self,
        since: i64,
        limit: usize,
    ) -> Result<Page<RevokedSerial>, StoreError> {
        delegate!(self, s => s.revocations(since, limit).await)
    }
    async fn rotate_key(
        &self,
        r: KeyRotation,
    ) -> Result<Result<Rotated, RotateRefusal>, StoreError> {
        delegate!(self, s => s.rotate_key(r).await)
    }
    async fn retired_keys(&self, station: &str) -> Result<Vec<RetiredKey>, StoreError> {
        delegate!(self, s => s.retired_keys(station).await)
    }
    async fn retire_previous_key(&self, station: &str, now: i64) -> Result<(), StoreError> {
        delegate!(self, s => s.retire_previous_key(station, now).await)
    }
    async fn add_audit_anchor(&self, station: &str, a: AuditAnchor) -> Result<bool, StoreError> {
        delegate!(self, s => s.add_audit_anchor(station, a).await)
    }
    async fn audit_anchors(
        &self,
        station: &str,
        limit: usize,
    ) -> Result<Vec<AuditAnchor>, StoreError> {
        delegate!(self, s => s.audit_anchors(station, limit).await)
    }
    async fn record_district_event(
        &self,
        kind: &str,
        station: Option<&str>,
        detail: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        delegate!(self, s => s.record_district_event(kind, station, detail, now).await)
    }
    async fn district_events(
        &self,
        since: i64,
        limit: usize,
    ) -> Result<Vec<DistrictEvent>, StoreError> {
        delegate!(self, s => s.district_events(since, limit).await)
    }
    async fn purge(&self, now: i64) -> Result<PurgeReport, StoreError> {
        delegate!(self, s => s.purge(now).await)
    }
    async fn dump(&self) -> Result<String, StoreError> {
        delegate!(self, s => s.dump().await)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn both_backends_end_at_the_schema_the_hub_reports() {
        assert_eq!(
            super::sqlite::MIGRATIONS.last().map(|m| m.0),
            Some(super::SCHEMA_VERSION)
        );
        assert_eq!(
            super::postgres::MIGRATIONS.last().map(|m| m.0),
            Some(super::SCHEMA_VERSION)
        );
    }
}
