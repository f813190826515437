//! An independent implementation of the outer layers and the envelope, written from
//! docs/credential.md, to build texts the crate's API would never issue.

use std::io::Write;

use ed25519_dalek::{Signer, SigningKey};
use nac_credential::{base45, StationKey};

/// `NAC1:` + Base45(zlib(bytes)).
pub fn wrap(cose: &[u8]) -> String {
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    z.write_all(cose).unwrap();
    format!("NAC1:{}", base45::encode(&z.finish().unwrap()))
}

fn bstr(out: &mut Vec<u8>, b: &[u8]) {
    match b.len() {
        n @ 0..=23 => out.push(0x40 | n as u8),
        n @ 24..=255 => out.extend_from_slice(&[0x58, n as u8]),
        n => {
            out.push(0x59);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        }
    }
    out.extend_from_slice(b);
}

/// A tagged COSE_Sign1 over arbitrary `payload` bytes, signed by `key` as the document says.
pub fn sign1(payload: &[u8], key: &StationKey) -> Vec<u8> {
    let mut protected = vec![0xa2, 0x01, 0x27, 0x04, 0x48];
    protected.extend_from_slice(&key.kid().0);
    let mut tbs = vec![0x84, 0x6a];
    tbs.extend_from_slice(b"Signature1");
    bstr(&mut tbs, &protected);
    bstr(&mut tbs, &[]);
    bstr(&mut tbs, payload);
    let signature = SigningKey::from_bytes(&key.secret_bytes())
        .sign(&tbs)
        .to_bytes();
    let mut cose = vec![0xd2, 0x84];
    bstr(&mut cose, &protected);
    cose.push(0xa0);
    bstr(&mut cose, payload);
    bstr(&mut cose, &signature);
    cose
}
