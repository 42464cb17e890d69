//! Nói's recognition engine: 16 kHz mono samples in, Vietnamese text out.
//!
//! Pure compute: no network, no GUI. The pieces, in the order audio flows through them:
//! [`audio`] decodes files, [`resample`] brings any rate to 16 kHz, [`features`] computes
//! Kaldi fbank, [`vad`] and [`segment`] cut long audio at pauses, [`model`] runs the ONNX
//! transducer, [`search`] turns its scores into tokens, and [`recognizer`] ties them together.
//! [`config`] turns what a door chooses (decoding, hotwords, threads) into their settings.

pub mod allocator;
pub mod audio;
pub mod codecs;
pub mod config;
pub mod cutter;
pub mod error;
pub mod features;
pub mod gate;
pub mod hotwords;
pub mod model;
pub mod model_input;
pub mod parallelism;
pub mod pipeline;
pub mod resample;
pub mod runtime;
pub mod tokens;

pub use error::{EngineError, Result};
pub use model_input::{MAX_SEGMENT_SAMPLES, SAMPLE_RATE};
pub mod recognizer;
pub mod search;
pub mod segment;
pub mod transcript;
pub mod vad;
mod wav_patch;

pub use recognizer::{Recognizer, RecognizerConfig};
pub mod dictation;
pub mod fft;
pub mod subtitle;
