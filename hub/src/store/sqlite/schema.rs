//! The SQLite schema: append-only migrations and the version guard.
//!
//! Never edit a migration that has shipped; add the next one. A database whose recorded version
//! is newer than the newest migration here was written by a newer hub: opening it is refused
//! rather than risking writes this hub does not understand.

use rusqlite::{params, Connection, OptionalExtension};

use crate::store::StoreError;

/// `(version, SQL)`, in order.
pub const MIGRATIONS: &[(i64, &str)] = &[(1, V1), (2, V2), (3, V3), (4, V4)];

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
/// Trust the district can audit (issue 15): codes known by (kid, serial); R2 by acceptance
/// order within epochs; the trust list as a feed that carries withdrawals; sealed secrets for
/// enrolment; subscriptions that expire; events for the district. The secrets in `meta` are
/// moved to the key directory by the hub itself (they need files), then deleted.
const V3: &str = r#"
-- A lifetime of this database: one at creation, one more after every restore from a backup.
CREATE TABLE epochs (
    no         INTEGER PRIMARY KEY,
    epoch      TEXT NOT NULL UNIQUE,
    started_at INTEGER NOT NULL,
    reason     TEXT NOT NULL CHECK (reason IN ('created', 'upgraded', 'restored'))
) STRICT;
INSERT INTO epochs (no, epoch, started_at, reason)
    VALUES (1, lower(hex(randomblob(8))), CAST(strftime('%s', 'now') AS INTEGER),
            CASE WHEN EXISTS (SELECT 1 FROM principals) THEN 'upgraded' ELSE 'created' END);

ALTER TABLE principals ADD COLUMN disabled_at INTEGER;
ALTER TABLE principals ADD COLUMN max_subscriptions INTEGER CHECK (max_subscriptions >= 0);
ALTER TABLE principals ADD COLUMN last_seen_at INTEGER;
UPDATE principals SET disabled_at = CAST(strftime('%s', 'now') AS INTEGER)
    WHERE status = 'disabled';

-- The district secret sealed under the code (the hub cannot open it), until the code is used
-- or expires. A re-key code replaces an enrolled station's keys.
ALTER TABLE enrolment_codes ADD COLUMN sealed_secret TEXT;
ALTER TABLE enrolment_codes ADD COLUMN purpose TEXT NOT NULL DEFAULT 'enrol'
    CHECK (purpose IN ('enrol', 'rekey'));

-- The trust list as a feed: a key moves to a new, higher position whenever its status
-- changes, so a station following the cursor sees every withdrawal. `not_after`: codes the key
-- signed dated later are refused everywhere.
CREATE TABLE trust_v3 (
    kid        TEXT PRIMARY KEY,
    pos        INTEGER NOT NULL UNIQUE,
    station    TEXT NOT NULL,
    public_key TEXT NOT NULL UNIQUE,
    status     TEXT NOT NULL CHECK (status IN ('active', 'disabled', 'retired')),
    not_after  INTEGER,
    CHECK ((status = 'active') = (not_after IS NULL))
) STRICT;
INSERT INTO trust_v3 (kid, pos, station, public_key, status, not_after)
    SELECT t.kid, t.pos, t.station, t.public_key,
           CASE WHEN r.retired_at IS NOT NULL THEN 'retired' ELSE t.status END,
           CASE WHEN r.retired_at IS NOT NULL THEN r.retired_at
                WHEN t.status = 'disabled' THEN CAST(strftime('%s', 'now') AS INTEGER) END
    FROM trust t LEFT JOIN retired_keys r ON r.kid = t.kid;
DROP TABLE trust;
ALTER TABLE trust_v3 RENAME TO trust;

-- Applications by id; a code is (kid, serial). `credential`: a station's sealed credential
-- (NACS1:), or a phone code as the hub issued it (no identity). `epoch_no`: its place in R2's
-- acceptance order (the epoch it was first accepted in).
CREATE TABLE applications_v3 (
    id          INTEGER PRIMARY KEY,
    serial      TEXT NOT NULL,
    kid         TEXT NOT NULL,
    event_id    TEXT NOT NULL UNIQUE,
    person_key  TEXT NOT NULL,
    day         INTEGER NOT NULL,
    issued_at   INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    channel     TEXT NOT NULL,
    capacity    TEXT NOT NULL CHECK (capacity IN ('self', 'family', 'volunteer')),
    volunteer   TEXT,
    credential  TEXT NOT NULL,
    supersedes  TEXT,
    status      TEXT NOT NULL CHECK (status IN ('accepted', 'rejected')),
    reason      TEXT,
    received_at INTEGER NOT NULL,
    epoch_no    INTEGER NOT NULL REFERENCES epochs (no),
    UNIQUE (kid, serial)
) STRICT;
INSERT INTO applications_v3 (id, serial, kid, event_id, person_key, day, issued_at, expires_at,
        channel, capacity, volunteer, credential, supersedes, status, reason, received_at,
        epoch_no)
    SELECT rowid, serial, kid, event_id, person_key, day, issued_at, expires_at, channel,
           capacity, volunteer, credential, supersedes, status, reason, received_at, 1
    FROM applications ORDER BY rowid;

CREATE TABLE active_codes_v3 (
    person_key     TEXT PRIMARY KEY,
    application_id INTEGER NOT NULL UNIQUE REFERENCES applications (id)
) STRICT;
INSERT INTO active_codes_v3 (person_key, application_id)
    SELECT ac.person_key, a.rowid FROM active_codes ac JOIN applications a ON a.serial = ac.serial;

CREATE TABLE changes_v3 (
    seq            INTEGER PRIMARY KEY AUTOINCREMENT,
    person_key     TEXT NOT NULL,
    kind           TEXT NOT NULL CHECK (kind IN ('issued', 'superseded', 'rejected')),
    application_id INTEGER NOT NULL REFERENCES applications (id),
    by_application INTEGER REFERENCES applications (id),
    reason         TEXT
) STRICT;
INSERT INTO changes_v3 (seq, person_key, kind, application_id, by_application, reason)
    SELECT c.seq, c.person_key, c.kind, a.rowid, b.rowid, c.reason
    FROM changes c JOIN applications a ON a.serial = c.serial
    LEFT JOIN applications b ON b.serial = c.by_serial
    ORDER BY c.seq;

DROP TABLE active_codes;
DROP TABLE changes;
DROP TABLE applications;
ALTER TABLE applications_v3 RENAME TO applications;
ALTER TABLE active_codes_v3 RENAME TO active_codes;
ALTER TABLE changes_v3 RENAME TO changes;
CREATE UNIQUE INDEX applications_r3_one_per_day ON applications (person_key, day)
    WHERE status = 'accepted';
CREATE INDEX applications_person ON applications (person_key);
CREATE INDEX changes_revocations ON changes (seq) WHERE kind <> 'issued';
-- A pull scans the feed after its cursor for the station's persons: by person, then seq, so
-- an empty pull at the head costs one index probe per subscribed person, not the whole feed.
CREATE INDEX changes_person_seq ON changes (person_key, seq);
-- What a station's pull is told it has here (a restored hub holds fewer).
CREATE INDEX applications_channel ON applications (channel);

-- Subscriptions expire unless refreshed (stations re-send their roster's keys weekly).
ALTER TABLE subscriptions ADD COLUMN subscribed_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE subscriptions ADD COLUMN refreshed_at INTEGER NOT NULL DEFAULT 0;
UPDATE subscriptions SET subscribed_at = CAST(strftime('%s', 'now') AS INTEGER),
                         refreshed_at = CAST(strftime('%s', 'now') AS INTEGER);
CREATE INDEX subscriptions_station_subscribed ON subscriptions (station, subscribed_at);
CREATE INDEX subscriptions_refreshed ON subscriptions (refreshed_at);

-- What the district must see: disables, rotations, re-keys, bulk look-ups, restores.
CREATE TABLE district_events (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    at      INTEGER NOT NULL,
    kind    TEXT NOT NULL,
    station TEXT,
    detail  TEXT NOT NULL
) STRICT;
"#;
const V4: &str = r#"
-- The district console (docs/console.md). The release a station last named in a request.
ALTER TABLE principals ADD COLUMN app_version TEXT;

-- Kept counters for the console: accepted and rejected applications per channel (a station id,
-- or 'phone') and CST day, kept by the trigger below in the transaction that records the
-- application, so the overview never counts the applications table.
CREATE TABLE daily_counts (
    channel  TEXT NOT NULL,
    day      INTEGER NOT NULL,
    accepted INTEGER NOT NULL DEFAULT 0,
    rejected INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (channel, day)
) STRICT, WITHOUT ROWID;
CREATE INDEX daily_counts_day ON daily_counts (day);
INSERT INTO daily_counts (channel, day, accepted, rejected)
    SELECT channel, day, SUM(status = 'accepted'), SUM(status = 'rejected')
    FROM applications GROUP BY channel, day;
CREATE TRIGGER applications_counted AFTER INSERT ON applications
BEGIN
    INSERT INTO daily_counts (channel, day, accepted, rejected)
        VALUES (NEW.channel, NEW.day, NEW.status = 'accepted', NEW.status = 'rejected')
        ON CONFLICT (channel, day) DO UPDATE SET
            accepted = accepted + excluded.accepted,
            rejected = rejected + excluded.rejected;
END;
-- The console's rejections page reads refused applications by day.
CREATE INDEX applications_rejected_day ON applications (day, channel) WHERE status = 'rejected';
-- The overview's alerts read the last week's district events.
CREATE INDEX district_events_at ON district_events (at);

-- District staff who sign in to the console. `password_hash`: Argon2id (PHC string).
CREATE TABLE console_admins (
    name           TEXT PRIMARY KEY,
    role           TEXT NOT NULL CHECK (role IN ('admin', 'viewer')),
    password_hash  TEXT NOT NULL,
    must_change    INTEGER NOT NULL CHECK (must_change IN (0, 1)),
    disabled_at    INTEGER,
    created_at     INTEGER NOT NULL,
    failed_signins INTEGER NOT NULL DEFAULT 0,
    next_signin_at INTEGER NOT NULL DEFAULT 0
) STRICT;

-- Signed-in sessions, by SHA-256 of the cookie's token (the token itself is never stored).
CREATE TABLE console_sessions (
    token_hash   TEXT PRIMARY KEY,
    admin        TEXT NOT NULL REFERENCES console_admins (name),
    csrf         TEXT NOT NULL,
    address      TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL
) STRICT;
CREATE INDEX console_sessions_admin ON console_sessions (admin);
CREATE INDEX console_sessions_last_seen ON console_sessions (last_seen_at);

-- The hub's own audit log of administration (console and command line), hash-chained like a
-- station's: `hash` covers the previous row's hash and this row's fields.
CREATE TABLE hub_audit (
    seq       INTEGER PRIMARY KEY,
    at        INTEGER NOT NULL,
    actor     TEXT NOT NULL,
    action    TEXT NOT NULL,
    subject   TEXT NOT NULL,
    address   TEXT NOT NULL,
    prev_hash TEXT NOT NULL CHECK (length(prev_hash) = 64),
    hash      TEXT NOT NULL UNIQUE CHECK (length(hash) = 64)
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
    // Table rebuilds (V3) drop and rename tables that others refer to: foreign keys are off
    // while migrating (the pragma is a no-op inside a transaction) and checked before each
    // commit instead.
    conn.execute_batch("PRAGMA foreign_keys = OFF")?;
    let applied = apply(conn, current, now);
    conn.execute_batch("PRAGMA foreign_keys = ON")?;
    applied
}

fn apply(conn: &mut Connection, current: i64, now: i64) -> Result<(), StoreError> {
    for (version, sql) in MIGRATIONS.iter().filter(|m| m.0 > current) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        let broken: Option<String> = tx
            .query_row("PRAGMA foreign_key_check", [], |r| r.get(0))
            .optional()?;
        if let Some(table) = broken {
            return Err(StoreError::Schema(format!(
                "migration {version} left a dangling reference in {table}; nothing was changed"
            )));
        }
        tx.execute(
            "INSERT INTO schema_migrations (version, applied_at) VALUES (?1, ?2)",
            params![version, now],
        )?;
        tx.commit()?;
    }
    Ok(())
}
