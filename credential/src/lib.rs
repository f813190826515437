//! The NAC Station resident credential: the signed text inside a resident's paper QR code,
//! verifiable offline by any device holding the hub's trust list.
//!
//! ```text
//! Claims ──CBOR map──▶ COSE_Sign1 (tag 18, Ed25519) ──zlib──▶ Base45 ──▶ "NAC1:" + text ──▶ QR
//! ```
//!
//! # Why this shape
//!
//! * **Modelled on the EU Digital COVID Certificate (HCERT).** That format was built for the same
//!   job — a paper QR checked offline by many verifiers against a published list of issuer
//!   keys — and its layers are standard, so a verifier can be written in any language from
//!   RFC 8949 (CBOR), RFC 9052 (COSE), RFC 1950 (zlib) and RFC 9285 (Base45) and the key table in
//!   `docs/credential.md`.
//! * **CBOR with small integer keys** keeps the claims to ~70 bytes; text keys would double them.
//!   A lowercase UUID `resident_ref` is carried as its 16 raw bytes (a 36-character string
//!   otherwise), which alone saves ~30 QR characters. A typical credential is ~250 characters,
//!   which fits a QR code of version 11 at error-correction level Q.
//! * **COSE_Sign1** gives a standard, self-describing envelope: the protected header names the
//!   algorithm and the key id, and both are covered by the signature.
//! * **Ed25519** signatures are deterministic (no random number needed at signing time, and the
//!   test vectors are reproducible byte for byte), short (64-byte signatures, 32-byte keys, so
//!   the QR stays small) and fast (~20 µs to sign).
//! * **Key ids** are the first 8 bytes of SHA-256 of the public key: short, derived (never
//!   assigned, so they cannot disagree with the key), and collision-free in practice for a few
//!   thousand stations.
//! * **zlib** is kept for HCERT compatibility and to shrink unusually repetitive claims. Typical
//!   claims are incompressible (signature, key id, UUID bytes), so it costs them 11 bytes (a
//!   stored block), 16 QR characters. Inflation is capped at 4 KiB.
//! * **Base45** packs bytes into the 45 characters of the QR alphanumeric mode (5.5 bits per
//!   character), ~25 % denser in the QR than byte mode with Base64, and the text is plain ASCII
//!   that a USB scanner can type into a field. The `NAC1:` prefix (also alphanumeric) names the
//!   format and its version.
//! * **Privacy:** the claims hold a masked name, the last 4 characters of the document number and
//!   an opaque resident reference — never the full ID number or a phone number, so a lost card
//!   leaks little.
//!
//! # Use
//!
//! ```
//! use nac_credential::{issue, verify, Claims, StationKey, TrustList, Verdict};
//!
//! let key = StationKey::from_secret_bytes(&[42; 32]);
//! let claims = Claims {
//!     serial: "7K3QD9XAZM".into(),
//!     resident_ref: "3f2b9c4e-1d7a-4b8e-9f01-23456789abcd".into(),
//!     masked_name: "张*丰".into(),
//!     id_last4: "123X".into(),
//!     issued_at: 1_767_225_600,
//!     expires_at: 1_767_225_600 + nac_credential::VALIDITY_SECS, // R1: exactly 720 hours
//!     station_id: "ST-4KQ2PZ".into(),
//! };
//! let text = issue(&claims, &key)?;
//! assert!(text.starts_with("NAC1:"));
//!
//! let mut trust = TrustList::new();
//! trust.add_issuer(key.public_key(), "ST-4KQ2PZ");
//! let checked = verify(&text, &trust, claims.issued_at);
//! assert_eq!(checked.verdict, Verdict::Valid);
//! assert_eq!(checked.claims, Some(claims));
//! # Ok::<(), nac_credential::CredentialError>(())
//! ```
//!
//! The full format, limits and test vectors are in `docs/credential.md`.

pub mod base45;
mod cbor;
mod claims;
mod cose;
mod error;
mod key;
mod text;
mod trust;
mod verify;

pub use claims::{
    Claims, MAX_ID_LAST4_CHARS, MAX_MASKED_NAME_LEN, MAX_RESIDENT_REF_LEN, MAX_SERIAL_LEN,
    MAX_STATION_ID_LEN,
};
pub use error::CredentialError;
pub use key::{KeyId, PublicKey, StationKey};
pub use text::{MAX_BASE45_LEN, MAX_COSE_LEN, PREFIX};
pub use trust::{Revocation, Trust, TrustError, TrustList, TrustedIssuer};
pub use verify::{
    decode_cose, decode_unverified, verify, Verdict, Verification, MAX_CLOCK_SKEW_SECS,
    VALIDITY_SECS,
};

/// Signs `claims` with a station's key and returns the credential text (`NAC1:…`), ready to be
/// put in a QR code in alphanumeric mode.
///
/// Deterministic: the same claims and key always give the same text. Fails only if the claims
/// break the format's rules (see [`Claims::validate`]).
pub fn issue(claims: &Claims, key: &StationKey) -> Result<String, CredentialError> {
    issue_naming(claims, key, &key.kid())
}

/// [`issue`], but naming `kid` in the header whatever the signing key: lets tests forge.
fn issue_naming(claims: &Claims, key: &StationKey, kid: &KeyId) -> Result<String, CredentialError> {
    claims.validate()?;
    let mut payload = Vec::with_capacity(128);
    claims.encode_into(&mut payload);
    let cose = cose::sign(&payload, key, kid);
    text::wrap(&cose)
}

#[cfg(test)]
mod forgery_tests;
