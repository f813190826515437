//! A print job from selection to ledger, in three steps so that nothing slow holds the station:
//!
//! 1. [`Station::plan_print`] (quick, under the station): the cards of the residents' active
//!    codes, and the job recorded in the print ledger as `pending` with its cards — before
//!    anything is written or leaves the machine. A crash from here on leaves a pending job
//!    whose cards count as handed out: a card that may be in circulation stays tracked (R8).
//! 2. [`render_and_send`] (slow, needs no station): the PDF is rendered atomically and, for a
//!    printer, handed to CUPS. The desktop app runs this without holding the station, so the
//!    household list and search answer while a long job renders.
//! 3. [`Station::finish_print`] (quick): the job is marked `sent`, or `failed` with its reason;
//!    a failed job's cards are taken out of the ledger, so they never count as printed (R8).
//!
//! [`Station::print_cards`] does all three for callers that have nothing else to serve (the
//! CLI). Printing never creates an application (R7). A demo station's cards carry the
//! "演示 DEMO" mark.

use super::ledger::{PrintRequest, PrintedCard};
use super::Station;
use crate::error::{Error, Result};
use nac_print::{Card, Fonts, Layout, Progress, RenderStats};
use serde::Serialize;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

/// What a finished print job did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PrintOutcome {
    pub job_id: i64,
    pub layout: String,
    pub cards: usize,
    pub pages: usize,
    pub bytes: u64,
    pub path: PathBuf,
    /// The CUPS job id when sent to a printer.
    pub printer_job: Option<String>,
    /// Residents without a valid code: not printed (renew them first).
    pub skipped: Vec<i64>,
}

/// A print job recorded as `pending`, with everything needed to render and send it.
#[derive(Debug, Clone)]
pub struct PrintPlan {
    pub job_id: i64,
    pub layout: Layout,
    pub cards: Vec<Card>,
    /// Residents without a valid code: not printed (renew them first).
    pub skipped: Vec<i64>,
    /// Where the PDF is written (for a printer too: the file CUPS receives).
    pub out: PathBuf,
    /// The CUPS printer, if the PDF is sent to one.
    pub printer: Option<String>,
}

/// What rendering and sending produced.
#[derive(Debug, Clone, PartialEq)]
pub struct Rendered {
    pub stats: RenderStats,
    /// The CUPS job id when sent to a printer.
    pub printer_job: Option<String>,
}

impl Station {
    /// Renders the cards of `resident_ids` (in that order) with `layout` into `out`, sends the
    /// file to `printer` if given, and keeps the print ledger in step (pending → sent/failed).
    pub fn print_cards(
        &mut self,
        resident_ids: &[i64],
        layout: Layout,
        fonts: &Fonts,
        out: &Path,
        printer: Option<&str>,
        progress: &mut dyn FnMut(Progress) -> ControlFlow<()>,
    ) -> Result<PrintOutcome> {
        let plan = self.plan_print(resident_ids, layout, out, printer)?;
        let result = render_and_send(&plan, fonts, progress);
        self.finish_print(plan, result)
    }

    /// The cards as printed for these residents (their active, valid codes; a demo station's
    /// carry the demo mark), and the residents without one. Nothing is recorded: a preview
    /// uses this directly.
    pub fn cards_to_print(&self, resident_ids: &[i64]) -> Result<(Vec<Card>, Vec<i64>)> {
        let (_, cards, skipped) = self.gather_cards(resident_ids)?;
        Ok((cards, skipped))
    }

    /// The ledger's view of the cards, the cards as printed, and the residents without one.
    fn gather_cards(
        &self,
        resident_ids: &[i64],
    ) -> Result<(Vec<PrintedCard>, Vec<Card>, Vec<i64>)> {
        let (printed, skipped) = self.cards_for(resident_ids)?;
        let station_name = self.station_name()?;
        let cards = printed
            .iter()
            .map(|c| card(c, &station_name, self.is_demo()))
            .collect();
        Ok((printed, cards, skipped))
    }

    /// Step 1: gathers the cards and records the job as `pending` with them (see the module
    /// docs). Refuses with [`Error::NothingToPrint`] when nobody has a valid code.
    pub fn plan_print(
        &mut self,
        resident_ids: &[i64],
        layout: Layout,
        out: &Path,
        printer: Option<&str>,
    ) -> Result<PrintPlan> {
        // The PDF path is typed by a volunteer: a typo must not replace the database.
        crate::files::check_target(out, &["pdf"], &self.own_files())?;
        let (printed, cards, skipped) = self.gather_cards(resident_ids)?;
        if printed.is_empty() {
            return Err(Error::NothingToPrint);
        }
        let destination = match printer {
            Some(name) => format!("printer:{name}"),
            None => format!("file:{}", out.display()),
        };
        let job_id = self.record_pending_print(&PrintRequest {
            layout: layout.as_str().to_string(),
            destination,
            serials: printed.iter().map(|c| c.serial.clone()).collect(),
        })?;
        Ok(PrintPlan {
            job_id,
            layout,
            cards,
            skipped,
            out: out.to_path_buf(),
            printer: printer.map(str::to_string),
        })
    }

    /// Step 3: marks the job `sent` and describes it, or marks it `failed` (its cards leave
    /// the ledger) and returns the error that failed it. Should marking a failure fail too,
    /// the job stays `pending` (its cards keep counting) and the print's own error is returned.
    pub fn finish_print(
        &mut self,
        plan: PrintPlan,
        result: Result<Rendered>,
    ) -> Result<PrintOutcome> {
        match result {
            Ok(rendered) => {
                self.mark_print_sent(plan.job_id)?;
                Ok(PrintOutcome {
                    job_id: plan.job_id,
                    layout: plan.layout.as_str().to_string(),
                    cards: rendered.stats.cards,
                    pages: rendered.stats.pages,
                    bytes: rendered.stats.bytes,
                    path: plan.out,
                    printer_job: rendered.printer_job,
                    skipped: plan.skipped,
                })
            }
            Err(e) => {
                let _ = self.mark_print_failed(plan.job_id, &e.to_string());
                Err(e)
            }
        }
    }
}

/// Step 2: renders the plan's PDF (atomically: a failed or cancelled render leaves no file)
/// and sends it to the printer, if any. Needs no station.
pub fn render_and_send(
    plan: &PrintPlan,
    fonts: &Fonts,
    progress: &mut dyn FnMut(Progress) -> ControlFlow<()>,
) -> Result<Rendered> {
    let stats = nac_print::render_to_path(plan.layout, &plan.cards, fonts, &plan.out, progress)?;
    let printer_job = match &plan.printer {
        Some(name) => {
            let title = format!("NAC {} ({} cards)", plan.layout.as_str(), plan.cards.len());
            Some(nac_print::send_to_printer(&plan.out, name, &title)?.to_string())
        }
        None => None,
    };
    Ok(Rendered { stats, printer_job })
}

/// The card as printed: full name (the card is the person's own copy), masked ID; `demo`
/// marks a demo station's card.
pub fn card(c: &PrintedCard, station_name: &str, demo: bool) -> Card {
    Card {
        name: c.name.clone(),
        qr_text: c.credential.clone(),
        expires_at: c.expires_at_text.clone(),
        masked_id: c.masked_document.clone(),
        id_label: c.document_label.clone(),
        address: c.address.clone(),
        station_name: station_name.to_string(),
        serial: c.serial_display.clone(),
        household: c.address.clone(),
        demo,
    }
}
