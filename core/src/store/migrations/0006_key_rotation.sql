-- NAC Station schema v6: signing-key rotation (issue 9). Append-only: never edit a released
-- migration, add the next one.
--
-- A station key is `active` (signs codes and hub requests; exactly one once the station exists),
-- `pending` (made by `nac key rotate`, waiting for the hub to certify it; at most one) or
-- `retired` (replaced; kept so this station still verifies the cards it signed, never signs).
ALTER TABLE station_keys ADD COLUMN state TEXT NOT NULL DEFAULT 'active'
    CHECK (state IN ('active', 'pending', 'retired'));
ALTER TABLE station_keys ADD COLUMN retired_at INTEGER;
CREATE UNIQUE INDEX station_keys_one_active ON station_keys (state) WHERE state = 'active';
CREATE UNIQUE INDEX station_keys_one_pending ON station_keys (state) WHERE state = 'pending';
