//! The Sync screen ([`crate::api::sync`]): the link with the hub, the outbox and its problems,
//! enrolment, and what a sync run did.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// The Sync screen: the station's link with the hub and its outbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct SyncQueue {
    /// Enrolled with a hub (otherwise the screen offers enrolment).
    pub enrolled: bool,
    pub demo: bool,
    pub station_id: String,
    pub hub_url: Option<String>,
    pub queued: u32,
    pub sending: u32,
    pub synced: u32,
    pub rejected: u32,
    pub error: u32,
    /// Renewals recorded before enrolment (never sent).
    pub local: u32,
    pub last_synced_at: Option<String>,
    /// Why the last sync stopped, in the UI language.
    pub last_error: Option<String>,
    /// The next automatic attempt after a failure (backoff).
    pub next_sync_at: Option<String>,
    /// When the hub made the trust list held for offline verification.
    pub trust_list_at: Option<String>,
    /// The last audit row whose hash the hub holds, and when it was sent.
    #[ts(type = "number | null")]
    pub audit_anchored_row: Option<i64>,
    pub audit_anchored_at: Option<String>,
    /// A sync is running now.
    pub syncing: bool,
    pub errors: Vec<SyncError>,
}

/// An outbox event with a problem: rejected by the hub, refused, or waiting to retry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct SyncError {
    #[ts(type = "number | null")]
    pub resident_id: Option<i64>,
    pub name: String,
    /// `rejected` or `error`.
    pub state: String,
    /// The hub's reason code (`already_applied_today`, `conflict`, …) or `unreachable`.
    pub reason: String,
    /// The explanation, in the UI language when the core wrote both.
    pub message: String,
    pub serial: String,
    pub attempts: u32,
    pub next_retry: Option<String>,
}

/// The enrolment form of the Sync screen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct EnrolForm {
    pub hub_url: String,
    pub code: String,
    /// The district's CA certificate (PEM text) for an `https://` hub whose certificate it
    /// issued itself; empty when the hub's certificate is publicly trusted or the hub is local.
    #[serde(default)]
    pub hub_ca: String,
}

/// What a sync run did (in `job-done` of kind `sync`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct SyncSummary {
    pub pushed: u32,
    pub synced: u32,
    pub rejected: u32,
    pub failed: u32,
    pub adopted: u32,
    pub pulled: u32,
    /// The run stopped early (hub unreachable); the message in the UI language.
    pub stopped: Option<String>,
    pub next_attempt_at: Option<String>,
}
