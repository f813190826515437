fn main() {
    let mut rng = nac_print::sample::Rng::new(1);
    let mut pages = Vec::new();
    for _ in 0..20 {
        let mut s = String::new();
        nac_print::qrdraw::stream_prologue(&mut s);
        for k in 0..8 {
            let m = nac_print::qr::encode(&nac_print::sample::credential_text(&mut rng, 230)).unwrap();
            nac_print::qrdraw::draw_symbol(&mut s, &m, 20.0 + (k % 2) as f32 * 300.0, 800.0 - (k / 2) as f32 * 200.0, 1.6327);
        }
        pages.push(s);
    }
    let raw: usize = pages.iter().map(|p| p.len()).sum();
    for level in 1..=9 {
        let t = std::time::Instant::now();
        let z: usize = pages.iter().map(|p| nac_print::qrdraw::deflate(p.as_bytes(), level).unwrap().len()).sum();
        println!("L{level} {:?}/page raw {} -> {} per page", t.elapsed() / 20, raw / 20, z / 20);
    }
}
