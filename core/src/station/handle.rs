//! The open station: its connection, clock, identity and the volunteer at the keyboard, the
//! settings every screen reads, and the one audited write every change goes through. Opening
//! and creating a station (which needs its keys and the hub's secret) is in `open.rs`, so this
//! module depends on nothing of the station above it and every other part can build on it.

use super::role::Role;
use super::settings;
use crate::error::Result;
use crate::store;
use crate::time::Clock;
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
pub(super) const DEFAULT_VOLUNTEER: &str = "station";

type Listener = Box<dyn Fn(&Change) + Send>;

pub struct Station {
    pub(super) conn: Connection,
    pub(super) path: PathBuf,
    pub(super) database_key: store::DatabaseKey,
    pub(super) clock: Arc<dyn Clock>,
    pub(super) station_id: String,
    pub(super) demo: bool,
    /// Set once enrolled with a hub: the key of person keys (docs/sync.md §2).
    pub(super) district_secret: Option<nac_protocol::DistrictSecret>,
    pub(super) volunteer_id: i64,
    pub(super) volunteer: String,
    /// The volunteer's station-scoped stable id, as events carry it (never the rowid).
    pub(super) volunteer_uid: String,
    /// What the volunteer in use may do (see [`accounts`]).
    pub(super) role: Role,
    pub(super) source: WriteSource,
    pub(super) listener: Option<Listener>,
}

impl Station {
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

    /// Renames the station (administrators only: the name is printed on every card).
    pub fn set_station_name(&mut self, name: &str) -> Result<()> {
        self.require_admin("rename the station", "修改站点名称")?;
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

    pub(super) fn setting(&self, key: &str) -> Result<Option<String>> {
        Ok(settings::read(&self.conn, key)?)
    }

    pub(super) fn write_setting(&mut self, key: &str, value: &str) -> Result<()> {
        self.write_audited("settings", key, Some(Change::settings), |tx, _| {
            Ok(settings::write(tx, key, value)?)
        })
    }

    /// An IMMEDIATE transaction on the station database; rolled back if dropped uncommitted.
    pub(super) fn write(&self) -> Result<Transaction<'_>> {
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

    pub(super) fn emit(&self, change: Change) {
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
