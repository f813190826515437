//! Arbitrary bytes as an image file handed to the QR scanner (`nac_scan::decode_image`).
//!
//! `decode_image` runs the QR detector (rqrr) inside `catch_unwind` and turns its panics into
//! `ScanError::Decoder`; `let_dependency_panics_unwind` lets such panics reach that handler
//! (and logs them) instead of aborting in libFuzzer's panic hook. A panic that escapes
//! `decode_image`, or one in the project's own code, is still a crash.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nac_fuzz::scan_check::check_image;

fuzz_target!(init: nac_fuzz::let_dependency_panics_unwind(), |data: &[u8]| {
    let _ = check_image(data);
});
