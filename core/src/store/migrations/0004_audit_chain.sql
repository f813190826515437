-- NAC Station schema v4: a tamper-evident audit log. Append-only: never edit a released
-- migration, add the next one.
--
-- Each row carries the hash of the row before it and its own:
--   hash = SHA-256( prev_hash "\n" id "\n" at "\n" source "\n" volunteer_id "\n" action "\n" subject )
-- as 64 lowercase hex digits; the first row's prev_hash is 64 zeros. Ids are consecutive. An
-- edited, deleted or reordered row breaks the chain at that row (`nac audit verify`). The table
-- head (last id and hash) has a table of its own, so cutting rows off the end shows too. The table
-- is rebuilt with the two columns; the rows of earlier versions are copied and chained by the
-- migration's Rust step (store::chain_audit_log), which also recreates the append-only triggers.
ALTER TABLE audit_log RENAME TO audit_log_v3;
DROP TRIGGER IF EXISTS audit_log_no_update;
DROP TRIGGER IF EXISTS audit_log_no_delete;
CREATE TABLE audit_log (
    id           INTEGER PRIMARY KEY,
    at           INTEGER NOT NULL,
    source       TEXT NOT NULL,
    volunteer_id INTEGER REFERENCES volunteers (id),
    action       TEXT NOT NULL,
    subject      TEXT NOT NULL DEFAULT '',
    prev_hash    TEXT NOT NULL CHECK (length(prev_hash) = 64),
    hash         TEXT NOT NULL UNIQUE CHECK (length(hash) = 64)
) STRICT;
CREATE TABLE audit_head (
    one  INTEGER PRIMARY KEY CHECK (one = 1),
    id   INTEGER NOT NULL,
    hash TEXT NOT NULL CHECK (length(hash) = 64)
) STRICT;
