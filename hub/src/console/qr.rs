//! The enrolment code as a QR code, drawn as inline SVG: one `<path>` of dark modules with
//! presentation attributes only (no `style`, which the console's CSP would refuse).

use std::fmt::Write as _;

use qrcode::{Color, EcLevel, QrCode};

/// An SVG of `text` as a QR code (level M, a 4-module quiet zone), `size` CSS pixels square,
/// labelled for screen readers with `label`; `None` if the text does not fit a QR code.
pub fn svg(text: &str, size: u32, label: &str) -> Option<String> {
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M).ok()?;
    let width = code.width();
    let quiet = 4;
    let full = width + 2 * quiet;
    let mut path = String::new();
    for (i, color) in code.to_colors().iter().enumerate() {
        if *color == Color::Dark {
            let (x, y) = (i % width + quiet, i / width + quiet);
            let _ = write!(path, "M{x} {y}h1v1h-1z");
        }
    }
    Some(format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" aria-label=\"{}\" \
         width=\"{size}\" height=\"{size}\" viewBox=\"0 0 {full} {full}\" \
         shape-rendering=\"crispEdges\"><rect width=\"{full}\" height=\"{full}\" fill=\"#fff\"/>\
         <path fill=\"#000\" d=\"{path}\"/></svg>",
        super::html::esc(label)
    ))
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_code_draws_as_svg_without_style() {
        let svg = super::svg("ABCD-EFGH-JKLM", 240, "注册码").unwrap_or_default();
        assert!(svg.starts_with("<svg"));
        assert!(svg.contains("aria-label=\"注册码\""));
        assert!(!svg.contains("style"), "the CSP refuses inline style");
    }
}
