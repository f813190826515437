//! Tests of the size checks against calamine itself.
#![allow(clippy::unwrap_used, clippy::expect_used)]
use super::ods::{ods_reader, read_table, scan_content, Table};
use super::xls::{check_biff, read_globals, rec, walk_sheet};
use super::*;
use calamine::{Data, Reader};
use proptest::prelude::*;
use quick_xml::events::Event;
use quick_xml::name::QName;
use std::io::{Cursor, Write};

const OFFICE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../core/tests/fixtures/office");

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
        cfb::CompoundFile::create_with_version(cfb::Version::V3, Cursor::new(Vec::new())).unwrap();
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
    let stored =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
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
        let mut wb: calamine::Ods<_> = calamine::Ods::new(Cursor::new(ods_bytes.clone())).unwrap();
        let name = wb.sheet_names()[0].clone();
        wb.worksheet_range(&name).unwrap();
    });
}
