//! The QR reader's integration tests, one test binary: `cargo test -p nac-scan --test it`.

mod decode;
mod fuzz_regressions;
