//! Accounts and the audit log ([`crate::api::accounts`]), both for administrators.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// An account as the administrator's screen lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct AccountView {
    pub name: String,
    /// `admin` or `volunteer`.
    pub role: String,
    pub disabled: bool,
    pub can_sign_in: bool,
}

/// A new account from the administrator's screen.
#[derive(Clone, PartialEq, Eq, Deserialize, TS)]
pub struct AccountForm {
    pub name: String,
    /// `admin` or `volunteer`.
    pub role: String,
    pub pin: String,
}

impl std::fmt::Debug for AccountForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccountForm")
            .field("name", &self.name)
            .field("role", &self.role)
            .finish_non_exhaustive()
    }
}

/// The audit log as administrators read it: the newest entries and the chain check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct AuditView {
    pub entries: Vec<AuditLine>,
    /// Rows the chain check read.
    pub rows: u32,
    /// The first broken row, in the UI language; `null` when the chain is intact.
    pub problem: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct AuditLine {
    pub id: u32,
    /// Beijing time, `2026-12-02 09:00:00`.
    pub at: String,
    pub volunteer: String,
    pub action: String,
    pub subject: String,
    pub source: String,
}

/// The audit log exported from Settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct AuditExportDone {
    pub path: String,
    pub rows: u32,
    /// The chain checked intact when exported.
    pub intact: bool,
}
