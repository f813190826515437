//! Decoding and verifying credential texts.
//!
//! Besides the signature, a verifier checks the validity *window* the issuer signed. The format
//! can carry any window, but R1 gives every code exactly [`VALIDITY_SECS`] (720 hours): a code
//! signed for years, or dated in the future, means a station's clock or software (or its key) has
//! gone wrong, and honouring it would keep a card "valid" long after R1 says it must be renewed.
//! A small [`MAX_CLOCK_SKEW_SECS`] allowance lets a code issued at a station whose clock runs a
//! few minutes ahead verify at once.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::claims::Claims;
use crate::cose::Sign1;
use crate::key::KeyId;
use crate::text;
use crate::trust::{Revocation, Trust, TrustError};
use crate::CredentialError;

/// The only validity a verifier accepts: `expires_at − issued_at` must be exactly 720 hours
/// (R1: a code is valid for 30 days).
pub const VALIDITY_SECS: i64 = 720 * 3600;

/// How far `issued_at` may lie ahead of the verifier's clock (5 minutes) before the code is
/// refused as [`Verdict::NotYetValid`]: station clocks drift, but not by more.
pub const MAX_CLOCK_SKEW_SECS: i64 = 5 * 60;

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
    /// Signed with a key the district withdrew (station disabled, key retired) and dated after
    /// the withdrawal: whoever holds the key now cannot mint codes that verify.
    KeyWithdrawn,
    /// Well-formed, but signed with a key that is not in the trust list.
    UnknownIssuer,
    /// The signature does not verify under the trusted key, or the claims name another station
    /// than the one the key belongs to.
    Forged,
    /// Not a NAC1 credential at all, or damaged (bad prefix, Base45, zlib, CBOR, COSE or claims).
    Malformed,
    /// Genuine, but signed with a validity window other than [`VALIDITY_SECS`]
    /// (`expires_at − issued_at ≠ 720 h`).
    InvalidWindow,
    /// Genuine, but `issued_at` is more than [`MAX_CLOCK_SKEW_SECS`] after `now`.
    NotYetValid,
    /// The trust source failed (e.g. a database error), so the code could not be checked. Not a
    /// statement about the code: check again once the station works.
    CannotCheck,
}

impl Verdict {
    /// The verdict as its snake_case name, as serialised (`"unknown_issuer"`, …).
    pub const fn as_str(self) -> &'static str {
        match self {
            Verdict::Valid => "valid",
            Verdict::Expired => "expired",
            Verdict::Superseded => "superseded",
            Verdict::Rejected => "rejected",
            Verdict::KeyWithdrawn => "key_withdrawn",
            Verdict::UnknownIssuer => "unknown_issuer",
            Verdict::Forged => "forged",
            Verdict::Malformed => "malformed",
            Verdict::InvalidWindow => "invalid_window",
            Verdict::NotYetValid => "not_yet_valid",
            Verdict::CannotCheck => "cannot_check",
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
/// `Superseded`, `Rejected`, `InvalidWindow`, `NotYetValid`, and `CannotCheck` when the revocation
/// lookup failed), so a screen cannot show a forged code's claims as if they were true; use
/// [`decode_unverified`] to look inside anyway. `kid` is present whenever the text was
/// well-formed (every verdict but `Malformed`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verification {
    /// The verdict.
    pub verdict: Verdict,
    /// The verified claims.
    pub claims: Option<Claims>,
    /// The key id the credential names.
    pub kid: Option<KeyId>,
    /// Why, in English, for the verdicts whose name does not say it all (`InvalidWindow`,
    /// `NotYetValid`, `CannotCheck`): for logs, the CLI and a "details" line; screens translate
    /// the verdict itself.
    pub reason: Option<String>,
}

impl Verification {
    fn new(verdict: Verdict, claims: Option<Claims>, kid: Option<KeyId>) -> Self {
        Self {
            verdict,
            claims,
            kid,
            reason: None,
        }
    }

    fn because(mut self, reason: String) -> Self {
        self.reason = Some(reason);
        self
    }

    fn cannot_check(claims: Option<Claims>, kid: Option<KeyId>, error: &TrustError) -> Self {
        Self::new(Verdict::CannotCheck, claims, kid).because(error.to_string())
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
/// (→ `Forged`), that the signed window is exactly [`VALIDITY_SECS`] (→ `InvalidWindow`),
/// that the key had not been withdrawn when the code was dated (→ `KeyWithdrawn`), revocation (→ `Superseded` / `Rejected`), that `issued_at ≤ now + MAX_CLOCK_SKEW_SECS`
/// (→ `NotYetValid`), expiry (`now >= expires_at` → `Expired`). A trust lookup that fails gives
/// `CannotCheck`, never a guess. Never panics, whatever the text.
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
    let issuer = match trust.issuer(&sign1.kid) {
        Ok(Some(issuer)) => issuer,
        Ok(None) => return Verification::new(Verdict::UnknownIssuer, None, kid),
        Err(e) => return Verification::cannot_check(None, kid, &e),
    };
    if !sign1.verify(&issuer.public_key) || claims.station_id != issuer.station_id {
        return Verification::new(Verdict::Forged, None, kid);
    }
    // i128: the claims may hold any two i64 values, and `now` any i64.
    let window = i128::from(claims.expires_at) - i128::from(claims.issued_at);
    if window != i128::from(VALIDITY_SECS) {
        let reason =
            format!("signed validity is {window} s; exactly {VALIDITY_SECS} s (720 h) is required");
        return Verification::new(Verdict::InvalidWindow, Some(claims), kid).because(reason);
    }
    if let Some(not_after) = issuer.not_after {
        if claims.issued_at > not_after {
            let reason = format!(
                "dated {} s after its key was withdrawn (disabled or retired)",
                i128::from(claims.issued_at) - i128::from(not_after)
            );
            return Verification::new(Verdict::KeyWithdrawn, Some(claims), kid).because(reason);
        }
    }
    let revocation = match trust.revocation(&sign1.kid, &claims.serial) {
        Ok(revocation) => revocation,
        Err(e) => return Verification::cannot_check(Some(claims), kid, &e),
    };
    let ahead = i128::from(claims.issued_at) - i128::from(now);
    let verdict = match revocation {
        Some(Revocation::Superseded) => Verdict::Superseded,
        Some(Revocation::Rejected) => Verdict::Rejected,
        None if ahead > i128::from(MAX_CLOCK_SKEW_SECS) => {
            let reason = format!(
                "issued {ahead} s after this device's time; at most {MAX_CLOCK_SKEW_SECS} s \
                 of clock difference is allowed"
            );
            return Verification::new(Verdict::NotYetValid, Some(claims), kid).because(reason);
        }
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
            Verdict::KeyWithdrawn,
            Verdict::UnknownIssuer,
            Verdict::Forged,
            Verdict::Malformed,
            Verdict::InvalidWindow,
            Verdict::NotYetValid,
            Verdict::CannotCheck,
        ] {
            assert_eq!(
                serde_json::to_string(&v).unwrap(),
                format!("\"{}\"", v.as_str())
            );
            assert_eq!(v.to_string(), v.as_str());
        }
        assert_eq!(Verdict::UnknownIssuer.as_str(), "unknown_issuer");
        assert_eq!(Verdict::CannotCheck.as_str(), "cannot_check");
    }

    #[test]
    fn validity_is_r1() {
        assert_eq!(VALIDITY_SECS, 30 * 86_400);
        assert_eq!(MAX_CLOCK_SKEW_SECS, 300);
    }
}
