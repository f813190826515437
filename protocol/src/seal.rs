//! Sealed texts: what the hub stores and hands from station to station but must not read.
//!
//! # Why
//!
//! The hub holds no identity, even when its database is stolen (DESIGN §5). Yet it must hand
//! one station the code another station issued (R2 across stations), and a credential shows a
//! masked name and the last 4 characters of the number — fragments that, with the district
//! secret, let anyone holding the hub's data recover full ID numbers by enumerating birth dates
//! (issue 15, item 1). So:
//!
//! * a station's credential travels to the hub twice: in the clear, for the hub to verify its
//!   signature and claims in memory, and **sealed** under a key derived from the district
//!   secret — the only form the hub stores and hands on. Stations open it; the hub cannot;
//! * the district secret itself reaches a station **sealed under its one-time enrolment code**,
//!   which the hub stores only as a SHA-256: the hub's database never holds the secret in a
//!   form it can open.
//!
//! Both use XChaCha20-Poly1305 (a random 192-bit nonce per seal, so no nonce bookkeeping) with
//! keys from HKDF-SHA256, and bind what the text belongs to as associated data: a sealed
//! credential opens only for its own (kid, serial), a sealed secret only for its station, so a
//! blob moved to another row fails to open instead of being believed.
//!
//! Text form: `NACS1:` + unpadded URL-safe Base64 of nonce ‖ ciphertext ‖ tag.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hkdf::Hkdf;
use nac_credential::KeyId;
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::DistrictSecret;

/// The prefix of every sealed text.
pub const SEALED_PREFIX: &str = "NACS1:";
/// The longest sealed text either side accepts (a sealed credential is ~380 characters).
pub const MAX_SEALED_LEN: usize = 2048;

const NONCE_LEN: usize = 24;
const TAG_LEN: usize = 16;
const SALT: &[u8] = b"NAC-SEAL-1";

/// Why a sealed text did not open.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    /// Not `NACS1:` + Base64 of the right length.
    #[error("not a sealed text")]
    Malformed,
    /// The key or the associated data is not the one it was sealed with, or it was altered.
    #[error("the sealed text does not open with this key (altered, or sealed for another code)")]
    WrongKey,
    /// The opened bytes are not what was sealed (not UTF-8, not 32 bytes).
    #[error("the sealed content is not what was expected")]
    BadContent,
    /// No random numbers for the nonce.
    #[error("random source failed")]
    Random,
}

fn derive(ikm: &[u8], info: &[u8]) -> Zeroizing<[u8; 32]> {
    let mut key = Zeroizing::new([0u8; 32]);
    // 32 bytes is far below HKDF-SHA256's 8160-byte limit: `expand` cannot fail here.
    let _ = Hkdf::<Sha256>::new(Some(SALT), ikm).expand(info, key.as_mut());
    key
}

fn seal(key: &[u8; 32], aad: &[u8], plain: &[u8]) -> Result<String, SealError> {
    let mut nonce = [0u8; NONCE_LEN];
    getrandom::fill(&mut nonce).map_err(|_| SealError::Random)?;
    seal_with(key, aad, plain, nonce)
}

fn seal_with(
    key: &[u8; 32],
    aad: &[u8],
    plain: &[u8],
    nonce: [u8; NONCE_LEN],
) -> Result<String, SealError> {
    let cipher = XChaCha20Poly1305::new(key.into());
    let sealed = cipher
        .encrypt(XNonce::from_slice(&nonce), Payload { msg: plain, aad })
        .map_err(|_| SealError::Malformed)?;
    let mut bytes = Vec::with_capacity(NONCE_LEN + sealed.len());
    bytes.extend_from_slice(&nonce);
    bytes.extend_from_slice(&sealed);
    Ok(format!("{SEALED_PREFIX}{}", URL_SAFE_NO_PAD.encode(bytes)))
}

fn open(key: &[u8; 32], aad: &[u8], text: &str) -> Result<Zeroizing<Vec<u8>>, SealError> {
    if text.len() > MAX_SEALED_LEN {
        return Err(SealError::Malformed);
    }
    let body = text
        .strip_prefix(SEALED_PREFIX)
        .ok_or(SealError::Malformed)?;
    let bytes = URL_SAFE_NO_PAD
        .decode(body)
        .map_err(|_| SealError::Malformed)?;
    if bytes.len() < NONCE_LEN + TAG_LEN {
        return Err(SealError::Malformed);
    }
    let (nonce, sealed) = bytes.split_at(NONCE_LEN);
    XChaCha20Poly1305::new(key.into())
        .decrypt(XNonce::from_slice(nonce), Payload { msg: sealed, aad })
        .map(Zeroizing::new)
        .map_err(|_| SealError::WrongKey)
}

fn credential_aad(kid: &KeyId, serial: &str) -> Vec<u8> {
    format!("credential\n{kid}\n{serial}").into_bytes()
}

/// Whether `text` has the form of a sealed text (prefix and size; not whether it opens).
pub fn is_sealed_text(text: &str) -> bool {
    text.len() <= MAX_SEALED_LEN
        && text
            .strip_prefix(SEALED_PREFIX)
            .is_some_and(|b| b.len() >= 54 && b.bytes().all(is_base64url))
}

fn is_base64url(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'_'
}

/// Seals a station's credential text for the hub to store and hand to other stations.
pub fn seal_credential(
    secret: &DistrictSecret,
    kid: &KeyId,
    serial: &str,
    credential: &str,
) -> Result<String, SealError> {
    let key = derive(&secret.0, b"credential");
    seal(&key, &credential_aad(kid, serial), credential.as_bytes())
}

/// [`seal_credential`] with a chosen nonce: **for reproducible test vectors and documentation
/// examples only** (a nonce must never repeat under one key; the real one is random).
#[doc(hidden)]
pub fn seal_credential_with_nonce(
    secret: &DistrictSecret,
    kid: &KeyId,
    serial: &str,
    credential: &str,
    nonce: [u8; 24],
) -> Result<String, SealError> {
    let key = derive(&secret.0, b"credential");
    seal_with(
        &key,
        &credential_aad(kid, serial),
        credential.as_bytes(),
        nonce,
    )
}

/// [`seal_district_secret`] with a chosen nonce: for test vectors only.
#[doc(hidden)]
pub fn seal_district_secret_with_nonce(
    code: &str,
    station: &str,
    secret: &DistrictSecret,
    nonce: [u8; 24],
) -> Result<String, SealError> {
    seal_with(&secret_key(code), station.as_bytes(), &secret.0, nonce)
}

/// Opens a credential sealed by [`seal_credential`] for the code (`kid`, `serial`).
pub fn open_credential(
    secret: &DistrictSecret,
    kid: &KeyId,
    serial: &str,
    sealed: &str,
) -> Result<String, SealError> {
    let key = derive(&secret.0, b"credential");
    let plain = open(&key, &credential_aad(kid, serial), sealed)?;
    String::from_utf8(plain.to_vec()).map_err(|_| SealError::BadContent)
}

/// An enrolment code in its canonical form: uppercase, without `-` or spaces, so a volunteer
/// may type it in lowercase or without dashes (the hub hashes, and the station derives, from
/// this form).
pub fn normalize_enrolment_code(code: &str) -> String {
    code.chars()
        .filter(|c| !matches!(c, '-' | ' '))
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

fn secret_key(code: &str) -> Zeroizing<[u8; 32]> {
    let normal = Zeroizing::new(normalize_enrolment_code(code));
    derive(normal.as_bytes(), b"district-secret")
}

/// Seals the district secret under a one-time enrolment code, for station `station`: what the
/// hub stores beside the code's hash until the code is used (it never holds the code itself).
pub fn seal_district_secret(
    code: &str,
    station: &str,
    secret: &DistrictSecret,
) -> Result<String, SealError> {
    seal(&secret_key(code), station.as_bytes(), &secret.0)
}

/// Opens the district secret a station received at enrolment, with the code it enrolled with.
pub fn open_district_secret(
    code: &str,
    station: &str,
    sealed: &str,
) -> Result<DistrictSecret, SealError> {
    let plain = open(&secret_key(code), station.as_bytes(), sealed)?;
    let bytes = <[u8; 32]>::try_from(plain.as_slice()).map_err(|_| SealError::BadContent)?;
    Ok(DistrictSecret(bytes))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn kid(n: u8) -> KeyId {
        KeyId([n; 8])
    }

    #[test]
    fn a_credential_opens_only_for_its_code_and_district() {
        let secret = DistrictSecret([7; 32]);
        let sealed = seal_credential(&secret, &kid(1), "7K3QD9XAZM", "NAC1:ABC").unwrap();
        assert!(is_sealed_text(&sealed), "{sealed}");
        assert!(!sealed.contains("NAC1"), "the clear text must not show");
        assert_eq!(
            open_credential(&secret, &kid(1), "7K3QD9XAZM", &sealed).unwrap(),
            "NAC1:ABC"
        );
        // Moved to another code's row, or opened with another district's secret: refused.
        assert_eq!(
            open_credential(&secret, &kid(2), "7K3QD9XAZM", &sealed),
            Err(SealError::WrongKey)
        );
        assert_eq!(
            open_credential(&secret, &kid(1), "7K3QD9XAZN", &sealed),
            Err(SealError::WrongKey)
        );
        assert_eq!(
            open_credential(&DistrictSecret([8; 32]), &kid(1), "7K3QD9XAZM", &sealed),
            Err(SealError::WrongKey)
        );
        // Two seals of the same text differ (fresh nonce), both open.
        let again = seal_credential(&secret, &kid(1), "7K3QD9XAZM", "NAC1:ABC").unwrap();
        assert_ne!(again, sealed);
        assert!(open_credential(&secret, &kid(1), "7K3QD9XAZM", &again).is_ok());
    }

    #[test]
    fn a_flipped_character_or_bad_form_is_refused() {
        let secret = DistrictSecret([7; 32]);
        let sealed = seal_credential(&secret, &kid(1), "S1", "NAC1:ABC").unwrap();
        let mut bytes = sealed.clone().into_bytes();
        let last = bytes.len() - 3;
        bytes[last] = if bytes[last] == b'A' { b'B' } else { b'A' };
        let flipped = String::from_utf8(bytes).unwrap();
        assert_eq!(
            open_credential(&secret, &kid(1), "S1", &flipped),
            Err(SealError::WrongKey)
        );
        for bad in [
            "",
            "NACS1:",
            "NAC1:abc",
            "NACS1:!!!!",
            &"NACS1:A".repeat(400),
        ] {
            assert!(
                open_credential(&secret, &kid(1), "S1", bad).is_err(),
                "{bad}"
            );
            assert!(!is_sealed_text(bad), "{bad}");
        }
    }

    #[test]
    fn the_district_secret_opens_with_its_code_in_any_spelling_for_its_station() {
        let secret = DistrictSecret([9; 32]);
        let sealed = seal_district_secret("K7Q2-9XMA-4HTB-E3WR", "ST-4KQ2PZ", &secret).unwrap();
        let opened = open_district_secret("k7q29xma4htbe3wr", "ST-4KQ2PZ", &sealed).unwrap();
        assert_eq!(opened, secret);
        assert_eq!(
            open_district_secret("K7Q2-9XMA-4HTB-E3WS", "ST-4KQ2PZ", &sealed),
            Err(SealError::WrongKey)
        );
        assert_eq!(
            open_district_secret("K7Q2-9XMA-4HTB-E3WR", "ST-AAAAAA", &sealed),
            Err(SealError::WrongKey)
        );
    }
}
