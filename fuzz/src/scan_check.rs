//! The QR image fuzz harness: what the `qr_image` target checks for one input.
//!
//! Shared word for word by the fuzz target (`fuzz/src/lib.rs`) and the stable regression test
//! `scan/tests/fuzz_regressions.rs` (included there with `#[path]`). Uses only `nac-scan`.
//!
//! `decode_image` must return texts or a `ScanError`, never panic, abort or exceed the memory
//! limits (the fuzzer runs it under `-rss_limit_mb=512`, which also caps single allocations).
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

/// Scans `data` as an image file; returns how many QR texts were found, or the error's text.
pub fn check_image(data: &[u8]) -> Result<usize, String> {
    match nac_scan::decode_image(data) {
        Ok(texts) => Ok(texts.len()),
        Err(e) => Err(e.to_string()),
    }
}
