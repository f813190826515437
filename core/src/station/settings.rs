//! The station's settings table: one key-value row per setting, read and written here.
//!
//! Settings are small values the station keeps between runs: its identity, preferences an
//! administrator changes, and the sync state (cursors, the hub's clock, backoff). Their names
//! are [`key`]'s constants, so a typo is a compile error rather than a setting silently
//! never read.

use rusqlite::{params, Connection, OptionalExtension};

/// The names of the settings.
pub(crate) mod key {
    pub const STATION_ID: &str = "station_id";
    pub const STATION_NAME: &str = "station_name";
    /// Set once, with the identity, on a demo station.
    pub const DEMO: &str = "demo";
    pub const EXPIRING_DAYS: &str = "expiring_days";
    pub const IDLE_LOCK_MINUTES: &str = "idle_lock_minutes";
    pub const KEEP_PRINTED_DAYS: &str = "keep_printed_days";

    pub const HUB_URL: &str = "hub_url";
    pub const DISTRICT_SECRET: &str = "district_secret";
    pub const ENROLLED_AT: &str = "enrolled_at";
    pub const PULL_CURSOR: &str = "pull_cursor";
    pub const TRUST_CURSOR: &str = "trust_cursor";
    pub const REVOCATIONS_CURSOR: &str = "revocations_cursor";
    pub const TRUST_GENERATED_AT: &str = "trust_generated_at";
    pub const LAST_SYNC_AT: &str = "last_sync_at";
    pub const LAST_SYNC_ERROR: &str = "last_sync_error";
    pub const SYNC_FAILURES: &str = "sync_failures";
    pub const NEXT_SYNC_AT: &str = "next_sync_at";
    /// Set when the hub answered that the district disabled this station; cleared by the next
    /// sync the hub accepts. While set the station issues no codes.
    pub const DISABLED_AT_HUB: &str = "disabled_at_hub";
    /// The CA certificate (PEM) the station trusts for an `https://` hub, given at enrolment.
    pub const HUB_CA_PEM: &str = "hub_ca_pem";
    /// The last audit row whose hash the hub holds, and when it was sent.
    pub const AUDIT_ANCHORED_SEQ: &str = "audit_anchored_seq";
    pub const AUDIT_ANCHORED_AT: &str = "audit_anchored_at";
    /// The hub database's epoch seen at the last sync: a different one means the hub was
    /// restored from a backup.
    pub const HUB_EPOCH: &str = "hub_epoch";
    /// The hub's clock minus this station's (seconds), measured at the last answer, and the
    /// hub's time then: renewals refuse while the difference is over the allowed skew, and
    /// never date a code before the hub's last known time.
    pub const HUB_CLOCK_OFFSET: &str = "hub_clock_offset";
    pub const LAST_HUB_TIME: &str = "last_hub_time";
    /// Events per push and changes per pull (default: the protocol's maxima); smaller pages
    /// for a slow link, where a long request would time out.
    pub const SYNC_PAGE_SIZE: &str = "sync_page_size";
}

/// The value of setting `name`, if set.
pub(crate) fn read(conn: &Connection, name: &str) -> rusqlite::Result<Option<String>> {
    conn.prepare_cached("SELECT value FROM settings WHERE key = ?1")?
        .query_row([name], |r| r.get(0))
        .optional()
}

/// Sets `name` to `value` (inside the caller's transaction).
pub(crate) fn write(conn: &Connection, name: &str, value: &str) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO settings (key, value) VALUES (?1, ?2)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    )?
    .execute(params![name, value])?;
    Ok(())
}

/// Removes setting `name`.
pub(crate) fn delete(conn: &Connection, name: &str) -> rusqlite::Result<()> {
    conn.prepare_cached("DELETE FROM settings WHERE key = ?1")?
        .execute([name])?;
    Ok(())
}
