//! Roster files in and out: CSV (UTF-8 with or without BOM, GB18030, UTF-16 with BOM) and XLSX.
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
//!    ([`HouseholdDraft::validate`](crate::station::HouseholdDraft::validate),
//!    [`ResidentDraft::validate`](crate::station::ResidentDraft::validate)) and checks the file
//!    for internal conflicts (the same document on two rows, two phones for one household). Every
//!    bad field of every bad row becomes a [`RowError`]; ID numbers and phones in a report are
//!    always masked.
//! 3. [`Station::import_roster`](crate::Station::import_roster) writes the valid rows in one
//!    transaction and returns an [`ImportReport`]. Importing the same file again changes nothing.
//!
//! [`Station::export_roster`](crate::Station::export_roster) writes the roster back out with the
//! same headers (so an export can be edited and re-imported) plus the code status columns;
//! document numbers and phones are masked unless the caller asks for full values.
//!
//! The caps [`MAX_FILE_BYTES`] and [`MAX_DATA_ROWS`] are checked before a file is read in full.
//! The file format is documented for volunteers in `docs/roster.md`.

mod bounds;
mod columns;
mod csv_file;
pub mod export;
mod outcome;
mod report;
mod sniff;
mod workbook;

pub use columns::needs_formula_guard;
pub use columns::{Column, ColumnSet, HEADER_SEARCH_ROWS};
pub use export::{write_template, EXPORT_STATUS_HEADERS};
pub use outcome::{FieldChanges, ImportOutcome};
pub use report::{validate_rows, ImportReport, RowError, Validated};

use nac_domain::drafts::{HouseholdInput, ResidentInput};
use serde::Serialize;
use std::path::Path;

/// Largest roster file accepted, checked from the file's metadata before it is opened (20 MiB:
/// a 50,000-row roster is about 5 MiB as CSV and 3 MiB as XLSX).
pub const MAX_FILE_BYTES: u64 = 20 * 1024 * 1024;

/// Most data rows (not counting the header or empty rows) in one roster file. For XLSX the
/// sheet's declared used range is checked against this before any cell is read; CSV files are
/// refused as soon as the cap is passed.
pub const MAX_DATA_ROWS: usize = 50_000;

/// A problem with a roster file as a whole (row problems go in the import report).
#[derive(Debug, thiserror::Error)]
pub enum RosterError {
    #[error("无法识别的文件类型“{0}”，请使用 .xlsx、.xls、.ods 或 .csv / unsupported file type \"{0}\"; use .xlsx, .xls, .ods or .csv")]
    UnknownFormat(String),
    #[error("这不是表格文件，而是{zh}；请在Excel、WPS或LibreOffice中打开名单并另存为.xlsx / this is not a spreadsheet but {en}; open the roster in Excel, WPS or LibreOffice and save it as .xlsx")]
    NotASpreadsheet { zh: &'static str, en: &'static str },
    #[error("无法读取文件 / cannot read the file: {0}")]
    Io(#[from] std::io::Error),
    #[error(
        "文件过大（{} MiB），上限为{} MiB；请拆分后分批导入 / the file is too large ({} MiB); the limit is {} MiB, split it and import the parts",
        mib(*.bytes), mib(*.limit), mib(*.bytes), mib(*.limit)
    )]
    FileTooLarge { bytes: u64, limit: u64 },
    #[error("数据超过{limit}行的上限，请拆分后分批导入 / more than {limit} data rows (the limit); split the file and import the parts")]
    TooManyRows { limit: usize },
    #[error("工作表的使用范围有{rows}行，超过{limit}行数据的上限；请拆分，或删除多余的（带格式的）空行后重试 / the sheet's used range has {rows} rows, more than the limit of {limit} data rows; split it, or delete formatted empty rows and retry")]
    SheetTooLarge { rows: usize, limit: usize },
    #[error("文件中没有内容（找不到表头行） / the file is empty (no header row found)")]
    NoHeader,
    #[error("前{HEADER_SEARCH_ROWS}行中找不到表头（须有区、路、号、姓名、证件号码等列名） / no header row in the first {HEADER_SEARCH_ROWS} rows (it must name the columns 区, 路, 号, 姓名, 证件号码 …)")]
    NoHeaderInSearch,
    #[error(
        "前{HEADER_SEARCH_ROWS}行中没有完整的表头：第{row}行最像表头，但缺少必填列：{} / no complete header in the first {HEADER_SEARCH_ROWS} rows: row {row} comes closest but lacks the required columns: {}",
        .missing.iter().map(|c| c.label_zh()).collect::<Vec<_>>().join("、"),
        .missing.iter().map(|c| c.as_str()).collect::<Vec<_>>().join(", ")
    )]
    MissingColumns { row: usize, missing: Vec<Column> },
    #[error(
        "“{first}”和“{second}”两列都对应{}，请只保留一列 / the columns \"{first}\" and \"{second}\" both map to {}; keep only one",
        .column.label_zh(), .column.as_str()
    )]
    DuplicateColumn {
        column: Column,
        first: String,
        second: String,
    },
    #[error("无法识别文件编码（应为UTF-8或GB18030），请在Excel中另存为“CSV UTF-8”或.xlsx / the text encoding is neither UTF-8 nor GB18030; save the file as \"CSV UTF-8\" or .xlsx")]
    Encoding,
    #[error("CSV文件第{row}行格式有误 / the CSV file is malformed at row {row}: {message}")]
    Csv { row: usize, message: String },
    #[error("无法读取Excel文件 / cannot read the workbook: {0}")]
    Workbook(String),
    /// A damaged or crafted workbook, told in a full bilingual sentence.
    #[error("{0}")]
    Unreadable(String),
    #[error("工作簿中没有工作表 / the workbook has no worksheet")]
    NoWorksheet,
    #[error("单元格{reference}超出了表格的范围（最多XFD列、1048576行），文件已损坏或不是正常的表格 / the cell {reference} lies beyond the sheet's limits (column XFD, row 1048576); the file is damaged or not an ordinary spreadsheet")]
    CellOutOfRange { reference: String },
    #[error("无法写入Excel文件 / cannot write the workbook: {0}")]
    WriteWorkbook(String),
}

/// Mebibytes with one decimal, rounded up (so a file just over the limit never reads as equal).
fn mib(bytes: u64) -> String {
    const MIB: u64 = 1024 * 1024;
    let tenths = (bytes.saturating_mul(10)).div_ceil(MIB);
    format!("{}.{}", tenths / 10, tenths % 10)
}

impl RosterError {
    /// A stable machine-readable code for the kind of problem.
    pub fn code(&self) -> &'static str {
        match self {
            RosterError::UnknownFormat(_) | RosterError::NotASpreadsheet { .. } => "unknown_format",
            RosterError::Io(_) => "io",
            RosterError::FileTooLarge { .. } => "file_too_large",
            RosterError::TooManyRows { .. } | RosterError::SheetTooLarge { .. } => "too_many_rows",
            RosterError::NoHeader | RosterError::NoHeaderInSearch => "no_header",
            RosterError::MissingColumns { .. } => "missing_columns",
            RosterError::DuplicateColumn { .. } => "duplicate_column",
            RosterError::Encoding => "encoding",
            RosterError::Csv { .. } => "malformed_csv",
            RosterError::Workbook(_)
            | RosterError::Unreadable(_)
            | RosterError::NoWorksheet
            | RosterError::CellOutOfRange { .. } => "workbook",
            RosterError::WriteWorkbook(_) => "write_workbook",
        }
    }
}

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

/// The kinds of roster file. The kind is told by the file's first bytes, not its name (see
/// [`FileFormat::detect`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FileFormat {
    /// Delimited text: `.csv`, `.tsv`, `.txt` (comma, tab or semicolon, detected from the header).
    Csv,
    /// Office Open XML workbook: `.xlsx`, `.xlsm`.
    Xlsx,
    /// Excel 97–2003 (BIFF8) workbook: `.xls`, also WPS's default templates.
    Xls,
    /// OpenDocument spreadsheet (LibreOffice): `.ods`.
    Ods,
    /// Excel binary workbook: `.xlsb`.
    Xlsb,
}

impl FileFormat {
    /// The usual extension.
    pub fn extension(self) -> &'static str {
        match self {
            FileFormat::Csv => "csv",
            FileFormat::Xlsx => "xlsx",
            FileFormat::Xls => "xls",
            FileFormat::Ods => "ods",
            FileFormat::Xlsb => "xlsb",
        }
    }

    /// The format an extension names (case-insensitive), if it is a roster format.
    pub fn from_extension(ext: &str) -> Option<FileFormat> {
        Some(match ext.to_ascii_lowercase().as_str() {
            "csv" | "tsv" | "txt" => FileFormat::Csv,
            "xlsx" | "xlsm" => FileFormat::Xlsx,
            "xls" | "et" => FileFormat::Xls,
            "ods" => FileFormat::Ods,
            "xlsb" => FileFormat::Xlsb,
            _ => return None,
        })
    }

    /// The format of a file named `name` holding `bytes`, from its first bytes (a zip's
    /// parts, the OLE2 signature) and, for text, its extension; plus a notice when the name
    /// says otherwise.
    pub fn detect(name: &str, bytes: &[u8]) -> Result<(FileFormat, Option<String>), RosterError> {
        let ext = Path::new(name)
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or("")
            .to_ascii_lowercase();
        sniff::detect(&ext, bytes)
    }
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

/// Reads the data rows of a roster file (see [`read_roster_file`]).
pub fn read_roster(path: &Path) -> Result<Vec<RawRow>, RosterError> {
    Ok(read_roster_file(path)?.rows)
}

/// Reads a roster file: checks the size cap from the metadata, then reads it as
/// [`read_roster_bytes`] does.
pub fn read_roster_file(path: &Path) -> Result<RosterFile, RosterError> {
    let bytes = std::fs::metadata(path)?.len();
    if bytes > MAX_FILE_BYTES {
        return Err(RosterError::FileTooLarge {
            bytes,
            limit: MAX_FILE_BYTES,
        });
    }
    // Read no more than the cap in case the file grew since.
    let mut content = Vec::new();
    std::io::Read::read_to_end(
        &mut std::io::Read::take(std::fs::File::open(path)?, MAX_FILE_BYTES + 1),
        &mut content,
    )?;
    read_roster_bytes(&file_name(path), &content)
}

/// Reads a roster from its bytes, as a file named `name` (only its extension is used, to tell
/// text from a misnamed workbook): checks the size cap, tells the format from the content,
/// finds the header (in the first [`HEADER_SEARCH_ROWS`] rows, on the first sheet where one
/// maps) and returns the non-empty data rows. Nothing is written anywhere: the desktop app
/// imports the bytes the volunteer's file dialog read, without a copy on disk.
pub fn read_roster_bytes(name: &str, bytes: &[u8]) -> Result<RosterFile, RosterError> {
    let len = bytes.len() as u64;
    if len > MAX_FILE_BYTES {
        return Err(RosterError::FileTooLarge {
            bytes: len,
            limit: MAX_FILE_BYTES,
        });
    }
    let (format, notice) = FileFormat::detect(name, bytes)?;
    let mut file = match format {
        FileFormat::Csv => csv_file::read(bytes)?,
        workbook => workbook::read(bytes, workbook)?,
    };
    file.notices.extend(notice);
    Ok(file)
}

/// The name a report shows for the file at `path`.
pub fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

/// How an import treats rows with warnings.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImportOptions {
    /// Write rows whose warnings a person has checked (the app's confirmation,
    /// `nac import --accept-warnings`); otherwise they are held back and listed.
    pub accept_warnings: bool,
}
