//! libFuzzer target: see `noi_fuzz_checks::multipart_form` for what it checks.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| noi_fuzz_checks::multipart_form(data));
