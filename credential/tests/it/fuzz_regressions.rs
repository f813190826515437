//! Replays the credential fuzz targets' inputs under stable `cargo test`: every hand-made seed
//! (`fuzz/seeds/credential_*`), every file of the minimised corpora (`fuzz/corpus/credential_*`)
//! and every saved crash input (`fuzz/regressions/credential_*`) goes through the same harness
//! the fuzzer runs (`fuzz/src/credential_check.rs`: `verify`'s contract, Base45 round trips,
//! re-issuing).
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../../../fuzz/src/credential_check.rs"]
mod credential_check;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use nac_credential::Verdict;

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

/// Runs `check` on every input of `target` (seeds, corpus and regressions); fails listing every input
/// that panicked. Returns how many ran.
fn replay(target: &str, check: fn(&[u8])) -> usize {
    let mut failures = Vec::new();
    let mut count = 0;
    for kind in ["seeds", "corpus", "regressions"] {
        for input in inputs(kind, target) {
            let bytes = std::fs::read(&input).unwrap();
            count += 1;
            if catch_unwind(AssertUnwindSafe(|| check(&bytes))).is_err() {
                failures.push(input.display().to_string());
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{target}: these inputs panicked (see the messages above): {failures:#?}"
    );
    count
}

#[test]
fn credential_verify_inputs() {
    assert!(replay("credential_verify", credential_check::check_bytes) > 0);
}

#[test]
fn credential_cose_inputs() {
    assert!(replay("credential_cose", credential_check::check_cose) > 0);
}

#[test]
fn credential_claims_inputs() {
    assert!(replay("credential_claims", credential_check::check_claims) > 0);
}

/// The seeds cover the verdicts they are named after, so the corpus really reaches past the
/// signature (a harness change that made every seed malformed would fail here).
#[test]
fn seed_credentials_reach_their_verdicts() {
    let expected = [
        ("valid.txt", Verdict::Valid),
        ("expired.txt", Verdict::Expired),
        ("superseded.txt", Verdict::Superseded),
        ("rejected.txt", Verdict::Rejected),
        ("invalid_window.txt", Verdict::InvalidWindow),
        ("not_yet_valid.txt", Verdict::NotYetValid),
        ("other_station.txt", Verdict::Forged),
        ("unknown_issuer.txt", Verdict::UnknownIssuer),
        ("lowercase.txt", Verdict::Valid),
    ];
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/seeds/credential_verify");
    for (name, verdict) in expected {
        let text = std::fs::read_to_string(dir.join(name)).unwrap();
        assert_eq!(
            credential_check::check_text(&text).verdict,
            verdict,
            "{name}"
        );
    }
}
