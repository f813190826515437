//! The hub's integration tests, one test binary: `cargo test -p nac-hub --test it` (the
//! conformance suite on one backend: `--test it -- conformance_sqlite::`).

#[macro_use]
mod support;
// `conformance_suite!` (instantiated by the two backends' modules below).
#[macro_use]
mod conformance;

mod conformance_postgres;
mod conformance_sqlite;
mod console_http;
mod http_api;
mod robustness;
mod settings;
mod stolen_database;
