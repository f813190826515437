//! Who is trusted to issue, and which serials have been withdrawn.
//!
//! A [`Trust`] source may live in a database that can fail. Its lookups therefore return a
//! [`TrustError`] rather than "nothing found": a verifier that read a failed revocation lookup as
//! "not revoked", or a failed issuer lookup as "unknown issuer", would tell a volunteer that a
//! void code is valid, or a good one suspicious. [`crate::verify`] answers
//! [`crate::Verdict::CannotCheck`] instead.

use std::collections::HashMap;
use std::error::Error;

use serde::{Deserialize, Serialize};

use crate::key::{KeyId, PublicKey};

/// A station key a verifier trusts, with the station it belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrustedIssuer {
    /// The station the key was certified for; a credential signed with the key must name it.
    pub station_id: String,
    /// The station's public key.
    pub public_key: PublicKey,
    /// When the key was withdrawn (unix s): the district disabled the station, or the station
    /// replaced the key. Codes it signed dated after this are refused
    /// ([`crate::Verdict::KeyWithdrawn`]); codes dated before stay genuine. `None` while the key
    /// is in service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_after: Option<i64>,
}

/// Why a serial is no longer honoured, although its signature is good.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Revocation {
    /// A newer code was issued to the same resident (renewal, reprint, lost card).
    Superseded,
    /// The code was withdrawn (e.g. the hub rejected the application it was issued on).
    Rejected,
}

/// A trust source could not answer (its storage failed, or holds a damaged entry).
///
/// Never a statement about the credential: [`crate::verify`] reports it as
/// [`crate::Verdict::CannotCheck`], with this error's text as the reason.
#[derive(Debug, thiserror::Error)]
#[error("trust data unavailable: {source}")]
pub struct TrustError {
    #[source]
    source: Box<dyn Error + Send + Sync + 'static>,
}

impl TrustError {
    /// Wraps the failure of the underlying store (a database error, or a message such as
    /// `"malformed key row"`).
    pub fn new(source: impl Into<Box<dyn Error + Send + Sync + 'static>>) -> Self {
        Self {
            source: source.into(),
        }
    }
}

/// What a verifier knows: trusted issuer keys and revoked serials.
///
/// Implemented by [`TrustList`] (in memory, never fails) and by the station's database. `Ok(None)`
/// means "looked, and there is none"; a lookup that could not be made must be an `Err`, never
/// `Ok(None)`.
pub trait Trust {
    /// The trusted issuer whose key has id `kid`, or `None` if no such key is trusted.
    fn issuer(&self, kid: &KeyId) -> Result<Option<TrustedIssuer>, TrustError>;
    /// Whether the code (`kid`, `serial`) has been superseded or rejected (`None`: neither). A
    /// code is identified by its key and serial together: two stations may pick the same
    /// serial, and withdrawing one station's code must not withdraw the other's.
    fn revocation(&self, kid: &KeyId, serial: &str) -> Result<Option<Revocation>, TrustError>;
}

/// An in-memory [`Trust`]: a trust list as published by the hub, plus revoked serials.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustList {
    issuers: HashMap<KeyId, TrustedIssuer>,
    revoked: HashMap<(KeyId, String), Revocation>,
}

impl TrustList {
    /// An empty list: trusts no one.
    pub fn new() -> Self {
        Self::default()
    }

    /// Trusts `public_key` as the key of station `station_id` and returns its key id (derived
    /// from the key, so the list cannot map a kid to the wrong key). Replaces an earlier entry
    /// for the same key.
    pub fn add_issuer(&mut self, public_key: PublicKey, station_id: impl Into<String>) -> KeyId {
        self.add_issuer_until(public_key, station_id, None)
    }

    /// Like [`TrustList::add_issuer`], for a key withdrawn at `not_after` (unix s): codes it
    /// signed dated after that are refused.
    pub fn add_issuer_until(
        &mut self,
        public_key: PublicKey,
        station_id: impl Into<String>,
        not_after: Option<i64>,
    ) -> KeyId {
        let kid = public_key.kid();
        let issuer = TrustedIssuer {
            station_id: station_id.into(),
            public_key,
            not_after,
        };
        self.issuers.insert(kid, issuer);
        kid
    }

    /// Stops trusting the key with id `kid`; returns what was trusted.
    pub fn remove_issuer(&mut self, kid: &KeyId) -> Option<TrustedIssuer> {
        self.issuers.remove(kid)
    }

    /// Marks the code (`kid`, `serial`) as superseded or rejected (the later call wins).
    pub fn revoke(&mut self, kid: KeyId, serial: impl Into<String>, why: Revocation) {
        self.revoked.insert((kid, serial.into()), why);
    }

    /// The trusted issuers, in no particular order.
    pub fn issuers(&self) -> impl Iterator<Item = (&KeyId, &TrustedIssuer)> {
        self.issuers.iter()
    }
}

impl Trust for TrustList {
    fn issuer(&self, kid: &KeyId) -> Result<Option<TrustedIssuer>, TrustError> {
        Ok(self.issuers.get(kid).cloned())
    }

    fn revocation(&self, kid: &KeyId, serial: &str) -> Result<Option<Revocation>, TrustError> {
        Ok(self.revoked.get(&(*kid, serial.to_owned())).copied())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::StationKey;

    #[test]
    fn add_revoke_remove() {
        let key = StationKey::from_secret_bytes(&[1; 32]);
        let mut list = TrustList::new();
        assert_eq!(list.issuer(&key.kid()).unwrap(), None);
        let kid = list.add_issuer(key.public_key(), "ST-AAAAAA");
        assert_eq!(kid, key.kid());
        assert_eq!(
            list.issuer(&kid).unwrap(),
            Some(TrustedIssuer {
                station_id: "ST-AAAAAA".into(),
                public_key: key.public_key(),
                not_after: None,
            })
        );
        assert_eq!(list.issuers().count(), 1);
        list.revoke(kid, "S1", Revocation::Superseded);
        list.revoke(kid, "S2", Revocation::Superseded);
        list.revoke(kid, "S2", Revocation::Rejected);
        assert_eq!(
            list.revocation(&kid, "S1").unwrap(),
            Some(Revocation::Superseded)
        );
        assert_eq!(
            list.revocation(&kid, "S2").unwrap(),
            Some(Revocation::Rejected)
        );
        assert_eq!(list.revocation(&kid, "S3").unwrap(), None);
        // Another key's code with the same serial is not withdrawn with it.
        let other = StationKey::from_secret_bytes(&[2; 32]).kid();
        assert_eq!(list.revocation(&other, "S1").unwrap(), None);
        assert!(list.remove_issuer(&kid).is_some());
        assert_eq!(list.issuer(&kid).unwrap(), None);
    }

    #[test]
    fn trust_error_keeps_its_source() {
        let e = TrustError::new("no such table: codes");
        assert_eq!(
            e.to_string(),
            "trust data unavailable: no such table: codes"
        );
        assert_eq!(
            e.source().map(ToString::to_string).as_deref(),
            Some("no such table: codes")
        );
    }

    #[test]
    fn revocation_serialises_snake_case() {
        assert_eq!(
            serde_json::to_string(&Revocation::Superseded).unwrap(),
            "\"superseded\""
        );
        let issuer = TrustedIssuer {
            station_id: "ST-1".into(),
            public_key: StationKey::from_secret_bytes(&[1; 32]).public_key(),
            not_after: Some(1_767_225_600),
        };
        let json = serde_json::to_string(&issuer).unwrap();
        assert_eq!(
            serde_json::from_str::<TrustedIssuer>(&json).unwrap(),
            issuer
        );
    }
}
