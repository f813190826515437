//! The roster fuzz harness: what the roster targets check for one file.
//!
//! Shared word for word by the fuzz targets (`fuzz/src/lib.rs`) and the stable regression test
//! `core/tests/fuzz_regressions.rs` (included there with `#[path]`), so a saved crash input
//! replays under `cargo test` exactly as the fuzzer ran it. Uses only `nac-roster` and `chrono`.
//!
//! Besides "never panics, never aborts", a file that reads is checked for the import contract:
//! data rows numbered strictly increasing below the header row, and `validate_rows` turning
//! every row into exactly one of: a draft, a held draft (with warnings), or errors.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;
use std::path::Path;

use chrono::NaiveDate;
use nac_roster::{read_roster_file, validate_rows, FileFormat, RosterError};

/// Checks named in the environment variable `NAC_FUZZ_ALLOW` (comma-separated) are skipped: a
/// way to keep fuzzing past a known, reported contract violation until it is fixed (never set
/// in CI or in the tests). Names: `row_order`.
fn allowed(check: &str) -> bool {
    std::env::var("NAC_FUZZ_ALLOW").is_ok_and(|v| v.split(',').any(|c| c.trim() == check))
}

/// The day the rows are validated on (ages, expiry dates).
pub fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 27).expect("a real date")
}

/// Reads the roster file at `path` and validates its rows, checking the contract; returns the
/// number of rows read, or the file's error.
pub fn check_roster_file(path: &Path) -> Result<usize, RosterError> {
    let file = match read_roster_file(path) {
        Ok(file) => file,
        Err(e) => {
            // Messages and codes of every error must render.
            let _ = e.to_string();
            let _ = e.code();
            return Err(e);
        }
    };
    let text = file.format == FileFormat::Csv;
    assert_eq!(
        file.encoding.is_some(),
        text,
        "an encoding exactly for text files: {:?} {:?}",
        file.format,
        file.encoding
    );
    assert_eq!(
        file.sheet.is_some(),
        !text,
        "a sheet name exactly for workbooks: {:?} {:?}",
        file.format,
        file.sheet
    );
    let mut previous = file.header_row;
    let mut ordered = true;
    for row in &file.rows {
        ordered &= row.row > previous;
        assert!(
            ordered || allowed("row_order"),
            "row numbers must increase below the header (row {}): {} after {previous}",
            file.header_row,
            row.row
        );
        previous = row.row;
    }
    let numbers: BTreeSet<usize> = file.rows.iter().map(|r| r.row).collect();
    let n = file.rows.len();
    let v = validate_rows(file.rows, today());
    let rejected: BTreeSet<usize> = v.errors.iter().map(|e| e.row).collect();
    let warned: BTreeSet<usize> = v.warnings.iter().map(|e| e.row).collect();
    for e in v.errors.iter().chain(&v.warnings) {
        assert!(
            numbers.contains(&e.row),
            "a report line for row {} not read",
            e.row
        );
        let _ = e.to_string();
    }
    if !ordered {
        return Ok(n); // with repeated row numbers, the counts below cannot be told apart
    }
    assert!(
        rejected.is_disjoint(&warned),
        "rows both rejected and held: {:?}",
        rejected.intersection(&warned).collect::<Vec<_>>()
    );
    assert_eq!(warned.len(), v.held.len(), "one held row per warned row");
    assert_eq!(
        v.drafts.len() + v.held.len() + rejected.len(),
        n,
        "every row must give a draft, a held draft or errors ({} drafts, {} held, {} rejected, \
         {n} rows)",
        v.drafts.len(),
        v.held.len(),
        rejected.len()
    );
    Ok(n)
}
