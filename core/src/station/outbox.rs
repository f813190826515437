//! The outbox: each application's event for the hub, from the renewal that makes it to the
//! hub's answer. Every write of the `outbox` table is here, so a renewal flows renew → outbox
//! → push without the renewal and the sync code both knowing the table.
//!
//! An event's life ([`OutboxState`]):
//!
//! * made in the renewal's own transaction ([`enqueue`]): `queued` once the station is
//!   enrolled (the protocol event: person key, sealed credential; never the ID number),
//!   `local` before (history, never sent); a demo station's events are filed `demo` by the
//!   database itself and can never be sent;
//! * `sending`, committed before a push goes out ([`mark_sending`]); a crash or an unanswered
//!   page leaves it to be sent again (the hub answers `duplicate` with its first answer);
//! * `synced`, or `rejected` with the hub's reason (final), or `error`: waiting for the next
//!   attempt after a transient failure, or parked for good when its payload cannot be read;
//! * after the hub was restored from a backup, accepted and R3-refused events are queued again
//!   as of the epoch they were accepted in ([`queue_again_after_hub_restore`]).

use crate::error::{Error, Result};
use nac_credential::KeyId;
use nac_protocol::{Capacity, DistrictSecret, Event};
use rusqlite::{params, Connection, OptionalExtension};

/// Where an outbox event is in its life (the `outbox.state` column).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutboxState {
    /// Made before the station was enrolled: local history, never sent.
    Local,
    /// A demo station's: never sent (the database files it so).
    Demo,
    Queued,
    /// Marked before its push went out; sent again if the answer never came.
    Sending,
    Synced,
    /// Refused by the hub for good (its reason is kept).
    Rejected,
    /// A transient failure (retried at `next_attempt_at`) or a payload that cannot be sent.
    Error,
}

impl OutboxState {
    pub const ALL: [OutboxState; 7] = [
        OutboxState::Local,
        OutboxState::Demo,
        OutboxState::Queued,
        OutboxState::Sending,
        OutboxState::Synced,
        OutboxState::Rejected,
        OutboxState::Error,
    ];

    /// The column's value.
    pub const fn as_str(self) -> &'static str {
        match self {
            OutboxState::Local => "local",
            OutboxState::Demo => "demo",
            OutboxState::Queued => "queued",
            OutboxState::Sending => "sending",
            OutboxState::Synced => "synced",
            OutboxState::Rejected => "rejected",
            OutboxState::Error => "error",
        }
    }

    /// Reads the column's value.
    pub fn parse(s: &str) -> Option<OutboxState> {
        OutboxState::ALL
            .into_iter()
            .find(|state| state.as_str() == s)
    }
}

/// Outbox rows a run sends: queued, caught mid-send by a crash, or failed transiently.
const SENDABLE: &str = "state IN ('queued', 'sending')
     OR (state = 'error' AND next_attempt_at IS NOT NULL)";

/// One application as the outbox records it.
pub(crate) struct ApplicationEvent<'a> {
    /// The hub's idempotency key (the application's event id).
    pub event_id: &'a str,
    pub application_id: i64,
    pub doc_type: &'a str,
    pub doc_number: &'a str,
    pub capacity: Capacity,
    pub station_id: &'a str,
    pub volunteer_uid: &'a str,
    pub kid: KeyId,
    pub serial: &'a str,
    pub credential: &'a str,
    pub issued_at: i64,
    pub expires_at: i64,
    /// The serial of the code this one replaced here.
    pub supersedes: Option<&'a str>,
}

/// Records `e` in the caller's transaction: the event as the hub will receive it when the
/// station is enrolled (`secret`), else local history.
pub(crate) fn enqueue(
    conn: &Connection,
    secret: Option<&DistrictSecret>,
    e: &ApplicationEvent<'_>,
    now: i64,
) -> Result<()> {
    let (payload, state) = match secret {
        Some(secret) => {
            let sealed = nac_protocol::seal_credential(secret, &e.kid, e.serial, e.credential)
                .map_err(|err| Error::Io(std::io::Error::other(err.to_string())))?;
            let event = Event {
                event_id: e.event_id.to_string(),
                person_key: nac_protocol::person_key(secret, e.doc_type, e.doc_number),
                capacity: e.capacity,
                channel: nac_protocol::Channel::Station(e.station_id.to_string()),
                volunteer: Some(format!("{}/{}", e.station_id, e.volunteer_uid)),
                code: nac_protocol::Code {
                    serial: e.serial.to_string(),
                    issued_at: e.issued_at,
                    expires_at: e.expires_at,
                    kid: e.kid,
                    credential: e.credential.to_string(),
                    sealed: Some(sealed),
                },
                supersedes: e.supersedes.map(str::to_string),
            };
            (
                serde_json::to_string(&event).map_err(|err| Error::Io(err.into()))?,
                OutboxState::Queued,
            )
        }
        None => ("{}".to_string(), OutboxState::Local),
    };
    conn.prepare_cached(
        "INSERT INTO outbox (event_id, kind, application_id, payload, state, created_at, updated_at)
         VALUES (?1, 'application', ?2, ?3, ?4, ?5, ?5)",
    )?
    .execute(params![
        e.event_id,
        e.application_id,
        payload,
        state.as_str(),
        now
    ])?;
    Ok(())
}

/// An event to push.
pub(crate) struct Pending {
    pub outbox_id: i64,
    pub event: Event,
    /// Set for an event re-sent after a restore of the hub: the epoch it was first accepted in.
    pub resend_epoch: Option<String>,
}

/// How many events a run would send: queued, mid-send, or waiting to be retried.
pub(crate) fn count_sendable(conn: &Connection) -> rusqlite::Result<u32> {
    conn.query_row(
        &format!("SELECT count(*) FROM outbox WHERE {SENDABLE}"),
        [],
        |r| r.get(0),
    )
}

/// The next page of sendable events after outbox row `after`: at most `size`, all new or all
/// re-sent from the same epoch (a push says once which it is). A payload that does not
/// decode can never be sent: it is parked, visibly.
pub(crate) fn sendable_page(conn: &Connection, after: i64, size: usize) -> Result<Vec<Pending>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT id, payload, resend_epoch FROM outbox WHERE id > ?1 AND ({SENDABLE})
         ORDER BY id LIMIT ?2"
    ))?;
    let rows = stmt.query_map(params![after, size as i64], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, Option<String>>(2)?,
        ))
    })?;
    let mut page: Vec<Pending> = Vec::new();
    for row in rows {
        let (outbox_id, payload, resend_epoch) = row?;
        if page.first().is_some_and(|p| p.resend_epoch != resend_epoch) {
            break;
        }
        match serde_json::from_str::<Event>(&payload) {
            Ok(event) => page.push(Pending {
                outbox_id,
                event,
                resend_epoch,
            }),
            Err(e) => park(conn, outbox_id, "bad_payload", &e.to_string(), None)?,
        }
    }
    Ok(page)
}

/// Marks events `sending` before their push goes out (the caller commits first).
pub(crate) fn mark_sending(
    conn: &Connection,
    outbox_ids: &[i64],
    now: i64,
) -> rusqlite::Result<()> {
    let mut stmt = conn.prepare_cached(
        "UPDATE outbox SET state = 'sending', attempts = attempts + 1, updated_at = ?2
         WHERE id = ?1",
    )?;
    for id in outbox_ids {
        stmt.execute(params![id, now])?;
    }
    Ok(())
}

/// Events the hub did not answer go back to the queue for the next run.
pub(crate) fn requeue_unanswered(conn: &Connection, now: i64) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "UPDATE outbox SET state = 'queued', updated_at = ?1 WHERE state = 'sending'",
    )?
    .execute([now])?;
    Ok(())
}

/// The hub could not be reached: events caught mid-send wait for the next attempt, visibly.
pub(crate) fn hold_until(
    conn: &Connection,
    message: &str,
    next_attempt_at: i64,
    now: i64,
) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "UPDATE outbox SET state = 'error', reason = 'unreachable', last_error = ?1,
             next_attempt_at = ?2, updated_at = ?3
         WHERE state = 'sending'",
    )?
    .execute(params![message, next_attempt_at, now])?;
    Ok(())
}

/// The hub accepted the event.
pub(crate) fn mark_synced(conn: &Connection, outbox_id: i64, now: i64) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "UPDATE outbox SET state = 'synced', reason = NULL, last_error = NULL,
             next_attempt_at = NULL, synced_at = ?2, updated_at = ?2, resend_epoch = NULL
         WHERE id = ?1",
    )?
    .execute(params![outbox_id, now])?;
    Ok(())
}

/// The hub refused the event for good, for `reason`.
pub(crate) fn mark_rejected(
    conn: &Connection,
    outbox_id: i64,
    reason: &str,
    message: &str,
    now: i64,
) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "UPDATE outbox SET state = 'rejected', reason = ?2, last_error = ?3,
             next_attempt_at = NULL, synced_at = ?4, updated_at = ?4, resend_epoch = NULL
         WHERE id = ?1",
    )?
    .execute(params![outbox_id, reason, message, now])?;
    Ok(())
}

/// Parks an event for good without a hub decision (shown on the Sync screen, not retried);
/// `now`, when given, is its last update.
pub(crate) fn park(
    conn: &Connection,
    outbox_id: i64,
    reason: &str,
    message: &str,
    now: Option<i64>,
) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "UPDATE outbox SET state = 'error', reason = ?2, last_error = ?3, next_attempt_at = NULL,
             updated_at = coalesce(?4, updated_at)
         WHERE id = ?1",
    )?
    .execute(params![outbox_id, reason, message, now])?;
    Ok(())
}

/// The application an event records.
pub(crate) fn application_of(conn: &Connection, outbox_id: i64) -> rusqlite::Result<Option<i64>> {
    Ok(conn
        .prepare_cached("SELECT application_id FROM outbox WHERE id = ?1")?
        .query_row([outbox_id], |r| r.get(0))
        .optional()?
        .flatten())
}

/// The resident an event is about.
pub(crate) fn resident_of(conn: &Connection, outbox_id: i64) -> rusqlite::Result<Option<i64>> {
    conn.prepare_cached(
        "SELECT a.resident_id FROM outbox o JOIN applications a ON a.id = o.application_id
         WHERE o.id = ?1",
    )?
    .query_row([outbox_id], |r| r.get(0))
    .optional()
}

/// After a restore of the hub: accepted events, and those refused by R3 (on time then), are
/// queued again as of `epoch`; those refused for their date or key are queued as new, so the
/// hub judges them again and publishes their revocation once more (a restored hub forgot it).
/// Only events whose code has not expired. Returns how many.
pub(crate) fn queue_again_after_hub_restore(
    conn: &Connection,
    epoch: &str,
    now: i64,
) -> rusqlite::Result<u32> {
    Ok(conn.execute(
        "UPDATE outbox SET state = 'queued', updated_at = ?2,
             resend_epoch = CASE WHEN state = 'synced' OR reason = 'already_applied_today'
                                 THEN ?1 END
         WHERE (state = 'synced'
                OR (state = 'rejected' AND reason IN ('already_applied_today',
                    'issued_in_future', 'issued_too_early', 'key_withdrawn')))
           AND application_id IN (
               SELECT application_id FROM codes
               WHERE application_id IS NOT NULL AND expires_at > ?2)",
        params![epoch, now],
    )? as u32)
}

#[cfg(test)]
mod tests {
    use super::OutboxState;

    #[test]
    fn every_state_reads_back_as_itself() {
        for state in OutboxState::ALL {
            assert_eq!(OutboxState::parse(state.as_str()), Some(state));
        }
        assert_eq!(OutboxState::parse("sent"), None);
    }
}
