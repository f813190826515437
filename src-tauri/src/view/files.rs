//! Roster files ([`crate::api::files`]): importing a CSV or XLSX roster and what it came to,
//! and exporting one.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct ImportSummary {
    pub file: String,
    /// The worksheet read (workbooks only): the first whose header maps.
    pub sheet: Option<String>,
    /// The header's row as the sheet shows it (title rows above it are skipped).
    pub header_row: u32,
    /// About the file as a whole, in the UI language (a renamed file, ID numbers cut to 15
    /// digits), shown above everything else.
    pub notices: Vec<String>,
    pub rows_read: u32,
    pub rows_imported: u32,
    pub rows_rejected: u32,
    /// Rows held back until their warnings are confirmed.
    pub rows_held: u32,
    /// Whether this import wrote the rows with warnings (the volunteer confirmed them).
    pub warnings_accepted: bool,
    /// Rows that look wrong in a way a person must check (e.g. an ID ending in 000).
    pub warnings: Vec<ImportRowError>,
    pub households_added: u32,
    pub residents_added: u32,
    pub residents_updated: u32,
    pub residents_unchanged: u32,
    /// What the updates changed field by field, in the UI language ("手机号清空2人"); empty
    /// when no stored value changed.
    pub changes: String,
    pub errors: Vec<ImportRowError>,
    pub ignored_columns: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct ImportRowError {
    pub row: u32,
    /// The column's Chinese or English label, in the UI language.
    pub column: String,
    /// Masked for document numbers and phones.
    pub value: String,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ImportRequest {
    /// The file's name (its extension picks the reader: .csv, .xlsx).
    pub file_name: String,
    /// The file's bytes, base64.
    pub content_base64: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ExportRequest {
    /// Where to write: a path ending in .csv or .xlsx.
    pub path: String,
    /// Full document numbers and phones instead of masked ones (audited).
    pub unmasked: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct ExportResult {
    pub path: String,
    pub rows: u32,
}
