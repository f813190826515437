//! The `.ods` walk: `content.xml` row by row with the repeat counts calamine 0.38 expands (see
//! the parent module).

use super::*;
use quick_xml::events::{BytesStart, Event};
use quick_xml::name::QName;
use std::io::{BufRead, BufReader, Cursor, Read};

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
pub(super) fn ods_reader<R: BufRead>(input: R) -> quick_xml::Reader<R> {
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
pub(super) fn scan_content<R: BufRead>(
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
pub(super) struct Span {
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
    pub(super) fn cells(&self) -> u64 {
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
pub(super) struct Table {
    /// Cells of the row-by-row lists (`cells` and `formulas` in `read_table`).
    pub(super) materialized: u64,
    pub(super) materialized_bytes: u64,
    pub(super) values: Span,
    pub(super) formulas: Span,
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
pub(super) fn read_table<R: BufRead>(xml: &mut quick_xml::Reader<R>) -> Result<Table, RosterError> {
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
