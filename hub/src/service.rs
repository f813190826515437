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
use crate::store::{
    CheckedEvent, EnrolRefusal, Enrolment, KeyRotation, NewStation, Principal, RotateRefusal,
    StationRecord, Store, StoreError,
};

/// How long an enrolment code works: 24 hours.
pub const ENROLMENT_CODE_TTL_SECS: i64 = 24 * 3600;

/// Crockford base32: no I, L, O, U, so codes read aloud or typed from paper are unambiguous.
const CROCKFORD: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

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
}

/// The hub: a store and a clock.
#[derive(Clone)]
pub struct Hub<S: Store> {
    /// The database.
    pub store: S,
    /// The clock (injectable).
    pub clock: Clock,
}

impl<S: Store> Hub<S> {
    /// A hub over `store`.
    pub fn new(store: S, clock: Clock) -> Self {
        Self { store, clock }
    }

    /// Adds a station; returns it and its one-time enrolment code (shown once, stored hashed).
    pub async fn add_station(
        &self,
        name: &str,
        area: &str,
    ) -> Result<(StationRecord, String), ServiceError> {
        let now = self.clock.now();
        let id = format!("ST-{}", random_crockford(6)?);
        let code = random_crockford(16)?;
        let code = format!(
            "{}-{}-{}-{}",
            &code[0..4],
            &code[4..8],
            &code[8..12],
            &code[12..16]
        );
        let record = self
            .store
            .add_station(NewStation {
                id,
                name: name.to_owned(),
                area: area.to_owned(),
                code_hash: enrolment_code_hash(&code),
                now,
                code_expires_at: now + ENROLMENT_CODE_TTL_SECS,
            })
            .await?;
        Ok((record, code))
    }

    /// Enrols a station: checks the proof of key possession, uses the code, returns the station
    /// id.
    pub async fn enrol(&self, req: &EnrolRequest) -> Result<String, ServiceError> {
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

    /// Checks what needs no database: the event's own rules, its date, and its credential
    /// against the pushing station's registered key.
    pub fn check_station_event(&self, station: &Principal, event: Event, now: i64) -> CheckedEvent {
        let refusal = refusal_for(station, &event, now);
        CheckedEvent::new(event, refusal)
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
        now: i64,
    ) -> Vec<CheckedEvent> {
        let threads = std::thread::available_parallelism().map_or(1, usize::from);
        if threads < 2 || events.len() < 64 {
            return events
                .into_iter()
                .map(|e| self.check_station_event(station, e, now))
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
                            .map(|e| self.check_station_event(station, e, now))
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
        if req.issued_at < 0 || req.issued_at > now + MAX_REQUEST_SKEW_SECS {
            return Err(ServiceError::BadRequest(
                "issued_at must be a unix time at most 5 minutes ahead of the hub".into(),
            ));
        }
        let issuer = &self.store.hub_secrets().phone_issuer;
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
            },
            supersedes: None,
        };
        let refusal = event
            .validate()
            .err()
            .map(|e| invalid(&event, RejectReason::InvalidEvent, e.to_string()));
        let mut answers = self
            .store
            .push(PHONE_CHANNEL, vec![CheckedEvent::new(event, refusal)], now)
            .await?;
        answers
            .pop()
            .ok_or_else(|| ServiceError::Issue("no answer for the phone renewal".into()))
    }
}

/// The hub's phone issuer key (for tests and the CLI).
pub fn phone_issuer<S: Store>(hub: &Hub<S>) -> &StationKey {
    &hub.store.hub_secrets().phone_issuer
}

/// SHA-256 hex of an enrolment code, after normalising (uppercase, no `-` or spaces), so a
/// volunteer may type it in lowercase or without dashes.
pub fn enrolment_code_hash(code: &str) -> String {
    let normal: String = code
        .chars()
        .filter(|c| !matches!(c, '-' | ' '))
        .map(|c| c.to_ascii_uppercase())
        .collect();
    hex::encode(Sha256::digest(normal.as_bytes()))
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
    let mut bytes = vec![0u8; n];
    getrandom::fill(&mut bytes).map_err(|e| ServiceError::Random(e.to_string()))?;
    Ok(bytes
        .iter()
        .map(|b| CROCKFORD[usize::from(b & 31)] as char)
        .collect())
}

fn invalid(event: &Event, reason: RejectReason, message: String) -> EventAnswer {
    EventAnswer {
        reason: Some(reason),
        message: Some(message),
        ..EventAnswer::new(&event.event_id, Outcome::Rejected)
    }
}

/// Why a station's event must be refused before the store, if it must.
fn refusal_for(station: &Principal, event: &Event, now: i64) -> Option<EventAnswer> {
    if let Err(e) = event.validate() {
        return Some(invalid(event, RejectReason::InvalidEvent, e.to_string()));
    }
    if event.code.issued_at > now.saturating_add(MAX_REQUEST_SKEW_SECS) {
        return Some(invalid(
            event,
            RejectReason::IssuedInFuture,
            "issued_at is more than 5 minutes after the hub's clock".into(),
        ));
    }
    let bad = |why: &str| Some(invalid(event, RejectReason::InvalidCredential, why.into()));
    let Some(current) = station.public_key else {
        return bad("the station has no registered key");
    };
    let key = if event.code.kid == current.kid() {
        current
    } else {
        // A code signed before the station rotated its key, pushed after: genuine if issued
        // before the hub retired that key (with the request clock window as margin).
        match station
            .retired
            .iter()
            .find(|k| k.public_key.kid() == event.code.kid)
        {
            Some(old)
                if old.retired_at.is_none_or(|retired| {
                    event.code.issued_at <= retired.saturating_add(MAX_REQUEST_SKEW_SECS)
                }) =>
            {
                old.public_key
            }
            Some(_) => return bad("kid is a retired key of the pushing station, and the code was issued after it was retired"),
            None => return bad("kid is not the pushing station's key"),
        }
    };
    let mut trust = TrustList::new();
    trust.add_issuer(key, station.id.clone());
    let checked = verify(&event.code.credential, &trust, now);
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
    None
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
