//! Text in a column: fit each field (shrink, wrap) and write PDF text operators.
//!
//! Fitting happens before anything is drawn, so a card's content can be measured
//! and centred in its cell, and a field that does not fit is reported before a
//! single operator is written. Ops only change font, size or faux-bold state when a run
//! needs it.

use std::fmt::Write as _;

use crate::glyphs::JobFonts;
use crate::layout::{Style, LEADING};
use crate::qrdraw::num;
use crate::textfit::{fit, PT_PER_MM};

/// Ascent of the ideographic em box above the baseline, in em (Noto CJK, HanaMin).
const ASCENT: f32 = 0.88;

#[derive(Clone, Copy, PartialEq)]
pub(crate) enum Align {
    Left,
    Center,
}

/// Text content (between `BT` and `ET`) with the current font state, so `Tf`/`Tr`
/// are only written on change.
pub(crate) struct TextOps<'a> {
    pub(crate) out: String,
    pub(crate) fonts: &'a JobFonts<'a>,
    pub(crate) page_h: f32,
    pub(crate) font: Option<(usize, f32)>,
    pub(crate) faux: bool,
}

impl TextOps<'_> {
    /// Draw one line; `x`, `top` in mm from the page's top-left.
    pub(crate) fn line(&mut self, text: &str, bold: bool, pt: f32, x: f32, top: f32) {
        let baseline = top + ((LEADING - 1.0) / 2.0 + ASCENT) * pt / PT_PER_MM;
        let y_pt = (self.page_h - baseline) * PT_PER_MM;
        for run in self.fonts.runs(text, bold) {
            let Some(name) = self.fonts.font_name(run.slot) else {
                continue;
            };
            let out = &mut self.out;
            if self.font != Some((run.slot, pt)) {
                let _ = writeln!(out, "/{name} {} Tf", num(pt));
                self.font = Some((run.slot, pt));
            }
            if run.faux_bold != self.faux {
                if run.faux_bold {
                    let _ = writeln!(out, "{} w 2 Tr", num(pt * 0.035));
                } else {
                    out.push_str("0 Tr\n");
                }
                self.faux = run.faux_bold;
            }
            // Hundredths of a point are plenty and keep the content stream short.
            let round = |v: f32| (v * 100.0).round() / 100.0;
            let _ = write!(
                out,
                "1 0 0 1 {} {} Tm <",
                num(round(x * PT_PER_MM + run.x_em * pt)),
                num(round(y_pt))
            );
            for code in &run.codes {
                let _ = write!(out, "{code:04X}");
            }
            out.push_str("> Tj\n");
        }
    }
}

/// A field to place in a column.
pub(crate) struct Item {
    pub(crate) text: String,
    pub(crate) style: Style,
    pub(crate) required: bool,
    pub(crate) field: &'static str,
    pub(crate) gap_before: f32,
}

pub(crate) fn item(text: String, style: Style, required: bool, field: &'static str) -> Item {
    Item {
        text,
        style,
        required,
        field,
        gap_before: 0.0,
    }
}

/// A fitted field: its lines, size and the space above it.
pub(crate) struct Block {
    pub(crate) lines: Vec<String>,
    pub(crate) pt: f32,
    pub(crate) bold: bool,
    pub(crate) gap_before: f32,
}

impl Block {
    fn height(&self) -> f32 {
        self.gap_before + self.lines.len() as f32 * self.pt * LEADING / PT_PER_MM
    }
}

pub(crate) fn height(blocks: &[Block]) -> f32 {
    blocks.iter().map(Block::height).sum()
}

/// Fit `items` into a column `width` mm wide; the field that cannot fit on error.
pub(crate) fn fit_items(
    fonts: &JobFonts<'_>,
    items: &[Item],
    width: f32,
) -> Result<Vec<Block>, &'static str> {
    let mut blocks = Vec::with_capacity(items.len());
    for it in items {
        if it.text.is_empty() {
            continue;
        }
        let bold = it.style.bold;
        let measure = |s: &str| fonts.width_em(s, bold);
        let fitted = fit(&it.text, &it.style, width, it.required, &measure).ok_or(it.field)?;
        blocks.push(Block {
            lines: fitted.lines,
            pt: fitted.pt,
            bold,
            gap_before: it.gap_before,
        });
    }
    Ok(blocks)
}

/// Draw `blocks` top-down from `top` in the column at `x`, `w`; returns the bottom.
pub(crate) fn emit(
    sink: &mut TextOps<'_>,
    blocks: &[Block],
    x: f32,
    w: f32,
    top: f32,
    align: Align,
) -> f32 {
    let mut y = top;
    for b in blocks {
        y += b.gap_before;
        let line_h = b.pt * LEADING / PT_PER_MM;
        for line in &b.lines {
            let lx = match align {
                Align::Left => x,
                Align::Center => {
                    x + (w - sink.fonts.width_em(line, b.bold) * b.pt / PT_PER_MM) / 2.0
                }
            };
            sink.line(line, b.bold, b.pt, lx, y);
            y += line_h;
        }
    }
    y
}
