//! What the hub does, between HTTP and storage: checking pushed credentials, stations and
//! enrolment codes, and issuing phone renewals.
//!
//! Kept apart from `http/` so the CLI (`station add`, `phone renew` without `--hub`) and the
//! tests drive exactly the same code as a request does.

use nac_credential::{issue, verify, Claims, StationKey, TrustList, Verdict, VALIDITY_SECS};
use nac_protocol::auth::{verify_enrolment_proof, verify_rotation_proof};
use nac_protocol::{
    Capacity, Channel, Code, EnrolRequest, Event, EventAnswer, Outcome, PhoneRenewRequest,
    RejectReason, RotateKeyRequest, RotateKeyResponse, TrustEntry, MAX_ITEMS_PER_PAGE,
    MAX_REQUEST_SKEW_SECS, PHONE_CHANNEL, V1,
};
use sha2::{Digest, Sha256};

use crate::clock::Clock;
use crate::keys::{KeyDir, KeyError};
use crate::store::{
    CheckedEvent, EnrolRefusal, Enrolled, Enrolment, Epoch, EpochOrder, KeyRotation, NewStation,
    PhoneKeys, Principal, Rekey, RotateRefusal, StationRecord, Store, StoreError, SubscribeLimits,
};
use nac_protocol::ids::CROCKFORD;

/// How long an enrolment code works: 24 hours.
pub const ENROLMENT_CODE_TTL_SECS: i64 = 24 * 3600;

/// Why a service operation failed.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// No random numbers.
    #[error("random source failed: {0}")]
    Random(String),
    /// The request is well-formed but wrong (HTTP 400).
    #[error("{0}")]
    BadRequest(String),
    /// The enrolment proof does not verify (HTTP 401).
    #[error("enrolment proof does not verify")]
    BadProof,
    /// The enrolment code was refused (HTTP 403).
    #[error("enrolment refused: {}", .0.as_str())]
    EnrolRefused(EnrolRefusal),
    /// The rotation proof does not verify under the new key (HTTP 401).
    #[error("rotation proof does not verify")]
    BadRotationProof,
    /// The key rotation was refused (HTTP 403).
    #[error("key rotation refused: {}", .0.as_str())]
    RotateRefused(RotateRefusal),
    /// Issuing the phone credential failed.
    #[error("issuing failed: {0}")]
    Issue(String),
    /// A key the operation needs is missing or unsafe.
    #[error(transparent)]
    Key(#[from] KeyError),
    /// The key directory does not belong to this database.
    #[error("{0}")]
    KeysMismatch(String),
    /// The hub has no phone issuing key (`phone-issuer.key` is not in its key directory).
    #[error("this hub has no phone issuing key; phone renewals are off")]
    NoPhoneIssuer,
}

/// What the district decides (docs/sync.md §6): how far back a code may be dated, how many
/// residents a station may look up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// How long before its arrival a code may be dated (a station offline that long still
    /// syncs; older codes are refused): 7 days by default.
    pub offline_window_secs: i64,
    /// Person keys a station may hold subscribed, unless the district set its own.
    pub max_subscriptions: i64,
    /// New person keys a station may look up in a day (a new station's first sync included).
    pub max_new_lookups_per_day: i64,
    /// New keys in a day above which the district is shown a bulk look-up.
    pub bulk_lookup_alert: i64,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            offline_window_secs: nac_protocol::DEFAULT_OFFLINE_WINDOW_SECS,
            max_subscriptions: 5_000,
            max_new_lookups_per_day: 5_000,
            bulk_lookup_alert: 500,
        }
    }
}

/// The hub: a store, a clock, its keys and the district's policy.
#[derive(Clone)]
pub struct Hub<S: Store> {
    /// The database.
    pub store: S,
    /// The clock (injectable).
    pub clock: Clock,
    /// The key directory (private keys live there, never in the database).
    pub keys: KeyDir,
    /// The district's rules.
    pub policy: Policy,
    /// The database's current epoch (a station's re-send can start a new one: see
    /// [`Hub::push_order`]).
    epoch: std::sync::Arc<std::sync::RwLock<Epoch>>,
    phone_issuer: Option<StationKey>,
}

impl<S: Store> Hub<S> {
    /// A hub over `store` with its keys in `keys`: moves the secrets an older hub kept in its
    /// database into `keys`, records the public keys of a new hub's phone issuer and gateway
    /// (creating the keys), checks that `keys` belongs to this database, and starts a new
    /// epoch if the database went back in time since this key directory last saw it (restored
    /// from a backup).
    pub async fn open(
        store: S,
        clock: Clock,
        keys: KeyDir,
        policy: Policy,
    ) -> Result<Self, ServiceError> {
        let now = clock.now();
        if let Some(legacy) = store.legacy_secrets().await? {
            for (name, bytes) in [
                (crate::keys::DISTRICT_KEY, legacy.district_secret.0),
                (crate::keys::PHONE_ISSUER_KEY, legacy.phone_issuer),
                (crate::keys::PHONE_GATEWAY_KEY, legacy.phone_gateway),
            ] {
                if !keys.has(name) {
                    keys.write_new(name, &bytes)?;
                }
            }
            if keys.district_secret()? != legacy.district_secret {
                return Err(ServiceError::KeysMismatch(format!(
                    "{} holds another district secret than this database; nothing was changed",
                    keys.path().display()
                )));
            }
            let sealed = store.seal_legacy(&legacy.district_secret).await?;
            tracing::warn!(
                sealed,
                keys = %keys.path().display(),
                "moved the district secret and the phone keys out of the database into the key \
                 directory, and sealed the stored credentials; keep the key directory safe and \
                 apart from database backups"
            );
        }
        let recorded = store.phone_keys().await?;
        let phone_issuer = match recorded {
            None => {
                keys.create_missing()?;
                let issuer = keys.phone_issuer()?;
                let gateway = keys.phone_gateway()?;
                store
                    .init_phone_keys(
                        PhoneKeys {
                            issuer: issuer.public_key(),
                            gateway: gateway.public_key(),
                        },
                        now,
                    )
                    .await?;
                Some(issuer)
            }
            Some(recorded) => {
                if keys.has(crate::keys::PHONE_ISSUER_KEY) {
                    let issuer = keys.phone_issuer()?;
                    if issuer.public_key() != recorded.issuer {
                        return Err(ServiceError::KeysMismatch(format!(
                            "{}: its phone issuing key is not this database's",
                            keys.path().display()
                        )));
                    }
                    Some(issuer)
                } else {
                    None
                }
            }
        };
        let epoch = crate::epoch::current(&store, &keys, now).await?;
        Ok(Self {
            store,
            clock,
            keys,
            policy,
            epoch: std::sync::Arc::new(std::sync::RwLock::new(epoch)),
            phone_issuer,
        })
    }

    /// The database's current epoch.
    pub fn epoch(&self) -> Epoch {
        match self.epoch.read() {
            Ok(e) => e.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// The key the hub signs phone codes with, if its key directory holds it.
    pub fn phone_issuer(&self) -> Option<&StationKey> {
        self.phone_issuer.as_ref()
    }

    /// Where a push's accepted codes stand in R2's order: the current epoch, or for events
    /// re-sent after a restore, the earlier epoch they were first accepted in (if this
    /// database knows it). The second value: whether the push is such a re-send.
    ///
    /// A re-send from the *current* epoch means a station found the hub missing what it had
    /// accepted without an epoch having changed (restored together with its key directory,
    /// so the feed stamp could not tell): the hub starts a new epoch then, so these events
    /// and every station's re-sends are ordered before what it accepts from now on.
    pub async fn push_order(
        &self,
        resent_from: Option<&str>,
    ) -> Result<(EpochOrder, bool), ServiceError> {
        let current = self.epoch();
        let Some(name) = resent_from else {
            return Ok((
                EpochOrder {
                    epoch_no: current.no,
                },
                false,
            ));
        };
        if name == current.name {
            let now = self.clock.now();
            let started = self.store.new_epoch("restored", now).await?;
            self.store
                .record_district_event(
                    "restore_detected",
                    None,
                    "a station re-sent events the hub no longer held (restored from a backup \
                     without a new epoch); a new epoch was started",
                    now,
                )
                .await?;
            tracing::warn!(
                epoch = %started.name,
                "a station re-sent events the hub no longer held: it was restored from a \
                 backup; new epoch"
            );
            if let Ok(mut e) = self.epoch.write() {
                *e = started;
            }
            return Ok((
                EpochOrder {
                    epoch_no: current.no,
                },
                true,
            ));
        }
        let epochs = self.store.epochs().await?;
        Ok(match epochs.iter().find(|e| e.name == name) {
            Some(e) => (EpochOrder { epoch_no: e.no }, true),
            None => (
                EpochOrder {
                    epoch_no: current.no,
                },
                false,
            ),
        })
    }

    /// The subscribe limits of `station`.
    pub fn subscribe_limits(&self, station: &Principal) -> SubscribeLimits {
        let max_total = station
            .max_subscriptions
            .unwrap_or(self.policy.max_subscriptions);
        SubscribeLimits {
            max_total,
            max_new_per_day: self.policy.max_new_lookups_per_day.max(max_total),
            alert_new_per_day: self.policy.bulk_lookup_alert,
        }
    }

    /// Adds a station; returns it and its one-time enrolment code (shown once, stored hashed;
    /// the district secret is stored sealed under it, and only until it is used).
    pub async fn add_station(
        &self,
        name: &str,
        area: &str,
    ) -> Result<(StationRecord, String), ServiceError> {
        let now = self.clock.now();
        let id = format!("ST-{}", random_crockford(6)?);
        let code = new_enrolment_code()?;
        let sealed_secret = self.seal_secret_for(&code, &id)?;
        let record = self
            .store
            .add_station(NewStation {
                id,
                name: name.to_owned(),
                area: area.to_owned(),
                code_hash: enrolment_code_hash(&code),
                now,
                code_expires_at: now + ENROLMENT_CODE_TTL_SECS,
                sealed_secret,
            })
            .await?;
        Ok((record, code))
    }

    /// A one-time re-key code for an enrolled station whose key was stolen or lost: enrolling
    /// with it (`nac enrol --code …` on the station) replaces and retires every key the
    /// station held. The district sees it in its events.
    pub async fn rekey_station(&self, station: &str) -> Result<String, ServiceError> {
        let now = self.clock.now();
        let code = new_enrolment_code()?;
        let sealed_secret = self.seal_secret_for(&code, station)?;
        self.store
            .add_rekey_code(Rekey {
                station: station.to_owned(),
                code_hash: enrolment_code_hash(&code),
                sealed_secret,
                now,
                code_expires_at: now + ENROLMENT_CODE_TTL_SECS,
            })
            .await?
            .map_err(ServiceError::EnrolRefused)?;
        Ok(code)
    }

    fn seal_secret_for(&self, code: &str, station: &str) -> Result<String, ServiceError> {
        let secret = self.keys.district_secret()?;
        nac_protocol::seal_district_secret(code, station, &secret)
            .map_err(|e| ServiceError::Random(e.to_string()))
    }

    /// Enrols a station: checks the proof of key possession, uses the code, returns the station
    /// id and the district secret sealed under the code.
    pub async fn enrol(&self, req: &EnrolRequest) -> Result<Enrolled, ServiceError> {
        if req.public_key.kid() != req.kid {
            return Err(ServiceError::BadRequest(
                "kid does not match public_key".into(),
            ));
        }
        let name = req.station_name.trim();
        if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
            return Err(ServiceError::BadRequest(
                "station_name must be 1-100 characters, no control characters".into(),
            ));
        }
        if !verify_enrolment_proof(&req.public_key, &req.enrolment_code, &req.proof) {
            return Err(ServiceError::BadProof);
        }
        let outcome = self
            .store
            .enrol(Enrolment {
                code_hash: enrolment_code_hash(&req.enrolment_code),
                device_name: name.to_owned(),
                public_key: req.public_key,
                now: self.clock.now(),
            })
            .await?;
        outcome.map_err(ServiceError::EnrolRefused)
    }

    /// Replaces `station`'s signing key with the one in `req` (see [`RotateKeyRequest`]).
    pub async fn rotate_key(
        &self,
        station: &Principal,
        req: &RotateKeyRequest,
    ) -> Result<RotateKeyResponse, ServiceError> {
        if req.public_key.kid() != req.kid {
            return Err(ServiceError::BadRequest(
                "kid does not match public_key".into(),
            ));
        }
        if !verify_rotation_proof(&req.public_key, &station.id, &req.proof) {
            return Err(ServiceError::BadRotationProof);
        }
        if station.signed_with_previous && station.public_key != Some(req.public_key) {
            return Err(ServiceError::RotateRefused(RotateRefusal::Unfinished));
        }
        let rotated = self
            .store
            .rotate_key(KeyRotation {
                station: station.id.clone(),
                new_key: req.public_key,
                now: self.clock.now(),
            })
            .await?
            .map_err(ServiceError::RotateRefused)?;
        let replaced_kid = rotated
            .replaced_kid
            .parse()
            .map_err(|_| StoreError::Corrupt("replaced kid".into()))?;
        Ok(RotateKeyResponse {
            v: V1,
            kid: req.kid,
            replaced_kid,
            rotated_at: rotated.rotated_at,
        })
    }

    /// The whole trust list (every page).
    pub async fn full_trust_list(&self) -> Result<Vec<TrustEntry>, ServiceError> {
        let mut all = Vec::new();
        let mut since = 0;
        loop {
            let page = self.store.trust_entries(since, MAX_ITEMS_PER_PAGE).await?;
            all.extend(page.items);
            if !page.more {
                return Ok(all);
            }
            since = page.next;
        }
    }

    /// Checks what needs no database: the event's own rules, its date (not ahead of the hub's
    /// clock, not before the district's offline window unless `resent`, not expired), and its
    /// credential against the pushing station's keys as they stood when the code was dated.
    pub fn check_station_event(
        &self,
        station: &Principal,
        event: Event,
        resent: bool,
        now: i64,
    ) -> CheckedEvent {
        let window = (!resent).then_some(self.policy.offline_window_secs);
        match refusal_for(station, &event, window, now) {
            Refusal::None => CheckedEvent::new(event, None),
            Refusal::Unrecorded(answer) => CheckedEvent::new(event, Some(answer)),
            Refusal::Recorded(answer) => CheckedEvent::new(event, Some(answer)).recorded(),
        }
    }

    /// The pushing station with its retired keys loaded, if any event carries a code signed
    /// with a key other than its current one (the common case costs no query).
    pub async fn signer_for(
        &self,
        principal: &Principal,
        events: &[Event],
    ) -> Result<Principal, StoreError> {
        let mut signer = principal.clone();
        let current = principal.public_key.map(|k| k.kid());
        if events.iter().any(|e| Some(e.code.kid) != current) {
            signer.retired = self.store.retired_keys(&principal.id).await?;
        }
        Ok(signer)
    }

    /// [`Self::check_station_event`] for a whole page, spread over the machine's cores
    /// (verifying a credential costs ~35 µs; a page of 500 is worth splitting). Blocking: call
    /// it from the blocking pool.
    pub fn check_station_events(
        &self,
        station: &Principal,
        events: Vec<Event>,
        resent: bool,
        now: i64,
    ) -> Vec<CheckedEvent> {
        let threads = std::thread::available_parallelism().map_or(1, usize::from);
        if threads < 2 || events.len() < 64 {
            return events
                .into_iter()
                .map(|e| self.check_station_event(station, e, resent, now))
                .collect();
        }
        let chunk = events.len().div_ceil(threads);
        let mut chunks: Vec<Vec<Event>> = Vec::new();
        let mut rest = events;
        while rest.len() > chunk {
            let tail = rest.split_off(chunk);
            chunks.push(rest);
            rest = tail;
        }
        chunks.push(rest);
        std::thread::scope(|scope| {
            let handles: Vec<_> = chunks
                .into_iter()
                .map(|part| {
                    scope.spawn(move || {
                        part.into_iter()
                            .map(|e| self.check_station_event(station, e, resent, now))
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            handles
                .into_iter()
                // A panic in a checker is re-raised, never turned into missing answers.
                .flat_map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
                .collect()
        })
    }

    /// A resident's own renewal: issues the code with the hub's phone key and decides it like
    /// any pushed event. Deterministic in the request, so a retry is a `duplicate`.
    pub async fn phone_renew(&self, req: &PhoneRenewRequest) -> Result<String, ServiceError> {
        let now = self.clock.now();
        if !nac_protocol::is_event_id(&req.event_id) {
            return Err(ServiceError::BadRequest(
                "event_id must be a lowercase UUID".into(),
            ));
        }
        if req.capacity == Capacity::Volunteer {
            return Err(ServiceError::BadRequest(
                "the phone channel has no volunteers".into(),
            ));
        }
        let earliest = now.saturating_sub(self.policy.offline_window_secs);
        if req.issued_at < earliest || req.issued_at > now + MAX_REQUEST_SKEW_SECS {
            return Err(ServiceError::BadRequest(format!(
                "issued_at must lie between the district's offline window ({} days back) and 5 \
                 minutes ahead of the hub's clock",
                self.policy.offline_window_secs / 86_400
            )));
        }
        let issuer = self
            .phone_issuer
            .as_ref()
            .ok_or(ServiceError::NoPhoneIssuer)?;
        let serial = phone_serial(&req.event_id);
        let claims = Claims {
            serial: serial.clone(),
            resident_ref: req.event_id.clone(),
            masked_name: "*".into(),
            id_last4: String::new(),
            issued_at: req.issued_at,
            expires_at: req.issued_at + VALIDITY_SECS,
            station_id: PHONE_CHANNEL.into(),
        };
        let credential = issue(&claims, issuer).map_err(|e| ServiceError::Issue(e.to_string()))?;
        let event = Event {
            event_id: req.event_id.clone(),
            person_key: req.person_key.clone(),
            capacity: req.capacity,
            channel: Channel::Phone,
            volunteer: None,
            code: Code {
                serial,
                issued_at: claims.issued_at,
                expires_at: claims.expires_at,
                kid: issuer.kid(),
                credential,
                sealed: None,
            },
            supersedes: None,
        };
        let refusal = event
            .validate()
            .err()
            .map(|e| invalid(&event, RejectReason::InvalidEvent, e.to_string()));
        let order = EpochOrder {
            epoch_no: self.epoch().no,
        };
        let mut answers = self
            .store
            .push(
                PHONE_CHANNEL,
                vec![CheckedEvent::new(event, refusal)],
                order,
                now,
            )
            .await?;
        answers
            .pop()
            .ok_or_else(|| ServiceError::Issue("no answer for the phone renewal".into()))
    }
}

/// SHA-256 hex of an enrolment code, after normalising (uppercase, no `-` or spaces), so a
/// volunteer may type it in lowercase or without dashes.
pub fn enrolment_code_hash(code: &str) -> String {
    let normal = nac_protocol::normalize_enrolment_code(code);
    hex::encode(Sha256::digest(normal.as_bytes()))
}

/// A fresh one-time code: 16 Crockford characters (80 bits) in groups of four.
fn new_enrolment_code() -> Result<String, ServiceError> {
    let code = random_crockford(16)?;
    Ok(format!(
        "{}-{}-{}-{}",
        &code[0..4],
        &code[4..8],
        &code[8..12],
        &code[12..16]
    ))
}

/// The serial of a phone renewal: `P` + 9 Crockford characters of SHA-256(event id).
pub fn phone_serial(event_id: &str) -> String {
    let digest = Sha256::digest(event_id.as_bytes());
    let mut serial = String::from("P");
    serial.extend(
        digest
            .iter()
            .take(9)
            .map(|b| CROCKFORD[usize::from(b & 31)] as char),
    );
    serial
}

fn random_crockford(n: usize) -> Result<String, ServiceError> {
    nac_protocol::ids::random_crockford(n).map_err(|e| ServiceError::Random(e.to_string()))
}

fn invalid(event: &Event, reason: RejectReason, message: String) -> EventAnswer {
    EventAnswer {
        reason: Some(reason),
        message: Some(message),
        ..EventAnswer::new(&event.event_id, Outcome::Rejected)
    }
}

/// Why a station's event must be refused, if it must.
enum Refusal {
    None,
    /// Malformed, or not the pusher's genuine code: nothing is recorded.
    Unrecorded(EventAnswer),
    /// A genuine code refused for its date or its key: recorded as rejected, so its
    /// revocation is published and it is valid nowhere.
    Recorded(EventAnswer),
}

/// Why a station's event must be refused. `window`: how far back a code may be dated (`None`
/// for events re-sent after a restore, which were on time when first sent). The credential is
/// checked first (a code that is not the pusher's own is never recorded), then its date and
/// whether its key was withdrawn before it.
fn refusal_for(station: &Principal, event: &Event, window: Option<i64>, now: i64) -> Refusal {
    if let Err(e) = event.validate() {
        return Refusal::Unrecorded(invalid(event, RejectReason::InvalidEvent, e.to_string()));
    }
    let bad = |why: &str| {
        Refusal::Unrecorded(invalid(event, RejectReason::InvalidCredential, why.into()))
    };
    let Some(current) = station.public_key else {
        return bad("the station has no registered key");
    };
    let issued_at = event.code.issued_at;
    // The key that signed it, and the last date it was good for (a key retired by a rotation
    // or a re-key).
    let (key, not_after) = if event.code.kid == current.kid() {
        (current, None)
    } else {
        match station
            .retired
            .iter()
            .find(|k| k.public_key.kid() == event.code.kid)
        {
            Some(old) => (old.public_key, old.retired_at),
            None => return bad("kid is not the pushing station's key"),
        }
    };
    let mut trust = TrustList::new();
    trust.add_issuer(key, station.id.clone());
    // Verified as of its own date: the date checks below are the hub's, with their reasons.
    let checked = verify(&event.code.credential, &trust, issued_at);
    if !matches!(checked.verdict, Verdict::Valid | Verdict::Expired) {
        return bad(&format!(
            "credential does not verify under the station's key: {}",
            checked.verdict
        ));
    }
    let Some(claims) = checked.claims else {
        return bad("credential has no verified claims");
    };
    if claims.serial != event.code.serial
        || claims.issued_at != event.code.issued_at
        || claims.expires_at != event.code.expires_at
    {
        return bad("credential claims do not match the event's serial and times");
    }
    let refuse = |reason, why: String| Refusal::Recorded(invalid(event, reason, why));
    if issued_at > now.saturating_add(MAX_REQUEST_SKEW_SECS) {
        return refuse(
            RejectReason::IssuedInFuture,
            format!(
                "issued_at is {} s after the hub's clock (at most {MAX_REQUEST_SKEW_SECS} s): the \
                 station's clock is fast",
                issued_at - now
            ),
        );
    }
    if now >= event.code.expires_at {
        return refuse(RejectReason::IssuedTooEarly, "the code has expired".into());
    }
    if let Some(window) = window {
        if issued_at < now.saturating_sub(window) {
            return refuse(
                RejectReason::IssuedTooEarly,
                format!(
                    "issued_at is {} days before the hub's clock; the district accepts codes up \
                     to {} days old (a station clock set back, or a station offline longer)",
                    (now - issued_at) / 86_400,
                    window / 86_400
                ),
            );
        }
    }
    if station.disabled_at.is_some_and(|d| issued_at > d) {
        return refuse(
            RejectReason::KeyWithdrawn,
            "the district disabled this station before the code was dated".into(),
        );
    }
    if not_after.is_some_and(|t| issued_at > t) {
        return refuse(
            RejectReason::KeyWithdrawn,
            "signed with a key the station had replaced before the code was dated".into(),
        );
    }
    Refusal::None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enrolment_codes_normalise() {
        assert_eq!(
            enrolment_code_hash("abcd-efgh"),
            enrolment_code_hash("ABCDEFGH")
        );
        assert_ne!(
            enrolment_code_hash("ABCDEFGH"),
            enrolment_code_hash("ABCDEFGJ")
        );
    }

    #[test]
    fn phone_serials_are_deterministic() {
        let a = phone_serial("3f2b9c4e-1d7a-4b8e-9f01-23456789abcd");
        assert_eq!(a, phone_serial("3f2b9c4e-1d7a-4b8e-9f01-23456789abcd"));
        assert_eq!(a.len(), 10);
        assert!(nac_protocol::is_serial(&a));
        assert_ne!(a, phone_serial("3f2b9c4e-1d7a-4b8e-9f01-23456789abce"));
    }
}
