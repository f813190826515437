//! The COSE_Sign1 layer (RFC 9052 §4.2), restricted to exactly what NAC1 uses:
//!
//! ```text
//! 18([                      / tag 18: COSE_Sign1 /
//!   h'A2 01 27 04 48 <kid>', / protected: {1: -8 (EdDSA), 4: kid (8 bytes)} /
//!   {},                     / unprotected: empty /
//!   h'<claims map>',        / payload /
//!   h'<64-byte signature>'  / Ed25519 over the Sig_structure /
//! ])
//! ```
//!
//! The signature covers `["Signature1", protected, h'', payload]` (RFC 9052 §4.4).

use minicbor::Decoder;

use crate::cbor;
use crate::key::{KeyId, PublicKey, StationKey};
use crate::CredentialError;

/// CBOR tag that marks a COSE_Sign1 message (RFC 9052 §2).
pub(crate) const TAG_COSE_SIGN1: u64 = 18;
/// COSE header label `alg`.
const LABEL_ALG: i64 = 1;
/// COSE header label `kid`.
const LABEL_KID: i64 = 4;
/// COSE algorithm `EdDSA`.
const ALG_EDDSA: i64 = -8;
/// Ed25519 signature length.
const SIGNATURE_LEN: usize = 64;

/// The protected header `{1: -8, 4: h'<kid>'}` as the bytes that are signed.
fn protected_header(kid: &KeyId) -> [u8; 13] {
    let mut h = [0xa2, 0x01, 0x27, 0x04, 0x48, 0, 0, 0, 0, 0, 0, 0, 0];
    h[5..].copy_from_slice(&kid.0);
    h
}

/// Appends the Sig_structure `["Signature1", protected, h'', payload]`.
fn sig_structure(protected: &[u8], payload: &[u8], out: &mut Vec<u8>) {
    cbor::head(out, cbor::MAJOR_ARRAY, 4);
    cbor::text(out, "Signature1");
    cbor::bytes(out, protected);
    cbor::bytes(out, &[]);
    cbor::bytes(out, payload);
}

/// Signs `payload` (the encoded claims) with `key`, naming `kid` in the protected header, and
/// returns the tagged COSE_Sign1 bytes. `kid` is a parameter only so tests can forge.
pub(crate) fn sign(payload: &[u8], key: &StationKey, kid: &KeyId) -> Vec<u8> {
    let protected = protected_header(kid);
    let mut buf = Vec::with_capacity(payload.len() + 32);
    sig_structure(&protected, payload, &mut buf);
    let signature = key.sign(&buf);
    buf.clear();
    buf.reserve(payload.len() + protected.len() + SIGNATURE_LEN + 8);
    cbor::head(&mut buf, cbor::MAJOR_TAG, TAG_COSE_SIGN1);
    cbor::head(&mut buf, cbor::MAJOR_ARRAY, 4);
    cbor::bytes(&mut buf, &protected);
    cbor::head(&mut buf, cbor::MAJOR_MAP, 0);
    cbor::bytes(&mut buf, payload);
    cbor::bytes(&mut buf, &signature);
    buf
}

/// A parsed COSE_Sign1, borrowing from the decompressed bytes.
#[derive(Debug)]
pub(crate) struct Sign1<'a> {
    protected: &'a [u8],
    pub(crate) payload: &'a [u8],
    signature: [u8; SIGNATURE_LEN],
    pub(crate) kid: KeyId,
}

impl<'a> Sign1<'a> {
    /// Parses a tagged COSE_Sign1 that must fill `bytes` exactly, with the NAC1 headers.
    pub(crate) fn parse(bytes: &'a [u8]) -> Result<Self, CredentialError> {
        use CredentialError::Cose as E;
        let mut d = Decoder::new(bytes);
        if d.tag().map_err(|_| E("not tagged"))?.as_u64() != TAG_COSE_SIGN1 {
            return Err(E("not tagged 18 (COSE_Sign1)"));
        }
        if d.array().map_err(|_| E("not an array"))? != Some(4) {
            return Err(E("not an array of 4"));
        }
        let protected = d
            .bytes()
            .map_err(|_| E("protected header is not a byte string"))?;
        let kid = parse_protected(protected)?;
        if d.map().map_err(|_| E("unprotected header is not a map"))? != Some(0) {
            return Err(E("unprotected header must be empty"));
        }
        let payload = d.bytes().map_err(|_| E("payload is not a byte string"))?;
        let signature = d.bytes().map_err(|_| E("signature is not a byte string"))?;
        let signature = <[u8; SIGNATURE_LEN]>::try_from(signature)
            .map_err(|_| E("signature is not 64 bytes"))?;
        if d.position() != bytes.len() {
            return Err(E("trailing bytes after COSE_Sign1"));
        }
        Ok(Self {
            protected,
            payload,
            signature,
            kid,
        })
    }

    /// Whether the signature is `public_key`'s over these exact protected and payload bytes.
    pub(crate) fn verify(&self, public_key: &PublicKey) -> bool {
        let mut tbs = Vec::with_capacity(self.protected.len() + self.payload.len() + 24);
        sig_structure(self.protected, self.payload, &mut tbs);
        public_key.verify(&tbs, &self.signature)
    }
}

/// Parses the protected header: a map with exactly `1: -8` and `4: bytes(8)`, in any order.
fn parse_protected(bytes: &[u8]) -> Result<KeyId, CredentialError> {
    use CredentialError::Cose as E;
    let mut d = Decoder::new(bytes);
    if d.map().map_err(|_| E("protected header is not a map"))? != Some(2) {
        return Err(E("protected header must have exactly alg and kid"));
    }
    let (mut alg, mut kid) = (None, None);
    for _ in 0..2 {
        match d.i64().map_err(|_| E("header label is not an integer"))? {
            LABEL_ALG if alg.is_none() => {
                alg = Some(d.i64().map_err(|_| E("alg is not an integer"))?);
            }
            LABEL_KID if kid.is_none() => {
                let b = d.bytes().map_err(|_| E("kid is not a byte string"))?;
                kid = Some(KeyId(
                    <[u8; 8]>::try_from(b).map_err(|_| E("kid is not 8 bytes"))?,
                ));
            }
            _ => return Err(E("unexpected or duplicate protected header label")),
        }
    }
    if d.position() != bytes.len() {
        return Err(E("trailing bytes in protected header"));
    }
    if alg != Some(ALG_EDDSA) {
        return Err(E("alg is not EdDSA (-8)"));
    }
    kid.ok_or(E("missing kid"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> StationKey {
        StationKey::from_secret_bytes(&[7; 32])
    }

    #[test]
    fn layout_is_the_documented_one() {
        let k = key();
        let cose = sign(b"\xa0", &k, &k.kid());
        let mut expected = vec![0xd2, 0x84, 0x4d, 0xa2, 0x01, 0x27, 0x04, 0x48];
        expected.extend_from_slice(&k.kid().0);
        expected.extend_from_slice(&[0xa0, 0x41, 0xa0, 0x58, 0x40]);
        assert_eq!(cose[..expected.len()], expected[..]);
        assert_eq!(cose.len(), expected.len() + 64);
        let parsed = Sign1::parse(&cose).unwrap();
        assert_eq!(parsed.kid, k.kid());
        assert_eq!(parsed.payload, b"\xa0");
        assert!(parsed.verify(&k.public_key()));
    }

    #[test]
    fn sig_structure_is_rfc_9052_section_4_4() {
        let mut tbs = Vec::new();
        sig_structure(&[0xa1, 0x01, 0x27], b"hi", &mut tbs);
        assert_eq!(
            tbs,
            b"\x84\x6aSignature1\x43\xa1\x01\x27\x40\x42hi".to_vec()
        );
    }

    #[test]
    fn signature_under_another_key_does_not_verify() {
        let (a, b) = (key(), StationKey::from_secret_bytes(&[8; 32]));
        // b signs, but names a's kid: parses, yet a's public key rejects it.
        let cose = sign(b"\xa0", &b, &a.kid());
        let parsed = Sign1::parse(&cose).unwrap();
        assert_eq!(parsed.kid, a.kid());
        assert!(!parsed.verify(&a.public_key()));
        assert!(parsed.verify(&b.public_key()));
    }

    #[test]
    fn accepts_headers_in_either_order() {
        let k = key();
        let mut header = vec![0xa2, 0x04, 0x48];
        header.extend_from_slice(&k.kid().0);
        header.extend_from_slice(&[0x01, 0x27]);
        assert_eq!(parse_protected(&header), Ok(k.kid()));
    }

    #[test]
    fn rejects_deviations() {
        let k = key();
        let good = sign(b"\xa0", &k, &k.kid());
        let kid = k.kid().0;
        let mut cases: Vec<(&str, Vec<u8>)> = Vec::new();
        let mut untagged = good.clone();
        untagged.remove(0);
        cases.push(("untagged", untagged));
        let mut tag98 = good.clone();
        tag98.splice(0..1, [0xd8, 0x62]);
        cases.push(("tag 98", tag98));
        let mut three = good.clone();
        three[1] = 0x83;
        cases.push(("array of 3", three));
        let mut unprotected = good.clone();
        unprotected[16] = 0xa1;
        unprotected.splice(17..17, [0x04, 0x40]);
        cases.push(("non-empty unprotected", unprotected));
        let mut trailing = good.clone();
        trailing.push(0);
        cases.push(("trailing", trailing));
        let mut short_sig = good.clone();
        short_sig.pop();
        cases.push(("truncated signature", short_sig));
        let mut sig63 = good.clone();
        let n = sig63.len();
        sig63[n - 65] = 0x3f;
        sig63.pop();
        cases.push(("63-byte signature", sig63));
        for (what, bytes) in cases {
            assert!(Sign1::parse(&bytes).is_err(), "{what} accepted");
        }

        let headers: Vec<(&str, Vec<u8>)> = vec![
            (
                "alg ES256",
                [&[0xa2, 0x01, 0x26, 0x04, 0x48][..], &kid].concat(),
            ),
            ("alg missing", [&[0xa1, 0x04, 0x48][..], &kid].concat()),
            ("kid missing", vec![0xa1, 0x01, 0x27]),
            (
                "kid 7 bytes",
                [&[0xa2, 0x01, 0x27, 0x04, 0x47][..], &kid[..7]].concat(),
            ),
            (
                "kid as text",
                [&[0xa2, 0x01, 0x27, 0x04, 0x68][..], &kid].concat(),
            ),
            ("duplicate alg", vec![0xa2, 0x01, 0x27, 0x01, 0x27]),
            (
                "extra label",
                [&[0xa3, 0x01, 0x27, 0x04, 0x48][..], &kid, &[0x03, 0x00]].concat(),
            ),
            (
                "alg as text",
                [&[0xa2, 0x01, 0x65][..], b"EdDSA", &[0x04, 0x48], &kid].concat(),
            ),
            (
                "trailing",
                [&[0xa2, 0x01, 0x27, 0x04, 0x48][..], &kid, &[0x00]].concat(),
            ),
            ("empty", vec![]),
            (
                "indefinite map",
                [&[0xbf, 0x01, 0x27, 0x04, 0x48][..], &kid, &[0xff]].concat(),
            ),
        ];
        for (what, header) in headers {
            assert!(parse_protected(&header).is_err(), "{what} accepted");
        }
    }
}
