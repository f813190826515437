//! Copies of the station file that outlive the operation that made them.
//!
//! A restore keeps the replaced file beside the station (`station.db.before-restore-<time>`)
//! so it can be undone; a killed rewrite or restore leaves its unfinished copy
//! (`station.db.rekey-tmp`, `station.db.restore-tmp`, and their journals). Each is the whole
//! station, encrypted with whatever key it was written with — after a change of passphrase,
//! a copy under the old key lets the old passphrase read every resident. So:
//!
//! * a change of passphrase (or of key-derivation cost) re-keys each kept copy that is under
//!   the old key to the new one, and removes the rest and every unfinished copy;
//! * every open sweeps them too: unfinished copies go, and a kept copy whose salt is not the
//!   station's (written under an earlier passphrase) is removed.
//!
//! Backups written with `nac backup` live wherever the administrator put them and keep the
//! passphrase they were made with; `nac passphrase` lists them from the audit log.

use super::cipher::{file_kind, DatabaseKey, FileKind};
use std::path::{Path, PathBuf};

const BEFORE_RESTORE: &str = ".before-restore-";
const UNFINISHED: [&str; 2] = ["rekey", "restore"];

/// `station.db` → `station.db.before-restore-<now>`.
pub fn before_restore_name(station: &Path, now: i64) -> PathBuf {
    let mut name = station.as_os_str().to_os_string();
    name.push(format!("{BEFORE_RESTORE}{now}"));
    PathBuf::from(name)
}

/// The replaced files kept beside `station` by restores, oldest first.
pub fn kept_copies(station: &Path) -> Vec<PathBuf> {
    let Some(name) = station
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
    else {
        return Vec::new();
    };
    let dir = match station.parent().filter(|d| !d.as_os_str().is_empty()) {
        Some(dir) => dir.to_path_buf(),
        None => PathBuf::from("."),
    };
    let prefix = format!("{name}{BEFORE_RESTORE}");
    let mut kept: Vec<(i64, PathBuf)> = std::fs::read_dir(&dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let file = entry.file_name().to_string_lossy().into_owned();
            let time = file.strip_prefix(&prefix)?.parse::<i64>().ok()?;
            Some((time, entry.path()))
        })
        .collect();
    kept.sort();
    kept.into_iter().map(|(_, path)| path).collect()
}

/// Unfinished copies of `station` and their journals (which exist only after a kill).
pub(super) fn unfinished(station: &Path) -> Vec<PathBuf> {
    UNFINISHED
        .iter()
        .flat_map(|what| crate::files::database_files(&sibling(station, what)))
        .collect()
}

pub(super) fn remove_all(files: impl IntoIterator<Item = PathBuf>) -> Vec<PathBuf> {
    files
        .into_iter()
        .filter(|file| std::fs::remove_file(file).is_ok())
        .collect()
}

/// At an open with `key`: removes unfinished copies and kept copies written under another
/// key. Returns what it removed. The caller holds a read transaction on the station, so no
/// rewrite (which needs the file to itself) is under way.
pub fn sweep(station: &Path, key: &DatabaseKey) -> Vec<PathBuf> {
    let mut removed = remove_all(unfinished(station));
    for copy in kept_copies(station) {
        if file_kind(&copy).ok() != Some(FileKind::Encrypted(key.salt())) {
            removed.extend(remove_all(crate::files::database_files(&copy)));
        }
    }
    removed
}

/// `station.db` → `station.db.<what>-tmp` in the same directory (so the rename is atomic).
pub(super) fn sibling(path: &Path, what: &str) -> PathBuf {
    let mut name = path.as_os_str().to_os_string();
    name.push(format!(".{what}-tmp"));
    PathBuf::from(name)
}
