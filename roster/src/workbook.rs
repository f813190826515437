//! Workbook rosters (`.xlsx`, `.xlsb`, `.xls`, `.ods`) through calamine.
//!
//! `.xlsx` and `.xlsb` are streamed cell by cell: the sheet's declared used range is checked
//! against the row cap before any cell is read, and only the cells of roster columns are kept.
//! `.xls` and `.ods` are read whole by calamine, which sizes its storage from numbers in the
//! file, so [`bounds`](super::bounds) checks those numbers first. Every sheet is tried in order
//! (visible ones first) and the first whose header maps is read; the report names it.

use crate::bounds;
use crate::error::RosterError;
use crate::format::FileFormat;
use crate::header::{cell_reference, Assembled, Assembler, Cell, MAX_COLUMNS, MAX_SHEET_ROWS};
use crate::limits::MAX_DATA_ROWS;
use crate::rows::RosterFile;
use calamine::{Data, Ods, Reader, Sheet, SheetType, SheetVisible, Xls, Xlsb, Xlsx};
use std::io::Cursor;

/// Largest total unpacked size of a zipped workbook's parts: a small file can unpack to
/// gigabytes of shared strings (a "zip bomb"), and calamine reads the shared strings whole.
pub(crate) const MAX_UNPACKED_BYTES: u64 = 256 * 1024 * 1024;

/// Refuses a workbook whose parts declare more than `limit` unpacked bytes, before calamine
/// inflates anything.
pub(crate) fn check_unpacked_size(bytes: &[u8], limit: u64) -> Result<(), RosterError> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| RosterError::Workbook(e.to_string()))?;
    let mut total: u64 = 0;
    for i in 0..archive.len() {
        let entry = archive
            .by_index_raw(i)
            .map_err(|e| RosterError::Workbook(e.to_string()))?;
        total = total.saturating_add(entry.size());
        if total > limit {
            return Err(RosterError::FileTooLarge {
                bytes: total,
                limit,
            });
        }
    }
    Ok(())
}

/// Reads the roster from a workbook's bytes (already within the size cap), of the (detected)
/// `format`. A panic inside calamine (a malformed record it does not expect) becomes a file
/// error: a damaged workbook must never take the app down.
pub(crate) fn read(bytes: &[u8], format: FileFormat) -> Result<RosterFile, RosterError> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| read_workbook(bytes, format)))
        .unwrap_or_else(|_| {
            Err(RosterError::Unreadable(
                "工作簿已损坏，无法读取；请在Excel、WPS或LibreOffice中打开后另存为.xlsx / the workbook is damaged and cannot be read; open it in Excel, WPS or LibreOffice and save it as .xlsx".to_string(),
            ))
        })
}

fn read_workbook(bytes: &[u8], format: FileFormat) -> Result<RosterFile, RosterError> {
    let workbook_error = |e: &dyn std::fmt::Display| RosterError::Workbook(e.to_string());
    // `.xlsx` and `.xlsb` share calamine's streaming API, but their cell readers are distinct
    // (and the `.xlsb` one unnameable) types, so the one reading loop is written once here.
    macro_rules! streamed {
        ($workbook:ty, $error:ty) => {{
            check_unpacked_size(bytes, MAX_UNPACKED_BYTES)?;
            let mut wb: $workbook =
                <$workbook>::new(Cursor::new(bytes)).map_err(|e: $error| workbook_error(&e))?;
            let sheets = sheet_order(wb.sheets_metadata());
            first_roster_sheet(&sheets, |name| {
                let mut cells = wb
                    .worksheet_cells_reader(name)
                    .map_err(|e| workbook_error(&e))?;
                check_declared_rows(cells.dimensions().end.0, cells.dimensions().start.0)?;
                stream(|wants| {
                    let cell = cells.next_cell().map_err(|e| workbook_error(&e))?;
                    Ok(cell.map(|c| {
                        let (row, col) = c.get_position();
                        let value = wants(col)
                            .then(|| convert(Data::from(c.get_value().clone())))
                            .flatten();
                        ((row, col), value)
                    }))
                })
            })?
        }};
    }
    let (sheet, assembled) = match format {
        FileFormat::Xlsx => streamed!(Xlsx<_>, calamine::XlsxError),
        FileFormat::Xlsb => streamed!(Xlsb<_>, calamine::XlsbError),
        FileFormat::Xls => {
            // calamine sees a rebuilt container holding only the checked stream (see bounds).
            let sanitized = bounds::sanitize_xls(bytes)?;
            let mut wb = Xls::new(Cursor::new(sanitized))
                .map_err(|e: calamine::XlsError| workbook_error(&e))?;
            let sheets = sheet_order(wb.sheets_metadata());
            first_roster_sheet(&sheets, |name| {
                let range = wb.worksheet_range(name).map_err(|e| workbook_error(&e))?;
                from_range(&range)
            })?
        }
        FileFormat::Ods => {
            check_unpacked_size(bytes, MAX_UNPACKED_BYTES)?;
            bounds::check_ods(bytes)?;
            let mut wb =
                Ods::new(Cursor::new(bytes)).map_err(|e: calamine::OdsError| workbook_error(&e))?;
            let sheets = sheet_order(wb.sheets_metadata());
            first_roster_sheet(&sheets, |name| {
                let range = wb.worksheet_range(name).map_err(|e| workbook_error(&e))?;
                from_range(&range)
            })?
        }
        FileFormat::Csv => {
            return Err(RosterError::Workbook(
                "CSV不是工作簿 / a CSV file is not a workbook".to_string(),
            ))
        }
    };
    Ok(RosterFile {
        format,
        encoding: None,
        sheet: Some(sheet),
        header_row: assembled.header_row,
        rows: assembled.rows,
        ignored_columns: assembled.ignored_columns,
        columns: assembled.columns,
        notices: Vec::new(),
    })
}

/// Worksheets in workbook order, visible ones first (chart sheets and macro sheets are never
/// rosters).
fn sheet_order(sheets: &[Sheet]) -> Vec<String> {
    let worksheets = || sheets.iter().filter(|s| s.typ == SheetType::WorkSheet);
    worksheets()
        .filter(|s| s.visible == SheetVisible::Visible)
        .chain(worksheets().filter(|s| s.visible != SheetVisible::Visible))
        .map(|s| s.name.clone())
        .collect()
}

/// The first sheet whose header maps, with what it holds. A sheet without a header is passed
/// over; when none has one, the error of the sheet that came closest (a row naming some roster
/// columns) is returned, else the first sheet's.
fn first_roster_sheet(
    sheets: &[String],
    mut read_sheet: impl FnMut(&str) -> Result<Assembled, RosterError>,
) -> Result<(String, Assembled), RosterError> {
    let mut first_error: Option<RosterError> = None;
    for name in sheets {
        match read_sheet(name) {
            Ok(assembled) => return Ok((name.clone(), assembled)),
            Err(e @ (RosterError::NoHeader | RosterError::NoHeaderInSearch)) => {
                first_error.get_or_insert(e);
            }
            Err(e @ RosterError::MissingColumns { .. }) => {
                if !matches!(first_error, Some(RosterError::MissingColumns { .. })) {
                    first_error = Some(e);
                }
            }
            Err(other) => return Err(other),
        }
    }
    Err(first_error.unwrap_or(RosterError::NoWorksheet))
}

/// Refuses a streamed sheet whose declared used range is over the row cap, before any cell is
/// read. The height may include title rows above the header, so the cap allows for them.
fn check_declared_rows(end: u32, start: u32) -> Result<(), RosterError> {
    let rows = usize::try_from(end.saturating_sub(start)).unwrap_or(usize::MAX);
    if rows > MAX_DATA_ROWS + super::HEADER_SEARCH_ROWS {
        return Err(RosterError::SheetTooLarge {
            rows: rows.saturating_add(1),
            limit: MAX_DATA_ROWS,
        });
    }
    Ok(())
}

/// Refuses a cell beyond the sheet's limits: a crafted reference (`MWLQKWU1`) parses to a
/// column in the billions, and nothing may be sized from it.
fn check_position(row: u32, col: u32) -> Result<usize, RosterError> {
    let index = usize::try_from(col).unwrap_or(usize::MAX);
    if index >= MAX_COLUMNS || usize::try_from(row).map_or(true, |r| r >= MAX_SHEET_ROWS) {
        return Err(RosterError::CellOutOfRange {
            reference: cell_reference(u64::from(row), u64::from(col)),
        });
    }
    Ok(index)
}

/// The next streamed cell: its position, and its value when the column is wanted.
type NextCell = Result<Option<((u32, u32), Option<Cell>)>, RosterError>;

/// Feeds streamed cells (row-major, as calamine yields them) to an [`Assembler`] row by row,
/// stopping early when no header turned up in the search rows. `next` is told which columns
/// are wanted, so cells of other columns are never converted.
fn stream(
    mut next: impl FnMut(&dyn Fn(u32) -> bool) -> NextCell,
) -> Result<Assembled, RosterError> {
    let mut assembler = Assembler::default();
    let mut current: Option<(u32, Vec<(usize, Cell)>)> = None;
    loop {
        let wants = |col: u32| usize::try_from(col).is_ok_and(|i| assembler.wants(i));
        let Some(((row, col), value)) = next(&wants)? else {
            break;
        };
        let index = check_position(row, col)?;
        // Rows arrive in order in every file an office suite writes; a cell naming an earlier
        // row (a crafted or damaged sheet) would split rows and misnumber the report.
        if current.as_ref().is_some_and(|(r, _)| row < *r) {
            return Err(RosterError::Unreadable(format!(
                "单元格{}出现在后面的行之后，工作表已损坏；请在Excel、WPS或LibreOffice中打开后另存 / the cell {} comes after a later row: the sheet is damaged; open it in Excel, WPS or LibreOffice and save it again",
                cell_reference(u64::from(row), u64::from(col)),
                cell_reference(u64::from(row), u64::from(col))
            )));
        }
        if current.as_ref().is_some_and(|(r, _)| *r != row) {
            if let Some((r, row_cells)) = current.take() {
                assembler.push(spreadsheet_row(r), row_cells)?;
            }
        }
        let row_cells = &mut current.get_or_insert_with(|| (row, Vec::new())).1;
        if let Some(value) = value {
            row_cells.push((index, value));
        }
    }
    if let Some((r, row_cells)) = current.take() {
        assembler.push(spreadsheet_row(r), row_cells)?;
    }
    assembler.finish()
}

/// Feeds a sheet read whole (`.xls`, `.ods`) to an [`Assembler`] row by row.
fn from_range(range: &calamine::Range<Data>) -> Result<Assembled, RosterError> {
    let mut assembler = Assembler::default();
    let Some((start_row, start_col)) = range.start() else {
        return assembler.finish();
    };
    for (offset, cells) in range.rows().enumerate() {
        let row = start_row.saturating_add(u32::try_from(offset).unwrap_or(u32::MAX));
        let mut row_cells = Vec::new();
        for (c, value) in cells.iter().enumerate() {
            let col = start_col.saturating_add(u32::try_from(c).unwrap_or(u32::MAX));
            let index = check_position(row, col)?;
            if let Some(value) = assembler
                .wants(index)
                .then(|| convert(value.clone()))
                .flatten()
            {
                row_cells.push((index, value));
            }
        }
        assembler.push(spreadsheet_row(row), row_cells)?;
    }
    assembler.finish()
}

/// calamine's rows are 0-based; spreadsheet rows are 1-based.
fn spreadsheet_row(row: u32) -> usize {
    usize::try_from(row).map_or(usize::MAX, |r| r.saturating_add(1))
}

fn date_cell(dt: &calamine::ExcelDateTime) -> Cell {
    if dt.is_duration() {
        return Cell::Text(dt.as_f64().to_string());
    }
    let (y, mo, d, h, mi, _, _) = dt.to_ymd_hms_milli();
    if h == 0 && mi == 0 {
        Cell::Date(format!("{y:04}-{mo:02}-{d:02}"))
    } else {
        Cell::Date(format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}"))
    }
}

/// A cell as the roster reader sees it (streamed cells arrive as `DataRef`, which converts to
/// `Data` without a second copy of their text).
fn convert(value: Data) -> Option<Cell> {
    Some(match value {
        Data::Empty => return None,
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => Cell::Text(s),
        Data::Float(f) => Cell::Number(f),
        // Integers beyond 2^53 do not occur in workbooks (numbers are doubles); the cast only
        // matters for formats that store integers.
        #[allow(clippy::cast_precision_loss)]
        Data::Int(i) => Cell::Number(i as f64),
        Data::Bool(b) => Cell::Bool(b),
        Data::DateTime(dt) => date_cell(&dt),
        Data::Error(e) => Cell::Error(e.to_string()),
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use std::io::Write as _;

    #[test]
    fn a_workbook_that_unpacks_past_the_limit_is_refused_before_reading() {
        let dir = tempfile::TempDir::new().unwrap();
        let path = dir.path().join("bomb.xlsx");
        let mut zip = zip::ZipWriter::new(std::fs::File::create(&path).unwrap());
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        zip.start_file("xl/sharedStrings.xml", options).unwrap();
        zip.write_all(&vec![b'a'; 2 * 1024 * 1024]).unwrap();
        zip.finish().unwrap();
        assert!(
            std::fs::metadata(&path).unwrap().len() < 64 * 1024,
            "it packs small"
        );
        let bytes = std::fs::read(&path).unwrap();
        let err = check_unpacked_size(&bytes, 1024 * 1024).unwrap_err();
        assert!(matches!(err, RosterError::FileTooLarge { .. }), "{err}");
        assert!(check_unpacked_size(&bytes, 4 * 1024 * 1024).is_ok());
    }
}
