-- Volunteer accounts (issue 9): a role, a secret (6-digit PIN or passphrase, Argon2id PHC
-- string), disabling instead of deleting (the audit log and applications keep pointing at the
-- account), and the wrong-secret backoff, kept in the database so a restart does not reset it.
ALTER TABLE volunteers ADD COLUMN role TEXT NOT NULL DEFAULT 'volunteer'
    CHECK (role IN ('volunteer', 'admin'));
ALTER TABLE volunteers ADD COLUMN secret_hash TEXT;
ALTER TABLE volunteers ADD COLUMN disabled_at INTEGER;
ALTER TABLE volunteers ADD COLUMN failed_signins INTEGER NOT NULL DEFAULT 0;
ALTER TABLE volunteers ADD COLUMN signin_wait_until INTEGER;
-- The built-in account the CLI acts as (it holds the station passphrase): the administrator.
UPDATE volunteers SET role = 'admin' WHERE account = 'station';
