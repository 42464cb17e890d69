//! The audio reader on arbitrary bytes, every container: the first byte picks the file-name
//! hint (none, or one of the extensions clients send), the rest is the file. It must answer
//! with audio or an error, never panic, and never hand out more audio than it could hold.
#![no_main]

use libfuzzer_sys::fuzz_target;
use noi_engine::audio::AudioReader;

const HINTS: [Option<&str>; 8] = [
    None,
    Some("wav"),
    Some("flac"),
    Some("mp3"),
    Some("ogg"),
    Some("m4a"),
    Some("webm"),
    Some("opus"),
];

/// Stop reading after this many 16 kHz samples (10 minutes): a tiny input that claims hours
/// of audio is still read for a while, enough to cover the decoders' loops.
const MAX_SAMPLES: usize = 16_000 * 600;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, file)) = data.split_first() else {
        return;
    };
    let hint = HINTS[usize::from(selector) % HINTS.len()];
    let Ok(mut reader) = AudioReader::from_bytes(file.to_vec(), hint) else {
        return;
    };
    let mut total = 0usize;
    while let Ok(Some(chunk)) = reader.next_chunk() {
        assert!(chunk.iter().all(|s| s.is_finite()), "samples are finite");
        total += chunk.len();
        if total > MAX_SAMPLES {
            break;
        }
    }
});
