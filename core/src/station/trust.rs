//! Verifying a scanned code against what this station knows: its trusted issuers (its own
//! keys and the hub's trust list, with when each key was withdrawn) and the codes — by (kid,
//! serial) — it has seen superseded or rejected.
//!
//! Every lookup that fails — a database error, a key row that does not hold a valid key, a code
//! state the schema does not know — is a [`TrustError`], which `verify` turns into
//! `cannot_check`. Reading a failed revocation lookup as "not revoked" would call a void card
//! valid.

use super::Station;
use nac_credential::{
    KeyId, PublicKey, Revocation, Trust, TrustError, TrustedIssuer, Verification,
};
use rusqlite::{params, Connection, OptionalExtension};

/// The station database seen as a [`Trust`] source.
pub struct StationTrust<'a> {
    conn: &'a Connection,
}

impl Trust for StationTrust<'_> {
    fn issuer(&self, kid: &KeyId) -> Result<Option<TrustedIssuer>, TrustError> {
        let row: Option<(String, Vec<u8>, Option<i64>)> = self
            .conn
            .query_row(
                "SELECT station_id, public, not_after FROM trusted_issuers WHERE kid = ?1",
                [kid.to_string()],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()
            .map_err(TrustError::new)?;
        let Some((station_id, public, not_after)) = row else {
            return Ok(None);
        };
        let bytes = <[u8; 32]>::try_from(public.as_slice()).map_err(|_| {
            TrustError::new(format!(
                "trusted_issuers: the key of {kid} is {} bytes, not 32",
                public.len()
            ))
        })?;
        let public_key = PublicKey::from_bytes(&bytes).map_err(TrustError::new)?;
        Ok(Some(TrustedIssuer {
            station_id,
            public_key,
            not_after,
        }))
    }

    fn revocation(&self, kid: &KeyId, serial: &str) -> Result<Option<Revocation>, TrustError> {
        let kid = kid.to_string();
        // The hub's revocation list first: it knows about codes issued at other stations.
        let listed: Option<String> = self
            .conn
            .query_row(
                "SELECT status FROM revoked_codes WHERE kid = ?1 AND serial = ?2",
                [kid.as_str(), serial],
                |r| r.get(0),
            )
            .optional()
            .map_err(TrustError::new)?;
        match listed.as_deref() {
            Some("superseded") => return Ok(Some(Revocation::Superseded)),
            Some("rejected") => return Ok(Some(Revocation::Rejected)),
            Some(other) => {
                return Err(TrustError::new(format!(
                    "revoked_codes: unknown status {other:?} for serial {serial}"
                )))
            }
            None => {}
        }
        let state: Option<String> = self
            .conn
            .query_row(
                "SELECT state FROM codes WHERE kid = ?1 AND serial = ?2",
                [kid.as_str(), serial],
                |r| r.get(0),
            )
            .optional()
            .map_err(TrustError::new)?;
        // No row: a code this station never issued nor heard of is not known to be revoked.
        match state.as_deref() {
            None | Some("active") => Ok(None),
            Some("superseded") => Ok(Some(Revocation::Superseded)),
            Some("rejected") => Ok(Some(Revocation::Rejected)),
            Some(other) => Err(TrustError::new(format!(
                "codes: unknown state {other:?} for serial {serial}"
            ))),
        }
    }
}

impl Station {
    pub fn trust(&self) -> StationTrust<'_> {
        StationTrust { conn: &self.conn }
    }

    /// Verifies a scanned or pasted credential text now (valid / expired / superseded / …;
    /// `cannot_check` when the database cannot answer).
    pub fn verify(&self, text: &str) -> Verification {
        nac_credential::verify(text, &self.trust(), self.now())
    }
}

/// This station retired one of its own keys at `at`: its codes dated later are refused here
/// at once (the hub's trust list says the same after the next sync).
pub(crate) fn store_own_retirement(conn: &Connection, kid: &str, at: i64) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "UPDATE trusted_issuers SET status = 'retired', not_after = ?2
         WHERE kid = ?1 AND not_after IS NULL",
    )?
    .execute(params![kid, at])?;
    Ok(())
}
