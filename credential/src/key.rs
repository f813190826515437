//! Station keys (Ed25519), public keys and key ids.

use std::fmt;
use std::str::FromStr;

use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest, Sha256};

use crate::CredentialError;

/// A station's Ed25519 signing key.
///
/// The secret is wiped from memory when the key is dropped. `Debug` shows only the key id.
#[derive(Clone)]
pub struct StationKey {
    signing: SigningKey,
    /// Cached: issuing needs it every time.
    kid: KeyId,
}

impl StationKey {
    /// A fresh key from the operating system's random source.
    pub fn generate() -> Result<Self, CredentialError> {
        let mut secret = [0u8; 32];
        getrandom::fill(&mut secret).map_err(|e| CredentialError::Random(e.to_string()))?;
        let key = Self::from_secret_bytes(&secret);
        secret.fill(0);
        Ok(key)
    }

    /// The key whose 32-byte Ed25519 secret (RFC 8032 seed) is `bytes`.
    pub fn from_secret_bytes(bytes: &[u8; 32]) -> Self {
        let signing = SigningKey::from_bytes(bytes);
        let kid = PublicKey(signing.verifying_key()).kid();
        Self { signing, kid }
    }

    /// The 32-byte secret, for storing the key (keep it secret).
    pub fn secret_bytes(&self) -> [u8; 32] {
        self.signing.to_bytes()
    }

    /// The public half, which verifiers put in their trust list.
    pub fn public_key(&self) -> PublicKey {
        PublicKey(self.signing.verifying_key())
    }

    /// The key id of [`Self::public_key`].
    pub fn kid(&self) -> KeyId {
        self.kid
    }

    /// Ed25519 signature of `message` (deterministic: same key and message, same signature).
    pub(crate) fn sign(&self, message: &[u8]) -> [u8; 64] {
        self.signing.sign(message).to_bytes()
    }
}

impl fmt::Debug for StationKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StationKey")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

/// An Ed25519 public key. Displays, parses and serialises as 64 lowercase hex digits.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct PublicKey(VerifyingKey);

impl PublicKey {
    /// Parses a 32-byte Ed25519 public key, rejecting bytes that are not a curve point and the
    /// weak (small-order) points, for which signatures mean nothing.
    pub fn from_bytes(bytes: &[u8; 32]) -> Result<Self, CredentialError> {
        let key = VerifyingKey::from_bytes(bytes).map_err(|_| CredentialError::InvalidPublicKey)?;
        if key.is_weak() {
            return Err(CredentialError::InvalidPublicKey);
        }
        Ok(Self(key))
    }

    /// The 32 bytes of the key.
    pub fn to_bytes(&self) -> [u8; 32] {
        self.0.to_bytes()
    }

    /// The key id: the first 8 bytes of SHA-256 of the 32 key bytes.
    pub fn kid(&self) -> KeyId {
        let digest = Sha256::digest(self.0.as_bytes());
        let mut kid = [0u8; 8];
        kid.copy_from_slice(&digest[..8]);
        KeyId(kid)
    }

    /// Strict Ed25519 verification (rejects non-canonical and malleable signatures).
    pub(crate) fn verify(&self, message: &[u8], signature: &[u8; 64]) -> bool {
        self.0
            .verify_strict(message, &Signature::from_bytes(signature))
            .is_ok()
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({self})")
    }
}

impl fmt::Display for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_hex(f, self.0.as_bytes())
    }
}

impl FromStr for PublicKey {
    type Err = CredentialError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::from_bytes(&parse_hex::<32>(s)?)
    }
}

/// Identifies a station key inside a credential: the first 8 bytes of SHA-256 of the 32 public
/// key bytes. Displays, parses and serialises as 16 lowercase hex digits (parsing accepts
/// uppercase too).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct KeyId(pub [u8; 8]);

impl fmt::Debug for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyId({self})")
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_hex(f, &self.0)
    }
}

impl FromStr for KeyId {
    type Err = CredentialError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_hex::<8>(s).map(KeyId)
    }
}

macro_rules! serde_as_hex {
    ($t:ty, $what:literal) => {
        impl Serialize for $t {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_str(self)
            }
        }

        impl<'de> Deserialize<'de> for $t {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
                text.parse().map_err(|_| {
                    serde::de::Error::invalid_value(serde::de::Unexpected::Str(&text), &$what)
                })
            }
        }
    };
}

serde_as_hex!(KeyId, "16 hexadecimal digits");
serde_as_hex!(PublicKey, "64 hexadecimal digits of an Ed25519 public key");

fn write_hex(f: &mut fmt::Formatter<'_>, bytes: &[u8]) -> fmt::Result {
    bytes.iter().try_for_each(|b| write!(f, "{b:02x}"))
}

fn parse_hex<const N: usize>(s: &str) -> Result<[u8; N], CredentialError> {
    let s = s.as_bytes();
    if s.len() != 2 * N {
        return Err(CredentialError::InvalidHex);
    }
    let mut out = [0u8; N];
    for (byte, pair) in out.iter_mut().zip(s.chunks_exact(2)) {
        *byte = nibble(pair[0])? << 4 | nibble(pair[1])?;
    }
    Ok(out)
}

fn nibble(c: u8) -> Result<u8, CredentialError> {
    match c {
        b'0'..=b'9' => Ok(c - b'0'),
        b'a'..=b'f' => Ok(c - b'a' + 10),
        b'A'..=b'F' => Ok(c - b'A' + 10),
        _ => Err(CredentialError::InvalidHex),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 8032 §7.1 TEST 1.
    const RFC8032_SECRET: &str = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
    const RFC8032_PUBLIC: &str = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";

    fn rfc_key() -> StationKey {
        StationKey::from_secret_bytes(&parse_hex::<32>(RFC8032_SECRET).unwrap())
    }

    #[test]
    fn public_key_matches_rfc_8032() {
        assert_eq!(rfc_key().public_key().to_string(), RFC8032_PUBLIC);
    }

    #[test]
    fn signature_matches_rfc_8032() {
        // TEST 1 signs the empty message.
        let sig = rfc_key().sign(b"");
        let expected = "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155\
                        5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b";
        let hex: String = sig.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex, expected);
        assert!(rfc_key().public_key().verify(b"", &sig));
        assert!(!rfc_key().public_key().verify(b"x", &sig));
    }

    #[test]
    fn kid_is_sha256_prefix() {
        let pk = rfc_key().public_key();
        let digest = Sha256::digest(pk.to_bytes());
        assert_eq!(pk.kid().0, digest[..8]);
        assert_eq!(rfc_key().kid(), pk.kid());
    }

    #[test]
    fn secret_round_trips() {
        let key = StationKey::generate().unwrap();
        let again = StationKey::from_secret_bytes(&key.secret_bytes());
        assert_eq!(key.public_key(), again.public_key());
        assert_ne!(key.kid(), StationKey::generate().unwrap().kid());
    }

    #[test]
    fn kid_hex_display_parse_and_serde() {
        let kid = KeyId([0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef]);
        assert_eq!(kid.to_string(), "0123456789abcdef");
        assert_eq!("0123456789ABCDEF".parse::<KeyId>(), Ok(kid));
        assert_eq!(serde_json::to_string(&kid).unwrap(), "\"0123456789abcdef\"");
        assert_eq!(
            serde_json::from_str::<KeyId>("\"0123456789abcdef\"").unwrap(),
            kid
        );
        for bad in [
            "",
            "0123456789abcde",
            "0123456789abcdef0",
            "0123456789abcdeg",
            "+123456789abcdef",
        ] {
            assert_eq!(
                bad.parse::<KeyId>(),
                Err(CredentialError::InvalidHex),
                "{bad}"
            );
        }
        assert!(serde_json::from_str::<KeyId>("\"xyz\"").is_err());
    }

    #[test]
    fn public_key_hex_and_serde() {
        let pk = rfc_key().public_key();
        assert_eq!(RFC8032_PUBLIC.parse::<PublicKey>(), Ok(pk));
        let json = serde_json::to_string(&pk).unwrap();
        assert_eq!(json, format!("\"{RFC8032_PUBLIC}\""));
        assert_eq!(serde_json::from_str::<PublicKey>(&json).unwrap(), pk);
        assert_eq!(PublicKey::from_bytes(&pk.to_bytes()), Ok(pk));
    }

    #[test]
    fn rejects_weak_and_invalid_public_keys() {
        // The identity point (small order) and a y coordinate that is not on the curve.
        let mut identity = [0u8; 32];
        identity[0] = 1;
        assert_eq!(
            PublicKey::from_bytes(&identity),
            Err(CredentialError::InvalidPublicKey)
        );
        let mut not_on_curve = [0u8; 32];
        not_on_curve[0] = 2;
        assert_eq!(
            PublicKey::from_bytes(&not_on_curve),
            Err(CredentialError::InvalidPublicKey)
        );
    }

    #[test]
    fn debug_does_not_leak_the_secret() {
        let key = rfc_key();
        let debug = format!("{key:?}");
        assert!(debug.contains(&key.kid().to_string()));
        assert!(!debug.contains("9d61"));
    }
}
