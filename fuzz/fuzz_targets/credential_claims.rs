//! Arbitrary bytes as the claims payload of a COSE_Sign1 really signed by the trusted key.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| nac_fuzz::credential_check::check_claims(data));
