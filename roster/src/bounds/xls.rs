//! The `.xls` walk: the container's `Workbook`/`Book` stream, its BIFF records and every sheet's
//! extent and text, as calamine 0.38 would read them (see the parent module).

use super::*;
use std::collections::HashMap;
use std::io::{Cursor, Read, Write};

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

pub(super) mod rec {
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
pub(super) struct Globals {
    /// Stream offsets of the sheets (BoundSheet8 records), in order; calamine parses each.
    pub(super) sheets: Vec<usize>,
    /// Character count of every shared string (the last SST record wins, as in calamine).
    pub(super) sst: Vec<u16>,
    /// A FilePass record: calamine stops with "password protected" before reading any sheet.
    pub(super) encrypted: bool,
}

/// Everything calamine will allocate from one sheet substream.
#[derive(Debug, Default, Clone)]
pub(super) struct XlsSheet {
    /// Largest `reserve` a DIMENSIONS record causes (cells already pushed + declared).
    pub(super) reserved: u64,
    /// Cells pushed to the sparse list.
    pub(super) pushed: u64,
    pub(super) values: Extent,
    pub(super) formulas: Extent,
    /// Upper bound of the text bytes of the pushed cells.
    pub(super) text: u64,
    /// Bytes walked (calamine walks a sheet from its offset to its EOF).
    pub(super) walked: usize,
    /// Offsets of the formula token-array lengths (`cce`) in the stream.
    pub(super) formula_token_lengths: Vec<usize>,
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
pub(super) struct Extent {
    pub(super) any: bool,
    pub(super) row_min: u32,
    pub(super) row_max: u32,
    pub(super) col_min: u32,
    pub(super) col_max: u32,
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

    pub(super) fn cells(&self) -> u64 {
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
pub(super) struct CheckedBiff {
    pub(super) formula_token_lengths: Vec<usize>,
    pub(super) budget: Budget,
}

/// Walks the workbook stream as calamine's `Xls::parse_workbook` does.
pub(super) fn check_biff(stream: &[u8]) -> Result<CheckedBiff, RosterError> {
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
pub(super) fn read_globals(stream: &[u8], budget: &mut Budget) -> Result<Globals, RosterError> {
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
pub(super) fn walk_sheet(stream: &[u8], pos: usize, sst: &[u16]) -> Result<XlsSheet, RosterError> {
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
