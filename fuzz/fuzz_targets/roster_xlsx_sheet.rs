//! Structure-aware XLSX: the input is `xl/worksheets/sheet1.xml` (optionally followed by
//! `office_wrap::SST_MARKER` and `xl/sharedStrings.xml`), wrapped into a minimal valid workbook so
//! every execution reaches calamine's sheet and shared-strings parsers and the roster reader.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nac_fuzz::{office_wrap::xlsx_from_input, roster_check::check_roster_file, scratch_file};

fuzz_target!(init: nac_fuzz::let_dependency_panics_unwind(), |data: &[u8]| {
    let _ = check_roster_file(&scratch_file(&xlsx_from_input(data), "xlsx"));
});
