//! Arbitrary bytes as the COSE_Sign1 inside good outer layers (`NAC1:` + Base45 + zlib).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| nac_fuzz::credential_check::check_cose(data));
