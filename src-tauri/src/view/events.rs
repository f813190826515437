//! What the backend emits to the window: a background job's progress and end (`job-progress`,
//! `job-done`) and a committed station change (`station-changed`); see [`crate::host`].

use super::{ApiError, BatchSummary, ImportSummary, PrintSummary, RenewResult, SyncSummary};
use serde::Serialize;
use ts_rs::TS;

/// Progress of a background job (`job-progress` event).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct JobProgress {
    #[ts(type = "number")]
    pub job: u64,
    /// `batch_renew`, `print`, `import`.
    pub kind: String,
    pub done: u32,
    pub total: u32,
    /// Results committed since the previous report.
    pub items: Vec<RenewResult>,
}

/// The end of a background job (`job-done` event).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct JobDone {
    #[ts(type = "number")]
    pub job: u64,
    pub kind: String,
    pub cancelled: bool,
    pub error: Option<ApiError>,
    pub batch: Option<BatchSummary>,
    pub import: Option<ImportSummary>,
    pub print: Option<PrintSummary>,
    pub sync: Option<SyncSummary>,
}

/// A station change (`station-changed` event): which screens should refresh.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct StationChanged {
    /// `roster`, `codes`, `ledger` or `settings`.
    pub kind: String,
    #[ts(type = "number[]")]
    pub residents: Vec<i64>,
}

impl From<&nac_core::station::Change> for StationChanged {
    fn from(c: &nac_core::station::Change) -> Self {
        use nac_core::station::Change;
        match c {
            Change::Roster { .. } => StationChanged {
                kind: "roster".into(),
                residents: vec![],
            },
            Change::Codes { residents, .. } => StationChanged {
                kind: "codes".into(),
                residents: residents.clone(),
            },
            Change::Ledger { .. } => StationChanged {
                kind: "ledger".into(),
                residents: vec![],
            },
            Change::Settings { .. } => StationChanged {
                kind: "settings".into(),
                residents: vec![],
            },
        }
    }
}
