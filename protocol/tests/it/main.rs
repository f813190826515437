//! The sync protocol's integration tests, one test binary: `cargo test -p nac-protocol --test it`.

mod common;

mod auth;
mod decode_fuzz;
mod doc_examples;
mod fuzz_regressions;
mod messages;
