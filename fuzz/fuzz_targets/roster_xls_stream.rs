//! Structure-aware XLS: the input is the BIFF `Workbook` stream, wrapped into a valid OLE2
//! compound file so every execution reaches the `.xls` bounds walk and calamine's BIFF parser.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nac_fuzz::{office_wrap::xls, roster_check::check_roster_file, scratch_file};

fuzz_target!(init: nac_fuzz::let_dependency_panics_unwind(), |data: &[u8]| {
    let _ = check_roster_file(&scratch_file(&xls(data), "xls"));
});
