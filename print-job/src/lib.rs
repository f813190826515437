//! `nac-print-job`: a print job from the core's plan to paper — the one place where the station
//! (`nac-core`) meets the PDF engine and CUPS (`nac-print`).
//!
//! The core plans and records print jobs with plain card data and links no PDF code, so the
//! fuzz targets and anything else built on it do not compile the PDF stack. Rendering and
//! sending is the frontends' work; both the desktop app and the CLI need the same glue (turn
//! the plan's cards into the engine's cards, render atomically, hand the file to CUPS, give the
//! engine's errors the core's codes), and this crate writes it once. It depends on core and
//! print only, and only the frontends depend on it.
//!
//! The steps (see `nac_core::station::print_job`): [`nac_core::Station::plan_print`] records the
//! job as `pending`; [`render_and_send`] needs no station, so the app renders while the station
//! serves other screens; [`nac_core::Station::finish_print`] marks it `sent` or `failed`.
//! [`print_cards`] does all three for callers with nothing else to serve (the CLI).

use nac_core::station::{
    CardToPrint, PrintFailure, PrintFailureKind, PrintOutcome, PrintPlan, Rendered,
};
use nac_core::{Error, Result, Station};
use nac_print::{Card, Fonts, Layout, PrintError, Progress, RenderStats};
use std::ops::ControlFlow;
use std::path::Path;

/// Renders the cards of `resident_ids` (in that order) with `layout` into `out`, sends the
/// file to `printer` if given, and keeps the print ledger in step (pending → sent/failed).
pub fn print_cards(
    station: &mut Station,
    resident_ids: &[i64],
    layout: Layout,
    fonts: &Fonts,
    out: &Path,
    printer: Option<&str>,
    progress: &mut dyn FnMut(Progress) -> ControlFlow<()>,
) -> Result<PrintOutcome> {
    let plan = station.plan_print(resident_ids, layout.as_str(), out, printer)?;
    let result = render_and_send(&plan, fonts, progress);
    station.finish_print(plan, result)
}

/// Step 2: renders the plan's PDF (atomically: a failed or cancelled render leaves no file)
/// and sends it to the printer, if any. Needs no station.
pub fn render_and_send(
    plan: &PrintPlan,
    fonts: &Fonts,
    progress: &mut dyn FnMut(Progress) -> ControlFlow<()>,
) -> Result<Rendered> {
    // The plan's layout is the name a `Layout` gave the core: it parses back.
    let layout: Layout = plan.layout.parse().map_err(core_error)?;
    let stats = render_cards(&plan.cards, layout, fonts, &plan.out, progress)?;
    let printer_job = match &plan.printer {
        Some(name) => {
            let title = format!("NAC {} ({} cards)", layout.as_str(), plan.cards.len());
            let job = nac_print::send_to_printer(&plan.out, name, &title).map_err(core_error)?;
            Some(job.to_string())
        }
        None => None,
    };
    Ok(Rendered {
        cards: stats.cards,
        pages: stats.pages,
        bytes: stats.bytes,
        printer_job,
    })
}

/// Renders `cards` into `out` atomically (a failed or cancelled render leaves no file),
/// recording nothing: a print job's step 2, or a preview.
pub fn render_cards(
    cards: &[CardToPrint],
    layout: Layout,
    fonts: &Fonts,
    out: &Path,
    progress: &mut dyn FnMut(Progress) -> ControlFlow<()>,
) -> Result<RenderStats> {
    let cards: Vec<Card> = cards.iter().map(card).collect();
    nac_print::render_to_path(layout, &cards, fonts, out, progress).map_err(core_error)
}

/// The engine's card for the core's.
pub fn card(c: &CardToPrint) -> Card {
    Card {
        name: c.name.clone(),
        qr_text: c.qr_text.clone(),
        expires_at: c.expires_at.clone(),
        masked_id: c.masked_id.clone(),
        id_label: c.id_label.clone(),
        address: c.address.clone(),
        station_name: c.station_name.clone(),
        serial: c.serial.clone(),
        household: c.household.clone(),
        demo: c.demo,
    }
}

/// The engine's error as the core's [`Error::Print`], with the code callers branch on:
/// `uncovered_text` (no font prints some text), `cancelled`, or `print`.
pub fn core_error(e: PrintError) -> Error {
    let kind = match &e {
        PrintError::Uncovered(_) => PrintFailureKind::UncoveredText,
        PrintError::Cancelled => PrintFailureKind::Cancelled,
        _ => PrintFailureKind::Other,
    };
    Error::Print(PrintFailure::new(kind, e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use nac_print::{UncoveredItem, UncoveredText};

    #[test]
    fn engine_errors_keep_the_codes_and_messages_callers_know() {
        let uncovered = PrintError::Uncovered(UncoveredText {
            items: vec![UncoveredItem {
                card: 1,
                name: "李𠮷".into(),
                field: "name",
                chars: vec!['𠮷'],
            }],
        });
        let message = uncovered.to_string();
        let e = core_error(uncovered);
        assert_eq!(e.code(), "uncovered_text");
        assert_eq!(e.to_string(), message);
        assert_eq!(core_error(PrintError::Cancelled).code(), "cancelled");
        let no_printer = PrintError::InvalidPrinterName("-x".into());
        let message = no_printer.to_string();
        let e = core_error(no_printer);
        assert_eq!(e.code(), "print");
        assert_eq!(e.to_string(), message);
    }
}
