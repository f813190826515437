//! QR symbols as raw PDF content, compressed by us.
//!
//! Going through printpdf ops (one `Op` per dark run, ~128 bytes each plus
//! allocations) costs 1.6 GB for 10,000 cards, and printpdf then compresses every
//! stream at the highest zlib level on one thread. Instead each page's QR symbols
//! are written here as raw content (part of the page's content stream):
//!
//! ```text
//! 1.06 w 0 J                     % line width just over one module: no hairline seams
//! q 1.6 0 0 -1.6 57 600 cm       % module units, y pointing down, row 0 centred on y=0
//! [7 1 1 3 2 1]0 d 0 0 m 15 0 l S   % one dashed stroke per row: dashes = dark runs
//! …
//! Q
//! ```
//!
//! A row is one stroked line whose dash array alternates dark-run and light-gap
//! lengths, with butt caps so dashes end exactly on module boundaries. That is
//! smaller than one `re` per run (measured 1.27 MB against ~1.5 MB per 1,000 cards).
//! The stroke is 6 % wider than a module so neighbouring rows overlap and no white
//! seam shows between them at 300 dpi. The symbols become part of the page's content
//! stream, which the worker thread that drew it deflates ([`deflate`]).

use std::fmt::Write as _;
use std::io::Write as _;

use crate::qr::QrMatrix;

/// Stroke width in module units (slightly above 1 so rows overlap).
pub const ROW_STROKE: f32 = 1.06;

/// Append the drawing of `qr` with its top-left symbol corner at (`x_pt`, `top_pt`)
/// in PDF user space (origin bottom-left) and `module_pt` points per module.
pub fn draw_symbol(out: &mut String, qr: &QrMatrix, x_pt: f32, top_pt: f32, module_pt: f32) {
    // Row r is drawn at user y = r; map it to the module's vertical centre.
    let f = top_pt - 0.5 * module_pt;
    let _ = writeln!(
        out,
        "q {} 0 0 {} {} {} cm",
        num(module_pt),
        num(-module_pt),
        num(x_pt),
        num(f)
    );
    let n = qr.width;
    let mut runs: Vec<(usize, usize)> = Vec::with_capacity(n / 2 + 1);
    let mut dashed = false;
    for y in 0..n {
        runs.clear();
        let row = &qr.dark[y * n..(y + 1) * n];
        let mut x = 0;
        while x < n {
            if row[x] {
                let start = x;
                while x < n && row[x] {
                    x += 1;
                }
                runs.push((start, x));
            } else {
                x += 1;
            }
        }
        let (Some(first), Some(last)) = (runs.first(), runs.last()) else {
            continue;
        };
        if runs.len() == 1 {
            if dashed {
                out.push_str("[]0 d ");
                dashed = false;
            }
        } else {
            out.push('[');
            for (i, (s, e)) in runs.iter().enumerate() {
                if i > 0 {
                    let gap = s - runs[i - 1].1;
                    let _ = write!(out, " {gap} ");
                }
                let _ = write!(out, "{}", e - s);
            }
            // An even-length array: the path ends exactly at this final gap.
            out.push_str(" 1]0 d ");
            dashed = true;
        }
        let _ = writeln!(out, "{} {y} m {} {y} l S", first.0, last.1);
    }
    out.push_str("Q\n");
}

/// The line state shared by all symbols of one stream.
pub fn stream_prologue(out: &mut String) {
    let _ = writeln!(out, "0 g 0 G {ROW_STROKE} w 0 J 0 j []0 d");
}

/// Deflate a content stream (zlib container, as `/FlateDecode` expects).
pub fn deflate(content: &[u8], level: u32) -> std::io::Result<Vec<u8>> {
    let mut enc = flate2::write::ZlibEncoder::new(
        Vec::with_capacity(content.len() / 4),
        flate2::Compression::new(level),
    );
    enc.write_all(content)?;
    let mut out = enc.finish()?;
    out.shrink_to_fit();
    Ok(out)
}

/// A compact decimal: at most 3 fractional digits, no trailing zeros.
pub fn num(v: f32) -> String {
    let r = (v * 1000.0).round() / 1000.0;
    if r == r.trunc() {
        format!("{}", r as i64)
    } else {
        let s = format!("{r:.3}");
        s.trim_end_matches('0').to_string()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn matrix(rows: &[&str]) -> QrMatrix {
        let width = rows.len();
        let dark = rows
            .iter()
            .flat_map(|r| r.chars().map(|c| c == '#'))
            .collect();
        QrMatrix {
            width,
            version: 1,
            dark,
        }
    }

    #[test]
    fn rows_become_dashed_strokes() {
        let m = matrix(&["##.#", "....", ".##.", "#..#"]);
        let mut s = String::new();
        draw_symbol(&mut s, &m, 10.0, 100.0, 2.0);
        let lines: Vec<&str> = s.lines().collect();
        assert_eq!(lines[0], "q 2 0 0 -2 10 99 cm");
        assert_eq!(lines[1], "[2 1 1 1]0 d 0 0 m 4 0 l S");
        // Empty row 1 is skipped; row 2 is a single run: dashing switched off.
        assert_eq!(lines[2], "[]0 d 1 2 m 3 2 l S");
        assert_eq!(lines[3], "[1 2 1 1]0 d 0 3 m 4 3 l S");
        assert_eq!(lines[4], "Q");
    }

    #[test]
    fn numbers_are_compact() {
        assert_eq!(num(2.0), "2");
        assert_eq!(num(-2.5), "-2.5");
        assert_eq!(num(1.23456), "1.235");
        assert_eq!(num(0.1), "0.1");
    }

    #[test]
    fn deflate_round_trips() {
        use std::io::Read;
        let data = b"0 g 1 w ".repeat(100);
        let z = deflate(&data, 6).unwrap();
        let mut back = Vec::new();
        flate2::read::ZlibDecoder::new(&z[..])
            .read_to_end(&mut back)
            .unwrap();
        assert_eq!(back, data);
    }
}
