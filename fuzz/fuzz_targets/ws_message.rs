//! The WebSocket session's message parsers: text frames (`stop`, `configure`, anything else)
//! and binary PCM16 frames split at arbitrary points. The first byte says which, and where the
//! binary frames split.
#![no_main]

use libfuzzer_sys::fuzz_target;
use noi_server::pcm::Pcm16Decoder;
use noi_server::protocol::{ClientMessage, parse_client_text};

fuzz_target!(|data: &[u8]| {
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
});
