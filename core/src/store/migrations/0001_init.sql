-- NAC Station schema v1. Append-only: never edit a released migration, add the next one.

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

-- This station's signing keys (the newest is used to sign). Encrypted at rest with the database.
CREATE TABLE station_keys (
    kid        TEXT PRIMARY KEY,
    secret     BLOB NOT NULL CHECK (length(secret) = 32),
    public     BLOB NOT NULL CHECK (length(public) = 32),
    created_at INTEGER NOT NULL
) STRICT;

-- Issuers whose credentials this station accepts (its own keys, and later the hub's trust list).
CREATE TABLE trusted_issuers (
    kid        TEXT PRIMARY KEY,
    station_id TEXT NOT NULL,
    public     BLOB NOT NULL CHECK (length(public) = 32)
) STRICT;

CREATE TABLE volunteers (
    id           INTEGER PRIMARY KEY,
    account      TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    created_at   INTEGER NOT NULL
) STRICT;

CREATE TABLE households (
    id          INTEGER PRIMARY KEY,
    uid         TEXT NOT NULL UNIQUE,
    district    TEXT NOT NULL,
    road        TEXT NOT NULL,
    lane        TEXT NOT NULL,
    number      TEXT NOT NULL,
    room        TEXT NOT NULL,
    address_key TEXT NOT NULL,
    -- natural sort of the address (numbers zero-padded) so lists follow the lanes
    sort_key    TEXT NOT NULL,
    -- the address without spaces, for fragment search ("天钥桥路100弄")
    search_text TEXT NOT NULL,
    phone       TEXT,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    removed_at  INTEGER
) STRICT;
CREATE UNIQUE INDEX households_address ON households (address_key) WHERE removed_at IS NULL;
CREATE INDEX households_sort ON households (sort_key);

CREATE TABLE residents (
    id             INTEGER PRIMARY KEY,
    uid            TEXT NOT NULL UNIQUE,
    household_id   INTEGER NOT NULL REFERENCES households (id),
    name           TEXT NOT NULL,
    name_initials  TEXT NOT NULL,
    -- initials with the everyday reading of the surname, when it differs (曾 zeng/ceng)
    name_initials_alt TEXT,
    doc_type       TEXT NOT NULL,
    doc_number     TEXT NOT NULL,
    doc_last4      TEXT NOT NULL,
    phone          TEXT,
    phone_last4    TEXT,
    birth_date     TEXT,
    notes          TEXT NOT NULL DEFAULT '',
    has_smartphone INTEGER NOT NULL DEFAULT 0 CHECK (has_smartphone IN (0, 1)),
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL,
    removed_at     INTEGER,
    UNIQUE (doc_type, doc_number)
) STRICT;
CREATE INDEX residents_household ON residents (household_id);
CREATE INDEX residents_initials ON residents (name_initials);
CREATE INDEX residents_initials_alt ON residents (name_initials_alt)
    WHERE name_initials_alt IS NOT NULL;
CREATE INDEX residents_doc_last4 ON residents (doc_last4);
CREATE INDEX residents_phone_last4 ON residents (phone_last4);

-- Search over names and addresses: unigrams and bigrams of each (CJK has no word breaks, and a
-- volunteer types two characters of a name or "100弄"), kept by the core on every write.
CREATE VIRTUAL TABLE resident_search USING fts5 (
    uni, bi, content = '', contentless_delete = 1, tokenize = 'unicode61 remove_diacritics 0'
);

-- Every accepted application (R5: for whom, by whom, in what capacity, through which channel).
-- A refused attempt writes nothing (R3), so the table holds exactly the applications that count.
CREATE TABLE applications (
    id           INTEGER PRIMARY KEY,
    event_id     TEXT NOT NULL UNIQUE,
    resident_id  INTEGER NOT NULL REFERENCES residents (id),
    day          TEXT NOT NULL,
    applied_at   INTEGER NOT NULL,
    capacity     TEXT NOT NULL CHECK (capacity IN ('self', 'family', 'volunteer')),
    volunteer_id INTEGER REFERENCES volunteers (id),
    channel      TEXT NOT NULL,
    state        TEXT NOT NULL DEFAULT 'accepted' CHECK (state IN ('accepted', 'rejected'))
) STRICT;
-- R3 held by the database itself: one counting application per person per CST day.
CREATE INDEX applications_resident ON applications (resident_id);
CREATE UNIQUE INDEX applications_once_per_day ON applications (resident_id, day)
    WHERE state = 'accepted';

CREATE TABLE codes (
    id             INTEGER PRIMARY KEY,
    serial         TEXT NOT NULL UNIQUE,
    resident_id    INTEGER NOT NULL REFERENCES residents (id),
    application_id INTEGER NOT NULL UNIQUE REFERENCES applications (id),
    issued_at      INTEGER NOT NULL,
    expires_at     INTEGER NOT NULL CHECK (expires_at > issued_at),
    station_id     TEXT NOT NULL,
    kid            TEXT NOT NULL,
    credential     TEXT NOT NULL,
    state          TEXT NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'superseded', 'rejected')),
    superseded_at  INTEGER,
    superseded_by  INTEGER REFERENCES codes (id)
) STRICT;
-- R2 held by the database itself: at most one active code per person.
CREATE UNIQUE INDEX codes_one_active ON codes (resident_id) WHERE state = 'active';
CREATE INDEX codes_resident ON codes (resident_id, issued_at);
CREATE INDEX codes_active_expiry ON codes (expires_at) WHERE state = 'active';

-- Outbox: one event per application, written in the same transaction, pushed to the hub later.
CREATE TABLE outbox (
    id             INTEGER PRIMARY KEY,
    event_id       TEXT NOT NULL UNIQUE,
    kind           TEXT NOT NULL,
    application_id INTEGER REFERENCES applications (id),
    payload        TEXT NOT NULL,
    state          TEXT NOT NULL DEFAULT 'queued'
        CHECK (state IN ('queued', 'sending', 'synced', 'rejected', 'error')),
    attempts       INTEGER NOT NULL DEFAULT 0,
    last_error     TEXT,
    next_attempt_at INTEGER,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL
) STRICT;
CREATE INDEX outbox_state ON outbox (state, id);
CREATE INDEX outbox_application ON outbox (application_id);

-- Print ledger (R7, R8): every paper card handed out.
CREATE TABLE print_jobs (
    id           INTEGER PRIMARY KEY,
    printed_at   INTEGER NOT NULL,
    layout       TEXT NOT NULL,
    volunteer_id INTEGER REFERENCES volunteers (id),
    destination  TEXT NOT NULL,
    card_count   INTEGER NOT NULL
) STRICT;

CREATE TABLE printed_cards (
    id           INTEGER PRIMARY KEY,
    job_id       INTEGER NOT NULL REFERENCES print_jobs (id),
    code_id      INTEGER NOT NULL REFERENCES codes (id),
    resident_id  INTEGER NOT NULL REFERENCES residents (id),
    printed_at   INTEGER NOT NULL,
    -- set when a volunteer has taken the card back or confirmed it destroyed
    withdrawn_at INTEGER
) STRICT;
CREATE INDEX printed_cards_code ON printed_cards (code_id);
CREATE INDEX printed_cards_resident ON printed_cards (resident_id, printed_at);

-- Append-only audit log: what happened, from which source, by which account. Never holds
-- document numbers or phones.
CREATE TABLE audit_log (
    id           INTEGER PRIMARY KEY,
    at           INTEGER NOT NULL,
    source       TEXT NOT NULL,
    volunteer_id INTEGER REFERENCES volunteers (id),
    action       TEXT NOT NULL,
    subject      TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
