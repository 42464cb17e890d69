//! The text pipeline (raw model text → written text) on arbitrary text, with the options the
//! first byte picks: it must not panic, and its output must be NFC.
#![no_main]

use libfuzzer_sys::fuzz_target;
use noi_text::{Casing, TextOptions, postprocess, postprocess_after};
use unicode_normalization::is_nfc;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let mut options = TextOptions {
        spoken_punctuation: selector & 1 != 0,
        ..TextOptions::default()
    };
    options.itn.enabled = selector & 2 == 0;
    options.casing = match (selector >> 2) % 3 {
        0 => Casing::Sentence,
        1 => Casing::Lower,
        _ => Casing::AsIs,
    };
    let out = postprocess(text, &options);
    assert!(is_nfc(&out), "postprocess output is NFC: {out:?}");
    // The text before, for dictation: the input's first line.
    let (previous, raw) = text.split_once('\n').unwrap_or(("", text));
    let out = postprocess_after(Some(previous), raw, &options);
    assert!(is_nfc(&out), "postprocess_after output is NFC: {out:?}");
});
