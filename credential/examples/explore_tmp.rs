use nac_credential::*;
fn main() { zbench();
    let key = StationKey::from_secret_bytes(&[9; 32]);
    let c = Claims {
        serial: "7K3QD9XAZM".into(),
        resident_ref: "3f2b9c4e-1d7a-4b8e-9f01-23456789abcd".into(),
        masked_name: "张*丰".into(),
        id_last4: "123X".into(),
        issued_at: 1_767_225_600,
        expires_at: 1_769_817_600,
        station_id: "ST-4KQ2PZ".into(),
    };
    let t = issue(&c, &key).unwrap();
    let cose = decode_cose(&t).unwrap();
    println!("{} chars, cose {} bytes: {t}", t.len(), cose.len());
    let mut c8 = c.clone(); c8.station_id = "ST-4KQ2P".into();
    let t8 = issue(&c8, &key).unwrap();
    println!("8-char station: {}", t8.len());
    let n = 20000;
    let start = std::time::Instant::now();
    let mut total = 0;
    for i in 0..n { let mut c2 = c.clone(); c2.issued_at += i; total += issue(&c2, &key).unwrap().len(); }
    println!("issue: {:?}/op ({total})", start.elapsed() / n as u32);
    let mut trust = TrustList::new(); trust.add_issuer(key.public_key(), "ST-4KQ2PZ");
    let start = std::time::Instant::now();
    for _ in 0..n { assert_eq!(verify(&t, &trust, 1_767_225_600).verdict, Verdict::Valid); }
    println!("verify: {:?}/op", start.elapsed() / n as u32);
}
#[allow(dead_code)]
fn zbench() {
    use flate2::{Compress, Compression, FlushCompress};
    let data = vec![7u8; 154];
    for level in [0, 6, 9] {
        let start = std::time::Instant::now();
        for _ in 0..20000 {
            let mut out = Vec::with_capacity(300);
            let mut z = Compress::new(Compression::new(level), true);
            z.compress_vec(&data, &mut out, FlushCompress::Finish).unwrap();
            std::hint::black_box(out);
        }
        println!("zlib level {level}: {:?}", start.elapsed() / 20000);
    }
    let key = ed25519_dalek::SigningKey::from_bytes(&[1; 32]);
    use ed25519_dalek::Signer;
    let start = std::time::Instant::now();
    for i in 0..20000u32 { std::hint::black_box(key.sign(&[i as u8; 180])); }
    println!("sign: {:?}", start.elapsed() / 20000);
}
