//! Applying what the hub says to the station's database, inside the caller's transaction:
//! push answers, pulled changes, the trust list and the revocation list.
//!
//! The invariant every function keeps: at most one active code per resident (the database's
//! unique index holds it too), and after a person's changes are applied in the hub's order,
//! the active code is the hub's.

use crate::station::outbox;
use nac_protocol::{
    Change, ChangeKind, DistrictSecret, EventAnswer, IssuedCode, IssuerStatus, Outcome,
    RejectReason, RevokedSerial, TrustEntry, PHONE_CHANNEL,
};
use rusqlite::{params, Connection, OptionalExtension};

/// What applying one push answer did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Applied {
    Synced,
    /// Rejected by a rule (R3); the application and its code are void.
    Rejected,
    /// Refused for a reason no retry fixes (conflict, a code dated outside the hub's window,
    /// a withdrawn key, an invalid event or credential): the application and its code are
    /// void too — a code the hub never accepted must be valid nowhere.
    Failed,
}

/// Applies the hub's answer for outbox event `outbox_id`. A `duplicate` is applied as its
/// original answer. Returns what happened and how many codes were adopted.
pub(super) fn apply_answer(
    conn: &Connection,
    secret: &DistrictSecret,
    outbox_id: i64,
    answer: &EventAnswer,
    now: i64,
) -> rusqlite::Result<(Applied, u32)> {
    let decided = match answer.status {
        Outcome::Duplicate => match answer.original_answer() {
            Some(original) if original.status != Outcome::Duplicate => original,
            _ => {
                outbox::park(
                    conn,
                    outbox_id,
                    "duplicate",
                    "duplicate without its original answer",
                    Some(now),
                )?;
                return Ok((Applied::Failed, 0));
            }
        },
        _ => answer.clone(),
    };
    let message = decided.message.clone().unwrap_or_default();
    match (decided.status, decided.reason) {
        (Outcome::Accepted, _) => {
            outbox::mark_synced(conn, outbox_id, now)?;
            // Accepted after all (re-sent to a restored hub that forgot the application that
            // won before): the application counts again; its code is made active below.
            conn.prepare_cached(
                "UPDATE applications SET state = 'accepted'
                 WHERE id = (SELECT application_id FROM outbox WHERE id = ?1)
                   AND state = 'rejected'",
            )?
            .execute([outbox_id])?;
            let adopted = match (&decided.active, outbox::resident_of(conn, outbox_id)?) {
                (Some(active), Some(resident)) => {
                    adopt_active(conn, secret, resident, active, now)?
                }
                _ => 0,
            };
            Ok((Applied::Synced, adopted))
        }
        (status, reason) => {
            let reason = match (status, reason) {
                (Outcome::Conflict, _) => "conflict",
                (_, Some(r)) => r.as_str(),
                _ => "refused",
            };
            let adopted = refuse(
                conn,
                secret,
                outbox_id,
                reason,
                &message,
                decided.active.as_ref(),
                now,
            )?;
            let applied = if reason == RejectReason::AlreadyAppliedToday.as_str() {
                Applied::Rejected
            } else {
                Applied::Failed
            };
            Ok((applied, adopted))
        }
    }
}

/// The hub did not accept an event: it is final (`rejected`, with the hub's reason), its
/// application and code are void here too — the code's printed cards are listed to replace
/// (R8) — and the hub's active code, if it sent one, is adopted.
fn refuse(
    conn: &Connection,
    secret: &DistrictSecret,
    outbox_id: i64,
    reason: &str,
    message: &str,
    active: Option<&IssuedCode>,
    now: i64,
) -> rusqlite::Result<u32> {
    outbox::mark_rejected(conn, outbox_id, reason, message, now)?;
    if let Some(application) = outbox::application_of(conn, outbox_id)? {
        reject_application(conn, application, now)?;
    }
    match (active, outbox::resident_of(conn, outbox_id)?) {
        (Some(active), Some(resident)) => adopt_active(conn, secret, resident, active, now),
        _ => Ok(0),
    }
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

/// The credential text of a code the hub handed on: a station's is sealed for stations (the
/// hub cannot read it), a phone code's is the hub's own. `None` when it does not open or is
/// not the code it claims to be (a rogue station's blob): such a code is not adopted.
pub(super) fn open_code(secret: &DistrictSecret, code: &IssuedCode) -> Option<String> {
    let text = if code.channel.as_str() == PHONE_CHANNEL
        && code.credential.starts_with(nac_credential::PREFIX)
    {
        code.credential.clone()
    } else {
        nac_protocol::open_credential(secret, &code.kid, &code.serial, &code.credential).ok()?
    };
    let (kid, claims) = nac_credential::decode_unverified(&text).ok()?;
    (kid == code.kid
        && claims.serial == code.serial
        && claims.issued_at == code.issued_at
        && claims.expires_at == code.expires_at)
        .then_some(text)
}

/// Makes the hub's code the resident's active one (inserting it when it was issued
/// elsewhere); the code it replaces here is superseded, so its printed cards are listed to
/// replace (R8). Returns 1 when something changed.
pub(super) fn adopt_active(
    conn: &Connection,
    secret: &DistrictSecret,
    resident: i64,
    code: &IssuedCode,
    now: i64,
) -> rusqlite::Result<u32> {
    let kid = code.kid.to_string();
    let known: Option<(i64, i64, String)> = conn
        .prepare_cached("SELECT id, resident_id, state FROM codes WHERE kid = ?1 AND serial = ?2")?
        .query_row([&kid, &code.serial], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .optional()?;
    let credential = match &known {
        Some(_) => None,
        None => match open_code(secret, code) {
            Some(text) => Some(text),
            None => return Ok(0),
        },
    };
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
                kid,
                credential.unwrap_or_default()
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
    secret: &DistrictSecret,
    resident: i64,
    change: &Change,
    now: i64,
) -> rusqlite::Result<u32> {
    let kid = change.kid.to_string();
    match change.kind {
        ChangeKind::Issued => match &change.code {
            Some(code) => adopt_active(conn, secret, resident, code, now),
            None => Ok(0),
        },
        ChangeKind::Superseded => {
            conn.prepare_cached(
                "UPDATE codes SET state = 'superseded', superseded_at = coalesce(superseded_at, ?4)
                 WHERE kid = ?1 AND serial = ?2 AND resident_id = ?3 AND state = 'active'",
            )?
            .execute(params![kid, change.serial, resident, now])?;
            let (Some(by), Some(by_kid)) = (&change.by, &change.by_kid) else {
                return Ok(0);
            };
            // The replacing code is known here and nothing else is active: it is the one.
            conn.prepare_cached(
                "UPDATE codes SET state = 'active', superseded_at = NULL, superseded_by = NULL
                 WHERE kid = ?1 AND serial = ?2 AND resident_id = ?3 AND state = 'superseded'
                   AND NOT EXISTS (SELECT 1 FROM codes c WHERE c.resident_id = ?3
                                   AND c.state = 'active')",
            )?
            .execute(params![by_kid.to_string(), by, resident])?;
            Ok(0)
        }
        ChangeKind::Rejected => {
            let application: Option<Option<i64>> = conn
                .prepare_cached(
                    "SELECT application_id FROM codes
                     WHERE kid = ?1 AND serial = ?2 AND resident_id = ?3",
                )?
                .query_row(params![kid, change.serial, resident], |r| r.get(0))
                .optional()?;
            match application {
                Some(Some(application)) => reject_application(conn, application, now)?,
                Some(None) => {
                    conn.prepare_cached(
                        "UPDATE codes SET state = 'rejected'
                         WHERE kid = ?1 AND serial = ?2 AND resident_id = ?3",
                    )?
                    .execute(params![kid, change.serial, resident])?;
                }
                None => {}
            }
            Ok(0)
        }
    }
}

/// Stores trust-list entries: a key's later entry replaces its earlier one, so a disable or a
/// retirement reaches a station that already held the key. Every status stays trusted for the
/// codes dated before its `not_after`.
pub(crate) fn store_issuers(conn: &Connection, issuers: &[TrustEntry]) -> rusqlite::Result<()> {
    let mut stmt = conn.prepare_cached(
        "INSERT INTO trusted_issuers (kid, station_id, public, status, not_after)
         VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (kid) DO UPDATE SET station_id = excluded.station_id,
             public = excluded.public, status = excluded.status, not_after = excluded.not_after",
    )?;
    for issuer in issuers {
        let status = match issuer.status {
            IssuerStatus::Active => "active",
            IssuerStatus::Disabled => "disabled",
            IssuerStatus::Retired => "retired",
        };
        stmt.execute(params![
            issuer.kid.to_string(),
            issuer.station,
            issuer.public_key.to_bytes().as_slice(),
            status,
            issuer.not_after,
        ])?;
    }
    Ok(())
}

pub(super) fn store_revocations(
    conn: &Connection,
    revocations: &[RevokedSerial],
) -> rusqlite::Result<()> {
    let mut stmt = conn.prepare_cached(
        "INSERT INTO revoked_codes (kid, serial, status) VALUES (?1, ?2, ?3)
         ON CONFLICT (kid, serial) DO UPDATE SET status = excluded.status",
    )?;
    for r in revocations {
        let status = match r.status {
            nac_credential::Revocation::Superseded => "superseded",
            nac_credential::Revocation::Rejected => "rejected",
        };
        stmt.execute(params![r.kid.to_string(), r.serial, status])?;
    }
    Ok(())
}
