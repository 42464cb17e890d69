//! The custom-words (replacements) file parser, on arbitrary text. What parses must survive a
//! round trip through the formatter.
#![no_main]

use libfuzzer_sys::fuzz_target;
use noi_text::{format_replacements, parse_replacements};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(replacements) = parse_replacements(text) {
        let again = parse_replacements(&format_replacements(&replacements))
            .expect("formatted replacements parse");
        assert_eq!(again, replacements);
    }
});
