//! The UI contract: every request and response type the commands take or return, declared once
//! here and exported to `ui/types.d.ts` (ts-rs) so the JavaScript side is checked against them
//! (`// @ts-check` + JSDoc). They mirror the core's types on purpose: the core can grow without
//! silently changing what the UI receives, and times arrive already formatted in China Standard
//! Time (R1) so the UI never does time-zone arithmetic.

use nac_core::ids::display_serial;
use nac_core::station as core;
use nac_core::time::format_cst_minute;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// Splits a core message written as "中文 / English" into the UI language's half.
pub fn pick(lang: Lang, bilingual: &str) -> String {
    let (zh, en) = nac_core::error::split_bilingual(bilingual);
    match lang {
        Lang::Zh => zh.to_string(),
        Lang::En => en.to_string(),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    #[default]
    Zh,
    En,
}

/// An error as the UI receives it: `code` for the few cases the UI branches on, a message in
/// the UI language, and per-field messages for inline form validation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct ApiError {
    pub code: String,
    pub message: String,
    pub fields: Vec<FieldMessage>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct FieldMessage {
    /// `district`, `road`, `lane`, `number`, `room`, `household_phone`, `name`,
    /// `document_type`, `document_number`, `phone`, `notes`.
    pub field: String,
    pub message: String,
}

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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Capacity {
    #[serde(rename = "self")]
    OwnBehalf,
    Family,
    Volunteer,
}

impl From<Capacity> for nac_core::domain::Capacity {
    fn from(c: Capacity) -> Self {
        match c {
            Capacity::OwnBehalf => nac_core::domain::Capacity::Own,
            Capacity::Family => nac_core::domain::Capacity::Family,
            Capacity::Volunteer => nac_core::domain::Capacity::Volunteer,
        }
    }
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

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct BatchSummary {
    pub total: u32,
    pub renewed: u32,
    pub already_applied: u32,
    pub failed: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct ImportSummary {
    pub file: String,
    /// The worksheet read (workbooks only): the first whose header maps.
    pub sheet: Option<String>,
    /// The header's row as the sheet shows it (title rows above it are skipped).
    pub header_row: u32,
    /// About the file as a whole, in the UI language (a renamed file, ID numbers cut to 15
    /// digits), shown above everything else.
    pub notices: Vec<String>,
    pub rows_read: u32,
    pub rows_imported: u32,
    pub rows_rejected: u32,
    /// Rows held back until their warnings are confirmed.
    pub rows_held: u32,
    /// Whether this import wrote the rows with warnings (the volunteer confirmed them).
    pub warnings_accepted: bool,
    /// Rows that look wrong in a way a person must check (e.g. an ID ending in 000).
    pub warnings: Vec<ImportRowError>,
    pub households_added: u32,
    pub residents_added: u32,
    pub residents_updated: u32,
    pub residents_unchanged: u32,
    /// What the updates changed field by field, in the UI language ("手机号清空2人"); empty
    /// when no stored value changed.
    pub changes: String,
    pub errors: Vec<ImportRowError>,
    pub ignored_columns: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct ImportRowError {
    pub row: u32,
    /// The column's Chinese or English label, in the UI language.
    pub column: String,
    /// Masked for document numbers and phones.
    pub value: String,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ImportRequest {
    /// The file's name (its extension picks the reader: .csv, .xlsx).
    pub file_name: String,
    /// The file's bytes, base64.
    pub content_base64: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ExportRequest {
    /// Where to write: a path ending in .csv or .xlsx.
    pub path: String,
    /// Full document numbers and phones instead of masked ones (audited).
    pub unmasked: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct ExportResult {
    pub path: String,
    pub rows: u32,
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

/// What the print screen offers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct PrintOptions {
    /// `a4-8up`, `a4-4up`, `large`, `household`, `label-62mm`.
    pub layouts: Vec<String>,
    pub printers: Vec<PrinterChoice>,
    /// Why no printer is listed (CUPS missing, …), in the UI language.
    pub printers_problem: Option<String>,
    pub default_pdf_path: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct PrinterChoice {
    pub name: String,
    pub is_default: bool,
}

/// A resident on the print screen: printable when they have a valid code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct PrintCandidate {
    #[ts(type = "number")]
    pub id: i64,
    pub name: String,
    pub address: String,
    pub serial: Option<String>,
    pub expires_at: Option<String>,
}

/// Where the cards go.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PrintDestination {
    /// Render to a private preview PDF and open it in the system viewer; nothing is recorded.
    Preview,
    /// Save the PDF here (recorded in the print ledger).
    Pdf { path: String },
    /// Save next to the data file and send to this CUPS printer (recorded).
    Printer { name: String },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct PrintJobRequest {
    #[ts(type = "number[]")]
    pub residents: Vec<i64>,
    pub layout: String,
    pub destination: PrintDestination,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct PrintSummary {
    pub cards: u32,
    pub pages: u32,
    pub path: String,
    pub printer_job: Option<String>,
    /// Recorded in the print ledger (not for a preview).
    pub recorded: bool,
    /// Residents without a valid code, not printed.
    pub skipped: u32,
}

/// Whether the station is open, and what the start screen must ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum UnlockState {
    /// An existing station: its passphrase opens it.
    Locked,
    /// No station file yet: choose the passphrase that will protect it.
    New,
    /// Open, but the station has no administrator who can sign in yet: create one.
    CreateAdmin,
    /// Open; a volunteer signs in (at start, and after the screen locked).
    SignIn,
    /// Open and signed in (a demo signs in by itself).
    Open,
}

/// What the start screen shows before the station is open.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct UnlockStatus {
    pub state: UnlockState,
    pub language: Lang,
    pub data_file: String,
    /// The shortest passphrase a new station accepts.
    pub min_passphrase_chars: u32,
    /// Seconds before another attempt is answered (after wrong passphrases).
    pub wait_seconds: u32,
    /// The accounts that can sign in (for the sign-in screen), once the station is open.
    pub accounts: Vec<String>,
}

/// A volunteer signing in, or the first administrator being created.
#[derive(Clone, PartialEq, Eq, Deserialize, TS)]
pub struct SignInForm {
    pub name: String,
    pub pin: String,
}

impl std::fmt::Debug for SignInForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignInForm")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

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

/// The passphrase typed on the start screen (never stored, logged or sent back).
#[derive(Clone, PartialEq, Eq, Deserialize, TS)]
pub struct UnlockForm {
    pub passphrase: String,
}

impl std::fmt::Debug for UnlockForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("UnlockForm(..)")
    }
}

/// The audit log exported from Settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct AuditExportDone {
    pub path: String,
    pub rows: u32,
    /// The chain checked intact when exported.
    pub intact: bool,
}

/// A backup written from Settings.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct BackupDone {
    pub path: String,
    #[ts(type = "number")]
    pub bytes: u64,
}
