//! Arbitrary bytes as a `.xlsx` roster file: read (zip, workbook, sheet), then validate rows.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nac_fuzz::{roster_check::check_roster_file, scratch_file};

fuzz_target!(init: nac_fuzz::let_dependency_panics_unwind(), |data: &[u8]| {
    let _ = check_roster_file(&scratch_file(data, "xlsx"));
});
