//! The SQLite schema: append-only migrations and the version guard.
//!
//! Never edit a migration that has shipped; add the next one. A database whose recorded version
//! is newer than the newest migration here was written by a newer hub: opening it is refused
//! rather than risking writes this hub does not understand.

use rusqlite::{params, Connection, OptionalExtension};

use crate::store::StoreError;

/// `(version, SQL)`, in order.
pub const MIGRATIONS: &[(i64, &str)] = &[(1, V1), (2, V2)];

const V1: &str = r#"
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

-- Request signers: stations and the phone gateway (id 'phone').
CREATE TABLE principals (
    pos         INTEGER PRIMARY KEY AUTOINCREMENT,
    id          TEXT NOT NULL UNIQUE,
    kind        TEXT NOT NULL CHECK (kind IN ('station', 'gateway')),
    name        TEXT NOT NULL,
    area        TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('pending', 'active', 'disabled')),
    public_key  TEXT UNIQUE,
    kid         TEXT UNIQUE,
    device_name TEXT,
    created_at  INTEGER NOT NULL,
    enrolled_at INTEGER
) STRICT;

-- One-time enrolment codes, by SHA-256 (the code itself is never stored).
CREATE TABLE enrolment_codes (
    code_hash  TEXT PRIMARY KEY,
    station_id TEXT NOT NULL REFERENCES principals (id),
    expires_at INTEGER NOT NULL,
    used_at    INTEGER
) STRICT;

-- The published trust list: station keys and the hub's phone issuing key.
CREATE TABLE trust (
    pos        INTEGER PRIMARY KEY AUTOINCREMENT,
    kid        TEXT NOT NULL UNIQUE,
    station    TEXT NOT NULL,
    public_key TEXT NOT NULL,
    status     TEXT NOT NULL CHECK (status IN ('active', 'disabled'))
) STRICT;

CREATE TABLE nonces (
    principal TEXT NOT NULL,
    nonce     TEXT NOT NULL,
    seen_at   INTEGER NOT NULL,
    PRIMARY KEY (principal, nonce)
) STRICT, WITHOUT ROWID;
CREATE INDEX nonces_seen_at ON nonces (seen_at);

-- Every recorded application (accepted, or rejected by R3). No name, no ID number, no phone.
CREATE TABLE applications (
    serial      TEXT PRIMARY KEY,
    event_id    TEXT NOT NULL UNIQUE,
    person_key  TEXT NOT NULL,
    day         INTEGER NOT NULL,
    issued_at   INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    kid         TEXT NOT NULL,
    channel     TEXT NOT NULL,
    capacity    TEXT NOT NULL CHECK (capacity IN ('self', 'family', 'volunteer')),
    volunteer   TEXT,
    credential  TEXT NOT NULL,
    supersedes  TEXT,
    status      TEXT NOT NULL CHECK (status IN ('accepted', 'rejected')),
    reason      TEXT,
    received_at INTEGER NOT NULL
) STRICT;
-- R3, held by the database: one accepted application per person per CST day.
CREATE UNIQUE INDEX applications_r3_one_per_day ON applications (person_key, day)
    WHERE status = 'accepted';
CREATE INDEX applications_person ON applications (person_key);

-- R2, held by the database: one active code per person.
CREATE TABLE active_codes (
    person_key TEXT PRIMARY KEY,
    serial     TEXT NOT NULL UNIQUE REFERENCES applications (serial),
    issued_at  INTEGER NOT NULL
) STRICT;

-- Idempotency records: the first answer to each event id, kept at least 60 days.
CREATE TABLE event_records (
    event_id     TEXT PRIMARY KEY,
    station      TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    answer       TEXT NOT NULL,
    received_at  INTEGER NOT NULL
) STRICT;
CREATE INDEX event_records_received_at ON event_records (received_at);

-- The change feed that pull and the revocation list page through.
CREATE TABLE changes (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    person_key TEXT NOT NULL,
    kind       TEXT NOT NULL CHECK (kind IN ('issued', 'superseded', 'rejected')),
    serial     TEXT NOT NULL REFERENCES applications (serial),
    by_serial  TEXT REFERENCES applications (serial),
    reason     TEXT
) STRICT;
CREATE INDEX changes_revocations ON changes (seq) WHERE kind <> 'issued';

CREATE TABLE subscriptions (
    station    TEXT NOT NULL,
    person_key TEXT NOT NULL,
    PRIMARY KEY (station, person_key)
) STRICT, WITHOUT ROWID;
CREATE INDEX subscriptions_person ON subscriptions (person_key);
"#;

/// Key rotation and audit anchors.
const V2: &str = r#"
-- A station's keys replaced by `POST /v1/keys/rotate`. They stay in `trust` (their codes stay
-- genuine). The replaced key still signs requests until the station first signs one with the
-- new key (`retired_at` is set then): an answer lost on the way cannot leave the station with a
-- key the hub no longer accepts. A pushed code signed with a retired key is accepted only if
-- issued before `retired_at`.
CREATE TABLE retired_keys (
    kid        TEXT PRIMARY KEY,
    station    TEXT NOT NULL REFERENCES principals (id),
    public_key TEXT NOT NULL UNIQUE,
    rotated_at INTEGER NOT NULL,
    retired_at INTEGER
) STRICT;
CREATE INDEX retired_keys_station ON retired_keys (station, rotated_at);
-- At most one replaced key per station still signs requests.
CREATE UNIQUE INDEX retired_keys_one_previous ON retired_keys (station) WHERE retired_at IS NULL;

-- Heads of the stations' hash-chained audit logs (row number and chain hash; no content). The
-- first hash received for a row wins, so a log rewritten later shows against it.
CREATE TABLE audit_anchors (
    station     TEXT NOT NULL REFERENCES principals (id),
    seq         INTEGER NOT NULL CHECK (seq > 0),
    hash        TEXT NOT NULL CHECK (length(hash) = 64),
    received_at INTEGER NOT NULL,
    PRIMARY KEY (station, seq)
) STRICT;
"#;
/// Applies the migrations not yet applied, each in its own transaction, after checking the
/// database is not newer than this hub.
pub fn migrate(conn: &mut Connection, now: i64) -> Result<(), StoreError> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
             version    INTEGER PRIMARY KEY,
             applied_at INTEGER NOT NULL
         ) STRICT;",
    )?;
    let current: i64 = conn
        .query_row("SELECT MAX(version) FROM schema_migrations", [], |r| {
            r.get::<_, Option<i64>>(0)
        })
        .optional()?
        .flatten()
        .unwrap_or(0);
    let newest = MIGRATIONS.last().map_or(0, |m| m.0);
    if current > newest {
        return Err(StoreError::Schema(format!(
            "database schema version {current} is newer than this hub's {newest}; upgrade the hub"
        )));
    }
    for (version, sql) in MIGRATIONS.iter().filter(|m| m.0 > current) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.execute(
            "INSERT INTO schema_migrations (version, applied_at) VALUES (?1, ?2)",
            params![version, now],
        )?;
        tx.commit()?;
    }
    Ok(())
}
