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
//!
//! Encrypting a plaintext station then overwrites the old plaintext file with zeros before
//! letting it go: unlinked but not overwritten, its pages (every resident's ID number) would
//! stay readable on the disk, and in any hard link to it. (On SSDs and copy-on-write file
//! systems the device may still keep old blocks; docs/security.md says so.)

use super::cipher::{file_kind, DatabaseKey, FileKind, Passphrase};
use super::connection::{open_file, schema_version, unlock, BUSY_TIMEOUT, SCHEMA_VERSION};
use super::error::StoreError;
use super::leftovers::{self, sibling};
use rusqlite::{params, Connection, OpenFlags};
use std::path::{Path, PathBuf};

/// Rewrites the station file at `path` encrypted with `to`: from plaintext (`from` = `None`)
/// or from the key `from` (a change of passphrase).
pub fn rewrite(
    path: &Path,
    from: Option<&DatabaseKey>,
    to: &DatabaseKey,
) -> Result<(), StoreError> {
    rewrite_stamped(path, from, to, |_| Ok(()))
}

/// [`rewrite`], running `stamp` on the new copy (opened with `to`) before it replaces the
/// station: whatever `stamp` writes is in the new file exactly when the new file is in place.
pub fn rewrite_stamped(
    path: &Path,
    from: Option<&DatabaseKey>,
    to: &DatabaseKey,
    stamp: impl FnOnce(&Connection) -> Result<(), StoreError>,
) -> Result<(), StoreError> {
    let source = raw_connection(path)?;
    if let Some(key) = from {
        unlock(&source, path, key)?;
    }
    take_exclusive(&source)?;
    let copy = sibling(path, "rekey");
    export(&source, &copy, to)?;
    let checked = stamp_copy(&copy, to, stamp).and_then(|()| check_copy(&copy, to, false));
    if let Err(e) = checked {
        let _ = std::fs::remove_file(&copy);
        return Err(e);
    }
    // A handle on the plaintext file's inode, to overwrite it once it is no longer the station.
    let plaintext = match from {
        None => Some(
            std::fs::OpenOptions::new()
                .write(true)
                .open(path)
                .map_err(file_error(path))?,
        ),
        Some(_) => None,
    };
    replace(&copy, path)?;
    drop(source);
    if let Some(old) = plaintext {
        wipe(old).map_err(file_error(path))?;
    }
    remove_stale_sidecars(path);
    Ok(())
}

/// Overwrites a file's contents with zeros and flushes them to the disk.
fn wipe(mut file: std::fs::File) -> std::io::Result<()> {
    use std::io::{Seek as _, Write as _};
    let len = file.metadata()?.len();
    file.seek(std::io::SeekFrom::Start(0))?;
    let zeros = vec![0u8; 64 * 1024];
    let mut left = len;
    while left > 0 {
        let n = left.min(zeros.len() as u64) as usize;
        file.write_all(&zeros[..n])?;
        left -= n as u64;
    }
    file.sync_all()
}

/// Opens the fresh copy with its key and lets `stamp` write into it.
fn stamp_copy(
    copy: &Path,
    key: &DatabaseKey,
    stamp: impl FnOnce(&Connection) -> Result<(), StoreError>,
) -> Result<(), StoreError> {
    let conn = raw_connection(copy)?;
    unlock(&conn, copy, key)?;
    stamp(&conn)?;
    drop(conn);
    // A stamp's transaction left a rollback journal only if it failed to commit; the copy is
    // in DELETE mode, so a committed write is in the file itself.
    std::fs::File::open(copy)
        .and_then(|f| f.sync_all())
        .map_err(file_error(copy))
}

/// Changes the passphrase: the file is rewritten under a key derived from `new` with a fresh
/// salt, `stamp` writing into the new file (an audit row); copies kept beside it under the
/// old key (before a restore) are re-keyed too, and unfinished copies removed
/// (`store/leftovers.rs`). Returns the new key (for connections opened afterwards).
pub fn change_passphrase(
    path: &Path,
    current: &DatabaseKey,
    new: &Passphrase,
    context: &[&str],
    stamp: impl FnOnce(&Connection) -> Result<(), StoreError>,
) -> Result<DatabaseKey, StoreError> {
    new.check_new(context)?;
    let to = DatabaseKey::fresh(new)?;
    rewrite_stamped(path, Some(current), &to, stamp)?;
    rekey_kept(path, current, &to);
    Ok(to)
}

/// Rewrites the station at `path` with the current key-derivation cost when `key` (which
/// opens it) was derived with less, at its next open ([`KdfParams`](super::KdfParams)). Returns the new
/// key, or `None` when nothing was due or another program has the file open (next time).
pub fn upgrade_key(
    path: &Path,
    key: &DatabaseKey,
    passphrase: &Passphrase,
) -> Result<Option<DatabaseKey>, StoreError> {
    if !key.needs_upgrade() || file_kind(path)? != FileKind::Encrypted(key.salt()) {
        return Ok(None);
    }
    let to = DatabaseKey::fresh(passphrase)?;
    match rewrite(path, Some(key), &to) {
        Ok(()) => {
            rekey_kept(path, key, &to);
            Ok(Some(to))
        }
        Err(StoreError::InUse) => Ok(None),
        Err(e) => Err(e),
    }
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
/// checking it; `stamp` writes into the copy before it replaces the station (the restore's
/// audit row). The replaced file is kept beside it as `<name>.before-restore-<unix time>`
/// and its path returned; `current` is the key of the station being replaced, when one exists.
pub fn restore(
    station: &Path,
    current: Option<&DatabaseKey>,
    backup_file: &Path,
    key: &DatabaseKey,
    now: i64,
    stamp: impl FnOnce(&Connection) -> Result<(), StoreError>,
) -> Result<Option<PathBuf>, StoreError> {
    check_copy(backup_file, key, true)?;
    let copy = sibling(station, "restore");
    let _ = std::fs::remove_file(&copy);
    std::fs::copy(backup_file, &copy).map_err(file_error(&copy))?;
    crate::files::set_private_mode(&copy).map_err(file_error(&copy))?;
    let stamped = stamp_copy(&copy, key, stamp).and_then(|()| check_copy(&copy, key, true));
    if let Err(e) = stamped {
        let _ = std::fs::remove_file(&copy);
        return Err(e);
    }
    let mut kept = None;
    let mut holder = None;
    if let Some(current) = current {
        let conn = raw_connection(station)?;
        unlock(&conn, station, current)?;
        take_exclusive(&conn)?;
        let aside = leftovers::before_restore_name(station, now);
        std::fs::hard_link(station, &aside).map_err(file_error(&aside))?;
        kept = Some(aside);
        holder = Some(conn);
    }
    replace(&copy, station)?;
    drop(holder);
    remove_stale_sidecars(station);
    Ok(kept)
}

pub(super) fn raw_connection(path: &Path) -> Result<Connection, StoreError> {
    let conn = open_file(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
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
pub(super) fn check_copy(
    path: &Path,
    key: &DatabaseKey,
    is_backup: bool,
) -> Result<(), StoreError> {
    let bad = |reason: String| StoreError::BadBackup { reason };
    let conn = open_file(
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

/// After the station moved from key `old` to key `new`: kept copies under `old` are rewritten
/// under `new`; any other kept copy, and every unfinished copy, is removed. Best effort: a copy
/// that cannot be re-keyed is removed rather than left under the old key.
fn rekey_kept(station: &Path, old: &DatabaseKey, new: &DatabaseKey) {
    leftovers::remove_all(leftovers::unfinished(station));
    for copy in leftovers::kept_copies(station) {
        let rekeyed = file_kind(&copy).ok() == Some(FileKind::Encrypted(old.salt()))
            && rewrite(&copy, Some(old), new).is_ok();
        if !rekeyed {
            leftovers::remove_all(crate::files::database_files(&copy));
        }
    }
}
