//! A print job from selection to ledger, in three steps so that nothing slow holds the station:
//!
//! 1. [`Station::plan_print`] (quick, under the station): the cards of the residents' active
//!    codes, and the job recorded in the print ledger as `pending` with its cards — before
//!    anything is written or leaves the machine. A crash from here on leaves a pending job
//!    whose cards count as handed out: a card that may be in circulation stays tracked (R8).
//! 2. Rendering and sending (slow, needs no station): done by the frontends through
//!    `nac-print-job` (`print-job/`), which hands the plan's cards to the PDF engine and CUPS.
//!    The core holds no PDF code: it plans and records with plain card data
//!    ([`CardToPrint`]), so everything that links the core (the fuzz targets among them)
//!    builds without the PDF stack. The desktop app renders without holding the station, so
//!    the household list and search answer while a long job renders.
//! 3. [`Station::finish_print`] (quick): the job is marked `sent`, or `failed` with its reason;
//!    a failed job's cards are taken out of the ledger, so they never count as printed (R8).
//!
//! Printing never creates an application (R7). A demo station's cards are marked `demo`: the
//! renderer prints the "演示 DEMO" mark on them.

use super::ledger::{PrintRequest, PrintedCard};
use super::Station;
use crate::error::{Error, Result};
use serde::Serialize;
use std::path::{Path, PathBuf};

/// What one paper card shows, as the core hands it to a renderer (`nac_print::Card` has the
/// same fields).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CardToPrint {
    /// Full name: the card is the person's own copy.
    pub name: String,
    /// The credential text the QR code carries.
    pub qr_text: String,
    /// `YYYY-MM-DD HH:MM` in CST.
    pub expires_at: String,
    /// The masked document number (never more than half of it shown).
    pub masked_id: String,
    /// Short Chinese name of the document type ("身份证", "护照", …).
    pub id_label: String,
    pub address: String,
    pub station_name: String,
    /// `XXXXX-XXXXX`, as printed.
    pub serial: String,
    /// Cards with the same value share a household sheet.
    pub household: String,
    /// A card of a demo station: printed with the demo mark.
    pub demo: bool,
}

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
    /// The layout's stable name (`a4-8up`, …), as recorded in the ledger and understood by the
    /// renderer.
    pub layout: String,
    pub cards: Vec<CardToPrint>,
    /// Residents without a valid code: not printed (renew them first).
    pub skipped: Vec<i64>,
    /// Where the PDF is written (for a printer too: the file CUPS receives).
    pub out: PathBuf,
    /// The CUPS printer, if the PDF is sent to one.
    pub printer: Option<String>,
}

/// What rendering and sending produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub cards: usize,
    pub pages: usize,
    /// Size of the PDF written.
    pub bytes: u64,
    /// The CUPS job id when sent to a printer.
    pub printer_job: Option<String>,
}

impl Station {
    /// The cards as printed for these residents (their active, valid codes; a demo station's
    /// carry the demo mark), and the residents without one. Nothing is recorded: a preview
    /// uses this directly.
    pub fn cards_to_print(&self, resident_ids: &[i64]) -> Result<(Vec<CardToPrint>, Vec<i64>)> {
        let (_, cards, skipped) = self.gather_cards(resident_ids)?;
        Ok((cards, skipped))
    }

    /// The ledger's view of the cards, the cards as printed, and the residents without one.
    fn gather_cards(
        &self,
        resident_ids: &[i64],
    ) -> Result<(Vec<PrintedCard>, Vec<CardToPrint>, Vec<i64>)> {
        let (printed, skipped) = self.cards_for(resident_ids)?;
        let station_name = self.station_name()?;
        let cards = printed
            .iter()
            .map(|c| card(c, &station_name, self.is_demo()))
            .collect();
        Ok((printed, cards, skipped))
    }

    /// Step 1: gathers the cards and records the job as `pending` with them (see the module
    /// docs); `layout` is the layout's stable name. Refuses with [`Error::NothingToPrint`]
    /// when nobody has a valid code.
    pub fn plan_print(
        &mut self,
        resident_ids: &[i64],
        layout: &str,
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
            layout: layout.to_string(),
            destination,
            serials: printed.iter().map(|c| c.serial.clone()).collect(),
        })?;
        Ok(PrintPlan {
            job_id,
            layout: layout.to_string(),
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
                    layout: plan.layout,
                    cards: rendered.cards,
                    pages: rendered.pages,
                    bytes: rendered.bytes,
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

/// The card as printed: full name (the card is the person's own copy), masked ID; `demo`
/// marks a demo station's card.
fn card(c: &PrintedCard, station_name: &str, demo: bool) -> CardToPrint {
    CardToPrint {
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
