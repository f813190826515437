//! The administrator's operations on the whole station file: changing the passphrase and
//! restoring a backup.
//!
//! Both replace the file (see [`crate::store`]'s copies), so both are for administrators only
//! and both are audited — inside the new file itself, written before it replaces the old one,
//! so the row is there exactly when the change is. A restore records what it replaced (the
//! station and the head of its audit log) in the restored log; the restored log is shorter
//! than the one the hub last anchored, so the next sync's anchor shows the district the
//! rollback. A backup of another station (or of the demo) is refused unless the
//! administrator insists: it would replace this station's identity, key and roster.

use super::{Station, WriteSource};
use crate::error::Result;
use crate::store::{self, DatabaseKey, FileKind, Passphrase};
use crate::Clock;
use rusqlite::{Connection, OpenFlags, OptionalExtension};
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Who a station file says it is, read without changing it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileIdentity {
    pub station_id: String,
    pub station_name: String,
    pub demo: bool,
    /// The newest audit row and its hash (`0` for a file without an audit log).
    pub audit_rows: i64,
    pub audit_head: String,
}

impl std::fmt::Display for FileIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let demo = if self.demo { ", 演示 / demo" } else { "" };
        if self.station_name.is_empty() {
            write!(f, "{}{demo}", self.station_id)
        } else {
            write!(f, "{} “{}”{demo}", self.station_id, self.station_name)
        }
    }
}

/// What a change of passphrase leaves for the administrator to know.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PassphraseChanged {
    /// Backups this station wrote (as the audit log records them): each still opens with the
    /// passphrase it was made with.
    pub backups: Vec<String>,
}

impl Station {
    /// Re-encrypts the station under `new` (administrators). The station is closed for it (the
    /// file is replaced); open it again with the returned key.
    pub fn change_passphrase(self, new: &Passphrase) -> Result<(DatabaseKey, PassphraseChanged)> {
        self.require_admin("change the station passphrase", "更改站点口令")?;
        let (id, name) = (self.station_id.clone(), self.station_name()?);
        let context = [id.as_str(), name.as_str()];
        let backups = backups_written(&self.conn)?;
        let (path, key, now) = (self.path.clone(), self.database_key.clone(), self.now());
        let (source, volunteer_id) = (self.source, self.volunteer_id);
        drop(self);
        // Not write_audited: the row goes into the re-encrypted copy, through its own connection.
        let new_key = store::change_passphrase(&path, &key, new, &context, |conn| {
            crate::audit::append(
                conn,
                now,
                source.as_str(),
                Some(volunteer_id),
                "passphrase_changed",
                "",
            )?;
            Ok(())
        })?;
        Ok((new_key, PassphraseChanged { backups }))
    }
}

/// The paths of the backups the audit log says this station wrote, newest first.
fn backups_written(conn: &Connection) -> Result<Vec<String>> {
    let mut stmt = conn.prepare(
        "SELECT subject FROM audit_log b
         WHERE action = 'backup' AND subject != ''
           AND NOT EXISTS (SELECT 1 FROM audit_log f WHERE f.action = 'backup.failed'
                                                       AND f.subject = b.subject AND f.id > b.id)
         GROUP BY subject ORDER BY max(id) DESC",
    )?;
    let paths = stmt
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(paths)
}

/// A restore of the station at `station` from `backup`.
pub struct RestoreRequest<'a> {
    pub station: &'a Path,
    pub backup: &'a Path,
    /// The passphrase both files open with.
    pub passphrase: &'a Passphrase,
    /// The administrator doing it (account, PIN); `None` when the passphrase holder acts
    /// (the command line without `--as`).
    pub account: Option<(&'a str, &'a str)>,
    /// Replace the station even with another station's (or the demo's) backup.
    pub force_other_station: bool,
    pub clock: Arc<dyn Clock>,
    pub source: WriteSource,
}

/// What a restore did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Restored {
    /// The station that was replaced, if there was one.
    pub replaced: Option<FileIdentity>,
    /// The station restored.
    pub restored: FileIdentity,
    /// Where the replaced file is kept (`<name>.before-restore-<time>`).
    pub kept: Option<PathBuf>,
}

/// Replaces the station with a checked backup (administrators), recording in the restored
/// audit log what it replaced. Needs the app and other `nac` commands closed.
pub fn restore(request: RestoreRequest<'_>) -> Result<Restored> {
    let backup_key = DatabaseKey::for_file(request.backup, request.passphrase)?;
    let backup = read_identity(request.backup, &backup_key)?;
    let (current_key, replaced) = match store::file_kind(request.station)? {
        FileKind::Missing => (None, None),
        kind => {
            let key = match kind {
                FileKind::Encrypted(salt) if salt == backup_key.salt() => backup_key.clone(),
                _ => DatabaseKey::for_file(request.station, request.passphrase)?,
            };
            let mut station =
                Station::open(request.station, &key, request.clock.clone(), request.source)?;
            if let Some((account, pin)) = request.account {
                station.sign_in(account, pin)?;
            }
            station.require_admin("restore a backup", "恢复备份")?;
            let identity = read_identity_from(&station.conn)?;
            drop(station);
            (Some(key), Some(identity))
        }
    };
    if let Some(current) = &replaced {
        let other = current.station_id != backup.station_id || current.demo != backup.demo;
        if other && !request.force_other_station {
            return Err(crate::Error::OtherStation {
                current: current.to_string(),
                backup: backup.to_string(),
            });
        }
    }
    let now = request.clock.now().timestamp();
    let actor = request.account.map(|(a, _)| a).unwrap_or("passphrase");
    let subject = restore_subject(request.backup, &backup, replaced.as_ref(), actor);
    let source = request.source;
    // Not write_audited: the row goes into the restored file, through its own connection.
    let kept = store::restore(
        request.station,
        current_key.as_ref(),
        request.backup,
        &backup_key,
        now,
        |conn| {
            store::migrate(conn)?;
            crate::audit::append(conn, now, source.as_str(), None, "restore", &subject)?;
            Ok(())
        },
    )?;
    Ok(Restored {
        replaced,
        restored: backup,
        kept,
    })
}

/// The restore's audit row: the backup file, what it replaced, and who did it.
fn restore_subject(
    file: &Path,
    backup: &FileIdentity,
    replaced: Option<&FileIdentity>,
    actor: &str,
) -> String {
    let file = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut subject = format!("from {file} (audit row {}) by {actor}", backup.audit_rows);
    if let Some(r) = replaced {
        subject.push_str(&format!(
            "; replaced {} at audit row {} {}",
            r.station_id, r.audit_rows, r.audit_head
        ));
    }
    subject
}

/// Reads a station file's identity read-only (it may be of an older schema).
fn read_identity(path: &Path, key: &DatabaseKey) -> Result<FileIdentity> {
    let conn = crate::store::open_file(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    store::unlock(&conn, path, key)?;
    read_identity_from(&conn)
}

fn read_identity_from(conn: &Connection) -> Result<FileIdentity> {
    let setting = |key: &str| -> rusqlite::Result<Option<String>> {
        conn.query_row("SELECT value FROM settings WHERE key = ?1", [key], |r| {
            r.get(0)
        })
        .optional()
    };
    let has_audit: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE name = 'audit_log')",
        [],
        |r| r.get(0),
    )?;
    let (audit_rows, audit_head) = if has_audit {
        crate::audit::head(conn)?
    } else {
        (0, String::new())
    };
    Ok(FileIdentity {
        station_id: setting(super::settings::key::STATION_ID)?.unwrap_or_default(),
        station_name: setting(super::settings::key::STATION_NAME)?.unwrap_or_default(),
        demo: setting(super::settings::key::DEMO)?.is_some_and(|v| v == "1"),
        audit_rows,
        audit_head,
    })
}
