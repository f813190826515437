//! The PDF engine's integration tests, one test binary: `cargo test -p nac-print --test it`.
//! Rendered PDFs are checked with the real tools (poppler, zbarimg: `nac_test_support::pdf`).

mod cups;
mod demo_mark;
mod pdf_tools;
mod streaming_memory;
