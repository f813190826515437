//! The PostgreSQL schema: append-only migrations, applied under an advisory lock so two hubs
//! starting at once do not race, with the same version guard as SQLite.

use tokio_postgres::Client;

use crate::store::StoreError;

/// `(version, SQL)`, in order. Never edit a shipped migration; add the next one.
pub const MIGRATIONS: &[(i64, &str)] = &[(1, V1), (2, V2)];

/// Advisory lock key held while migrating ("NACMIGR" in ASCII).
pub const MIGRATION_LOCK: i64 = 0x004e_4143_4d49_4752;

const V1: &str = r#"
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE principals (
    pos         BIGSERIAL PRIMARY KEY,
    id          TEXT NOT NULL UNIQUE,
    kind        TEXT NOT NULL CHECK (kind IN ('station', 'gateway')),
    name        TEXT NOT NULL,
    area        TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('pending', 'active', 'disabled')),
    public_key  TEXT UNIQUE,
    kid         TEXT UNIQUE,
    device_name TEXT,
    created_at  BIGINT NOT NULL,
    enrolled_at BIGINT
);

CREATE TABLE enrolment_codes (
    code_hash  TEXT PRIMARY KEY,
    station_id TEXT NOT NULL REFERENCES principals (id),
    expires_at BIGINT NOT NULL,
    used_at    BIGINT
);

CREATE TABLE trust (
    pos        BIGSERIAL PRIMARY KEY,
    kid        TEXT NOT NULL UNIQUE,
    station    TEXT NOT NULL,
    public_key TEXT NOT NULL,
    status     TEXT NOT NULL CHECK (status IN ('active', 'disabled'))
);

CREATE TABLE nonces (
    principal TEXT NOT NULL,
    nonce     TEXT NOT NULL,
    seen_at   BIGINT NOT NULL,
    PRIMARY KEY (principal, nonce)
);
CREATE INDEX nonces_seen_at ON nonces (seen_at);

CREATE TABLE applications (
    serial      TEXT PRIMARY KEY,
    event_id    TEXT NOT NULL UNIQUE,
    person_key  TEXT NOT NULL,
    day         BIGINT NOT NULL,
    issued_at   BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    kid         TEXT NOT NULL,
    channel     TEXT NOT NULL,
    capacity    TEXT NOT NULL CHECK (capacity IN ('self', 'family', 'volunteer')),
    volunteer   TEXT,
    credential  TEXT NOT NULL,
    supersedes  TEXT,
    status      TEXT NOT NULL CHECK (status IN ('accepted', 'rejected')),
    reason      TEXT,
    received_at BIGINT NOT NULL
);
-- R3, held by the database: one accepted application per person per CST day.
CREATE UNIQUE INDEX applications_r3_one_per_day ON applications (person_key, day)
    WHERE status = 'accepted';
CREATE INDEX applications_person ON applications (person_key);

-- R2, held by the database: one active code per person.
CREATE TABLE active_codes (
    person_key TEXT PRIMARY KEY,
    serial     TEXT NOT NULL UNIQUE REFERENCES applications (serial),
    issued_at  BIGINT NOT NULL
);

CREATE TABLE event_records (
    event_id     TEXT PRIMARY KEY,
    station      TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    answer       TEXT NOT NULL,
    received_at  BIGINT NOT NULL
);
CREATE INDEX event_records_received_at ON event_records (received_at);

CREATE TABLE changes (
    seq        BIGSERIAL PRIMARY KEY,
    person_key TEXT NOT NULL,
    kind       TEXT NOT NULL CHECK (kind IN ('issued', 'superseded', 'rejected')),
    serial     TEXT NOT NULL REFERENCES applications (serial),
    by_serial  TEXT REFERENCES applications (serial),
    reason     TEXT
);
CREATE INDEX changes_revocations ON changes (seq) WHERE kind <> 'issued';

CREATE TABLE subscriptions (
    station    TEXT NOT NULL,
    person_key TEXT NOT NULL,
    PRIMARY KEY (station, person_key)
);
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
    rotated_at BIGINT NOT NULL,
    retired_at BIGINT
);
CREATE INDEX retired_keys_station ON retired_keys (station, rotated_at);
-- At most one replaced key per station still signs requests.
CREATE UNIQUE INDEX retired_keys_one_previous ON retired_keys (station) WHERE retired_at IS NULL;

-- Heads of the stations' hash-chained audit logs (row number and chain hash; no content). The
-- first hash received for a row wins, so a log rewritten later shows against it.
CREATE TABLE audit_anchors (
    station     TEXT NOT NULL REFERENCES principals (id),
    seq         BIGINT NOT NULL CHECK (seq > 0),
    hash        TEXT NOT NULL CHECK (length(hash) = 64),
    received_at BIGINT NOT NULL,
    PRIMARY KEY (station, seq)
);
"#;
/// Applies pending migrations (caller holds [`MIGRATION_LOCK`]).
pub async fn migrate(client: &mut Client, now: i64) -> Result<(), StoreError> {
    client
        .batch_execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (
                 version    BIGINT PRIMARY KEY,
                 applied_at BIGINT NOT NULL
             )",
        )
        .await?;
    let current: i64 = client
        .query_one(
            "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
            &[],
        )
        .await?
        .try_get(0)?;
    let newest = MIGRATIONS.last().map_or(0, |m| m.0);
    if current > newest {
        return Err(StoreError::Schema(format!(
            "database schema version {current} is newer than this hub's {newest}; upgrade the hub"
        )));
    }
    for (version, sql) in MIGRATIONS.iter().filter(|m| m.0 > current) {
        let tx = client.transaction().await?;
        tx.batch_execute(sql).await?;
        tx.execute(
            "INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)",
            &[version, &now],
        )
        .await?;
        tx.commit().await?;
    }
    Ok(())
}
