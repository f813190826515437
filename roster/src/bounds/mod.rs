//! Size checks for `.xls` and `.ods` files, run before calamine reads them.
//!
//! calamine reads an `.xls` or `.ods` workbook whole when it is opened, and sizes its storage
//! from numbers the file controls. A failed allocation aborts the process (it is not a panic
//! that could be caught), so a small crafted file could take the whole station down. This module
//! walks the file the way calamine 0.38 does, without storing any cell, and refuses it when
//! calamine would allocate more than a roster can ever need:
//!
//! * `.xls` (BIFF8, and BIFF5 `Book` streams): every sheet is parsed at `Xls::new`. A DIMENSIONS
//!   record makes calamine `reserve(rows × columns)` cells as declared (65,535 × 65,535 is four
//!   billion), and `Range::from_sparse` then allocates one value for every position between the
//!   top-left and the bottom-right cell (one cell at A1 and one at row 60,000, column 200 is
//!   twelve million values). Shared strings are cloned into each cell that names them, so a
//!   short record can also cost up to ~390 KB of text.
//! * `.ods`: `content.xml` is expanded row by row: a cell's `table:number-columns-repeated`
//!   copies its value (and formula) that many times, and `table:number-rows-repeated` copies a
//!   row that holds something. calamine caps a sheet at 100 million cells, about 3 GB.
//!
//! A roster has at most [`MAX_DATA_ROWS`](super::MAX_DATA_ROWS) rows plus a few title rows, and
//! never needs more than 64 columns, so the limits below leave a wide margin while keeping the
//! worst case a few hundred megabytes. The walk follows calamine's code paths closely (which
//! records it reads, in which order, where it stops), so the check is never weaker than what
//! calamine will allocate; where calamine would panic on a cut-short record, the file is refused
//! as damaged instead. The cost is one pass over the workbook stream or `content.xml`.
//!
//! [`sanitize_xls`] goes one step further for `.xls`: it hands calamine a fresh container that
//! holds only the checked stream, so calamine's own (lenient) container reader never sees the
//! original file, and it blanks formula token arrays, which calamine would otherwise turn into
//! formula text (a crafted formula expands about a hundredfold, quadratically in time) although
//! the importer only reads the cached values.

use crate::error::RosterError;
use std::fmt::Display;

mod ods;
mod xls;

pub(crate) use ods::check_ods;
#[cfg(test)]
pub(crate) use xls::check_xls;
pub(crate) use xls::sanitize_xls;

/// Most cells a sheet's dense extent may have before calamine allocates it (rows × columns, from
/// the top-left to the bottom-right cell that holds something or that the file declares).
///
/// 50,010 rows (the 50,000 data rows, a header and up to 9 title rows) × 64 columns. calamine
/// holds a cell in 32 bytes (40 while an `.xls` sheet is being read), so one sheet at the limit
/// costs about 100 MB.
pub(crate) const MAX_SHEET_CELLS: u64 = 50_010 * 64;

/// Most cells calamine may hold for the whole workbook: the sum over sheets of what each one
/// reserves and allocates (values and formulas), so a file cannot multiply the per-sheet limit
/// with many sheets (or many sheet entries that point at the same sheet). About 400 MB at most.
pub(crate) const MAX_WORKBOOK_CELLS: u64 = 4 * MAX_SHEET_CELLS;

/// Most bytes of cell text (and, for `.ods`, formula text) calamine may hold for the workbook,
/// counting every copy it makes. A full roster needs a few tens of megabytes.
pub(crate) const MAX_TEXT_BYTES: u64 = 256 * 1024 * 1024;

/// Largest `Workbook`/`Book` stream read from an `.xls` container.
const MAX_XLS_STREAM_BYTES: u64 = 64 * 1024 * 1024;

/// Largest unpacked `content.xml` of an `.ods` file (calamine reads it whole).
const MAX_CONTENT_XML_BYTES: u64 = 128 * 1024 * 1024;

/// Largest unpacked `META-INF/manifest.xml` (calamine reads it whole into one buffer).
const MAX_MANIFEST_BYTES: u64 = 4 * 1024 * 1024;

/// Upper bound of the UTF-8 bytes calamine makes of one character of an `.xls` string: a
/// character is one or two bytes in the file, and each byte decodes to at most 3 UTF-8 bytes.
const XLS_BYTES_PER_CHAR: u64 = 6;

/// Bytes of a `String` header, held for every shared string.
const STRING_HEADER_BYTES: u64 = 24;

fn too_many_cells(cells: u64) -> RosterError {
    RosterError::Unreadable(format!(
        "工作表范围过大（约{cells}个单元格），文件已损坏或含大量空白格式；请把数据复制到新工作表后另存 / the sheet's extent is too large (about {cells} cells): the file is damaged or holds large formatted empty areas; copy the data to a new sheet and save again"
    ))
}

fn too_much_text(bytes: u64) -> RosterError {
    let mib = bytes.div_ceil(1024 * 1024);
    RosterError::Unreadable(format!(
        "表格中的文字过多（约{mib} MiB），文件已损坏或异常；请把数据复制到新工作簿后另存 / the workbook holds too much text (about {mib} MiB): the file is damaged or unusual; copy the data to a new workbook and save again"
    ))
}

fn xls_error(detail: impl Display) -> RosterError {
    RosterError::Unreadable(format!(
        "无法读取.xls文件 / cannot read the .xls file: {detail}"
    ))
}

fn ods_error(detail: impl Display) -> RosterError {
    RosterError::Unreadable(format!(
        "无法读取.ods文件 / cannot read the .ods file: {detail}"
    ))
}

/// What calamine will hold for the whole workbook, so far.
#[derive(Debug, Default)]
struct Budget {
    cells: u64,
    text: u64,
}

impl Budget {
    /// One allocation of `cells` cells for a sheet.
    fn sheet_cells(&mut self, cells: u64) -> Result<(), RosterError> {
        if cells > MAX_SHEET_CELLS {
            return Err(too_many_cells(cells));
        }
        self.cells = self.cells.saturating_add(cells);
        if self.cells > MAX_WORKBOOK_CELLS {
            return Err(too_many_cells(self.cells));
        }
        Ok(())
    }

    fn text(&mut self, bytes: u64) -> Result<(), RosterError> {
        self.text = self.text.saturating_add(bytes);
        if self.text > MAX_TEXT_BYTES {
            return Err(too_much_text(self.text));
        }
        Ok(())
    }
}

fn u16_at(bytes: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(*bytes.get(at..)?.first_chunk::<2>()?))
}

fn u32_at(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(*bytes.get(at..)?.first_chunk::<4>()?))
}

#[cfg(test)]
mod tests;
