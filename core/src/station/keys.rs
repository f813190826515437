//! The station's signing keys: which one signs, and replacing it (`nac key rotate`).
//!
//! Why rotation works this way: the seed never leaves the encrypted database, but a station may
//! still want a new key — a backup went missing, a volunteer left with the passphrase, or the
//! district asks for yearly rotation. The old key is *retired*, not deleted: the cards it signed
//! stay genuine until they expire, so this station (and every other, through the hub's trust
//! list) must keep verifying them. It signs nothing again.
//!
//! An enrolled station needs the hub to certify the new key, or its next push would be refused
//! as forged. The new key is first stored as `pending` (committed), then sent to the hub signed
//! with the current key; only the hub's answer makes it active, in one transaction with the
//! audit row. A crash or a lost answer leaves the pending key, which the next `nac key rotate`
//! or sync sends again (the hub answers a repeat with the same answer); the hub keeps accepting
//! the old key until the station first signs with the new one, so codes issued in between are
//! never refused. Every reader takes the active key from the database inside its transaction,
//! so a rotation made by another process (the CLI while the app is open) is seen at once.

use nac_credential::StationKey;
use nac_protocol::{RotateKeyRequest, RotateKeyResponse, PATH_ROTATE_KEY, V1};
use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;

use super::sync::{call, Method, RequestSigner, Transport};
use super::{Change, Station};
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

/// What a rotation did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeyRotation {
    /// The key that signs from now on.
    pub kid: String,
    /// The key it replaced (verification only from now on).
    pub replaced_kid: String,
    /// Whether the hub certified the new key (`false`: the station is not enrolled).
    pub certified_by_hub: bool,
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

fn key_in_state(conn: &Connection, state: &str) -> Result<Option<StationKey>> {
    let secret: Option<Vec<u8>> = conn
        .prepare_cached(
            "SELECT secret FROM station_keys WHERE state = ?1
             ORDER BY created_at DESC, rowid DESC LIMIT 1",
        )?
        .query_row([state], |r| r.get(0))
        .optional()?;
    secret.map(|s| super::key_from(&s)).transpose()
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

    /// Replaces the signing key (administrators only). An enrolled station needs `transport`
    /// to reach its hub, which certifies the new key; until it answers nothing changes but the
    /// stored pending key, and the current key keeps signing.
    pub fn rotate_key(&mut self, transport: Option<&mut dyn Transport>) -> Result<KeyRotation> {
        self.require_admin("rotate the signing key", "更换签名密钥")?;
        self.ensure_not_demo()?;
        if !self.is_enrolled() {
            return self.rotate_unenrolled();
        }
        let transport = transport.ok_or(Error::NotEnrolled)?;
        let signer = self.signer_for_hub()?;
        self.finish_rotation(transport, &signer, true)?
            .ok_or(Error::DamagedKey)
    }

    /// A station without a hub replaces its key on its own: the new key signs at once.
    fn rotate_unenrolled(&self) -> Result<KeyRotation> {
        self.write_audited_subject_after("key.rotate", Some(Change::settings), |tx, now| {
            let old = signing_key(tx)?;
            let new = StationKey::generate()?;
            let (station_id, _) = super::sync::current_identity(tx)?;
            tx.execute("DELETE FROM station_keys WHERE state = 'pending'", [])?;
            retire_active(tx, now)?;
            insert_key(tx, &new, "active", &station_id, now)?;
            let rotation = KeyRotation {
                kid: new.kid().to_string(),
                replaced_kid: old.kid().to_string(),
                certified_by_hub: false,
            };
            let subject = rotation.audit_subject();
            Ok((rotation, subject))
        })
    }

    /// Sends the pending key to the hub and makes it active once certified. With `start`, makes
    /// the pending key first if there is none; without, does nothing when none is pending (a
    /// sync run finishing an interrupted rotation).
    pub(crate) fn finish_rotation(
        &mut self,
        transport: &mut dyn Transport,
        signer: &RequestSigner,
        start: bool,
    ) -> Result<Option<KeyRotation>> {
        let pending = match key_in_state(&self.conn, "pending")? {
            Some(key) => key,
            None if start => {
                let key = StationKey::generate()?;
                let tx = self.write()?;
                let (station_id, _) = super::sync::current_identity(&tx)?;
                insert_key(&tx, &key, "pending", &station_id, self.now())?;
                tx.commit()?;
                key
            }
            None => return Ok(None),
        };
        let request = RotateKeyRequest {
            v: V1,
            station: signer.station.clone(),
            public_key: pending.public_key(),
            kid: pending.kid(),
            proof: nac_protocol::auth::rotation_proof(&pending, &signer.station),
        };
        let answer: RotateKeyResponse = call(
            transport,
            signer,
            Method::Post,
            PATH_ROTATE_KEY.to_string(),
            &request,
        )?;
        if answer.kid != pending.kid() || answer.replaced_kid != signer.key.kid() {
            return Err(super::sync::TransportError::BadAnswer(format!(
                "the hub certified {} replacing {}, not {} replacing {}",
                answer.kid,
                answer.replaced_kid,
                pending.kid(),
                signer.key.kid()
            ))
            .into());
        }
        let rotation = KeyRotation {
            kid: pending.kid().to_string(),
            replaced_kid: signer.key.kid().to_string(),
            certified_by_hub: true,
        };
        let subject = rotation.audit_subject();
        self.write_audited("key.rotate", &subject, Some(Change::settings), |tx, now| {
            retire_active(tx, now)?;
            tx.execute(
                "UPDATE station_keys SET state = 'active' WHERE kid = ?1 AND state = 'pending'",
                [pending.kid().to_string()],
            )?;
            Ok(())
        })?;
        Ok(Some(rotation))
    }
}

impl KeyRotation {
    /// The audit subject of a rotation: `old → new`.
    fn audit_subject(&self) -> String {
        format!("{} → {}", self.replaced_kid, self.kid)
    }
}

/// Retires the active key at `now`: its secret is erased (nothing may sign with it again, and
/// a stolen copy of the file holds no such key), its public half stays trusted for the codes
/// it signed before `now`.
fn retire_active(conn: &Connection, now: i64) -> Result<()> {
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
        super::sync::store_own_retirement(conn, &kid, now)?;
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
