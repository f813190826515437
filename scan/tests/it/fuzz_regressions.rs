//! Replays the `qr_image` fuzz target's inputs under stable `cargo test`: every hand-made seed
//! (`fuzz/seeds/qr_image`), every file of the minimised corpus (`fuzz/corpus/qr_image`) and every
//! saved crash input (`fuzz/regressions/qr_image`) goes through the same harness the fuzzer runs
//! (`fuzz/src/scan_check.rs`): `decode_image` must answer texts or a `ScanError`, never panic.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../../../fuzz/src/scan_check.rs"]
mod scan_check;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

/// The files of `fuzz/<kind>/qr_image/` (none if the folder does not exist), sorted.
fn inputs(kind: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fuzz")
        .join(kind)
        .join("qr_image");
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

#[test]
fn qr_image_inputs_scan_or_fail_cleanly() {
    let mut failures = Vec::new();
    let mut count = 0;
    for kind in ["seeds", "corpus", "regressions"] {
        for input in inputs(kind) {
            let bytes = std::fs::read(&input).unwrap();
            count += 1;
            if catch_unwind(AssertUnwindSafe(|| scan_check::check_image(&bytes))).is_err() {
                failures.push(input.display().to_string());
            }
        }
    }
    assert!(count > 0, "the qr_image seed corpus is missing");
    assert!(
        failures.is_empty(),
        "these inputs panicked (see the messages above): {failures:#?}"
    );
}

/// The seed pictures named `code_*` really hold a readable code, so the corpus reaches the
/// detector and decoder, not only the image parsers.
#[test]
fn seed_pictures_with_a_code_decode() {
    let seeds = inputs("seeds");
    let coded: Vec<_> = seeds
        .iter()
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("code_"))
        })
        .collect();
    assert!(!coded.is_empty(), "no code_* seeds in fuzz/seeds/qr_image");
    for p in coded {
        let found = scan_check::check_image(&std::fs::read(p).unwrap());
        assert!(
            matches!(found, Ok(n) if n >= 1),
            "{}: {found:?}",
            p.display()
        );
    }
}
