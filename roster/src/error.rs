//! Problems with a roster file as a whole (row problems go in the import report).

use crate::column::{Column, HEADER_SEARCH_ROWS};

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
