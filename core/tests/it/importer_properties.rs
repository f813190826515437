//! Properties of the whole importer over generated files (CSV in several encodings and XLSX,
//! well-formed, hostile and mangled): any file either imports or is refused with a file-level
//! or row-level message; never a panic, never a partial import, and a report whose size is
//! linear in the file.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use common::{count, dump, valid_id};
use nac_core::{ManualClock, Station, WriteSource};
use proptest::prelude::*;
use std::sync::Arc;
use tempfile::TempDir;

const HEADERS: [&str; 14] = [
    "区",
    "路",
    "弄",
    "号",
    "室",
    "户联系电话",
    "姓名",
    "证件类型",
    "证件号码",
    "手机号",
    "有智能手机",
    "备注",
    "序号",
    "district",
];

/// A cell: mostly plausible values, some hostile ones.
fn cell() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::sample::select(vec![
            "徐汇区", "天钥桥路", "100", "5", "301", "张桂英", "居民身份证", "护照", "是", "否",
            "13812345678", "", " ", "E12345678", "=1+1", "'=x", "-3", "@A1",
        ])
        .prop_map(str::to_string),
        2 => (0u32..40).prop_map(|seq| valid_id("310104", "19450312", seq)),
        1 => "\\PC{0,12}",
        1 => prop::collection::vec(prop::char::range('\u{0}', '\u{a0}'), 0..6)
            .prop_map(|v| v.into_iter().collect()),
        1 => "[0-9]{15,19}",
    ]
}

/// A roster file's rows: a header made of some known and unknown headers, then data rows.
fn table() -> impl Strategy<Value = Vec<Vec<String>>> {
    (
        prop::collection::vec(prop::sample::select(HEADERS.to_vec()), 0..14),
        prop::collection::vec(prop::collection::vec(cell(), 0..15), 0..40),
        any::<bool>(),
    )
        .prop_map(|(mut header, mut rows, complete)| {
            if complete {
                header = HEADERS[..12].to_vec();
            }
            rows.insert(0, header.into_iter().map(str::to_string).collect());
            rows
        })
}

fn csv_bytes(rows: &[Vec<String>], delimiter: u8, encoding: u8) -> Vec<u8> {
    let mut w = csv::WriterBuilder::new()
        .flexible(true)
        .delimiter(delimiter)
        .from_writer(Vec::new());
    for r in rows {
        w.write_record(r).unwrap();
    }
    let text = String::from_utf8(w.into_inner().unwrap()).unwrap();
    match encoding % 3 {
        0 => text.into_bytes(),
        1 => {
            let mut b = "\u{feff}".as_bytes().to_vec();
            b.extend_from_slice(text.as_bytes());
            b
        }
        _ => encoding_rs::GB18030.encode(&text).0.into_owned(),
    }
}

fn xlsx_bytes(rows: &[Vec<String>], dir: &TempDir) -> Vec<u8> {
    let path = dir.path().join("gen.xlsx");
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    for (r, row) in rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            let (r, c) = (r as u32, c as u16);
            match v.parse::<f64>() {
                Ok(n) if v.len() < 12 && n.is_finite() => ws.write_number(r, c, n).unwrap(),
                _ => ws.write_string(r, c, v).unwrap(),
            };
        }
    }
    wb.save(&path).unwrap();
    std::fs::read(path).unwrap()
}

/// Flips, truncates or splices bytes: the damage a bad USB stick or a crafted file does.
fn mangle(mut bytes: Vec<u8>, edits: &[(usize, u8)], truncate: Option<usize>) -> Vec<u8> {
    for &(at, value) in edits {
        if !bytes.is_empty() {
            let i = at % bytes.len();
            bytes[i] = value;
        }
    }
    if let Some(t) = truncate {
        bytes.truncate(t % (bytes.len() + 1));
    }
    bytes
}

/// Imports `bytes` as `name` into a fresh station and checks the properties.
fn check_import(name: &str, bytes: &[u8]) -> Result<(), TestCaseError> {
    let dir = TempDir::new().unwrap();
    let mut station = Station::open(
        &dir.path().join("s.db"),
        common::key(),
        Arc::new(ManualClock::at_cst(2026, 11, 27, 10, 0, 0)),
        WriteSource::Import,
    )
    .unwrap();
    // One resident already there, so updates and unchanged rows can happen too.
    let seed = dir.path().join("seed.csv");
    std::fs::write(
        &seed,
        format!(
            "区,路,号,姓名,证件号码,手机号\n徐汇区,天钥桥路,5,张桂英,{},13812345678\n",
            valid_id("310104", "19450312", 1)
        ),
    )
    .unwrap();
    station.import_roster(&seed).unwrap();
    let before = dump(station.connection());
    let residents_before = count(station.connection(), "SELECT count(*) FROM residents");

    let path = dir.path().join(name);
    std::fs::write(&path, bytes).unwrap();
    match station.import_roster(&path) {
        Err(e) => {
            let message = e.to_string();
            prop_assert!(
                message.contains(" / "),
                "a file error is bilingual: {message}"
            );
            prop_assert_eq!(
                dump(station.connection()),
                before,
                "a refused file writes nothing"
            );
        }
        Ok(report) => {
            let o = &report.outcome;
            prop_assert_eq!(
                report.rows_imported(),
                (o.residents_added + o.residents_updated + o.residents_unchanged) as usize,
                "every accepted row is accounted for"
            );
            prop_assert_eq!(
                count(station.connection(), "SELECT count(*) FROM residents"),
                residents_before + i64::from(o.residents_added),
            );
            for e in &report.errors {
                prop_assert!(e.row >= 2, "row numbers are spreadsheet rows: {}", e.row);
                prop_assert!(!e.message.is_empty());
            }
            let json = serde_json::to_string(&report).unwrap();
            prop_assert!(
                json.len() <= 64 * bytes.len() + 4096,
                "report of {} bytes for a {}-byte file",
                json.len(),
                bytes.len()
            );
            let check: String = station
                .connection()
                .query_row("PRAGMA integrity_check", [], |r| r.get(0))
                .unwrap();
            prop_assert_eq!(check, "ok");
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn any_csv_imports_or_is_refused_whole(
        rows in table(),
        delimiter in prop::sample::select(vec![b',', b'\t', b';']),
        encoding in any::<u8>(),
        edits in prop::collection::vec((any::<usize>(), any::<u8>()), 0..4),
        truncate in prop::option::weighted(0.2, any::<usize>()),
    ) {
        let bytes = mangle(csv_bytes(&rows, delimiter, encoding), &edits, truncate);
        check_import("r.csv", &bytes)?;
    }

    #[test]
    fn any_xlsx_imports_or_is_refused_whole(
        rows in table(),
        edits in prop::collection::vec((any::<usize>(), any::<u8>()), 0..3),
        truncate in prop::option::weighted(0.1, any::<usize>()),
    ) {
        let dir = TempDir::new().unwrap();
        let bytes = mangle(xlsx_bytes(&rows, &dir), &edits, truncate);
        check_import("r.xlsx", &bytes)?;
    }

    #[test]
    fn arbitrary_bytes_never_panic_the_importer(
        bytes in prop::collection::vec(any::<u8>(), 0..4096),
        xlsx in any::<bool>(),
    ) {
        check_import(if xlsx { "r.xlsx" } else { "r.csv" }, &bytes)?;
    }
}
