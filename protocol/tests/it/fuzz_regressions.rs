//! Replays the `protocol_messages` fuzz target's inputs under stable `cargo test`: the seeds
//! (`fuzz/seeds/protocol_messages`, one per worked example in docs/sync.md), the minimised corpus
//! and every saved crash input go through the same harness the fuzzer runs
//! (`fuzz/src/protocol_check.rs`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../../../fuzz/src/protocol_check.rs"]
mod protocol_check;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;

fn inputs(kind: &str) -> Vec<std::path::PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fuzz")
        .join(kind)
        .join("protocol_messages");
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<_> = entries
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file() && p.file_name().is_some_and(|n| n != "README.md"))
        .collect();
    files.sort();
    files
}

#[test]
fn every_saved_input_goes_through_the_harness() {
    let mut failures = Vec::new();
    let mut count = 0;
    for kind in ["seeds", "corpus", "regressions"] {
        for input in inputs(kind) {
            let bytes = std::fs::read(&input).unwrap();
            count += 1;
            if catch_unwind(AssertUnwindSafe(|| protocol_check::check(&bytes))).is_err() {
                failures.push(input.display().to_string());
            }
        }
    }
    assert!(failures.is_empty(), "these inputs panicked: {failures:#?}");
    assert!(count >= protocol_check::TYPES.len(), "only {count} inputs");
}

#[test]
fn every_seed_is_a_message_of_the_type_its_selector_names() {
    // A seed that does not decode would only exercise the error paths.
    for input in inputs("seeds") {
        let bytes = std::fs::read(&input).unwrap();
        let name = input.file_name().unwrap().to_str().unwrap();
        let ty = protocol_check::TYPES[usize::from(bytes[0]) % protocol_check::TYPES.len()];
        assert!(name.starts_with(ty), "{name} is selected as {ty}");
        if ty != "SignedHeaders" {
            let value: serde_json::Value = serde_json::from_slice(&bytes[1..]).unwrap();
            assert_eq!(value["v"], 1, "{name}");
        }
    }
}
