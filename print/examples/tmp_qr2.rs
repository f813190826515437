use qrcode::{bits::Bits, canvas::{Canvas, MaskPattern}, types::{EcLevel, Version}};
use std::time::{Duration, Instant};
fn main() {
    let mut rng = nac_print::sample::Rng::new(1);
    let texts: Vec<String> = (0..1000).map(|_| nac_print::sample::credential_text(&mut rng, 230)).collect();
    let (mut tb, mut te, mut tc, mut tm, mut tg) = (Duration::ZERO, Duration::ZERO, Duration::ZERO, Duration::ZERO, Duration::ZERO);
    for t in &texts {
        let a = Instant::now();
        let mut found = None;
        for v in 1..=40 { let mut b = Bits::new(Version::Normal(v)); if b.push_alphanumeric_data(t.as_bytes()).is_ok() && b.push_terminator(EcLevel::Q).is_ok() { found = Some((b, Version::Normal(v))); break; } }
        let (bits, version) = found.unwrap();
        let raw = bits.into_bytes();
        let b = Instant::now(); tb += b - a;
        let (cw, ec) = qrcode::ec::construct_codewords(&raw, version, EcLevel::Q).unwrap();
        let c = Instant::now(); te += c - b;
        let mut canvas = Canvas::new(version, EcLevel::Q);
        canvas.draw_all_functional_patterns();
        canvas.draw_data(&cw, &ec);
        let d = Instant::now(); tc += d - c;
        let mut g = vec![false; 61*61];
        for m in [MaskPattern::Checkerboard, MaskPattern::HorizontalLines, MaskPattern::VerticalLines, MaskPattern::DiagonalLines, MaskPattern::LargeCheckerboard, MaskPattern::Fields, MaskPattern::Diamonds, MaskPattern::Meadow] {
            let e = Instant::now();
            let mut cc = canvas.clone(); cc.apply_mask(m);
            let f = Instant::now(); tm += f - e;
            for y in 0..61 { for x in 0..61 { g[y*61+x] = cc.get(x as i16, y as i16).is_dark(); } }
            tg += f.elapsed();
        }
    }
    println!("bits {:?} ec {:?} canvas {:?} masks {:?} grid {:?} (per code)", tb/1000, te/1000, tc/1000, tm/1000, tg/1000);
}
