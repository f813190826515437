//! Request signatures: how the hub knows a request comes from the station it names, unaltered
//! and not replayed.
//!
//! Every station request carries four headers:
//!
//! | header | value |
//! |---|---|
//! | `x-nac-station` | the station id (or `phone` for the phone gateway) |
//! | `x-nac-timestamp` | unix seconds when signed; the hub refuses more than 5 minutes off its clock |
//! | `x-nac-nonce` | 16–64 random bytes as lowercase hex; the hub refuses a nonce it has seen |
//! | `x-nac-signature` | Ed25519 (RFC 8032, strict) by the station key over the canonical string, 128 lowercase hex digits |
//!
//! The canonical string is seven lines joined by `\n` (no trailing newline):
//!
//! ```text
//! NAC-REQ-1
//! <METHOD, uppercase>
//! <path and query exactly as sent, e.g. /v1/pull?since=42&limit=1000>
//! <SHA-256 of the body, 64 lowercase hex digits (of the empty string for a GET)>
//! <timestamp, decimal>
//! <nonce>
//! <station id>
//! ```
//!
//! Why this shape: the version tag keeps signatures of a future scheme from being replayed as
//! this one; hashing the body lets the string stay small and line-based whatever the body holds;
//! every field the hub acts on (method, path, query, body, time, nonce, station) is covered, so
//! none can be changed without breaking the signature. Ed25519 is what stations already sign
//! their credentials with: one key per station, no shared secret on the hub that could leak.
//! TLS (e.g. a reverse proxy) protects confidentiality; the signature does not depend on it.

use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use nac_credential::{PublicKey, StationKey};
use sha2::{Digest, Sha256};

/// The first line of the canonical string: names this scheme and its version.
pub const SIGNATURE_TAG: &str = "NAC-REQ-1";
/// Header naming the station (or `phone`).
pub const HEADER_STATION: &str = "x-nac-station";
/// Header with the signing time, unix seconds.
pub const HEADER_TIMESTAMP: &str = "x-nac-timestamp";
/// Header with the random nonce, lowercase hex.
pub const HEADER_NONCE: &str = "x-nac-nonce";
/// Header with the signature, 128 lowercase hex digits.
pub const HEADER_SIGNATURE: &str = "x-nac-signature";
/// How far a request's timestamp may be from the hub's clock, either way: 5 minutes.
pub const MAX_REQUEST_SKEW_SECS: i64 = 300;

const MIN_NONCE_HEX: usize = 32;
const MAX_NONCE_HEX: usize = 128;

/// Why a request's signature headers are refused (HTTP 401).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// A signature header is absent.
    #[error("missing header {0}")]
    MissingHeader(&'static str),
    /// A signature header is not in its required form.
    #[error("malformed header {0}")]
    MalformedHeader(&'static str),
    /// The timestamp is more than 5 minutes from the verifier's clock.
    #[error("timestamp is {0} s from the hub's clock (at most 300 s allowed)")]
    Stale(i64),
    /// The signature does not verify under the station's key.
    #[error("signature does not verify")]
    BadSignature,
}

/// The four signature headers of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedHeaders {
    /// `x-nac-station`.
    pub station: String,
    /// `x-nac-timestamp`.
    pub timestamp: i64,
    /// `x-nac-nonce`.
    pub nonce: String,
    /// `x-nac-signature`.
    pub signature: String,
}

impl SignedHeaders {
    /// Reads the headers' values (as received), checking their form but not the signature.
    pub fn parse(
        station: Option<&str>,
        timestamp: Option<&str>,
        nonce: Option<&str>,
        signature: Option<&str>,
    ) -> Result<Self, AuthError> {
        let station = station.ok_or(AuthError::MissingHeader(HEADER_STATION))?;
        let timestamp = timestamp.ok_or(AuthError::MissingHeader(HEADER_TIMESTAMP))?;
        let nonce = nonce.ok_or(AuthError::MissingHeader(HEADER_NONCE))?;
        let signature = signature.ok_or(AuthError::MissingHeader(HEADER_SIGNATURE))?;
        if station.is_empty()
            || station.len() > 64
            || !station.bytes().all(|b| b.is_ascii_graphic())
        {
            return Err(AuthError::MalformedHeader(HEADER_STATION));
        }
        let timestamp = match timestamp.parse::<i64>() {
            Ok(t) if timestamp.bytes().all(|b| b.is_ascii_digit()) => t,
            _ => return Err(AuthError::MalformedHeader(HEADER_TIMESTAMP)),
        };
        if !is_lower_hex(nonce)
            || !(MIN_NONCE_HEX..=MAX_NONCE_HEX).contains(&nonce.len())
            || nonce.len() % 2 != 0
        {
            return Err(AuthError::MalformedHeader(HEADER_NONCE));
        }
        if signature.len() != 128 || !is_lower_hex(signature) {
            return Err(AuthError::MalformedHeader(HEADER_SIGNATURE));
        }
        Ok(Self {
            station: station.to_owned(),
            timestamp,
            nonce: nonce.to_owned(),
            signature: signature.to_owned(),
        })
    }

    /// The headers as `(name, value)` pairs, ready to add to a request.
    pub fn pairs(&self) -> [(&'static str, String); 4] {
        [
            (HEADER_STATION, self.station.clone()),
            (HEADER_TIMESTAMP, self.timestamp.to_string()),
            (HEADER_NONCE, self.nonce.clone()),
            (HEADER_SIGNATURE, self.signature.clone()),
        ]
    }
}

/// GET or POST: the only methods of the protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
        }
    }
}

/// Who signs a request: the station id (or [`crate::PHONE_CHANNEL`] for the phone gateway) and
/// its key.
#[derive(Clone)]
pub struct RequestSigner {
    pub station: String,
    pub key: StationKey,
}

impl RequestSigner {
    /// Signs a request at `timestamp` with `nonce` (see [`sign_request`]).
    pub fn sign(
        &self,
        method: Method,
        path_and_query: &str,
        body: &[u8],
        timestamp: i64,
        nonce: &str,
    ) -> SignedHeaders {
        sign_request(
            &self.key,
            &self.station,
            method.as_str(),
            path_and_query,
            body,
            timestamp,
            nonce,
        )
    }
}

/// The canonical string that is signed (see the module documentation).
pub fn canonical_request(
    method: &str,
    path_and_query: &str,
    body: &[u8],
    timestamp: i64,
    nonce: &str,
    station: &str,
) -> String {
    let body_hash = hex::encode(Sha256::digest(body));
    format!(
        "{SIGNATURE_TAG}\n{}\n{path_and_query}\n{body_hash}\n{timestamp}\n{nonce}\n{station}",
        method.to_ascii_uppercase()
    )
}

/// Signs a request as `station` with its key, at `timestamp` with `nonce` (use
/// [`crate::random_hex`]`(16)` for a fresh one).
pub fn sign_request(
    key: &StationKey,
    station: &str,
    method: &str,
    path_and_query: &str,
    body: &[u8],
    timestamp: i64,
    nonce: &str,
) -> SignedHeaders {
    let text = canonical_request(method, path_and_query, body, timestamp, nonce, station);
    SignedHeaders {
        station: station.to_owned(),
        timestamp,
        nonce: nonce.to_owned(),
        signature: hex::encode(sign(key, text.as_bytes())),
    }
}

/// Checks a request's signature under the station's registered `public_key` and its timestamp
/// against `now`. Replay (a nonce seen before) is the caller's check: it needs storage.
pub fn verify_request(
    public_key: &PublicKey,
    method: &str,
    path_and_query: &str,
    body: &[u8],
    headers: &SignedHeaders,
    now: i64,
) -> Result<(), AuthError> {
    let skew = headers.timestamp.saturating_sub(now);
    if skew.saturating_abs() > MAX_REQUEST_SKEW_SECS {
        return Err(AuthError::Stale(skew));
    }
    let text = canonical_request(
        method,
        path_and_query,
        body,
        headers.timestamp,
        &headers.nonce,
        &headers.station,
    );
    if verify(public_key, text.as_bytes(), &headers.signature) {
        Ok(())
    } else {
        Err(AuthError::BadSignature)
    }
}

/// The message a station signs at enrolment to prove it holds the key it registers:
/// `NAC-ENROL-1\n<enrolment code>\n<public key hex>`.
pub fn enrolment_message(enrolment_code: &str, public_key: &PublicKey) -> String {
    format!("NAC-ENROL-1\n{enrolment_code}\n{public_key}")
}

/// The enrolment proof (hex signature over [`enrolment_message`]).
pub fn enrolment_proof(key: &StationKey, enrolment_code: &str) -> String {
    hex::encode(sign(
        key,
        enrolment_message(enrolment_code, &key.public_key()).as_bytes(),
    ))
}

/// Checks an enrolment proof.
pub fn verify_enrolment_proof(public_key: &PublicKey, enrolment_code: &str, proof: &str) -> bool {
    verify(
        public_key,
        enrolment_message(enrolment_code, public_key).as_bytes(),
        proof,
    )
}

/// What a station signs with its new key when rotating: the scheme, the station and the new key.
pub fn rotation_message(station: &str, public_key: &PublicKey) -> String {
    format!("NAC-ROTATE-1\n{station}\n{public_key}")
}

/// The rotation proof (hex signature by the new key over [`rotation_message`]).
pub fn rotation_proof(new_key: &StationKey, station: &str) -> String {
    hex::encode(sign(
        new_key,
        rotation_message(station, &new_key.public_key()).as_bytes(),
    ))
}

/// Checks a rotation proof.
pub fn verify_rotation_proof(public_key: &PublicKey, station: &str, proof: &str) -> bool {
    verify(
        public_key,
        rotation_message(station, public_key).as_bytes(),
        proof,
    )
}

fn sign(key: &StationKey, message: &[u8]) -> [u8; 64] {
    let mut secret = key.secret_bytes();
    let signing = SigningKey::from_bytes(&secret);
    secret.fill(0);
    signing.sign(message).to_bytes()
}

fn verify(public_key: &PublicKey, message: &[u8], signature_hex: &str) -> bool {
    let mut signature = [0u8; 64];
    if signature_hex.len() != 128
        || !is_lower_hex(signature_hex)
        || hex::decode_to_slice(signature_hex, &mut signature).is_err()
    {
        return false;
    }
    let Ok(key) = VerifyingKey::from_bytes(&public_key.to_bytes()) else {
        return false;
    };
    key.verify_strict(message, &Signature::from_bytes(&signature))
        .is_ok()
}

pub(crate) fn is_lower_hex(s: &str) -> bool {
    s.bytes()
        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}
