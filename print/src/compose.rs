//! One page: cards placed in their cells, as one deflated PDF content stream.
//!
//! Every layout goes through [`compose_page`]; the layout table decides sizes and
//! the `Arrangement` decides where the QR sits. Text is black on white, Chinese
//! first; the QR's 4-module quiet zone is kept free of text and lines.

use std::fmt::Write as _;

use crate::card::{household_heading, Card, Printed};
use crate::error::PrintError;
use crate::glyphs::JobFonts;
use crate::layout::{Arrangement, Boxmm, Separators, Spec, Style};
use crate::qr;
use crate::qrdraw::{self, num};
use crate::textblock::{emit, fit_items, height, item, Align, Item, TextOps};
use crate::textfit::PT_PER_MM;

/// What goes on one page.
#[derive(Debug, Clone)]
pub(crate) struct PagePlan {
    /// (cell index, card index into the job's cards).
    pub cells: Vec<(usize, usize)>,
    /// Household heading: household, continued?, members in the household.
    pub heading: Option<(String, bool, usize)>,
}

/// Buffers a worker thread reuses from page to page.
#[derive(Default)]
pub(crate) struct Scratch {
    content: String,
    text: String,
}

/// A drawn page, ready for the document.
pub(crate) struct PageOut {
    /// The page's content stream, deflated (`/FlateDecode`).
    pub content: Vec<u8>,
    pub max_version: u8,
    pub min_module_mm: f32,
}

/// The demo mark (empty on a real card, then not drawn), the name and the expiry. The mark
/// is the first line of the card's text, in bold at the details' size (the household sheet
/// has no room for more): never on the QR, whose quiet zone the layout keeps free.
fn header_items(card: &Printed, spec: &Spec) -> [Item; 3] {
    let mark = Style {
        bold: true,
        max_lines: 1,
        ..spec.detail
    };
    [
        item(card.demo.clone(), mark, true, "演示 demo"),
        item(card.name.clone(), spec.name, true, "姓名 name"),
        item(card.expiry.clone(), spec.expiry, true, "有效期 expiry"),
    ]
}

fn detail_items(card: &Printed, spec: &Spec) -> Vec<Item> {
    let mut v = vec![
        item(card.id.clone(), spec.detail, false, "身份证 ID"),
        item(card.address.clone(), spec.address, false, "住址 address"),
        item(card.station.clone(), spec.detail, false, "服务站 station"),
    ];
    let mut small = Vec::new();
    if spec.english {
        small.push(card.english.clone());
    }
    if !card.serial.is_empty() {
        small.push(card.serial.clone());
    }
    if spec.small_one_line {
        small = vec![small.join("   ")];
    }
    for (i, s) in small.into_iter().enumerate() {
        let mut it = item(s, spec.small, false, "small");
        if i == 0 {
            it.gap_before = 1.0;
        }
        v.push(it);
    }
    v
}

/// Where a card's QR symbol goes (mm, top-left corner of the modules).
struct QrPlace {
    x: f32,
    y: f32,
}

/// Draw one card into its cell, its content centred vertically.
fn compose_card(
    spec: &Spec,
    cell: Boxmm,
    card: &Printed,
    qr_width: usize,
    sink: &mut TextOps<'_>,
) -> Result<QrPlace, &'static str> {
    let fonts = sink.fonts;
    let qr = spec.qr_mm;
    let qz = 4.0 * qr / qr_width as f32;
    let inner = Boxmm {
        x: cell.x + spec.pad,
        y: cell.y + spec.pad,
        w: cell.w - 2.0 * spec.pad,
        h: cell.h - 2.0 * spec.pad,
    };
    // The quiet zone may use the cell padding but never leaves the cell.
    let edge = spec.pad.max(qz);
    let centre = |used: f32| ((inner.h - used) / 2.0).max(0.0);
    let place = match spec.arrangement {
        Arrangement::Header => {
            let head = fit_items(fonts, &header_items(card, spec), inner.w)?;
            let col_x = cell.x + edge + qr + qz + 1.0;
            let col_w = inner.right() - col_x;
            let details = fit_items(fonts, &detail_items(card, spec), col_w)?;
            let head_h = height(&head);
            let body_h = (qr + qz).max(height(&details));
            if head_h + qz + qr + qz > cell.bottom() - inner.y {
                return Err("姓名 name");
            }
            if head_h + qz + body_h > inner.h + spec.pad - 1.0 {
                return Err("small");
            }
            let top = inner.y + centre(head_h + qz + body_h);
            let y = emit(sink, &head, inner.x, inner.w, top, Align::Left);
            let p = QrPlace {
                x: cell.x + edge,
                y: y + qz,
            };
            emit(sink, &details, col_x, col_w, p.y, Align::Left);
            p
        }
        Arrangement::Stacked => {
            let head = fit_items(fonts, &header_items(card, spec), inner.w)?;
            let details = fit_items(fonts, &detail_items(card, spec), inner.w)?;
            let used = height(&head) + qz + qr + qz + height(&details);
            if used > inner.h + spec.pad / 2.0 {
                return Err(if height(&head) + 2.0 * qz + qr > cell.bottom() - inner.y {
                    "姓名 name"
                } else {
                    "small"
                });
            }
            let top = inner.y + centre(used);
            let y = emit(sink, &head, inner.x, inner.w, top, Align::Center);
            let p = QrPlace {
                x: cell.x + (cell.w - qr) / 2.0,
                y: y + qz,
            };
            emit(
                sink,
                &details,
                inner.x,
                inner.w,
                p.y + qr + qz,
                Align::Center,
            );
            p
        }
        Arrangement::Side => {
            let col_x = cell.x + edge + qr + qz + 2.0;
            let col_w = inner.right() - col_x;
            let mut items: Vec<Item> = header_items(card, spec).into_iter().collect();
            let mut details = detail_items(card, spec);
            if let Some(first) = details.first_mut() {
                first.gap_before = 1.0;
            }
            items.extend(details);
            let blocks = fit_items(fonts, &items, col_w)?;
            let used = height(&blocks);
            if used > inner.h + spec.pad - 1.0 {
                return Err("small");
            }
            emit(
                sink,
                &blocks,
                col_x,
                col_w,
                inner.y + centre(used),
                Align::Left,
            );
            QrPlace {
                x: cell.x + edge,
                y: cell.y + (cell.h - qr) / 2.0,
            }
        }
    };
    Ok(place)
}

/// A stroked line from `a` to `b` (mm from the page's top-left).
fn line(out: &mut String, page_h: f32, a: (f32, f32), b: (f32, f32)) {
    let p = |x: f32, y: f32| (num(x * PT_PER_MM), num((page_h - y) * PT_PER_MM));
    let (ax, ay) = p(a.0, a.1);
    let (bx, by) = p(b.0, b.1);
    let _ = writeln!(out, "{ax} {ay} m {bx} {by} l S");
}

fn separators(out: &mut String, spec: &Spec, cells_used: usize) {
    let (w, h) = spec.page;
    match spec.separators {
        Separators::None => {}
        Separators::CutLines => {
            out.push_str("0.55 G 0.5 w 0 J [4 3] 0 d\n");
            let rows_used = cells_used.div_ceil(spec.cols).max(1);
            let used_h = spec.cell(rows_used * spec.cols - 1).bottom();
            for c in 1..spec.cols {
                let x = spec.cell(c).x;
                line(out, h, (x, 0.0), (x, used_h));
            }
            for r in 1..=rows_used.min(spec.rows - 1) {
                let y = spec.cell(r * spec.cols).y;
                line(out, h, (0.0, y), (w, y));
            }
        }
        Separators::Rules => {
            out.push_str("0.6 G 0.6 w\n");
            for r in 1..cells_used.min(spec.rows) {
                let c = spec.cell(r * spec.cols);
                line(out, h, (c.x, c.y), (c.x + c.w, c.y));
            }
            if let Some(hb) = spec.heading_box() {
                out.push_str("0 G 1.2 w\n");
                let y = hb.bottom() - 1.5;
                line(out, h, (hb.x, y), (hb.right(), y));
            }
        }
    }
}

/// Draw a page of `plan`. `level` is the zlib level for its content stream.
pub(crate) fn compose_page(
    spec: &Spec,
    plan: &PagePlan,
    cards: &[Card],
    fonts: &JobFonts<'_>,
    level: u32,
    scratch: &mut Scratch,
) -> Result<PageOut, PrintError> {
    let page_h = spec.page.1;
    let mut text = std::mem::take(&mut scratch.text);
    text.clear();
    let mut sink = TextOps {
        out: text,
        fonts,
        page_h,
        font: None,
        faux: false,
    };
    // Separators, then the QR symbols (own graphics state), then the text.
    let mut content = std::mem::take(&mut scratch.content);
    content.clear();
    content.push_str("q\n");
    separators(&mut content, spec, plan.cells.len());
    content.push_str("Q\nq\n");
    qrdraw::stream_prologue(&mut content);
    let mut max_version = 0;
    let mut min_module_mm = f32::MAX;

    if let (Some((household, continued, members)), Some((style, _)), Some(hb)) =
        (&plan.heading, spec.heading, spec.heading_box())
    {
        let heading = item(
            household_heading(household, *continued, *members),
            style,
            false,
            "家庭 household",
        );
        let blocks =
            fit_items(fonts, &[heading], hb.w).map_err(|field| PrintError::TextTooLong {
                card: plan.cells.first().map_or(0, |c| c.1 + 1),
                name: household.clone(),
                field,
            })?;
        let top = hb.y + ((hb.h - 1.5 - height(&blocks)) / 2.0).max(0.0);
        emit(&mut sink, &blocks, hb.x, hb.w, top, Align::Left);
    }

    for &(cell_index, card_index) in &plan.cells {
        let card = &cards[card_index];
        let matrix = qr::encode(&card.qr_text).map_err(|reason| PrintError::Qr {
            card: card_index + 1,
            name: card.name.clone(),
            reason,
        })?;
        let cell = spec.cell(cell_index);
        let printed = Printed::of(card);
        let place =
            compose_card(spec, cell, &printed, matrix.width, &mut sink).map_err(|field| {
                PrintError::TextTooLong {
                    card: card_index + 1,
                    name: card.name.clone(),
                    field,
                }
            })?;
        let module_mm = spec.qr_mm / matrix.width as f32;
        qrdraw::draw_symbol(
            &mut content,
            &matrix,
            place.x * PT_PER_MM,
            (page_h - place.y) * PT_PER_MM,
            module_mm * PT_PER_MM,
        );
        max_version = max_version.max(matrix.version);
        min_module_mm = min_module_mm.min(module_mm);
    }

    content.push_str("Q\nBT\n0 g 0 G\n");
    content.push_str(&sink.out);
    content.push_str("ET\n");
    let deflated = qrdraw::deflate(content.as_bytes(), level)?;
    scratch.content = content;
    scratch.text = sink.out;
    Ok(PageOut {
        content: deflated,
        max_version,
        min_module_mm,
    })
}
