//! Minimal valid office containers around fuzzed part contents, so the structure-aware roster
//! targets spend their time in the parsers behind the container instead of dying at the zip or
//! OLE2 layer:
//!
//! * `roster_xlsx_sheet`: the input is `xl/worksheets/sheet1.xml` (optionally followed by
//!   [`SST_MARKER`] and `xl/sharedStrings.xml`) in a minimal `.xlsx` ([`xlsx_from_input`]);
//! * `roster_ods_content`: the input is `content.xml` of a minimal `.ods` ([`ods`]);
//! * `roster_xls_stream`: the input is the BIFF `Workbook` stream of an OLE2 `.xls` ([`xls`]).
//!
//! Shared with `core/tests/fuzz_regressions.rs` (via `#[path]`); uses only `zip`, `cfb` and std,
//! which nac-roster depends on too.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::io::{Cursor, Write};

use cfb::CompoundFile;
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

/// Separates the worksheet XML from an optional shared-strings XML in one fuzz input.
pub const SST_MARKER: &[u8] = b"\n<!--sharedStrings-->\n";

const CONTENT_TYPES: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>"#;

const ROOT_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#;

const WORKBOOK: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>"#;

const WORKBOOK_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>"#;

/// Shared strings used when the input brings none: the required headers (Chinese and English)
/// and a few plausible values, so `<c t="s"><v>N</v></c>` cells are meaningful.
pub const DEFAULT_SHARED_STRINGS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="16" uniqueCount="16"><si><t>区</t></si><si><t>路</t></si><si><t>弄</t></si><si><t>号</t></si><si><t>室</t></si><si><t>姓名</t></si><si><t>证件号码</t></si><si><t>手机号</t></si><si><t>徐汇区</t></si><si><t>天钥桥路</t></si><si><t>张三</t></si><si><t>310104194503120013</t></si><si><t>护照</t></si><si><t>E12345678</t></si><si><t>district</t></si><si><t>document_number</t></si></sst>"#;

/// Splits a fuzz input into (worksheet XML, shared-strings XML).
pub fn split(data: &[u8]) -> (&[u8], &[u8]) {
    match data.windows(SST_MARKER.len()).position(|w| w == SST_MARKER) {
        Some(i) => (&data[..i], &data[i + SST_MARKER.len()..]),
        None => (data, DEFAULT_SHARED_STRINGS.as_bytes()),
    }
}

/// An XLSX file (stored, uncompressed) with one worksheet `sheet_xml` and shared strings
/// `shared_strings_xml`.
pub fn xlsx(sheet_xml: &[u8], shared_strings_xml: &[u8]) -> Vec<u8> {
    let mut zip = ZipWriter::new(Cursor::new(Vec::with_capacity(
        sheet_xml.len() + shared_strings_xml.len() + 2048,
    )));
    let options = SimpleFileOptions::default().compression_method(CompressionMethod::Stored);
    let parts: [(&str, &[u8]); 6] = [
        ("[Content_Types].xml", CONTENT_TYPES.as_bytes()),
        ("_rels/.rels", ROOT_RELS.as_bytes()),
        ("xl/workbook.xml", WORKBOOK.as_bytes()),
        ("xl/_rels/workbook.xml.rels", WORKBOOK_RELS.as_bytes()),
        ("xl/worksheets/sheet1.xml", sheet_xml),
        ("xl/sharedStrings.xml", shared_strings_xml),
    ];
    for (name, content) in parts {
        zip.start_file(name, options).expect("zip in memory");
        zip.write_all(content).expect("zip in memory");
    }
    zip.finish().expect("zip in memory").into_inner()
}

/// [`xlsx`] of a fuzz input as [`split`] reads it.
pub fn xlsx_from_input(data: &[u8]) -> Vec<u8> {
    let (sheet, sst) = split(data);
    xlsx(sheet, sst)
}

const ODS_MIMETYPE: &str = "application/vnd.oasis.opendocument.spreadsheet";

const ODS_MANIFEST: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2"><manifest:file-entry manifest:full-path="/" manifest:version="1.2" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/><manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>"#;

/// An OpenDocument spreadsheet (stored, uncompressed) whose `content.xml` is `content_xml`.
pub fn ods(content_xml: &[u8]) -> Vec<u8> {
    let mut zip = ZipWriter::new(Cursor::new(Vec::with_capacity(content_xml.len() + 1024)));
    let options = SimpleFileOptions::default().compression_method(CompressionMethod::Stored);
    let parts: [(&str, &[u8]); 3] = [
        ("mimetype", ODS_MIMETYPE.as_bytes()),
        ("META-INF/manifest.xml", ODS_MANIFEST.as_bytes()),
        ("content.xml", content_xml),
    ];
    for (name, content) in parts {
        zip.start_file(name, options).expect("zip in memory");
        zip.write_all(content).expect("zip in memory");
    }
    zip.finish().expect("zip in memory").into_inner()
}

/// An OLE2 compound file (version 3, as Excel writes `.xls`) holding `stream` as `/Workbook`.
pub fn xls(stream: &[u8]) -> Vec<u8> {
    let mut cf = CompoundFile::create_with_version(cfb::Version::V3, Cursor::new(Vec::new()))
        .expect("cfb in memory");
    {
        let mut s = cf.create_stream("/Workbook").expect("cfb in memory");
        s.write_all(stream).expect("cfb in memory");
    }
    cf.flush().expect("cfb in memory");
    cf.into_inner().into_inner()
}
