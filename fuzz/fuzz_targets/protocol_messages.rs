//! Every sync-protocol message body (the first byte picks the type), as a hub or station decodes it.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| nac_fuzz::protocol_check::check(data));
