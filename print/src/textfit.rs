//! Fitting a field into its box: shrink to the style's floor, then wrap.
//!
//! Fewer lines win over larger type: a name is first shrunk (never below its
//! `min_pt`) to stay on one line, and only then wrapped. Chinese text may break
//! between any two characters; runs of Latin letters/digits ("2026-12-27",
//! "310***********123X") stay whole and break at spaces; a middle dot or closing
//! punctuation never starts a line. Required fields that still do not fit are an
//! error (never a silently cut name); optional ones end in "…".

use crate::layout::Style;

/// Points per millimetre.
pub const PT_PER_MM: f32 = 72.0 / 25.4;

/// A fitted field: its size and lines.
#[derive(Debug, Clone, PartialEq)]
pub struct Fitted {
    pub pt: f32,
    pub lines: Vec<String>,
}

/// Fit `text` into `width_mm` with `style`. `measure` returns a string's advance in
/// em. `None` when a required text cannot fit.
pub fn fit(
    text: &str,
    style: &Style,
    width_mm: f32,
    required: bool,
    measure: &dyn Fn(&str) -> f32,
) -> Option<Fitted> {
    let text = text.trim();
    let width_pt = width_mm * PT_PER_MM;
    let fine = atoms(text);
    let coarse = preferred(&fine);
    for lines_allowed in 1..=style.max_lines.max(1) {
        let mut pt = style.pt;
        loop {
            let max_em = width_pt / pt;
            // Breaking only at spaces and after a middle dot reads best
            // ("阿依古丽·" / "买买提"); any CJK boundary is the fallback.
            let lines = wrap(&coarse, max_em, lines_allowed, false, measure)
                .or_else(|| wrap(&fine, max_em, lines_allowed, true, measure));
            if let Some(lines) = lines {
                return Some(Fitted { pt, lines });
            }
            if pt <= style.min_pt {
                break;
            }
            pt = (pt - 0.5).max(style.min_pt);
        }
    }
    if required {
        return None;
    }
    // Optional text: minimum size, as many lines as allowed, the last one shortened.
    let pt = style.min_pt;
    let max_em = width_pt / pt;
    let mut lines = wrap(&fine, max_em, usize::MAX, true, measure).unwrap_or_default();
    if lines.len() > style.max_lines.max(1) {
        lines.truncate(style.max_lines.max(1));
        if let Some(last) = lines.last_mut() {
            let mut cut = last.clone();
            while !cut.is_empty() && measure(&format!("{cut}…")) > max_em {
                cut.pop();
            }
            *last = format!("{}…", cut.trim_end());
        }
    }
    Some(Fitted { pt, lines })
}

/// Split text into unbreakable pieces, each carrying whether a space precedes it.
/// A space between two digits does not break ("2026-12-27 10:30" stays whole).
fn atoms(text: &str) -> Vec<(bool, String)> {
    let mut out: Vec<(bool, String)> = Vec::new();
    let mut space_before = false;
    let mut prev_latin = false;
    let mut prev_digit = false;
    for c in text.chars() {
        if c.is_whitespace() {
            space_before = true;
            prev_latin = false;
            continue;
        }
        if space_before && prev_digit && c.is_ascii_digit() {
            if let Some(last) = out.last_mut() {
                last.1.push(' ');
                last.1.push(c);
                space_before = false;
                prev_latin = true;
                continue;
            }
        }
        prev_digit = c.is_ascii_digit();
        let latin = c.is_ascii_graphic();
        let glue = matches!(
            c,
            '·' | '・'
                | '，'
                | '。'
                | '、'
                | '）'
                | '」'
                | '】'
                | '》'
                | '；'
                | '：'
                | '！'
                | '？'
                | '…'
        );
        let attach = !space_before && (glue || (latin && prev_latin));
        match out.last_mut() {
            Some(last) if attach => last.1.push(c),
            _ => out.push((space_before, c.to_string())),
        }
        space_before = false;
        prev_latin = latin;
    }
    out
}

/// Merge atoms so that lines only break at spaces and after a middle dot.
fn preferred(atoms: &[(bool, String)]) -> Vec<(bool, String)> {
    let mut out: Vec<(bool, String)> = Vec::new();
    for (space, atom) in atoms {
        match out.last_mut() {
            Some(last) if !space && !last.1.ends_with(['·', '・']) => last.1.push_str(atom),
            _ => out.push((*space, atom.clone())),
        }
    }
    out
}

/// Greedy wrap into lines of at most `max_em`; `None` if more than `max_lines`
/// lines are needed. An atom wider than a line is broken by character when
/// `char_break`, otherwise the wrap fails.
fn wrap(
    atoms: &[(bool, String)],
    max_em: f32,
    max_lines: usize,
    char_break: bool,
    measure: &dyn Fn(&str) -> f32,
) -> Option<Vec<String>> {
    let mut lines: Vec<String> = Vec::new();
    let mut cur = String::new();
    for (space, atom) in atoms {
        let (space, atom) = (*space, atom.clone());
        let candidate = if cur.is_empty() {
            atom.clone()
        } else if space {
            format!("{cur} {atom}")
        } else {
            format!("{cur}{atom}")
        };
        if measure(&candidate) <= max_em {
            cur = candidate;
            continue;
        }
        if !cur.is_empty() {
            lines.push(std::mem::take(&mut cur));
        }
        if measure(&atom) <= max_em {
            cur = atom;
        } else if !char_break {
            return None;
        } else {
            for c in atom.chars() {
                let next = format!("{cur}{c}");
                if measure(&next) > max_em && !cur.is_empty() {
                    lines.push(std::mem::take(&mut cur));
                    cur.push(c);
                } else {
                    cur = next;
                }
            }
        }
        if lines.len() > max_lines {
            return None;
        }
    }
    if !cur.is_empty() {
        lines.push(cur);
    }
    (lines.len() <= max_lines).then_some(lines)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::layout::Style;

    /// CJK 1 em, everything else 0.5 em.
    fn m(s: &str) -> f32 {
        s.chars()
            .map(|c| if c.is_ascii() { 0.5 } else { 1.0 })
            .sum()
    }

    fn st(pt: f32, min_pt: f32, max_lines: usize) -> Style {
        Style {
            pt,
            min_pt,
            bold: true,
            max_lines,
        }
    }

    #[test]
    fn shrinks_before_wrapping() {
        // 10 em wide at 20 pt = 200 pt; at 22 pt only 9.1 em fit.
        let w = 200.0 / PT_PER_MM;
        let f = fit("一二三四五六七八九十", &st(22.0, 20.0, 2), w, true, &m).unwrap();
        assert_eq!(f.pt, 20.0);
        assert_eq!(f.lines, vec!["一二三四五六七八九十"]);
    }

    #[test]
    fn wraps_at_spaces_and_keeps_latin_whole() {
        let w = 10.0 * 16.0 / PT_PER_MM; // 10 em at 16 pt
        let f = fit("有效期至 2026-12-27 10:30", &st(16.0, 16.0, 2), w, true, &m).unwrap();
        assert_eq!(f.lines, vec!["有效期至", "2026-12-27 10:30"]);
    }

    #[test]
    fn middle_dot_never_starts_a_line() {
        let w = 5.2 * 20.0 / PT_PER_MM;
        let f = fit("阿依古丽·买买提", &st(20.0, 20.0, 2), w, true, &m).unwrap();
        assert_eq!(f.lines, vec!["阿依古丽·", "买买提"]);
    }

    #[test]
    fn wraps_at_middle_dot_before_any_other_boundary() {
        let w = 6.5 * 20.0 / PT_PER_MM;
        let f = fit("阿依古丽·买买提", &st(20.0, 20.0, 2), w, true, &m).unwrap();
        assert_eq!(f.lines, vec!["阿依古丽·", "买买提"]);
    }

    #[test]
    fn date_and_time_stay_together() {
        let w = 12.0 * 16.0 / PT_PER_MM;
        let f = fit("有效期至 2026-12-01 08:00", &st(16.0, 16.0, 2), w, true, &m).unwrap();
        assert_eq!(f.lines, vec!["有效期至", "2026-12-01 08:00"]);
    }

    #[test]
    fn required_text_that_cannot_fit_is_refused() {
        let w = 3.0 * 20.0 / PT_PER_MM;
        assert!(fit("一二三四五六七八九十", &st(20.0, 20.0, 2), w, true, &m).is_none());
    }

    #[test]
    fn optional_text_is_shortened_with_ellipsis() {
        let w = 4.0 * 10.0 / PT_PER_MM;
        let f = fit("一二三四五六七八九十", &st(10.0, 10.0, 2), w, false, &m).unwrap();
        assert_eq!(f.lines.len(), 2);
        assert_eq!(f.lines[0], "一二三四");
        assert!(f.lines[1].ends_with('…'));
        assert!(m(&f.lines[1]) <= 4.0);
    }

    #[test]
    fn long_latin_token_breaks_by_character() {
        let w = 3.0 * 10.0 / PT_PER_MM; // 6 latin chars per line
        let f = fit("ABCDEFGHIJKL", &st(10.0, 10.0, 2), w, true, &m).unwrap();
        assert_eq!(f.lines, vec!["ABCDEF", "GHIJKL"]);
    }
}
