//! The station's SQLite file: connection settings, file permissions and schema migrations.
//!
//! Every connection gets WAL (readers never block the volunteer's write), `foreign_keys=ON`,
//! a `busy_timeout` (the desktop app and the `nac` CLI may touch the file at once) and
//! `synchronous=FULL`, so a renewal reported as done survives a power cut. Migrations are
//! append-only and numbered by `PRAGMA user_version`; a binary refuses a database written by a
//! newer one instead of guessing at a schema it does not know.
//!
//! Opening a database whose schema is current only reads: a read-only `nac list` or `nac
//! verify` must work while the desktop app holds the write lock for an import, so the schema
//! check is a plain read and the write lock is taken (in an IMMEDIATE transaction, waiting up
//! to the busy timeout) only when a migration is actually due.
//!
//! The file is encrypted (SQLCipher, see [`cipher`]); a plain SQLite file written by an older
//! version is encrypted in place at its first open ([`rewrite`]). It holds residents' ID
//! numbers and phones, so it is private to its owner as well: a missing
//! data directory is created `0700`, the database is created `0600` (SQLite gives its `-wal`
//! and `-shm` files the database's mode), and the modes of an existing database and its
//! `-wal`/`-shm` are set to `0600` at every open, so files made by older versions are fixed too.

mod cipher;
mod copies;
mod leftovers;

pub use cipher::{
    file_kind, DatabaseKey, FileKind, KdfParams, Passphrase, WeakReason, DEMO_PASSPHRASE,
    KDF_LANES, KDF_MEMORY_KIB, KDF_PASSES, MIN_PASSPHRASE_CHARS,
};
pub use copies::{backup, change_passphrase, restore, rewrite, rewrite_stamped, upgrade_key};
pub use leftovers::kept_copies;

use rusqlite::{Connection, OpenFlags, TransactionBehavior};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Migrations in order; the schema version of a database is the number applied.
const MIGRATIONS: &[&str] = &[
    include_str!("migrations/0001_init.sql"),
    include_str!("migrations/0002_demo_and_print_state.sql"),
    include_str!("migrations/0003_sync.sql"),
    include_str!("migrations/0004_audit_chain.sql"),
    include_str!("migrations/0005_accounts.sql"),
    include_str!("migrations/0006_key_rotation.sql"),
    include_str!("migrations/0007_district_trust.sql"),
    include_str!("migrations/0008_audit_chain_v2.sql"),
];

/// Work a migration needs beyond SQL, run in its transaction after its SQL (by version).
fn rust_step(version: u32, tx: &Connection) -> Result<(), rusqlite::Error> {
    match version {
        4 => crate::audit::chain_legacy_rows(tx),
        7 => crate::station::outbox::upgrade_unsent_events(tx),
        8 => crate::audit::rechain(tx),
        _ => Ok(()),
    }
}

/// A migration containing this marker rebuilds a table other tables reference: it runs with
/// foreign keys off (SQLite's documented procedure; the pragma cannot change inside a
/// transaction) and commits only if `PRAGMA foreign_key_check` then finds no broken reference.
const FOREIGN_KEYS_OFF: &str = "-- nac:foreign-keys-off";

/// The schema version this binary writes.
pub const SCHEMA_VERSION: u32 = MIGRATIONS.len() as u32;

/// The page cache of each connection, in KiB as `PRAGMA cache_size` takes it (negative).
const PAGE_CACHE_KIB: i64 = -65_536;

/// How long a connection waits for another one's write lock before giving up.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "数据库版本{found}比本程序支持的版本{supported}新，请升级NAC Station / \
         the database has schema version {found}, newer than this program supports \
         ({supported}); please upgrade NAC Station"
    )]
    SchemaTooNew { found: u32, supported: u32 },
    #[error(
        "数据库升级到版本{version}时发现{broken}处失效引用，未作任何更改 / upgrading the \
         database to schema version {version} found {broken} broken references; nothing was \
         changed"
    )]
    BrokenReferences { version: u32, broken: i64 },
    #[error("无法打开数据库 / cannot open the database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error(
        "口令不正确，或{}不是本站的数据文件；文件未作任何更改 / wrong passphrase, or {} is \
         not a station data file; the file was not changed",
        .path.display(), .path.display()
    )]
    WrongPassphrase { path: PathBuf },
    #[error(
        "{} 不是站点数据文件 / {} is not a station data file",
        .path.display(), .path.display()
    )]
    NotAStationFile { path: PathBuf },
    #[error("口令太弱 / the passphrase is too weak: {}", .reason.text())]
    WeakPassphrase { reason: cipher::WeakReason },
    #[error("无法由口令生成密钥 / could not derive the key from the passphrase")]
    KeyDerivation,
    #[error(
        "数据文件正被其他程序使用，请先关闭NAC Station应用和其他nac命令 / the data file is in \
         use; close the NAC Station app and other nac commands first"
    )]
    InUse,
    #[error("备份文件检查未通过，未作任何更改 / the backup failed its check; nothing was changed: {reason}")]
    BadBackup { reason: String },
    #[error("无法创建或保护数据文件{} / cannot create or protect the data file {}: {source}", .path.display(), .path.display())]
    File {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Opens (creating if needed) the station database at `path` with `key`, encrypting a
/// plaintext file first, and brings its schema up to date. A key that does not open the file
/// is [`StoreError::WrongPassphrase`] and the file is left exactly as it was.
pub fn open(path: &Path, key: &DatabaseKey) -> Result<Connection, StoreError> {
    create_private(path)?;
    if file_kind(path)? == FileKind::Plaintext {
        rewrite(path, None, key)?;
    }
    let conn = connect(path, key)?;
    migrate(&conn)?;
    restrict_modes(path)?;
    // Under a read transaction no other program can be rewriting the file meanwhile.
    conn.execute_batch("BEGIN DEFERRED; SELECT count(*) FROM sqlite_master;")?;
    leftovers::sweep(path, key);
    conn.execute_batch("COMMIT")?;
    Ok(conn)
}

/// Opens `path` once SQLCipher is ready (see [`sqlcipher_ready`]): every station connection
/// is opened here.
pub(crate) fn open_file(path: &Path, flags: OpenFlags) -> rusqlite::Result<Connection> {
    sqlcipher_ready();
    Connection::open_with_flags(path, flags)
}

/// Waits, once per process, until SQLCipher's functions (`sqlcipher_export`, the codec) are
/// registered for new connections.
///
/// Why: SQLite runs SQLCipher's set-up (`SQLITE_EXTRA_INIT`, which registers them as an
/// auto-extension) at the end of the first `sqlite3_initialize`, after it has marked itself
/// initialised and released its lock. A connection another thread opens in that moment is
/// set up without them, and a backup through it fails with "no such function:
/// sqlcipher_export" (seen in parallel tests, twice). Opening a scratch connection until it
/// has the function closes the window for every connection opened after.
fn sqlcipher_ready() {
    static READY: std::sync::Once = std::sync::Once::new();
    READY.call_once(|| {
        for _ in 0..1000 {
            let registered = Connection::open_in_memory().and_then(|c| {
                c.query_row(
                    "SELECT count(*) FROM pragma_function_list WHERE name = 'sqlcipher_export'",
                    [],
                    |r| r.get::<_, i64>(0),
                )
            });
            if matches!(registered, Ok(n) if n > 0) {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
    });
}

/// A configured connection to an existing (or empty) station file, without migrating: for
/// tests and tools that inspect the file as it is.
pub fn connect(path: &Path, key: &DatabaseKey) -> Result<Connection, StoreError> {
    let conn = open_file(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    unlock(&conn, path, key)?;
    configure(&conn)?;
    Ok(conn)
}

/// Gives the connection its key and reads the schema once: SQLCipher only finds out whether
/// the key fits when it first decrypts a page.
pub(crate) fn unlock(conn: &Connection, path: &Path, key: &DatabaseKey) -> Result<(), StoreError> {
    // The wrong-key message is ours; SQLCipher's own logger would only add noise on stderr.
    conn.execute_batch("PRAGMA cipher_log_level = NONE")?;
    let statement = zeroize::Zeroizing::new(format!(
        "PRAGMA key = \"{}\"",
        key.sqlcipher_value().as_str()
    ));
    conn.execute_batch(&statement)?;
    match conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| {
        r.get::<_, i64>(0)
    }) {
        Ok(_) => Ok(()),
        Err(rusqlite::Error::SqliteFailure(e, _))
            if e.code == rusqlite::ErrorCode::NotADatabase =>
        {
            Err(StoreError::WrongPassphrase {
                path: path.to_path_buf(),
            })
        }
        Err(e) => Err(e.into()),
    }
}

fn configure(conn: &Connection) -> Result<(), rusqlite::Error> {
    conn.busy_timeout(BUSY_TIMEOUT)?;
    // Switching to WAL writes the file header; a database already in WAL is left alone so
    // that opening it needs no lock at all.
    let mode: String = conn.pragma_query_value(None, "journal_mode", |r| r.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        conn.pragma_update(None, "journal_mode", "WAL")?;
    }
    conn.pragma_update(None, "synchronous", "FULL")?;
    // Every page read from disk (or the OS cache) is decrypted and its HMAC checked; the
    // page cache keeps decrypted pages, so searches that touch the same index pages again do
    // not pay that twice. Allocated as used, up to this bound per connection.
    conn.pragma_update(None, "cache_size", PAGE_CACHE_KIB)?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.set_prepared_statement_cache_capacity(64);
    Ok(())
}

pub fn schema_version(conn: &Connection) -> Result<u32, rusqlite::Error> {
    conn.pragma_query_value(None, "user_version", |row| row.get(0))
}

pub(crate) fn migrate(conn: &Connection) -> Result<(), StoreError> {
    let found = schema_version(conn)?;
    if found > SCHEMA_VERSION {
        return Err(StoreError::SchemaTooNew {
            found,
            supported: SCHEMA_VERSION,
        });
    }
    if found == SCHEMA_VERSION {
        return Ok(());
    }
    for (index, sql) in MIGRATIONS.iter().enumerate().skip(found as usize) {
        let rebuilds = sql.contains(FOREIGN_KEYS_OFF);
        if rebuilds {
            conn.pragma_update(None, "foreign_keys", "OFF")?;
        }
        let applied = apply_migration(conn, index, sql, rebuilds);
        if rebuilds {
            conn.pragma_update(None, "foreign_keys", "ON")?;
        }
        applied?;
    }
    Ok(())
}

fn apply_migration(
    conn: &Connection,
    index: usize,
    sql: &str,
    check_references: bool,
) -> Result<(), StoreError> {
    let tx = immediate(conn)?;
    // Re-read inside the write lock: another process may have migrated meanwhile.
    if schema_version(&tx)? > index as u32 {
        return Ok(());
    }
    tx.execute_batch(sql)?;
    rust_step(index as u32 + 1, &tx)?;
    if check_references {
        let broken: i64 =
            tx.query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |r| {
                r.get(0)
            })?;
        if broken > 0 {
            return Err(StoreError::BrokenReferences {
                version: index as u32 + 1,
                broken,
            });
        }
    }
    tx.pragma_update(None, "user_version", index as u32 + 1)?;
    tx.commit()?;
    Ok(())
}

/// Starts an IMMEDIATE transaction (takes the write lock up front, so a busy database waits at
/// `BEGIN` under `busy_timeout` instead of failing half-way). Dropped without commit = rollback.
pub fn immediate(conn: &Connection) -> Result<rusqlite::Transaction<'_>, rusqlite::Error> {
    rusqlite::Transaction::new_unchecked(conn, TransactionBehavior::Immediate)
}

fn file_error(path: &Path) -> impl FnOnce(std::io::Error) -> StoreError + '_ {
    move |source| StoreError::File {
        path: path.to_path_buf(),
        source,
    }
}

/// Creates the data directory (`0700`) and an empty database file (`0600`) when missing, so
/// the file never exists with a wider mode, not even for a moment.
fn create_private(path: &Path) -> Result<(), StoreError> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        crate::files::create_private_dir(dir).map_err(file_error(dir))?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path).map_err(file_error(path))?;
    Ok(())
}

/// Sets `0600` on the database and on its `-wal` and `-shm` files when they exist.
fn restrict_modes(path: &Path) -> Result<(), StoreError> {
    for file in crate::files::database_files(path) {
        match crate::files::set_private_mode(&file) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            other => other.map_err(file_error(&file))?,
        }
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn once_ready_every_new_connection_has_sqlcipher_export() {
        let started = std::time::Instant::now();
        sqlcipher_ready();
        let conn = Connection::open_in_memory().unwrap();
        let n: i64 = conn
            .query_row(
                "SELECT count(*) FROM pragma_function_list WHERE name = 'sqlcipher_export'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(
            n, 1,
            "the readiness check looks for a function this build registers"
        );
        assert!(
            started.elapsed() < std::time::Duration::from_millis(500),
            "ready at once, not after the check gave up"
        );
    }

    #[test]
    fn a_current_schema_opens_while_another_connection_writes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.db");
        let key = DatabaseKey::derive(&Passphrase::new("unit test passphrase"), [7; 16]).unwrap();
        drop(open(&path, &key).unwrap());
        let writer = connect(&path, &key).unwrap();
        writer.execute_batch("BEGIN IMMEDIATE").unwrap();
        writer
            .execute("INSERT INTO settings (key, value) VALUES ('x', 'y')", [])
            .unwrap();
        let started = std::time::Instant::now();
        let conn = open(&path, &key).unwrap();
        assert_eq!(schema_version(&conn).unwrap(), SCHEMA_VERSION);
        assert!(
            started.elapsed() < BUSY_TIMEOUT / 2,
            "opening waited for the writer: {:?}",
            started.elapsed()
        );
        writer.execute_batch("ROLLBACK").unwrap();
    }
}
