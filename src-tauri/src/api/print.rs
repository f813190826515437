//! Printing through the `nac-print` engine: choose residents and a layout, preview (a PDF in
//! the system viewer, not recorded), save a PDF or send it to a CUPS printer. A print runs as
//! a background job with page progress and can be cancelled until the file is being written.
//!
//! The core records the job as `pending` with its cards before anything is written, and as
//! `sent` or `failed` after (R7, R8; see `nac_core::station::print_job`); `nac-print-job`
//! renders and sends in between. The writer is held only for those two records: rendering
//! and CUPS run holding nothing, so the list, search and every other screen answer while a
//! long job prints.
//!
//! Previews go to `previews/` next to the data file (owner-only directory, `0600` files; the
//! cards carry names and addresses), never to a guessable name in `/tmp`. The viewer opens
//! the file after the job has ended, so a preview cannot be deleted right away; previews older
//! than [`STALE_PREVIEW`] are removed at every start and before every new preview.
//!
//! A print to a printer is rendered into `printed/` beside them; CUPS keeps its own copy once
//! the job is queued, so these PDFs (full names, addresses, valid codes) are kept only as long
//! as the station's setting says (`nac_core::station::DEFAULT_KEEP_PRINTED_DAYS`, 7 days by
//! default) and removed at every start and after every print ([`clean_up`]).

use crate::error::{AppError, AppResult};
use crate::host::{events, Host, JobTicket};
use crate::view::{
    pick, JobDone, JobProgress, PrintCandidate, PrintDestination, PrintJobRequest, PrintOptions,
    PrintSummary, PrinterChoice,
};
use nac_print::{Fonts, Layout, Progress, Stage};
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

/// Previews older than this are removed.
pub const STALE_PREVIEW: Duration = Duration::from_secs(24 * 3600);

/// The directory of previews, next to the data file.
pub const PREVIEWS_DIR: &str = "previews";

/// The directory of PDFs sent to a printer, next to the data file.
pub const PRINTED_DIR: &str = "printed";

/// The installed fonts, looked up once (it may run `fc-match`).
fn fonts() -> AppResult<&'static Fonts> {
    static FONTS: OnceLock<Result<Fonts, String>> = OnceLock::new();
    FONTS
        .get_or_init(|| Fonts::system().map_err(|e| e.to_string()))
        .as_ref()
        .map_err(|message| AppError::Fonts(message.clone()))
}

pub fn options(host: &Host) -> PrintOptions {
    let (printers, printers_problem) = match nac_print::list_printers() {
        Ok(list) => (
            list.into_iter()
                .map(|p| PrinterChoice {
                    name: p.name,
                    is_default: p.is_default,
                })
                .collect(),
            None,
        ),
        Err(e) => (Vec::new(), Some(pick(host.lang(), &e.to_string()))),
    };
    PrintOptions {
        layouts: Layout::ALL.iter().map(|l| l.as_str().to_string()).collect(),
        printers,
        printers_problem,
        default_pdf_path: default_pdf_path(host),
    }
}

fn default_pdf_path(host: &Host) -> String {
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_default();
    let documents = home.join("Documents");
    let dir = if documents.is_dir() { documents } else { home };
    let stamp = host.cst_stamp("%Y%m%d-%H%M");
    dir.join(format!("核酸码-{stamp}.pdf"))
        .display()
        .to_string()
}

/// The residents as the print screen lists them; those without a valid code cannot print.
pub fn candidates(host: &Host, ids: &[i64]) -> AppResult<Vec<PrintCandidate>> {
    let station = host.reader();
    let ids = if ids.is_empty() {
        station.residents_without_card()?
    } else {
        ids.to_vec()
    };
    let (cards, without) = station.cards_for(&ids)?;
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        if let Some(c) = cards.iter().find(|c| c.resident_id == id) {
            out.push(PrintCandidate {
                id,
                name: c.name.clone(),
                address: c.address.clone(),
                serial: Some(c.serial_display.clone()),
                expires_at: Some(c.expires_at_text.clone()),
            });
        } else if without.contains(&id) {
            let row = station.resident(id)?.row;
            out.push(PrintCandidate {
                id,
                name: row.name,
                address: row.address,
                serial: None,
                expires_at: None,
            });
        }
    }
    Ok(out)
}

/// Starts a print job on a background thread; progress and the end arrive as events.
pub fn start(host: &Host, request: &PrintJobRequest) -> AppResult<u64> {
    if request.residents.is_empty() {
        return Err(AppError::NothingToPrint);
    }
    let layout: Layout = request.layout.parse().map_err(nac_print_job::core_error)?;
    let fonts = fonts()?;
    let ticket = host.start_job();
    let job = ticket.id;
    let worker = host.clone();
    let request = request.clone();
    std::thread::Builder::new()
        .name(format!("print-{job}"))
        .spawn(move || {
            let lang = worker.lang();
            let result = run(&worker, &ticket, &request, layout, fonts);
            let (print, error, cancelled) = match result {
                Ok(summary) => (Some(summary), None, false),
                Err(e) => {
                    let cancelled = e.code() == nac_core::ErrorCode::Cancelled;
                    (None, (!cancelled).then(|| e.to_api(lang)), cancelled)
                }
            };
            worker.finish_job(
                ticket,
                &JobDone {
                    job,
                    kind: "print".into(),
                    cancelled,
                    error,
                    batch: None,
                    import: None,
                    print,
                    sync: None,
                },
            );
        })?;
    Ok(job)
}

fn run(
    host: &Host,
    ticket: &JobTicket,
    request: &PrintJobRequest,
    layout: Layout,
    fonts: &Fonts,
) -> AppResult<PrintSummary> {
    let mut progress = |p: nac_print::Progress| {
        host.emit(
            events::JOB_PROGRESS,
            &JobProgress {
                job: ticket.id,
                kind: "print".into(),
                done: p.pages_done as u32,
                total: p.pages_total as u32,
                items: Vec::new(),
            },
        );
        if ticket.cancelled() && p.stage != Stage::Writing && p.stage != Stage::Done {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    };
    match &request.destination {
        PrintDestination::Preview => preview(host, ticket, request, layout, fonts, &mut progress),
        PrintDestination::Pdf { path } => {
            let path = PathBuf::from(path.trim());
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir)?;
            }
            print(host, request, layout, fonts, &path, None, &mut progress)
        }
        PrintDestination::Printer { name } => {
            let dir = host.private_dir(PRINTED_DIR)?;
            let stamp = host.cst_stamp("%Y%m%d-%H%M%S");
            let path = dir.join(format!("cards-{stamp}-{}.pdf", ticket.id));
            let printed = print(
                host,
                request,
                layout,
                fonts,
                &path,
                Some(name),
                &mut progress,
            );
            // Whatever the outcome: this PDF too once the retention allows (0 days: now).
            remove_old_printed(host);
            printed
        }
    }
}

/// A recorded print: the writer only to record the job and its end; rendering and CUPS hold
/// nothing.
fn print(
    host: &Host,
    request: &PrintJobRequest,
    layout: Layout,
    fonts: &Fonts,
    path: &Path,
    printer: Option<&str>,
    progress: &mut dyn FnMut(Progress) -> ControlFlow<()>,
) -> AppResult<PrintSummary> {
    let plan = host
        .station()
        .plan_print(&request.residents, layout.as_str(), path, printer)?;
    let result = nac_print_job::render_and_send(&plan, fonts, progress);
    let outcome = host.station().finish_print(plan, result)?;
    Ok(summary(
        &outcome.path,
        outcome.cards,
        outcome.pages,
        outcome.printer_job,
        outcome.skipped.len(),
    ))
}

/// Not a print: the same cards rendered into a private preview file and opened in the
/// viewer; nothing is recorded.
fn preview(
    host: &Host,
    ticket: &JobTicket,
    request: &PrintJobRequest,
    layout: Layout,
    fonts: &Fonts,
    progress: &mut dyn FnMut(Progress) -> ControlFlow<()>,
) -> AppResult<PrintSummary> {
    let (cards, skipped) = host.reader().cards_to_print(&request.residents)?;
    if cards.is_empty() {
        return Err(AppError::Core(nac_core::Error::NothingToPrint));
    }
    let path = preview_path(host, ticket.id)?;
    let stats = nac_print_job::render_cards(&cards, layout, fonts, &path, progress)?;
    nac_print::open_with_system_viewer(&path).map_err(nac_print_job::core_error)?;
    Ok(PrintSummary {
        cards: stats.cards as u32,
        pages: stats.pages as u32,
        path: path.display().to_string(),
        printer_job: None,
        recorded: false,
        skipped: skipped.len() as u32,
    })
}

/// A fresh file name for job `job`'s preview in the private previews directory (created if
/// needed), after removing stale previews.
pub fn preview_path(host: &Host, job: u64) -> AppResult<PathBuf> {
    let dir = host.private_dir(PREVIEWS_DIR)?;
    remove_stale_previews(&dir, STALE_PREVIEW);
    let stamp = host.cst_stamp("%Y%m%d-%H%M%S");
    Ok(dir.join(format!("preview-{stamp}-{job}.pdf")))
}

/// Removes the files in `dir` last modified more than `max_age` ago; returns how many. A
/// file that cannot be removed is left for next time (nothing depends on it).
/// A preview's age is measured by the clock that stamped it, the file system's.
pub fn remove_stale_previews(dir: &Path, max_age: Duration) -> usize {
    nac_core::files::remove_older_than(dir, max_age, nac_core::files::file_system_now())
}

/// At every start: previews of earlier sessions and printed PDFs past the retention.
pub fn clean_up(host: &Host) {
    remove_stale_previews(&host.own_dir(PREVIEWS_DIR), STALE_PREVIEW);
    remove_old_printed(host);
}

/// Removes the PDFs in `printed/` older than the station's retention (by the station's clock);
/// returns how many. Nothing is removed when the setting cannot be read.
pub fn remove_old_printed(host: &Host) -> usize {
    let (days, now) = {
        let station = host.reader();
        match station.keep_printed_days() {
            Ok(days) => (days, std::time::SystemTime::from(station.clock().now())),
            Err(_) => return 0,
        }
    };
    let keep = Duration::from_secs(u64::from(days) * 24 * 3600);
    nac_core::files::remove_older_than(&host.own_dir(PRINTED_DIR), keep, now)
}

fn summary(
    path: &std::path::Path,
    cards: usize,
    pages: usize,
    printer_job: Option<String>,
    skipped: usize,
) -> PrintSummary {
    PrintSummary {
        cards: cards as u32,
        pages: pages as u32,
        path: path.display().to_string(),
        printer_job,
        recorded: true,
        skipped: skipped as u32,
    }
}
