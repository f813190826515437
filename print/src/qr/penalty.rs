//! The ISO/IEC 18004 §7.8.3 mask penalty (rules N1–N4), on bitsets.
//!
//! Each row and column of the symbol is a 192-bit [`Line`]; every rule becomes a
//! handful of shifts, ands and popcounts per line instead of a loop over modules,
//! so scoring all eight masks of a version-11 symbol takes microseconds.

/// A row or column of up to 192 modules (version 40 is 177 wide, plus padding),
/// bit `i` = module `i`.
#[derive(Clone, Copy, Default)]
pub(super) struct Line([u64; 3]);

impl Line {
    pub(super) fn set(&mut self, i: usize) {
        self.0[i / 64] |= 1 << (i % 64);
    }
    pub(super) fn put(&mut self, i: usize, on: bool) {
        let bit = 1u64 << (i % 64);
        if on {
            self.0[i / 64] |= bit;
        } else {
            self.0[i / 64] &= !bit;
        }
    }
    pub(super) fn get(&self, i: usize) -> bool {
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
        Line([
            w[0] << 1,
            (w[1] << 1) | (w[0] >> 63),
            (w[2] << 1) | (w[1] >> 63),
        ])
    }
    pub(super) fn and(self, o: Line) -> Line {
        Line([self.0[0] & o.0[0], self.0[1] & o.0[1], self.0[2] & o.0[2]])
    }
    pub(super) fn xor(self, o: Line) -> Line {
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
pub(super) fn penalty_lines(rows: &[Line], cols: &[Line], n: usize) -> u32 {
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
        score += 3 * vertical
            .and(vertical.shr(1))
            .and(horizontal)
            .first(n - 1)
            .count();
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
    let five = eq
        .and(eq.shr(1))
        .and(eq.shr(2))
        .and(eq.shr(3))
        .first(n.saturating_sub(4));
    let starts = five.and(eq.shl1().not());
    let mut score = five.count() + 2 * starts.count();

    // N3: pad with 4 light modules on each side, then match both 11-module patterns.
    let w = line.0;
    let padded = Line([
        w[0] << 4,
        (w[1] << 4) | (w[0] >> 60),
        (w[2] << 4) | (w[1] >> 60),
    ]);
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
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

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
        assert_eq!(
            line_penalty(line(&[1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0]), 12),
            3 + (3 + 2)
        );
        // N3: 1011101 with 4 light modules on both sides (the quiet zone): both patterns.
        assert_eq!(line_penalty(line(&[1, 0, 1, 1, 1, 0, 1]), 7), 80);
        // …and with a dark module 2 after it only the left-side pattern counts.
        assert_eq!(line_penalty(line(&[1, 0, 1, 1, 1, 0, 1, 0, 1]), 9), 40);
        // Runs crossing 64-bit word boundaries.
        let mut long = vec![0u8; 150];
        long[60..70].fill(1);
        assert_eq!(
            line_penalty(line(&long), 150),
            (3 + 55) + (3 + 5) + (3 + 75)
        );
        // N2 + N4 on a full 2×2 dark grid: one block (3), runs of 2 (0),
        // 100 % dark → deviation 50 % → 10 steps of 10.
        assert_eq!(penalty(&[true; 4], 2), 3 + 100);
    }
}
