//! QR encoding: `qrcode`'s building blocks, with our own mask choice.
//!
//! `qrcode::QrCode::new` scores the eight mask patterns through a boxed closure per
//! module and spends ~1.8 ms per version-11 code; 10,000 cards would spend 18 s there.
//! We use the crate's lower-level public API (`bits`, `ec`, `canvas`) to build the
//! unmasked symbol once, apply each mask to a clone and score it with the ISO/IEC
//! 18004 penalty rules (N1–N4) on a flat byte grid, which takes tens of microseconds.
//! Any of the eight masks decodes; the scoring only keeps scanners happy by avoiding
//! finder-like patterns and large blocks.
//!
//! The credential text is encoded as-is at error-correction level Q, in a single
//! alphanumeric segment when it only uses the QR alphanumeric charset (the Base45
//! credentials always do), otherwise in byte mode. The smallest version that fits
//! is chosen.

use qrcode::bits::Bits;
use std::sync::OnceLock;

mod penalty;

pub use penalty::penalty;
use penalty::{penalty_lines, Line};

use qrcode::canvas::{Canvas, MaskPattern, Module};
use qrcode::types::Color;
use qrcode::types::{EcLevel, Version};

/// Why a text cannot become a QR symbol.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QrFailure {
    /// Nothing to encode.
    #[error("the QR text is empty")]
    Empty,
    /// More than a version-40 symbol holds at level Q.
    #[error("the QR text ({0} bytes) does not fit in a QR symbol at error correction Q")]
    TooLong(usize),
    /// The encoder refused the data for another reason.
    #[error("QR encoder error: {0}")]
    Encoder(String),
}

/// A finished QR symbol: `width × width` modules, row-major, `true` = dark.
/// The quiet zone is not included.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QrMatrix {
    /// Modules per side (21 for version 1 … 177 for version 40).
    pub width: usize,
    /// QR version (1–40).
    pub version: u8,
    /// Row-major modules, `true` = dark.
    pub dark: Vec<bool>,
}

impl QrMatrix {
    /// Module at column `x`, row `y`.
    pub fn get(&self, x: usize, y: usize) -> bool {
        self.dark[y * self.width + x]
    }
}

const MASKS: [MaskPattern; 8] = [
    MaskPattern::Checkerboard,
    MaskPattern::HorizontalLines,
    MaskPattern::VerticalLines,
    MaskPattern::DiagonalLines,
    MaskPattern::LargeCheckerboard,
    MaskPattern::Fields,
    MaskPattern::Diamonds,
    MaskPattern::Meadow,
];

/// Whether every byte is in the QR alphanumeric set `0-9A-Z $%*+-./:`.
pub fn is_alphanumeric(text: &str) -> bool {
    text.bytes().all(|b| {
        b.is_ascii_digit()
            || b.is_ascii_uppercase()
            || matches!(
                b,
                b' ' | b'$' | b'%' | b'*' | b'+' | b'-' | b'.' | b'/' | b':'
            )
    })
}

/// Encode `text` at ECC level Q with the smallest fitting version.
pub fn encode(text: &str) -> Result<QrMatrix, QrFailure> {
    if text.is_empty() {
        return Err(QrFailure::Empty);
    }
    let data = text.as_bytes();
    let (bits, version) = first_fitting_version(data, is_alphanumeric(text))?;
    let raw = bits.into_bytes();
    let (codewords, ec) = qrcode::ec::construct_codewords(&raw, version, EcLevel::Q)
        .map_err(|e| QrFailure::Encoder(e.to_string()))?;
    let mut canvas = Canvas::new(version, EcLevel::Q);
    canvas.draw_all_functional_patterns();
    canvas.draw_data(&codewords, &ec);

    let unmasked = Unmasked::from_canvas(&canvas, version.width() as usize);
    let n = unmasked.n;
    let mut best: Option<(u32, Vec<Line>)> = None;
    for mask in 0..8 {
        let (rows, cols) = unmasked.masked(mask);
        let score = penalty_lines(&rows, &cols, n);
        if best.as_ref().is_none_or(|(s, _)| score < *s) {
            best = Some((score, rows));
        }
    }
    let rows = best.map(|(_, r)| r).unwrap_or_default();
    let dark = rows
        .iter()
        .flat_map(|r| (0..n).map(move |x| r.get(x)))
        .collect();
    let version_number = match version {
        Version::Normal(v) | Version::Micro(v) => v as u8,
    };
    Ok(QrMatrix {
        width: n,
        version: version_number,
        dark,
    })
}

/// Format-information module coordinates (x, y; negative = from the far edge),
/// in qrcode's drawing order: the copy around the top-left finder, then the split
/// copy by the other two finders.
const FORMAT_COORDS: [(i16, i16); 30] = [
    (0, 8),
    (1, 8),
    (2, 8),
    (3, 8),
    (4, 8),
    (5, 8),
    (7, 8),
    (8, 8),
    (8, 7),
    (8, 5),
    (8, 4),
    (8, 3),
    (8, 2),
    (8, 1),
    (8, 0),
    (8, -1),
    (8, -2),
    (8, -3),
    (8, -4),
    (8, -5),
    (8, -6),
    (8, -7),
    (-8, 8),
    (-7, 8),
    (-6, 8),
    (-5, 8),
    (-4, 8),
    (-3, 8),
    (-2, 8),
    (-1, 8),
];

fn resolve(c: i16, n: usize) -> usize {
    if c < 0 {
        (n as i16 + c) as usize
    } else {
        c as usize
    }
}

/// Format-information module values for each mask at level Q. They do not
/// depend on the version, so they are read once from a version-1 symbol that
/// qrcode masks itself.
fn format_bits() -> &'static [[bool; 30]; 8] {
    static FORMAT: OnceLock<[[bool; 30]; 8]> = OnceLock::new();
    FORMAT.get_or_init(|| {
        let mut out = [[false; 30]; 8];
        for (m, mask) in MASKS.iter().enumerate() {
            let mut c = Canvas::new(Version::Normal(1), EcLevel::Q);
            c.draw_all_functional_patterns();
            c.apply_mask(*mask);
            for (k, &(x, y)) in FORMAT_COORDS.iter().enumerate() {
                out[m][k] = c.get(x, y).is_dark();
            }
        }
        out
    })
}

/// The eight mask patterns of a width, as row and column bitsets.
struct MaskTable {
    rows: Vec<Vec<Line>>,
    cols: Vec<Vec<Line>>,
}

fn mask_table(n: usize) -> &'static MaskTable {
    static TABLES: [OnceLock<MaskTable>; 40] = [const { OnceLock::new() }; 40];
    let version = (n - 17) / 4; // 1-based version
    TABLES[(version - 1).min(39)].get_or_init(|| {
        let mut rows = vec![vec![Line::default(); n]; 8];
        let mut cols = vec![vec![Line::default(); n]; 8];
        for (m, (rows, cols)) in rows.iter_mut().zip(cols.iter_mut()).enumerate() {
            for (i, row) in rows.iter_mut().enumerate() {
                for (j, col) in cols.iter_mut().enumerate() {
                    let invert = match m {
                        0 => (i + j) % 2 == 0,
                        1 => i % 2 == 0,
                        2 => j % 3 == 0,
                        3 => (i + j) % 3 == 0,
                        4 => (i / 2 + j / 3) % 2 == 0,
                        5 => (i * j) % 2 + (i * j) % 3 == 0,
                        6 => ((i * j) % 2 + (i * j) % 3) % 2 == 0,
                        _ => ((i + j) % 2 + (i * j) % 3) % 2 == 0,
                    };
                    if invert {
                        row.set(j);
                        col.set(i);
                    }
                }
            }
        }
        MaskTable { rows, cols }
    })
}

/// An unmasked symbol: module values and which modules are data (maskable).
struct Unmasked {
    n: usize,
    value_rows: Vec<Line>,
    value_cols: Vec<Line>,
    data_rows: Vec<Line>,
    data_cols: Vec<Line>,
}

impl Unmasked {
    fn from_canvas(c: &Canvas, n: usize) -> Unmasked {
        let mut u = Unmasked {
            n,
            value_rows: vec![Line::default(); n],
            value_cols: vec![Line::default(); n],
            data_rows: vec![Line::default(); n],
            data_cols: vec![Line::default(); n],
        };
        for y in 0..n {
            for x in 0..n {
                let (dark, data) = match c.get(x as i16, y as i16) {
                    Module::Unmasked(col) => (col == Color::Dark, true),
                    Module::Masked(col) => (col == Color::Dark, false),
                    Module::Empty => (false, true),
                };
                if dark {
                    u.value_rows[y].set(x);
                    u.value_cols[x].set(y);
                }
                if data {
                    u.data_rows[y].set(x);
                    u.data_cols[x].set(y);
                }
            }
        }
        u
    }

    /// Rows and columns with mask `m` applied and its format information drawn.
    fn masked(&self, m: usize) -> (Vec<Line>, Vec<Line>) {
        let t = mask_table(self.n);
        let apply = |value: &[Line], data: &[Line], mask: &[Line]| -> Vec<Line> {
            value
                .iter()
                .zip(data)
                .zip(mask)
                .map(|((v, d), k)| v.xor(d.and(*k)))
                .collect()
        };
        let mut rows = apply(&self.value_rows, &self.data_rows, &t.rows[m]);
        let mut cols = apply(&self.value_cols, &self.data_cols, &t.cols[m]);
        for (k, &(x, y)) in FORMAT_COORDS.iter().enumerate() {
            let (x, y) = (resolve(x, self.n), resolve(y, self.n));
            let dark = format_bits()[m][k];
            rows[y].put(x, dark);
            cols[x].put(y, dark);
        }
        (rows, cols)
    }
}

fn first_fitting_version(data: &[u8], alnum: bool) -> Result<(Bits, Version), QrFailure> {
    for v in 1..=40i16 {
        let version = Version::Normal(v);
        let mut bits = Bits::new(version);
        let pushed = if alnum {
            bits.push_alphanumeric_data(data)
        } else {
            bits.push_byte_data(data)
        };
        if pushed.is_err() {
            continue;
        }
        if bits.push_terminator(EcLevel::Q).is_ok() {
            return Ok((bits, version));
        }
    }
    Err(QrFailure::TooLong(data.len()))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn alphanumeric_detection() {
        assert!(is_alphanumeric("NAC1:6BFOXN*TS0BI$ZD %+-./"));
        assert!(!is_alphanumeric("nac1"));
        assert!(!is_alphanumeric("NAC1:é"));
    }

    #[test]
    fn matches_stock_encoder_modules_for_same_mask_quality() {
        // Our matrix must be a valid QR symbol: compare the function patterns and
        // size with the stock encoder (the mask may differ, which is allowed).
        let text = "NAC1:6BFOXN*TS0BI$ZD0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";
        let ours = encode(text).unwrap();
        let stock = qrcode::QrCode::with_error_correction_level(text, EcLevel::Q).unwrap();
        assert_eq!(ours.width, stock.width());
        // Finder pattern at the top left is identical.
        let stock_colors = stock.to_colors();
        for y in 0..7 {
            for x in 0..7 {
                assert_eq!(
                    ours.get(x, y),
                    stock_colors[y * stock.width() + x] == qrcode::Color::Dark
                );
            }
        }
    }

    #[test]
    fn our_masking_equals_qrcodes() {
        for text in [
            "HELLO",
            "NAC1:6BFOXN*TS0BI$ZD0123456789",
            &format!("NAC1:{}", "Z9.".repeat(80)),
        ] {
            let (bits, version) = first_fitting_version(text.as_bytes(), true).unwrap();
            let raw = bits.into_bytes();
            let (cw, ec) = qrcode::ec::construct_codewords(&raw, version, EcLevel::Q).unwrap();
            let mut canvas = Canvas::new(version, EcLevel::Q);
            canvas.draw_all_functional_patterns();
            canvas.draw_data(&cw, &ec);
            let n = version.width() as usize;
            let u = Unmasked::from_canvas(&canvas, n);
            for (m, mask) in MASKS.iter().enumerate() {
                let mut c = canvas.clone();
                c.apply_mask(*mask);
                let (rows, cols) = u.masked(m);
                assert_eq!((rows.len(), cols.len()), (n, n));
                for (y, row) in rows.iter().enumerate() {
                    for (x, col) in cols.iter().enumerate() {
                        let want = c.get(x as i16, y as i16).is_dark();
                        assert_eq!(row.get(x), want, "{text} mask {m} ({x},{y})");
                        assert_eq!(col.get(y), want, "{text} mask {m} col ({x},{y})");
                    }
                }
            }
        }
    }

    #[test]
    fn every_mask_choice_is_a_minimum() {
        // The chosen symbol has the lowest penalty of the eight masks.
        let text = "NAC1:6BFOXN*TS0BI$ZD0123456789";
        let ours = encode(text).unwrap();
        let chosen = penalty(&ours.dark, ours.width);
        let (bits, version) = first_fitting_version(text.as_bytes(), true).unwrap();
        let raw = bits.into_bytes();
        let (cw, ec) = qrcode::ec::construct_codewords(&raw, version, EcLevel::Q).unwrap();
        let mut canvas = Canvas::new(version, EcLevel::Q);
        canvas.draw_all_functional_patterns();
        canvas.draw_data(&cw, &ec);
        for mask in MASKS {
            let mut c = canvas.clone();
            c.apply_mask(mask);
            let n = ours.width;
            let g: Vec<bool> = (0..n * n)
                .map(|i| c.get((i % n) as i16, (i / n) as i16).is_dark())
                .collect();
            assert!(chosen <= penalty(&g, n));
        }
    }

    #[test]
    fn version_grows_with_length() {
        let short = encode("NAC1:ABC").unwrap();
        assert_eq!(short.version, 1);
        let long = encode(&format!("NAC1:{}", "A".repeat(230))).unwrap();
        assert!(long.version >= 9 && long.version <= 12, "{}", long.version);
    }

    #[test]
    fn rejects_empty_and_oversized() {
        assert_eq!(encode(""), Err(QrFailure::Empty));
        assert!(matches!(
            encode(&"A".repeat(5000)),
            Err(QrFailure::TooLong(5000))
        ));
    }
}
