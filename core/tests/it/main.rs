//! The core's integration tests, one test binary: `cargo test -p nac-core --test it` (a module
//! of it: `--test it -- rules::`). Fixtures are in `core/tests/fixtures/`. proptest keeps the
//! failing cases of a module beside this binary's directory, in
//! `core/tests/proptest-regressions/<module>.txt` (it looks there when the source's directory
//! holds a main.rs), and replays them first.

mod common;

mod accounts;
mod audit_chain;
mod demo;
mod domain;
mod encryption;
mod file_custody;
mod fuzz_regressions;
mod hostile_input;
mod importer_properties;
mod masking;
mod office_files;
mod roster_crud;
mod roster_import;
mod rules;
mod search;
mod station_files;
