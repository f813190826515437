//! Replays the roster fuzz targets' inputs under stable `cargo test`: every hand-made seed
//! (`fuzz/seeds/roster_*`), every file of the minimised corpora (`fuzz/corpus/roster_*`) and
//! every saved crash input (`fuzz/regressions/roster_*`) goes through the same harness the fuzzer
//! runs (`fuzz/src/roster_check.rs`: `read_roster_file`, then `validate_rows` and the import
//! contract). Each must end in `Ok` or a `RosterError`, never a panic or an abort.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../../../fuzz/src/office_wrap.rs"]
mod office_wrap;
#[path = "../../../fuzz/src/roster_check.rs"]
mod roster_check;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

/// The files of `fuzz/<kind>/<target>/` (none if the folder does not exist), sorted.
fn inputs(kind: &str, target: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fuzz")
        .join(kind)
        .join(target);
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.is_file()
                && !p
                    .file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with('.') || n == "README.md")
        })
        .collect();
    files.sort();
    files
}

/// Runs every input of `target` (seeds, corpus and regressions), turned into file bytes by `prepare`,
/// as a `.{ext}` file; fails listing every input that panicked. Returns how many ran.
fn replay(target: &str, ext: &str, prepare: Prepare) -> usize {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(format!("input.{ext}"));
    let mut failures = Vec::new();
    let mut count = 0;
    for kind in ["seeds", "corpus", "regressions"] {
        for input in inputs(kind, target) {
            let bytes = prepare(&std::fs::read(&input).unwrap());
            std::fs::write(&path, bytes).unwrap();
            count += 1;
            match catch_unwind(AssertUnwindSafe(|| roster_check::check_roster_file(&path))) {
                Ok(Ok(_rows)) => {}
                Ok(Err(e)) => {
                    // A file-level error is a fine answer; it must name its kind.
                    assert!(!e.code().is_empty());
                }
                Err(_) => failures.push(input.display().to_string()),
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{target}: these inputs panicked (see the messages above): {failures:#?}"
    );
    count
}

/// How a fuzz input becomes the bytes of the file that is read.
type Prepare = fn(&[u8]) -> Vec<u8>;

/// Each roster target: its name, the extension its inputs are written under, and how an input
/// becomes file bytes (as in `fuzz/fuzz_targets/<target>.rs`).
const TARGETS: [(&str, &str, Prepare); 6] = [
    ("roster_csv", "csv", <[u8]>::to_vec),
    ("roster_xlsx", "xlsx", <[u8]>::to_vec),
    ("roster_xls", "xls", <[u8]>::to_vec),
    ("roster_xlsx_sheet", "xlsx", office_wrap::xlsx_from_input),
    ("roster_ods_content", "ods", office_wrap::ods),
    ("roster_xls_stream", "xls", office_wrap::xls),
];

fn replay_target(name: &str) {
    let (target, ext, prepare) = TARGETS.iter().find(|t| t.0 == name).copied().unwrap();
    let n = replay(target, ext, prepare);
    assert!(
        n > 0,
        "the {target} seeds are missing (fuzz/seeds/{target})"
    );
}

#[test]
fn roster_csv_inputs_import_or_fail_cleanly() {
    replay_target("roster_csv");
}

#[test]
fn roster_xlsx_inputs_import_or_fail_cleanly() {
    replay_target("roster_xlsx");
}

#[test]
fn roster_xls_inputs_import_or_fail_cleanly() {
    replay_target("roster_xls");
}

#[test]
fn roster_xlsx_sheet_inputs_import_or_fail_cleanly() {
    replay_target("roster_xlsx_sheet");
}

#[test]
fn roster_ods_content_inputs_import_or_fail_cleanly() {
    replay_target("roster_ods_content");
}

#[test]
fn roster_xls_stream_inputs_import_or_fail_cleanly() {
    replay_target("roster_xls_stream");
}

/// The structure-aware wrappers build containers the reader accepts: a seed sheet, content or
/// stream taken from a real file imports rows, so the fuzzer starts past the container layer.
#[test]
fn wrapped_seeds_reach_the_rows() {
    let dir = tempfile::tempdir().unwrap();
    for (target, ext, prepare) in &TARGETS[3..] {
        let mut best = 0;
        for input in inputs("seeds", target) {
            let path = dir.path().join(format!("input.{ext}"));
            std::fs::write(&path, prepare(&std::fs::read(&input).unwrap())).unwrap();
            if let Ok(n) = roster_check::check_roster_file(&path) {
                best = best.max(n);
            }
        }
        assert!(best > 0, "no {target} seed reads any row");
    }
}
