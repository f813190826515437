//! Whole-file operations: encrypting a plaintext station, changing the passphrase, backups and
//! restores.
//!
//! Each writes a complete encrypted copy with SQLCipher's `sqlcipher_export` (a logical copy
//! read in one transaction: SQLite's page-level backup API cannot change the key on the way),
//! checks the copy (`integrity_check`, SQLCipher's per-page HMACs, schema version), and only
//! then moves it into place with one `rename`. Killed at any moment, the station path holds
//! either the old file whole or the new one whole — the old file is never modified, so it is
//! its own backup until the rename succeeds.
//!
//! Replacing the station file (encrypting, rekeying, restoring) needs the file to itself: a
//! program still holding the old file open would go on writing into a file no longer there.
//! Switching the journal out of WAL mode requires that no other connection has the file open,
//! so that switch is the check ([`StoreError::InUse`] otherwise), and the exclusive lock taken
//! after it keeps everyone out until the rename.

use super::{schema_version, unlock, DatabaseKey, StoreError, SCHEMA_VERSION};
use rusqlite::{params, Connection, OpenFlags};
use std::path::{Path, PathBuf};

/// Rewrites the station file at `path` encrypted with `to`: from plaintext (`from` = `None`)
/// or from the key `from` (a change of passphrase).
pub fn rewrite(
    path: &Path,
    from: Option<&DatabaseKey>,
    to: &DatabaseKey,
) -> Result<(), StoreError> {
    let source = raw_connection(path)?;
    if let Some(key) = from {
        unlock(&source, path, key)?;
    }
    take_exclusive(&source)?;
    let copy = sibling(path, "rekey");
    export(&source, &copy, to)?;
    let checked = check_copy(&copy, to, false);
    if let Err(e) = checked {
        let _ = std::fs::remove_file(&copy);
        return Err(e);
    }
    replace(&copy, path)?;
    drop(source);
    remove_stale_sidecars(path);
    Ok(())
}

/// Changes the passphrase: the file is rewritten under a key derived from `new` with a fresh
/// salt. Returns the new key (for connections opened afterwards).
pub fn change_passphrase(
    path: &Path,
    current: &DatabaseKey,
    new: &super::Passphrase,
) -> Result<DatabaseKey, StoreError> {
    new.check_new()?;
    let to = DatabaseKey::fresh(new)?;
    rewrite(path, Some(current), &to)?;
    Ok(to)
}

/// Writes an encrypted, checked copy of the open station `conn` to `out` (a new file that
/// must not exist yet), with the station's own key and salt: it opens with the station's
/// passphrase. Other connections keep reading and writing meanwhile (WAL); the copy is the
/// database as of one moment.
pub fn backup(conn: &Connection, key: &DatabaseKey, out: &Path) -> Result<(), StoreError> {
    export(conn, out, key)?;
    check_copy(out, key, true)?;
    Ok(())
}

/// Replaces the station at `station` with the backup at `backup` (encrypted with `key`) after
/// checking it. The replaced file is kept beside it as `<name>.before-restore-<unix time>`
/// and its path returned; `current` is the key of the station being replaced, when one exists.
pub fn restore(
    station: &Path,
    current: Option<&DatabaseKey>,
    backup_file: &Path,
    key: &DatabaseKey,
    now: i64,
) -> Result<Option<PathBuf>, StoreError> {
    check_copy(backup_file, key, true)?;
    let copy = sibling(station, "restore");
    let _ = std::fs::remove_file(&copy);
    std::fs::copy(backup_file, &copy).map_err(file_error(&copy))?;
    crate::files::set_private_mode(&copy).map_err(file_error(&copy))?;
    std::fs::File::open(&copy)
        .and_then(|f| f.sync_all())
        .map_err(file_error(&copy))?;
    let mut kept = None;
    let mut holder = None;
    if let Some(current) = current {
        let conn = raw_connection(station)?;
        unlock(&conn, station, current)?;
        take_exclusive(&conn)?;
        let aside = station.with_file_name(format!(
            "{}.before-restore-{now}",
            station
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default()
        ));
        std::fs::hard_link(station, &aside).map_err(file_error(&aside))?;
        kept = Some(aside);
        holder = Some(conn);
    }
    replace(&copy, station)?;
    drop(holder);
    remove_stale_sidecars(station);
    Ok(kept)
}

fn raw_connection(path: &Path) -> Result<Connection, StoreError> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(super::BUSY_TIMEOUT)?;
    Ok(conn)
}

/// Leaves WAL mode (checkpointing everything into the file) — possible only when no other
/// connection has the file open — and keeps an exclusive lock until `conn` is dropped.
fn take_exclusive(conn: &Connection) -> Result<(), StoreError> {
    let mode: String = conn
        .pragma_update_and_check(None, "journal_mode", "DELETE", |r| r.get(0))
        .map_err(|e| match e {
            rusqlite::Error::SqliteFailure(f, _)
                if matches!(
                    f.code,
                    rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked
                ) =>
            {
                StoreError::InUse
            }
            e => e.into(),
        })?;
    if !mode.eq_ignore_ascii_case("delete") {
        return Err(StoreError::InUse);
    }
    conn.pragma_update(None, "locking_mode", "EXCLUSIVE")?;
    conn.execute_batch("BEGIN EXCLUSIVE; COMMIT;")
        .map_err(|_| StoreError::InUse)?;
    Ok(())
}

/// Exports the whole database behind `conn` into the new file `out`, encrypted with `key`.
fn export(conn: &Connection, out: &Path, key: &DatabaseKey) -> Result<(), StoreError> {
    create_new_private(out)?;
    let version = schema_version(conn)?;
    let attached = conn.execute(
        "ATTACH DATABASE ?1 AS nac_copy KEY ?2",
        params![out.to_string_lossy(), key.sqlcipher_value().as_str()],
    );
    let exported = attached.map_err(StoreError::from).and_then(|_| {
        conn.query_row("SELECT sqlcipher_export('nac_copy')", [], |_| Ok(()))?;
        conn.pragma_update(Some("nac_copy"), "user_version", version)?;
        Ok(())
    });
    let detached = conn.execute_batch("DETACH DATABASE nac_copy");
    if let Err(e) = exported.and(detached.map_err(StoreError::from)) {
        let _ = std::fs::remove_file(out);
        return Err(e);
    }
    std::fs::File::open(out)
        .and_then(|f| f.sync_all())
        .map_err(file_error(out))?;
    Ok(())
}

/// Opens a copy read-only and checks it whole: it decrypts, every page's HMAC holds, the
/// b-trees are sound, the schema is one this program knows and (for a backup) the station
/// has its identity.
fn check_copy(path: &Path, key: &DatabaseKey, is_backup: bool) -> Result<(), StoreError> {
    let bad = |reason: String| StoreError::BadBackup { reason };
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    unlock(&conn, path, key)?;
    let mut hmac_failures = conn.prepare("PRAGMA cipher_integrity_check")?;
    let failures: Vec<String> = hmac_failures
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    if let Some(first) = failures.first() {
        return Err(bad(first.clone()));
    }
    let integrity: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
    if integrity != "ok" {
        return Err(bad(integrity));
    }
    let version = schema_version(&conn)?;
    if version > SCHEMA_VERSION {
        return Err(StoreError::SchemaTooNew {
            found: version,
            supported: SCHEMA_VERSION,
        });
    }
    if is_backup {
        let has_identity: bool = conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM settings WHERE key = 'station_id')",
            [],
            |r| r.get(0),
        )?;
        if !has_identity {
            return Err(bad("no station identity / 没有站点身份".into()));
        }
    }
    Ok(())
}

/// Moves `copy` over `target` in one rename and makes the rename durable.
fn replace(copy: &Path, target: &Path) -> Result<(), StoreError> {
    std::fs::rename(copy, target).map_err(file_error(target))?;
    if let Some(dir) = target.parent().filter(|d| !d.as_os_str().is_empty()) {
        // Without a directory sync the rename itself may not survive a power cut.
        if let Ok(dir) = std::fs::File::open(dir) {
            let _ = dir.sync_all();
        }
    }
    Ok(())
}

/// The old file's `-wal`/`-shm`/`-journal` belong to the replaced file; leaving WAL mode
/// removed the WAL, anything left is stale and must not be replayed into the new file.
fn remove_stale_sidecars(path: &Path) {
    for file in crate::files::database_files(path).into_iter().skip(1) {
        let _ = std::fs::remove_file(file);
    }
}

/// `station.db` → `station.db.<what>-tmp` in the same directory (so the rename is atomic).
fn sibling(path: &Path, what: &str) -> PathBuf {
    let mut name = path.as_os_str().to_os_string();
    name.push(format!(".{what}-tmp"));
    PathBuf::from(name)
}

fn create_new_private(path: &Path) -> Result<(), StoreError> {
    let _ = std::fs::remove_file(path);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path).map_err(file_error(path))?;
    Ok(())
}

fn file_error(path: &Path) -> impl FnOnce(std::io::Error) -> StoreError + '_ {
    move |source| StoreError::File {
        path: path.to_path_buf(),
        source,
    }
}
