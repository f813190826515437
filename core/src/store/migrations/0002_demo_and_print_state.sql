-- NAC Station schema v2: demo stations that can never reach the hub, and print jobs recorded
-- before they are sent. Append-only: never edit a released migration, add the next one.

-- A demo station is marked by the settings row `demo` = '1', written when its identity is
-- created (before any of its data). The mark can be neither changed nor removed, so a demo
-- can never turn into a real station whose fictional renewals would be pushed to the hub.
CREATE TRIGGER settings_demo_no_update BEFORE UPDATE ON settings WHEN OLD.key = 'demo'
BEGIN SELECT RAISE(ABORT, 'the demo mark of a station cannot be changed'); END;
CREATE TRIGGER settings_demo_no_delete BEFORE DELETE ON settings WHEN OLD.key = 'demo'
BEGIN SELECT RAISE(ABORT, 'the demo mark of a station cannot be removed'); END;

-- The outbox gains the state 'demo': an event written by a demo station. It is kept (the
-- history of a demo renewal looks complete) but is never sendable: the sync selects 'queued'
-- and 'error' events only, a trigger files every event of a demo station as 'demo', and
-- another keeps it there. SQLite cannot change a CHECK constraint in place, so the table is
-- rebuilt (nothing references it).
CREATE TABLE outbox_v2 (
    id             INTEGER PRIMARY KEY,
    event_id       TEXT NOT NULL UNIQUE,
    kind           TEXT NOT NULL,
    application_id INTEGER REFERENCES applications (id),
    payload        TEXT NOT NULL,
    state          TEXT NOT NULL DEFAULT 'queued'
        CHECK (state IN ('queued', 'sending', 'synced', 'rejected', 'error', 'demo')),
    attempts       INTEGER NOT NULL DEFAULT 0,
    last_error     TEXT,
    next_attempt_at INTEGER,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL
) STRICT;
INSERT INTO outbox_v2 (id, event_id, kind, application_id, payload, state, attempts, last_error,
                       next_attempt_at, created_at, updated_at)
    SELECT id, event_id, kind, application_id, payload, state, attempts, last_error,
           next_attempt_at, created_at, updated_at
    FROM outbox;
DROP TABLE outbox;
ALTER TABLE outbox_v2 RENAME TO outbox;
CREATE INDEX outbox_state ON outbox (state, id);
CREATE INDEX outbox_application ON outbox (application_id);

CREATE TRIGGER outbox_demo_held AFTER INSERT ON outbox
    WHEN EXISTS (SELECT 1 FROM settings WHERE key = 'demo' AND value = '1')
BEGIN UPDATE outbox SET state = 'demo' WHERE id = NEW.id; END;
CREATE TRIGGER outbox_demo_stays BEFORE UPDATE OF state ON outbox
    WHEN OLD.state = 'demo' AND NEW.state IS NOT 'demo'
BEGIN SELECT RAISE(ABORT, 'an event of a demo station is never sent'); END;

-- Print jobs are recorded as 'pending' (with their cards) before the PDF is written or sent
-- to a printer, then marked 'sent' or 'failed'. A crash mid-send leaves a pending job whose
-- cards count as handed out (a card that may be in circulation stays tracked, R8); a failed
-- job keeps its row and reason, and its cards are removed from printed_cards. Jobs recorded
-- before this version were recorded after they succeeded: 'sent'.
ALTER TABLE print_jobs ADD COLUMN state TEXT NOT NULL DEFAULT 'sent'
    CHECK (state IN ('pending', 'sent', 'failed'));
ALTER TABLE print_jobs ADD COLUMN finished_at INTEGER;
ALTER TABLE print_jobs ADD COLUMN error TEXT;
CREATE INDEX print_jobs_pending ON print_jobs (state) WHERE state <> 'sent';
CREATE INDEX printed_cards_job ON printed_cards (job_id);
