//! The station's signing keys: which one signs, the retired ones (public half kept, secret
//! erased), and a re-key's replacement. Every reader takes the active key from the database
//! inside its transaction, so a rotation made by another process (the CLI while the app is
//! open) is seen at once. Replacing the key with the hub's certificate is
//! `station/sync/rotation.rs`.

use nac_credential::StationKey;
use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;

use super::Station;
use crate::error::{Error, Result};

/// One of the station's signing keys, as `nac key list` shows it (no secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SigningKey {
    pub kid: String,
    /// `active`, `pending` (waiting for the hub) or `retired`.
    pub state: String,
    pub created_at: i64,
    pub retired_at: Option<i64>,
}

/// The key that signs, read now (another process may have rotated it).
pub(crate) fn active_key(conn: &Connection) -> Result<Option<StationKey>> {
    key_in_state(conn, "active")
}

/// The active key; a station without one is damaged (it was created with one).
pub(crate) fn signing_key(conn: &Connection) -> Result<StationKey> {
    active_key(conn)?.ok_or(Error::DamagedKey)
}

/// The active key's id (no secret read).
pub(crate) fn active_kid(conn: &Connection) -> Result<String> {
    conn.prepare_cached("SELECT kid FROM station_keys WHERE state = 'active'")?
        .query_row([], |r| r.get(0))
        .optional()?
        .ok_or(Error::DamagedKey)
}

pub(crate) fn key_in_state(conn: &Connection, state: &str) -> Result<Option<StationKey>> {
    let secret: Option<Vec<u8>> = conn
        .prepare_cached(
            "SELECT secret FROM station_keys WHERE state = ?1
             ORDER BY created_at DESC, rowid DESC LIMIT 1",
        )?
        .query_row([state], |r| r.get(0))
        .optional()?;
    secret.map(|s| key_from(&s)).transpose()
}

/// Stores a new key in `state` (its public half trusted for verification at once).
pub(crate) fn insert_key(
    conn: &Connection,
    key: &StationKey,
    state: &str,
    station_id: &str,
    now: i64,
) -> Result<()> {
    let public = key.public_key().to_bytes();
    let kid = key.kid().to_string();
    conn.execute(
        "INSERT INTO station_keys (kid, secret, public, created_at, state)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![
            kid,
            key.secret_bytes().as_slice(),
            public.as_slice(),
            now,
            state
        ],
    )?;
    conn.execute(
        "INSERT INTO trusted_issuers (kid, station_id, public) VALUES (?1, ?2, ?3)
         ON CONFLICT (kid) DO NOTHING",
        params![kid, station_id, public.as_slice()],
    )?;
    Ok(())
}

impl Station {
    /// The station's signing keys, newest first.
    pub fn signing_keys(&self) -> Result<Vec<SigningKey>> {
        let mut stmt = self.conn.prepare(
            "SELECT kid, state, created_at, retired_at FROM station_keys
             ORDER BY created_at DESC, rowid DESC",
        )?;
        let keys = stmt
            .query_map([], |r| {
                Ok(SigningKey {
                    kid: r.get(0)?,
                    state: r.get(1)?,
                    created_at: r.get(2)?,
                    retired_at: r.get(3)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(keys)
    }
}

/// Retires the active key at `now`: its secret is erased (nothing may sign with it again, and
/// a stolen copy of the file holds no such key), its public half stays trusted for the codes
/// it signed before `now`.
pub(crate) fn retire_active(conn: &Connection, now: i64) -> Result<()> {
    let kid: Option<String> = conn
        .query_row(
            "SELECT kid FROM station_keys WHERE state = 'active'",
            [],
            |r| r.get(0),
        )
        .optional()?;
    conn.execute(
        "UPDATE station_keys SET state = 'retired', retired_at = ?1, secret = NULL
         WHERE state = 'active'",
        [now],
    )?;
    if let Some(kid) = kid {
        super::trust::store_own_retirement(conn, &kid, now)?;
    }
    Ok(())
}

/// A re-key by the district: every key this station held (active and pending) is retired at
/// `now` and erased, and `new` becomes the active key.
pub(crate) fn retire_all_for_rekey(
    conn: &Connection,
    new: &StationKey,
    station_id: &str,
    now: i64,
) -> Result<()> {
    conn.execute("DELETE FROM station_keys WHERE state = 'pending'", [])?;
    retire_active(conn, now)?;
    insert_key(conn, new, "active", station_id, now)
}

/// A stored key that is not 32 bytes is damaged: refuse rather than sign with a new key the
/// hub has never seen.
fn key_from(secret: &[u8]) -> Result<StationKey> {
    let bytes = <[u8; 32]>::try_from(secret).map_err(|_| crate::Error::DamagedKey)?;
    Ok(StationKey::from_secret_bytes(&bytes))
}
