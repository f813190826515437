//! Rosters as community offices keep them (issue 10), from files written by LibreOffice Calc
//! (`core/tests/fixtures/office/`, made by `scripts/make-office-fixtures.sh`; the README there
//! gives each file's expected outcome): legacy `.xls` and `.ods`, title rows above the header,
//! several sheets, renamed files, ID numbers cut to 15 digits by a spreadsheet. The last test
//! round-trips exports through LibreOffice itself.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use nac_core::roster::{
    read_roster_file, Column, FileFormat, ImportOptions, ImportReport, RosterError,
};
use nac_core::{Error, Station};
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::process::Command;
use tempfile::TempDir;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/office")
        .join(name)
}

fn station(dir: &TempDir, name: &str) -> Station {
    common::import_station(dir, name)
}

fn import(path: &Path, accept_warnings: bool) -> (ImportReport, Vec<String>) {
    let dir = TempDir::new().unwrap();
    let mut s = station(&dir, "s.db");
    let report = s
        .import_roster_with(path, ImportOptions { accept_warnings }, &mut |_, _| {
            ControlFlow::Continue(())
        })
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    (report, residents(&s))
}

/// The residents as stored, without ids or timestamps, in document order.
fn residents(station: &Station) -> Vec<String> {
    let mut stmt = station
        .connection()
        .prepare(
            "SELECT h.district, h.road, h.lane, h.number, h.room, h.phone, r.name, r.doc_type,
                    r.doc_number, r.phone, r.notes, r.has_smartphone
             FROM residents r JOIN households h ON h.id = r.household_id ORDER BY r.doc_number",
        )
        .unwrap();
    stmt.query_map([], |r| {
        Ok((0..12)
            .map(|i| format!("{:?}", r.get::<_, rusqlite::types::Value>(i).unwrap()))
            .collect::<Vec<_>>()
            .join("|"))
    })
    .unwrap()
    .collect::<Result<_, _>>()
    .unwrap()
}

fn rows_of(report: &ImportReport) -> Vec<usize> {
    report.errors.iter().map(|e| e.row).collect()
}

#[test]
fn xls_ods_csv_and_xlsx_from_an_office_suite_import_identically() {
    let (reference, stored) = import(&fixture("plain.xlsx"), false);
    assert!(reference.errors.is_empty(), "{:?}", reference.errors);
    assert_eq!(reference.rows_imported(), 6);
    assert_eq!(reference.outcome.households_added, 4);
    assert_eq!(stored.len(), 6);
    assert!(
        stored.iter().any(|r| r.contains("\"吴𠮷祥\"")),
        "a character outside the BMP survives: {stored:?}"
    );
    assert!(
        stored.iter().any(|r| r.contains("Text(\"13900001234\")")),
        "number cells read as typed, not 13900001234.0: {stored:?}"
    );
    let raw = read_roster_file(&fixture("plain.xlsx")).unwrap().rows;
    for (name, format) in [
        ("plain.xls", FileFormat::Xls),
        ("plain.ods", FileFormat::Ods),
        ("plain.csv", FileFormat::Csv),
        ("plain-gb18030.csv", FileFormat::Csv),
    ] {
        let file = read_roster_file(&fixture(name)).unwrap();
        assert_eq!(file.format, format, "{name}");
        assert_eq!(file.rows, raw, "{name}: the same rows as the .xlsx");
        let (report, got) = import(&fixture(name), false);
        assert!(report.errors.is_empty(), "{name}: {:?}", report.errors);
        assert_eq!(report.outcome, reference.outcome, "{name}");
        assert_eq!(got, stored, "{name}");
    }
    assert_eq!(
        read_roster_file(&fixture("plain-gb18030.csv"))
            .unwrap()
            .encoding,
        Some("GB18030")
    );
}

#[test]
fn title_rows_above_the_header_import_like_the_plain_file() {
    let (_, plain) = import(&fixture("plain.xlsx"), false);
    for name in ["title-rows.xlsx", "title-rows.xls", "title-rows.ods"] {
        let file = read_roster_file(&fixture(name)).unwrap();
        assert_eq!(file.header_row, 4, "{name}");
        assert_eq!(
            file.rows.iter().map(|r| r.row).collect::<Vec<_>>(),
            [5, 6, 7, 8, 9, 10],
            "{name}: rows numbered as the sheet shows them"
        );
        let (report, stored) = import(&fixture(name), false);
        assert!(report.errors.is_empty(), "{name}: {:?}", report.errors);
        assert_eq!(report.header_row, 4);
        assert_eq!(stored, plain, "{name}");
    }
}

#[test]
fn a_roster_on_a_later_sheet_is_found_and_named() {
    let (_, plain) = import(&fixture("plain.xlsx"), false);
    for name in ["multi-sheet.xlsx", "multi-sheet.ods"] {
        let (report, stored) = import(&fixture(name), false);
        assert_eq!(report.sheet.as_deref(), Some("住户名册"), "{name}");
        assert_eq!(stored, plain, "{name}");
        let json = serde_json::to_value(&report).unwrap();
        assert_eq!(json["sheet"], "住户名册");
    }
}

#[test]
fn no_header_in_the_first_rows_names_the_closest_row_and_what_it_lacks() {
    let err = read_roster_file(&fixture("no-header.xlsx")).unwrap_err();
    let RosterError::MissingColumns { row, missing } = &err else {
        panic!("expected MissingColumns, got {err}");
    };
    assert_eq!(
        (*row, missing.as_slice()),
        (4, &[Column::DocumentNumber][..])
    );
    let message = err.to_string();
    assert!(
        message.contains("第4行") && message.contains("证件号码"),
        "{message}"
    );

    let dir = TempDir::new().unwrap();
    let mut s = station(&dir, "s.db");
    let before = common::dump(s.connection());
    assert!(matches!(
        s.import_roster(&fixture("no-header.xlsx")),
        Err(Error::Roster(RosterError::MissingColumns { .. }))
    ));
    assert_eq!(common::dump(s.connection()), before);
}

#[test]
fn renamed_files_are_read_by_their_content() {
    let (_, plain) = import(&fixture("plain.xlsx"), false);
    for (name, format, real) in [
        ("renamed-xls.xlsx", FileFormat::Xls, ".xls"),
        ("renamed-xls.csv", FileFormat::Xls, ".xls"),
        ("renamed-xlsx.csv", FileFormat::Xlsx, ".xlsx"),
    ] {
        let file = read_roster_file(&fixture(name)).unwrap();
        assert_eq!(file.format, format, "{name}");
        let (report, stored) = import(&fixture(name), false);
        assert_eq!(stored, plain, "{name}");
        assert_eq!(report.notices.len(), 1, "{name}");
        assert!(
            report.notices[0].contains(real) && report.notices[0].contains("named ."),
            "{name}: {}",
            report.notices[0]
        );
    }
}

#[test]
fn numbers_cut_to_15_digits_are_refused_with_the_cause_and_never_stored() {
    const CUT: [&str; 5] = [
        "310105193203221000",
        "310105193508141000",
        "310104194001012000",
        "310105194711300000",
        "310104193304053000",
    ];
    for name in ["truncated-ids.csv", "truncated-ids.xlsx"] {
        let (report, stored) = import(&fixture(name), false);
        assert_eq!(
            rows_of(&report),
            [2, 4, 5, 7, 8],
            "{name}: {:?}",
            report.errors
        );
        for e in &report.errors {
            assert_eq!(e.field, Column::DocumentNumber);
            assert!(
                e.message.contains("截成了15位") && e.message.contains("cut to 15 digits"),
                "{name} row {}: {}",
                e.row,
                e.message
            );
        }
        assert_eq!(report.notices.len(), 1, "{name}: said once at the top");
        assert!(report.notices[0].contains("15"), "{}", report.notices[0]);
        assert_eq!(stored.len(), 2, "{name}: only the two good rows");
        for cut in CUT {
            assert!(
                !stored.iter().any(|r| r.contains(cut)),
                "{name}: nobody stored under the cut number {cut}"
            );
        }
    }
}

#[test]
fn numbers_stored_as_number_cells_show_as_the_sheet_shows_them() {
    for name in ["truncated-ids-numeric.xlsx", "truncated-ids-numeric.xls"] {
        let (report, stored) = import(&fixture(name), false);
        assert_eq!(rows_of(&report), [2, 4, 5, 7, 8], "{name}");
        let first = &report.errors[0];
        assert!(first.message.contains("15"), "{}", first.message);
        assert_eq!(
            first.value, "310***********1000",
            "{name}: the value as the sheet shows it (15 significant digits), not …0992"
        );
        assert_eq!(stored.len(), 2, "{name}");
    }
}

#[test]
fn one_plausible_number_ending_in_000_needs_a_confirmation() {
    let path = fixture("single-truncated.csv");
    let (held, stored) = import(&path, false);
    assert!(held.errors.is_empty(), "{:?}", held.errors);
    assert_eq!(held.warnings.len(), 1);
    assert_eq!(held.warnings[0].row, 5);
    assert_eq!(held.warnings[0].field, Column::DocumentNumber);
    assert!(held.warnings[0].message.contains("000"));
    assert_eq!((held.rows_held(), held.rows_imported()), (1, 6));
    assert!(!stored.iter().any(|r| r.contains("310104193607141000")));

    let (accepted, stored) = import(&path, true);
    assert_eq!(accepted.warnings.len(), 1, "still listed, for the record");
    assert_eq!((accepted.rows_held(), accepted.rows_imported()), (0, 7));
    assert_eq!(accepted.outcome.residents_added, 7);
    assert!(stored.iter().any(|r| r.contains("310104193607141000")));
}

#[test]
fn a_short_number_stored_as_a_number_is_told_that_leading_zeros_may_be_lost() {
    let (report, stored) = import(&fixture("short-numeric.xlsx"), false);
    assert_eq!(rows_of(&report), [2]);
    let e = &report.errors[0];
    assert_eq!(e.field, Column::DocumentNumber);
    assert!(
        e.message.contains("开头的0可能已丢失") && e.message.contains("leading zeros may be lost"),
        "{}",
        e.message
    );
    assert!(
        !e.message.contains("15"),
        "not the 15-digit message: {}",
        e.message
    );
    assert_eq!(stored.len(), 1);
}

// ------------------------------------------------ round trip through LibreOffice

fn soffice() -> Option<PathBuf> {
    ["soffice", "libreoffice"].iter().find_map(|tool| {
        std::env::var_os("PATH")
            .iter()
            .flat_map(std::env::split_paths)
            .map(|d| d.join(tool))
            .find(|p| p.is_file())
    })
}

/// Opens `file` in LibreOffice Calc (headless) and saves it again in the same format, as a
/// volunteer who opens an export, looks at it and presses save.
fn resave(soffice: &Path, file: &Path, work: &Path) -> PathBuf {
    let out = work.join("resaved");
    std::fs::create_dir_all(&out).unwrap();
    let profile = format!("file://{}", work.join("lo-profile").display());
    let ext = file.extension().unwrap().to_str().unwrap();
    let mut cmd = Command::new(soffice);
    cmd.arg(format!("-env:UserInstallation={profile}")).args([
        "--headless",
        "--norestore",
        "--nolockcheck",
    ]);
    if ext == "csv" {
        // What Calc's CSV dialog offers for a UTF-8 file: comma, double quotes, UTF-8 (76),
        // from line 1; saving keeps the same (the text as shown, quoted where needed).
        cmd.args(["--infilter=CSV:44,34,76,1"]).args([
            "--convert-to",
            "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,true,false,false",
        ]);
    } else {
        cmd.args(["--convert-to", "xlsx:Calc MS Excel 2007 XML"]);
    }
    let status = cmd.arg("--outdir").arg(&out).arg(file).output().unwrap();
    assert!(
        status.status.success(),
        "soffice failed: {}",
        String::from_utf8_lossy(&status.stderr)
    );
    let resaved = out.join(file.file_name().unwrap());
    assert!(
        resaved.exists(),
        "soffice wrote nothing for {}",
        file.display()
    );
    resaved
}

#[test]
fn exports_opened_and_saved_again_by_libreoffice_import_with_nothing_changed() {
    let Some(soffice) = soffice() else {
        assert!(
            std::env::var("CI").is_err(),
            "CI must have LibreOffice (scripts/setup.sh installs libreoffice-calc-nogui)"
        );
        eprintln!("skipped: LibreOffice not found");
        return;
    };
    let dir = TempDir::new().unwrap();
    let mut source = station(&dir, "source.db");
    source.import_roster(&fixture("plain.xlsx")).unwrap();
    let before = common::dump(source.connection());
    for ext in ["xlsx", "csv"] {
        let export = dir.path().join(format!("export.{ext}"));
        source.export_roster(&export, true).unwrap();
        let resaved = resave(&soffice, &export, dir.path());
        let report = source.import_roster(&resaved).unwrap();
        assert!(report.errors.is_empty(), "{ext}: {:?}", report.errors);
        assert_eq!(
            report.outcome.residents_unchanged, 6,
            "{ext}: {:?}",
            report.outcome
        );
        // Everything but the audit log and its head, which gained the export's entry.
        let without_audit = |dump: &str| {
            let start = dump.find("== audit_head").unwrap();
            let end = start + dump[start..].find("\n== codes").unwrap();
            format!("{}{}", &dump[..start], &dump[end..])
        };
        assert_eq!(
            without_audit(&common::dump(source.connection())),
            without_audit(&before),
            "{ext}: nothing changed"
        );
    }
}
