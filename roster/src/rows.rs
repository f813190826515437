//! What reading a roster file gives: its rows as text, with the problems their cells show.

use crate::column::{Column, ColumnSet};
use crate::format::FileFormat;
use nac_domain::drafts::{HouseholdInput, ResidentInput};
use serde::Serialize;

/// One data row of a roster file, as text, before validation.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RawRow {
    /// The spreadsheet row number (1-based, as Excel shows it: a header in the first line is
    /// row 1 and the first data row below it is row 2; empty rows keep their numbers).
    pub row: usize,
    pub household: HouseholdInput,
    pub resident: ResidentInput,
    /// Problems the cell types show (an ID stored as a number, a date in an address column, an
    /// Excel error value, an unreadable yes/no); each rejects the row.
    pub problems: Vec<CellProblem>,
}

/// A cell that could not be read as text for its column.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CellProblem {
    pub field: Column,
    /// The cell's value as read (masked in reports like every document number and phone).
    pub value: String,
    pub message: String,
}

/// Everything read from a roster file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RosterFile {
    pub format: FileFormat,
    /// The text encoding of a CSV file (`UTF-8`, `UTF-8 BOM`, `GB18030`, `UTF-16LE BOM`, …);
    /// `None` for workbooks.
    pub encoding: Option<&'static str>,
    /// The worksheet read (the first whose header maps); `None` for CSV.
    pub sheet: Option<String>,
    /// The header's row as the sheet shows it (rows above it are titles).
    pub header_row: usize,
    /// Non-empty data rows in file order.
    pub rows: Vec<RawRow>,
    /// Headers of columns that are not roster columns (their cells are not read).
    pub ignored_columns: Vec<String>,
    /// The roster columns the header names; stored values of the others are left alone.
    pub columns: ColumnSet,
    /// What the volunteer should know about the file as a whole ("named .csv but is an .xls
    /// workbook; read as .xls"), bilingual.
    pub notices: Vec<String>,
}

/// How an import treats rows with warnings.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImportOptions {
    /// Write rows whose warnings a person has checked (the app's confirmation,
    /// `nac import --accept-warnings`); otherwise they are held back and listed.
    pub accept_warnings: bool,
}
