//! The job: check, paginate, draw pages on every core, stream one PDF.
//!
//! Pages are independent, so worker threads (one per core) take page numbers from
//! a shared counter and each encodes its cards' QR codes, lays out the text and
//! writes and deflates the page's content stream. The calling thread reports
//! progress and writes each page to the output as soon as it arrives, so the
//! callback (which may be a UI closure, not `Send`) is always called on the
//! caller's thread; a `Break` stops the workers at the next page.
//!
//! The file is written by [`crate::pdfwrite`], not by printpdf: printpdf keeps the
//! whole document in memory until it saves. printpdf still makes the fonts (subset,
//! `ABCDEF+` tag, widths, ToUnicode) before the first page is drawn
//! ([`JobFonts::embed`]); those objects, one offset per object and the page plans
//! are all that is held until the end, where the fonts, page tree, xref and
//! trailer are written. Memory is therefore flat in the number of pages.
//!
//! Since pages are written while the job runs, a job cancelled or failing after
//! its first page leaves a partial PDF in `out`: callers that write a file should
//! use [`render_to_path`], which writes a temporary file and renames it only when
//! the job succeeded (and deletes it otherwise).

use std::collections::{HashMap, HashSet};
use std::io::{BufWriter, Write};
use std::ops::ControlFlow;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;

use crate::card::{household_heading, Card, Printed, Progress, RenderStats, Stage};
use crate::compose::{compose_page, PageOut, PagePlan, Scratch};
use crate::coverage;
use crate::error::PrintError;
use crate::fonts::Fonts;
use crate::glyphs::JobFonts;
use crate::layout::Layout;
use crate::pdfwrite::{text_string, PdfWriter};
use crate::qrdraw::num;
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

/// Object numbers of the fixed objects; the fonts follow, then two per page.
const CATALOG: u32 = 1;
const PAGES: u32 = 2;
const RESOURCES: u32 = 3;
const INFO: u32 = 4;
const FIRST_FONT_OBJECT: u32 = 5;

/// Render `cards` in `layout` as one PDF written to `out`.
///
/// Checks glyph coverage first ([`crate::check_coverage`]) and refuses, writing
/// nothing, if any printed character has no font. `progress` is called on the
/// calling thread: once while preparing, after every drawn page, before finishing
/// the file and when done; returning `ControlFlow::Break(())` cancels the job with
/// [`PrintError::Cancelled`].
///
/// The PDF is streamed: each page is written to `out` as soon as it is drawn (after
/// its progress report), and the fonts, page tree and cross-reference table follow
/// at the end, so memory does not grow with the number of pages. A job that is
/// refused, or cancelled or failing before its first page has been reported, writes
/// nothing; one cancelled or failing later leaves an incomplete PDF in `out`.
/// Callers that write a file should use [`render_to_path`], which writes a
/// temporary file and only renames it into place when the job succeeded.
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

    // Every character that will be printed (and whether bold), for the font
    // subsets: collected card by card, so nothing per card is held.
    let mut chars: HashSet<(char, bool)> = HashSet::new();
    let mut add = |text: &str, bold: bool| chars.extend(text.chars().map(|c| (c, bold)));
    for card in cards {
        for (_, text, bold) in Printed::of(card).fields() {
            add(text, bold);
        }
    }
    for (h, cont, n) in plans.iter().filter_map(|p| p.heading.as_ref()) {
        add(&household_heading(h, *cont, *n), true);
    }
    let chars: Vec<(String, bool)> = chars.into_iter().map(|(c, b)| (c.to_string(), b)).collect();
    let (mut job_fonts, subsets) =
        JobFonts::prepare(fonts, chars.iter().map(|(c, b)| (c.as_str(), *b)))?;
    drop(chars);
    let embedded = job_fonts.embed(subsets)?;

    // Object numbers: fixed objects, the font objects, then page i is
    // `first_page + 2 i` with its content stream right after it.
    let font_numbers: HashMap<lopdf::ObjectId, u32> = embedded
        .objects
        .iter()
        .zip(FIRST_FONT_OBJECT..)
        .map(|((id, _), n)| (*id, n))
        .collect();
    let first_page = FIRST_FONT_OBJECT + embedded.objects.len() as u32;
    let page_count =
        u32::try_from(plans.len()).map_err(|_| PrintError::Pdf("too many pages".into()))?;
    let objects = first_page - 1 + 2 * page_count;
    let mut pdf = PdfWriter::new(BufWriter::with_capacity(1 << 16, out), objects);

    let (w, h) = spec.page;
    let media_box = format!("[0 0 {} {}]", num(w * PT_PER_MM), num(h * PT_PER_MM));
    let mut max_version = 0;
    let mut min_module_mm = f32::MAX;
    draw_pages(
        spec,
        &plans,
        cards,
        &job_fonts,
        &mut report,
        progress,
        &mut |i, page| {
            max_version = max_version.max(page.max_version);
            min_module_mm = min_module_mm.min(page.min_module_mm);
            if pdf.position() == 0 {
                pdf.header()?;
            }
            let id = first_page + 2 * i as u32;
            pdf.object(
                id,
                format!(
                    "<</Type/Page/Parent {PAGES} 0 R/MediaBox {media_box}/Resources {RESOURCES} 0 R/Contents {} 0 R>>",
                    id + 1
                )
                .as_bytes(),
            )?;
            pdf.stream(id + 1, "/Filter/FlateDecode", &page.content)?;
            Ok(())
        },
    )?;

    report.stage = Stage::Writing;
    if progress(report).is_break() {
        return Err(PrintError::Cancelled);
    }
    let mut resources = String::from("<</Font<<");
    for (name, id) in &embedded.resources {
        let n = font_numbers
            .get(id)
            .ok_or_else(|| PrintError::Pdf(format!("font {name} has no object")))?;
        resources.push_str(&format!("/{name} {n} 0 R"));
    }
    resources.push_str(">>>>");
    pdf.object(RESOURCES, resources.as_bytes())?;
    let renumber = |id: lopdf::ObjectId| font_numbers.get(&id).copied();
    for ((_, object), n) in embedded.objects.iter().zip(FIRST_FONT_OBJECT..) {
        pdf.lopdf_object(n, object, &renumber)?;
    }
    drop(embedded);
    let mut kids = String::with_capacity(plans.len() * 10 + 64);
    kids.push_str(&format!("<</Type/Pages/Count {page_count}/Kids["));
    for i in 0..page_count {
        kids.push_str(&format!("{} 0 R ", first_page + 2 * i));
    }
    kids.push_str("]>>");
    pdf.object(PAGES, kids.as_bytes())?;
    drop(kids);
    pdf.object(
        CATALOG,
        format!("<</Type/Catalog/Pages {PAGES} 0 R>>").as_bytes(),
    )?;
    pdf.object(
        INFO,
        format!(
            "<</Title {}/Producer (nac-print)>>",
            text_string("核酸码 NAC cards")
        )
        .as_bytes(),
    )?;
    let id = document_id(cards.len(), page_count);
    let bytes = pdf.finish(&format!(
        "/Root {CATALOG} 0 R/Info {INFO} 0 R/ID[<{id}><{id}>]"
    ))?;

    report.stage = Stage::Done;
    let _ = progress(report);
    Ok(RenderStats {
        pages: report.pages_total,
        cards: cards.len(),
        bytes,
        max_qr_version: max_version,
        qr_symbol_mm: spec.qr_mm,
        min_module_mm,
        fonts: job_fonts.families(),
    })
}

/// A file identifier (32 hex digits): unique enough, from the time, process and job.
#[allow(
    clippy::disallowed_methods,
    reason = "the time only makes the identifier unique, nothing reads it as a date"
)]
fn document_id(cards: usize, pages: u32) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let mut h: u64 = 0xcbf2_9ce4_8422_2325; // FNV-1a
    let mut id = String::with_capacity(32);
    for part in [
        nanos as u64,
        u64::from(std::process::id()),
        cards as u64,
        u64::from(pages),
    ] {
        for b in part.to_le_bytes() {
            h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
        id.push_str(&format!("{:08X}", h as u32));
    }
    id
}

/// What the caller's thread does with each drawn page, in the order they finish.
type PageSink<'a> = dyn FnMut(usize, PageOut) -> Result<(), PrintError> + 'a;

/// Draw all pages on worker threads; progress, cancellation and `sink` on this
/// thread. At most a few pages are in flight: workers wait when the caller's
/// thread (writing) falls behind.
fn draw_pages(
    spec: &'static crate::layout::Spec,
    plans: &[PagePlan],
    cards: &[Card],
    fonts: &JobFonts<'_>,
    report: &mut Progress,
    progress: &mut dyn FnMut(Progress) -> ControlFlow<()>,
    sink: &mut PageSink<'_>,
) -> Result<(), PrintError> {
    let threads = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .min(plans.len())
        .max(1);
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    report.stage = Stage::Drawing;

    std::thread::scope(|s| {
        let (tx, rx) = mpsc::sync_channel::<(usize, Result<PageOut, PrintError>)>(threads * 2);
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
                    let page = compose_page(spec, plan, cards, fonts, QR_ZLIB_LEVEL, &mut scratch);
                    let failed = page.is_err();
                    if tx.send((i, page)).is_err() || failed {
                        break;
                    }
                }
            });
        }
        drop(tx);
        // Leaving this closure drops `rx`, which releases workers blocked on `send`.
        let mut written = 0;
        for (i, page) in rx {
            let result = page.and_then(|page| {
                report.pages_done += 1;
                report.cards_done += plans[i].cells.len();
                if progress(*report).is_break() {
                    return Err(PrintError::Cancelled);
                }
                sink(i, page)
            });
            if let Err(e) = result {
                stop.store(true, Ordering::Relaxed);
                return Err(e);
            }
            written += 1;
        }
        if written == plans.len() {
            Ok(())
        } else {
            Err(PrintError::Pdf("a page was not drawn".into()))
        }
    })
}

/// Render into `path` atomically: the PDF is written to a temporary file in the
/// same directory and renamed over `path` only when complete, so a cancelled or
/// failed job never leaves a partial file where a viewer or printer could pick it
/// up. The file is created with mode `0600`: cards carry names and addresses.
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
    // A fresh name per job (two jobs of one process may write the same target), created
    // exclusively (never through a file or link already there) and private: cards carry
    // names and addresses.
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let tmp = dir.join(format!(".{name}.{}-{n}.part", std::process::id()));
    let result = (|| {
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(&tmp)?;
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
