//! The station: one SQLite file, one clock, one signing key, and the volunteer at the keyboard.
//!
//! Every operation a volunteer can do goes through [`Station`], so the desktop app, the `nac`
//! CLI and the tests exercise the same rules. Writes run in IMMEDIATE transactions and are
//! tagged with their [`WriteSource`]; after each commit a [`Change`] is passed to the listener
//! (the desktop shell forwards it to the UI so open screens refresh).

mod drafts;
mod households;
mod ledger;
mod print_job;
mod renew;
mod roster;
mod status;
mod trust;

pub use drafts::{HouseholdDraft, HouseholdInput, ResidentDraft, ResidentInput};
pub use households::{
    BuildingCounts, HouseholdListRow, HouseholdPage, HouseholdQuery, MemberBrief, OutboxProblem,
    OutboxSummary, Place, RevealedIdentity,
};
pub use ledger::{CardToReplace, PrintRequest, PrintedCard};
pub use print_job::{card as print_card, PrintOutcome};
pub use renew::{
    BatchItem, BatchOutcome, BatchProgress, BatchScope, DueSelection, RenewOutcome, Renewal,
    DEFAULT_CHUNK,
};
pub use roster::{HouseholdDetail, HouseholdSummary, ImportOutcome, IMPORT_REPORT_EVERY};
pub use status::{
    CodeState, CodeView, HistoryEntry, ResidentDetail, ResidentQuery, ResidentRow, ResidentStatus,
    StationCounts, StatusFilter,
};
pub use trust::StationTrust;

use crate::error::Result;
use crate::ids;
use crate::store;
use crate::time::Clock;
use nac_credential::StationKey;
use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;
use std::path::Path;
use std::sync::Arc;

/// Where a write came from; recorded in the audit log and passed with change events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WriteSource {
    Ui,
    Cli,
    Import,
    Demo,
    Sync,
}

impl WriteSource {
    pub fn as_str(self) -> &'static str {
        match self {
            WriteSource::Ui => "ui",
            WriteSource::Cli => "cli",
            WriteSource::Import => "import",
            WriteSource::Demo => "demo",
            WriteSource::Sync => "sync",
        }
    }
}

/// What changed, for screens that show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Change {
    Roster {
        source: WriteSource,
    },
    Codes {
        source: WriteSource,
        residents: Vec<i64>,
    },
    Ledger {
        source: WriteSource,
    },
    Settings {
        source: WriteSource,
    },
}

/// The station's public identity and settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StationInfo {
    pub station_id: String,
    pub station_name: String,
    pub kid: String,
    /// Residents with this many days left or fewer are "expiring" (R6).
    pub expiring_days: u32,
    pub volunteer: String,
    pub schema_version: u32,
}

/// Default expiring threshold (R6: ≤ 7 days left).
pub const DEFAULT_EXPIRING_DAYS: u32 = 7;
const DEFAULT_VOLUNTEER: &str = "station";

type Listener = Box<dyn Fn(&Change) + Send>;

pub struct Station {
    conn: Connection,
    clock: Arc<dyn Clock>,
    station_id: String,
    key: StationKey,
    kid: String,
    volunteer_id: i64,
    volunteer: String,
    source: WriteSource,
    listener: Option<Listener>,
}

impl Station {
    /// Opens the station database at `path`, creating it (with a fresh station id and signing
    /// key) when it does not exist.
    pub fn open(path: &Path, clock: Arc<dyn Clock>, source: WriteSource) -> Result<Station> {
        let mut conn = store::open(path)?;
        let now = clock.now().timestamp();
        let (station_id, key) = ensure_identity(&mut conn, now)?;
        let kid = key.kid().to_string();
        let mut station = Station {
            conn,
            clock,
            station_id,
            key,
            kid,
            volunteer_id: 0,
            volunteer: String::new(),
            source,
            listener: None,
        };
        station.use_volunteer(DEFAULT_VOLUNTEER)?;
        Ok(station)
    }

    /// Acts as the volunteer with this account from now on (created on first use).
    pub fn use_volunteer(&mut self, account: &str) -> Result<()> {
        let account = account.trim();
        let account = if account.is_empty() {
            DEFAULT_VOLUNTEER
        } else {
            account
        };
        let now = self.now();
        self.conn.execute(
            "INSERT INTO volunteers (account, display_name, created_at) VALUES (?1, ?1, ?2)
             ON CONFLICT (account) DO NOTHING",
            params![account, now],
        )?;
        self.volunteer_id = self.conn.query_row(
            "SELECT id FROM volunteers WHERE account = ?1",
            [account],
            |r| r.get(0),
        )?;
        self.volunteer = account.to_string();
        Ok(())
    }

    /// Receives a [`Change`] after every committed write.
    pub fn set_listener(&mut self, listener: impl Fn(&Change) + Send + 'static) {
        self.listener = Some(Box::new(listener));
    }

    /// The database id of the volunteer account in use (for audit entries).
    pub(crate) fn volunteer_id(&self) -> i64 {
        self.volunteer_id
    }

    pub fn source(&self) -> WriteSource {
        self.source
    }

    pub fn set_source(&mut self, source: WriteSource) {
        self.source = source;
    }

    pub fn now(&self) -> i64 {
        self.clock.now().timestamp()
    }

    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    pub fn station_id(&self) -> &str {
        &self.station_id
    }

    pub fn info(&self) -> Result<StationInfo> {
        Ok(StationInfo {
            station_id: self.station_id.clone(),
            station_name: self.station_name()?,
            kid: self.kid.clone(),
            expiring_days: self.expiring_days()?,
            volunteer: self.volunteer.clone(),
            schema_version: store::schema_version(&self.conn)?,
        })
    }

    pub fn station_name(&self) -> Result<String> {
        Ok(self
            .setting("station_name")?
            .unwrap_or_else(|| "社区服务站".to_string()))
    }

    pub fn expiring_days(&self) -> Result<u32> {
        Ok(self
            .setting("expiring_days")?
            .and_then(|v| v.parse().ok())
            .unwrap_or(DEFAULT_EXPIRING_DAYS))
    }

    pub fn set_station_name(&mut self, name: &str) -> Result<()> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 60 {
            return Err(crate::Error::Invalid(vec![crate::FieldError::new(
                crate::Field::Notes,
                "站点名称应为1–60个字 / station name must be 1–60 characters",
            )]));
        }
        self.write_setting("station_name", name)
    }

    pub fn set_expiring_days(&mut self, days: u32) -> Result<()> {
        if !(1..=29).contains(&days) {
            return Err(crate::Error::Invalid(vec![crate::FieldError::new(
                crate::Field::Notes,
                "临期天数应为1–29 / the expiring threshold must be 1–29 days",
            )]));
        }
        self.write_setting("expiring_days", &days.to_string())
    }

    fn setting(&self, key: &str) -> Result<Option<String>> {
        Ok(self
            .conn
            .query_row("SELECT value FROM settings WHERE key = ?1", [key], |r| {
                r.get(0)
            })
            .optional()?)
    }

    fn write_setting(&mut self, key: &str, value: &str) -> Result<()> {
        let now = self.now();
        let tx = self.write()?;
        tx.execute(
            "INSERT INTO settings (key, value) VALUES (?1, ?2)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            params![key, value],
        )?;
        audit(&tx, now, self.source, self.volunteer_id, "settings", key)?;
        tx.commit()?;
        self.emit(Change::Settings {
            source: self.source,
        });
        Ok(())
    }

    /// An IMMEDIATE transaction on the station database; rolled back if dropped uncommitted.
    fn write(&self) -> Result<rusqlite::Transaction<'_>> {
        Ok(store::immediate(&self.conn)?)
    }

    fn emit(&self, change: Change) {
        if let Some(listener) = &self.listener {
            listener(&change);
        }
    }

    /// Read access for callers that need a consistent query (tests, export).
    pub fn connection(&self) -> &Connection {
        &self.conn
    }
}

fn ensure_identity(conn: &mut Connection, now: i64) -> Result<(String, StationKey)> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let station_id: Option<String> = tx
        .query_row(
            "SELECT value FROM settings WHERE key = 'station_id'",
            [],
            |r| r.get(0),
        )
        .optional()?;
    let station_id = match station_id {
        Some(id) => id,
        None => {
            let id = ids::new_station_id();
            tx.execute(
                "INSERT INTO settings (key, value) VALUES ('station_id', ?1)",
                [&id],
            )?;
            id
        }
    };
    let secret: Option<Vec<u8>> = tx
        .query_row(
            "SELECT secret FROM station_keys ORDER BY created_at DESC, rowid DESC LIMIT 1",
            [],
            |r| r.get(0),
        )
        .optional()?;
    let key = match secret.and_then(|s| <[u8; 32]>::try_from(s.as_slice()).ok()) {
        Some(bytes) => StationKey::from_secret_bytes(&bytes),
        None => {
            let key = StationKey::generate()?;
            let public = key.public_key().to_bytes();
            let kid = key.kid().to_string();
            tx.execute(
                "INSERT INTO station_keys (kid, secret, public, created_at) VALUES (?1, ?2, ?3, ?4)",
                params![kid, key.secret_bytes().as_slice(), public.as_slice(), now],
            )?;
            tx.execute(
                "INSERT INTO trusted_issuers (kid, station_id, public) VALUES (?1, ?2, ?3)
                 ON CONFLICT (kid) DO NOTHING",
                params![kid, station_id, public.as_slice()],
            )?;
            key
        }
    };
    tx.commit()?;
    Ok((station_id, key))
}

pub(crate) fn audit(
    conn: &Connection,
    at: i64,
    source: WriteSource,
    volunteer_id: i64,
    action: &str,
    subject: &str,
) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO audit_log (at, source, volunteer_id, action, subject) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![at, source.as_str(), volunteer_id, action, subject])?;
    Ok(())
}

/// The five address columns starting at column `first` of a query row
/// (district, road, lane, number, room).
pub(crate) fn address_at(
    r: &rusqlite::Row<'_>,
    first: usize,
) -> rusqlite::Result<crate::domain::Address> {
    Ok(crate::domain::Address {
        district: r.get(first)?,
        road: r.get(first + 1)?,
        lane: r.get(first + 2)?,
        number: r.get(first + 3)?,
        room: r.get(first + 4)?,
    })
}
