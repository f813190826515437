//! Who is trusted to issue, and which serials have been withdrawn.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::key::{KeyId, PublicKey};

/// A station key a verifier trusts, with the station it belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrustedIssuer {
    /// The station the key was certified for; a credential signed with the key must name it.
    pub station_id: String,
    /// The station's public key.
    pub public_key: PublicKey,
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

/// What a verifier knows: trusted issuer keys and revoked serials.
///
/// Implemented by [`TrustList`] (in memory) and by the station's database.
pub trait Trust {
    /// The trusted issuer whose key has id `kid`, if any.
    fn issuer(&self, kid: &KeyId) -> Option<TrustedIssuer>;
    /// Whether the code with this serial has been superseded or rejected.
    fn revocation(&self, serial: &str) -> Option<Revocation>;
}

/// An in-memory [`Trust`]: a trust list as published by the hub, plus revoked serials.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustList {
    issuers: HashMap<KeyId, TrustedIssuer>,
    revoked: HashMap<String, Revocation>,
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
        let kid = public_key.kid();
        let issuer = TrustedIssuer {
            station_id: station_id.into(),
            public_key,
        };
        self.issuers.insert(kid, issuer);
        kid
    }

    /// Stops trusting the key with id `kid`; returns what was trusted.
    pub fn remove_issuer(&mut self, kid: &KeyId) -> Option<TrustedIssuer> {
        self.issuers.remove(kid)
    }

    /// Marks the code with this serial as superseded or rejected (the later call wins).
    pub fn revoke(&mut self, serial: impl Into<String>, why: Revocation) {
        self.revoked.insert(serial.into(), why);
    }

    /// The trusted issuers, in no particular order.
    pub fn issuers(&self) -> impl Iterator<Item = (&KeyId, &TrustedIssuer)> {
        self.issuers.iter()
    }
}

impl Trust for TrustList {
    fn issuer(&self, kid: &KeyId) -> Option<TrustedIssuer> {
        self.issuers.get(kid).cloned()
    }

    fn revocation(&self, serial: &str) -> Option<Revocation> {
        self.revoked.get(serial).copied()
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
        assert_eq!(list.issuer(&key.kid()), None);
        let kid = list.add_issuer(key.public_key(), "ST-AAAAAA");
        assert_eq!(kid, key.kid());
        assert_eq!(
            list.issuer(&kid),
            Some(TrustedIssuer {
                station_id: "ST-AAAAAA".into(),
                public_key: key.public_key()
            })
        );
        assert_eq!(list.issuers().count(), 1);
        list.revoke("S1", Revocation::Superseded);
        list.revoke("S2", Revocation::Superseded);
        list.revoke("S2", Revocation::Rejected);
        assert_eq!(list.revocation("S1"), Some(Revocation::Superseded));
        assert_eq!(list.revocation("S2"), Some(Revocation::Rejected));
        assert_eq!(list.revocation("S3"), None);
        assert!(list.remove_issuer(&kid).is_some());
        assert_eq!(list.issuer(&kid), None);
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
        };
        let json = serde_json::to_string(&issuer).unwrap();
        assert_eq!(
            serde_json::from_str::<TrustedIssuer>(&json).unwrap(),
            issuer
        );
    }
}
