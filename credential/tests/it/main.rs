//! The credential's integration tests, one test binary: `cargo test -p nac-credential --test it`.

mod common;

mod doc_vectors;
mod fuzz;
mod fuzz_regressions;
mod tamper;
mod verify;
