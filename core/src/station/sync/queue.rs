//! The outbox as volunteers see it (`nac queue`, the Sync screen): each event's state, the
//! hub's reason and the next retry, and the station's sync status.

use crate::error::Result;
use crate::station::outbox::OutboxState;
use crate::station::settings::{self, key};
use crate::station::Station;
use serde::Serialize;

/// One outbox event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QueueEntry {
    pub event_id: String,
    /// queued, sending, synced, rejected, error, demo or local.
    pub state: String,
    pub resident_id: Option<i64>,
    pub name: Option<String>,
    pub serial: Option<String>,
    pub applied_at: Option<i64>,
    pub attempts: u32,
    /// The hub's reason code or the transport failure (`unreachable`).
    pub reason: Option<String>,
    pub message: Option<String>,
    pub next_attempt_at: Option<i64>,
    pub synced_at: Option<i64>,
}

/// The station's link with the hub.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SyncStatus {
    pub enrolled: bool,
    /// The station's id as stored now (the hub's after enrolment), read from the file: a
    /// second connection opened before the enrolment must not show the provisional one.
    pub station_id: String,
    pub hub_url: Option<String>,
    pub last_sync_at: Option<i64>,
    pub last_error: Option<String>,
    pub next_sync_at: Option<i64>,
    /// When the hub made the trust list this station holds (offline verification's age).
    pub trust_list_at: Option<i64>,
    pub queued: u32,
    pub sending: u32,
    pub synced: u32,
    pub rejected: u32,
    pub error: u32,
    /// Applications recorded before enrolment (never sent).
    pub local: u32,
    /// The last audit row whose hash the hub holds, and when it was sent (unix s).
    pub audit_anchored_seq: Option<i64>,
    pub audit_anchored_at: Option<i64>,
}

impl Station {
    /// Outbox events, oldest first; `only_open` leaves out synced, demo and local ones.
    pub fn queue(&self, only_open: bool, limit: u32) -> Result<Vec<QueueEntry>> {
        let filter = if only_open {
            "WHERE o.state IN ('queued', 'sending', 'rejected', 'error')"
        } else {
            ""
        };
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT o.event_id, o.state, a.resident_id, r.name, c.serial, a.applied_at, o.attempts,
                    o.reason, o.last_error, o.next_attempt_at, o.synced_at
             FROM outbox o
             LEFT JOIN applications a ON a.id = o.application_id
             LEFT JOIN residents r ON r.id = a.resident_id
             LEFT JOIN codes c ON c.application_id = a.id
             {filter} ORDER BY o.id LIMIT ?1"
        ))?;
        let rows = stmt.query_map([limit], |r| {
            Ok(QueueEntry {
                event_id: r.get(0)?,
                state: r.get(1)?,
                resident_id: r.get(2)?,
                name: r.get(3)?,
                serial: r.get(4)?,
                applied_at: r.get(5)?,
                attempts: r.get(6)?,
                reason: r.get(7)?,
                message: r.get(8)?,
                next_attempt_at: r.get(9)?,
                synced_at: r.get(10)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Enrolment, last sync, next attempt, trust-list age and outbox counts.
    pub fn sync_status(&self) -> Result<SyncStatus> {
        let number = |key: &str| -> Result<Option<i64>> {
            Ok(settings::read(&self.conn, key)?.and_then(|v| v.parse().ok()))
        };
        let mut status = SyncStatus {
            enrolled: self.is_enrolled(),
            station_id: super::current_identity(&self.conn)?.0,
            hub_url: settings::read(&self.conn, key::HUB_URL)?,
            last_sync_at: number(key::LAST_SYNC_AT)?,
            last_error: settings::read(&self.conn, key::LAST_SYNC_ERROR)?,
            next_sync_at: number(key::NEXT_SYNC_AT)?,
            trust_list_at: number(key::TRUST_GENERATED_AT)?,
            audit_anchored_seq: number(key::AUDIT_ANCHORED_SEQ)?,
            audit_anchored_at: number(key::AUDIT_ANCHORED_AT)?,
            ..SyncStatus::default()
        };
        let mut stmt = self
            .conn
            .prepare_cached("SELECT state, count(*) FROM outbox GROUP BY state")?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let state: String = r.get(0)?;
            let n: u32 = r.get(1)?;
            match OutboxState::parse(&state) {
                Some(OutboxState::Queued) => status.queued = n,
                Some(OutboxState::Sending) => status.sending = n,
                Some(OutboxState::Synced) => status.synced = n,
                Some(OutboxState::Rejected) => status.rejected = n,
                Some(OutboxState::Error) => status.error = n,
                Some(OutboxState::Local) => status.local = n,
                Some(OutboxState::Demo) | None => {}
            }
        }
        Ok(status)
    }
}
