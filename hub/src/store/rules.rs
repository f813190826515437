//! The decision about each pushed event, shared by every backend.
//!
//! A backend loads a [`PageState`] — the idempotency records, taken serials, accepted
//! (person, day) pairs and active codes that the page's events touch — inside its transaction,
//! calls [`decide_page`], and writes the resulting [`PageWrites`] in the same transaction.
//! Deciding in one place keeps the backends from drifting apart; the databases' constraints
//! still refuse anything that breaks R2/R3 should a backend load the wrong rows.
//!
//! The rules (docs/sync.md §Rules):
//! 1. An event id seen before: same content (SHA-256 of its canonical JSON) → `duplicate`, with
//!    the first answer replayed byte for byte; different content → `conflict`. Nothing changes.
//! 2. An event refused before the store because it is malformed or its credential does not
//!    verify under the pusher's key → that answer, nothing recorded (so a station cannot
//!    revoke another's code by pushing garbage with it). A genuine code refused for its date
//!    (outside the offline window, ahead of the hub's clock) or for its key (withdrawn before
//!    it was dated) is **recorded as rejected** after the serial check: its revocation is
//!    published, so it is valid nowhere, and a re-send is a `duplicate`.
//! 3. A code — (kid, serial): two stations may pick the same serial — already recorded →
//!    `rejected`/`serial_in_use`, nothing recorded.
//! 4. R3: an accepted application for the same person on the same CST day exists → `rejected`/
//!    `already_applied_today` with the active code; recorded (the code is revoked as rejected).
//! 5. Otherwise `accepted`. R2: the person's active code is the one the hub **accepted last**
//!    (acceptance order, not station clocks: a station clock set wrong cannot make its code
//!    outrank a later one). The one exception is a code re-sent after the hub was restored
//!    from a backup: it belongs to the epoch it was first accepted in, and never outranks a
//!    code accepted in a later epoch ([`EpochOrder`]).

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use nac_protocol::{
    cst_day, ChangeKind, Event, EventAnswer, IssuedCode, Outcome, RejectReason, StoredAnswer,
    PHONE_CHANNEL,
};
use sha2::{Digest, Sha256};

use super::StoreError;

/// A pushed event with the checks that need no database already made.
#[derive(Debug, Clone)]
pub struct CheckedEvent {
    /// The event as received.
    pub event: Event,
    /// SHA-256 hex of the event's canonical JSON (its identity for idempotency).
    pub content_hash: String,
    /// `Some` if the event is refused whatever the database holds.
    pub refusal: Option<EventAnswer>,
    /// Whether the refusal is of a genuine code (signed by the pusher's key), recorded as
    /// rejected so its revocation is published; otherwise nothing is recorded.
    pub record_refusal: bool,
}

impl CheckedEvent {
    /// Wraps an event, computing its content hash; a refusal, if any, is not recorded.
    pub fn new(event: Event, refusal: Option<EventAnswer>) -> Self {
        let canonical = serde_json::to_vec(&event).unwrap_or_default();
        Self {
            content_hash: hex::encode(Sha256::digest(canonical)),
            event,
            refusal,
            record_refusal: false,
        }
    }

    /// Marks the refusal as one of a genuine code, to be recorded.
    pub fn recorded(mut self) -> Self {
        self.record_refusal = self.refusal.is_some();
        self
    }
}

/// A stored idempotency record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredRecord {
    /// The event's content hash.
    pub content_hash: String,
    /// The first answer, as JSON text.
    pub answer: String,
}

/// Where a page's accepted codes stand in R2's acceptance order: the epoch (a lifetime of the
/// hub's database, see [`super::Epoch`]) they belong to. New pushes belong to the current
/// epoch; events re-sent after a restore to the epoch they were first accepted in, so they
/// never supersede a code the restored hub accepted since.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EpochOrder {
    /// The epoch's number.
    pub epoch_no: i64,
}

/// A person's active code with its place in the acceptance order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActiveCode {
    /// The code.
    pub code: IssuedCode,
    /// The epoch it belongs to.
    pub epoch_no: i64,
}

/// A code's identity: (key id, serial).
pub type CodeRef = (String, String);

/// The rows a page of events touches, loaded by the backend inside its transaction.
#[derive(Debug, Clone, Default)]
pub struct PageState {
    /// Idempotency records of the page's event ids.
    pub records: HashMap<String, StoredRecord>,
    /// Which of the page's codes (kid, serial) are already recorded.
    pub taken_codes: HashSet<CodeRef>,
    /// (person key, CST day) pairs of the page's persons that have an accepted application.
    pub accepted_days: HashSet<(String, i64)>,
    /// The active codes of the page's persons.
    pub active: HashMap<String, ActiveCode>,
}

/// What a backend must load for a page: sorted, without repeats.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PageKeys {
    /// Event ids.
    pub event_ids: Vec<String>,
    /// Codes (kid, serial).
    pub codes: Vec<CodeRef>,
    /// Person keys (lock them in this order).
    pub person_keys: Vec<String>,
}

impl PageKeys {
    /// The keys of `events`.
    pub fn of(events: &[CheckedEvent]) -> Self {
        let mut ids = BTreeSet::new();
        let mut codes = BTreeSet::new();
        let mut persons = BTreeSet::new();
        for e in events {
            ids.insert(e.event.event_id.clone());
            codes.insert(code_ref(&e.event));
            persons.insert(e.event.person_key.as_str().to_owned());
        }
        Self {
            event_ids: ids.into_iter().collect(),
            codes: codes.into_iter().collect(),
            person_keys: persons.into_iter().collect(),
        }
    }
}

/// An application row to insert.
#[derive(Debug, Clone)]
pub struct ApplicationRow {
    /// The code.
    pub code: IssuedCode,
    /// The event it came with.
    pub event_id: String,
    /// CST day of `issued_at`.
    pub day: i64,
    /// `self` / `family` / `volunteer`.
    pub capacity: &'static str,
    /// Volunteer id, if any.
    pub volunteer: Option<String>,
    /// The serial the issuer meant to replace.
    pub supersedes: Option<String>,
    /// `accepted` or `rejected`.
    pub status: &'static str,
    /// For `rejected`.
    pub reason: Option<&'static str>,
    /// Unix seconds.
    pub received_at: i64,
    /// The epoch it belongs to in R2's order.
    pub epoch_no: i64,
}

/// An idempotency record to insert.
#[derive(Debug, Clone)]
pub struct RecordRow {
    /// The event id.
    pub event_id: String,
    /// Who pushed it.
    pub station: String,
    /// Its content hash.
    pub content_hash: String,
    /// The answer given, JSON text.
    pub answer: String,
    /// Unix seconds.
    pub received_at: i64,
}

/// A change-feed row to append.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeRow {
    /// Whose code.
    pub person_key: String,
    /// What happened.
    pub kind: ChangeKind,
    /// The code concerned.
    pub code: CodeRef,
    /// For `superseded`: the replacing code.
    pub by: Option<CodeRef>,
    /// For `rejected`.
    pub reason: Option<RejectReason>,
}

/// Everything a page's decisions write, in order.
#[derive(Debug, Clone, Default)]
pub struct PageWrites {
    /// The pushing station (or `phone`).
    pub station: String,
    /// New applications (insert first: the others refer to them).
    pub applications: Vec<ApplicationRow>,
    /// Final active code of each person whose active code changed.
    pub active: BTreeMap<String, CodeRef>,
    /// New idempotency records.
    pub records: Vec<RecordRow>,
    /// Change-feed rows, in order.
    pub changes: Vec<ChangeRow>,
    /// Person keys the pushing station is now subscribed to.
    pub subscriptions: BTreeSet<String>,
}

/// A code's identity, (kid, serial).
pub fn code_ref(e: &Event) -> CodeRef {
    (e.code.kid.to_string(), e.code.serial.clone())
}

fn issued_ref(c: &IssuedCode) -> CodeRef {
    (c.kid.to_string(), c.serial.clone())
}

/// Whether a code accepted now in `epoch_no` becomes the active one over `current`: it does
/// unless it belongs to an earlier epoch than `current` (a code re-sent after a restore).
pub fn outranks(epoch_no: i64, current: &ActiveCode) -> bool {
    epoch_no >= current.epoch_no
}

/// The wire name of a capacity.
fn capacity_name(e: &Event) -> &'static str {
    e.capacity.as_str()
}

/// The [`IssuedCode`] an event records: a station's credential only in its sealed form (the
/// hub never stores the clear text), a phone code's as the hub issued it.
pub fn issued_code(e: &Event) -> IssuedCode {
    IssuedCode {
        person_key: e.person_key.clone(),
        channel: e.channel.clone(),
        serial: e.code.serial.clone(),
        issued_at: e.code.issued_at,
        expires_at: e.code.expires_at,
        kid: e.code.kid,
        credential: e
            .code
            .sealed
            .clone()
            .unwrap_or_else(|| e.code.credential.clone()),
    }
}

/// Decides a page of events from `station` against `state` (updated as the page goes, so an
/// event sees the decisions on the events before it). Returns one answer (JSON) per event and
/// the rows to write.
pub fn decide_page(
    station: &str,
    events: &[CheckedEvent],
    state: &mut PageState,
    order: EpochOrder,
    now: i64,
) -> Result<(Vec<String>, PageWrites), StoreError> {
    let mut answers = Vec::with_capacity(events.len());
    let mut writes = PageWrites {
        station: station.to_owned(),
        ..PageWrites::default()
    };
    for item in events {
        let e = &item.event;
        if let Some(record) = state.records.get(&e.event_id) {
            let answer = if record.content_hash == item.content_hash {
                let original = StoredAnswer::from_json(record.answer.clone())
                    .map_err(|err| StoreError::Corrupt(format!("stored answer: {err}")))?;
                EventAnswer {
                    original: Some(original),
                    ..EventAnswer::new(&e.event_id, Outcome::Duplicate)
                }
            } else {
                EventAnswer {
                    message: Some(
                        "this event id was already used with different content; nothing changed"
                            .into(),
                    ),
                    ..EventAnswer::new(&e.event_id, Outcome::Conflict)
                }
            };
            answers.push(to_json(&answer)?);
            continue;
        }
        if let (Some(refusal), false) = (&item.refusal, item.record_refusal) {
            answers.push(to_json(refusal)?);
            continue;
        }
        if state.taken_codes.contains(&code_ref(e)) {
            let answer = EventAnswer {
                reason: Some(RejectReason::SerialInUse),
                message: Some("this serial belongs to another application; nothing changed".into()),
                ..EventAnswer::new(&e.event_id, Outcome::Rejected)
            };
            answers.push(to_json(&answer)?);
            continue;
        }
        let code = issued_code(e);
        let this = issued_ref(&code);
        let person = e.person_key.as_str().to_owned();
        let day = cst_day(code.issued_at);
        state.taken_codes.insert(this.clone());
        let answer = if let Some(refusal) = &item.refusal {
            let reason = refusal.reason.unwrap_or(RejectReason::InvalidEvent);
            writes
                .applications
                .push(application(item, &code, day, "rejected", order, now));
            if let Some(last) = writes.applications.last_mut() {
                last.reason = Some(reason.as_str());
            }
            writes.changes.push(ChangeRow {
                person_key: person.clone(),
                kind: ChangeKind::Rejected,
                code: this.clone(),
                by: None,
                reason: Some(reason),
            });
            EventAnswer {
                active: state.active.get(&person).map(|a| a.code.clone()),
                ..refusal.clone()
            }
        } else if state.accepted_days.contains(&(person.clone(), day)) {
            writes
                .applications
                .push(application(item, &code, day, "rejected", order, now));
            if let Some(last) = writes.applications.last_mut() {
                last.reason = Some(RejectReason::AlreadyAppliedToday.as_str());
            }
            writes.changes.push(ChangeRow {
                person_key: person.clone(),
                kind: ChangeKind::Rejected,
                code: this.clone(),
                by: None,
                reason: Some(RejectReason::AlreadyAppliedToday),
            });
            EventAnswer {
                reason: Some(RejectReason::AlreadyAppliedToday),
                message: Some(
                    "already applied today (当日已完成申领): one application per person per day; \
                     the active code is attached"
                        .into(),
                ),
                active: state.active.get(&person).map(|a| a.code.clone()),
                ..EventAnswer::new(&e.event_id, Outcome::Rejected)
            }
        } else {
            writes
                .applications
                .push(application(item, &code, day, "accepted", order, now));
            state.accepted_days.insert((person.clone(), day));
            writes.changes.push(ChangeRow {
                person_key: person.clone(),
                kind: ChangeKind::Issued,
                code: this.clone(),
                by: None,
                reason: None,
            });
            let (loser, winner) = match state.active.get(&person) {
                None => (None, code.clone()),
                Some(current) if outranks(order.epoch_no, current) => {
                    (Some(issued_ref(&current.code)), code.clone())
                }
                Some(current) => (Some(this.clone()), current.code.clone()),
            };
            if let Some(loser) = loser {
                writes.changes.push(ChangeRow {
                    person_key: person.clone(),
                    kind: ChangeKind::Superseded,
                    code: loser,
                    by: Some(issued_ref(&winner)),
                    reason: None,
                });
            }
            if issued_ref(&winner) == this {
                writes.active.insert(person.clone(), this.clone());
                state.active.insert(
                    person.clone(),
                    ActiveCode {
                        code: code.clone(),
                        epoch_no: order.epoch_no,
                    },
                );
            }
            EventAnswer {
                active: Some(winner),
                ..EventAnswer::new(&e.event_id, Outcome::Accepted)
            }
        };
        let answer = to_json(&answer)?;
        state.records.insert(
            e.event_id.clone(),
            StoredRecord {
                content_hash: item.content_hash.clone(),
                answer: answer.clone(),
            },
        );
        writes.records.push(RecordRow {
            event_id: e.event_id.clone(),
            station: station.to_owned(),
            content_hash: item.content_hash.clone(),
            answer: answer.clone(),
            received_at: now,
        });
        if station != PHONE_CHANNEL {
            writes.subscriptions.insert(person);
        }
        answers.push(answer);
    }
    Ok((answers, writes))
}

fn application(
    item: &CheckedEvent,
    code: &IssuedCode,
    day: i64,
    status: &'static str,
    order: EpochOrder,
    now: i64,
) -> ApplicationRow {
    ApplicationRow {
        code: code.clone(),
        event_id: item.event.event_id.clone(),
        day,
        capacity: capacity_name(&item.event),
        volunteer: item.event.volunteer.clone(),
        supersedes: item.event.supersedes.clone(),
        status,
        reason: None,
        received_at: now,
        epoch_no: order.epoch_no,
    }
}

fn to_json(answer: &EventAnswer) -> Result<String, StoreError> {
    serde_json::to_string(answer).map_err(|e| StoreError::Corrupt(format!("answer: {e}")))
}
