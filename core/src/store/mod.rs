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
//! The file is encrypted (SQLCipher, see `store/cipher.rs`); a plain SQLite file written by an older
//! version is encrypted in place at its first open ([`rewrite`]). It holds residents' ID
//! numbers and phones, so it is private to its owner as well: a missing
//! data directory is created `0700`, the database is created `0600` (SQLite gives its `-wal`
//! and `-shm` files the database's mode), and the modes of an existing database and its
//! `-wal`/`-shm` are set to `0600` at every open, so files made by older versions are fixed too.

mod cipher;
mod connection;
mod copies;
mod error;
mod leftovers;
mod upgrade_events;

pub use cipher::{
    file_kind, DatabaseKey, FileKind, KdfParams, Passphrase, DEMO_PASSPHRASE, KDF_LANES,
    KDF_MEMORY_KIB, KDF_PASSES, MIN_PASSPHRASE_CHARS,
};
pub use copies::{backup, change_passphrase, restore, rewrite, rewrite_stamped, upgrade_key};
pub use leftovers::kept_copies;

pub use connection::{connect, immediate, schema_version, BUSY_TIMEOUT, SCHEMA_VERSION};
pub(crate) use connection::{migrate, open_file, unlock};
pub use error::{StoreError, WeakReason};

use connection::{create_private, restrict_modes};
use rusqlite::Connection;
use std::path::Path;

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

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::connection::*;
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
