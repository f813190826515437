//! Connections to the station file: opening one with its key, the settings every connection
//! gets, the schema migrations, and the file's private modes (see the module docs of
//! [`crate::store`] for why each).

use super::cipher::DatabaseKey;
use super::error::StoreError;
use super::upgrade_events;
use rusqlite::{Connection, OpenFlags, TransactionBehavior};
use std::path::Path;
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
        7 => upgrade_events::upgrade_unsent_events(tx),
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
pub(super) fn sqlcipher_ready() {
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
pub(super) fn create_private(path: &Path) -> Result<(), StoreError> {
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
pub(super) fn restrict_modes(path: &Path) -> Result<(), StoreError> {
    for file in crate::files::database_files(path) {
        match crate::files::set_private_mode(&file) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            other => other.map_err(file_error(&file))?,
        }
    }
    Ok(())
}
