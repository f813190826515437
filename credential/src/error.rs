//! The crate's error type.

/// Why a credential could not be issued, decoded, or a key parsed.
///
/// [`crate::verify`] never returns an error: every decoding failure becomes
/// [`crate::Verdict::Malformed`]. The errors are for [`crate::issue`],
/// [`crate::decode_unverified`], [`crate::decode_cose`] and the key types.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CredentialError {
    /// The operating system's random source failed while generating a key.
    #[error("operating system randomness unavailable: {0}")]
    Random(String),
    /// 32 bytes that are not a usable Ed25519 public key (not a curve point, or a weak,
    /// small-order point).
    #[error("not a valid Ed25519 public key")]
    InvalidPublicKey,
    /// Text that is not a key id (16 hexadecimal digits) or public key (64 hexadecimal digits).
    #[error("invalid hexadecimal key or key id")]
    InvalidHex,
    /// The claims break the format's rules (lengths, characters, `expires_at > issued_at`).
    #[error("invalid claims: {0}")]
    InvalidClaims(&'static str),
    /// The text does not start with `NAC1:` (case-insensitively, after trimming whitespace).
    #[error("not a NAC1 credential (missing \"NAC1:\" prefix)")]
    MissingPrefix,
    /// The text is longer than any credential can be.
    #[error("credential text too long")]
    TooLong,
    /// The part after the prefix is not valid Base45.
    #[error("invalid Base45: {0}")]
    Base45(&'static str),
    /// The Base45 payload is not a complete, checksummed zlib stream of at most 4 KiB.
    #[error("invalid zlib stream: {0}")]
    Zlib(&'static str),
    /// The decompressed bytes are not a NAC1 COSE_Sign1 structure.
    #[error("invalid COSE_Sign1: {0}")]
    Cose(&'static str),
    /// The claims inside the COSE payload are not a well-formed NAC1 claims map.
    #[error("invalid claims encoding: {0}")]
    ClaimsEncoding(&'static str),
}
