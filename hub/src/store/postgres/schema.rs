//! The PostgreSQL schema: append-only migrations, applied under an advisory lock so two hubs
//! starting at once do not race, with the same version guard as SQLite.

use tokio_postgres::Client;

use crate::store::StoreError;

/// `(version, SQL)`, in order. Never edit a shipped migration; add the next one.
pub const MIGRATIONS: &[(i64, &str)] = &[(1, V1), (2, V2), (3, V3), (4, V4)];

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
/// Trust the district can audit (as SQLite's V3): codes known by (kid, serial); R2 by
/// acceptance order within epochs; the trust list as a feed; sealed enrolment secrets;
/// expiring subscriptions; district events.
const V3: &str = r#"
CREATE TABLE epochs (
    no         BIGINT PRIMARY KEY,
    epoch      TEXT NOT NULL UNIQUE,
    started_at BIGINT NOT NULL,
    reason     TEXT NOT NULL CHECK (reason IN ('created', 'upgraded', 'restored'))
);
INSERT INTO epochs (no, epoch, started_at, reason)
    VALUES (1, substr(md5(random()::text || clock_timestamp()::text), 1, 16),
            extract(epoch FROM now())::bigint,
            CASE WHEN EXISTS (SELECT 1 FROM principals) THEN 'upgraded' ELSE 'created' END);

ALTER TABLE principals ADD COLUMN disabled_at BIGINT;
ALTER TABLE principals ADD COLUMN max_subscriptions BIGINT CHECK (max_subscriptions >= 0);
ALTER TABLE principals ADD COLUMN last_seen_at BIGINT;
UPDATE principals SET disabled_at = extract(epoch FROM now())::bigint WHERE status = 'disabled';

ALTER TABLE enrolment_codes ADD COLUMN sealed_secret TEXT;
ALTER TABLE enrolment_codes ADD COLUMN purpose TEXT NOT NULL DEFAULT 'enrol'
    CHECK (purpose IN ('enrol', 'rekey'));

-- The trust list as a feed: positions are taken under an advisory lock held to commit, so they
-- become visible in order and a cursor never skips an entry that commits late.
ALTER TABLE trust ALTER COLUMN pos DROP DEFAULT;
DROP SEQUENCE IF EXISTS trust_pos_seq;
ALTER TABLE trust DROP CONSTRAINT trust_status_check;
ALTER TABLE trust ADD COLUMN not_after BIGINT;
UPDATE trust t SET status = 'retired', not_after = r.retired_at
    FROM retired_keys r WHERE r.kid = t.kid AND r.retired_at IS NOT NULL;
UPDATE trust SET not_after = extract(epoch FROM now())::bigint
    WHERE status = 'disabled' AND not_after IS NULL;
ALTER TABLE trust ADD CONSTRAINT trust_status_check
    CHECK (status IN ('active', 'disabled', 'retired'));
ALTER TABLE trust ADD CONSTRAINT trust_not_after_check
    CHECK ((status = 'active') = (not_after IS NULL));
ALTER TABLE trust ADD CONSTRAINT trust_public_key_unique UNIQUE (public_key);

-- Applications by id; a code is (kid, serial).
ALTER TABLE active_codes DROP CONSTRAINT active_codes_serial_fkey;
ALTER TABLE changes DROP CONSTRAINT changes_serial_fkey;
ALTER TABLE changes DROP CONSTRAINT changes_by_serial_fkey;
ALTER TABLE applications ADD COLUMN id BIGSERIAL;
ALTER TABLE applications ADD COLUMN epoch_no BIGINT NOT NULL DEFAULT 1 REFERENCES epochs (no);
ALTER TABLE applications ALTER COLUMN epoch_no DROP DEFAULT;
ALTER TABLE applications DROP CONSTRAINT applications_pkey;
ALTER TABLE applications ADD PRIMARY KEY (id);
ALTER TABLE applications ADD CONSTRAINT applications_code_unique UNIQUE (kid, serial);

ALTER TABLE active_codes ADD COLUMN application_id BIGINT;
UPDATE active_codes ac SET application_id = a.id FROM applications a WHERE a.serial = ac.serial;
ALTER TABLE active_codes ALTER COLUMN application_id SET NOT NULL;
ALTER TABLE active_codes DROP COLUMN serial;
ALTER TABLE active_codes DROP COLUMN issued_at;
ALTER TABLE active_codes ADD CONSTRAINT active_codes_application_unique UNIQUE (application_id);
ALTER TABLE active_codes ADD CONSTRAINT active_codes_application_fkey
    FOREIGN KEY (application_id) REFERENCES applications (id);

ALTER TABLE changes ADD COLUMN application_id BIGINT;
ALTER TABLE changes ADD COLUMN by_application BIGINT;
UPDATE changes c SET application_id = a.id FROM applications a WHERE a.serial = c.serial;
UPDATE changes c SET by_application = a.id FROM applications a WHERE a.serial = c.by_serial;
ALTER TABLE changes ALTER COLUMN application_id SET NOT NULL;
ALTER TABLE changes DROP COLUMN serial;
ALTER TABLE changes DROP COLUMN by_serial;
ALTER TABLE changes ADD CONSTRAINT changes_application_fkey
    FOREIGN KEY (application_id) REFERENCES applications (id);
ALTER TABLE changes ADD CONSTRAINT changes_by_application_fkey
    FOREIGN KEY (by_application) REFERENCES applications (id);
CREATE INDEX changes_person_seq ON changes (person_key, seq);
-- What a station's pull is told it has here (a restored hub holds fewer).
CREATE INDEX applications_channel ON applications (channel);

ALTER TABLE subscriptions ADD COLUMN subscribed_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE subscriptions ADD COLUMN refreshed_at BIGINT NOT NULL DEFAULT 0;
UPDATE subscriptions SET subscribed_at = extract(epoch FROM now())::bigint,
                         refreshed_at = extract(epoch FROM now())::bigint;
CREATE INDEX subscriptions_station_subscribed ON subscriptions (station, subscribed_at);
CREATE INDEX subscriptions_refreshed ON subscriptions (refreshed_at);

CREATE TABLE district_events (
    id      BIGSERIAL PRIMARY KEY,
    at      BIGINT NOT NULL,
    kind    TEXT NOT NULL,
    station TEXT,
    detail  TEXT NOT NULL
);
"#;
const V4: &str = r#"
-- The district console (docs/console.md); the same as SQLite's migration 4.
ALTER TABLE principals ADD COLUMN app_version TEXT;

CREATE TABLE daily_counts (
    channel  TEXT NOT NULL,
    day      BIGINT NOT NULL,
    accepted BIGINT NOT NULL DEFAULT 0,
    rejected BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (channel, day)
);
CREATE INDEX daily_counts_day ON daily_counts (day);
INSERT INTO daily_counts (channel, day, accepted, rejected)
    SELECT channel, day, COUNT(*) FILTER (WHERE status = 'accepted'),
           COUNT(*) FILTER (WHERE status = 'rejected')
    FROM applications GROUP BY channel, day;
-- One statement-level trigger per insert (a push page is one INSERT … SELECT unnest): the
-- page's rows are summed by channel and day and each sum written once.
CREATE FUNCTION count_applications() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO daily_counts (channel, day, accepted, rejected)
        SELECT channel, day, COUNT(*) FILTER (WHERE status = 'accepted'),
               COUNT(*) FILTER (WHERE status = 'rejected')
        FROM inserted GROUP BY channel, day
        ON CONFLICT (channel, day) DO UPDATE SET
            accepted = daily_counts.accepted + EXCLUDED.accepted,
            rejected = daily_counts.rejected + EXCLUDED.rejected;
    RETURN NULL;
END
$$;
CREATE TRIGGER applications_counted AFTER INSERT ON applications
    REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION count_applications();
CREATE INDEX applications_rejected_day ON applications (day, channel) WHERE status = 'rejected';
-- The overview's alerts read the last week's district events.
CREATE INDEX district_events_at ON district_events (at);

CREATE TABLE console_admins (
    name           TEXT PRIMARY KEY,
    role           TEXT NOT NULL CHECK (role IN ('admin', 'viewer')),
    password_hash  TEXT NOT NULL,
    must_change    BOOLEAN NOT NULL,
    disabled_at    BIGINT,
    created_at     BIGINT NOT NULL,
    failed_signins BIGINT NOT NULL DEFAULT 0,
    next_signin_at BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE console_sessions (
    token_hash   TEXT PRIMARY KEY,
    admin        TEXT NOT NULL REFERENCES console_admins (name),
    csrf         TEXT NOT NULL,
    address      TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL
);
CREATE INDEX console_sessions_admin ON console_sessions (admin);
CREATE INDEX console_sessions_last_seen ON console_sessions (last_seen_at);

CREATE TABLE hub_audit (
    seq       BIGINT PRIMARY KEY,
    at        BIGINT NOT NULL,
    actor     TEXT NOT NULL,
    action    TEXT NOT NULL,
    subject   TEXT NOT NULL,
    address   TEXT NOT NULL,
    prev_hash TEXT NOT NULL CHECK (length(prev_hash) = 64),
    hash      TEXT NOT NULL UNIQUE CHECK (length(hash) = 64)
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
