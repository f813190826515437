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
use qrcode::canvas::{Canvas, MaskPattern};
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
    let alnum = is_alphanumeric(text);
    // Skip versions that obviously cannot hold the data: at level Q a version-v
    // symbol carries fewer than 2 * v * v data bytes plus a little.
    let (bits, version) = first_fitting_version(data, alnum)?;
    let raw = bits.into_bytes();
    let (codewords, ec) = qrcode::ec::construct_codewords(&raw, version, EcLevel::Q)
        .map_err(|e| QrFailure::Encoder(e.to_string()))?;
    let mut canvas = Canvas::new(version, EcLevel::Q);
    canvas.draw_all_functional_patterns();
    canvas.draw_data(&codewords, &ec);

    let width = version.width() as usize;
    let mut best: Option<(u32, Vec<bool>)> = None;
    let mut grid = vec![0u8; width * width];
    for mask in MASKS {
        let mut c = canvas.clone();
        c.apply_mask(mask);
        for y in 0..width {
            for x in 0..width {
                grid[y * width + x] = u8::from(c.get(x as i16, y as i16).is_dark());
            }
        }
        let score = penalty(&grid, width);
        if best.as_ref().is_none_or(|(s, _)| score < *s) {
            best = Some((score, grid.iter().map(|&v| v == 1).collect()));
        }
    }
    let dark = best.map(|(_, d)| d).unwrap_or_default();
    let version_number = match version {
        Version::Normal(v) | Version::Micro(v) => v as u8,
    };
    Ok(QrMatrix {
        width,
        version: version_number,
        dark,
    })
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

/// ISO/IEC 18004 §7.8.3 penalty score of a masked symbol (lower is better).
pub fn penalty(grid: &[u8], n: usize) -> u32 {
    let mut score = 0;
    for i in 0..n {
        score += line_penalty(|k| grid[i * n + k], n);
        score += line_penalty(|k| grid[k * n + i], n);
    }
    // N2: 2×2 blocks of one colour.
    for y in 0..n - 1 {
        for x in 0..n - 1 {
            let c = grid[y * n + x];
            if c == grid[y * n + x + 1]
                && c == grid[(y + 1) * n + x]
                && c == grid[(y + 1) * n + x + 1]
            {
                score += 3;
            }
        }
    }
    // N4: deviation of the dark proportion from 50 %, in steps of 5 %.
    let dark: usize = grid.iter().map(|&v| v as usize).sum();
    let total = n * n;
    let deviation = (dark * 100).abs_diff(total * 50) / total;
    score + (deviation / 5) as u32 * 10
}

/// N1 (runs of five or more) and N3 (finder-like 1:1:3:1:1 with four light modules
/// on one side) for one row or column. Outside the symbol counts as light (the
/// quiet zone), so patterns touching the edge are counted too.
fn line_penalty(get: impl Fn(usize) -> u8, n: usize) -> u32 {
    let mut score = 0;
    let mut run_colour = get(0);
    let mut run_len = 1u32;
    for k in 1..n {
        let c = get(k);
        if c == run_colour {
            run_len += 1;
        } else {
            if run_len >= 5 {
                score += 3 + (run_len - 5);
            }
            run_colour = c;
            run_len = 1;
        }
    }
    if run_len >= 5 {
        score += 3 + (run_len - 5);
    }

    // Slide an 11-module window over the line padded with 4 light modules.
    const A: u32 = 0b000_0101_1101; // 0000 1011101
    const B: u32 = 0b101_1101_0000; // 1011101 0000
    let mut window = 0u32;
    for k in 0..n + 8 {
        let bit = if (4..n + 4).contains(&k) {
            u32::from(get(k - 4))
        } else {
            0
        };
        window = ((window << 1) | bit) & 0x7ff;
        if k >= 10 && (window == A || window == B) {
            score += 40;
        }
    }
    score
}

#[cfg(test)]
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
    fn penalty_rules() {
        // A single row "11111" (5 wide, as one line of a 5×5 grid of alternating rows).
        // N1 counts a run of 5 as 3, 6 as 4; rows and columns both.
        assert_eq!(line_penalty(|_| 1, 5), 3);
        assert_eq!(line_penalty(|_| 0, 6), 4);
        assert_eq!(line_penalty(|k| (k % 2) as u8, 6), 0);
        // N3: 1011101 followed by 4 light modules (here: the quiet zone).
        let finder = [1u8, 0, 1, 1, 1, 0, 1];
        assert_eq!(line_penalty(|k| finder[k], 7), 80); // light on both sides: both patterns
        // N2 + N4 on a full 2×2 dark grid: one block (3), two runs of 2 (0) per line,
        // 100 % dark → deviation 50 % → 10 steps of 10.
        assert_eq!(penalty(&[1, 1, 1, 1], 2), 3 + 100);
    }

    #[test]
    fn every_mask_choice_is_a_minimum() {
        // The chosen symbol has the lowest penalty of the eight masks.
        let text = "NAC1:6BFOXN*TS0BI$ZD0123456789";
        let ours = encode(text).unwrap();
        let grid: Vec<u8> = ours.dark.iter().map(|&d| u8::from(d)).collect();
        let chosen = penalty(&grid, ours.width);
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
            let g: Vec<u8> = (0..n * n)
                .map(|i| u8::from(c.get((i % n) as i16, (i / n) as i16).is_dark()))
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
