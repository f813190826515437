//! Decoding and verifying credential texts.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::claims::Claims;
use crate::cose::Sign1;
use crate::key::KeyId;
use crate::text;
use crate::trust::{Revocation, Trust};
use crate::CredentialError;

/// The answer a verifier gives, from the first check that fails (in this order).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Signed by a trusted station, not revoked, not expired.
    Valid,
    /// Genuine, but `now >= expires_at`.
    Expired,
    /// Genuine, but a newer code replaced it.
    Superseded,
    /// Genuine, but withdrawn.
    Rejected,
    /// Well-formed, but signed with a key that is not in the trust list.
    UnknownIssuer,
    /// The signature does not verify under the trusted key, or the claims name another station
    /// than the one the key belongs to.
    Forged,
    /// Not a NAC1 credential at all, or damaged (bad prefix, Base45, zlib, CBOR, COSE or claims).
    Malformed,
}

impl Verdict {
    /// The verdict as its snake_case name, as serialised (`"unknown_issuer"`, …).
    pub const fn as_str(self) -> &'static str {
        match self {
            Verdict::Valid => "valid",
            Verdict::Expired => "expired",
            Verdict::Superseded => "superseded",
            Verdict::Rejected => "rejected",
            Verdict::UnknownIssuer => "unknown_issuer",
            Verdict::Forged => "forged",
            Verdict::Malformed => "malformed",
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The result of [`verify`].
///
/// `claims` are present only when the signature verified (verdicts `Valid`, `Expired`,
/// `Superseded`, `Rejected`), so a screen cannot show a forged code's claims as if they were
/// true; use [`decode_unverified`] to look inside anyway. `kid` is present whenever the text was
/// well-formed (every verdict but `Malformed`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verification {
    /// The verdict.
    pub verdict: Verdict,
    /// The verified claims.
    pub claims: Option<Claims>,
    /// The key id the credential names.
    pub kid: Option<KeyId>,
}

impl Verification {
    fn new(verdict: Verdict, claims: Option<Claims>, kid: Option<KeyId>) -> Self {
        Self {
            verdict,
            claims,
            kid,
        }
    }
}

/// Strips the text layers (prefix, Base45, zlib) and returns the COSE_Sign1 bytes, unchecked
/// beyond those layers. For debugging tools and format tests.
pub fn decode_cose(text: &str) -> Result<Vec<u8>, CredentialError> {
    text::unwrap(text)
}

/// Decodes a credential without checking its signature or trust: **for display only** (for
/// example to show what a code of an unknown station claims). Fails exactly when [`verify`]
/// would answer [`Verdict::Malformed`].
pub fn decode_unverified(text: &str) -> Result<(KeyId, Claims), CredentialError> {
    let cose = text::unwrap(text)?;
    let sign1 = Sign1::parse(&cose)?;
    let claims = Claims::decode(sign1.payload)?;
    Ok((sign1.kid, claims))
}

/// Verifies a credential text at time `now` (unix seconds UTC) against `trust`.
///
/// Checks, stopping at the first failure: well-formedness (→ `Malformed`), that the kid is
/// trusted (→ `UnknownIssuer`), the signature and that the claims name the key's station
/// (→ `Forged`), revocation (→ `Superseded` / `Rejected`), expiry (`now >= expires_at` →
/// `Expired`). Never panics, whatever the text.
pub fn verify(text: &str, trust: &impl Trust, now: i64) -> Verification {
    let Ok(cose) = text::unwrap(text) else {
        return Verification::new(Verdict::Malformed, None, None);
    };
    let Ok(sign1) = Sign1::parse(&cose) else {
        return Verification::new(Verdict::Malformed, None, None);
    };
    let Ok(claims) = Claims::decode(sign1.payload) else {
        return Verification::new(Verdict::Malformed, None, None);
    };
    let kid = Some(sign1.kid);
    let Some(issuer) = trust.issuer(&sign1.kid) else {
        return Verification::new(Verdict::UnknownIssuer, None, kid);
    };
    if !sign1.verify(&issuer.public_key) || claims.station_id != issuer.station_id {
        return Verification::new(Verdict::Forged, None, kid);
    }
    let verdict = match trust.revocation(&claims.serial) {
        Some(Revocation::Superseded) => Verdict::Superseded,
        Some(Revocation::Rejected) => Verdict::Rejected,
        None if now >= claims.expires_at => Verdict::Expired,
        None => Verdict::Valid,
    };
    Verification::new(verdict, Some(claims), kid)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdict_names() {
        for v in [
            Verdict::Valid,
            Verdict::Expired,
            Verdict::Superseded,
            Verdict::Rejected,
            Verdict::UnknownIssuer,
            Verdict::Forged,
            Verdict::Malformed,
        ] {
            assert_eq!(
                serde_json::to_string(&v).unwrap(),
                format!("\"{}\"", v.as_str())
            );
            assert_eq!(v.to_string(), v.as_str());
        }
        assert_eq!(Verdict::UnknownIssuer.as_str(), "unknown_issuer");
    }
}
