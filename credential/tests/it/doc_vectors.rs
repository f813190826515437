//! The test vectors of docs/credential.md must be reproduced exactly by the code.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failure

use nac_credential::{
    decode_cose, decode_unverified, issue, verify, Claims, KeyId, PublicKey, StationKey, TrustList,
    Verdict, VALIDITY_SECS,
};

const DOC: &str = include_str!("../../../docs/credential.md");

struct Vector {
    name: String,
    fields: Vec<(String, String)>,
}

impl Vector {
    fn get(&self, field: &str) -> &str {
        self.fields
            .iter()
            .find(|(k, _)| k == field)
            .map(|(_, v)| v.as_str())
            .unwrap_or_else(|| panic!("vector {}: missing field {field}", self.name))
    }

    fn int(&self, field: &str) -> i64 {
        self.get(field).parse().unwrap()
    }
}

/// Every ```nac1-vector fenced block of the document.
fn vectors() -> Vec<Vector> {
    let mut out = Vec::new();
    let mut lines = DOC.lines();
    while let Some(line) = lines.next() {
        if line.trim_end() != "```nac1-vector" {
            continue;
        }
        let mut fields = Vec::new();
        for line in lines.by_ref() {
            if line.starts_with("```") {
                break;
            }
            let (k, v) = line.split_once(':').expect("field: value");
            let v = v.strip_prefix(' ').unwrap_or(v);
            fields.push((k.to_string(), v.to_string()));
        }
        let name = fields
            .iter()
            .find(|(k, _)| k == "name")
            .map(|(_, v)| v.clone())
            .unwrap_or_default();
        out.push(Vector { name, fields });
    }
    out
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex<const N: usize>(s: &str) -> [u8; N] {
    assert_eq!(s.len(), 2 * N, "{s}");
    let mut out = [0u8; N];
    for (i, b) in out.iter_mut().enumerate() {
        *b = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap();
    }
    out
}

#[test]
fn document_has_the_required_vectors() {
    let vs = vectors();
    assert!(vs.len() >= 3, "only {} vectors", vs.len());
    let names: Vec<_> = vs.iter().map(|v| v.get("masked_name")).collect();
    assert!(
        names.iter().any(|n| n.chars().any(|c| c as u32 > 0xffff)),
        "no CJK Ext B name"
    );
    assert!(names.iter().any(|n| n.contains('·')), "no middle-dot name");
}

#[test]
fn every_document_vector_reproduces() {
    let vs = vectors();
    assert!(!vs.is_empty());
    for v in &vs {
        let name = &v.name;
        let key = StationKey::from_secret_bytes(&unhex::<32>(v.get("secret_key")));
        assert_eq!(
            key.public_key().to_string(),
            v.get("public_key"),
            "{name}: public key"
        );
        assert_eq!(
            v.get("public_key").parse::<PublicKey>().unwrap(),
            key.public_key(),
            "{name}"
        );
        assert_eq!(key.kid().to_string(), v.get("kid"), "{name}: kid");
        assert_eq!(v.get("kid").parse::<KeyId>().unwrap(), key.kid(), "{name}");

        let claims = Claims {
            serial: v.get("serial").into(),
            resident_ref: v.get("resident_ref").into(),
            masked_name: v.get("masked_name").into(),
            id_last4: v.get("id_last4").into(),
            issued_at: v.int("issued_at"),
            expires_at: v.int("expires_at"),
            station_id: v.get("station_id").into(),
        };
        let text = issue(&claims, &key).unwrap();
        assert_eq!(
            text,
            v.get("text"),
            "{name}: issued text differs from the document"
        );
        assert_eq!(
            hex(&decode_cose(&text).unwrap()),
            v.get("cose"),
            "{name}: COSE bytes"
        );
        assert_eq!(
            decode_unverified(v.get("text")).unwrap(),
            (key.kid(), claims.clone()),
            "{name}"
        );

        let mut trust = TrustList::new();
        trust.add_issuer(key.public_key(), claims.station_id.clone());
        let at = |now| verify(v.get("text"), &trust, now);
        // `verdict` is the answer at `issued_at`: `valid` for a 720-hour window, otherwise
        // `invalid_window` (a window the format allows but R1 does not).
        let verdict = at(claims.issued_at).verdict;
        assert_eq!(verdict.as_str(), v.get("verdict"), "{name}");
        assert_eq!(
            at(claims.issued_at).claims.as_ref(),
            Some(&claims),
            "{name}"
        );
        if claims.expires_at - claims.issued_at == VALIDITY_SECS {
            assert_eq!(verdict, Verdict::Valid, "{name}");
            assert_eq!(at(claims.expires_at - 1).verdict, Verdict::Valid, "{name}");
            assert_eq!(at(claims.expires_at).verdict, Verdict::Expired, "{name}");
        } else {
            assert_eq!(verdict, Verdict::InvalidWindow, "{name}");
            assert_eq!(at(claims.expires_at).verdict, verdict, "{name}");
        }
    }
}

#[test]
fn vector_lengths_in_prose_match() {
    // "Text length: N characters." precedes each block; keep it honest.
    for v in vectors() {
        let claim = format!("Text length: {} characters.", v.get("text").len());
        let heading = format!("### Vector `{}`", v.name);
        let section = DOC.split(&heading).nth(1).expect("vector heading");
        let prose = section.split("```").next().unwrap();
        assert!(prose.contains(&claim), "{}: expected {claim:?}", v.name);
    }
}
