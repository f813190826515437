//! How a file's header maps to the roster columns, and how a row of cells becomes a
//! [`RawRow`] (shared by the CSV and workbook readers).

use crate::column::{Column, ColumnSet, HEADER_SEARCH_ROWS};
use crate::error::RosterError;
use crate::limits::MAX_DATA_ROWS;
use crate::rows::{CellProblem, RawRow};
use nac_domain::document::fold_full_width;

/// One cell as read from a file.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Cell {
    Text(String),
    Number(f64),
    Bool(bool),
    /// A date/time cell, formatted `YYYY-MM-DD` (with ` HH:MM` when not midnight).
    Date(String),
    /// An Excel error value such as `#N/A`.
    Error(String),
}

impl Cell {
    fn is_blank(&self) -> bool {
        matches!(self, Cell::Text(s) if s.trim().is_empty())
    }

    /// The cell as header text.
    fn header_text(&self) -> String {
        match self {
            Cell::Text(s) | Cell::Date(s) | Cell::Error(s) => s.trim().to_string(),
            Cell::Number(n) => format_number(*n),
            Cell::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_string(),
        }
    }
}

/// A number as the sheet shows it: integers without a decimal point ("100", not "100.0"), and
/// at most 15 significant digits, as Excel, WPS and LibreOffice keep them — the double behind
/// `310105193203221000` is `310105193203220992`, which no volunteer ever saw.
pub(crate) fn format_number(n: f64) -> String {
    if !n.is_finite() {
        return n.to_string();
    }
    if n.fract() == 0.0 && n.abs() < 1e15 {
        return format!("{n:.0}");
    }
    // Scientific notation with 15 significant digits, then written out in full.
    let sci = format!("{n:.14e}");
    let Some((mantissa, exponent)) = sci.split_once('e') else {
        return n.to_string();
    };
    let Ok(exponent) = exponent.parse::<i32>() else {
        return n.to_string();
    };
    let negative = mantissa.starts_with('-');
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let digits = digits.trim_end_matches('0');
    let digits = if digits.is_empty() { "0" } else { digits };
    let point = exponent + 1; // digits before the decimal point
    let body = if point <= 0 {
        let zeros = "0".repeat(usize::try_from(-point).unwrap_or(0));
        format!("0.{zeros}{digits}")
    } else {
        let point = usize::try_from(point).unwrap_or(0);
        if digits.len() <= point {
            format!("{digits}{}", "0".repeat(point - digits.len()))
        } else {
            format!("{}.{}", &digits[..point], &digits[point..])
        }
    };
    if negative {
        format!("-{body}")
    } else {
        body
    }
}

/// The header row: which file column holds which roster column.
#[derive(Debug)]
struct Header {
    by_index: Vec<Option<Column>>,
    ignored: Vec<String>,
    present: ColumnSet,
    /// Required columns the row does not name (empty for a real header).
    missing: Vec<Column>,
}

/// Columns in a worksheet (A … XFD), the limit of Excel, WPS and LibreOffice alike.
pub(crate) const MAX_COLUMNS: usize = 16_384;
/// Rows in a worksheet.
pub(crate) const MAX_SHEET_ROWS: usize = 1_048_576;

/// A cell reference as a spreadsheet shows it (`A1`, `XFD1048576`), from 0-based indexes.
pub(crate) fn cell_reference(row: u64, col: u64) -> String {
    let mut letters = Vec::new();
    let mut n = col.saturating_add(1);
    while n > 0 {
        let rem = (n - 1) % 26;
        letters.push(char::from(b'A' + u8::try_from(rem).unwrap_or(0)));
        n = (n - 1) / 26;
    }
    letters.reverse();
    format!(
        "{}{}",
        letters.into_iter().collect::<String>(),
        row.saturating_add(1)
    )
}

impl Header {
    /// Reads a row as a header; `missing` lists the required columns it lacks. Two headers for
    /// one column, or a cell beyond the sheet's last column, are errors.
    fn read(cells: &[(usize, Cell)]) -> Result<Header, RosterError> {
        let mut by_index = Vec::new();
        let mut seen: Vec<(Column, String)> = Vec::new();
        let mut ignored = Vec::new();
        for (index, cell) in cells {
            let text = cell.header_text();
            if text.is_empty() {
                continue;
            }
            if *index >= MAX_COLUMNS {
                return Err(RosterError::CellOutOfRange {
                    reference: cell_reference(0, *index as u64),
                });
            }
            match Column::from_header(&text) {
                Some(column) => {
                    if let Some((_, first)) = seen.iter().find(|(c, _)| *c == column) {
                        return Err(RosterError::DuplicateColumn {
                            column,
                            first: first.clone(),
                            second: text,
                        });
                    }
                    seen.push((column, text));
                    if by_index.len() <= *index {
                        by_index.resize(index + 1, None);
                    }
                    by_index[*index] = Some(column);
                }
                None => ignored.push(text),
            }
        }
        let missing: Vec<Column> = Column::REQUIRED
            .into_iter()
            .filter(|r| !seen.iter().any(|(c, _)| c == r))
            .collect();
        let present = seen.iter().map(|(c, _)| *c).collect();
        Ok(Header {
            by_index,
            ignored,
            present,
            missing,
        })
    }

    fn named(&self) -> usize {
        self.present.iter().count()
    }

    fn column(&self, index: usize) -> Option<Column> {
        self.by_index.get(index).copied().flatten()
    }
}

/// Turns rows of cells into [`RawRow`]s: the header is the first row within the first
/// [`HEADER_SEARCH_ROWS`] that names every required column (rows above it are titles and are
/// skipped), later rows are data; empty rows are skipped and the row cap is enforced as rows
/// arrive.
#[derive(Debug, Default)]
pub(crate) struct Assembler {
    header: Option<(usize, Header)>,
    /// The row naming the most roster columns, while no header is found.
    best: Option<(usize, Header)>,
    /// Whether any non-empty row came before the header search ended.
    seen_content: bool,
    rows: Vec<RawRow>,
}

impl Assembler {
    /// Whether cells of file column `index` are needed (all of them until the header is known).
    pub(crate) fn wants(&self, index: usize) -> bool {
        self.header
            .as_ref()
            .is_none_or(|(_, h)| h.column(index).is_some())
    }

    /// Adds spreadsheet row `row` (1-based) with its cells (file column index, value).
    pub(crate) fn push(
        &mut self,
        row: usize,
        cells: Vec<(usize, Cell)>,
    ) -> Result<(), RosterError> {
        let Some((_, header)) = &self.header else {
            if row > HEADER_SEARCH_ROWS {
                return Err(self.no_header());
            }
            if cells.iter().all(|(_, c)| c.is_blank()) {
                return Ok(());
            }
            self.seen_content = true;
            let candidate = Header::read(&cells)?;
            if candidate.missing.is_empty() {
                self.header = Some((row, candidate));
            } else if candidate.named() > 0
                && self
                    .best
                    .as_ref()
                    .is_none_or(|(_, b)| candidate.named() > b.named())
            {
                self.best = Some((row, candidate));
            }
            return Ok(());
        };
        let mut raw = RawRow {
            row,
            ..RawRow::default()
        };
        let mut empty = true;
        for (index, cell) in cells {
            let Some(column) = header.column(index) else {
                continue;
            };
            if !cell.is_blank() {
                empty = false;
            }
            fill(&mut raw, column, cell);
        }
        if empty {
            return Ok(());
        }
        if self.rows.len() >= MAX_DATA_ROWS {
            return Err(RosterError::TooManyRows {
                limit: MAX_DATA_ROWS,
            });
        }
        self.rows.push(raw);
        Ok(())
    }

    /// Why no header was found: the row that came closest and what it lacks, or no candidate.
    fn no_header(&self) -> RosterError {
        match &self.best {
            Some((row, best)) => RosterError::MissingColumns {
                row: *row,
                missing: best.missing.clone(),
            },
            None if self.seen_content => RosterError::NoHeaderInSearch,
            None => RosterError::NoHeader,
        }
    }

    /// What the sheet held: the data rows, the ignored headers, the columns the header names
    /// and the header's row; an error if no header row was found.
    pub(crate) fn finish(self) -> Result<Assembled, RosterError> {
        let Some((header_row, header)) = self.header else {
            return Err(self.no_header());
        };
        Ok(Assembled {
            rows: self.rows,
            ignored_columns: header.ignored,
            columns: header.present,
            header_row,
        })
    }
}

/// What [`Assembler::finish`] returns.
#[derive(Debug, Default)]
pub(crate) struct Assembled {
    pub rows: Vec<RawRow>,
    pub ignored_columns: Vec<String>,
    pub columns: ColumnSet,
    pub header_row: usize,
}

const NUMBER_AS_DOCUMENT: &str = "证件号码在Excel中存成了数字，只保留了前15位，后几位已丢失；请把该列设置为“文本”格式后重新输入 / the document number is stored as a number in Excel, which keeps only 15 digits, so the last digits are lost; format the column as Text and re-enter the numbers";
const SHORT_NUMBER_AS_DOCUMENT: &str = "证件号码存成了数字，开头的0可能已丢失（如01234567会变成1234567）；请把该列设置为“文本”格式后按证件原样重新输入 / the document number is stored as a number, so leading zeros may be lost (01234567 becomes 1234567); format the column as Text and re-enter it exactly as on the document";
const DATE_CELL: &str = "单元格是日期格式（Excel会把“3-1”之类自动转成日期）；请把该列设置为“文本”格式后重新输入 / the cell holds a date (Excel turns entries such as \"3-1\" into dates); format the column as Text and re-enter it";
const YES_NO: &str = "应填“是”或“否” / expected 是 or 否 (yes or no)";

fn fill(raw: &mut RawRow, column: Column, cell: Cell) {
    let problem = |value: String, message: String| CellProblem {
        field: column,
        value,
        message,
    };
    let text = match (column, cell) {
        (Column::HasSmartphone, Cell::Bool(b)) => {
            raw.resident.has_smartphone = b;
            return;
        }
        (_, Cell::Text(s)) => unguard_formula(s),
        (Column::DocumentNumber, Cell::Number(n)) => {
            let message = if n.abs() >= 1e15 {
                NUMBER_AS_DOCUMENT
            } else {
                SHORT_NUMBER_AS_DOCUMENT
            };
            raw.problems
                .push(problem(format_number(n), message.to_string()));
            return;
        }
        (_, Cell::Number(n)) => format_number(n),
        (_, Cell::Bool(b)) => if b { "TRUE" } else { "FALSE" }.to_string(),
        (Column::Notes, Cell::Date(s)) => s,
        (_, Cell::Date(s)) => {
            raw.problems.push(problem(s, DATE_CELL.to_string()));
            return;
        }
        (_, Cell::Error(e)) => {
            let message = format!(
                "单元格是错误值{e}（公式出错） / the cell holds the error value {e} (a broken formula)"
            );
            raw.problems.push(problem(e, message));
            return;
        }
    };
    let (h, r) = (&mut raw.household, &mut raw.resident);
    match column {
        Column::District => h.district = text,
        Column::Road => h.road = text,
        Column::Lane => h.lane = text,
        Column::Number => h.number = text,
        Column::Room => h.room = text,
        Column::HouseholdPhone => h.phone = text,
        Column::Name => r.name = text,
        Column::DocumentType => r.document_type = text,
        Column::DocumentNumber => r.document_number = text,
        Column::Phone => r.phone = text,
        Column::Notes => r.notes = text,
        Column::HasSmartphone => match parse_yes_no(&text) {
            Some(b) => r.has_smartphone = b,
            None => raw
                .problems
                .push(problem(text.trim().to_string(), YES_NO.to_string())),
        },
    }
}

/// Characters that make a spreadsheet read a CSV cell as a formula (OWASP "CSV injection").
const FORMULA_TRIGGERS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// Whether `value` needs a guard quote in a CSV export: it starts with a formula trigger, or
/// with guard quotes before one (so that a value which really starts with `'=` also survives
/// the round trip).
pub fn needs_formula_guard(value: &str) -> bool {
    value.trim_start_matches('\'').starts_with(FORMULA_TRIGGERS)
}

/// Exports write `'` before a cell that [`needs_formula_guard`]; an import takes one such quote
/// away again, so the value round-trips exactly.
pub(crate) fn unguard_formula(value: String) -> String {
    if value.starts_with('\'') && needs_formula_guard(&value) {
        value[1..].to_string()
    } else {
        value
    }
}

/// 是/否 and the usual variants; empty is "no".
pub(crate) fn parse_yes_no(text: &str) -> Option<bool> {
    let key: String = text
        .chars()
        .map(fold_full_width)
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect();
    match key.as_str() {
        "是" | "有" | "y" | "yes" | "true" | "1" | "√" | "✓" | "✔" => Some(true),
        "" | "否" | "无" | "没有" | "n" | "no" | "false" | "0" | "×" | "✗" | "✘" => {
            Some(false)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::column::header_key;

    #[test]
    fn headers_match_in_chinese_english_and_variants() {
        for (header, column) in [
            ("区", Column::District),
            (" District ", Column::District),
            ("DOCUMENT_NUMBER", Column::DocumentNumber),
            ("Document Number", Column::DocumentNumber),
            ("身份证号码", Column::DocumentNumber),
            ("*姓名", Column::Name),
            ("姓名（必填）", Column::Name),
            ("name (required)", Column::Name),
            ("联系电话", Column::Phone),
            ("户联系电话", Column::HouseholdPhone),
            ("household_phone", Column::HouseholdPhone),
            ("ｎａｍｅ", Column::Name),
            ("有智能手机", Column::HasSmartphone),
        ] {
            assert_eq!(Column::from_header(header), Some(column), "{header}");
        }
        for header in ["序号", "状态", "", "地址", "no"] {
            assert_eq!(Column::from_header(header), None, "{header}");
        }
    }

    #[test]
    fn every_label_and_key_is_distinct() {
        let mut keys: Vec<String> = Column::ALL
            .iter()
            .flat_map(|c| {
                let mut k = vec![header_key(c.label_zh()), header_key(c.as_str())];
                k.extend(c.aliases().iter().map(|a| header_key(a)));
                k
            })
            .collect();
        let n = keys.len();
        keys.sort();
        keys.dedup();
        assert_eq!(keys.len(), n);
    }

    #[test]
    fn numbers_are_formatted_as_typed() {
        assert_eq!(format_number(100.0), "100");
        assert_eq!(format_number(13812345678.0), "13812345678");
        assert_eq!(format_number(5.5), "5.5");
        assert_eq!(format_number(3.10105193203221e17), "310105193203221000");
        assert_eq!(format_number(310105193203221166.0), "310105193203221000");
        assert_eq!(format_number(1234567.0), "1234567");
        assert_eq!(format_number(-2.5), "-2.5");
        assert_eq!(format_number(0.1 + 0.2), "0.3");
        assert_eq!(format_number(1.5e-7), "0.00000015");
    }

    #[test]
    fn yes_no() {
        assert_eq!(parse_yes_no(" 是 "), Some(true));
        assert_eq!(parse_yes_no("YES"), Some(true));
        assert_eq!(parse_yes_no(""), Some(false));
        assert_eq!(parse_yes_no("否"), Some(false));
        assert_eq!(parse_yes_no("maybe"), None);
    }
}
