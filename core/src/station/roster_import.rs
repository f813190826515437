//! The roster import: a file read and validated by `crate::roster` (which knows no station),
//! its valid rows written in one transaction, and the report of what happened to every row.

use super::Station;
use crate::error::Result;
use crate::roster::{
    file_name, read_roster_bytes, read_roster_file, validate_rows, ImportOptions, ImportReport,
    RosterFile,
};
use std::path::Path;

impl Station {
    /// Imports a roster file: reads it ([`read_roster_file`]), validates every row
    /// ([`validate_rows`]) and writes the valid rows in one transaction
    /// ([`Station::import_drafts`]). Bad rows are listed in the report and not imported; rows
    /// with warnings are held back; a problem with the file as a whole is an error and writes
    /// nothing.
    pub fn import_roster(&mut self, path: &Path) -> Result<ImportReport> {
        self.import_roster_with(path, ImportOptions::default(), &mut |_, _| {
            std::ops::ControlFlow::Continue(())
        })
    }

    /// [`Station::import_roster`] with options and progress `(rows written, valid rows)`;
    /// `Break` cancels and nothing is imported.
    pub fn import_roster_with(
        &mut self,
        path: &Path,
        options: ImportOptions,
        progress: &mut dyn FnMut(usize, usize) -> std::ops::ControlFlow<()>,
    ) -> Result<ImportReport> {
        let file = read_roster_file(path)?;
        self.import_read(file, file_name(path), options, progress)
    }

    /// [`Station::import_roster_with`] for a file's bytes, read elsewhere (the desktop app's
    /// file dialog): nothing of the roster is written to disk outside the encrypted station.
    pub fn import_roster_bytes_with(
        &mut self,
        name: &str,
        bytes: &[u8],
        options: ImportOptions,
        progress: &mut dyn FnMut(usize, usize) -> std::ops::ControlFlow<()>,
    ) -> Result<ImportReport> {
        let file = read_roster_bytes(name, bytes)?;
        let shown = Path::new(name)
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| name.to_string());
        self.import_read(file, shown, options, progress)
    }

    fn import_read(
        &mut self,
        file: RosterFile,
        name: String,
        options: ImportOptions,
        progress: &mut dyn FnMut(usize, usize) -> std::ops::ControlFlow<()>,
    ) -> Result<ImportReport> {
        let today = crate::time::cst_day(self.now());
        let rows_read = file.rows.len();
        let mut validated = validate_rows(file.rows, today);
        if options.accept_warnings {
            let held = std::mem::take(&mut validated.held);
            validated.drafts.extend(held);
        }
        let outcome = if validated.drafts.is_empty() {
            Default::default()
        } else {
            self.import_drafts_with(&validated.drafts, file.columns, progress)?
        };
        let mut notices = file.notices;
        notices.extend(validated.notices);
        Ok(ImportReport {
            file: name,
            format: file.format,
            sheet: file.sheet,
            header_row: file.header_row,
            rows_read,
            outcome,
            notices,
            errors: validated.errors,
            warnings: validated.warnings,
            warnings_accepted: options.accept_warnings,
            ignored_columns: file.ignored_columns,
        })
    }
}
