//! Arbitrary bytes as a scanned credential text (`verify`, `decode_unverified`, Base45).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| nac_fuzz::credential_check::check_bytes(data));
