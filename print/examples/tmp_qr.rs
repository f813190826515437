fn main() {
    let mut rng = nac_print::sample::Rng::new(1);
    let texts: Vec<String> = (0..2000).map(|_| nac_print::sample::credential_text(&mut rng, 230)).collect();
    let t = std::time::Instant::now();
    let mut v = 0;
    for t in &texts { v += nac_print::qr::encode(t).unwrap().version as usize; }
    println!("encode {:?}/code v{}", t.elapsed() / 2000, v / 2000);
    let m = nac_print::qr::encode(&texts[0]).unwrap();
    let t = std::time::Instant::now();
    let mut s = 0;
    for _ in 0..2000 { s += nac_print::qr::penalty(std::hint::black_box(&m.dark), m.width); }
    println!("penalty {:?}/call {}", t.elapsed() / 2000, s / 2000);
    let mut out = String::new();
    let t = std::time::Instant::now();
    for _ in 0..2000 { out.clear(); nac_print::qrdraw::draw_symbol(&mut out, &m, 10.0, 10.0, 1.0); }
    println!("draw {:?}/call {} bytes", t.elapsed() / 2000, out.len());
    let page: String = std::iter::repeat(out.clone()).take(8).collect();
    for level in [1, 4, 6, 9] {
        let t = std::time::Instant::now();
        let z = nac_print::qrdraw::deflate(page.as_bytes(), level).unwrap();
        println!("deflate L{level} {:?}/page {} -> {}", t.elapsed(), page.len(), z.len());
    }
}
