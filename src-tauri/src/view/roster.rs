//! Households and residents ([`crate::api::roster`]): the list and its filters, buildings, a
//! household with its members, the forms that add and edit them, and the audited reveal.

use nac_core::ids::display_serial;
use nac_core::station as core;
use nac_core::time::format_cst_minute;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum CodeState {
    Active,
    Expiring,
    Expired,
    Never,
}

impl From<core::CodeState> for CodeState {
    fn from(s: core::CodeState) -> Self {
        match s {
            core::CodeState::Active => CodeState::Active,
            core::CodeState::Expiring => CodeState::Expiring,
            core::CodeState::Expired => CodeState::Expired,
            core::CodeState::Never => CodeState::Never,
        }
    }
}

/// Which households the list shows (see `nac_core::station::HouseholdQuery`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(default)]
pub struct ListQuery {
    pub search: String,
    pub expired: bool,
    pub expiring: bool,
    /// The "expiring ≤ N days" filter's N; the station's threshold when absent.
    pub expiring_within_days: Option<u32>,
    pub never: bool,
    pub rejected: bool,
    pub cards_to_replace: bool,
    pub place: Option<PlaceFilter>,
    pub offset: u32,
    pub limit: u32,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(default)]
pub struct PlaceFilter {
    pub district: String,
    pub road: String,
    pub lane: Option<String>,
    pub number: Option<String>,
}

impl From<&ListQuery> for core::HouseholdQuery {
    fn from(q: &ListQuery) -> Self {
        core::HouseholdQuery {
            search: Some(q.search.clone()).filter(|s| !s.trim().is_empty()),
            filter: core::StatusFilter {
                expired: q.expired,
                expiring: q.expiring,
                never: q.never,
                cards_to_replace: q.cards_to_replace,
            },
            rejected: q.rejected,
            expiring_within_days: q.expiring_within_days,
            place: q.place.as_ref().map(|p| core::Place {
                district: p.district.clone(),
                road: p.road.clone(),
                lane: p.lane.clone(),
                number: p.number.clone(),
            }),
            offset: q.offset,
            limit: q.limit,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct MemberBadge {
    #[ts(type = "number")]
    pub id: i64,
    pub name: String,
    pub state: CodeState,
    #[ts(type = "number | null")]
    pub days_left: Option<i64>,
    pub rejected: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct HouseholdRow {
    #[ts(type = "number")]
    pub id: i64,
    pub building: String,
    pub room: String,
    pub members: Vec<MemberBadge>,
    pub expired: u32,
    pub expiring: u32,
    pub never: u32,
    pub rejected: u32,
    pub cards_to_replace: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct HouseholdPage {
    pub total: u32,
    pub offset: u32,
    pub rows: Vec<HouseholdRow>,
}

impl From<core::HouseholdPage> for HouseholdPage {
    fn from(p: core::HouseholdPage) -> Self {
        HouseholdPage {
            total: p.total,
            offset: p.offset,
            rows: p
                .rows
                .into_iter()
                .map(|h| HouseholdRow {
                    id: h.id,
                    building: h.building,
                    room: h.room,
                    members: h
                        .members
                        .into_iter()
                        .map(|m| MemberBadge {
                            id: m.id,
                            name: m.name,
                            state: m.state.into(),
                            days_left: m.days_left,
                            rejected: m.rejected,
                        })
                        .collect(),
                    expired: h.expired,
                    expiring: h.expiring,
                    never: h.never,
                    rejected: h.rejected,
                    cards_to_replace: h.cards_to_replace,
                })
                .collect(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct Building {
    pub district: String,
    pub road: String,
    pub lane: String,
    pub number: String,
    pub households: u32,
    pub residents: u32,
    pub expired: u32,
    pub expiring: u32,
    pub never: u32,
}

impl From<core::BuildingCounts> for Building {
    fn from(b: core::BuildingCounts) -> Self {
        Building {
            district: b.district,
            road: b.road,
            lane: b.lane,
            number: b.number,
            households: b.households,
            residents: b.residents,
            expired: b.expired,
            expiring: b.expiring,
            never: b.never,
        }
    }
}

/// A resident's status, ready to show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct Status {
    pub state: CodeState,
    /// `7K3QD-9XAZM`
    pub serial: Option<String>,
    /// `2026-12-27 10:30` (CST)
    pub expires_at: Option<String>,
    #[ts(type = "number | null")]
    pub days_left: Option<i64>,
    pub applied_today: bool,
    pub cards_to_replace: u32,
    pub queued_for_sync: u32,
    /// The latest code was rejected by the hub.
    pub rejected: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct Member {
    #[ts(type = "number")]
    pub id: i64,
    #[ts(type = "number")]
    pub household_id: i64,
    pub name: String,
    pub document_type: String,
    pub masked_document: String,
    pub masked_phone: Option<String>,
    pub notes: String,
    pub has_smartphone: bool,
    pub status: Status,
}

impl Member {
    pub fn from_row(r: core::ResidentRow, rejected: bool) -> Member {
        Member {
            id: r.id,
            household_id: r.household_id,
            name: r.name,
            document_type: r.document_type,
            masked_document: r.masked_document,
            masked_phone: r.masked_phone,
            notes: r.notes,
            has_smartphone: r.has_smartphone,
            status: Status {
                state: r.status.state.into(),
                serial: r.status.serial.as_deref().map(display_serial),
                expires_at: r.status.expires_at.map(format_cst_minute),
                days_left: r.status.days_left,
                applied_today: r.status.applied_today,
                cards_to_replace: r.status.cards_to_replace,
                queued_for_sync: r.status.queued_for_sync,
                rejected,
            },
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct Household {
    #[ts(type = "number")]
    pub id: i64,
    pub address: String,
    pub district: String,
    pub road: String,
    pub lane: String,
    pub number: String,
    pub room: String,
    pub masked_phone: Option<String>,
    pub members: Vec<Member>,
}

/// A household form as typed (unvalidated).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(default)]
pub struct HouseholdForm {
    pub district: String,
    pub road: String,
    pub lane: String,
    pub number: String,
    pub room: String,
    pub phone: String,
}

impl From<&HouseholdForm> for core::HouseholdInput {
    fn from(f: &HouseholdForm) -> Self {
        core::HouseholdInput {
            district: f.district.clone(),
            road: f.road.clone(),
            lane: f.lane.clone(),
            number: f.number.clone(),
            room: f.room.clone(),
            phone: f.phone.clone(),
        }
    }
}

/// A resident form as typed (unvalidated).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(default)]
pub struct ResidentForm {
    pub name: String,
    /// `resident_id` (default), `hk_macau_permit`, `taiwan_permit`, `passport`.
    pub document_type: String,
    pub document_number: String,
    pub phone: String,
    pub notes: String,
    pub has_smartphone: bool,
}

impl From<&ResidentForm> for core::ResidentInput {
    fn from(f: &ResidentForm) -> Self {
        core::ResidentInput {
            name: f.name.clone(),
            document_type: f.document_type.clone(),
            document_number: f.document_number.clone(),
            phone: f.phone.clone(),
            notes: f.notes.clone(),
            has_smartphone: f.has_smartphone,
        }
    }
}

/// Full values for one resident, revealed on demand (audited).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct Revealed {
    pub document_number: String,
    pub phone: Option<String>,
}
