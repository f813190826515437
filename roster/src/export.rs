//! The roster export's file writers (CSV with BOM, XLSX with text-formatted roster columns) and the
//! import template. What goes in an export (the station's residents, masked or not, with their
//! status) is read by `station/roster_export.rs`.

use crate::column::Column;
use crate::error::RosterError;
use crate::header::needs_formula_guard;
use rust_xlsxwriter::{ColNum, Format, RowNum, Workbook};
use std::path::Path;

/// Headers of the status columns an export adds after the roster columns (ignored on import):
/// the code state (有效 / 临期 / 已过期 / 未申领), the active code's expiry (`YYYY-MM-DD HH:MM`,
/// China Standard Time) and the whole days left.
pub const EXPORT_STATUS_HEADERS: [&str; 3] = ["状态", "有效期至", "剩余天数"];

/// One exported resident: the roster columns in template order, then the status columns.
pub struct Line {
    pub cells: [String; 12],
    pub status: String,
    pub valid_until: String,
    pub days_left: Option<i64>,
}

/// The example rows of the import template (fictional people with valid check digits).
const TEMPLATE_ROWS: [[&str; 12]; 2] = [
    [
        "徐汇区",
        "天钥桥路",
        "100",
        "5",
        "301",
        "13900001234",
        "张桂英",
        "居民身份证",
        "31010419480521034X",
        "",
        "否",
        "独居，行动不便",
    ],
    [
        "徐汇区",
        "天钥桥路",
        "100",
        "5",
        "301",
        "",
        "李建国",
        "",
        "31010419450312039X",
        "13700005678",
        "是",
        "",
    ],
];

/// Writes the import template (the header row and two example rows) as CSV or XLSX by
/// extension. The XLSX template has every roster column formatted as text, so that Excel keeps
/// all 18 digits of the ID numbers typed into it; `docs/roster-template.csv` is the CSV form.
pub fn write_template(path: &Path) -> Result<(), RosterError> {
    let lines: Vec<Line> = TEMPLATE_ROWS
        .iter()
        .map(|row| Line {
            cells: row.map(str::to_string),
            status: String::new(),
            valid_until: String::new(),
            days_left: None,
        })
        .collect();
    match export_format(path)? {
        ExportFormat::Csv => std::fs::write(path, csv_bytes(&lines, &[])?)?,
        ExportFormat::Xlsx => write_xlsx(path, &lines, &[])?,
    }
    Ok(())
}

/// What exports and the template are written as.
#[derive(Debug, Clone, Copy)]
pub enum ExportFormat {
    Csv,
    Xlsx,
}

pub fn export_format(path: &Path) -> Result<ExportFormat, RosterError> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    match ext.as_str() {
        "csv" => Ok(ExportFormat::Csv),
        "xlsx" => Ok(ExportFormat::Xlsx),
        _ => Err(RosterError::UnknownFormat(ext)),
    }
}

fn headers(status_headers: &[&'static str]) -> Vec<&'static str> {
    Column::ALL
        .iter()
        .map(|c| c.label_zh())
        .chain(status_headers.iter().copied())
        .collect()
}

/// UTF-8 with a BOM (so that Excel does not read it as GBK), CRLF line ends.
///
/// A cell that a spreadsheet would run as a formula (it starts with `=`, `+`, `-`, `@`, a tab
/// or a CR: the OWASP CSV-injection rule) is written with a leading `'`, which spreadsheets
/// show as a text marker and the import takes away again, so the value round-trips exactly.
/// A document number of digits only is written with a leading tab: Excel would otherwise turn
/// it into a number, keep 15 digits and lose the rest (and any leading zero) when the file is
/// opened and saved again. The tab is whitespace, which the import ignores, and it stands
/// before digits only, so it starts no formula.
pub fn csv_bytes(lines: &[Line], status_headers: &[&'static str]) -> Result<Vec<u8>, RosterError> {
    let mut out = "\u{feff}".as_bytes().to_vec();
    {
        let mut w = csv::WriterBuilder::new()
            .terminator(csv::Terminator::CRLF)
            .from_writer(&mut out);
        let csv_error = |e: csv::Error| RosterError::Io(std::io::Error::other(e.to_string()));
        w.write_record(headers(status_headers)).map_err(csv_error)?;
        let doc = Column::DocumentNumber.index();
        for line in lines {
            let mut record: Vec<String> = line.cells.to_vec();
            if !status_headers.is_empty() {
                record.push(line.status.clone());
                record.push(line.valid_until.clone());
                record.push(line.days_left.map(|d| d.to_string()).unwrap_or_default());
            }
            for cell in &mut record {
                if needs_formula_guard(cell) {
                    cell.insert(0, '\'');
                }
            }
            if !record[doc].is_empty() && record[doc].bytes().all(|b| b.is_ascii_digit()) {
                record[doc].insert(0, '\t');
            }
            w.write_record(&record).map_err(csv_error)?;
        }
        w.flush()?;
    }
    Ok(out)
}

pub fn write_xlsx(
    path: &Path,
    lines: &[Line],
    status_headers: &[&'static str],
) -> Result<(), RosterError> {
    let xlsx_error = |e: rust_xlsxwriter::XlsxError| RosterError::WriteWorkbook(e.to_string());
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name("名单").map_err(xlsx_error)?;
    let bold = Format::new().set_bold();
    let text = Format::new().set_num_format("@");
    let headers = headers(status_headers);
    for (col, header) in headers.iter().enumerate() {
        let col = ColNum::try_from(col).unwrap_or(ColNum::MAX);
        sheet
            .write_string_with_format(0, col, *header, &bold)
            .map_err(xlsx_error)?;
    }
    for column in Column::ALL {
        let col = ColNum::try_from(column.index()).unwrap_or(ColNum::MAX);
        let width = match column {
            Column::DocumentNumber => 22,
            Column::Road | Column::DocumentType | Column::Notes => 16,
            Column::Phone | Column::HouseholdPhone => 14,
            Column::District | Column::Name | Column::HasSmartphone => 10,
            Column::Lane | Column::Number | Column::Room => 6,
        };
        sheet.set_column_width(col, width).map_err(xlsx_error)?;
        // Text format on the whole column: numbers typed into new rows stay text too.
        sheet.set_column_format(col, &text).map_err(xlsx_error)?;
    }
    let first_status = ColNum::try_from(Column::ALL.len()).unwrap_or(ColNum::MAX);
    for (i, _) in status_headers.iter().enumerate() {
        let col = first_status.saturating_add(ColNum::try_from(i).unwrap_or(0));
        sheet
            .set_column_width(col, if i == 1 { 18 } else { 10 })
            .map_err(xlsx_error)?;
    }
    for (i, line) in lines.iter().enumerate() {
        let row = RowNum::try_from(i + 1).unwrap_or(RowNum::MAX);
        for (col, value) in line.cells.iter().enumerate() {
            if !value.is_empty() {
                let col = ColNum::try_from(col).unwrap_or(ColNum::MAX);
                sheet
                    .write_string_with_format(row, col, value, &text)
                    .map_err(xlsx_error)?;
            }
        }
        if !status_headers.is_empty() {
            sheet
                .write_string(row, first_status, &line.status)
                .map_err(xlsx_error)?;
            if !line.valid_until.is_empty() {
                sheet
                    .write_string(row, first_status + 1, &line.valid_until)
                    .map_err(xlsx_error)?;
            }
            if let Some(days) = line.days_left {
                #[allow(clippy::cast_precision_loss)] // at most 30
                sheet
                    .write_number(row, first_status + 2, days as f64)
                    .map_err(xlsx_error)?;
            }
        }
    }
    let last_col = ColNum::try_from(headers.len().saturating_sub(1)).unwrap_or(0);
    let last_row = RowNum::try_from(lines.len()).unwrap_or(RowNum::MAX);
    sheet.set_freeze_panes(1, 0).map_err(xlsx_error)?;
    sheet
        .autofilter(0, 0, last_row, last_col)
        .map_err(xlsx_error)?;
    workbook.save(path).map_err(xlsx_error)?;
    Ok(())
}
