//! Applying what the hub says to the station's database, inside the caller's transaction:
//! push answers, pulled changes, the trust list and the revocation list.
//!
//! The invariant every function keeps: at most one active code per resident (the database's
//! unique index holds it too), and after a person's changes are applied in the hub's order,
//! the active code is the hub's.

use nac_protocol::{
    Change, ChangeKind, EventAnswer, IssuedCode, Outcome, RejectReason, RevokedSerial, TrustEntry,
};
use rusqlite::{params, Connection, OptionalExtension};

/// What applying one push answer did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Applied {
    Synced,
    /// Rejected by a rule (R3); the application and its code are void.
    Rejected,
    /// Refused for a reason no retry fixes (conflict, invalid event or credential).
    Failed,
}

/// Applies the hub's answer for outbox event `outbox_id`. A `duplicate` is applied as its
/// original answer. Returns what happened and how many codes were adopted.
pub(super) fn apply_answer(
    conn: &Connection,
    outbox_id: i64,
    answer: &EventAnswer,
    now: i64,
) -> rusqlite::Result<(Applied, u32)> {
    let decided = match answer.status {
        Outcome::Duplicate => match answer.original_answer() {
            Some(original) if original.status != Outcome::Duplicate => original,
            _ => {
                fail(
                    conn,
                    outbox_id,
                    "duplicate",
                    "duplicate without its original answer",
                    now,
                )?;
                return Ok((Applied::Failed, 0));
            }
        },
        _ => answer.clone(),
    };
    let message = decided.message.clone().unwrap_or_default();
    match (decided.status, decided.reason) {
        (Outcome::Accepted, _) => {
            conn.prepare_cached(
                "UPDATE outbox SET state = 'synced', reason = NULL, last_error = NULL,
                     next_attempt_at = NULL, synced_at = ?2, updated_at = ?2
                 WHERE id = ?1",
            )?
            .execute(params![outbox_id, now])?;
            let adopted = match (&decided.active, resident_of_outbox(conn, outbox_id)?) {
                (Some(active), Some(resident)) => adopt_active(conn, resident, active, now)?,
                _ => 0,
            };
            Ok((Applied::Synced, adopted))
        }
        (Outcome::Rejected, Some(RejectReason::AlreadyAppliedToday)) => {
            conn.prepare_cached(
                "UPDATE outbox SET state = 'rejected', reason = 'already_applied_today',
                     last_error = ?2, next_attempt_at = NULL, synced_at = ?3, updated_at = ?3
                 WHERE id = ?1",
            )?
            .execute(params![outbox_id, message, now])?;
            let application: Option<i64> = conn
                .prepare_cached("SELECT application_id FROM outbox WHERE id = ?1")?
                .query_row([outbox_id], |r| r.get(0))
                .optional()?
                .flatten();
            if let Some(application) = application {
                reject_application(conn, application, now)?;
            }
            let adopted = match (&decided.active, resident_of_outbox(conn, outbox_id)?) {
                (Some(active), Some(resident)) => adopt_active(conn, resident, active, now)?,
                _ => 0,
            };
            Ok((Applied::Rejected, adopted))
        }
        (status, reason) => {
            let reason = match (status, reason) {
                (Outcome::Conflict, _) => "conflict",
                (_, Some(r)) => r.as_str(),
                _ => "refused",
            };
            fail(conn, outbox_id, reason, &message, now)?;
            Ok((Applied::Failed, 0))
        }
    }
}

/// Marks an event failed for good (shown on the Sync screen; not retried automatically).
fn fail(
    conn: &Connection,
    outbox_id: i64,
    reason: &str,
    message: &str,
    now: i64,
) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "UPDATE outbox SET state = 'error', reason = ?2, last_error = ?3, next_attempt_at = NULL,
             updated_at = ?4
         WHERE id = ?1",
    )?
    .execute(params![outbox_id, reason, message, now])?;
    Ok(())
}

pub(super) fn resident_of_outbox(
    conn: &Connection,
    outbox_id: i64,
) -> rusqlite::Result<Option<i64>> {
    conn.prepare_cached(
        "SELECT a.resident_id FROM outbox o JOIN applications a ON a.id = o.application_id
         WHERE o.id = ?1",
    )?
    .query_row([outbox_id], |r| r.get(0))
    .optional()
}

/// The application and its code no longer count (R3 decided elsewhere).
fn reject_application(conn: &Connection, application: i64, now: i64) -> rusqlite::Result<()> {
    conn.prepare_cached("UPDATE applications SET state = 'rejected' WHERE id = ?1")?
        .execute([application])?;
    conn.prepare_cached(
        "UPDATE codes SET state = 'rejected', superseded_at = coalesce(superseded_at, ?2)
         WHERE application_id = ?1",
    )?
    .execute(params![application, now])?;
    Ok(())
}

/// Makes the hub's code the resident's active one (inserting it when it was issued
/// elsewhere); the code it replaces here is superseded, so its printed cards are listed to
/// replace (R8). Returns 1 when something changed.
pub(super) fn adopt_active(
    conn: &Connection,
    resident: i64,
    code: &IssuedCode,
    now: i64,
) -> rusqlite::Result<u32> {
    let known: Option<(i64, i64, String)> = conn
        .prepare_cached("SELECT id, resident_id, state FROM codes WHERE serial = ?1")?
        .query_row([&code.serial], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?;
    if let Some((_, owner, state)) = &known {
        if state == "active" || *owner != resident {
            // Already current, or a serial of someone else here (never true of a real hub):
            // nothing to adopt.
            return Ok(0);
        }
    }
    let current: Option<i64> = conn
        .prepare_cached("SELECT id FROM codes WHERE resident_id = ?1 AND state = 'active'")?
        .query_row([resident], |r| r.get(0))
        .optional()?;
    if let Some(current) = current {
        conn.prepare_cached(
            "UPDATE codes SET state = 'superseded', superseded_at = ?2 WHERE id = ?1",
        )?
        .execute(params![current, now])?;
    }
    let id = match known {
        Some((id, _, _)) => {
            conn.prepare_cached(
                "UPDATE codes SET state = 'active', superseded_at = NULL, superseded_by = NULL
                 WHERE id = ?1",
            )?
            .execute([id])?;
            id
        }
        None => {
            conn.prepare_cached(
                "INSERT INTO codes (serial, resident_id, application_id, issued_at, expires_at,
                     station_id, kid, credential, state)
                 VALUES (?1, ?2, NULL, ?3, ?4, ?5, ?6, ?7, 'active')",
            )?
            .execute(params![
                code.serial,
                resident,
                code.issued_at,
                code.expires_at,
                code.channel.as_str(),
                code.kid.to_string(),
                code.credential
            ])?;
            conn.last_insert_rowid()
        }
    };
    if let Some(current) = current {
        conn.prepare_cached("UPDATE codes SET superseded_by = ?2 WHERE id = ?1")?
            .execute(params![current, id])?;
    }
    Ok(1)
}

/// Applies one pulled change for `resident` (the roster member with the change's person key).
/// Returns how many codes were adopted.
pub(super) fn apply_change(
    conn: &Connection,
    resident: i64,
    change: &Change,
    now: i64,
) -> rusqlite::Result<u32> {
    match change.kind {
        ChangeKind::Issued => match &change.code {
            Some(code) => adopt_active(conn, resident, code, now),
            None => Ok(0),
        },
        ChangeKind::Superseded => {
            conn.prepare_cached(
                "UPDATE codes SET state = 'superseded', superseded_at = coalesce(superseded_at, ?3)
                 WHERE serial = ?1 AND resident_id = ?2 AND state = 'active'",
            )?
            .execute(params![change.serial, resident, now])?;
            let Some(by) = &change.by else { return Ok(0) };
            // The replacing code is known here and nothing else is active: it is the one.
            conn.prepare_cached(
                "UPDATE codes SET state = 'active', superseded_at = NULL, superseded_by = NULL
                 WHERE serial = ?1 AND resident_id = ?2 AND state = 'superseded'
                   AND NOT EXISTS (SELECT 1 FROM codes c WHERE c.resident_id = ?2
                                   AND c.state = 'active')",
            )?
            .execute(params![by, resident])?;
            Ok(0)
        }
        ChangeKind::Rejected => {
            let application: Option<Option<i64>> = conn
                .prepare_cached(
                    "SELECT application_id FROM codes WHERE serial = ?1 AND resident_id = ?2",
                )?
                .query_row(params![change.serial, resident], |r| r.get(0))
                .optional()?;
            match application {
                Some(Some(application)) => reject_application(conn, application, now)?,
                Some(None) => {
                    conn.prepare_cached(
                        "UPDATE codes SET state = 'rejected' WHERE serial = ?1 AND resident_id = ?2",
                    )?
                    .execute(params![change.serial, resident])?;
                }
                None => {}
            }
            Ok(0)
        }
    }
}

/// Stores trust-list entries (a disabled station's earlier codes stay genuine, so both
/// statuses are trusted for verification).
pub(crate) fn store_issuers(conn: &Connection, issuers: &[TrustEntry]) -> rusqlite::Result<()> {
    let mut stmt = conn.prepare_cached(
        "INSERT INTO trusted_issuers (kid, station_id, public) VALUES (?1, ?2, ?3)
         ON CONFLICT (kid) DO UPDATE SET station_id = excluded.station_id,
             public = excluded.public",
    )?;
    for issuer in issuers {
        stmt.execute(params![
            issuer.kid.to_string(),
            issuer.station,
            issuer.public_key.to_bytes().as_slice()
        ])?;
    }
    Ok(())
}

pub(super) fn store_revocations(
    conn: &Connection,
    revocations: &[RevokedSerial],
) -> rusqlite::Result<()> {
    let mut stmt = conn.prepare_cached(
        "INSERT INTO revoked_serials (serial, status) VALUES (?1, ?2)
         ON CONFLICT (serial) DO UPDATE SET status = excluded.status",
    )?;
    for r in revocations {
        let status = match r.status {
            nac_credential::Revocation::Superseded => "superseded",
            nac_credential::Revocation::Rejected => "rejected",
        };
        stmt.execute(params![r.serial, status])?;
    }
    Ok(())
}
