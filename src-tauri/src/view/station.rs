//! The station as a whole ([`crate::api::station`]): what the app shows about it, its counts,
//! its settings, keeping it unlocked, and backups.

use super::Lang;
use nac_core::station as core;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct AppInfo {
    pub station_id: String,
    pub station_name: String,
    pub expiring_days: u32,
    pub volunteer: String,
    pub language: Lang,
    /// Where the station database lives (shown in Settings, for backups).
    pub data_file: String,
    pub version: String,
    /// A demo station (fictional residents, never synced): the UI shows a banner and marks
    /// the window title.
    pub demo: bool,
    /// The signed-in volunteer's role: `admin` (reveals, accounts, audit log, backups) or
    /// `volunteer`.
    pub role: String,
    /// Seconds without input before the screen locks (`$NAC_IDLE_LOCK_SECONDS` overrides
    /// the station setting).
    pub idle_lock_seconds: u32,
    /// The station setting, in minutes (what Settings edits).
    pub idle_lock_minutes: u32,
    /// Days the PDFs sent to a printer are kept in `printed/` (administrators change it).
    pub keep_printed_days: u32,
    /// Until when an administrator keeps the station unlocked (`YYYY-MM-DD HH:MM`, CST): a
    /// restarted app asks only for a PIN until then; `null` when it is not kept.
    pub kept_until: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct Counts {
    pub households: u32,
    pub residents: u32,
    pub active: u32,
    pub expiring: u32,
    pub expired: u32,
    pub never: u32,
    pub cards_to_replace: u32,
    pub queued_for_sync: u32,
}

impl From<core::StationCounts> for Counts {
    fn from(c: core::StationCounts) -> Self {
        Counts {
            households: c.households,
            residents: c.residents,
            active: c.active,
            expiring: c.expiring,
            expired: c.expired,
            never: c.never,
            cards_to_replace: c.cards_to_replace,
            queued_for_sync: c.queued_for_sync,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Settings {
    pub station_name: String,
    pub expiring_days: u32,
    pub language: Lang,
    /// Minutes without input before the screen locks (administrators change it).
    pub idle_lock_minutes: u32,
    /// Days the PDFs sent to a printer are kept (0–90; administrators change it).
    pub keep_printed_days: u32,
}

/// An administrator keeps the station unlocked until `until` (`HH:MM` today, CST).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, TS)]
pub struct KeepUnlockedForm {
    pub until: String,
}

/// A backup written from Settings.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct BackupDone {
    pub path: String,
    #[ts(type = "number")]
    pub bytes: u64,
}
