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

use super::RosterError;
use quick_xml::events::{BytesStart, Event};
use quick_xml::name::QName;
use std::collections::HashMap;
use std::fmt::Display;
use std::io::{BufRead, BufReader, Cursor, Read, Write};

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

// ------------------------------------------------------------------------------------------------
// .xls

/// Refuses an `.xls` file that would make calamine allocate more than a roster needs (see the
/// module documentation), or whose container or records are damaged. The stream is read with
/// the `cfb` crate; calamine reads the container with its own reader, so prefer
/// [`sanitize_xls`], which makes sure calamine reads exactly what was checked (the importer
/// does; this stays for the tests that pin what is refused).
#[cfg(test)]
pub(crate) fn check_xls(bytes: &[u8]) -> Result<(), RosterError> {
    let book = read_book_stream(bytes)?;
    check_biff(&book.stream).map(|_| ())
}

/// Checks an `.xls` file like [`check_xls`] and returns a clean copy to give calamine instead:
/// a new container holding only the checked workbook stream, with every formula's token array
/// emptied (calamine then records "Unrecognised formula" as the formula text; the cells' cached
/// values, which the importer reads, are untouched). calamine's own container reader follows
/// sector chains without a cycle check and trusts declared stream sizes, so it must not see the
/// original container.
pub(crate) fn sanitize_xls(bytes: &[u8]) -> Result<Vec<u8>, RosterError> {
    let BookStream { name, mut stream } = read_book_stream(bytes)?;
    let checked = check_biff(&stream)?;
    for at in checked.formula_token_lengths {
        if let Some(cce) = stream.get_mut(at..at.saturating_add(2)) {
            cce.fill(0);
        }
    }
    let io = |e: std::io::Error| xls_error(e);
    // Version 3 (512-byte sectors), as Excel and LibreOffice write: calamine 0.38 assumes 8 mini
    // sectors per sector and cannot read most mini-stream data of a version 4 container.
    let mut out = cfb::CompoundFile::create_with_version(cfb::Version::V3, Cursor::new(Vec::new()))
        .map_err(io)?;
    {
        let mut s = out.create_stream(name).map_err(io)?;
        s.write_all(&stream).map_err(io)?;
    }
    out.flush().map_err(io)?;
    Ok(out.into_inner().into_inner())
}

struct BookStream {
    /// "Workbook" or "Book" (read by [`sanitize_xls`]).
    name: &'static str,
    stream: Vec<u8>,
}

/// Reads the `Workbook` stream (or the BIFF5 `Book` stream) out of the CFB container. calamine
/// takes the first directory entry with either name (ignoring case), so a container with two
/// candidates is refused rather than guessed at.
fn read_book_stream(bytes: &[u8]) -> Result<BookStream, RosterError> {
    let cf = cfb::CompoundFile::open(Cursor::new(bytes)).map_err(xls_error)?;
    let mut workbook = Vec::new();
    let mut book = Vec::new();
    for entry in cf.walk() {
        if entry.name().eq_ignore_ascii_case("Workbook") {
            workbook.push((entry.path().to_path_buf(), entry.is_stream(), entry.len()));
        } else if entry.name().eq_ignore_ascii_case("Book") {
            book.push((entry.path().to_path_buf(), entry.is_stream(), entry.len()));
        }
    }
    let (name, candidates) = if workbook.is_empty() {
        ("Book", book)
    } else {
        ("Workbook", workbook)
    };
    let (path, is_stream, len) = match candidates.as_slice() {
        [] => return Err(xls_error("no Workbook stream")),
        [one] => one.clone(),
        _ => return Err(xls_error("more than one Workbook stream")),
    };
    if !is_stream {
        return Err(xls_error("the Workbook entry is not a stream"));
    }
    if len > MAX_XLS_STREAM_BYTES {
        return Err(RosterError::FileTooLarge {
            bytes: len,
            limit: MAX_XLS_STREAM_BYTES,
        });
    }
    let mut cf = cf;
    let s = cf.open_stream(&path).map_err(xls_error)?;
    let mut stream = Vec::new();
    s.take(MAX_XLS_STREAM_BYTES + 1)
        .read_to_end(&mut stream)
        .map_err(xls_error)?;
    let read = stream.len() as u64;
    if read > MAX_XLS_STREAM_BYTES {
        return Err(RosterError::FileTooLarge {
            bytes: read,
            limit: MAX_XLS_STREAM_BYTES,
        });
    }
    Ok(BookStream { name, stream })
}

mod rec {
    pub const FORMULA: u16 = 0x0006;
    pub const EOF: u16 = 0x000A;
    pub const EXTERNSHEET: u16 = 0x0017;
    pub const LBL: u16 = 0x0018;
    pub const DATEMODE: u16 = 0x0022;
    pub const FILEPASS: u16 = 0x002F;
    pub const CONTINUE: u16 = 0x003C;
    pub const CODEPAGE: u16 = 0x0042;
    pub const BOUNDSHEET: u16 = 0x0085;
    pub const MULRK: u16 = 0x00BD;
    pub const RSTRING: u16 = 0x00D6;
    pub const MERGECELLS: u16 = 0x00E5;
    pub const SST: u16 = 0x00FC;
    pub const LABELSST: u16 = 0x00FD;
    pub const DIMENSIONS: u16 = 0x0200;
    pub const NUMBER: u16 = 0x0203;
    pub const LABEL: u16 = 0x0204;
    pub const BOOLERR: u16 = 0x0205;
    pub const STRING: u16 = 0x0207;
    pub const RK: u16 = 0x027E;
    pub const BOF: u16 = 0x0809;
}

/// One BIFF record as calamine's `RecordIter` yields it: CONTINUE records that follow are
/// merged into it.
struct Record<'a> {
    typ: u16,
    data: &'a [u8],
    /// Offset of `data` in the workbook stream.
    at: usize,
    /// The merged CONTINUE records, headers included.
    cont: &'a [u8],
}

/// Splits one record (type, data, rest) off the front of `s`.
fn split_record(s: &[u8]) -> Option<(u16, &[u8], &[u8])> {
    let typ = u16_at(s, 0)?;
    let end = 4 + usize::from(u16_at(s, 2)?);
    Some((typ, s.get(4..end)?, s.get(end..)?))
}

/// calamine's `RecordIter`: a cut-short record is an error, the end of the stream ends it.
struct Records<'a> {
    rest: &'a [u8],
    at: usize,
}

impl<'a> Records<'a> {
    fn new(stream: &'a [u8], at: usize) -> Self {
        Records { rest: stream, at }
    }

    fn read(&mut self) -> Result<Record<'a>, RosterError> {
        let cut_short = |at: usize| xls_error(format!("a record is cut short (at byte {at})"));
        let start = self.rest;
        let (typ, data, mut rest) = split_record(start).ok_or_else(|| cut_short(self.at))?;
        let mut len = 4 + data.len();
        if rest.len() > 4 && u16_at(rest, 0) == Some(rec::CONTINUE) {
            while rest.len() > 4 && u16_at(rest, 0) == Some(rec::CONTINUE) {
                let (_, cont, next) =
                    split_record(rest).ok_or_else(|| cut_short(self.at.saturating_add(len)))?;
                len += 4 + cont.len();
                rest = next;
            }
        }
        let record = Record {
            typ,
            data,
            at: self.at + 4,
            cont: start.get(4 + data.len()..len).unwrap_or_default(),
        };
        self.rest = rest;
        self.at += len;
        Ok(record)
    }
}

impl<'a> Iterator for Records<'a> {
    type Item = Result<Record<'a>, RosterError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.is_empty() {
            return None;
        }
        let record = self.read();
        if record.is_err() {
            self.rest = &[];
        }
        Some(record)
    }
}

fn cut_short(what: &str) -> RosterError {
    xls_error(format!("a {what} record is cut short"))
}

/// What the workbook-globals substream tells calamine.
#[derive(Debug, Default)]
struct Globals {
    /// Stream offsets of the sheets (BoundSheet8 records), in order; calamine parses each.
    sheets: Vec<usize>,
    /// Character count of every shared string (the last SST record wins, as in calamine).
    sst: Vec<u16>,
    /// A FilePass record: calamine stops with "password protected" before reading any sheet.
    encrypted: bool,
}

/// Everything calamine will allocate from one sheet substream.
#[derive(Debug, Default, Clone)]
struct XlsSheet {
    /// Largest `reserve` a DIMENSIONS record causes (cells already pushed + declared).
    reserved: u64,
    /// Cells pushed to the sparse list.
    pushed: u64,
    values: Extent,
    formulas: Extent,
    /// Upper bound of the text bytes of the pushed cells.
    text: u64,
    /// Bytes walked (calamine walks a sheet from its offset to its EOF).
    walked: usize,
    /// Offsets of the formula token-array lengths (`cce`) in the stream.
    formula_token_lengths: Vec<usize>,
}

impl XlsSheet {
    /// One cell pushed to the sparse list, with the text it holds.
    fn push(&mut self, (row, col): (u32, u32), text: u64) {
        self.pushed += 1;
        self.values.add(row, col);
        self.text = self.text.saturating_add(text);
    }
}

/// The bounding box of the cells `Range::from_sparse` is given.
#[derive(Debug, Default, Clone, Copy)]
struct Extent {
    any: bool,
    row_min: u32,
    row_max: u32,
    col_min: u32,
    col_max: u32,
}

impl Extent {
    fn add(&mut self, row: u32, col: u32) {
        if self.any {
            self.row_min = self.row_min.min(row);
            self.row_max = self.row_max.max(row);
            self.col_min = self.col_min.min(col);
            self.col_max = self.col_max.max(col);
        } else {
            *self = Extent {
                any: true,
                row_min: row,
                row_max: row,
                col_min: col,
                col_max: col,
            };
        }
    }

    fn cells(&self) -> u64 {
        if !self.any {
            return 0;
        }
        let rows = u64::from(self.row_max - self.row_min) + 1;
        let cols = u64::from(self.col_max - self.col_min) + 1;
        rows.saturating_mul(cols)
    }
}

/// The result of a successful check of a workbook stream.
#[derive(Debug, Default)]
struct CheckedBiff {
    formula_token_lengths: Vec<usize>,
    budget: Budget,
}

/// Walks the workbook stream as calamine's `Xls::parse_workbook` does.
fn check_biff(stream: &[u8]) -> Result<CheckedBiff, RosterError> {
    let mut budget = Budget::default();
    let globals = read_globals(stream, &mut budget)?;
    let mut checked = CheckedBiff::default();
    if globals.encrypted {
        checked.budget = budget;
        return Ok(checked);
    }
    // A sheet offset may be listed more than once: calamine parses it each time.
    let mut seen: HashMap<usize, XlsSheet> = HashMap::new();
    let mut walked: usize = 0;
    let walk_limit = stream.len().saturating_mul(2).saturating_add(64 * 1024);
    for &pos in &globals.sheets {
        let sheet = match seen.get(&pos) {
            Some(sheet) => sheet.clone(),
            None => {
                let mut sheet = walk_sheet(stream, pos, &globals.sst)?;
                checked
                    .formula_token_lengths
                    .append(&mut sheet.formula_token_lengths);
                seen.insert(pos, sheet.clone());
                sheet
            }
        };
        walked = walked.saturating_add(sheet.walked);
        if walked > walk_limit {
            return Err(xls_error("the sheets overlap"));
        }
        if sheet.pushed > MAX_SHEET_CELLS {
            return Err(too_many_cells(sheet.pushed));
        }
        budget.sheet_cells(sheet.reserved)?;
        budget.sheet_cells(sheet.values.cells())?;
        budget.sheet_cells(sheet.formulas.cells())?;
        budget.text(sheet.text)?;
    }
    checked.budget = budget;
    Ok(checked)
}

/// The globals loop of `parse_workbook`: every record up to the first EOF.
fn read_globals(stream: &[u8], budget: &mut Budget) -> Result<Globals, RosterError> {
    let mut globals = Globals::default();
    let mut biff8 = true;
    for record in Records::new(stream, 0) {
        let r = record?;
        match r.typ {
            rec::FILEPASS if u16_at(r.data, 0).ok_or_else(|| cut_short("FilePass"))? != 0 => {
                globals.encrypted = true;
                return Ok(globals);
            }
            rec::CODEPAGE | rec::DATEMODE => {
                u16_at(r.data, 0).ok_or_else(|| cut_short("CodePage or DateMode"))?;
            }
            rec::BOUNDSHEET => {
                if r.data.len() < 6 {
                    return Err(cut_short("BoundSheet8"));
                }
                let pos = u32_at(r.data, 0).ok_or_else(|| cut_short("BoundSheet8"))?;
                globals.sheets.push(pos as usize);
            }
            rec::BOF => {
                let version = u16_at(r.data, 0).ok_or_else(|| cut_short("BOF"))?;
                let dt = u16_at(r.data, 2).unwrap_or(0);
                biff8 = match version {
                    0x0200 | 0x0002 | 0x0007 | 0x0300 | 0x0400 | 0x0500 => false,
                    0 => dt != 0x1000,
                    _ => true,
                };
            }
            rec::LBL => check_lbl(r.data, biff8)?,
            rec::EXTERNSHEET if biff8 => {
                u16_at(r.data, 0).ok_or_else(|| cut_short("ExternSheet"))?;
            }
            rec::SST => globals.sst = read_sst(&r, budget)?,
            rec::EOF => break,
            _ => {}
        }
    }
    Ok(globals)
}

/// calamine indexes a Lbl record (a defined name) without checking its length.
fn check_lbl(d: &[u8], biff8: bool) -> Result<(), RosterError> {
    let short = || cut_short("Lbl");
    if d.len() < 14 {
        return Err(short());
    }
    let cce = usize::from(u16_at(d, 4).ok_or_else(short)?);
    let rgce = d
        .get(d.len().checked_sub(cce).ok_or_else(short)?..)
        .ok_or_else(short)?;
    let needed = match (rgce.first(), biff8) {
        (None, _) => 0,
        (Some(0x3a | 0x5a | 0x7a), true) => 7,
        (Some(0x3a | 0x5a | 0x7a), false) => 18,
        (Some(0x3b | 0x5b | 0x7b), true) => 11,
        (Some(0x3b | 0x5b | 0x7b), false) => 21,
        (Some(0x3c | 0x5c | 0x7c | 0x3d | 0x5d | 0x7d), true) => 3,
        (Some(0x3c | 0x5c | 0x7c | 0x3d | 0x5d | 0x7d), false) => 13,
        (Some(_), _) => 0,
    };
    if rgce.len() < needed {
        return Err(short());
    }
    Ok(())
}

/// A record's data and its CONTINUE records, read as calamine's `Record` does.
struct Continued<'a> {
    data: &'a [u8],
    cont: &'a [u8],
}

impl Continued<'_> {
    fn next_continue(&mut self) -> bool {
        match split_record(self.cont) {
            Some((_, data, rest)) => {
                self.data = data;
                self.cont = rest;
                true
            }
            None => false,
        }
    }

    fn advance(&mut self, n: usize) -> Option<()> {
        self.data = self.data.get(n..)?;
        Some(())
    }

    fn skip(&mut self, mut len: usize) -> Option<()> {
        while len > 0 {
            if self.data.is_empty() && !self.next_continue() {
                return None;
            }
            let n = len.min(self.data.len());
            self.advance(n)?;
            len -= n;
        }
        Some(())
    }
}

/// The character count of every string of an SST record (`parse_sst`,
/// `read_rich_extended_string`, `read_dbcs`), and its memory in calamine's string list.
fn read_sst(r: &Record<'_>, budget: &mut Budget) -> Result<Vec<u16>, RosterError> {
    let short = || cut_short("SST");
    let mut c = Continued {
        data: r.data.get(8..).ok_or_else(short)?,
        cont: r.cont,
    };
    let mut counts = Vec::new();
    loop {
        if c.data.is_empty() && !c.next_continue() {
            break;
        }
        if c.data.is_empty() {
            counts.push(0);
            budget.text(STRING_HEADER_BYTES)?;
            continue;
        }
        let cch = u16_at(c.data, 0).ok_or_else(short)?;
        let flags = *c.data.get(2).ok_or_else(short)?;
        c.advance(3).ok_or_else(short)?;
        let mut runs = 0usize;
        if flags & 0x8 != 0 {
            runs = usize::from(u16_at(c.data, 0).ok_or_else(short)?);
            c.advance(2).ok_or_else(short)?;
        }
        let mut ext = 0usize;
        if flags & 0x4 != 0 {
            // calamine reads it as i32 and casts: a negative size skips past the end (an error).
            let n = u32_at(c.data, 0).ok_or_else(short)?;
            ext = if n > i32::MAX as u32 {
                usize::MAX
            } else {
                n as usize
            };
            c.advance(4).ok_or_else(short)?;
        }
        let mut left = usize::from(cch);
        let mut high_byte = flags & 0x1 != 0;
        while left > 0 {
            let (chars, bytes) = if high_byte {
                let n = (c.data.len() / 2).min(left);
                (n, 2 * n)
            } else {
                let n = c.data.len().min(left);
                (n, n)
            };
            c.advance(bytes).ok_or_else(short)?;
            left -= chars;
            if left > 0 {
                if !c.next_continue() {
                    return Err(short());
                }
                high_byte = c.data.first().ok_or_else(short)? & 0x1 != 0;
                c.advance(1).ok_or_else(short)?;
            }
        }
        c.skip(runs * 4).ok_or_else(short)?;
        c.skip(ext).ok_or_else(short)?;
        counts.push(cch);
        budget.text(STRING_HEADER_BYTES + XLS_BYTES_PER_CHAR * u64::from(cch))?;
    }
    Ok(counts)
}

/// Cells declared by a DIMENSIONS record, as calamine computes them (`parse_dimensions`, then
/// `end - start + 1` in wrapping `u32` arithmetic as in a release build). `None`: calamine
/// refuses the record.
fn declared_cells(d: &[u8]) -> Option<u64> {
    let (rf, rl, mut cf, cl) = match d.len() {
        10 => (
            u32::from(u16_at(d, 0)?),
            u32::from(u16_at(d, 2)?),
            u32::from(u16_at(d, 4)?),
            u32::from(u16_at(d, 6)?),
        ),
        14 | 16 => (
            u32_at(d, 0)?,
            u32_at(d, 4)?,
            u32::from(u16_at(d, 8)?),
            u32::from(u16_at(d, 10)?),
        ),
        _ => return None,
    };
    if 0xFF < cf || cl < cf {
        cf = 0;
    }
    let (start, end) = if 1 <= rl && 1 <= cl {
        ((rf, cf), (rl - 1, cl - 1))
    } else {
        ((rf, cf), (rf, cf))
    };
    let rows = u64::from(end.0.wrapping_sub(start.0).wrapping_add(1));
    let cols = u64::from(end.1.wrapping_sub(start.1).wrapping_add(1));
    Some(rows.saturating_mul(cols))
}

/// calamine's sheet loop in `parse_workbook`, from the sheet's offset to its EOF (records of
/// embedded substreams, such as charts, are skipped).
fn walk_sheet(stream: &[u8], pos: usize, sst: &[u16]) -> Result<XlsSheet, RosterError> {
    let sheet_stream = stream
        .get(pos..)
        .ok_or_else(|| xls_error("a sheet starts past the end of the workbook stream"))?;
    let mut records = Records::new(sheet_stream, pos);
    let mut sheet = XlsSheet::default();
    let mut seen_bof = false;
    let mut depth = 0usize;
    let mut formula_pos = (0u32, 0u32);
    let pos_of = |d: &[u8], what: &str| -> Result<(u32, u32), RosterError> {
        match (u16_at(d, 0), u16_at(d, 2)) {
            (Some(row), Some(col)) => Ok((u32::from(row), u32::from(col))),
            _ => Err(cut_short(what)),
        }
    };
    for record in records.by_ref() {
        let r = record?;
        if depth > 0 {
            match r.typ {
                rec::BOF => depth += 1,
                rec::EOF => depth -= 1,
                _ => {}
            }
            continue;
        }
        match r.typ {
            rec::BOF => {
                if seen_bof {
                    depth += 1;
                } else {
                    seen_bof = true;
                }
            }
            rec::DIMENSIONS => {
                let declared = declared_cells(r.data).ok_or_else(|| cut_short("DIMENSIONS"))?;
                if declared > MAX_SHEET_CELLS {
                    return Err(too_many_cells(declared));
                }
                sheet.reserved = sheet.reserved.max(sheet.pushed.saturating_add(declared));
            }
            rec::NUMBER | rec::RK | rec::BOOLERR => {
                let needed = match r.typ {
                    rec::NUMBER => 14,
                    rec::RK => 10,
                    _ => 8,
                };
                if r.data.len() < needed {
                    return Err(cut_short("cell"));
                }
                sheet.push(pos_of(r.data, "cell")?, 0);
            }
            rec::LABEL | rec::RSTRING => {
                if r.data.len() < 6 {
                    return Err(cut_short("Label"));
                }
                let chars = u16_at(r.data, 6).unwrap_or(0);
                sheet.push(
                    pos_of(r.data, "Label")?,
                    XLS_BYTES_PER_CHAR * u64::from(chars),
                );
            }
            rec::STRING => {
                let chars = u16_at(r.data, 0).unwrap_or(0);
                sheet.push(formula_pos, XLS_BYTES_PER_CHAR * u64::from(chars));
            }
            rec::LABELSST => {
                if r.data.len() < 10 {
                    return Err(cut_short("LabelSst"));
                }
                let index = u32_at(r.data, 6).ok_or_else(|| cut_short("LabelSst"))?;
                if let Some(&chars) = sst.get(index as usize) {
                    sheet.push(
                        pos_of(r.data, "LabelSst")?,
                        XLS_BYTES_PER_CHAR * u64::from(chars),
                    );
                }
            }
            rec::MULRK => {
                let short = || cut_short("MulRk");
                if r.data.len() < 6 {
                    return Err(short());
                }
                let row = u32::from(u16_at(r.data, 0).ok_or_else(short)?);
                let first = u16_at(r.data, 2).ok_or_else(short)?;
                let last = u16_at(r.data, r.data.len() - 2).ok_or_else(short)?;
                if last < first {
                    return Err(short());
                }
                let count = usize::from(last - first) + 1;
                if r.data.len() != 6 + 6 * count {
                    return Err(short());
                }
                sheet.pushed += count as u64;
                sheet.values.add(row, u32::from(first));
                sheet.values.add(row, u32::from(last));
            }
            rec::MERGECELLS => {
                let count = usize::from(u16_at(r.data, 0).ok_or_else(|| cut_short("MergeCells"))?);
                if r.data.len() < 2 + 8 * count {
                    return Err(cut_short("MergeCells"));
                }
            }
            rec::EOF => break,
            rec::FORMULA => {
                let short = || cut_short("Formula");
                if r.data.len() < 22 {
                    return Err(short());
                }
                formula_pos = pos_of(r.data, "Formula")?;
                let cce = usize::from(u16_at(r.data, 20).ok_or_else(short)?);
                if r.data.len() < 22 + cce {
                    return Err(short());
                }
                // The cached value (not pushed when it is a string, which a STRING record
                // follows; counting it anyway is on the safe side).
                sheet.push(formula_pos, 0);
                sheet.formulas.add(formula_pos.0, formula_pos.1);
                sheet.formula_token_lengths.push(r.at + 20);
            }
            _ => {}
        }
    }
    sheet.walked = records.at - pos;
    Ok(sheet)
}

// ------------------------------------------------------------------------------------------------
// .ods

/// calamine's limits in `ods.rs`.
const ODS_MAX_ROWS: usize = 1_048_576;
const ODS_MAX_COLUMNS: usize = 16_384;

/// Refuses an `.ods` file that would make calamine allocate more than a roster needs (see the
/// module documentation), or that calamine cannot read to its end.
pub(crate) fn check_ods(bytes: &[u8]) -> Result<(), RosterError> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).map_err(ods_error)?;
    match zip.by_name("META-INF/manifest.xml") {
        Ok(f) => {
            check_declared_size(f.size(), MAX_MANIFEST_BYTES)?;
            let n = std::io::copy(&mut f.take(MAX_MANIFEST_BYTES + 1), &mut std::io::sink())
                .map_err(ods_error)?;
            check_declared_size(n, MAX_MANIFEST_BYTES)?;
        }
        // calamine reports the missing part itself.
        Err(zip::result::ZipError::FileNotFound) => {}
        Err(e) => return Err(ods_error(e)),
    }
    let content = match zip.by_name("content.xml") {
        Ok(f) => f,
        Err(zip::result::ZipError::FileNotFound) => return Ok(()),
        Err(e) => return Err(ods_error(e)),
    };
    check_declared_size(content.size(), MAX_CONTENT_XML_BYTES)?;
    let mut xml = ods_reader(BufReader::new(content.take(MAX_CONTENT_XML_BYTES + 1)));
    let result = scan_content(&mut xml, &mut Budget::default());
    if xml.get_ref().get_ref().limit() == 0 {
        return Err(RosterError::FileTooLarge {
            bytes: MAX_CONTENT_XML_BYTES + 1,
            limit: MAX_CONTENT_XML_BYTES,
        });
    }
    result
}

fn check_declared_size(bytes: u64, limit: u64) -> Result<(), RosterError> {
    if bytes > limit {
        return Err(RosterError::FileTooLarge { bytes, limit });
    }
    Ok(())
}

/// An XML reader configured as calamine configures its `content.xml` reader.
fn ods_reader<R: BufRead>(input: R) -> quick_xml::Reader<R> {
    let mut xml = quick_xml::Reader::from_reader(input);
    let config = xml.config_mut();
    config.check_end_names = false;
    config.trim_text(false);
    config.check_comments = false;
    config.expand_empty_elements = true;
    xml
}

/// calamine's attribute scanner (`attrs::RawAttrIter`): raw `key="value"` pairs in order,
/// malformed ones are errors. Looking an attribute up returns its first occurrence.
struct RawAttrs<'a> {
    raw: &'a str,
    pos: usize,
}

impl<'a> Iterator for RawAttrs<'a> {
    type Item = Result<(&'a str, &'a str), RosterError>;

    fn next(&mut self) -> Option<Self::Item> {
        let raw = self.raw;
        let malformed = |this: &mut Self| {
            this.pos = raw.len();
            Some(Err(ods_error("malformed XML attribute")))
        };
        let rest = raw.get(self.pos..)?.trim_ascii_start();
        if rest.is_empty() {
            self.pos = raw.len();
            return None;
        }
        let Some(eq) = rest.find('=') else {
            return malformed(self);
        };
        let key = rest.get(..eq)?.trim_ascii_end();
        let after = rest.get(eq + 1..)?.trim_ascii_start();
        let quote = match after.as_bytes().first() {
            Some(&q @ (b'"' | b'\'')) => char::from(q),
            _ => return malformed(self),
        };
        let value_and_rest = after.get(1..)?;
        let (value, used) = match value_and_rest.find(quote) {
            Some(end) => (value_and_rest.get(..end)?, end + 1),
            None => (value_and_rest, value_and_rest.len()),
        };
        self.pos = raw.len() - value_and_rest.len() + used;
        Some(Ok((key, value)))
    }
}

fn attrs<'a>(e: &'a BytesStart<'_>) -> RawAttrs<'a> {
    RawAttrs {
        raw: e.attributes_raw(),
        pos: 0,
    }
}

fn raw_attr<'a>(e: &'a BytesStart<'_>, name: &str) -> Result<Option<&'a str>, RosterError> {
    for attr in attrs(e) {
        let (key, value) = attr?;
        if key == name {
            return Ok(Some(value));
        }
    }
    Ok(None)
}

/// The length of an attribute value once unescaped (calamine's `decode_attr`).
fn decoded_len(value: &str) -> Result<u64, RosterError> {
    let s = quick_xml::escape::unescape(value).map_err(ods_error)?;
    Ok(s.len() as u64)
}

fn parse_attr<T: std::str::FromStr>(value: &str, what: &str) -> Result<T, RosterError> {
    value
        .parse()
        .map_err(|_| ods_error(format!("invalid {what}")))
}

/// `parse_content`: the top level of `content.xml`.
fn scan_content<R: BufRead>(
    xml: &mut quick_xml::Reader<R>,
    budget: &mut Budget,
) -> Result<(), RosterError> {
    let mut buf = Vec::with_capacity(1024);
    loop {
        buf.clear();
        match xml.read_event_into(&mut buf) {
            Ok(Event::Start(e)) if e.name() == QName("table:table") => {
                // calamine looks this up first: a malformed attribute stops it here.
                raw_attr(&e, "table:style-name")?;
                if let Some(name) = raw_attr(&e, "table:name")? {
                    decoded_len(name)?;
                    let table = read_table(xml)?;
                    table.charge(budget)?;
                }
            }
            Ok(Event::Start(e)) if e.name() == QName("table:named-expressions") => {
                skip_named_expressions(xml)?;
            }
            Ok(Event::Eof) => return Ok(()),
            Err(e) => return Err(ods_error(e)),
            Ok(_) => {}
        }
    }
}

/// `read_named_expressions`: consumes the list of named ranges.
fn skip_named_expressions<R: BufRead>(xml: &mut quick_xml::Reader<R>) -> Result<(), RosterError> {
    let mut buf = Vec::new();
    loop {
        buf.clear();
        match xml.read_event_into(&mut buf) {
            Ok(Event::Start(e))
                if e.name() == QName("table:named-range")
                    || e.name() == QName("table:named-expression") => {}
            Ok(Event::End(e))
                if e.name() == QName("table:named-range")
                    || e.name() == QName("table:named-expression") => {}
            Ok(Event::End(e)) if e.name() == QName("table:named-expressions") => return Ok(()),
            Err(e) => return Err(ods_error(e)),
            Ok(_) => return Err(ods_error("unexpected content in table:named-expressions")),
        }
    }
}

/// One `table:table-row` as `read_row` materializes it.
#[derive(Debug, Default)]
struct Row {
    /// Cells pushed (values and formulas each get one per position).
    len: usize,
    /// First and last position of a non-empty value.
    values: Option<(usize, usize)>,
    /// First and last position of a non-empty formula.
    formulas: Option<(usize, usize)>,
    value_bytes: u64,
    formula_bytes: u64,
}

impl Row {
    fn mark(span: &mut Option<(usize, usize)>, first: usize, last: usize) {
        *span = Some(match *span {
            Some((f, l)) => (f.min(first), l.max(last)),
            None => (first, last),
        });
    }
}

/// The rows of one sheet as `get_range` sizes them, for values or for formulas.
#[derive(Debug, Default)]
struct Span {
    /// XML row index of the first and the last row that holds something.
    xml_rows: Option<(u64, u64)>,
    /// Rows (repeats included) from the first to the last row that holds something.
    rows: u64,
    /// Repeats of the empty rows since the last row that holds something.
    pending: u64,
    col_min: usize,
    col_max: usize,
    /// Text bytes of the rows that hold something, times their repeats.
    bytes: u64,
}

impl Span {
    fn row(&mut self, index: u64, repeats: u64, cols: Option<(usize, usize)>, bytes: u64) {
        let Some((first, last)) = cols else {
            if self.xml_rows.is_some() {
                self.pending = self.pending.saturating_add(repeats);
            }
            return;
        };
        match self.xml_rows {
            Some((start, _)) => {
                self.xml_rows = Some((start, index));
                self.rows = self
                    .rows
                    .saturating_add(self.pending)
                    .saturating_add(repeats);
                self.col_min = self.col_min.min(first);
                self.col_max = self.col_max.max(last);
            }
            None => {
                self.xml_rows = Some((index, index));
                self.rows = repeats;
                self.col_min = first;
                self.col_max = last;
            }
        }
        self.pending = 0;
        self.bytes = self.bytes.saturating_add(repeats.saturating_mul(bytes));
    }

    /// Cells of the range: `get_range` reserves (XML rows × width) and fills (rows × width).
    fn cells(&self) -> u64 {
        let Some((start, end)) = self.xml_rows else {
            return 0;
        };
        let width = (self.col_max - self.col_min) as u64 + 1;
        let rows = self.rows.max(end - start + 1);
        rows.saturating_mul(width)
    }
}

/// What calamine holds for one `table:table`.
#[derive(Debug, Default)]
struct Table {
    /// Cells of the row-by-row lists (`cells` and `formulas` in `read_table`).
    materialized: u64,
    materialized_bytes: u64,
    values: Span,
    formulas: Span,
}

impl Table {
    fn charge(&self, budget: &mut Budget) -> Result<(), RosterError> {
        budget.sheet_cells(self.materialized)?;
        budget.sheet_cells(self.values.cells())?;
        budget.sheet_cells(self.formulas.cells())?;
        budget.text(self.materialized_bytes)?;
        budget.text(self.values.bytes)?;
        budget.text(self.formulas.bytes)
    }
}

/// `read_table`: the rows of one sheet, up to its end tag.
fn read_table<R: BufRead>(xml: &mut quick_xml::Reader<R>) -> Result<Table, RosterError> {
    let mut table = Table::default();
    let mut buf = Vec::with_capacity(1024);
    let mut row_buf = Vec::with_capacity(1024);
    let mut cell_buf = Vec::with_capacity(1024);
    let mut total_rows: usize = 0;
    let mut index: u64 = 0;
    loop {
        buf.clear();
        match xml.read_event_into(&mut buf) {
            Ok(Event::Start(e)) if e.name() == QName("table:table-row") => {
                let repeats: usize = match raw_attr(&e, "table:number-rows-repeated")? {
                    Some(v) => {
                        let v = quick_xml::escape::unescape(v).map_err(ods_error)?;
                        parse_attr(&v, "table:number-rows-repeated")?
                    }
                    None => 1,
                };
                let repeats = repeats.min(ODS_MAX_ROWS.saturating_sub(total_rows));
                total_rows = total_rows.saturating_add(repeats);
                let row = read_row(xml, &mut row_buf, &mut cell_buf)?;
                let repeats = repeats as u64;
                table.materialized = table.materialized.saturating_add(row.len as u64);
                table.materialized_bytes = table
                    .materialized_bytes
                    .saturating_add(row.value_bytes)
                    .saturating_add(row.formula_bytes);
                table
                    .values
                    .row(index, repeats, row.values, row.value_bytes);
                table
                    .formulas
                    .row(index, repeats, row.formulas, row.formula_bytes);
                index += 1;
                // Stop early on a hopeless table (the totals are checked at its end).
                if table.materialized > MAX_SHEET_CELLS {
                    return Err(too_many_cells(table.materialized));
                }
                for cells in [table.values.cells(), table.formulas.cells()] {
                    if cells > MAX_SHEET_CELLS {
                        return Err(too_many_cells(cells));
                    }
                }
            }
            Ok(Event::End(e)) if e.name() == QName("table:table") => return Ok(table),
            // calamine would wait for the end tag forever.
            Ok(Event::Eof) => return Err(ods_error("content.xml ends inside a sheet")),
            Err(e) => return Err(ods_error(e)),
            Ok(_) => {}
        }
    }
}

/// One cell as `read_row` and `get_datatype` read it.
struct CellData {
    /// `table:number-columns-repeated`.
    repeats: usize,
    value: bool,
    value_bytes: u64,
    formula_bytes: u64,
    /// The cell's end tag has been read.
    closed: bool,
}

/// `read_row`: the cells of one row, up to its end tag.
fn read_row<R: BufRead>(
    xml: &mut quick_xml::Reader<R>,
    row_buf: &mut Vec<u8>,
    cell_buf: &mut Vec<u8>,
) -> Result<Row, RosterError> {
    let mut row = Row::default();
    let mut empty_repeats = 0usize;
    loop {
        row_buf.clear();
        match xml.read_event_into(row_buf) {
            Ok(Event::Start(e))
                if e.name() == QName("table:table-cell")
                    || e.name() == QName("table:covered-table-cell") =>
            {
                let cell = read_cell(xml, &e, cell_buf)?;
                let repeats = cell.repeats;
                let empties = empty_repeats.min(ODS_MAX_COLUMNS.saturating_sub(row.len));
                row.len += empties;
                empty_repeats = 0;
                let repeats = repeats.min(ODS_MAX_COLUMNS.saturating_sub(row.len));
                if !cell.value && cell.formula_bytes == 0 {
                    empty_repeats = repeats;
                } else if repeats > 0 {
                    let (first, last) = (row.len, row.len + repeats - 1);
                    let copies = repeats as u64;
                    if cell.value {
                        Row::mark(&mut row.values, first, last);
                        row.value_bytes = row
                            .value_bytes
                            .saturating_add(copies.saturating_mul(cell.value_bytes));
                    }
                    if cell.formula_bytes > 0 {
                        Row::mark(&mut row.formulas, first, last);
                        row.formula_bytes = row
                            .formula_bytes
                            .saturating_add(copies.saturating_mul(cell.formula_bytes));
                    }
                    row.len += repeats;
                }
                if !cell.closed {
                    xml.read_to_end_into(e.name(), cell_buf)
                        .map_err(ods_error)?;
                }
            }
            Ok(Event::End(e)) if e.name() == QName("table:table-row") => return Ok(row),
            Err(e) => return Err(ods_error(e)),
            Ok(_) => return Err(ods_error("unexpected content in a table row")),
        }
    }
}

/// `get_datatype`: whether the cell holds a value, and how long its text is; and the cell's
/// repeat count (one pass over the attributes where calamine makes two, with the same result).
fn read_cell<R: BufRead>(
    xml: &mut quick_xml::Reader<R>,
    e: &BytesStart<'_>,
    buf: &mut Vec<u8>,
) -> Result<CellData, RosterError> {
    let mut repeats = None;
    let mut is_string = false;
    let mut is_error = false;
    let mut value_set = false;
    let mut empty_string_value = false;
    let mut value_bytes = 0;
    let mut formula_bytes = 0;
    for attr in attrs(e) {
        let (key, value) = attr?;
        match key {
            "office:value" if !value_set => value_set = true,
            "office:string-value" | "office:date-value" | "office:time-value" if !value_set => {
                value_bytes = decoded_len(value)?;
                empty_string_value = key == "office:string-value" && value_bytes == 0;
                value_set = true;
            }
            "office:boolean-value" if !value_set => value_set = true,
            "office:value-type" if !value_set => is_string = value == "string",
            "calcext:value-type" => is_error = value == "error",
            "table:formula" => formula_bytes = decoded_len(value)?,
            "table:number-columns-repeated" if repeats.is_none() => repeats = Some(value),
            _ => {}
        }
    }
    let repeats = match repeats {
        Some(v) => parse_attr(v, "table:number-columns-repeated")?,
        None => 1,
    };
    if (!value_set && is_string) || (is_error && empty_string_value) {
        return Ok(CellData {
            repeats,
            value: true,
            value_bytes: read_cell_text(xml, buf)?,
            formula_bytes,
            closed: true,
        });
    }
    Ok(CellData {
        repeats,
        value: value_set,
        value_bytes,
        formula_bytes,
        closed: false,
    })
}

/// The text of a string cell given by its content, up to the cell's end tag (an upper bound
/// of the UTF-8 bytes calamine builds).
fn read_cell_text<R: BufRead>(
    xml: &mut quick_xml::Reader<R>,
    buf: &mut Vec<u8>,
) -> Result<u64, RosterError> {
    let mut bytes: u64 = 0;
    let mut first_paragraph = true;
    loop {
        buf.clear();
        match xml.read_event_into(buf) {
            Ok(Event::Text(t)) => bytes = bytes.saturating_add(t.len() as u64),
            Ok(Event::GeneralRef(_)) => bytes = bytes.saturating_add(4),
            Ok(Event::End(e))
                if e.name() == QName("table:table-cell")
                    || e.name() == QName("table:covered-table-cell") =>
            {
                return Ok(bytes);
            }
            Ok(Event::Start(e)) if e.name() == QName("office:annotation") => loop {
                buf.clear();
                match xml.read_event_into(buf) {
                    Ok(Event::End(e)) if e.name() == QName("office:annotation") => break,
                    // calamine would wait for the end tag forever.
                    Ok(Event::Eof) => return Err(ods_error("content.xml ends inside a comment")),
                    Err(e) => return Err(ods_error(e)),
                    Ok(_) => {}
                }
            },
            Ok(Event::Start(e)) if e.name() == QName("text:p") => {
                if first_paragraph {
                    first_paragraph = false;
                } else {
                    bytes = bytes.saturating_add(1);
                }
            }
            Ok(Event::Start(e)) if e.name() == QName("text:s") => {
                // calamine parses the count as i32 and pushes that many spaces.
                let count: i32 = match raw_attr(&e, "text:c")? {
                    Some(v) => {
                        let v = quick_xml::escape::unescape(v).map_err(ods_error)?;
                        parse_attr(&v, "text:c")?
                    }
                    None => 1,
                };
                bytes = bytes.saturating_add(u64::try_from(count).unwrap_or(0));
            }
            Ok(Event::Start(e))
                if e.name() == QName("text:tab") || e.name() == QName("text:line-break") =>
            {
                bytes = bytes.saturating_add(1);
            }
            Ok(Event::Eof) => return Err(ods_error("content.xml ends inside a cell")),
            Err(e) => return Err(ods_error(e)),
            Ok(_) => {}
        }
        // A single cell's text is charged with its copies later; refuse an absurd one now.
        if bytes > MAX_TEXT_BYTES {
            return Err(too_much_text(bytes));
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use calamine::{Data, Reader};
    use proptest::prelude::*;

    const OFFICE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/office");

    fn fixture(name: &str) -> Vec<u8> {
        std::fs::read(format!("{OFFICE}/{name}")).unwrap()
    }

    fn is_extent_error(e: &RosterError) -> bool {
        matches!(e, RosterError::Unreadable(m) if m.contains("the sheet's extent is too large"))
    }

    fn is_text_error(e: &RosterError) -> bool {
        matches!(e, RosterError::Unreadable(m) if m.contains("too much text"))
    }

    // --- .xls builders ---------------------------------------------------------------------

    fn record(typ: u16, data: &[u8]) -> Vec<u8> {
        let mut r = typ.to_le_bytes().to_vec();
        r.extend_from_slice(&u16::try_from(data.len()).unwrap().to_le_bytes());
        r.extend_from_slice(data);
        r
    }

    /// BIFF8 BOF; `dt` 0x0005 is the workbook globals, 0x0010 a worksheet.
    fn bof(dt: u16) -> Vec<u8> {
        let mut d = vec![0x00, 0x06];
        d.extend_from_slice(&dt.to_le_bytes());
        d.extend_from_slice(&[0; 12]);
        record(rec::BOF, &d)
    }

    fn eof() -> Vec<u8> {
        record(rec::EOF, &[])
    }

    /// BIFF8 DIMENSIONS: first row, last row + 1, first column, last column + 1.
    fn dimensions(rw_mic: u32, rw_mac: u32, col_mic: u16, col_mac: u16) -> Vec<u8> {
        let mut d = Vec::new();
        d.extend_from_slice(&rw_mic.to_le_bytes());
        d.extend_from_slice(&rw_mac.to_le_bytes());
        d.extend_from_slice(&col_mic.to_le_bytes());
        d.extend_from_slice(&col_mac.to_le_bytes());
        d.extend_from_slice(&[0, 0]);
        record(rec::DIMENSIONS, &d)
    }

    fn number(row: u16, col: u16, value: f64) -> Vec<u8> {
        let mut d = Vec::new();
        d.extend_from_slice(&row.to_le_bytes());
        d.extend_from_slice(&col.to_le_bytes());
        d.extend_from_slice(&[0, 0]);
        d.extend_from_slice(&value.to_le_bytes());
        record(rec::NUMBER, &d)
    }

    fn label_sst(row: u16, col: u16, index: u32) -> Vec<u8> {
        let mut d = Vec::new();
        d.extend_from_slice(&row.to_le_bytes());
        d.extend_from_slice(&col.to_le_bytes());
        d.extend_from_slice(&[0, 0]);
        d.extend_from_slice(&index.to_le_bytes());
        record(rec::LABELSST, &d)
    }

    /// An SST of ASCII strings (stored compressed, one byte per character).
    fn sst(strings: &[&str]) -> Vec<u8> {
        let n = u32::try_from(strings.len()).unwrap();
        let mut d = Vec::new();
        d.extend_from_slice(&n.to_le_bytes());
        d.extend_from_slice(&n.to_le_bytes());
        for s in strings {
            d.extend_from_slice(&u16::try_from(s.len()).unwrap().to_le_bytes());
            d.push(0);
            d.extend_from_slice(s.as_bytes());
        }
        record(rec::SST, &d)
    }

    /// A Formula cell with a cached number and the token array `rgce`.
    fn formula(row: u16, col: u16, cached: f64, rgce: &[u8]) -> Vec<u8> {
        let mut d = Vec::new();
        d.extend_from_slice(&row.to_le_bytes());
        d.extend_from_slice(&col.to_le_bytes());
        d.extend_from_slice(&[0, 0]);
        d.extend_from_slice(&cached.to_le_bytes());
        d.extend_from_slice(&[0, 0, 0, 0, 0, 0]);
        d.extend_from_slice(&u16::try_from(rgce.len()).unwrap().to_le_bytes());
        d.extend_from_slice(rgce);
        record(rec::FORMULA, &d)
    }

    /// A workbook stream: globals (BOF, `extra`, one BoundSheet8 per entry of `bound`, EOF),
    /// then every sheet body wrapped in BOF … EOF. BoundSheet `i` is named `S{i}` and points at
    /// sheet `bound[i]`.
    fn stream(extra: &[Vec<u8>], sheets: &[Vec<u8>], bound: &[usize]) -> Vec<u8> {
        let bound_sheet = |pos: u32, i: usize| {
            let name = format!("S{i}");
            let mut d = pos.to_le_bytes().to_vec();
            d.extend_from_slice(&[0, 0, u8::try_from(name.len()).unwrap(), 0]);
            d.extend_from_slice(name.as_bytes());
            record(rec::BOUNDSHEET, &d)
        };
        let mut globals = bof(0x0005);
        for r in extra {
            globals.extend_from_slice(r);
        }
        let globals_len = globals.len()
            + (0..bound.len())
                .map(|i| bound_sheet(0, i).len())
                .sum::<usize>()
            + eof().len();
        let mut offsets = Vec::new();
        let mut body = Vec::new();
        for sheet in sheets {
            offsets.push(u32::try_from(globals_len + body.len()).unwrap());
            body.extend_from_slice(&bof(0x0010));
            body.extend_from_slice(sheet);
            body.extend_from_slice(&eof());
        }
        for (i, &s) in bound.iter().enumerate() {
            globals.extend_from_slice(&bound_sheet(offsets[s], i));
        }
        globals.extend_from_slice(&eof());
        globals.extend_from_slice(&body);
        globals
    }

    fn one_sheet(records: &[Vec<u8>]) -> Vec<u8> {
        stream(&[], &[records.concat()], &[0])
    }

    /// An OLE2 container with `stream` as its Workbook stream.
    fn xls(stream: &[u8]) -> Vec<u8> {
        let mut cf =
            cfb::CompoundFile::create_with_version(cfb::Version::V3, Cursor::new(Vec::new()))
                .unwrap();
        cf.create_stream("Workbook")
            .unwrap()
            .write_all(stream)
            .unwrap();
        cf.flush().unwrap();
        cf.into_inner().into_inner()
    }

    fn calamine_xls(bytes: Vec<u8>) -> calamine::Xls<Cursor<Vec<u8>>> {
        calamine::Xls::new(Cursor::new(bytes)).unwrap()
    }

    fn sane() -> Vec<u8> {
        one_sheet(&[dimensions(0, 1, 0, 1), number(0, 0, 1.5)])
    }

    #[test]
    fn a_sane_xls_passes_and_calamine_reads_it() {
        let bytes = xls(&sane());
        check_xls(&bytes).unwrap();
        let mut wb = calamine_xls(bytes);
        let range = wb.worksheet_range("S0").unwrap();
        assert_eq!(range.get_value((0, 0)), Some(&Data::Float(1.5)));
    }

    #[test]
    fn a_declared_65535_by_65535_sheet_is_refused() {
        let bytes = xls(&one_sheet(&[
            dimensions(0, 65_535, 0, 65_535),
            number(0, 0, 1.0),
        ]));
        let e = check_xls(&bytes).unwrap_err();
        assert!(is_extent_error(&e), "{e}");
        assert!(e.to_string().contains("约4294836225个单元格"), "{e}");
    }

    #[test]
    fn cells_far_apart_are_refused() {
        // A1 and row 60,001 column 201: calamine would allocate 60,001 × 201 values.
        let bytes = xls(&one_sheet(&[number(0, 0, 1.0), number(60_000, 200, 2.0)]));
        let e = check_xls(&bytes).unwrap_err();
        assert!(is_extent_error(&e), "{e}");
        assert!(e.to_string().contains("12060201"), "{e}");
    }

    #[test]
    fn the_xls_extent_matches_what_calamine_allocates() {
        let mulrk = {
            // row 4, columns 1..=3, three RK values (ixfe + RK number), last column
            let mut d = vec![4, 0, 1, 0];
            for _ in 0..3 {
                d.extend_from_slice(&[0, 0, 0, 0, 0xF0, 0x3F]);
            }
            d.extend_from_slice(&[3, 0]);
            record(rec::MULRK, &d)
        };
        let stream = one_sheet(&[
            dimensions(2, 9, 1, 8),
            number(2, 5, 1.0),
            mulrk,
            number(8, 7, 2.0),
        ]);
        let globals = read_globals(&stream, &mut Budget::default()).unwrap();
        let sheet = walk_sheet(&stream, globals.sheets[0], &globals.sst).unwrap();
        assert_eq!(sheet.reserved, 7 * 7);
        assert_eq!(sheet.pushed, 5);
        let range = calamine_xls(xls(&stream)).worksheet_range("S0").unwrap();
        let (rows, cols) = range.get_size();
        assert_eq!(sheet.values.cells(), (rows * cols) as u64);
        assert_eq!((rows, cols), (7, 7));
    }

    #[test]
    fn many_entries_for_one_sheet_add_up() {
        // 2,000 × 1,000 cells is fine once, but calamine parses the sheet once per entry.
        let sheet = [number(0, 0, 1.0), number(1_999, 999, 2.0)].concat();
        let once = stream(&[], std::slice::from_ref(&sheet), &[0]);
        check_xls(&xls(&once)).unwrap();
        let seven = stream(&[], &[sheet], &[0; 7]);
        let e = check_xls(&xls(&seven)).unwrap_err();
        assert!(is_extent_error(&e), "{e}");
    }

    #[test]
    fn shared_strings_are_charged_for_every_cell_that_names_them() {
        let long = "x".repeat(60_000);
        let cells: Vec<Vec<u8>> = (0..1_000).map(|row| label_sst(row, 0, 0)).collect();
        let bytes = xls(&stream(&[sst(&[&long])], &[cells.concat()], &[0]));
        let e = check_xls(&bytes).unwrap_err();
        assert!(is_text_error(&e), "{e}");
        // A hundred are fine.
        let cells: Vec<Vec<u8>> = (0..100).map(|row| label_sst(row, 0, 0)).collect();
        check_xls(&xls(&stream(&[sst(&[&long])], &[cells.concat()], &[0]))).unwrap();
    }

    #[test]
    fn cut_short_records_are_errors_not_panics() {
        let full = sane();
        // Cutting the stream inside the sheet's DIMENSIONS record.
        let sheet_start = full.len() - (20 + 18 + 18 + 4);
        let cut = &full[..sheet_start + 20 + 7];
        let e = check_xls(&xls(cut)).unwrap_err();
        assert!(e.to_string().contains("cut short"), "{e}");
        // Every prefix: an error or a pass, never a panic.
        for n in 0..full.len() {
            let _ = check_biff(&full[..n]);
        }
        // A sheet offset past the end of the stream (calamine would slice out of bounds).
        let mut bad = full.clone();
        let pos = 20 + 4;
        bad[pos..pos + 4].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(check_biff(&bad).is_err());
    }

    #[test]
    fn records_calamine_would_panic_on_are_refused() {
        let short_formula = record(rec::FORMULA, &[0; 20]);
        assert!(check_xls(&xls(&one_sheet(&[short_formula]))).is_err());
        let bad_cce = formula(0, 0, 1.0, &[]);
        let mut bad_cce = bad_cce;
        let len = bad_cce.len();
        bad_cce[len - 2..].copy_from_slice(&100u16.to_le_bytes());
        bad_cce.extend_from_slice(&[0x1E, 1]);
        let fixed_len = u16::try_from(bad_cce.len() - 4).unwrap();
        bad_cce[2..4].copy_from_slice(&fixed_len.to_le_bytes());
        assert!(check_xls(&xls(&one_sheet(&[bad_cce]))).is_err());
        let merge = record(rec::MERGECELLS, &[5, 0, 0, 0]);
        assert!(check_xls(&xls(&one_sheet(&[merge]))).is_err());
        let bound_sheet = record(rec::BOUNDSHEET, &[0, 0, 0]);
        assert!(check_xls(&xls(&stream(&[bound_sheet], &[], &[]))).is_err());
    }

    #[test]
    fn sanitize_keeps_the_values_and_blanks_the_formulas() {
        // =7 (ptgInt 7) with the cached value 7, next to a plain number.
        let stream = one_sheet(&[
            dimensions(0, 1, 0, 2),
            formula(0, 0, 7.0, &[0x1E, 7, 0]),
            number(0, 1, 2.5),
        ]);
        let original = xls(&stream);
        let mut wb = calamine_xls(original.clone());
        assert_eq!(
            wb.worksheet_formula("S0").unwrap().get_value((0, 0)),
            Some(&"7".to_string())
        );
        let clean = sanitize_xls(&original).unwrap();
        let mut wb = calamine_xls(clean);
        let range = wb.worksheet_range("S0").unwrap();
        assert_eq!(range.get_value((0, 0)), Some(&Data::Float(7.0)));
        assert_eq!(range.get_value((0, 1)), Some(&Data::Float(2.5)));
        let formulas = wb.worksheet_formula("S0").unwrap();
        let text = formulas.get_value((0, 0)).unwrap();
        assert!(text.starts_with("Unrecognised formula"), "{text}");
    }

    #[test]
    fn a_directory_chain_cycle_is_refused() {
        // calamine 0.38 follows the directory chain until ENDOFCHAIN with no cycle check, so
        // this file would grow its memory until the process aborts. Never give it to calamine.
        let mut bytes = xls(&sane());
        let sector = 1usize << u16_at(&bytes, 30).unwrap();
        let fat = u32_at(&bytes, 76).unwrap() as usize;
        let dir = u32_at(&bytes, 48).unwrap() as usize;
        let at = (fat + 1) * sector + 4 * dir;
        bytes[at..at + 4].copy_from_slice(&u32::try_from(dir).unwrap().to_le_bytes());
        let e = check_xls(&bytes).unwrap_err();
        assert!(e.to_string().contains(".xls"), "{e}");
        assert!(sanitize_xls(&bytes).is_err());
    }

    #[test]
    fn not_an_ole2_file_is_an_error() {
        assert!(check_xls(b"PK\x03\x04 not really").is_err());
        assert!(check_xls(&[]).is_err());
    }

    #[test]
    fn libreoffice_xls_fixtures_pass_and_read_the_same_after_sanitizing() {
        for name in ["plain.xls", "title-rows.xls", "truncated-ids-numeric.xls"] {
            let bytes = fixture(name);
            check_xls(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
            let clean = sanitize_xls(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
            check_xls(&clean).unwrap();
            let mut before = calamine_xls(bytes);
            let mut after = calamine_xls(clean);
            assert_eq!(before.sheet_names(), after.sheet_names(), "{name}");
            for sheet in before.sheet_names() {
                assert_eq!(
                    before.worksheet_range(&sheet).unwrap(),
                    after.worksheet_range(&sheet).unwrap(),
                    "{name} {sheet}"
                );
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]
        #[test]
        fn damaged_workbook_streams_never_panic(
            edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
            cut in any::<prop::sample::Index>(),
        ) {
            let mut s = stream(
                &[sst(&["a", "bc"])],
                &[[dimensions(0, 3, 0, 2), number(0, 0, 1.0), label_sst(1, 1, 1),
                   formula(2, 0, 3.0, &[0x1E, 3, 0])].concat()],
                &[0],
            );
            for (i, b) in edits {
                let i = i.index(s.len());
                s[i] = b;
            }
            let n = cut.index(s.len() + 1);
            let _ = check_biff(&s[..n]);
            let _ = check_biff(&s);
        }
    }

    // --- .ods builders ---------------------------------------------------------------------

    fn content(tables: &str) -> String {
        format!(
            r#"<?xml version="1.0" encoding="UTF-8"?><office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.3"><office:body><office:spreadsheet>{tables}</office:spreadsheet></office:body></office:document-content>"#
        )
    }

    fn table(name: &str, rows: &str) -> String {
        format!(r#"<table:table table:name="{name}">{rows}</table:table>"#)
    }

    const VALUE: &str = r#"<table:table-cell office:value-type="float" office:value="1"/>"#;

    fn ods(content: &str) -> Vec<u8> {
        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let stored = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored);
        zip.start_file("mimetype", stored).unwrap();
        zip.write_all(b"application/vnd.oasis.opendocument.spreadsheet")
            .unwrap();
        zip.start_file("META-INF/manifest.xml", stored).unwrap();
        zip.write_all(br#"<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"><manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/><manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>"#).unwrap();
        let deflated = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        zip.start_file("content.xml", deflated).unwrap();
        zip.write_all(content.as_bytes()).unwrap();
        zip.finish().unwrap().into_inner()
    }

    fn scan(content: &str) -> Result<Budget, RosterError> {
        let mut budget = Budget::default();
        scan_content(&mut ods_reader(content.as_bytes()), &mut budget)?;
        Ok(budget)
    }

    /// The first table of `content`, as `read_table` measures it.
    fn first_table(content: &str) -> Table {
        let mut xml = ods_reader(content.as_bytes());
        let mut buf = Vec::new();
        loop {
            match xml.read_event_into(&mut buf).unwrap() {
                Event::Start(e) if e.name() == QName("table:table") => break,
                Event::Eof => panic!("no table"),
                _ => buf.clear(),
            }
        }
        read_table(&mut xml).unwrap()
    }

    /// Cells calamine allocates for the values and for the formulas of `sheet`.
    fn calamine_cells(bytes: Vec<u8>, sheet: &str) -> (u64, u64) {
        let mut wb: calamine::Ods<_> = calamine::Ods::new(Cursor::new(bytes)).unwrap();
        let values = wb.worksheet_range(sheet).unwrap().cells().count();
        let formulas = wb.worksheet_formula(sheet).unwrap().cells().count();
        (values as u64, formulas as u64)
    }

    fn calamine_size(bytes: Vec<u8>, sheet: &str) -> u64 {
        calamine_cells(bytes, sheet).0
    }

    #[test]
    fn a_row_with_values_repeated_a_million_times_is_refused() {
        let row = |values: usize| {
            format!(
                r#"<table:table-row table:number-rows-repeated="1000000">{}</table:table-row>"#,
                VALUE.repeat(values)
            )
        };
        let bytes = ods(&content(&table("S", &row(4))));
        let e = check_ods(&bytes).unwrap_err();
        assert!(is_extent_error(&e), "{e}");
        // One column of a million rows is 32 MB in calamine, no hazard: the bounds let it
        // through and the importer's row limit refuses the sheet with its own message.
        check_ods(&ods(&content(&table("S", &row(1))))).unwrap();
    }

    #[test]
    fn a_value_repeated_across_16384_columns_on_1000_rows_is_refused() {
        let row = r#"<table:table-row><table:table-cell table:number-columns-repeated="16384" office:value-type="float" office:value="1"/></table:table-row>"#;
        let e = check_ods(&ods(&content(&table("S", &row.repeat(1_000))))).unwrap_err();
        assert!(is_extent_error(&e), "{e}");
        // Values far right on many rows: calamine materializes the empty cells before them.
        let row = r#"<table:table-row><table:table-cell table:number-columns-repeated="16000"/><table:table-cell office:value-type="float" office:value="1"/></table:table-row>"#;
        let e = scan(&content(&table("S", &row.repeat(300)))).unwrap_err();
        assert!(is_extent_error(&e), "{e}");
    }

    #[test]
    fn libreoffice_trailing_empty_rows_pass() {
        let rows = format!(
            r#"<table:table-row>{VALUE}{VALUE}<table:table-cell table:number-columns-repeated="1022"/></table:table-row><table:table-row table:number-rows-repeated="1048559"><table:table-cell table:number-columns-repeated="1024"/></table:table-row>"#
        );
        let xml = content(&table("S", &rows));
        let t = first_table(&xml);
        assert_eq!(
            (t.materialized, t.values.cells(), t.formulas.cells()),
            (2, 2, 0)
        );
        let bytes = ods(&xml);
        check_ods(&bytes).unwrap();
        assert_eq!(calamine_size(bytes, "S"), 2);
    }

    #[test]
    fn the_ods_extent_matches_what_calamine_allocates() {
        let empty_row = |n: usize| {
            format!(
                r#"<table:table-row table:number-rows-repeated="{n}"><table:table-cell table:number-columns-repeated="50"/></table:table-row>"#
            )
        };
        let cases = [
            // leading empty rows, a gap of repeated empty rows, values at different columns
            format!(
                r#"{}<table:table-row><table:table-cell/>{VALUE}</table:table-row>{}<table:table-row table:number-rows-repeated="3"><table:table-cell table:number-columns-repeated="4"/>{VALUE}</table:table-row>{}"#,
                empty_row(5), empty_row(10), empty_row(1000)
            ),
            // a string cell by its content, repeated across columns, and a formula-only cell
            r#"<table:table-row><table:table-cell office:value-type="string" table:number-columns-repeated="3"><text:p>ab</text:p></table:table-cell><table:table-cell table:formula="of:=1"/></table:table-row>"#.to_string(),
            // a covered cell and a date
            r#"<table:table-row><table:covered-table-cell/><table:table-cell office:value-type="date" office:date-value="2024-01-01"/></table:table-row><table:table-row table:number-rows-repeated="7"><table:table-cell office:value-type="boolean" office:boolean-value="true"/></table:table-row>"#.to_string(),
        ];
        for rows in cases {
            let xml = content(&table("S", &rows));
            let t = first_table(&xml);
            assert_eq!(t.values.cells(), calamine_size(ods(&xml), "S"), "{rows}");
        }
    }

    /// A random sheet: rows of (row repeats, cells of (kind, column repeats)).
    fn random_rows() -> impl Strategy<Value = Vec<(usize, Vec<(u8, usize)>)>> {
        let cell = (0u8..6, prop_oneof![Just(1usize), 1usize..4, Just(40usize)]);
        let row = (
            prop_oneof![Just(1usize), 1usize..4, Just(500usize)],
            proptest::collection::vec(cell, 0..6),
        );
        proptest::collection::vec(row, 0..8)
    }

    fn rows_xml(rows: &[(usize, Vec<(u8, usize)>)]) -> String {
        let mut xml = String::new();
        for (repeats, cells) in rows {
            xml.push_str(&format!(
                r#"<table:table-row table:number-rows-repeated="{repeats}">"#
            ));
            for &(kind, n) in cells {
                let open = format!(r#"<table:table-cell table:number-columns-repeated="{n}""#);
                xml.push_str(&match kind {
                    0 => format!("{open}/>"),
                    1 => format!(r#"{open} office:value-type="float" office:value="2"/>"#),
                    2 => format!(
                        r#"{open} office:value-type="string"><text:p>x<text:s text:c="3"/></text:p></table:table-cell>"#
                    ),
                    3 => format!(r#"{open} table:formula="of:=[.A1]"/>"#),
                    4 => format!(r#"{open} office:value-type="string" office:string-value=""/>"#),
                    _ => format!(
                        r#"{open} office:value-type="float" office:value="1" table:formula="of:=1"><text:p>1</text:p></table:table-cell>"#
                    ),
                });
            }
            xml.push_str("</table:table-row>");
        }
        xml
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(96))]
        #[test]
        fn random_ods_sheets_are_measured_as_calamine_allocates(rows in random_rows()) {
            let xml = content(&table("S", &rows_xml(&rows)));
            let t = first_table(&xml);
            let (values, formulas) = calamine_cells(ods(&xml), "S");
            prop_assert_eq!(t.values.cells(), values, "{}", xml);
            prop_assert_eq!(t.formulas.cells(), formulas, "{}", xml);
        }

        #[test]
        fn random_xls_sheets_are_measured_as_calamine_allocates(
            cells in proptest::collection::vec((0u8..4, 0u16..40, 0u16..12), 0..12),
        ) {
            let records: Vec<Vec<u8>> = cells
                .iter()
                .map(|&(kind, row, col)| match kind {
                    0 => number(row, col, 1.0),
                    1 => label_sst(row, col, 0),
                    2 => formula(row, col, 2.0, &[0x1E, 2, 0]),
                    _ => {
                        let mut d = row.to_le_bytes().to_vec();
                        d.extend_from_slice(&col.to_le_bytes());
                        d.extend_from_slice(&[0, 0, 0, 0, 0xF0, 0x3F, 0, 0, 0, 0, 0xF0, 0x3F]);
                        d.extend_from_slice(&(col + 1).to_le_bytes());
                        record(rec::MULRK, &d)
                    }
                })
                .collect();
            let stream = stream(&[sst(&["s"])], &[records.concat()], &[0]);
            let globals = read_globals(&stream, &mut Budget::default()).unwrap();
            let sheet = walk_sheet(&stream, globals.sheets[0], &globals.sst).unwrap();
            let mut wb = calamine_xls(xls(&stream));
            let values = wb.worksheet_range("S0").unwrap().cells().count() as u64;
            let formulas = wb.worksheet_formula("S0").unwrap().cells().count() as u64;
            prop_assert_eq!(sheet.values.cells(), values);
            prop_assert_eq!(sheet.formulas.cells(), formulas);
        }
    }

    #[test]
    fn huge_text_in_one_cell_is_refused() {
        let rows = r#"<table:table-row><table:table-cell office:value-type="string"><text:p>a<text:s text:c="2000000000"/></text:p></table:table-cell></table:table-row>"#;
        let e = scan(&content(&table("S", rows))).unwrap_err();
        assert!(is_text_error(&e), "{e}");
        // Long text copied down many rows adds up too.
        let text = "x".repeat(10_000);
        let rows = format!(
            r#"<table:table-row table:number-rows-repeated="30000"><table:table-cell office:value-type="string" office:string-value="{text}"/></table:table-row>"#
        );
        let e = scan(&content(&table("S", &rows))).unwrap_err();
        assert!(is_text_error(&e), "{e}");
    }

    #[test]
    fn content_that_ends_inside_a_sheet_is_an_error() {
        // calamine 0.38 would wait for the end tag forever.
        let xml = content(&table(
            "S",
            &format!("<table:table-row>{VALUE}</table:table-row>"),
        ));
        let cut = &xml[..xml.find("</table:table>").unwrap()];
        assert!(scan(cut).is_err());
        let comment = r#"<table:table-row><table:table-cell office:value-type="string"><office:annotation><text:p>note"#;
        assert!(scan(&content(&table("S", comment))).is_err());
    }

    #[test]
    fn many_sheets_add_up() {
        let row = r#"<table:table-row table:number-rows-repeated="50000"><table:table-cell table:number-columns-repeated="60" office:value-type="float" office:value="1"/></table:table-row>"#;
        let one = table("A", row);
        scan(&content(&one)).unwrap();
        let many: String = (0..5).map(|i| table(&format!("S{i}"), row)).collect();
        let e = scan(&content(&many)).unwrap_err();
        assert!(is_extent_error(&e), "{e}");
    }

    #[test]
    fn libreoffice_ods_fixtures_pass() {
        for name in ["plain.ods", "title-rows.ods", "multi-sheet.ods"] {
            check_ods(&fixture(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        }
    }

    #[test]
    fn not_a_zip_is_an_error() {
        assert!(check_ods(b"\xD0\xCF\x11\xE0 not a zip").is_err());
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]
        #[test]
        fn damaged_content_never_panics(
            edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
            cut in any::<prop::sample::Index>(),
        ) {
            let xml = content(&table("S", &format!(
                r#"<table:table-row table:number-rows-repeated="2">{VALUE}<table:table-cell office:value-type="string" table:number-columns-repeated="3"><text:p>a<text:s text:c="2"/>b</text:p></table:table-cell></table:table-row>"#
            )));
            let mut bytes = xml.into_bytes();
            for (i, b) in edits {
                let i = i.index(bytes.len());
                bytes[i] = b;
            }
            let n = cut.index(bytes.len() + 1);
            let mut budget = Budget::default();
            let _ = scan_content(&mut ods_reader(&bytes[..n]), &mut budget);
        }
    }

    // --- timing ----------------------------------------------------------------------------

    /// `scripts/make-office-fixtures.sh --bench /tmp/bench10k`, then convert the `.xls` to
    /// `.ods` with `soffice --headless --convert-to ods`; run with `--ignored --nocapture`.
    #[test]
    #[ignore = "needs the generated 10,000-row workbooks in $NAC_BENCH_DIR (default /tmp/bench10k)"]
    fn timing_on_10000_rows() {
        let dir = std::env::var("NAC_BENCH_DIR").unwrap_or_else(|_| "/tmp/bench10k".into());
        let time = |what: &str, f: &mut dyn FnMut()| {
            let start = std::time::Instant::now();
            for _ in 0..5 {
                f();
            }
            println!(
                "{what}: {:.1} ms",
                start.elapsed().as_secs_f64() * 1000.0 / 5.0
            );
        };
        let xls_bytes = std::fs::read(format!("{dir}/bench-10000.xls")).unwrap();
        time("check_xls", &mut || check_xls(&xls_bytes).unwrap());
        time("sanitize_xls", &mut || {
            sanitize_xls(&xls_bytes).unwrap();
        });
        time("calamine Xls::new + worksheet_range", &mut || {
            let mut wb = calamine_xls(xls_bytes.clone());
            let name = wb.sheet_names()[0].clone();
            wb.worksheet_range(&name).unwrap();
        });
        let clean = sanitize_xls(&xls_bytes).unwrap();
        time("calamine on the sanitized .xls", &mut || {
            let mut wb = calamine_xls(clean.clone());
            let name = wb.sheet_names()[0].clone();
            wb.worksheet_range(&name).unwrap();
        });
        let ods_bytes = std::fs::read(format!("{dir}/bench-10000.ods")).unwrap();
        time("check_ods", &mut || check_ods(&ods_bytes).unwrap());
        time("calamine Ods::new + worksheet_range", &mut || {
            let mut wb: calamine::Ods<_> =
                calamine::Ods::new(Cursor::new(ods_bytes.clone())).unwrap();
            let name = wb.sheet_names()[0].clone();
            wb.worksheet_range(&name).unwrap();
        });
    }
}
