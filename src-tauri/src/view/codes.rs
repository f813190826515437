//! Codes ([`crate::api::codes`]): a resident's code and history, renewing one resident or a
//! batch, the cards to replace, and the verify screen.
//!
//! The capacity an application is made in is the protocol's [`Capacity`] itself (`"self"`,
//! `"family"`, `"volunteer"`, the same names the hub receives).

use super::{pick, Lang, Member};
use nac_core::ids::display_serial;
use nac_core::station as core;
use nac_core::time::format_cst_minute;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

pub use nac_protocol::Capacity;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct Code {
    /// `7K3QD-9XAZM`
    pub serial: String,
    pub issued_at: String,
    pub expires_at: String,
    pub station_id: String,
    /// `active`, `superseded` or `rejected`.
    pub state: String,
}

impl From<&core::CodeView> for Code {
    fn from(c: &core::CodeView) -> Self {
        Code {
            serial: display_serial(&c.serial),
            issued_at: format_cst_minute(c.issued_at),
            expires_at: format_cst_minute(c.expires_at),
            station_id: c.station_id.clone(),
            state: c.state.clone(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct HistoryLine {
    pub applied_at: String,
    /// `self`, `family` or `volunteer`.
    pub capacity: String,
    pub volunteer: Option<String>,
    pub channel: String,
    pub code: Code,
    pub cards_printed: u32,
    pub sync_state: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct ResidentView {
    pub member: Member,
    pub address: String,
    // No birth date: with the masked number and the address's region it rebuilds most of the
    // ID number (issue 9). The full number is shown only by the audited reveal.
    pub active_code: Option<Code>,
    /// The active code as an SVG QR (the same text the card prints), error correction Q.
    pub qr_svg: Option<String>,
    pub history: Vec<HistoryLine>,
}

/// What one application came to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum RenewResult {
    Renewed {
        #[ts(type = "number")]
        resident_id: i64,
        name: String,
        code: Code,
        /// The voided code's serial (R2).
        superseded: Option<String>,
        /// Its printed cards, now invalid (R8).
        cards_invalidated: u32,
    },
    /// R3: nothing changed; the active code is shown.
    AlreadyAppliedToday {
        #[ts(type = "number")]
        resident_id: i64,
        name: String,
        applied_at: String,
        active: Option<Code>,
    },
    Failed {
        #[ts(type = "number")]
        resident_id: i64,
        name: String,
        message: String,
    },
}

impl RenewResult {
    pub fn from_outcome(o: &core::RenewOutcome) -> RenewResult {
        match o {
            core::RenewOutcome::Renewed(r) => RenewResult::Renewed {
                resident_id: r.resident_id,
                name: r.name.clone(),
                code: Code::from(&r.code),
                superseded: r.superseded.as_deref().map(display_serial),
                cards_invalidated: r.cards_invalidated,
            },
            core::RenewOutcome::AlreadyAppliedToday {
                resident_id,
                name,
                applied_at,
                active,
            } => RenewResult::AlreadyAppliedToday {
                resident_id: *resident_id,
                name: name.clone(),
                applied_at: format_cst_minute(*applied_at),
                active: active.as_ref().map(Code::from),
            },
        }
    }

    pub fn from_item(item: &core::BatchItem, lang: Lang) -> RenewResult {
        match item {
            core::BatchItem::Done(o) => RenewResult::from_outcome(o),
            core::BatchItem::Failed {
                resident_id,
                name,
                message,
                ..
            } => RenewResult::Failed {
                resident_id: *resident_id,
                name: name.clone(),
                message: pick(lang, message),
            },
        }
    }
}

/// Whom a batch renews: everyone due in the station or one household, or the listed residents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum BatchTarget {
    Station,
    Household {
        #[ts(type = "number")]
        id: i64,
    },
    Residents {
        #[ts(type = "number[]")]
        ids: Vec<i64>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct BatchRequest {
    pub target: BatchTarget,
    /// Due means expired, never issued, or this many days left or fewer (ignored for `residents`).
    pub within_days: u32,
    pub capacity: Capacity,
}

/// Who a batch would renew, for the confirmation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct BatchPreview {
    pub total: u32,
    /// The first names, for the confirmation text.
    pub names: Vec<String>,
    /// Of them, how many already applied today (they will be skipped, R3).
    pub applied_today: u32,
    /// Of them, how many have a code now (it and its printed cards become invalid, R2/R8).
    pub with_code: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct BatchSummary {
    pub total: u32,
    pub renewed: u32,
    pub already_applied: u32,
    pub failed: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct CardToReplace {
    #[ts(type = "number")]
    pub card_id: i64,
    #[ts(type = "number")]
    pub resident_id: i64,
    pub name: String,
    pub address: String,
    pub serial: String,
    pub printed_at: String,
    /// `superseded` or `rejected`.
    pub code_state: String,
    pub current_serial: Option<String>,
}

impl From<core::CardToReplace> for CardToReplace {
    fn from(c: core::CardToReplace) -> Self {
        CardToReplace {
            card_id: c.card_id,
            resident_id: c.resident_id,
            name: c.name,
            address: c.address,
            serial: display_serial(&c.serial),
            printed_at: format_cst_minute(c.printed_at),
            code_state: c.code_state,
            current_serial: c.current_serial.as_deref().map(display_serial),
        }
    }
}

/// What the verify screen shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct VerifyResult {
    /// `valid`, `expired`, `superseded`, `rejected`, `key_withdrawn` (signed after the district
    /// withdrew its key), `unknown_issuer`, `forged`, `malformed`,
    /// `invalid_window` (not signed for exactly 720 h), `not_yet_valid` (issued more than
    /// 5 minutes ahead of this computer's clock), `cannot_check` (the station's data could not
    /// be read), or `no_qr` when an image holds no readable QR code.
    pub verdict: String,
    /// A technical detail (English) for `invalid_window`, `not_yet_valid` and `cannot_check`.
    pub reason: Option<String>,
    pub masked_name: Option<String>,
    pub id_last4: Option<String>,
    pub serial: Option<String>,
    pub issued_at: Option<String>,
    pub expires_at: Option<String>,
    pub station_id: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::Capacity;

    /// The names the renew screen sends (ui/js/renew.js) are the protocol's.
    #[test]
    fn capacity_reads_what_the_ui_sends() {
        for (sent, capacity) in [
            ("self", Capacity::Own),
            ("family", Capacity::Family),
            ("volunteer", Capacity::Volunteer),
        ] {
            let json = format!("\"{sent}\"");
            assert_eq!(serde_json::from_str::<Capacity>(&json).ok(), Some(capacity));
            assert_eq!(serde_json::to_string(&capacity).ok(), Some(json));
        }
    }
}
