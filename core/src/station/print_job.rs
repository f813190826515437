//! A print job from selection to ledger: the cards of the residents' active codes are rendered
//! to a PDF (atomically), optionally sent to a CUPS printer, and only then recorded in the print
//! ledger (R7, R8) — a job that failed or was cancelled leaves no ledger entry and no file.

use super::ledger::{PrintRequest, PrintedCard};
use super::Station;
use crate::error::{Error, Result};
use nac_print::{Card, Fonts, Layout, Progress};
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

impl Station {
    /// Renders the cards of `resident_ids` (in that order) with `layout` into `out`, sends the
    /// file to `printer` if given, then records the cards in the print ledger.
    pub fn print_cards(
        &mut self,
        resident_ids: &[i64],
        layout: Layout,
        fonts: &Fonts,
        out: &Path,
        printer: Option<&str>,
        progress: &mut dyn FnMut(Progress) -> ControlFlow<()>,
    ) -> Result<PrintOutcome> {
        let (printed, skipped) = self.cards_for(resident_ids)?;
        if printed.is_empty() {
            return Err(Error::NothingToPrint);
        }
        let station_name = self.station_name()?;
        let cards: Vec<Card> = printed.iter().map(|c| card(c, &station_name)).collect();
        let stats = nac_print::render_to_path(layout, &cards, fonts, out, progress)?;
        let printer_job = match printer {
            Some(name) => {
                let title = format!("NAC {} ({} cards)", layout.as_str(), cards.len());
                Some(nac_print::send_to_printer(out, name, &title)?.to_string())
            }
            None => None,
        };
        let destination = match printer {
            Some(name) => format!("printer:{name}"),
            None => format!("file:{}", out.display()),
        };
        let job_id = self.record_print(&PrintRequest {
            layout: layout.as_str().to_string(),
            destination,
            serials: printed.iter().map(|c| c.serial.clone()).collect(),
        })?;
        Ok(PrintOutcome {
            job_id,
            layout: layout.as_str().to_string(),
            cards: stats.cards,
            pages: stats.pages,
            bytes: stats.bytes,
            path: out.to_path_buf(),
            printer_job,
            skipped,
        })
    }
}

/// The card as printed: full name (the card is the person's own copy), masked ID.
pub fn card(c: &PrintedCard, station_name: &str) -> Card {
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
    }
}
