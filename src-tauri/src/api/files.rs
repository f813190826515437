//! Roster files in and out. The UI reads the chosen file in the webview (`<input type=file>`)
//! and sends its bytes as a raw IPC body, so the shell needs no file-system permission for
//! the webview. The core reads the roster from those bytes in memory: no copy of the file is
//! written anywhere (a copy in `$TMPDIR` would be the roster in plaintext, outside the
//! encrypted station, for as long as it lived). Copies that older versions left there
//! (`nac-import-*`, after a crash or a kill) are removed at every start
//! ([`remove_import_leftovers`]).

use crate::error::{AppError, AppResult};
use crate::host::{events, Host};
use crate::view::{
    ExportRequest, ExportResult, ImportRowError, ImportSummary, JobDone, JobProgress, Lang,
};
use nac_core::roster::{ImportReport, RowError};
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

/// Starts an import on a background thread; the report arrives in the `job-done` event.
/// `accept_warnings` writes rows whose warnings the volunteer confirmed (a second import of the
/// same file after "确认并导入": the rows already written are unchanged).
pub fn start_import(
    host: &Host,
    file_name: &str,
    bytes: Vec<u8>,
    accept_warnings: bool,
) -> AppResult<u64> {
    // The reader tells the kind by content; the extension only names text files.
    Path::new(file_name)
        .extension()
        .and_then(|e| e.to_str())
        .ok_or(AppError::FileName)?;
    let options = nac_core::roster::ImportOptions { accept_warnings };
    let ticket = host.start_job();
    let job = ticket.id;
    let worker = host.clone();
    let name = file_name.to_string();
    std::thread::Builder::new()
        .name(format!("import-{job}"))
        .spawn(move || {
            let lang = worker.lang();
            let mut progress = |done: usize, total: usize| {
                worker.emit(
                    events::JOB_PROGRESS,
                    &JobProgress {
                        job: ticket.id,
                        kind: "import".into(),
                        done: done as u32,
                        total: total as u32,
                        items: Vec::new(),
                    },
                );
                if ticket.cancelled() {
                    ControlFlow::Break(())
                } else {
                    ControlFlow::Continue(())
                }
            };
            // A connection of its own: the file is read and checked holding nothing, and the
            // database's write lock is held only while the rows are written (see `host`).
            let result =
                worker
                    .job_station(nac_core::WriteSource::Import)
                    .and_then(|mut station| {
                        station.import_roster_bytes_with(&name, &bytes, options, &mut progress)
                    });
            let cancelled = matches!(result, Err(nac_core::Error::Cancelled));
            let (import, error) = match result {
                Ok(report) => (Some(summary(report, &name, lang)), None),
                Err(_) if cancelled => (None, None),
                Err(e) => (None, Some(AppError::from(e).to_api(lang))),
            };
            worker.finish_job(
                ticket,
                &JobDone {
                    job,
                    kind: "import".into(),
                    cancelled,
                    error,
                    batch: None,
                    import,
                    print: None,
                    sync: None,
                },
            );
        })?;
    Ok(job)
}

/// The prefix of the temporary roster copies older versions wrote to `$TMPDIR`.
pub const IMPORT_LEFTOVER_PREFIX: &str = "nac-import-";

/// Removes the roster copies an older version left in `dir` (the system's temporary
/// directory; `nac-import-*`, plain files only, never through a link); returns how many. A
/// file that cannot be removed (another user's, in a sticky `/tmp`) is left alone.
pub fn remove_import_leftovers(dir: &Path) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .filter(|entry| {
            entry
                .file_name()
                .to_string_lossy()
                .starts_with(IMPORT_LEFTOVER_PREFIX)
                && entry.file_type().is_ok_and(|t| t.is_file())
        })
        .filter(|entry| std::fs::remove_file(entry.path()).is_ok())
        .count()
}

fn row_error(e: &RowError, lang: Lang) -> ImportRowError {
    ImportRowError {
        row: e.row as u32,
        column: match lang {
            Lang::Zh => e.field.label_zh().to_string(),
            Lang::En => e.field.as_str().to_string(),
        },
        value: e.value.clone(),
        message: crate::view::pick(lang, &e.message),
    }
}

pub fn summary(report: ImportReport, file_name: &str, lang: Lang) -> ImportSummary {
    ImportSummary {
        file: file_name.to_string(),
        sheet: report.sheet.clone(),
        header_row: report.header_row as u32,
        notices: report
            .notices
            .iter()
            .map(|n| crate::view::pick(lang, n))
            .collect(),
        rows_read: report.rows_read as u32,
        rows_imported: report.rows_imported() as u32,
        rows_rejected: report.rows_rejected() as u32,
        rows_held: report.rows_held() as u32,
        warnings_accepted: report.warnings_accepted,
        warnings: report.warnings.iter().map(|w| row_error(w, lang)).collect(),
        households_added: report.outcome.households_added,
        residents_added: report.outcome.residents_added,
        residents_updated: report.outcome.residents_updated,
        residents_unchanged: report.outcome.residents_unchanged,
        changes: crate::view::pick(lang, &report.outcome.changes.summary()),
        errors: report.errors.iter().map(|e| row_error(e, lang)).collect(),
        ignored_columns: report.ignored_columns,
    }
}

/// Writes the roster to `path` (.csv or .xlsx), masked unless asked otherwise.
pub fn export(host: &Host, request: &ExportRequest) -> AppResult<ExportResult> {
    let path = expand_home(request.path.trim());
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let rows = host.station().export_roster(&path, request.unmasked)?;
    Ok(ExportResult {
        path: path.display().to_string(),
        rows: rows as u32,
    })
}

/// Where the export goes by default: the Documents folder (or home), dated.
pub fn default_export_path(host: &Host) -> String {
    let dir = documents_dir();
    let today = host.cst_stamp("%Y%m%d");
    dir.join(format!("居民名单-{today}.xlsx"))
        .display()
        .to_string()
}

/// `~/Documents` when it exists, else the home directory.
pub fn documents_dir() -> PathBuf {
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_default();
    let documents = home.join("Documents");
    if documents.is_dir() {
        documents
    } else {
        home
    }
}

pub fn expand_home(path: &str) -> PathBuf {
    match (path.strip_prefix("~/"), std::env::var_os("HOME")) {
        (Some(rest), Some(home)) => PathBuf::from(home).join(rest),
        _ => PathBuf::from(path),
    }
}
