//! Replacing the signing key (`nac key rotate`).
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
//! never refused.

use nac_credential::StationKey;
use nac_protocol::{RotateKeyRequest, RotateKeyResponse, PATH_ROTATE_KEY, V1};
use serde::Serialize;

use super::{call, Method, RequestSigner, Transport, TransportError};
use crate::error::{Error, Result};
use crate::station::keys::{insert_key, key_in_state, retire_active, signing_key};
use crate::station::settings::{self, key};
use crate::station::{Change, Station};

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

impl Station {
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
            let station_id = settings::read(tx, key::STATION_ID)?.unwrap_or_default();
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
                let station_id = settings::read(&tx, key::STATION_ID)?.unwrap_or_default();
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
            return Err(TransportError::BadAnswer(format!(
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
