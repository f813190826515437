//! Roster export (CSV / XLSX) and the import template.

use super::columns::needs_formula_guard;
use super::{Column, RosterError};
use crate::domain::document::mask_middle;
use crate::domain::DocumentType;
use crate::error::Result;
use crate::station::{ResidentStatus, Station};
use crate::time::format_cst_minute;
use rust_xlsxwriter::{ColNum, Format, RowNum, Workbook};
use std::path::Path;

/// Headers of the status columns an export adds after the roster columns (ignored on import):
/// the code state (有效 / 临期 / 已过期 / 未申领), the active code's expiry (`YYYY-MM-DD HH:MM`,
/// China Standard Time) and the whole days left.
pub const EXPORT_STATUS_HEADERS: [&str; 3] = ["状态", "有效期至", "剩余天数"];

/// One exported resident: the roster columns in template order, then the status columns.
struct Line {
    cells: [String; 12],
    status: String,
    valid_until: String,
    days_left: Option<i64>,
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

impl Station {
    /// Writes every resident (one row each, in address order) to `path`, as CSV (UTF-8 with BOM)
    /// or XLSX by extension, with the import template's headers plus [`EXPORT_STATUS_HEADERS`].
    ///
    /// Document numbers and phones are masked (`310***********123X`, `138****5678`) unless
    /// `unmasked` (administrators only); an unmasked export can be edited and imported back. Every export is recorded
    /// in the audit log (masked or not, and the row count; never the values). Households without
    /// members are not exported. Returns the number of residents written.
    pub fn export_roster(&self, path: &Path, unmasked: bool) -> Result<usize> {
        if unmasked {
            self.require_admin(
                "export full ID numbers and phones",
                "导出完整证件号码和电话",
            )?;
        }
        let format = export_format(path)?;
        let lines = self.export_lines(unmasked)?;
        let subject = format!(
            "{} {}, {} rows",
            if unmasked { "unmasked" } else { "masked" },
            match format {
                ExportFormat::Csv => "csv",
                ExportFormat::Xlsx => "xlsx",
            },
            lines.len()
        );
        let status_headers = EXPORT_STATUS_HEADERS.as_slice();
        // Whole or not at all, never through a symlink, never over the station's own files.
        crate::files::write_atomically(path, &["csv", "xlsx"], &self.own_files(), |temp| {
            match format {
                ExportFormat::Csv => std::fs::write(temp, csv_bytes(&lines, status_headers)?)?,
                ExportFormat::Xlsx => write_xlsx(temp, &lines, status_headers)?,
            }
            Ok::<(), crate::Error>(())
        })?;
        self.write_audited("roster.export", &subject, None, |_, _| Ok(()))?;
        Ok(lines.len())
    }

    fn export_lines(&self, unmasked: bool) -> Result<Vec<Line>> {
        let now = self.now();
        let expiring_days = self.expiring_days()?;
        let mut stmt = self.connection().prepare(
            "SELECT h.district, h.road, h.lane, h.number, h.room, h.phone,
                    r.name, r.doc_type, r.doc_number, r.phone, r.has_smartphone, r.notes,
                    c.serial, c.issued_at, c.expires_at,
                    EXISTS (SELECT 1 FROM codes x WHERE x.resident_id = r.id)
             FROM residents r JOIN households h ON h.id = r.household_id
             LEFT JOIN codes c ON c.resident_id = r.id AND c.state = 'active'
             WHERE r.removed_at IS NULL
             ORDER BY h.sort_key, h.id, r.id",
        )?;
        let mut rows = stmt.query([])?;
        let mut lines = Vec::new();
        let protect = |value: Option<String>, mask: fn(&str) -> String| -> String {
            let value = value.unwrap_or_default();
            if unmasked || value.is_empty() {
                value
            } else {
                mask(&value)
            }
        };
        let phone_mask: fn(&str) -> String = |p| mask_middle(p, 3, 4);
        let document_mask: fn(&str) -> String = crate::domain::document::mask_document;
        while let Some(r) = rows.next()? {
            let doc_type: String = r.get(7)?;
            let doc_type = doc_type
                .parse::<DocumentType>()
                .map_or(doc_type, |t| t.label_zh().to_string());
            let serial: Option<String> = r.get(12)?;
            let active = match serial {
                Some(s) => Some((s, r.get::<_, i64>(13)?, r.get::<_, i64>(14)?)),
                None => None,
            };
            let status = ResidentStatus::classify(active, r.get(15)?, now, expiring_days);
            let has_smartphone: bool = r.get(10)?;
            lines.push(Line {
                cells: [
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    protect(r.get(5)?, phone_mask),
                    r.get(6)?,
                    doc_type,
                    protect(r.get(8)?, document_mask),
                    protect(r.get(9)?, phone_mask),
                    if has_smartphone { "是" } else { "否" }.to_string(),
                    r.get(11)?,
                ],
                status: status.state.label_zh().to_string(),
                valid_until: status.expires_at.map(format_cst_minute).unwrap_or_default(),
                days_left: status.days_left,
            });
        }
        Ok(lines)
    }
}

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
enum ExportFormat {
    Csv,
    Xlsx,
}

fn export_format(path: &Path) -> Result<ExportFormat, RosterError> {
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
fn csv_bytes(lines: &[Line], status_headers: &[&'static str]) -> Result<Vec<u8>, RosterError> {
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

fn write_xlsx(
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
