-- NAC Station schema v3: syncing with NAC Hub (docs/sync.md). Append-only: never edit a
-- released migration, add the next one.
-- nac:foreign-keys-off (the runner turns foreign keys off for this migration, because `codes`
-- is rebuilt while printed_cards and codes itself reference it, and checks every reference
-- with `PRAGMA foreign_key_check` before it commits)

-- Volunteers get a station-scoped stable id for the hub (R5), never their rowid or name.
ALTER TABLE volunteers ADD COLUMN uid TEXT;
UPDATE volunteers SET uid = lower(hex(randomblob(8))) WHERE uid IS NULL;
CREATE UNIQUE INDEX volunteers_uid ON volunteers (uid);
CREATE TRIGGER volunteers_uid_default AFTER INSERT ON volunteers WHEN NEW.uid IS NULL
BEGIN UPDATE volunteers SET uid = lower(hex(randomblob(8))) WHERE id = NEW.id; END;

-- Codes issued elsewhere (the phone, another station) arrive from the hub without an
-- application at this station: application_id becomes optional. The table is rebuilt because
-- SQLite cannot drop a NOT NULL in place.
CREATE TABLE codes_v3 (
    id             INTEGER PRIMARY KEY,
    serial         TEXT NOT NULL UNIQUE,
    resident_id    INTEGER NOT NULL REFERENCES residents (id),
    application_id INTEGER UNIQUE REFERENCES applications (id),
    issued_at      INTEGER NOT NULL,
    expires_at     INTEGER NOT NULL CHECK (expires_at > issued_at),
    station_id     TEXT NOT NULL,
    kid            TEXT NOT NULL,
    credential     TEXT NOT NULL,
    state          TEXT NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'superseded', 'rejected')),
    superseded_at  INTEGER,
    superseded_by  INTEGER REFERENCES codes (id)
) STRICT;
INSERT INTO codes_v3 (id, serial, resident_id, application_id, issued_at, expires_at, station_id,
                      kid, credential, state, superseded_at, superseded_by)
    SELECT id, serial, resident_id, application_id, issued_at, expires_at, station_id,
           kid, credential, state, superseded_at, superseded_by
    FROM codes;
DROP TABLE codes;
ALTER TABLE codes_v3 RENAME TO codes;
CREATE UNIQUE INDEX codes_one_active ON codes (resident_id) WHERE state = 'active';
CREATE INDEX codes_resident ON codes (resident_id, issued_at);
CREATE INDEX codes_active_expiry ON codes (expires_at) WHERE state = 'active';
-- Local R3 must also count a code issued elsewhere today (it has no application here).
CREATE INDEX codes_from_elsewhere ON codes (resident_id, issued_at) WHERE application_id IS NULL;

-- The outbox as a sync queue: queued → sending → synced | rejected | error, with the hub's
-- reason and the next retry. 'local' holds the applications recorded before the station was
-- enrolled (they were never meant for a hub and are never sent). The payload is the protocol
-- Event (person key, no ID number); events written before this version carried the plaintext
-- number, so their payloads are emptied here.
CREATE TABLE outbox_v3 (
    id              INTEGER PRIMARY KEY,
    event_id        TEXT NOT NULL UNIQUE,
    kind            TEXT NOT NULL,
    application_id  INTEGER REFERENCES applications (id),
    payload         TEXT NOT NULL,
    state           TEXT NOT NULL DEFAULT 'queued'
        CHECK (state IN ('queued', 'sending', 'synced', 'rejected', 'error', 'demo', 'local')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    -- the hub's reason code (already_applied_today, conflict, …) or the transport failure
    reason          TEXT,
    last_error      TEXT,
    next_attempt_at INTEGER,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    synced_at       INTEGER
) STRICT;
INSERT INTO outbox_v3 (id, event_id, kind, application_id, payload, state, attempts, last_error,
                       next_attempt_at, created_at, updated_at)
    SELECT id, event_id, kind, application_id, '{}',
           CASE WHEN state = 'demo' THEN 'demo' ELSE 'local' END,
           attempts, last_error, next_attempt_at, created_at, updated_at
    FROM outbox;
DROP TABLE outbox;
ALTER TABLE outbox_v3 RENAME TO outbox;
CREATE INDEX outbox_state ON outbox (state, id);
CREATE INDEX outbox_application ON outbox (application_id);
CREATE TRIGGER outbox_demo_held AFTER INSERT ON outbox
    WHEN EXISTS (SELECT 1 FROM settings WHERE key = 'demo' AND value = '1')
BEGIN UPDATE outbox SET state = 'demo' WHERE id = NEW.id; END;
CREATE TRIGGER outbox_demo_stays BEFORE UPDATE OF state ON outbox
    WHEN OLD.state = 'demo' AND NEW.state IS NOT 'demo'
BEGIN SELECT RAISE(ABORT, 'an event of a demo station is never sent'); END;
CREATE TRIGGER outbox_local_stays BEFORE UPDATE OF state ON outbox
    WHEN OLD.state = 'local' AND NEW.state NOT IN ('local', 'demo')
BEGIN SELECT RAISE(ABORT, 'an application recorded before enrolment is never sent'); END;

-- Serials the hub says are void (superseded or rejected) that this station has no code row
-- for: with the trust list (trusted_issuers), what `verify` needs to judge a card offline.
CREATE TABLE revoked_serials (
    serial TEXT PRIMARY KEY,
    status TEXT NOT NULL CHECK (status IN ('superseded', 'rejected'))
) STRICT, WITHOUT ROWID;

-- Person keys the hub has been told about (subscribe), so each is sent once.
CREATE TABLE hub_subscriptions (
    person_key TEXT PRIMARY KEY
) STRICT, WITHOUT ROWID;
