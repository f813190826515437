//! The job: check, paginate, draw pages on every core, write one PDF.
//!
//! Pages are independent, so worker threads (one per core) take page numbers from
//! a shared counter and each encodes its cards' QR codes, lays out the text and
//! deflates the page's QR stream. The calling thread only collects pages and
//! reports progress, so the callback (which may be a UI closure, not `Send`) is
//! always called on the caller's thread; a `Break` stops the workers at the next
//! page. printpdf then assembles the document: it subsets the fonts, turns the
//! text ops into content streams and writes the file.
//!
//! Nothing reaches `out` until every page is drawn: a cancelled or failed job
//! writes nothing. printpdf has no streaming writer, so the whole document is
//! held in memory; what it holds per page is small (compressed QR stream, a few
//! dozen text ops), and the page ops are dropped before the file is written.
//! A write can still fail half-way (disk full): callers that write a file should
//! use [`render_to_path`], which writes a temporary file and renames it.

use std::collections::HashMap;
use std::io::{BufWriter, Write};
use std::ops::ControlFlow;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;

use printpdf::{
    DictItem, ExternalStream, ExternalXObject, Mm, PdfDocument, PdfPage, PdfSaveOptions, XObject,
};

use crate::card::{household_heading, Card, Printed, Progress, RenderStats, Stage};
use crate::compose::{compose_page, qr_xobject_id, PageOut, PagePlan, Scratch};
use crate::coverage;
use crate::error::PrintError;
use crate::fonts::Fonts;
use crate::glyphs::JobFonts;
use crate::layout::Layout;
use crate::textfit::PT_PER_MM;

/// zlib level for the QR streams (9: smallest file; the streams are small and
/// deflated on all cores, so the time difference to level 6 is minor).
const QR_ZLIB_LEVEL: u32 = 6;

/// Split the cards into pages.
pub(crate) fn paginate(layout: Layout, cards: &[Card]) -> Vec<PagePlan> {
    let per_page = layout.cards_per_page();
    if layout != Layout::HouseholdSheet {
        return (0..cards.len())
            .collect::<Vec<_>>()
            .chunks(per_page)
            .map(|chunk| PagePlan {
                cells: chunk.iter().enumerate().map(|(c, &i)| (c, i)).collect(),
                heading: None,
            })
            .collect();
    }
    // Households in order of first appearance, members in input order.
    let mut order: Vec<(&str, Vec<usize>)> = Vec::new();
    let mut index: HashMap<&str, usize> = HashMap::new();
    for (i, card) in cards.iter().enumerate() {
        let key = card.household.as_str();
        let slot = *index.entry(key).or_insert_with(|| {
            order.push((key, Vec::new()));
            order.len() - 1
        });
        order[slot].1.push(i);
    }
    let mut pages = Vec::new();
    for (household, members) in order {
        let count = members.len();
        for (n, chunk) in members.chunks(per_page).enumerate() {
            pages.push(PagePlan {
                cells: chunk.iter().enumerate().map(|(c, &i)| (c, i)).collect(),
                heading: Some((household.to_string(), n > 0, count)),
            });
        }
    }
    pages
}

/// Counts bytes on their way to the caller's writer.
struct Counting<W> {
    inner: W,
    bytes: u64,
}

impl<W: Write> Write for Counting<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.bytes += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// Render `cards` in `layout` as one PDF written to `out`.
///
/// Checks glyph coverage first ([`crate::check_coverage`]) and refuses, writing
/// nothing, if any printed character has no font. `progress` is called on the
/// calling thread: once while preparing, after every drawn page, before writing and
/// when done; returning `ControlFlow::Break(())` before writing cancels the job
/// with [`PrintError::Cancelled`] and nothing is written.
pub fn render(
    layout: Layout,
    cards: &[Card],
    fonts: &Fonts,
    out: &mut impl Write,
    progress: &mut dyn FnMut(Progress) -> ControlFlow<()>,
) -> Result<RenderStats, PrintError> {
    if cards.is_empty() {
        return Err(PrintError::NoCards);
    }
    let spec = layout.spec();
    let household = layout == Layout::HouseholdSheet;
    coverage::check(cards, fonts, household)?;
    let plans = paginate(layout, cards);
    let mut report = Progress {
        stage: Stage::Preparing,
        pages_done: 0,
        pages_total: plans.len(),
        cards_done: 0,
        cards_total: cards.len(),
    };
    if progress(report).is_break() {
        return Err(PrintError::Cancelled);
    }

    // Every string that will be printed, for the font subsets.
    let printed: Vec<Printed> = cards.iter().map(Printed::of).collect();
    let headings: Vec<String> = plans
        .iter()
        .filter_map(|p| p.heading.as_ref())
        .map(|(h, cont, n)| household_heading(h, *cont, *n))
        .collect();
    let texts = printed
        .iter()
        .flat_map(|p| p.fields().map(|(_, t, bold)| (t, bold)))
        .chain(headings.iter().map(|h| (h.as_str(), true)));
    let (mut job_fonts, subsets) = JobFonts::prepare(fonts, texts)?;
    drop(printed);

    let mut doc = PdfDocument::new("核酸码 NAC cards");
    job_fonts.add_to(&mut doc, subsets);

    let pages = draw_pages(spec, &plans, cards, &job_fonts, &mut report, progress)?;

    report.stage = Stage::Writing;
    if progress(report).is_break() {
        return Err(PrintError::Cancelled);
    }
    let (w, h) = spec.page;
    let mut max_version = 0;
    let mut min_module_mm = f32::MAX;
    let mut pdf_pages = Vec::with_capacity(pages.len());
    for (page_no, page) in pages.into_iter().enumerate() {
        max_version = max_version.max(page.max_version);
        min_module_mm = min_module_mm.min(page.min_module_mm);
        doc.resources.xobjects.map.insert(
            qr_xobject_id(page_no),
            XObject::External(qr_form(page.qr_stream, w, h)),
        );
        pdf_pages.push(PdfPage::new(Mm(w), Mm(h), page.ops));
    }
    doc.with_pages(pdf_pages);

    let opts = PdfSaveOptions {
        optimize: true,
        subset_fonts: true,
        secure: true,
        image_optimization: None,
    };
    let mut warnings = Vec::new();
    let mut lo = doc.to_lopdf_document(&opts, &mut warnings);
    drop(doc);
    lo.compress();
    let mut counting = Counting {
        inner: out,
        bytes: 0,
    };
    {
        let mut buffered = BufWriter::with_capacity(1 << 16, &mut counting);
        lo.save_to(&mut buffered)
            .map_err(|e| PrintError::Pdf(e.to_string()))?;
        buffered.flush()?;
    }
    drop(lo);

    report.stage = Stage::Done;
    let _ = progress(report);
    Ok(RenderStats {
        pages: report.pages_total,
        cards: cards.len(),
        bytes: counting.bytes,
        max_qr_version: max_version,
        qr_symbol_mm: spec.qr_mm,
        min_module_mm,
        fonts: job_fonts.families(),
    })
}

/// A pre-compressed form XObject covering the whole page.
fn qr_form(stream: Vec<u8>, w_mm: f32, h_mm: f32) -> ExternalXObject {
    let mut dict = std::collections::BTreeMap::new();
    dict.insert("Type".to_string(), DictItem::Name(b"XObject".to_vec()));
    dict.insert("Subtype".to_string(), DictItem::Name(b"Form".to_vec()));
    dict.insert(
        "BBox".to_string(),
        DictItem::Array(vec![
            DictItem::Int(0),
            DictItem::Int(0),
            DictItem::Real(w_mm * PT_PER_MM),
            DictItem::Real(h_mm * PT_PER_MM),
        ]),
    );
    dict.insert(
        "Filter".to_string(),
        DictItem::Name(b"FlateDecode".to_vec()),
    );
    ExternalXObject {
        stream: ExternalStream {
            dict,
            content: stream,
            compress: false,
        },
        width: None,
        height: None,
        dpi: None,
    }
}

/// Draw all pages on worker threads; progress and cancellation on this thread.
fn draw_pages(
    spec: &'static crate::layout::Spec,
    plans: &[PagePlan],
    cards: &[Card],
    fonts: &JobFonts<'_>,
    report: &mut Progress,
    progress: &mut dyn FnMut(Progress) -> ControlFlow<()>,
) -> Result<Vec<PageOut>, PrintError> {
    let threads = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .min(plans.len())
        .max(1);
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let mut slots: Vec<Option<PageOut>> = Vec::new();
    slots.resize_with(plans.len(), || None);
    report.stage = Stage::Drawing;

    let outcome = std::thread::scope(|s| {
        let (tx, rx) = mpsc::channel::<(usize, Result<PageOut, PrintError>)>();
        for _ in 0..threads {
            let tx = tx.clone();
            let (next, stop) = (&next, &stop);
            s.spawn(move || {
                let mut scratch = Scratch::default();
                loop {
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(plan) = plans.get(i) else { break };
                    let page =
                        compose_page(spec, i, plan, cards, fonts, QR_ZLIB_LEVEL, &mut scratch);
                    let failed = page.is_err();
                    if tx.send((i, page)).is_err() || failed {
                        break;
                    }
                }
            });
        }
        drop(tx);
        for (i, page) in rx {
            match page {
                Ok(page) => {
                    slots[i] = Some(page);
                    report.pages_done += 1;
                    report.cards_done += plans[i].cells.len();
                    if progress(*report).is_break() {
                        stop.store(true, Ordering::Relaxed);
                        return Err(PrintError::Cancelled);
                    }
                }
                Err(e) => {
                    stop.store(true, Ordering::Relaxed);
                    return Err(e);
                }
            }
        }
        Ok(())
    });
    outcome?;
    slots
        .into_iter()
        .map(|p| p.ok_or_else(|| PrintError::Pdf("a page was not drawn".into())))
        .collect()
}

/// Render into `path` atomically: the PDF is written to a temporary file in the
/// same directory and renamed over `path` only when complete, so a cancelled or
/// failed job never leaves a partial file where a viewer or printer could pick it
/// up.
pub fn render_to_path(
    layout: Layout,
    cards: &[Card],
    fonts: &Fonts,
    path: &Path,
    progress: &mut dyn FnMut(Progress) -> ControlFlow<()>,
) -> Result<RenderStats, PrintError> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "cards.pdf".into());
    let tmp = dir.join(format!(".{name}.{}.part", std::process::id()));
    let result = (|| {
        let mut file = std::fs::File::create(&tmp)?;
        let stats = render(layout, cards, fonts, &mut file, progress)?;
        file.sync_all()?;
        drop(file);
        std::fs::rename(&tmp, path)?;
        Ok(stats)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn card(name: &str, household: &str) -> Card {
        Card {
            name: name.into(),
            household: household.into(),
            ..Card::default()
        }
    }

    #[test]
    fn grid_pages_hold_eight() {
        let cards: Vec<Card> = (0..17).map(|i| card(&i.to_string(), "h")).collect();
        let pages = paginate(Layout::A4Grid8, &cards);
        assert_eq!(
            pages.iter().map(|p| p.cells.len()).collect::<Vec<_>>(),
            [8, 8, 1]
        );
        assert_eq!(pages[2].cells, vec![(0, 16)]);
    }

    #[test]
    fn households_group_in_input_order_and_continue() {
        let mut cards = vec![card("a1", "A"), card("b1", "B"), card("a2", "A")];
        for i in 0..6 {
            cards.push(card(&format!("c{i}"), "C"));
        }
        let pages = paginate(Layout::HouseholdSheet, &cards);
        let names: Vec<Vec<&str>> = pages
            .iter()
            .map(|p| {
                p.cells
                    .iter()
                    .map(|&(_, i)| cards[i].name.as_str())
                    .collect()
            })
            .collect();
        assert_eq!(
            names,
            vec![
                vec!["a1", "a2"],
                vec!["b1"],
                vec!["c0", "c1", "c2", "c3", "c4"],
                vec!["c5"]
            ]
        );
        assert_eq!(pages[3].heading, Some(("C".to_string(), true, 6)));
        assert_eq!(pages[2].heading, Some(("C".to_string(), false, 6)));
    }
}
