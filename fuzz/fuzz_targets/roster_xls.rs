//! Arbitrary bytes as a `.xls` roster file (seeded with OLE2 / BIFF8 workbooks; the reader tells
//! the format by content, so zip workbooks and text are reached too) → `validate_rows`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nac_fuzz::{roster_check::check_roster_file, scratch_file};

fuzz_target!(init: nac_fuzz::let_dependency_panics_unwind(), |data: &[u8]| {
    let _ = check_roster_file(&scratch_file(data, "xls"));
});
