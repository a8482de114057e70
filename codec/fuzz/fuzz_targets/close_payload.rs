#![no_main]
//! See `wsprism_fuzz::checks::close_payload` for the properties checked.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    wsprism_fuzz::checks::close_payload(data);
});
