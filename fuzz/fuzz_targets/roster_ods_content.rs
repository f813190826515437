//! Structure-aware ODS: the input is `content.xml`, wrapped into a minimal OpenDocument
//! spreadsheet so every execution reaches the `.ods` bounds walk and calamine's ODS parser.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nac_fuzz::{office_wrap::ods, roster_check::check_roster_file, scratch_file};

fuzz_target!(init: nac_fuzz::let_dependency_panics_unwind(), |data: &[u8]| {
    let _ = check_roster_file(&scratch_file(&ods(data), "ods"));
});
