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
    (0, 8), (1, 8), (2, 8), (3, 8), (4, 8), (5, 8), (7, 8), (8, 8),
    (8, 7), (8, 5), (8, 4), (8, 3), (8, 2), (8, 1), (8, 0),
    (8, -1), (8, -2), (8, -3), (8, -4), (8, -5), (8, -6), (8, -7),
    (-8, 8), (-7, 8), (-6, 8), (-5, 8), (-4, 8), (-3, 8), (-2, 8), (-1, 8),
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
        for m in 0..8 {
            for y in 0..n {
                for x in 0..n {
                    let (i, j) = (y, x);
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
                        rows[m][y].set(x);
                        cols[m][x].set(y);
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

/// A row or column of up to 192 modules (version 40 is 177 wide, plus padding),
/// bit `i` = module `i`.
#[derive(Clone, Copy, Default)]
struct Line([u64; 3]);

impl Line {
    fn set(&mut self, i: usize) {
        self.0[i / 64] |= 1 << (i % 64);
    }
    fn put(&mut self, i: usize, on: bool) {
        let bit = 1u64 << (i % 64);
        if on {
            self.0[i / 64] |= bit;
        } else {
            self.0[i / 64] &= !bit;
        }
    }
    fn get(&self, i: usize) -> bool {
        self.0[i / 64] >> (i % 64) & 1 == 1
    }
    /// Bit `i` of the result is bit `i + k` of `self` (k < 64).
    fn shr(self, k: u32) -> Line {
        if k == 0 {
            return self;
        }
        let w = self.0;
        Line([
            (w[0] >> k) | (w[1] << (64 - k)),
            (w[1] >> k) | (w[2] << (64 - k)),
            w[2] >> k,
        ])
    }
    /// Bit `i` of the result is bit `i - 1` of `self`.
    fn shl1(self) -> Line {
        let w = self.0;
        Line([w[0] << 1, (w[1] << 1) | (w[0] >> 63), (w[2] << 1) | (w[1] >> 63)])
    }
    fn and(self, o: Line) -> Line {
        Line([self.0[0] & o.0[0], self.0[1] & o.0[1], self.0[2] & o.0[2]])
    }
    fn xor(self, o: Line) -> Line {
        Line([self.0[0] ^ o.0[0], self.0[1] ^ o.0[1], self.0[2] ^ o.0[2]])
    }
    fn not(self) -> Line {
        Line([!self.0[0], !self.0[1], !self.0[2]])
    }
    /// Keep bits `0..len`.
    fn first(self, len: usize) -> Line {
        let mut m = [0u64; 3];
        for (i, w) in m.iter_mut().enumerate() {
            let lo = i * 64;
            *w = if len >= lo + 64 {
                !0
            } else if len > lo {
                (1u64 << (len - lo)) - 1
            } else {
                0
            };
        }
        self.and(Line(m))
    }
    fn count(self) -> u32 {
        self.0.iter().map(|w| w.count_ones()).sum()
    }
}

/// ISO/IEC 18004 §7.8.3 penalty score of a masked symbol (lower is better).
pub fn penalty(grid: &[bool], n: usize) -> u32 {
    let mut rows = vec![Line::default(); n];
    let mut cols = vec![Line::default(); n];
    for (y, row) in grid.chunks_exact(n).enumerate() {
        for (x, &d) in row.iter().enumerate() {
            if d {
                rows[y].set(x);
                cols[x].set(y);
            }
        }
    }
    penalty_lines(&rows, &cols, n)
}

/// The penalty on row and column bitsets: every rule is a few word operations
/// per line.
fn penalty_lines(rows: &[Line], cols: &[Line], n: usize) -> u32 {
    let mut score = 0;
    let mut dark = 0;
    for line in rows {
        score += line_penalty(*line, n);
        dark += line.count();
    }
    for line in cols {
        score += line_penalty(*line, n);
    }
    // N2: 2×2 blocks of one colour.
    for pair in rows.windows(2) {
        let (a, b) = (pair[0], pair[1]);
        let vertical = a.xor(b).not();
        let horizontal = a.xor(a.shr(1)).not();
        score += 3 * vertical.and(vertical.shr(1)).and(horizontal).first(n - 1).count();
    }
    // N4: deviation of the dark proportion from 50 %, in steps of 5 %.
    let total = (n * n) as u32;
    let deviation = (dark * 100).abs_diff(total * 50) / total;
    score + (deviation / 5) * 10
}

/// N1 (each run of ≥ 5 same-colour modules scores 3 + (length − 5)) and N3
/// (1:1:3:1:1 dark-light pattern with 4 light modules on one side; outside the
/// symbol counts as light) for one row or column of `n` modules.
fn line_penalty(line: Line, n: usize) -> u32 {
    // N1: positions where 5 modules in a row are equal, plus 2 per run start:
    // a run of length L has L − 4 such positions and scores L − 2.
    let eq = line.xor(line.shr(1)).not().first(n - 1);
    let five = eq.and(eq.shr(1)).and(eq.shr(2)).and(eq.shr(3)).first(n.saturating_sub(4));
    let starts = five.and(eq.shl1().not());
    let mut score = five.count() + 2 * starts.count();

    // N3: pad with 4 light modules on each side, then match both 11-module patterns.
    let w = line.0;
    let padded = Line([w[0] << 4, (w[1] << 4) | (w[0] >> 60), (w[2] << 4) | (w[1] >> 60)]);
    let len = n + 8;
    let p = padded;
    let np = p.not();
    // Four light modules starting at x; the 1:1:3:1:1 core starting at x.
    let light4 = np.and(np.shr(1)).and(np.shr(2)).and(np.shr(3));
    let core = p
        .and(np.shr(1))
        .and(p.shr(2))
        .and(p.shr(3))
        .and(p.shr(4))
        .and(np.shr(5))
        .and(p.shr(6));
    let before = light4.and(core.shr(4)).first(len - 10);
    let after = core.and(light4.shr(7)).first(len - 10);
    score += 40 * (before.count() + after.count());
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
        let line = |bits: &[u8]| {
            let mut l = Line::default();
            for (i, &b) in bits.iter().enumerate() {
                if b == 1 {
                    l.set(i);
                }
            }
            l
        };
        assert_eq!(line_penalty(line(&[1, 1, 1, 1, 1]), 5), 3);
        assert_eq!(line_penalty(line(&[0; 6]), 6), 4);
        assert_eq!(line_penalty(line(&[0, 1, 0, 1, 0, 1]), 6), 0);
        assert_eq!(line_penalty(line(&[1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0]), 12), 3 + (3 + 2));
        // N3: 1011101 with 4 light modules on both sides (the quiet zone): both patterns.
        assert_eq!(line_penalty(line(&[1, 0, 1, 1, 1, 0, 1]), 7), 80);
        // …and with a dark module 2 after it only the left-side pattern counts.
        assert_eq!(line_penalty(line(&[1, 0, 1, 1, 1, 0, 1, 0, 1]), 9), 40);
        // Runs crossing 64-bit word boundaries.
        let mut long = vec![0u8; 150];
        long[60..70].fill(1);
        assert_eq!(line_penalty(line(&long), 150), (3 + 55) + (3 + 5) + (3 + 75));
        // N2 + N4 on a full 2×2 dark grid: one block (3), runs of 2 (0),
        // 100 % dark → deviation 50 % → 10 steps of 10.
        assert_eq!(penalty(&[true; 4], 2), 3 + 100);
    }

    #[test]
    fn our_masking_equals_qrcodes() {
        for text in ["HELLO", "NAC1:6BFOXN*TS0BI$ZD0123456789", &format!("NAC1:{}", "Z9.".repeat(80))] {
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
                for y in 0..n {
                    for x in 0..n {
                        let want = c.get(x as i16, y as i16).is_dark();
                        assert_eq!(rows[y].get(x), want, "{text} mask {m} ({x},{y})");
                        assert_eq!(cols[x].get(y), want, "{text} mask {m} col ({x},{y})");
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
