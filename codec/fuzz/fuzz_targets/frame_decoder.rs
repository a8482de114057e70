#![no_main]
//! See `wsprism_fuzz::checks::frame_decoder` for the properties checked.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    wsprism_fuzz::checks::frame_decoder(data);
});
