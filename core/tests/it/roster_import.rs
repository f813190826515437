//! Roster files in and out: real files in a temp dir, a real station database.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use common::{count, dump, valid_id};
use encoding_rs::GB18030;
use nac_core::domain::document::mask_middle;
use nac_core::domain::Capacity;
use nac_core::roster::{
    read_roster, read_roster_file, write_template, Column, ImportReport, RosterError,
    HEADER_SEARCH_ROWS, MAX_DATA_ROWS, MAX_FILE_BYTES,
};
use nac_core::{Error, Station};
use rust_xlsxwriter::Workbook;
use std::path::{Path, PathBuf};
use tempfile::TempDir;

// ---------------------------------------------------------------- helpers

fn open(dir: &TempDir, name: &str) -> Station {
    common::import_station(dir, name)
}

fn id(seq: u32) -> String {
    valid_id("310104", "19450312", seq)
}

/// The same ID with a wrong check character.
fn bad_check(seq: u32) -> String {
    let good = id(seq);
    let (head, last) = good.split_at(17);
    let wrong = if last == "1" { '2' } else { '1' };
    format!("{head}{wrong}")
}

fn full_width(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '!'..='~' => char::from_u32(c as u32 + 0xFEE0).unwrap(),
            _ => c,
        })
        .collect()
}

/// CSV text (comma, CRLF), quoting where needed.
fn csv_text(rows: &[Vec<String>], delimiter: u8) -> String {
    let mut w = csv::WriterBuilder::new()
        .flexible(true)
        .delimiter(delimiter)
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    for r in rows {
        w.write_record(r).unwrap();
    }
    String::from_utf8(w.into_inner().unwrap()).unwrap()
}

fn strings(rows: &[&[&str]]) -> Vec<Vec<String>> {
    rows.iter()
        .map(|r| r.iter().map(|s| s.to_string()).collect())
        .collect()
}

/// A worksheet cell for test workbooks.
enum X {
    S(String),
    N(f64),
    Blank,
}

fn write_xlsx(path: &Path, rows: &[Vec<X>]) {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    for (r, row) in rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            let (r, c) = (r as u32, c as u16);
            match cell {
                X::S(s) => {
                    ws.write_string(r, c, s).unwrap();
                }
                X::N(n) => {
                    ws.write_number(r, c, *n).unwrap();
                }
                X::Blank => {}
            }
        }
    }
    wb.save(path).unwrap();
}

fn xlsx_strings(rows: &[Vec<String>]) -> Vec<Vec<X>> {
    rows.iter()
        .map(|r| {
            r.iter()
                .map(|s| {
                    if s.is_empty() {
                        X::Blank
                    } else {
                        X::S(s.clone())
                    }
                })
                .collect()
        })
        .collect()
}

/// Every cell of the first sheet of a workbook, as text.
fn xlsx_cells(path: &Path) -> Vec<Vec<String>> {
    use calamine::{open_workbook, Reader, Xlsx};
    let mut wb: Xlsx<_> = open_workbook(path).unwrap();
    let range = wb.worksheet_range_at(0).unwrap().unwrap();
    range
        .rows()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect()
}

/// The roster as stored (no ids, uids or timestamps), for comparing imports.
fn snapshot(station: &Station) -> Vec<String> {
    let conn = station.connection();
    let mut stmt = conn
        .prepare(
            "SELECT h.district, h.road, h.lane, h.number, h.room, h.phone, r.name, r.doc_type,
                    r.doc_number, r.doc_last4, r.phone, r.birth_date, r.notes, r.has_smartphone,
                    r.removed_at IS NULL
             FROM residents r JOIN households h ON h.id = r.household_id
             ORDER BY r.doc_type, r.doc_number",
        )
        .unwrap();
    let rows = stmt
        .query_map([], |r| {
            Ok((0..15)
                .map(|i| format!("{:?}", r.get::<_, rusqlite::types::Value>(i).unwrap()))
                .collect::<Vec<_>>()
                .join("|"))
        })
        .unwrap();
    rows.collect::<Result<_, _>>().unwrap()
}

fn pairs(report: &ImportReport) -> Vec<(usize, Column)> {
    report.errors.iter().map(|e| (e.row, e.field)).collect()
}

fn roster_error(result: nac_core::Result<ImportReport>) -> RosterError {
    match result {
        Err(Error::Roster(e)) => e,
        other => panic!("expected a roster file error, got {other:?}"),
    }
}

const HEADER: [&str; 12] = [
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
];

/// Four residents in three households, with notes that need quoting and a passport holder.
fn sample_rows() -> Vec<Vec<String>> {
    let mut rows = strings(&[&HEADER]);
    for r in [
        [
            "徐汇区",
            "天钥桥路",
            "100",
            "5",
            "301",
            "13912345678",
            "张桂英",
            "居民身份证",
            &id(2),
            "",
            "否",
            "独居，\"行动不便\", 需上门",
        ],
        [
            "徐汇区",
            "天钥桥路",
            "100",
            "5",
            "301",
            "",
            "李建国",
            "",
            &id(3),
            "13812345678",
            "是",
            "",
        ],
        [
            "徐汇区",
            "天钥桥路",
            "100",
            "5",
            "302",
            "",
            "王秀兰",
            "",
            &id(5),
            "",
            "",
            "女儿代办",
        ],
        [
            "黄浦区",
            "淮海中路",
            "",
            "12",
            "",
            "13700001111",
            "约翰·史密斯",
            "护照",
            "E12345678",
            "13700001111",
            "是",
            "",
        ],
    ] {
        rows.push(r.iter().map(|s| s.to_string()).collect());
    }
    rows
}

// ---------------------------------------------------------------- row-level report

#[test]
fn bad_rows_are_reported_exactly_and_valid_rows_are_imported() {
    let dir = TempDir::new().unwrap();
    let mut station = open(&dir, "s.db");
    let header: &[&str] = &["区", "路", "弄", "号", "室", "姓名", "证件号码", "手机号"];
    let dup = id(20);
    let impossible = format!("31010419990230001{}", '5');
    let a = id(1);
    let b = id(7);
    let c = id(9);
    let rows = strings(&[
        header,
        /* 2 */
        &[
            "徐汇区",
            "天钥桥路",
            "100",
            "5",
            "301",
            "张桂英",
            &a,
            "13812345678",
        ],
        /* 3 */
        &[
            "徐汇区",
            "天钥桥路",
            "100",
            "5",
            "301",
            "李建国",
            &bad_check(4),
            "",
        ],
        /* 4 */
        &[
            "徐汇区",
            "天钥桥路",
            "100",
            "5",
            "301",
            "王秀兰",
            &impossible,
            "",
        ],
        /* 5 */ &["徐汇区", "天钥桥路", "100", "5", "301", "", &id(6), ""],
        /* 6 */ &["徐汇区", "天钥桥路", "100", "5", "302", "赵德明", &dup, ""],
        /* 7 */ &["徐汇区", "天钥桥路", "100", "5", "301", "陈美华", &b, ""],
        /* 8 */ &["徐汇区", "天钥桥路", "100", "6", "101", "赵德明", &dup, ""],
        /* 9 */
        &[
            "徐汇区",
            "天钥桥路",
            "100",
            "5",
            "302",
            "孙丽",
            &id(10),
            "1381234567",
        ],
        /* 10 */ &["", "天钥桥路", "100", " ", "302", "", &id(11), "12345"],
        /* 11 */ &["", "", "", "", "", "", "", ""],
        /* 12 */ &["徐汇区", "天钥桥路", "100", "5", "303", "周建平", &c, ""],
    ]);
    let path = dir.path().join("bad.csv");
    std::fs::write(&path, csv_text(&rows, b',')).unwrap();

    let report = station.import_roster(&path).unwrap();

    assert_eq!(
        pairs(&report),
        vec![
            (3, Column::DocumentNumber),
            (4, Column::DocumentNumber),
            (5, Column::Name),
            (6, Column::DocumentNumber),
            (8, Column::DocumentNumber),
            (9, Column::Phone),
            (10, Column::District),
            (10, Column::Number),
            (10, Column::Name),
            (10, Column::Phone),
        ]
    );
    assert_eq!(report.rows_read, 10);
    assert_eq!(report.rows_rejected(), 7);
    assert_eq!(report.rows_imported(), 3);
    assert_eq!(report.outcome.residents_added, 3);
    assert_eq!(report.outcome.households_added, 2);
    assert_eq!(report.outcome.residents_updated, 0);
    assert!(report.ignored_columns.is_empty());
    assert_eq!(
        count(station.connection(), "SELECT count(*) FROM residents"),
        3
    );
    for kept in [&a, &b, &c] {
        assert!(station.find_by_document(kept).unwrap().is_some());
    }
    assert!(station.find_by_document(&dup).unwrap().is_none());

    let e = |row: usize, field: Column| {
        report
            .errors
            .iter()
            .find(|e| e.row == row && e.field == field)
            .unwrap()
    };
    assert!(e(3, Column::DocumentNumber).message.contains("校验位"));
    assert!(e(4, Column::DocumentNumber).message.contains("19990230"));
    assert!(e(5, Column::Name).message.contains("姓名为空"));
    assert!(e(6, Column::DocumentNumber)
        .message
        .contains("与第8行证件号码重复"));
    assert!(e(8, Column::DocumentNumber)
        .message
        .contains("same document number as row 6"));
    assert!(e(9, Column::Phone).message.contains("11"));
    assert_eq!(e(9, Column::Phone).value, "138***4567");
    assert_eq!(
        e(3, Column::DocumentNumber).value,
        mask_middle(&bad_check(4), 3, 4)
    );
    assert_eq!(e(6, Column::DocumentNumber).value, mask_middle(&dup, 3, 4));
    assert_eq!(e(5, Column::Name).value, "");

    // No full ID number or phone anywhere in the report (JSON as the UI receives it).
    let json = serde_json::to_string(&report).unwrap();
    let bad = bad_check(4);
    let other = id(10);
    for secret in [&a, &b, &c, &dup, &bad, &impossible, &other, "1381234567"] {
        assert!(!json.contains(secret), "{secret} leaked into {json}");
    }
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(value["rows_rejected"], 7);
    assert_eq!(value["errors"][0]["field"], "document_number");
}

#[test]
fn stray_whitespace_full_width_digits_and_lower_case_x_are_normalised() {
    let dir = TempDir::new().unwrap();
    let mut station = open(&dir, "s.db");
    let x_id = valid_id("310104", "19450312", 4);
    assert!(x_id.ends_with('X'));
    let spaced = id(1);
    let spaced = format!(" {} {} {} ", &spaced[..6], &spaced[6..14], &spaced[14..]);
    let rows = strings(&[
        &HEADER,
        &[
            " 徐汇区 ",
            "　天钥桥路",
            "１００弄",
            "５号",
            " 301室 ",
            "+86 139-1234-5678",
            "  张 桂英 ",
            " 居民身份证 ",
            &full_width(&x_id.to_lowercase()),
            "１３８ １２３４ ５６７８",
            " 是 ",
            "  腿脚不便 ",
        ],
        &[
            "徐汇区",
            "天钥桥路",
            "100",
            "5",
            "301",
            "",
            "\t李建国\t",
            "",
            &spaced,
            "",
            "",
            "",
        ],
    ]);
    let path = dir.path().join("messy.csv");
    std::fs::write(&path, csv_text(&rows, b',')).unwrap();

    let report = station.import_roster(&path).unwrap();
    assert_eq!(report.errors, vec![], "{:#?}", report.errors);
    assert_eq!(report.outcome.households_added, 1);
    assert_eq!(report.outcome.residents_added, 2);

    let (doc, phone, name, notes, smart): (String, String, String, String, bool) = station
        .connection()
        .query_row(
            "SELECT doc_number, phone, name, notes, has_smartphone FROM residents ORDER BY id LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )
        .unwrap();
    assert_eq!(
        doc, x_id,
        "lower-case x is stored as X, full-width digits folded"
    );
    assert_eq!(phone, "13812345678");
    assert_eq!(name, "张 桂英");
    assert_eq!(notes, "腿脚不便");
    assert!(smart);
    let household: (String, String, String, String, String, String) = station
        .connection()
        .query_row(
            "SELECT district, road, lane, number, room, phone FROM households",
            [],
            |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                ))
            },
        )
        .unwrap();
    assert_eq!(
        household,
        (
            "徐汇区".into(),
            "天钥桥路".into(),
            "100".into(),
            "5".into(),
            "301".into(),
            "13912345678".into()
        )
    );
    assert!(station.find_by_document(&id(1)).unwrap().is_some());
}

// ---------------------------------------------------------------- encodings and formats

#[test]
fn the_same_roster_in_every_encoding_and_format_imports_identically() {
    let dir = TempDir::new().unwrap();
    let rows = sample_rows();
    let utf8 = csv_text(&rows, b',');
    let mut files: Vec<(PathBuf, Option<&str>)> = Vec::new();
    let mut add = |name: &str, bytes: Vec<u8>, encoding: Option<&'static str>| {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        files.push((path, encoding));
    };
    add("utf8.csv", utf8.clone().into_bytes(), Some("UTF-8"));
    add(
        "utf8-bom.csv",
        format!("\u{feff}{utf8}").into_bytes(),
        Some("UTF-8 BOM"),
    );
    let (gb, _, unmappable) = GB18030.encode(&utf8);
    assert!(!unmappable);
    assert!(
        std::str::from_utf8(&gb).is_err(),
        "the GB18030 bytes are not UTF-8"
    );
    add("gb18030.csv", gb.into_owned(), Some("GB18030"));
    add(
        "tabs.tsv",
        csv_text(&rows, b'\t').into_bytes(),
        Some("UTF-8"),
    );
    add(
        "semicolons.CSV",
        csv_text(&rows, b';').into_bytes(),
        Some("UTF-8"),
    );
    let mut utf16 = vec![0xFF, 0xFE];
    for unit in csv_text(&rows, b'\t').encode_utf16() {
        utf16.extend(unit.to_le_bytes());
    }
    add("excel-unicode.txt", utf16, Some("UTF-16LE BOM"));

    // English headers in a shuffled order, plus a column the roster does not know.
    let english = [
        "notes",
        "Document Number",
        "name",
        "road",
        "DISTRICT",
        "lane",
        "number",
        "room",
        "household_phone",
        "document_type",
        "phone",
        "has_smartphone",
    ];
    let order: Vec<usize> = english
        .iter()
        .map(|h| {
            HEADER
                .iter()
                .position(|z| Column::from_header(z) == Column::from_header(h))
                .unwrap()
        })
        .collect();
    let mut shuffled: Vec<Vec<String>> = vec![english.iter().map(|s| s.to_string()).collect()];
    shuffled[0].push("序号".into());
    for (n, r) in rows.iter().skip(1).enumerate() {
        let mut line: Vec<String> = order.iter().map(|&i| r[i].clone()).collect();
        line.push((n + 1).to_string());
        shuffled.push(line);
    }
    add(
        "english.csv",
        csv_text(&shuffled, b',').into_bytes(),
        Some("UTF-8"),
    );

    // XLSX with strings, and with lane / number / room / phones typed as numbers.
    let xlsx = dir.path().join("roster.xlsx");
    write_xlsx(&xlsx, &xlsx_strings(&rows));
    files.push((xlsx, None));
    let numeric = dir.path().join("numbers.xlsx");
    let numbered: Vec<Vec<X>> = rows
        .iter()
        .enumerate()
        .map(|(i, r)| {
            r.iter()
                .enumerate()
                .map(|(c, s)| {
                    let numeric_column = [2, 3, 4, 5, 9].contains(&c);
                    if s.is_empty() {
                        X::Blank
                    } else if i > 0 && numeric_column {
                        X::N(s.parse().unwrap())
                    } else {
                        X::S(s.clone())
                    }
                })
                .collect()
        })
        .collect();
    write_xlsx(&numeric, &numbered);
    files.push((numeric, None));

    let mut expected: Option<Vec<String>> = None;
    for (i, (path, encoding)) in files.iter().enumerate() {
        let file = read_roster_file(path).unwrap();
        assert_eq!(file.encoding, *encoding, "{}", path.display());
        let mut station = open(&dir, &format!("s{i}.db"));
        let report = station.import_roster(path).unwrap();
        assert_eq!(report.errors, vec![], "{}", path.display());
        assert_eq!(report.rows_read, 4);
        assert_eq!(report.outcome.households_added, 3, "{}", path.display());
        assert_eq!(report.outcome.residents_added, 4);
        let ignored: Vec<String> = if path.ends_with("english.csv") {
            vec!["序号".into()]
        } else {
            vec![]
        };
        assert_eq!(report.ignored_columns, ignored);
        let snap = snapshot(&station);
        match &expected {
            None => expected = Some(snap),
            Some(first) => assert_eq!(&snap, first, "{} differs", path.display()),
        }
    }
    let snap = expected.unwrap();
    assert_eq!(snap.len(), 4);
    assert!(
        snap.iter()
            .any(|r| r.contains("独居，\\\"行动不便\\\", 需上门")),
        "{snap:#?}"
    );
    assert!(snap
        .iter()
        .any(|r| r.contains("Text(\"passport\")|Text(\"E12345678\")")));
}

#[test]
fn reimporting_the_same_file_changes_nothing() {
    let dir = TempDir::new().unwrap();
    let mut station = open(&dir, "s.db");
    let path = dir.path().join("roster.xlsx");
    write_xlsx(&path, &xlsx_strings(&sample_rows()));

    let first = station.import_roster(&path).unwrap();
    assert_eq!(first.outcome.residents_added, 4);
    let before = dump(station.connection());
    let again = station.import_roster(&path).unwrap();
    assert_eq!(
        again.outcome,
        nac_core::station::ImportOutcome {
            households_added: 0,
            households_updated: 0,
            residents_added: 0,
            residents_updated: 0,
            residents_unchanged: 4,
            changes: Default::default(),
        }
    );
    assert!(again.errors.is_empty());
    assert_eq!(dump(station.connection()), before);
}

#[test]
fn an_edited_row_updates_the_resident_it_names() {
    let dir = TempDir::new().unwrap();
    let mut station = open(&dir, "s.db");
    let path = dir.path().join("roster.csv");
    let mut rows = sample_rows();
    std::fs::write(&path, csv_text(&rows, b',')).unwrap();
    station.import_roster(&path).unwrap();

    rows[2][9] = "13600002222".into(); // 李建国 got a phone
    rows[3][4] = "401".into(); // 王秀兰 moved to room 401
    std::fs::write(&path, csv_text(&rows, b',')).unwrap();
    let report = station.import_roster(&path).unwrap();
    assert_eq!(report.outcome.households_added, 1);
    assert_eq!(report.outcome.residents_updated, 2);
    assert_eq!(report.outcome.residents_unchanged, 2);
    assert_eq!(
        count(station.connection(), "SELECT count(*) FROM residents"),
        4
    );
}

// ---------------------------------------------------------------- file-level errors

#[test]
fn a_missing_required_column_is_a_file_error_naming_it() {
    let dir = TempDir::new().unwrap();
    let mut station = open(&dir, "s.db");
    let path = dir.path().join("partial.csv");
    let rows = strings(&[
        &["", "", ""],
        &["区", "路", "姓名", "身份证号码", "备注"],
        &["徐汇区", "天钥桥路", "张桂英", &id(1), ""],
    ]);
    std::fs::write(&path, csv_text(&rows, b',')).unwrap();
    let before = dump(station.connection());

    let err = roster_error(station.import_roster(&path));
    assert!(
        matches!(&err, RosterError::MissingColumns { missing, .. } if missing == &vec![Column::Number]),
        "{err:?}"
    );
    let message = err.to_string();
    assert!(
        message.contains("第2行最像表头，但缺少必填列：号"),
        "{message}"
    );
    assert!(
        message.contains("row 2 comes closest but lacks the required columns: number"),
        "{message}"
    );
    assert_eq!(dump(station.connection()), before);

    let path = dir.path().join("two-id-columns.csv");
    let rows = strings(&[&["区", "路", "号", "姓名", "证件号码", "身份证号"]]);
    std::fs::write(&path, csv_text(&rows, b',')).unwrap();
    let err = roster_error(station.import_roster(&path));
    assert!(
        matches!(
            &err,
            RosterError::DuplicateColumn {
                column: Column::DocumentNumber,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("“证件号码”和“身份证号”"));

    let path = dir.path().join("empty.xlsx");
    write_xlsx(&path, &[]);
    assert!(matches!(
        roster_error(station.import_roster(&path)),
        RosterError::NoHeader
    ));

    let path = dir.path().join("old.xls");
    std::fs::write(&path, b"not really").unwrap();
    let err = roster_error(station.import_roster(&path));
    assert!(
        matches!(
            err,
            RosterError::MissingColumns { .. } | RosterError::NoHeaderInSearch
        ),
        "text named .xls is read as text: {err}"
    );
    assert_eq!(dump(station.connection()), before);
}

#[test]
fn files_over_the_size_cap_are_refused_before_reading() {
    let dir = TempDir::new().unwrap();
    let mut station = open(&dir, "s.db");
    let before = dump(station.connection());
    for name in ["big.csv", "big.xlsx"] {
        let path = dir.path().join(name);
        let file = std::fs::File::create(&path).unwrap();
        file.set_len(MAX_FILE_BYTES + 1).unwrap(); // sparse: never read
        let err = roster_error(station.import_roster(&path));
        assert!(
            matches!(err, RosterError::FileTooLarge { limit, .. } if limit == MAX_FILE_BYTES),
            "{err:?}"
        );
        let message = err.to_string();
        assert!(
            message.contains("20.0 MiB") && message.contains("上限"),
            "{message}"
        );
    }
    assert_eq!(dump(station.connection()), before);
}

#[test]
fn a_sheet_over_the_row_cap_is_refused_from_its_dimensions() {
    let dir = TempDir::new().unwrap();
    let mut station = open(&dir, "s.db");
    let before = dump(station.connection());
    let path = dir.path().join("huge.xlsx");
    {
        let mut wb = Workbook::new();
        let ws = wb.add_worksheet();
        for (c, h) in HEADER.iter().enumerate() {
            ws.write_string(0, c as u16, *h).unwrap();
        }
        ws.write_string(1, 0, "徐汇区").unwrap();
        // One cell far down: the used range now has more rows than the cap plus the title
        // rows a header may have above it.
        let last = MAX_DATA_ROWS + HEADER_SEARCH_ROWS + 1;
        ws.write_string(last as u32, 0, "徐汇区").unwrap();
        wb.save(&path).unwrap();
    }
    let err = roster_error(station.import_roster(&path));
    assert!(
        matches!(err, RosterError::SheetTooLarge { rows, limit } if rows == MAX_DATA_ROWS + HEADER_SEARCH_ROWS + 2 && limit == MAX_DATA_ROWS),
        "{err:?}"
    );
    assert!(err.to_string().contains("50000"));
    assert_eq!(dump(station.connection()), before);

    // Exactly at the cap is fine (the rows are invalid, but they are read).
    let path = dir.path().join("at-cap.xlsx");
    {
        let mut wb = Workbook::new();
        let ws = wb.add_worksheet();
        for (c, h) in HEADER.iter().enumerate() {
            ws.write_string(0, c as u16, *h).unwrap();
        }
        ws.write_string(MAX_DATA_ROWS as u32, 0, "徐汇区").unwrap();
        wb.save(&path).unwrap();
    }
    let rows = read_roster(&path).unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].row, MAX_DATA_ROWS + 1);
}

#[test]
fn a_csv_over_the_row_cap_is_refused_and_nothing_is_written() {
    let dir = TempDir::new().unwrap();
    let mut station = open(&dir, "s.db");
    let before = dump(station.connection());
    let mut text = String::from("区,路,号,姓名,证件号码\n");
    for n in 0..=MAX_DATA_ROWS {
        text.push_str(&format!("徐汇区,天钥桥路,{n},张桂英,{}\n", id(1)));
    }
    let path = dir.path().join("long.csv");
    std::fs::write(&path, text).unwrap();
    let err = roster_error(station.import_roster(&path));
    assert!(
        matches!(err, RosterError::TooManyRows { limit } if limit == MAX_DATA_ROWS),
        "{err:?}"
    );
    assert!(err.to_string().contains("50000"));
    assert_eq!(dump(station.connection()), before);
}

#[test]
fn undecodable_text_is_a_clear_error() {
    let dir = TempDir::new().unwrap();
    let mut station = open(&dir, "s.db");
    let path = dir.path().join("binary.csv");
    std::fs::write(&path, [b'a', b',', 0x80, 0xFF, 0xFE, b'\n']).unwrap();
    let err = roster_error(station.import_roster(&path));
    assert!(matches!(err, RosterError::Encoding));
    assert!(err.to_string().contains("GB18030"));
}

// ---------------------------------------------------------------- XLSX cell types

#[test]
fn an_xlsx_with_ids_stored_as_numbers_gets_row_errors_on_document_number() {
    let dir = TempDir::new().unwrap();
    let mut station = open(&dir, "s.db");
    let path = dir.path().join("numbers.xlsx");
    let s = |v: &str| X::S(v.to_string());
    let id_number: f64 = id(1).parse().unwrap();
    let rows = vec![
        vec![
            s("区"),
            s("路"),
            s("号"),
            s("室"),
            s("姓名"),
            s("身份证号"),
            s("地址备注"),
        ],
        vec![
            s("徐汇区"),
            s("天钥桥路"),
            X::N(5.0),
            X::N(301.0),
            s("张桂英"),
            X::N(id_number),
            s("x"),
        ],
        vec![],
        vec![
            s("徐汇区"),
            s("天钥桥路"),
            X::N(5.0),
            X::N(301.0),
            s("李建国"),
            s(&id(3)),
            X::Blank,
        ],
        vec![
            s("徐汇区"),
            s("天钥桥路"),
            X::N(5.0),
            X::N(302.0),
            s("王秀兰"),
            X::N(id(5).parse().unwrap()),
            X::Blank,
        ],
        vec![
            X::Blank,
            X::Blank,
            X::Blank,
            X::Blank,
            X::Blank,
            X::Blank,
            s("只有备注的行"),
        ],
    ];
    write_xlsx(&path, &rows);

    let report = station.import_roster(&path).unwrap();
    assert_eq!(
        pairs(&report),
        vec![(2, Column::DocumentNumber), (5, Column::DocumentNumber)]
    );
    assert_eq!(
        report.rows_read, 3,
        "empty rows and rows with only ignored columns are skipped"
    );
    assert_eq!(report.ignored_columns, vec!["地址备注".to_string()]);
    let e = &report.errors[0];
    assert!(
        e.message.contains("文本") && e.message.contains("Text"),
        "{}",
        e.message
    );
    assert!(
        e.value.starts_with("310") && e.value.contains('*'),
        "{}",
        e.value
    );
    assert_eq!(report.outcome.residents_added, 1);
    // The number is never guessed into an ID.
    assert!(station.find_by_document(&id(1)).unwrap().is_none());
}

#[test]
fn xlsx_dates_and_error_values_are_row_errors_not_guesses() {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("dates.xlsx");
    {
        let mut wb = Workbook::new();
        let date = rust_xlsxwriter::Format::new().set_num_format("yyyy-mm-dd");
        let ws = wb.add_worksheet();
        for (c, h) in [
            "区",
            "路",
            "号",
            "室",
            "姓名",
            "证件号码",
            "备注",
            "有智能手机",
        ]
        .iter()
        .enumerate()
        {
            ws.write_string(0, c as u16, *h).unwrap();
        }
        ws.write_string(1, 0, "徐汇区").unwrap();
        ws.write_string(1, 1, "天钥桥路").unwrap();
        ws.write_string(1, 2, "5").unwrap();
        // "3-1" typed into the room column became 1 March.
        ws.write_number_with_format(1, 3, 46082.0, &date).unwrap();
        ws.write_string(1, 4, "张桂英").unwrap();
        ws.write_string(1, 5, id(1)).unwrap();
        ws.write_number_with_format(1, 6, 46082.0, &date).unwrap();
        ws.write_boolean(1, 7, true).unwrap();
        ws.write_string(2, 0, "徐汇区").unwrap();
        ws.write_string(2, 1, "天钥桥路").unwrap();
        ws.write_string(2, 2, "5").unwrap();
        ws.write_string(2, 4, "李建国").unwrap();
        ws.write_string(2, 5, id(3)).unwrap();
        ws.write_string(2, 7, "也许").unwrap();
        wb.save(&path).unwrap();
    }
    let rows = read_roster(&path).unwrap();
    assert_eq!(
        rows[0].resident.notes, "2026-03-01",
        "dates in notes are kept as text"
    );
    assert!(rows[0].resident.has_smartphone);
    let mut station = open(&dir, "s.db");
    let report = station.import_roster(&path).unwrap();
    assert_eq!(
        pairs(&report),
        vec![(2, Column::Room), (3, Column::HasSmartphone)]
    );
    assert!(report.errors[0].message.contains("日期"));
    assert_eq!(report.errors[0].value, "2026-03-01");
    assert_eq!(report.errors[1].value, "也许");
}

#[test]
fn conflicting_household_phones_in_one_file_are_not_guessed() {
    let dir = TempDir::new().unwrap();
    let mut station = open(&dir, "s.db");
    let rows = strings(&[
        &["区", "路", "号", "室", "户联系电话", "姓名", "证件号码"],
        &[
            "徐汇区",
            "天钥桥路",
            "5",
            "301",
            "13912345678",
            "张桂英",
            &id(1),
        ],
        &["徐汇区", "天钥桥路", "5", "301", "", "李建国", &id(3)],
        &[
            "徐汇区",
            "天钥桥路",
            "5",
            "301",
            "13900000000",
            "王秀兰",
            &id(5),
        ],
        &[
            "徐汇区",
            "天钥桥路",
            "5",
            "302",
            "13900000000",
            "孙丽",
            &id(7),
        ],
    ]);
    let path = dir.path().join("phones.csv");
    std::fs::write(&path, csv_text(&rows, b',')).unwrap();
    let report = station.import_roster(&path).unwrap();
    assert_eq!(
        pairs(&report),
        vec![(2, Column::HouseholdPhone), (4, Column::HouseholdPhone)]
    );
    assert!(report.errors[0].message.contains("第4行"));
    assert_eq!(report.errors[0].value, "139****5678");
    assert_eq!(report.outcome.residents_added, 2);
}

// ---------------------------------------------------------------- export

/// A station with the sample roster, one resident renewed today.
fn seeded(dir: &TempDir) -> Station {
    let mut station = open(dir, "source.db");
    let path = dir.path().join("seed.csv");
    std::fs::write(&path, csv_text(&sample_rows(), b',')).unwrap();
    let report = station.import_roster(&path).unwrap();
    assert!(report.errors.is_empty());
    let resident = station.find_by_document(&id(3)).unwrap().unwrap();
    station.renew(resident, Capacity::Volunteer).unwrap();
    station
}

fn secrets() -> Vec<String> {
    vec![
        id(2),
        id(3),
        id(5),
        "E12345678".into(),
        "13912345678".into(),
        "13812345678".into(),
        "13700001111".into(),
    ]
}

#[test]
fn exports_are_masked_by_default() {
    let dir = TempDir::new().unwrap();
    let station = seeded(&dir);

    let csv_path = dir.path().join("export.csv");
    assert_eq!(station.export_roster(&csv_path, false).unwrap(), 4);
    let bytes = std::fs::read(&csv_path).unwrap();
    assert!(
        bytes.starts_with("\u{feff}".as_bytes()),
        "UTF-8 BOM for Excel"
    );
    let text = String::from_utf8(bytes).unwrap();
    for secret in secrets() {
        assert!(!text.contains(&secret), "{secret} in masked CSV");
    }
    assert!(text.contains(&mask_middle(&id(3), 3, 4)));
    assert!(text.contains("138****5678"));
    let lines: Vec<&str> = text.trim_start_matches('\u{feff}').lines().collect();
    assert_eq!(
        lines[0],
        "区,路,弄,号,室,户联系电话,姓名,证件类型,证件号码,手机号,有智能手机,备注,状态,有效期至,剩余天数"
    );
    let li = lines.iter().find(|l| l.contains("李建国")).unwrap();
    assert!(li.ends_with(",有效,2026-12-27 10:00,30"), "{li}");
    let zhang = lines.iter().find(|l| l.contains("张桂英")).unwrap();
    assert!(zhang.ends_with(",未申领,,"), "{zhang}");
    assert!(zhang.contains(",居民身份证,"));

    let xlsx_path = dir.path().join("export.xlsx");
    assert_eq!(station.export_roster(&xlsx_path, false).unwrap(), 4);
    let cells = xlsx_cells(&xlsx_path);
    let all = cells.concat().join("\u{1f}");
    for secret in secrets() {
        assert!(!all.contains(&secret), "{secret} in masked XLSX");
    }
    assert_eq!(cells[0][8], "证件号码");
    assert_eq!(cells.len(), 5);
    let li = cells.iter().find(|r| r[6] == "李建国").unwrap();
    assert_eq!(li[8], mask_middle(&id(3), 3, 4));
    assert_eq!(&li[12..], ["有效", "2026-12-27 10:00", "30"]);

    // Every export is in the audit log, without the values.
    let exports = count(
        station.connection(),
        "SELECT count(*) FROM audit_log WHERE action = 'roster.export' AND subject LIKE 'masked%'",
    );
    assert_eq!(exports, 2);

    // A masked export cannot be imported back by mistake: every number is refused, clearly.
    let mut other = open(&dir, "other.db");
    let report = other.import_roster(&csv_path).unwrap();
    assert_eq!(report.rows_rejected(), 4);
    assert_eq!(report.outcome, Default::default());
    assert!(report.errors.iter().all(|e| e.message.contains("打码")));
    assert!(report
        .errors
        .iter()
        .any(|e| e.row == 2 && e.field == Column::DocumentNumber));
}

#[test]
fn an_unmasked_export_reimports_with_everything_unchanged() {
    let dir = TempDir::new().unwrap();
    let mut station = seeded(&dir);
    for name in ["full.csv", "full.xlsx"] {
        let path = dir.path().join(name);
        assert_eq!(station.export_roster(&path, true).unwrap(), 4);
        if name.ends_with(".csv") {
            let text = std::fs::read_to_string(&path).unwrap();
            assert!(
                text.contains(&format!("\t{}", id(3))),
                "digits-only IDs are kept as text"
            );
            assert!(text.contains("E12345678"));
        } else {
            let cells = xlsx_cells(&path);
            assert!(cells.iter().any(|r| r[8] == id(3)));
        }
        let before = dump(station.connection());
        let report = station.import_roster(&path).unwrap();
        assert!(report.errors.is_empty(), "{name}: {:#?}", report.errors);
        assert_eq!(
            report.outcome,
            nac_core::station::ImportOutcome {
                residents_unchanged: 4,
                ..Default::default()
            },
            "{name}"
        );
        assert_eq!(report.ignored_columns, ["状态", "有效期至", "剩余天数"]);
        assert_eq!(dump(station.connection()), before, "{name}");

        // And into an empty station it recreates the same roster.
        let mut fresh = open(&dir, &format!("fresh-{name}.db"));
        fresh.import_roster(&path).unwrap();
        assert_eq!(snapshot(&fresh), snapshot(&station), "{name}");
    }
    let unmasked = count(
        station.connection(),
        "SELECT count(*) FROM audit_log WHERE action = 'roster.export' AND subject LIKE 'unmasked%'",
    );
    assert_eq!(unmasked, 2);
}

// ---------------------------------------------------------------- template and docs

#[test]
fn the_documented_template_imports_cleanly_and_matches_the_generated_one() {
    let docs = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/roster-template.csv");
    let dir = TempDir::new().unwrap();
    let generated = dir.path().join("template.csv");
    write_template(&generated).unwrap();
    assert_eq!(
        std::fs::read(&docs).unwrap(),
        std::fs::read(&generated).unwrap(),
        "docs/roster-template.csv is what write_template writes"
    );
    let xlsx = dir.path().join("template.xlsx");
    write_template(&xlsx).unwrap();
    for (i, path) in [docs, xlsx].iter().enumerate() {
        let mut station = open(&dir, &format!("t{i}.db"));
        let report = station.import_roster(path).unwrap();
        assert!(report.errors.is_empty(), "{:#?}", report.errors);
        assert_eq!(report.outcome.households_added, 1);
        assert_eq!(report.outcome.residents_added, 2);
    }
}

#[test]
fn unsupported_extensions_are_refused() {
    let dir = TempDir::new().unwrap();
    let station = open(&dir, "s.db");
    let err = station.export_roster(&dir.path().join("out.pdf"), false);
    assert!(matches!(err, Err(Error::Roster(RosterError::UnknownFormat(e))) if e == "pdf"));
}

// ---------------------------------------------------------------- timing

/// `cargo test --release -p nac-core --test it -- --ignored --nocapture roster_import::`
#[test]
#[ignore = "timing; run in release mode"]
fn time_import_of_a_10000_row_xlsx() {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("10k.xlsx");
    let mut rows = vec![HEADER.iter().map(|s| s.to_string()).collect::<Vec<_>>()];
    for n in 0..10_000u32 {
        let birth = format!("19{:02}{:02}{:02}", 30 + n % 60, 1 + n % 12, 1 + n % 28);
        rows.push(
            [
                "徐汇区".to_string(),
                format!("路{}", n % 37),
                format!("{}", n % 200),
                format!("{}", n % 50),
                format!("{}", 100 + n % 4),
                String::new(),
                "张桂英".to_string(),
                String::new(),
                valid_id("310104", &birth, n / 300),
                format!("138{:08}", n),
                "否".to_string(),
                String::new(),
            ]
            .to_vec(),
        );
    }
    write_xlsx(&path, &xlsx_strings(&rows));
    let mut station = open(&dir, "s.db");
    let start = std::time::Instant::now();
    let report = station.import_roster(&path).unwrap();
    let elapsed = start.elapsed();
    assert!(
        report.errors.is_empty(),
        "{:#?}",
        &report.errors[..3.min(report.errors.len())]
    );
    assert_eq!(report.outcome.residents_added, 10_000);
    let start = std::time::Instant::now();
    let again = station.import_roster(&path).unwrap();
    let second = start.elapsed();
    assert_eq!(again.outcome.residents_unchanged, 10_000);
    println!(
        "import 10,000-row XLSX ({} KiB): first {:.0} ms, re-import {:.0} ms",
        std::fs::metadata(&path).unwrap().len() / 1024,
        elapsed.as_secs_f64() * 1000.0,
        second.as_secs_f64() * 1000.0
    );
}
