//! Applying for a code (R1–R5): one resident, or everyone due in a batch.
//!
//! An application is all-or-nothing: the application row, the new code, the superseding of the
//! old code (R2), the outbox event for the hub and the audit entry commit in one transaction.
//! A refused application (R3: already applied today) writes nothing at all. The database holds
//! R2 and R3 as unique indexes too, so even a bug or a second process cannot break them.
//!
//! A batch commits in chunks (one fsync per chunk instead of one per person) with a savepoint
//! per resident: a failure for one resident rolls back only that resident, and a crash loses at
//! most the uncommitted chunk, none of which has been reported as done.

use super::status::{load_active_code, CodeView, ResidentQuery, StatusFilter};
use super::{audit, Change, Station};
use crate::domain::document::mask_middle;
use crate::domain::{Capacity, PersonName};
use crate::error::{Error, Result};
use crate::ids;
use crate::time::{cst_day, VALIDITY_SECS};
use nac_credential::{Claims, StationKey};
use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;
use std::ops::ControlFlow;

/// A new code was issued.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Renewal {
    pub resident_id: i64,
    pub name: String,
    pub code: CodeView,
    /// The serial of the code this one voided (R2), if there was one.
    pub superseded: Option<String>,
    /// Printed cards of the voided code that are now invalid (R8).
    pub cards_invalidated: u32,
    /// Idempotency key of the outbox event.
    pub event_id: String,
}

/// What an application came to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum RenewOutcome {
    Renewed(Renewal),
    /// R3: "当日已完成申领 / already applied today"; nothing changed.
    AlreadyAppliedToday {
        resident_id: i64,
        name: String,
        applied_at: i64,
        active: Option<CodeView>,
    },
}

impl RenewOutcome {
    pub fn resident_id(&self) -> i64 {
        match self {
            RenewOutcome::Renewed(r) => r.resident_id,
            RenewOutcome::AlreadyAppliedToday { resident_id, .. } => *resident_id,
        }
    }
}

/// Whose codes a batch renews.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize, Serialize)]
#[serde(tag = "scope", content = "id", rename_all = "snake_case")]
pub enum BatchScope {
    #[default]
    Station,
    Household(i64),
}

/// Which residents are due: expired, expiring within N days, never issued.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, Serialize)]
pub struct DueSelection {
    pub expired: bool,
    pub expiring_within_days: Option<u32>,
    pub never: bool,
}

impl DueSelection {
    /// Everyone expired, never issued, or with `days` or fewer days left.
    pub fn within(days: u32) -> DueSelection {
        DueSelection {
            expired: true,
            expiring_within_days: Some(days),
            never: true,
        }
    }
}

/// One resident's result in a batch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum BatchItem {
    Done(RenewOutcome),
    Failed {
        resident_id: i64,
        name: String,
        code: &'static str,
        message: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BatchProgress<'a> {
    pub done: usize,
    pub total: usize,
    /// Results committed since the previous report.
    pub committed: &'a [BatchItem],
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct BatchOutcome {
    pub total: usize,
    pub renewed: usize,
    pub already_applied: usize,
    pub failed: usize,
    /// Stopped by the caller before every resident was handled.
    pub cancelled: bool,
    pub items: Vec<BatchItem>,
}

/// Residents per transaction in a batch.
pub const DEFAULT_CHUNK: usize = 100;

struct Signer<'a> {
    /// The active key, read in the writing transaction (another process may have rotated it).
    key: StationKey,
    kid: String,
    /// Read in the writing transaction (see [`super::sync::current_identity`]).
    station_id: String,
    volunteer_id: i64,
    volunteer_uid: &'a str,
    /// Set once enrolled: events are then written for the hub, with the person key.
    district_secret: Option<nac_protocol::DistrictSecret>,
    source: super::WriteSource,
}

impl Station {
    /// Applies for a new code for one resident, in `capacity`, by the current volunteer.
    pub fn renew(&mut self, resident_id: i64, capacity: Capacity) -> Result<RenewOutcome> {
        // Not write_audited: `apply` writes the audit row (shared with the batch), and none when
        // R3 refuses.
        let now = self.now();
        let tx = self.write()?;
        let outcome = apply(&tx, &self.signer(&tx)?, resident_id, capacity, now)?;
        tx.commit()?;
        if let RenewOutcome::Renewed(_) = &outcome {
            self.emit(Change::Codes {
                source: self.source,
                residents: vec![resident_id],
            });
        }
        Ok(outcome)
    }

    /// Renews everyone due in `scope`, reporting after each committed chunk; returning
    /// `Break` from `progress` stops after the current chunk.
    pub fn renew_batch(
        &mut self,
        scope: BatchScope,
        due: DueSelection,
        capacity: Capacity,
        chunk: usize,
        progress: &mut dyn FnMut(&BatchProgress<'_>) -> ControlFlow<()>,
    ) -> Result<BatchOutcome> {
        let ids = self.due_residents(scope, due)?;
        self.renew_many(&ids, capacity, chunk, progress)
    }

    /// Renews the given residents in order (see [`Station::renew_batch`]).
    pub fn renew_many(
        &mut self,
        ids: &[i64],
        capacity: Capacity,
        chunk: usize,
        progress: &mut dyn FnMut(&BatchProgress<'_>) -> ControlFlow<()>,
    ) -> Result<BatchOutcome> {
        let mut outcome = BatchOutcome {
            total: ids.len(),
            ..BatchOutcome::default()
        };
        // Not write_audited: commits in chunks with a savepoint per resident; `apply` audits each.
        for part in ids.chunks(chunk.max(1)) {
            let now = self.now();
            let tx = self.write()?;
            let signer = self.signer(&tx)?;
            let mut items = Vec::with_capacity(part.len());
            for &id in part {
                tx.execute_batch("SAVEPOINT resident")?;
                match apply(&tx, &signer, id, capacity, now) {
                    Ok(done) => {
                        tx.execute_batch("RELEASE resident")?;
                        items.push(BatchItem::Done(done));
                    }
                    Err(e) => {
                        tx.execute_batch("ROLLBACK TO resident; RELEASE resident")?;
                        let name = resident_name(&tx, id).unwrap_or_default();
                        items.push(BatchItem::Failed {
                            resident_id: id,
                            name,
                            code: e.code().as_str(),
                            message: e.to_string(),
                        });
                    }
                }
            }
            tx.commit()?;
            let renewed: Vec<i64> = items
                .iter()
                .filter_map(|i| match i {
                    BatchItem::Done(RenewOutcome::Renewed(r)) => Some(r.resident_id),
                    _ => None,
                })
                .collect();
            if !renewed.is_empty() {
                self.emit(Change::Codes {
                    source: self.source,
                    residents: renewed,
                });
            }
            for item in &items {
                match item {
                    BatchItem::Done(RenewOutcome::Renewed(_)) => outcome.renewed += 1,
                    BatchItem::Done(RenewOutcome::AlreadyAppliedToday { .. }) => {
                        outcome.already_applied += 1
                    }
                    BatchItem::Failed { .. } => outcome.failed += 1,
                }
            }
            let start = outcome.items.len();
            outcome.items.extend(items);
            let flow = progress(&BatchProgress {
                done: outcome.items.len(),
                total: outcome.total,
                committed: &outcome.items[start..],
            });
            if flow.is_break() && outcome.items.len() < outcome.total {
                outcome.cancelled = true;
                break;
            }
        }
        Ok(outcome)
    }

    /// Ids of the residents due in `scope` now, in address order.
    pub fn due_residents(&self, scope: BatchScope, due: DueSelection) -> Result<Vec<i64>> {
        let query = ResidentQuery {
            filter: StatusFilter {
                expired: due.expired,
                expiring: due.expiring_within_days.is_some(),
                never: due.never,
                cards_to_replace: false,
            },
            expiring_within_days: due.expiring_within_days,
            household_id: match scope {
                BatchScope::Station => None,
                BatchScope::Household(id) => Some(id),
            },
            ..ResidentQuery::default()
        };
        if !(due.expired || due.never || due.expiring_within_days.is_some()) {
            return Ok(Vec::new());
        }
        Ok(self.residents(&query)?.into_iter().map(|r| r.id).collect())
    }

    /// What signs a code, read inside the writing transaction. A station the district hub
    /// disabled signs nothing ([`crate::Error::StationDisabled`]) until a sync succeeds again;
    /// nor does one whose clock is wrong ([`clock_check`]).
    fn signer(&self, conn: &Connection) -> Result<Signer<'_>> {
        if super::settings::read(conn, super::settings::key::DISABLED_AT_HUB)?.is_some() {
            return Err(crate::Error::StationDisabled);
        }
        clock_check(conn, self.now())?;
        let (station_id, district_secret) = super::sync::current_identity(conn)?;
        let key = super::keys::signing_key(conn)?;
        Ok(Signer {
            kid: key.kid().to_string(),
            key,
            station_id,
            volunteer_id: self.volunteer_id,
            volunteer_uid: &self.volunteer_uid,
            district_secret,
            source: self.source,
        })
    }
}

/// Refuses to date a code with a clock that is wrong: off the hub's by more than the skew the
/// hub and every verifier allow (as measured at the last sync), or earlier than this station's
/// latest code (one the hub refused does not count: its date may be the wrong clock's) or
/// its last contact with the hub (an office PC whose clock battery died boots years in the
/// past). A code dated wrong would be refused by the hub, or worse, count for
/// the wrong day (R3).
pub(crate) fn clock_check(conn: &Connection, now: i64) -> Result<()> {
    use super::settings::{self, key};
    let number = |name| -> Result<Option<i64>> {
        Ok(settings::read(conn, name)?.and_then(|v| v.parse().ok()))
    };
    if let Some(offset) = number(key::HUB_CLOCK_OFFSET)? {
        if offset.abs() > nac_protocol::MAX_REQUEST_SKEW_SECS {
            return Err(Error::ClockOff {
                offset_secs: offset,
            });
        }
    }
    let latest_own: Option<i64> = conn
        .prepare_cached(
            "SELECT max(issued_at) FROM codes WHERE application_id IS NOT NULL
               AND state <> 'rejected'",
        )?
        .query_row([], |r| r.get(0))?;
    let hub_floor =
        number(key::LAST_HUB_TIME)?.map(|t| t.saturating_sub(nac_protocol::MAX_REQUEST_SKEW_SECS));
    if let Some(floor) = latest_own.into_iter().chain(hub_floor).max() {
        if now < floor {
            return Err(Error::ClockBehind { floor });
        }
    }
    Ok(())
}

fn resident_name(conn: &Connection, id: i64) -> Option<String> {
    conn.query_row("SELECT name FROM residents WHERE id = ?1", [id], |r| {
        r.get(0)
    })
    .ok()
}

struct ResidentForCode {
    uid: String,
    name: String,
    doc_type: String,
    doc_number: String,
}

/// The rules of one application, inside the caller's transaction: R3 (once a CST day), the
/// application recorded, R2 (the new code voids the old and its cards), the code signed, the
/// outbox event for the hub, the audit row.
fn apply(
    conn: &Connection,
    signer: &Signer<'_>,
    resident_id: i64,
    capacity: Capacity,
    now: i64,
) -> Result<RenewOutcome> {
    let resident = load_resident(conn, resident_id)?;
    if let Some(applied_at) = applied_earlier_today(conn, resident_id, now)? {
        return Ok(RenewOutcome::AlreadyAppliedToday {
            resident_id,
            name: resident.name,
            applied_at,
            active: load_active_code(conn, resident_id)?,
        });
    }
    let (application_id, event_id) = record_application(conn, signer, resident_id, capacity, now)?;
    let previous = supersede_active(conn, resident_id, now)?;

    let masked_name = PersonName::parse(&resident.name)
        .map(|n| n.masked())
        .unwrap_or_else(|_| mask_middle(&resident.name, 1, 0));
    let expires_at = now + VALIDITY_SECS;
    let (code_id, serial, credential) = insert_code(
        conn,
        signer,
        &resident,
        &masked_name,
        resident_id,
        application_id,
        now,
        expires_at,
    )?;
    let cards_invalidated = match &previous {
        Some((old_id, _)) => link_superseded(conn, *old_id, code_id)?,
        None => 0,
    };

    super::outbox::enqueue(
        conn,
        signer.district_secret.as_ref(),
        &super::outbox::ApplicationEvent {
            event_id: &event_id,
            application_id,
            doc_type: &resident.doc_type,
            doc_number: &resident.doc_number,
            capacity,
            station_id: &signer.station_id,
            volunteer_uid: signer.volunteer_uid,
            kid: signer.key.kid(),
            serial: &serial,
            credential: &credential,
            issued_at: now,
            expires_at,
            supersedes: previous.as_ref().map(|p| p.1.as_str()),
        },
        now,
    )?;
    audit(
        conn,
        now,
        signer.source,
        signer.volunteer_id,
        "code.issue",
        &format!(
            "resident {resident_id} code {serial} ({})",
            capacity.as_str()
        ),
    )?;

    Ok(RenewOutcome::Renewed(Renewal {
        resident_id,
        name: resident.name,
        code: CodeView {
            serial,
            issued_at: now,
            expires_at,
            station_id: signer.station_id.to_string(),
            state: "active".to_string(),
            credential,
        },
        superseded: previous.map(|p| p.1),
        cards_invalidated,
        event_id,
    }))
}

fn load_resident(conn: &Connection, resident_id: i64) -> Result<ResidentForCode> {
    conn.prepare_cached(
        "SELECT uid, name, doc_type, doc_number FROM residents
         WHERE id = ?1 AND removed_at IS NULL",
    )?
    .query_row([resident_id], |r| {
        Ok(ResidentForCode {
            uid: r.get(0)?,
            name: r.get(1)?,
            doc_type: r.get(2)?,
            doc_number: r.get(3)?,
        })
    })
    .optional()?
    .ok_or_else(Error::resident_not_found)
}

/// R3: when the resident already applied this CST day, whatever the channel — an accepted
/// application here, or a code issued elsewhere today (the phone, another station; learned
/// from the hub, so without an application row here).
fn applied_earlier_today(conn: &Connection, resident_id: i64, now: i64) -> Result<Option<i64>> {
    let day = cst_day(now).to_string();
    let earlier: Option<i64> = conn
        .prepare_cached(
            "SELECT applied_at FROM applications
             WHERE resident_id = ?1 AND day = ?2 AND state = 'accepted'",
        )?
        .query_row(params![resident_id, day], |r| r.get(0))
        .optional()?;
    let day_start = now - (now + crate::time::CST_OFFSET_SECS).rem_euclid(crate::time::DAY_SECS);
    let earlier = match earlier {
        Some(at) => Some(at),
        None => conn
            .prepare_cached(
                "SELECT issued_at FROM codes WHERE resident_id = ?1 AND application_id IS NULL
                   AND state <> 'rejected' AND issued_at >= ?2 AND issued_at < ?3",
            )?
            .query_row(
                params![resident_id, day_start, day_start + crate::time::DAY_SECS],
                |r| r.get(0),
            )
            .optional()?,
    };
    Ok(earlier)
}

/// The application row (its event id is the hub's idempotency key).
fn record_application(
    conn: &Connection,
    signer: &Signer<'_>,
    resident_id: i64,
    capacity: Capacity,
    now: i64,
) -> Result<(i64, String)> {
    let event_id = ids::new_event_id()?;
    conn.prepare_cached(
        "INSERT INTO applications (event_id, resident_id, day, applied_at, capacity, volunteer_id, channel)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        event_id,
        resident_id,
        cst_day(now).to_string(),
        now,
        capacity.as_str(),
        signer.volunteer_id,
        signer.station_id
    ])?;
    Ok((conn.last_insert_rowid(), event_id))
}

/// R2: the resident's active code, if any, is superseded (its id and serial returned).
fn supersede_active(
    conn: &Connection,
    resident_id: i64,
    now: i64,
) -> Result<Option<(i64, String)>> {
    let previous: Option<(i64, String)> = conn
        .prepare_cached("SELECT id, serial FROM codes WHERE resident_id = ?1 AND state = 'active'")?
        .query_row([resident_id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    if let Some((old_id, _)) = &previous {
        conn.prepare_cached(
            "UPDATE codes SET state = 'superseded', superseded_at = ?2 WHERE id = ?1",
        )?
        .execute(params![old_id, now])?;
    }
    Ok(previous)
}

/// Links the superseded code to its successor; returns how many of its printed cards are
/// still out (now void, R8).
fn link_superseded(conn: &Connection, old_id: i64, code_id: i64) -> Result<u32> {
    conn.prepare_cached("UPDATE codes SET superseded_by = ?2 WHERE id = ?1")?
        .execute(params![old_id, code_id])?;
    Ok(conn
        .prepare_cached(
            "SELECT count(*) FROM printed_cards WHERE code_id = ?1 AND withdrawn_at IS NULL",
        )?
        .query_row([old_id], |r| r.get(0))?)
}

/// Signs and stores a new active code; retries with a fresh serial on the (rare) collision.
#[allow(clippy::too_many_arguments)]
fn insert_code(
    conn: &Connection,
    signer: &Signer<'_>,
    resident: &ResidentForCode,
    masked_name: &str,
    resident_id: i64,
    application_id: i64,
    issued_at: i64,
    expires_at: i64,
) -> Result<(i64, String, String)> {
    let mut attempt = 0;
    loop {
        let serial = ids::new_serial()?;
        let claims = Claims {
            serial: serial.clone(),
            resident_ref: resident.uid.clone(),
            masked_name: masked_name.to_string(),
            // At most half of the number (`E1234` → `34`): the card is shown to anyone.
            id_last4: crate::domain::document::document_tail(&resident.doc_number),
            issued_at,
            expires_at,
            station_id: signer.station_id.to_string(),
        };
        let credential = nac_credential::issue(&claims, &signer.key)?;
        let inserted = conn
            .prepare_cached(
                "INSERT INTO codes (serial, resident_id, application_id, issued_at, expires_at,
                     station_id, kid, credential)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
                 ON CONFLICT (kid, serial) DO NOTHING",
            )?
            .execute(params![
                serial,
                resident_id,
                application_id,
                issued_at,
                expires_at,
                signer.station_id,
                signer.kid,
                credential
            ])?;
        attempt += 1;
        if inserted == 1 {
            return Ok((conn.last_insert_rowid(), serial, credential));
        }
        if attempt >= 5 {
            return Err(Error::Sqlite(rusqlite::Error::StatementChangedRows(0)));
        }
    }
}
