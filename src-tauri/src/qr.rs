//! QR codes on screen.
//!
//! The preview is drawn from the same credential text the card prints, with the same error
//! correction (Q), as an SVG of one path (one `h` run per dark stretch of a row), so it is sharp
//! at any zoom and small to send. Reading QR codes *from* a picture is `nac_scan`'s job: untrusted
//! pictures are decoded there, within memory and size limits, off the main thread.

use qrcode::{Color, EcLevel, QrCode};
use std::fmt::Write as _;

const QUIET_ZONE: usize = 4;

/// The QR code of `text` as an SVG document, or `None` if the text cannot be encoded.
pub fn svg(text: &str) -> Option<String> {
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::Q).ok()?;
    let width = code.width();
    let colors = code.to_colors();
    let size = width + 2 * QUIET_ZONE;
    let mut path = String::with_capacity(width * width);
    for y in 0..width {
        let row = &colors[y * width..(y + 1) * width];
        let mut x = 0;
        while x < width {
            if row[x] == Color::Dark {
                let start = x;
                while x < width && row[x] == Color::Dark {
                    x += 1;
                }
                let run = x - start;
                let _ = write!(
                    path,
                    "M{} {}h{}v1h-{}z",
                    start + QUIET_ZONE,
                    y + QUIET_ZONE,
                    run,
                    run
                );
            } else {
                x += 1;
            }
        }
    }
    Some(format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {size} {size}\" \
         shape-rendering=\"crispEdges\"><rect width=\"{size}\" height=\"{size}\" fill=\"#fff\"/>\
         <path d=\"{path}\" fill=\"#000\"/></svg>"
    ))
}

/// A PNG of `text`'s QR code as a screenshot would hold it; for the shell's tests of the picture
/// path (`tests/commands.rs`). `nac-scan`'s own tests render theirs.
#[doc(hidden)]
pub fn test_png(text: &str) -> Vec<u8> {
    let Ok(code) = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::Q) else {
        return Vec::new();
    };
    let width = code.width();
    let colors = code.to_colors();
    let scale = 6;
    let size = ((width + 2 * QUIET_ZONE) * scale) as u32;
    let img = image::GrayImage::from_fn(size, size, |x, y| {
        let (mx, my) = (x as usize / scale, y as usize / scale);
        let dark = mx >= QUIET_ZONE
            && my >= QUIET_ZONE
            && mx < width + QUIET_ZONE
            && my < width + QUIET_ZONE
            && colors[(my - QUIET_ZONE) * width + mx - QUIET_ZONE] == Color::Dark;
        image::Luma([if dark { 0 } else { 255 }])
    });
    let mut png = Vec::new();
    let _ = image::DynamicImage::ImageLuma8(img)
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png);
    png
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn svg_is_one_path_with_quiet_zone() {
        let svg = svg("NAC1:6BFOXN*TS0BI$ZD4N9:9S6RCVN5+O30K3/XIV0W23NTDEXWK G2EP4J0BGJLFX3R3VHXK.PJ:2DPF6R:5SVBHABVCNN95SWMPHQUHQN%A0SOE+QQAB-HQ/HQ7IR.SQEEOK9SAI4- 7Y15KBPD34  QWSP0WRGTQFNPLIR.KQJA3E3MCG0C").unwrap_or_default();
        assert!(svg.starts_with("<svg"));
        assert_eq!(svg.matches("<path").count(), 1);
    }
}
