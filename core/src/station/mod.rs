//! The station: one SQLite file, one clock, one signing key, and the volunteer at the keyboard.
//!
//! Every operation a volunteer can do goes through [`Station`], so the desktop app, the `nac`
//! CLI and the tests exercise the same rules. Writes run in IMMEDIATE transactions and are
//! tagged with their [`WriteSource`]; after each commit a [`Change`] is passed to the listener
//! (the desktop shell forwards it to the UI so open screens refresh).
//!
//! An audited write goes through [`Station::write_audited`] (or its variant for a subject known
//! only after the write): the change, its audit row and the commit are one step, then the event.
//! So no write can forget its audit row, commit a change without it (or it without the
//! change), audit under another session's name by mistake, or announce a change that was
//! rolled back. The few writes that still do it by hand say why at the spot: a sign-in is
//! audited as the account signing in, a failed backup is recorded after work done outside any
//! transaction, a roster import is audited as the import and only when it changed something, a
//! renewal's audit row belongs to the rules it shares with the batch (which commits in chunks),
//! and whole-file operations write through a connection of their own.

mod accounts;
mod audit_export;
mod households;
mod kept_unlocked;
mod keys;
mod ledger;
pub(crate) mod outbox;
mod print_job;
mod renew;
mod retention;
mod roster;
mod roster_export;
mod roster_import;
pub(crate) mod settings;
mod status;
pub(crate) mod sync;
mod trust;
mod whole_file;

pub use crate::domain::drafts::{HouseholdDraft, HouseholdInput, ResidentDraft, ResidentInput};
pub use crate::roster::{FieldChanges, ImportOutcome};
pub use accounts::{signin_wait_secs, Account, AuditEntry, Role};
pub use audit_export::AuditExport;
pub use households::{
    BuildingCounts, HouseholdListRow, HouseholdPage, HouseholdQuery, MemberBrief, OutboxProblem,
    OutboxSummary, Place, RevealedIdentity,
};
pub use keys::SigningKey;
pub use ledger::{CardToReplace, PrintRequest, PrintedCard};
pub use print_job::{
    CardToPrint, PrintFailure, PrintFailureKind, PrintOutcome, PrintPlan, Rendered,
};
pub use renew::{
    BatchItem, BatchOutcome, BatchProgress, BatchScope, DueSelection, RenewOutcome, Renewal,
    DEFAULT_CHUNK,
};
pub use retention::{DEFAULT_KEEP_PRINTED_DAYS, MAX_KEEP_PRINTED_DAYS};
pub use roster::{HouseholdDetail, HouseholdSummary, IMPORT_REPORT_EVERY};
pub use status::{
    CodeState, CodeView, HistoryEntry, ResidentDetail, ResidentQuery, ResidentRow, ResidentStatus,
    StationCounts, StatusFilter,
};
pub use sync::http::HttpTransport;
pub use sync::KeyRotation;
pub use sync::{
    backoff_secs, AnchorCheck, AnchorProblem, Enrolment, HubHeaders, HubRequest, Method,
    QueueEntry, RequestSigner, SyncProgress, SyncReport, SyncStage, SyncStatus, Transport,
    TransportError, MAX_HUB_CA_BYTES,
};
pub use trust::StationTrust;
pub use whole_file::{restore, FileIdentity, PassphraseChanged, RestoreRequest, Restored};

use crate::error::Result;
use crate::ids;
use crate::store;
use crate::time::Clock;
use nac_credential::StationKey;
use rusqlite::{params, Connection, OptionalExtension, Transaction};
use serde::Serialize;
use std::fmt::Display;
use std::path::{Path, PathBuf};
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

/// What [`Station::write_audited`] announces once committed (it adds the session's source).
impl Change {
    pub(crate) fn roster(source: WriteSource) -> Change {
        Change::Roster { source }
    }

    pub(crate) fn ledger(source: WriteSource) -> Change {
        Change::Ledger { source }
    }

    pub(crate) fn settings(source: WriteSource) -> Change {
        Change::Settings { source }
    }
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
    /// A demo station (fictional residents): never enrolled or synced, marked on every
    /// screen and card.
    pub demo: bool,
}

/// What a backup file may be called.
pub const BACKUP_EXTENSIONS: [&str; 2] = ["nacbackup", "db"];

/// Default idle lock of the desktop app, in minutes.
pub const DEFAULT_IDLE_LOCK_MINUTES: u32 = 10;

/// Default expiring threshold (R6: ≤ 7 days left).
pub const DEFAULT_EXPIRING_DAYS: u32 = 7;
const DEFAULT_VOLUNTEER: &str = "station";

type Listener = Box<dyn Fn(&Change) + Send>;

pub struct Station {
    conn: Connection,
    path: PathBuf,
    database_key: store::DatabaseKey,
    clock: Arc<dyn Clock>,
    station_id: String,
    demo: bool,
    /// Set once enrolled with a hub: the key of person keys (docs/sync.md §2).
    district_secret: Option<nac_protocol::DistrictSecret>,
    volunteer_id: i64,
    volunteer: String,
    /// The volunteer's station-scoped stable id, as events carry it (never the rowid).
    volunteer_uid: String,
    /// What the volunteer in use may do (see [`accounts`]).
    role: Role,
    source: WriteSource,
    listener: Option<Listener>,
}

/// What an open does with a file that has no station identity yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A real station; any existing station (real or demo) opens as it is.
    Any,
    /// A demo: a new station is marked as one when its identity is created; an existing real
    /// station is refused.
    Demo,
}

impl Station {
    /// Opens the station database at `path`, creating it (with a fresh station id and signing
    /// key) when it does not exist.
    ///
    /// Opening an existing station only reads (schema version, identity, volunteer), so it
    /// works while another process holds the write lock, e.g. the desktop app importing a
    /// roster while `nac list` runs; a write lock is taken only to create what is missing.
    ///
    /// `key` is the database key derived from the station passphrase for this file (see
    /// [`store::DatabaseKey::for_file`]); a key that does not fit is
    /// [`store::StoreError::WrongPassphrase`] with the file unchanged.
    pub fn open(
        path: &Path,
        key: &store::DatabaseKey,
        clock: Arc<dyn Clock>,
        source: WriteSource,
    ) -> Result<Station> {
        Station::open_kind(path, key, clock, source, Kind::Any)
    }

    /// Opens the demo station at `path`, creating it marked as a demo (`settings.demo = 1`, in
    /// the same transaction as its identity, so no row of it ever exists unmarked). Refuses an
    /// existing real station with [`crate::Error::NotADemo`]. Used by [`crate::demo::create`].
    pub fn open_demo(
        path: &Path,
        key: &store::DatabaseKey,
        clock: Arc<dyn Clock>,
        source: WriteSource,
    ) -> Result<Station> {
        Station::open_kind(path, key, clock, source, Kind::Demo)
    }

    fn open_kind(
        path: &Path,
        key: &store::DatabaseKey,
        clock: Arc<dyn Clock>,
        source: WriteSource,
        kind: Kind,
    ) -> Result<Station> {
        let conn = store::open(path, key)?;
        let database_key = key.clone();
        let now = clock.now().timestamp();
        let station_id = match read_identity(&conn)? {
            Some(station_id) => station_id,
            None => create_identity(&conn, now, kind == Kind::Demo)?,
        };
        let demo = read_demo(&conn)?;
        if kind == Kind::Demo && !demo {
            return Err(crate::Error::NotADemo {
                path: path.display().to_string(),
            });
        }
        let district_secret = sync::read_district_secret(&conn)?;
        let mut station = Station {
            conn,
            path: path.to_path_buf(),
            database_key,
            clock,
            station_id,
            demo,
            district_secret,
            volunteer_id: 0,
            volunteer: String::new(),
            volunteer_uid: String::new(),
            role: Role::Volunteer,
            source,
            listener: None,
        };
        station.use_volunteer(DEFAULT_VOLUNTEER)?;
        Ok(station)
    }

    /// Whether this is a demo station (see [`Station::ensure_not_demo`]).
    pub fn is_demo(&self) -> bool {
        self.demo
    }

    /// Refuses with [`crate::Error::DemoStation`] when this is a demo station.
    ///
    /// A demo's residents are fictional but their ID numbers look valid and its codes are
    /// signed with a real key: nothing of it may reach the district hub. Its outbox events are
    /// filed as `demo` by the database itself (migration 0002) and can never be sent, and
    /// **every operation that talks to the hub — enrolment, push, pull, trust-list updates —
    /// must call this first** and stop on the error.
    pub fn ensure_not_demo(&self) -> Result<()> {
        if self.demo {
            Err(crate::Error::DemoStation)
        } else {
            Ok(())
        }
    }

    /// The database file this station lives in.
    pub fn data_file(&self) -> &Path {
        &self.path
    }

    /// The key this station's file is encrypted with (to open more connections to it).
    pub fn database_key(&self) -> &store::DatabaseKey {
        &self.database_key
    }

    /// Writes an encrypted, checked backup to `target` (`.nacbackup` or `.db`), whole or not
    /// at all, while the station stays in use; it opens with the station's passphrase.
    /// Audited as `backup` with its path before it is written, so the backup's own log says
    /// where it went (a change of passphrase lists it); `backup.failed` follows if it fails.
    pub fn backup(&mut self, target: &Path) -> Result<()> {
        self.require_admin("write backups", "备份")?;
        let own = self.own_files();
        let written = target.display().to_string();
        let now = self.now();
        self.write_audited("backup", &written, None, |_, _| Ok(()))?;
        let result = crate::files::write_atomically(target, &BACKUP_EXTENSIONS, &own, |tmp| {
            store::backup(&self.conn, &self.database_key, tmp).map_err(crate::Error::from)
        });
        if result.is_err() {
            // Not write_audited: it records work that failed outside any transaction, dated like
            // the `backup` row it follows.
            let tx = self.write()?;
            audit(
                &tx,
                now,
                self.source,
                self.volunteer_id,
                "backup.failed",
                &written,
            )?;
            tx.commit()?;
        }
        result
    }

    /// The station's own files (database, `-wal`, `-shm`, preferences): never an export
    /// target.
    pub fn own_files(&self) -> Vec<PathBuf> {
        crate::files::station_files(&self.path)
    }

    /// Acts as the volunteer with this account from now on (created on first use).
    pub fn use_volunteer(&mut self, account: &str) -> Result<()> {
        let account = account.trim();
        let account = if account.is_empty() {
            DEFAULT_VOLUNTEER
        } else {
            account
        };
        // Look first: an INSERT, even one that changes nothing, takes the write lock, and a
        // read-only command must not wait for (or fail on) another process's write.
        let find = |conn: &Connection| -> rusqlite::Result<Option<(i64, String, String)>> {
            conn.query_row(
                "SELECT id, uid, role FROM volunteers WHERE account = ?1",
                [account],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()
        };
        let (id, uid, role) = match find(&self.conn)? {
            Some(id) => id,
            None => {
                let now = self.now();
                // The built-in account is the station administrator (the CLI acts as it).
                self.conn.execute(
                    "INSERT INTO volunteers (account, display_name, created_at, role)
                     VALUES (?1, ?1, ?2, CASE WHEN ?1 = ?3 THEN 'admin' ELSE 'volunteer' END)
                     ON CONFLICT (account) DO NOTHING",
                    params![account, now, DEFAULT_VOLUNTEER],
                )?;
                find(&self.conn)?.ok_or(crate::Error::NotFound {
                    what: "volunteer",
                    what_zh: "志愿者账号",
                })?
            }
        };
        self.volunteer_id = id;
        self.volunteer = account.to_string();
        self.volunteer_uid = uid;
        self.role = if role == "admin" {
            Role::Admin
        } else {
            Role::Volunteer
        };
        Ok(())
    }

    /// How long this connection waits for another connection's write lock before a write
    /// fails (default [`store::BUSY_TIMEOUT`]). The desktop app's writer waits longer, for an
    /// import writing on a connection of its own.
    pub fn set_busy_timeout(&self, timeout: std::time::Duration) -> Result<()> {
        self.conn.busy_timeout(timeout)?;
        Ok(())
    }

    /// Receives a [`Change`] after every committed write.
    pub fn set_listener(&mut self, listener: impl Fn(&Change) + Send + 'static) {
        self.listener = Some(Box::new(listener));
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
        let (station_id, _) = sync::current_identity(&self.conn)?;
        Ok(StationInfo {
            station_id,
            station_name: self.station_name()?,
            kid: keys::active_kid(&self.conn)?,
            expiring_days: self.expiring_days()?,
            volunteer: self.volunteer.clone(),
            schema_version: store::schema_version(&self.conn)?,
            demo: self.demo,
        })
    }

    pub fn station_name(&self) -> Result<String> {
        Ok(self
            .setting(settings::key::STATION_NAME)?
            .unwrap_or_else(|| "社区服务站".to_string()))
    }

    pub fn expiring_days(&self) -> Result<u32> {
        Ok(self
            .setting(settings::key::EXPIRING_DAYS)?
            .and_then(|v| v.parse().ok())
            .unwrap_or(DEFAULT_EXPIRING_DAYS))
    }

    /// Minutes without input after which the desktop app locks (default 10).
    pub fn idle_lock_minutes(&self) -> Result<u32> {
        Ok(self
            .setting(settings::key::IDLE_LOCK_MINUTES)?
            .and_then(|v| v.parse().ok())
            .unwrap_or(DEFAULT_IDLE_LOCK_MINUTES))
    }

    /// Sets the idle lock (1–120 minutes; administrators only).
    pub fn set_idle_lock_minutes(&mut self, minutes: u32) -> Result<()> {
        self.require_admin("change the idle lock", "修改自动锁定时间")?;
        if !(1..=120).contains(&minutes) {
            return Err(crate::Error::Invalid(vec![crate::FieldError::new(
                crate::Field::Notes,
                "自动锁定时间应为1–120分钟 / the idle lock must be 1–120 minutes",
            )]));
        }
        self.write_setting(settings::key::IDLE_LOCK_MINUTES, &minutes.to_string())
    }

    pub fn set_station_name(&mut self, name: &str) -> Result<()> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 60 {
            return Err(crate::Error::Invalid(vec![crate::FieldError::new(
                crate::Field::Notes,
                "站点名称应为1–60个字 / station name must be 1–60 characters",
            )]));
        }
        self.write_setting(settings::key::STATION_NAME, name)
    }

    pub fn set_expiring_days(&mut self, days: u32) -> Result<()> {
        if !(1..=29).contains(&days) {
            return Err(crate::Error::Invalid(vec![crate::FieldError::new(
                crate::Field::Notes,
                "临期天数应为1–29 / the expiring threshold must be 1–29 days",
            )]));
        }
        self.write_setting(settings::key::EXPIRING_DAYS, &days.to_string())
    }

    fn setting(&self, key: &str) -> Result<Option<String>> {
        Ok(settings::read(&self.conn, key)?)
    }

    fn write_setting(&mut self, key: &str, value: &str) -> Result<()> {
        self.write_audited("settings", key, Some(Change::settings), |tx, _| {
            Ok(settings::write(tx, key, value)?)
        })
    }

    /// An IMMEDIATE transaction on the station database; rolled back if dropped uncommitted.
    fn write(&self) -> Result<Transaction<'_>> {
        Ok(store::immediate(&self.conn)?)
    }

    /// One audited write: `body` runs in an IMMEDIATE transaction with the injected clock's now;
    /// the audit row (this session's volunteer and source, `action`, `subject` as text, e.g. a
    /// row id) is appended in the same transaction; it commits; then `change` (if any) is
    /// emitted to the listener with this session's source. An error anywhere rolls the whole
    /// write back (the transaction is dropped uncommitted) and emits nothing.
    pub(crate) fn write_audited<T>(
        &self,
        action: &str,
        subject: impl Display,
        change: Option<fn(WriteSource) -> Change>,
        body: impl FnOnce(&Transaction<'_>, i64) -> Result<T>,
    ) -> Result<T> {
        self.write_audited_subject_after(action, change, |tx, now| Ok((body(tx, now)?, subject)))
    }

    /// [`Station::write_audited`] for a subject known only from what the write did (a new row's
    /// id, a count): `body` returns its result and the subject.
    pub(crate) fn write_audited_subject_after<T, S: Display>(
        &self,
        action: &str,
        change: Option<fn(WriteSource) -> Change>,
        body: impl FnOnce(&Transaction<'_>, i64) -> Result<(T, S)>,
    ) -> Result<T> {
        let now = self.now();
        let tx = self.write()?;
        let (value, subject) = body(&tx, now)?;
        let subject = subject.to_string();
        audit(&tx, now, self.source, self.volunteer_id, action, &subject)?;
        tx.commit()?;
        if let Some(change) = change {
            self.emit(change(self.source));
        }
        Ok(value)
    }

    fn emit(&self, change: Change) {
        if let Some(listener) = &self.listener {
            listener(&change);
        }
    }

    /// Walks the audit log's hash chain (see [`crate::audit`]); administrators only.
    pub fn verify_audit(&self) -> Result<crate::audit::AuditCheck> {
        self.require_admin("read the audit log", "查看审计记录")?;
        Ok(crate::audit::verify(&self.conn)?)
    }

    /// Read access for callers that need a consistent query (tests, export).
    pub fn connection(&self) -> &Connection {
        &self.conn
    }
}

/// The station id, if the station has been created with its signing key.
fn read_identity(conn: &Connection) -> Result<Option<String>> {
    let station_id = settings::read(conn, settings::key::STATION_ID)?;
    match (station_id, keys::active_key(conn)?) {
        (Some(id), Some(_)) => Ok(Some(id)),
        _ => Ok(None),
    }
}

/// A stored key that is not 32 bytes is damaged: refuse rather than sign with a new key the
/// hub has never seen.
fn key_from(secret: &[u8]) -> Result<StationKey> {
    let bytes = <[u8; 32]>::try_from(secret).map_err(|_| crate::Error::DamagedKey)?;
    Ok(StationKey::from_secret_bytes(&bytes))
}

fn read_demo(conn: &Connection) -> Result<bool> {
    Ok(settings::read(conn, settings::key::DEMO)?.as_deref() == Some("1"))
}

/// Creates what is missing of the station's identity (id, signing key) under the write lock;
/// `demo` marks a station created here as a demo in the same transaction.
fn create_identity(conn: &Connection, now: i64, demo: bool) -> Result<String> {
    let tx = store::immediate(conn)?;
    let station_id = match settings::read(&tx, settings::key::STATION_ID)? {
        Some(id) => id,
        None => {
            let id = ids::new_station_id()?;
            settings::write(&tx, settings::key::STATION_ID, &id)?;
            if demo {
                settings::write(&tx, settings::key::DEMO, "1")?;
            }
            id
        }
    };
    if keys::active_key(&tx)?.is_none() {
        keys::insert_key(&tx, &StationKey::generate()?, "active", &station_id, now)?;
    }
    tx.commit()?;
    Ok(station_id)
}

pub(crate) fn audit(
    conn: &Connection,
    at: i64,
    source: WriteSource,
    volunteer_id: i64,
    action: &str,
    subject: &str,
) -> rusqlite::Result<()> {
    crate::audit::append(
        conn,
        at,
        source.as_str(),
        Some(volunteer_id),
        action,
        subject,
    )
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
