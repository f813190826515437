//! Files the station writes for people: exports and PDFs a volunteer names, and the private
//! files of the station itself.
//!
//! A volunteer types an export path; a typo must not cost the station. So a file written on
//! request ([`write_atomically`]):
//!
//! - must end in an extension the format allows (`.csv`, `.xlsx`, …), so the wrong kind of
//!   file cannot replace something else by accident;
//! - is never one of the station's own files (the database, its `-wal`/`-shm`/`-journal`, the
//!   preferences), however the path is spelled (`..`, symlinked directories, hard links);
//! - is never written through a symlink (a link planted where the export goes would otherwise
//!   redirect the residents' data anywhere the volunteer can write);
//! - appears whole or not at all: it is written into a fresh private (`0700`) directory next
//!   to the target and renamed into place, so a crash or a full disk leaves the old file (or
//!   nothing), never half a roster. The file itself is `0600`: it holds personal data.
//!
//! The station's own files are private too: [`create_private_dir`] and [`set_private_mode`].

use crate::error::ErrorCode;
use std::path::{Path, PathBuf};

/// Why a file was not written.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error(
        "文件名应以{}结尾 / the file name must end in {}",
        list_zh(.allowed), list_en(.allowed)
    )]
    Extension { allowed: Vec<String> },
    #[error(
        "{} 是站点自己的数据文件，不能被覆盖 / {} is one of the station's own data files and cannot be overwritten",
        .path.display(), .path.display()
    )]
    StationFile { path: PathBuf },
    #[error(
        "{} 是符号链接，为安全起见不写入 / {} is a symbolic link; for safety nothing is written through it",
        .path.display(), .path.display()
    )]
    Symlink { path: PathBuf },
    #[error(
        "{} 是文件夹，请给出文件名 / {} is a folder; give a file name",
        .path.display(), .path.display()
    )]
    Directory { path: PathBuf },
    #[error("文件读写失败 / file error: {0}")]
    Io(#[from] std::io::Error),
}

impl FileError {
    /// A stable code for callers that branch on the kind.
    pub fn code(&self) -> ErrorCode {
        match self {
            FileError::Extension { .. } => ErrorCode::FileExtension,
            FileError::StationFile { .. } => ErrorCode::StationFile,
            FileError::Symlink { .. } => ErrorCode::Symlink,
            FileError::Directory { .. } => ErrorCode::IsDirectory,
            FileError::Io(_) => ErrorCode::Io,
        }
    }
}

fn list_zh(allowed: &[String]) -> String {
    allowed
        .iter()
        .map(|e| format!(".{e}"))
        .collect::<Vec<_>>()
        .join("或")
}

fn list_en(allowed: &[String]) -> String {
    allowed
        .iter()
        .map(|e| format!(".{e}"))
        .collect::<Vec<_>>()
        .join(" or ")
}

/// The database file and the files SQLite keeps next to it.
pub fn database_files(db: &Path) -> Vec<PathBuf> {
    let mut files = vec![db.to_path_buf()];
    for suffix in ["-wal", "-shm", "-journal"] {
        let mut name = db.as_os_str().to_os_string();
        name.push(suffix);
        files.push(PathBuf::from(name));
    }
    files
}

/// The UI preferences next to the database (`station.db` → `station.prefs.json`).
pub fn prefs_file(db: &Path) -> PathBuf {
    let stem = db
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "station".into());
    db.with_file_name(format!("{stem}.prefs.json"))
}

/// The desktop app's count of wrong passphrases next to the database (`station.db` →
/// `station.unlock-attempts.json`): outside the encrypted file, which cannot be read before
/// the passphrase is right, so the wait between guesses survives a restart.
pub fn unlock_attempts_file(db: &Path) -> PathBuf {
    let stem = db
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "station".into());
    db.with_file_name(format!("{stem}.unlock-attempts.json"))
}

/// Every file that belongs to the station at `db`: never a target for an export.
pub fn station_files(db: &Path) -> Vec<PathBuf> {
    let mut files = database_files(db);
    files.push(prefs_file(db));
    files.push(unlock_attempts_file(db));
    files
}

/// The file system's clock: what stamps files' modification times, so what a file's age is
/// measured against when no rule depends on it (a stale preview). Everything a rule decides
/// reads the injected [`crate::time::Clock`] instead.
#[allow(
    clippy::disallowed_methods,
    reason = "file ages are measured by the clock that stamped them"
)]
pub fn file_system_now() -> std::time::SystemTime {
    std::time::SystemTime::now()
}

/// Removes the plain files directly in `dir` last modified more than `max_age` before `now`
/// (never through a link, never a directory); returns how many. A file that cannot be removed
/// is left for next time. For the station's own short-lived files: PDF previews, and printed
/// PDFs once the station's retention has passed.
pub fn remove_older_than(
    dir: &Path,
    max_age: std::time::Duration,
    now: std::time::SystemTime,
) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    let mut removed = 0;
    for entry in entries.flatten() {
        // `DirEntry::metadata` does not follow a symlink: a link is not a plain file here.
        let old = entry
            .metadata()
            .ok()
            .filter(std::fs::Metadata::is_file)
            .and_then(|m| m.modified().ok())
            .and_then(|modified| now.duration_since(modified).ok())
            .is_some_and(|age| age > max_age);
        if old && std::fs::remove_file(entry.path()).is_ok() {
            removed += 1;
        }
    }
    removed
}

/// Creates `dir` and its missing parents with mode `0700` (owner only). An existing
/// directory is left as it is: it may be a shared one such as `/tmp`.
pub fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// Sets mode `0600` (owner read/write) on a file; nothing to do off Unix.
pub fn set_private_mode(path: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

/// Sets mode `0700` on a directory the station owns; nothing to do off Unix.
pub fn set_private_dir_mode(path: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o700))?;
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

/// Checks that `target` may be written (see the module docs) without writing anything.
pub fn check_target(
    target: &Path,
    allowed_extensions: &[&str],
    station_files: &[PathBuf],
) -> Result<(), FileError> {
    let extension = target
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    if !extension.is_some_and(|e| allowed_extensions.contains(&e.as_str())) {
        return Err(FileError::Extension {
            allowed: allowed_extensions.iter().map(|e| e.to_string()).collect(),
        });
    }
    match std::fs::symlink_metadata(target) {
        Ok(meta) if meta.file_type().is_symlink() => {
            return Err(FileError::Symlink {
                path: target.to_path_buf(),
            })
        }
        Ok(meta) if meta.is_dir() => {
            return Err(FileError::Directory {
                path: target.to_path_buf(),
            })
        }
        Ok(meta) => {
            if station_files
                .iter()
                .any(|f| std::fs::metadata(f).is_ok_and(|m| same_file(&m, &meta)))
            {
                return Err(FileError::StationFile {
                    path: target.to_path_buf(),
                });
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e.into()),
    }
    // Files that do not exist yet (a `-wal` the next open creates) are compared by their
    // resolved location.
    let resolved = resolve(target);
    if station_files.iter().any(|f| resolve(f) == resolved) {
        return Err(FileError::StationFile {
            path: target.to_path_buf(),
        });
    }
    Ok(())
}

/// Writes `target` whole or not at all: `write` fills a file at the path it is given (in a
/// fresh `0700` directory next to `target`), which then replaces `target` in one rename.
/// Refuses, writing nothing, a target with another extension than `allowed_extensions`
/// (lower case, no dot), a symlink, a directory, or one of `station_files`.
pub fn write_atomically<E>(
    target: &Path,
    allowed_extensions: &[&str],
    station_files: &[PathBuf],
    write: impl FnOnce(&Path) -> Result<(), E>,
) -> Result<(), E>
where
    E: From<FileError>,
{
    check_target(target, allowed_extensions, station_files)?;
    let dir = match target.parent().filter(|d| !d.as_os_str().is_empty()) {
        Some(dir) => dir.to_path_buf(),
        None => PathBuf::from("."),
    };
    let name = target.file_name().ok_or_else(|| FileError::Directory {
        path: target.to_path_buf(),
    })?;
    let staging = Staging::create(&dir).map_err(FileError::from)?;
    let temp = staging.dir.join(name);
    write(&temp)?;
    finish(&temp, target).map_err(FileError::from)?;
    Ok(())
}

/// Makes the written file private and durable, then renames it over the target.
fn finish(temp: &Path, target: &Path) -> std::io::Result<()> {
    set_private_mode(temp)?;
    std::fs::File::open(temp)?.sync_all()?;
    std::fs::rename(temp, target)?;
    // Make the rename itself durable (best effort: not every platform can sync a directory).
    if let Some(dir) = target.parent().filter(|d| !d.as_os_str().is_empty()) {
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
    }
    Ok(())
}

/// A private directory for one write, removed with whatever is left in it.
struct Staging {
    dir: PathBuf,
}

impl Staging {
    fn create(parent: &Path) -> std::io::Result<Staging> {
        for _ in 0..16 {
            let id = crate::ids::random_hex(16).map_err(std::io::Error::other)?;
            let dir = parent.join(format!(".nac-write-{id}"));
            let mut builder = std::fs::DirBuilder::new();
            #[cfg(unix)]
            std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
            match builder.create(&dir) {
                Ok(()) => return Ok(Staging { dir }),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(e),
            }
        }
        Err(std::io::Error::new(
            std::io::ErrorKind::AlreadyExists,
            "no free temporary name",
        ))
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        // Nothing useful to do if this fails; the directory is private and named as ours.
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// `path` with its directory resolved (symlinks, `..`) when that directory exists.
fn resolve(path: &Path) -> PathBuf {
    if let Ok(p) = std::fs::canonicalize(path) {
        return p;
    }
    match (path.parent(), path.file_name()) {
        (Some(parent), Some(name)) => {
            let parent = if parent.as_os_str().is_empty() {
                Path::new(".")
            } else {
                parent
            };
            std::fs::canonicalize(parent)
                .map(|p| p.join(name))
                .unwrap_or_else(|_| path.to_path_buf())
        }
        _ => path.to_path_buf(),
    }
}

#[cfg(unix)]
fn same_file(a: &std::fs::Metadata, b: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::MetadataExt as _;
    a.dev() == b.dev() && a.ino() == b.ino()
}

#[cfg(not(unix))]
fn same_file(_: &std::fs::Metadata, _: &std::fs::Metadata) -> bool {
    false
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn write_text(text: &'static str) -> impl FnOnce(&Path) -> Result<(), FileError> {
        move |p| Ok(std::fs::write(p, text)?)
    }

    #[test]
    fn writes_by_rename_and_leaves_no_temporary_files() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out.csv");
        std::fs::write(&target, "old").unwrap();
        write_atomically(&target, &["csv"], &[], write_text("new")).unwrap();
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "new");
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("out.csv")]);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&target).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn a_failed_write_keeps_the_old_file() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out.csv");
        std::fs::write(&target, "old").unwrap();
        let result = write_atomically(&target, &["csv"], &[], |p| {
            std::fs::write(p, "half")?;
            Err(FileError::Io(std::io::Error::other("disk full")))
        });
        assert!(result.is_err());
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "old");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn refuses_the_wrong_extension() {
        let dir = tempfile::tempdir().unwrap();
        let err = write_atomically(&dir.path().join("out.db"), &["csv", "xlsx"], &[], |_| {
            Ok::<(), FileError>(())
        })
        .unwrap_err();
        assert_eq!(err.code(), "file_extension");
        assert!(err.to_string().contains(".csv或.xlsx"), "{err}");
        assert!(err.to_string().contains(".csv or .xlsx"), "{err}");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[cfg(unix)]
    #[test]
    fn refuses_a_symlink_and_does_not_touch_what_it_points_to() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim.txt");
        std::fs::write(&victim, "keep").unwrap();
        let link = dir.path().join("out.csv");
        std::os::unix::fs::symlink(&victim, &link).unwrap();
        let err = write_atomically(&link, &["csv"], &[], write_text("x")).unwrap_err();
        assert_eq!(err.code(), "symlink");
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep");
    }

    #[test]
    fn refuses_the_station_files_however_spelled() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("station.db");
        std::fs::write(&db, "db").unwrap();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        let own = station_files(&db);
        // A database named .csv is unusual, but the WAL of any database may be targeted by
        // a typo; spelled through `..` it is the same file.
        let wal = dir.path().join("sub/../station.db-wal");
        let err = check_target(&wal, &["db-wal"], &own).unwrap_err();
        assert_eq!(err.code(), "station_file");
        let prefs = dir.path().join("sub/../station.prefs.json");
        assert_eq!(
            check_target(&prefs, &["json"], &own).unwrap_err().code(),
            "station_file"
        );
        let err = check_target(&db, &["db"], &own).unwrap_err();
        assert!(err.to_string().contains("站点自己的数据文件"), "{err}");
        assert!(
            err.to_string().contains("station's own data files"),
            "{err}"
        );
        #[cfg(unix)]
        {
            let hard = dir.path().join("copy.db");
            std::fs::hard_link(&db, &hard).unwrap();
            assert_eq!(
                check_target(&hard, &["db"], &own).unwrap_err().code(),
                "station_file"
            );
        }
        assert_eq!(std::fs::read_to_string(&db).unwrap(), "db");
        assert!(check_target(&dir.path().join("other.db"), &["db"], &own).is_ok());
    }

    #[cfg(unix)]
    #[test]
    fn only_plain_files_older_than_the_age_are_removed() {
        use std::time::Duration;
        let dir = tempfile::TempDir::new().unwrap();
        let now = super::file_system_now();
        let day = Duration::from_secs(24 * 3600);
        let aged = |name: &str, age: Duration| {
            let path = dir.path().join(name);
            std::fs::write(&path, b"pdf").unwrap();
            std::fs::File::options()
                .write(true)
                .open(&path)
                .unwrap()
                .set_modified(now - age)
                .unwrap();
            path
        };
        let old = aged("old.pdf", 8 * day);
        let recent = aged("recent.pdf", 6 * day);
        std::fs::create_dir(dir.path().join("old-dir")).unwrap();
        #[cfg(unix)]
        std::os::unix::fs::symlink(&old, dir.path().join("link.pdf")).unwrap();
        assert_eq!(remove_older_than(dir.path(), 7 * day, now), 1);
        assert!(!old.exists());
        assert!(recent.exists());
        assert!(dir.path().join("old-dir").is_dir());
        assert_eq!(remove_older_than(dir.path(), Duration::ZERO, now), 1);
        assert!(!recent.exists());
        assert_eq!(remove_older_than(&dir.path().join("missing"), day, now), 0);
    }

    #[test]
    fn private_directories_are_owner_only() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let inner = dir.path().join("a/b");
        create_private_dir(&inner).unwrap();
        for d in [dir.path().join("a"), inner] {
            let mode = std::fs::metadata(&d).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o700, "{}", d.display());
        }
    }
}
