//! The hotwords file parser and the phrase normaliser, on arbitrary text.
#![no_main]

use libfuzzer_sys::fuzz_target;
use noi_engine::hotwords::{normalise, parse_hotwords};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(hotwords) = parse_hotwords(text) {
        for hotword in hotwords {
            assert!(!hotword.phrase.is_empty());
            assert!(hotword.score.is_none_or(f32::is_finite));
            let _ = normalise(&hotword.phrase);
        }
    }
});
