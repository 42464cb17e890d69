//! One function per fuzz target: it runs a parser on arbitrary bytes and panics when a
//! promise breaks (a panic inside the parser counts too). `fuzz/fuzz_targets/*` hand these
//! libFuzzer's inputs (scripts/fuzz.sh); `tests/corpora.rs` replays the committed corpora in
//! `fuzz/corpus/` on every `cargo test`, so CI runs each target on its corpus without a
//! sanitizer build. docs/fuzzing.md has the details.

use std::path::Path;

use noi_engine::audio::AudioReader;
use noi_engine::hotwords::{normalise, parse_hotwords};
use noi_models::Catalog;
use noi_models::catalog::is_valid_id;
use noi_models::extract::{Selection, extract_tar};
use noi_server::pcm::Pcm16Decoder;
use noi_server::protocol::{ClientMessage, parse_client_text};
use noi_text::{
    Casing, TextOptions, format_replacements, parse_replacements, postprocess, postprocess_after,
};
use unicode_normalization::is_nfc;

/// A target's check: runs one input, panics on a broken promise.
pub type Check = fn(&[u8]);

/// The targets, by name (the names of `fuzz/fuzz_targets/*.rs` and `fuzz/corpus/*`).
pub const TARGETS: [(&str, Check); 8] = [
    ("audio_reader", audio_reader),
    ("ws_message", ws_message),
    ("multipart_form", multipart_form),
    ("catalog_toml", catalog_toml),
    ("archive", archive),
    ("hotwords_file", hotwords_file),
    ("replacements_file", replacements_file),
    ("text_pipeline", text_pipeline),
];

const AUDIO_HINTS: [Option<&str>; 8] = [
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
const MAX_AUDIO_SAMPLES: usize = 16_000 * 600;

/// The audio reader, every container: the first byte picks the file-name hint (none, or one
/// of the extensions clients send), the rest is the file. Audio or an error, never a panic,
/// and only finite samples.
pub fn audio_reader(data: &[u8]) {
    let Some((&selector, file)) = data.split_first() else {
        return;
    };
    let hint = AUDIO_HINTS[usize::from(selector) % AUDIO_HINTS.len()];
    let Ok(mut reader) = AudioReader::from_bytes(file.to_vec(), hint) else {
        return;
    };
    let mut total = 0usize;
    while let Ok(Some(chunk)) = reader.next_chunk() {
        assert!(chunk.iter().all(|s| s.is_finite()), "samples are finite");
        total += chunk.len();
        if total > MAX_AUDIO_SAMPLES {
            break;
        }
    }
}

/// The WebSocket session's parsers: text frames (`stop`, `configure`, anything else) when the
/// first byte is even, PCM16 binary frames split at the point the first byte gives when odd.
pub fn ws_message(data: &[u8]) {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    if selector & 1 == 0 {
        // Text frames are UTF-8 by the time the session sees them (tungstenite checks).
        let Ok(text) = std::str::from_utf8(rest) else {
            return;
        };
        if let ClientMessage::Invalid { code, message } = parse_client_text(text) {
            assert_eq!(code, "invalid_sample_rate");
            assert!(!message.is_empty());
        }
    } else {
        let split = usize::from(selector >> 1).min(rest.len());
        let mut decoder = Pcm16Decoder::default();
        let mut samples = decoder.decode(&rest[..split]).len();
        samples += decoder.decode(&rest[split..]).len();
        // Every whole pair of bytes is one sample, however the frames split.
        assert_eq!(samples, rest.len() / 2);
    }
}

/// The OpenAI route's multipart/form-data reader on a body with a fixed boundary (`XyZ`, as
/// the seeds use) or, when the input starts with `ct:`, the Content-Type line that follows.
pub fn multipart_form(data: &[u8]) {
    let (content_type, body) = match data.strip_prefix(b"ct:") {
        Some(rest) => {
            let end = rest.iter().position(|&b| b == b'\n').unwrap_or(rest.len());
            let Ok(line) = std::str::from_utf8(&rest[..end]) else {
                return;
            };
            (line.to_owned(), rest.get(end + 1..).unwrap_or_default())
        }
        None => ("multipart/form-data; boundary=XyZ".to_owned(), data),
    };
    if let Ok(form) = noi_server::fuzzing::multipart_form(&content_type, body.to_vec(), 1 << 20) {
        assert!(form.file.len() <= body.len());
    }
}

/// The model catalog's TOML parser and checks: a catalog that passes holds only valid ids.
pub fn catalog_toml(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(catalog) = Catalog::parse(text, "fuzz") {
        for id in catalog.ids() {
            assert!(is_valid_id(id), "{id:?} passed the checks");
        }
    }
}

/// The model archive extractor on a tar stream (the bzip2 layer is a well-used crate; the
/// tar walk and its safety checks are ours). Whatever it writes is a plain file directly in
/// the destination, named as it reports.
pub fn archive(data: &[u8]) {
    let dest = tempfile::tempdir().expect("a temporary folder");
    let written = extract_tar(
        data,
        Path::new("fuzz.tar"),
        dest.path(),
        Selection::RuntimeFiles,
        Some(64 << 20),
    );
    let on_disk: Vec<_> = std::fs::read_dir(dest.path())
        .expect("the folder is there")
        .map(|e| e.expect("an entry"))
        .collect();
    for entry in &on_disk {
        let kind = entry.file_type().expect("a type");
        assert!(kind.is_file(), "only plain files: {:?}", entry.path());
    }
    if let Ok(files) = written {
        assert_eq!(files.len(), on_disk.len());
        for file in files {
            assert!(!file.name.contains('/'), "{:?} is flat", file.name);
            assert!(dest.path().join(&file.name).is_file());
        }
    }
}

/// The hotwords file parser and the phrase normaliser.
pub fn hotwords_file(data: &[u8]) {
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
}

/// The custom-words (replacements) file parser: what parses survives a round trip through
/// the formatter.
pub fn replacements_file(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(replacements) = parse_replacements(text) {
        let again = parse_replacements(&format_replacements(&replacements))
            .expect("formatted replacements parse");
        assert_eq!(again, replacements);
    }
}

/// The text pipeline with the options the first byte picks (bit 0 spoken punctuation, bit 1
/// ITN off, the rest casing): no panic, and NFC output.
pub fn text_pipeline(data: &[u8]) {
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
}
