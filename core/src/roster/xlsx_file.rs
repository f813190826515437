//! XLSX rosters via calamine's streaming cell reader: the sheet's declared used range is checked
//! against the row cap before any cell is read, and only the cells of roster columns are kept.

use super::columns::{cell_reference, Assembler, Cell, MAX_COLUMNS, MAX_SHEET_ROWS};
use super::{FileFormat, RosterError, RosterFile, MAX_DATA_ROWS};
use calamine::{open_workbook, DataRef, Reader, SheetType, SheetVisible, Xlsx};
use std::path::Path;

/// Largest total unpacked size of an XLSX's parts: a small file can unpack to gigabytes of
/// shared strings (a "zip bomb"), and calamine reads the shared strings whole.
pub(crate) const MAX_UNPACKED_BYTES: u64 = 256 * 1024 * 1024;

/// Refuses a workbook whose parts declare more than `limit` unpacked bytes, before calamine
/// inflates anything.
pub(crate) fn check_unpacked_size(path: &Path, limit: u64) -> Result<(), RosterError> {
    let file = std::fs::File::open(path)?;
    let mut archive =
        zip::ZipArchive::new(file).map_err(|e| RosterError::Workbook(e.to_string()))?;
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

pub(crate) fn read(path: &Path) -> Result<RosterFile, RosterError> {
    check_unpacked_size(path, MAX_UNPACKED_BYTES)?;
    let mut workbook: Xlsx<_> = open_workbook(path)
        .map_err(|e: calamine::XlsxError| RosterError::Workbook(e.to_string()))?;
    let sheets = workbook.sheets_metadata();
    let worksheets = || sheets.iter().filter(|s| s.typ == SheetType::WorkSheet);
    let sheet = worksheets()
        .find(|s| s.visible == SheetVisible::Visible)
        .or_else(|| worksheets().next())
        .map(|s| s.name.clone())
        .ok_or(RosterError::NoWorksheet)?;
    let mut cells = workbook
        .worksheet_cells_reader(&sheet)
        .map_err(|e| RosterError::Workbook(e.to_string()))?;

    let dimensions = cells.dimensions();
    let rows =
        usize::try_from(dimensions.end.0.saturating_sub(dimensions.start.0)).unwrap_or(usize::MAX);
    // `rows` is the used range's height minus one: the data rows below a header in its first row.
    if rows > MAX_DATA_ROWS {
        return Err(RosterError::SheetTooLarge {
            rows: rows.saturating_add(1),
            limit: MAX_DATA_ROWS,
        });
    }

    let mut assembler = Assembler::default();
    let mut current: Option<(u32, Vec<(usize, Cell)>)> = None;
    while let Some(cell) = cells
        .next_cell()
        .map_err(|e| RosterError::Workbook(e.to_string()))?
    {
        let (row, col) = cell.get_position();
        // A crafted reference (`MWLQKWU1`) parses to a column in the billions; refuse it before
        // any per-column storage is sized from it.
        if usize::try_from(col).map_or(true, |c| c >= MAX_COLUMNS)
            || usize::try_from(row).map_or(true, |r| r >= MAX_SHEET_ROWS)
        {
            return Err(RosterError::CellOutOfRange {
                reference: cell_reference(u64::from(row), u64::from(col)),
            });
        }
        if current.as_ref().is_some_and(|(r, _)| *r != row) {
            if let Some((r, row_cells)) = current.take() {
                assembler.push(spreadsheet_row(r), row_cells)?;
            }
        }
        let index = usize::try_from(col).unwrap_or(usize::MAX);
        let row_cells = &mut current.get_or_insert_with(|| (row, Vec::new())).1;
        if !assembler.wants(index) {
            continue;
        }
        if let Some(value) = convert(cell.get_value()) {
            row_cells.push((index, value));
        }
    }
    if let Some((r, row_cells)) = current.take() {
        assembler.push(spreadsheet_row(r), row_cells)?;
    }
    let (rows, ignored_columns, columns) = assembler.finish()?;
    Ok(RosterFile {
        format: FileFormat::Xlsx,
        encoding: None,
        rows,
        ignored_columns,
        columns,
    })
}

/// calamine's rows are 0-based; spreadsheet rows are 1-based.
fn spreadsheet_row(row: u32) -> usize {
    usize::try_from(row).map_or(usize::MAX, |r| r.saturating_add(1))
}

fn convert(value: &DataRef<'_>) -> Option<Cell> {
    Some(match value {
        DataRef::Empty => return None,
        DataRef::String(s) | DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => {
            Cell::Text(s.clone())
        }
        DataRef::SharedString(s) => Cell::Text((*s).to_string()),
        DataRef::Float(f) => Cell::Number(*f),
        // Integers beyond 2^53 do not occur in XLSX (numbers are doubles); the cast only
        // matters for formats that store integers.
        #[allow(clippy::cast_precision_loss)]
        DataRef::Int(i) => Cell::Number(*i as f64),
        DataRef::Bool(b) => Cell::Bool(*b),
        DataRef::DateTime(dt) => {
            if dt.is_duration() {
                Cell::Text(dt.as_f64().to_string())
            } else {
                let (y, mo, d, h, mi, _, _) = dt.to_ymd_hms_milli();
                if h == 0 && mi == 0 {
                    Cell::Date(format!("{y:04}-{mo:02}-{d:02}"))
                } else {
                    Cell::Date(format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}"))
                }
            }
        }
        DataRef::Error(e) => Cell::Error(e.to_string()),
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
        let err = check_unpacked_size(&path, 1024 * 1024).unwrap_err();
        assert!(matches!(err, RosterError::FileTooLarge { .. }), "{err}");
        assert!(check_unpacked_size(&path, 4 * 1024 * 1024).is_ok());
    }
}
