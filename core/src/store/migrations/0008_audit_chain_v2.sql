-- NAC Station schema v8: the audit chain's hash input encodes every field unambiguously
-- (issue 16). Append-only: never edit a released migration, add the next one.
--
-- Version 1 (schema 4) hashed the fields joined by "\n", which a field (a sign-in name, a file
-- name) may contain, so two different rows could hash alike. Version 2 hashes netstrings:
--   hash = SHA-256( ns("nac-audit-2") ns(prev_hash) ns(id) ns(at) ns(source) ns(volunteer_id)
--                   ns(action) ns(subject) ),   ns(x) = byte length of x in decimal ":" x ","
-- (volunteer_id is the empty string when there is none), 64 lowercase hex digits.
--
-- The migration's Rust step (audit::rechain) recomputes prev_hash and hash of every row with
-- version 2 and keeps the version-1 values in the two columns below (NULL for later rows): the
-- hub holds version-1 hashes of the rows it anchored before, and a row broken before the
-- migration must stay broken. It then appends an 'audit.rechain' row whose subject is
-- "from chain 1 head ID HASH" (the version-1 audit_head), and recreates the append-only
-- triggers it dropped for the rewrite.
ALTER TABLE audit_log ADD COLUMN v1_prev_hash TEXT CHECK (v1_prev_hash IS NULL OR length(v1_prev_hash) = 64);
ALTER TABLE audit_log ADD COLUMN v1_hash TEXT CHECK (v1_hash IS NULL OR length(v1_hash) = 64);
