//! Verifying a scanned code against what this station knows: its trusted issuers (its own key,
//! later the hub's trust list) and the codes it has seen superseded or rejected.

use super::Station;
use nac_credential::{KeyId, PublicKey, Revocation, Trust, TrustedIssuer, Verification};
use rusqlite::{Connection, OptionalExtension};

/// The station database seen as a [`Trust`] source.
pub struct StationTrust<'a> {
    conn: &'a Connection,
}

impl Trust for StationTrust<'_> {
    fn issuer(&self, kid: &KeyId) -> Option<TrustedIssuer> {
        let row: Option<(String, Vec<u8>)> = self
            .conn
            .query_row(
                "SELECT station_id, public FROM trusted_issuers WHERE kid = ?1",
                [kid.to_string()],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .ok()
            .flatten();
        let (station_id, public) = row?;
        let bytes = <[u8; 32]>::try_from(public.as_slice()).ok()?;
        Some(TrustedIssuer {
            station_id,
            public_key: PublicKey::from_bytes(&bytes).ok()?,
        })
    }

    fn revocation(&self, serial: &str) -> Option<Revocation> {
        let state: Option<String> = self
            .conn
            .query_row("SELECT state FROM codes WHERE serial = ?1", [serial], |r| {
                r.get(0)
            })
            .optional()
            .ok()
            .flatten();
        match state.as_deref() {
            Some("superseded") => Some(Revocation::Superseded),
            Some("rejected") => Some(Revocation::Rejected),
            _ => None,
        }
    }
}

impl Station {
    pub fn trust(&self) -> StationTrust<'_> {
        StationTrust { conn: &self.conn }
    }

    /// Verifies a scanned or pasted credential text now (valid / expired / superseded / …).
    pub fn verify(&self, text: &str) -> Verification {
        nac_credential::verify(text, &self.trust(), self.now())
    }
}
