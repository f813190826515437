//! Roster files in and out: CSV (UTF-8 with or without BOM, GB18030, UTF-16 with BOM) and the
//! workbooks volunteers save (`.xlsx`, `.xls`, `.ods`, `.xlsb`). No database: the station's
//! import and export (in `nac-core`) build on this crate, which depends on `nac-domain` only.
//!
//! A roster file holds one row per resident, with the household's address on every row (the
//! layout volunteers already keep in Excel). Importing is three steps, each usable on its own:
//!
//! 1. [`read_roster`] / [`read_roster_file`] / [`read_roster_bytes`] read the file into [`RawRow`]s: columns are matched by
//!    header (Chinese or English, any order, see [`Column`]), cells are turned into text, and
//!    problems that only the file can show (an ID stored as an Excel number, a date where a room
//!    number belongs) are attached to the row. Problems with the file as a whole (unknown type,
//!    over the caps, missing required columns, undecodable text) are a [`RosterError`].
//! 2. [`validate_rows`] runs every row through the same validation as the forms
//!    ([`HouseholdDraft::validate`](nac_domain::drafts::HouseholdDraft::validate),
//!    [`ResidentDraft::validate`](nac_domain::drafts::ResidentDraft::validate)) and checks the file
//!    for internal conflicts (the same document on two rows, two phones for one household). Every
//!    bad field of every bad row becomes a [`RowError`]; ID numbers and phones in a report are
//!    always masked.
//! 3. The station's `import_roster` (in `nac-core`) writes the valid rows in one
//!    transaction and returns an [`ImportReport`]. Importing the same file again changes nothing.
//!
//! The station's `export_roster` writes the roster back out with the
//! same headers (so an export can be edited and re-imported) plus the code status columns;
//! document numbers and phones are masked unless the caller asks for full values.
//!
//! The caps [`MAX_FILE_BYTES`] and [`MAX_DATA_ROWS`] are checked before a file is read in full.
//! The file format is documented for volunteers in `docs/roster.md`.

mod bounds;
mod column;
mod csv_file;
mod error;
pub mod export;
mod format;
mod header;
mod limits;
mod outcome;
mod read;
mod report;
mod rows;
mod workbook;

pub use column::{Column, ColumnSet, HEADER_SEARCH_ROWS};
pub use error::RosterError;
pub use export::{write_template, EXPORT_STATUS_HEADERS};
pub use format::FileFormat;
pub use header::needs_formula_guard;
pub use limits::{MAX_DATA_ROWS, MAX_FILE_BYTES};
pub use outcome::{FieldChanges, ImportOutcome};
pub use read::{file_name, read_roster, read_roster_bytes, read_roster_file};
pub use report::{validate_rows, ImportReport, RowError, Validated};
pub use rows::{CellProblem, ImportOptions, RawRow, RosterFile};
