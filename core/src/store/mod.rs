//! The station's SQLite file: connection settings and schema migrations.
//!
//! Every connection gets WAL (readers never block the volunteer's write), `foreign_keys=ON`,
//! a `busy_timeout` (the desktop app and the `nac` CLI may touch the file at once) and
//! `synchronous=FULL`, so a renewal reported as done survives a power cut. Migrations are
//! append-only and numbered by `PRAGMA user_version`; a binary refuses a database written by a
//! newer one instead of guessing at a schema it does not know.

use rusqlite::{Connection, OpenFlags, TransactionBehavior};
use std::path::Path;
use std::time::Duration;

/// Migrations in order; the schema version of a database is the number applied.
const MIGRATIONS: &[&str] = &[include_str!("migrations/0001_init.sql")];

/// The schema version this binary writes.
pub const SCHEMA_VERSION: u32 = MIGRATIONS.len() as u32;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "数据库版本{found}比本程序支持的版本{supported}新，请升级NAC Station / \
         the database has schema version {found}, newer than this program supports \
         ({supported}); please upgrade NAC Station"
    )]
    SchemaTooNew { found: u32, supported: u32 },
    #[error("无法打开数据库 / cannot open the database: {0}")]
    Sqlite(#[from] rusqlite::Error),
}

/// Opens (creating if needed) the station database at `path` and brings its schema up to date.
pub fn open(path: &Path) -> Result<Connection, StoreError> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    configure(&conn)?;
    migrate(&conn)?;
    Ok(conn)
}

fn configure(conn: &Connection) -> Result<(), rusqlite::Error> {
    conn.busy_timeout(Duration::from_secs(5))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.set_prepared_statement_cache_capacity(64);
    Ok(())
}

pub fn schema_version(conn: &Connection) -> Result<u32, rusqlite::Error> {
    conn.pragma_query_value(None, "user_version", |row| row.get(0))
}

fn migrate(conn: &Connection) -> Result<(), StoreError> {
    let found = schema_version(conn)?;
    if found > SCHEMA_VERSION {
        return Err(StoreError::SchemaTooNew {
            found,
            supported: SCHEMA_VERSION,
        });
    }
    for (index, sql) in MIGRATIONS.iter().enumerate().skip(found as usize) {
        let tx = immediate(conn)?;
        // Re-read inside the write lock: another process may have migrated meanwhile.
        if schema_version(&tx)? > index as u32 {
            continue;
        }
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", index as u32 + 1)?;
        tx.commit()?;
    }
    Ok(())
}

/// Starts an IMMEDIATE transaction (takes the write lock up front, so a busy database waits at
/// `BEGIN` under `busy_timeout` instead of failing half-way). Dropped without commit = rollback.
pub fn immediate(conn: &Connection) -> Result<rusqlite::Transaction<'_>, rusqlite::Error> {
    rusqlite::Transaction::new_unchecked(conn, TransactionBehavior::Immediate)
}
