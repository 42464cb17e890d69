//! What the models take: 16 kHz mono audio, at most 20 s per encoder run. A leaf module (it
//! imports nothing from the crate), so every other module can count in these units without
//! depending on the one that decodes.

/// The sample rate every model, the VAD and the feature extractor work at, in Hz.
pub const SAMPLE_RATE: usize = 16_000;

/// Longest audio the encoder takes in one run, in seconds: ENGINE.md measures 20.0 s
/// decoding and 20.1 s failing.
pub const MAX_SEGMENT_SECS: usize = 20;

/// [`MAX_SEGMENT_SECS`] in samples.
pub const MAX_SEGMENT_SAMPLES: usize = MAX_SEGMENT_SECS * SAMPLE_RATE;
