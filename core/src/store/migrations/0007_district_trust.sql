-- nac:foreign-keys-off
-- NAC Station schema v7: trust the district can audit (issues 15 and 16). Append-only.
--
-- * A code is (kid, serial): two stations may pick the same serial, and withdrawing one
--   station's code must not withdraw another's. `codes` is unique by both; the revocation
--   list is kept by both (the old list, by serial only, is dropped and fetched again).
-- * Trusted keys carry their status and `not_after`: a disabled or retired key's codes dated
--   later are refused by `verify`, here as everywhere.
-- * A retired key's secret is erased: once the hub has certified its successor nothing may
--   sign with it again (a stolen copy of the file cannot mint codes with it either).
-- * Subscriptions are refreshed weekly (the hub forgets keys not refreshed for 60 days).

CREATE TABLE station_keys_v7 (
    kid        TEXT PRIMARY KEY,
    secret     BLOB CHECK (secret IS NULL OR length(secret) = 32),
    public     BLOB NOT NULL CHECK (length(public) = 32),
    created_at INTEGER NOT NULL,
    state      TEXT NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'pending', 'retired')),
    retired_at INTEGER,
    CHECK (state = 'retired' OR secret IS NOT NULL)
) STRICT;
INSERT INTO station_keys_v7 (kid, secret, public, created_at, state, retired_at)
    SELECT kid, CASE WHEN state = 'retired' THEN NULL ELSE secret END, public, created_at,
           state, retired_at
    FROM station_keys;
DROP TABLE station_keys;
ALTER TABLE station_keys_v7 RENAME TO station_keys;
CREATE UNIQUE INDEX station_keys_one_active ON station_keys (state) WHERE state = 'active';
CREATE UNIQUE INDEX station_keys_one_pending ON station_keys (state) WHERE state = 'pending';

ALTER TABLE trusted_issuers ADD COLUMN status TEXT NOT NULL DEFAULT 'active'
    CHECK (status IN ('active', 'disabled', 'retired'));
ALTER TABLE trusted_issuers ADD COLUMN not_after INTEGER;
UPDATE trusted_issuers SET status = 'retired',
       not_after = (SELECT retired_at FROM station_keys k WHERE k.kid = trusted_issuers.kid)
    WHERE kid IN (SELECT kid FROM station_keys WHERE state = 'retired');

DROP TABLE revoked_serials;
CREATE TABLE revoked_codes (
    kid    TEXT NOT NULL,
    serial TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('superseded', 'rejected')),
    PRIMARY KEY (kid, serial)
) STRICT, WITHOUT ROWID;
DELETE FROM settings WHERE key IN ('revocations_cursor', 'trust_cursor');

CREATE TABLE codes_v7 (
    id             INTEGER PRIMARY KEY,
    serial         TEXT NOT NULL,
    resident_id    INTEGER NOT NULL REFERENCES residents (id),
    application_id INTEGER UNIQUE REFERENCES applications (id),
    issued_at      INTEGER NOT NULL,
    expires_at     INTEGER NOT NULL CHECK (expires_at > issued_at),
    station_id     TEXT NOT NULL,
    kid            TEXT NOT NULL,
    credential     TEXT NOT NULL,
    state          TEXT NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'superseded', 'rejected')),
    superseded_at  INTEGER,
    superseded_by  INTEGER REFERENCES codes (id),
    UNIQUE (kid, serial)
) STRICT;
INSERT INTO codes_v7 (id, serial, resident_id, application_id, issued_at, expires_at, station_id,
                      kid, credential, state, superseded_at, superseded_by)
    SELECT id, serial, resident_id, application_id, issued_at, expires_at, station_id,
           kid, credential, state, superseded_at, superseded_by
    FROM codes;
DROP TABLE codes;
ALTER TABLE codes_v7 RENAME TO codes;
CREATE UNIQUE INDEX codes_one_active ON codes (resident_id) WHERE state = 'active';
CREATE INDEX codes_resident ON codes (resident_id, issued_at);
CREATE INDEX codes_active_expiry ON codes (expires_at) WHERE state = 'active';
CREATE INDEX codes_serial ON codes (serial);
CREATE INDEX codes_from_elsewhere ON codes (resident_id, issued_at) WHERE application_id IS NULL;

ALTER TABLE hub_subscriptions ADD COLUMN refreshed_at INTEGER NOT NULL DEFAULT 0;

-- An event queued again after the hub was restored from a backup: the hub epoch it was first
-- accepted in (the hub places it in that epoch's order). Cleared once the hub answers.
ALTER TABLE outbox ADD COLUMN resend_epoch TEXT;
