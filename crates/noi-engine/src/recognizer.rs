//! The engine's front door: a loaded model plus the VAD and feature extractor, shared by all
//! threads, turning 16 kHz audio into a [`Transcript`].
//!
//! Audio up to the encoder's limit is decoded in one piece (exactly what sherpa-onnx does with
//! a whole clip). Longer audio is cut at pauses by the VAD into segments that never exceed the
//! limit and decoded segment by segment while the audio streams in, so memory stays flat.

use std::path::Path;
use std::sync::mpsc;

use ndarray::Array2;

use crate::audio::AudioReader;
use crate::cutter::{CutMode, SpeechCutter};
use crate::error::{EngineError, Result};
use crate::features::{Fbank, FbankOptions};
use crate::gate::{DecodeCancel, DecodeGate};
use crate::model::{ModelOptions, Transducer};
use crate::model_input::{MAX_SEGMENT_SAMPLES, SAMPLE_RATE};
use crate::search::{SearchMethod, SearchResult, search};
use crate::segment::{SegmentRange, SegmenterConfig};
use crate::transcript::{FRAME_SECONDS, Segment, Token, Transcript};
use crate::vad::{VadModel, WINDOW};

/// Cut segments waiting to be decoded (each at most 20 s of audio, 1.3 MB).
const SEGMENT_QUEUE: usize = 2;

#[derive(Debug, Clone, Default)]
pub struct RecognizerConfig {
    pub method: SearchMethod,
    pub segmenter: SegmenterConfig,
}

pub struct Recognizer {
    model: Transducer,
    vad: VadModel,
    fbank: Fbank,
    gate: DecodeGate,
}

impl Recognizer {
    pub fn load(model_dir: &Path, options: ModelOptions) -> Result<Self> {
        Ok(Self::new(
            Transducer::load(model_dir, options)?,
            VadModel::load()?,
        ))
    }

    pub fn new(model: Transducer, vad: VadModel) -> Self {
        Recognizer {
            model,
            vad,
            fbank: Fbank::new(FbankOptions::default()),
            gate: DecodeGate::default(),
        }
    }

    pub fn model(&self) -> &Transducer {
        &self.model
    }

    pub fn vad(&self) -> &VadModel {
        &self.vad
    }

    pub fn features(&self, samples: &[f32]) -> Array2<f32> {
        self.fbank.compute(samples)
    }

    /// Decodes one stretch of at most [`MAX_SEGMENT_SAMPLES`] samples in a single encoder run,
    /// waiting for the engine if another decode holds it (see [`DecodeGate`]).
    /// Audio too short for the encoder's subsampling (< 9 feature frames) has no tokens.
    pub fn decode_segment(&self, samples: &[f32], method: &SearchMethod) -> Result<SearchResult> {
        // Features are per-stream work on this thread: only the model itself is gated.
        let features = self.segment_features(samples);
        self.gate.run(|| self.decode_features(features, method))
    }

    fn segment_features(&self, samples: &[f32]) -> Array2<f32> {
        debug_assert!(samples.len() <= MAX_SEGMENT_SAMPLES + WINDOW);
        self.fbank.compute(samples)
    }

    fn decode_features(
        &self,
        features: Array2<f32>,
        method: &SearchMethod,
    ) -> Result<SearchResult> {
        if encoder_frames(features.nrows()) == 0 {
            return Ok(SearchResult::default());
        }
        let encoded = self.model.encode(features.view())?;
        search(&self.model, encoded.view(), method)
    }

    /// Decodes one range of the cutter's audio, with times in stream time.
    pub fn decode_range(
        &self,
        cutter: &SpeechCutter,
        range: SegmentRange,
        method: &SearchMethod,
    ) -> Result<Segment> {
        let result = self.decode_segment(cutter.audio(range), method)?;
        Ok(self.segment_from(result, range))
    }

    /// Like [`Self::decode_range`], for work nobody waits for (tentative text): runs only if
    /// the engine is idle, else returns `None` at once; also `None` once `cancel` is set,
    /// including when it stops this decode midway.
    pub fn try_decode_range(
        &self,
        cutter: &SpeechCutter,
        range: SegmentRange,
        method: &SearchMethod,
        cancel: &DecodeCancel,
    ) -> Option<Result<Segment>> {
        if cancel.is_cancelled() || !self.gate.is_idle() {
            return None;
        }
        let features = self.segment_features(cutter.audio(range));
        let result = self.gate.try_run(|| {
            if encoder_frames(features.nrows()) == 0 {
                return Ok(SearchResult::default());
            }
            let encoded = self
                .model
                .encode_with(features.view(), Some(cancel.run_options()))?;
            search(&self.model, encoded.view(), method)
        })?;
        if result.is_err() && cancel.is_cancelled() {
            return None;
        }
        Some(result.map(|r| self.segment_from(r, range)))
    }

    /// Decodes audio given with its range (not read from a cutter) as optional work: only
    /// when the engine is idle, else `None` at once.
    pub fn try_decode_samples(
        &self,
        samples: &[f32],
        range: SegmentRange,
        method: &SearchMethod,
    ) -> Option<Result<Segment>> {
        if !self.gate.is_idle() {
            return None;
        }
        let features = self.segment_features(samples);
        let result = self
            .gate
            .try_run(|| self.decode_features(features, method))?;
        Some(result.map(|r| self.segment_from(r, range)))
    }

    /// Turns a search result over `range` into a segment with piece texts and stream times.
    pub fn segment_from(&self, result: SearchResult, range: SegmentRange) -> Segment {
        let start = range.start as f64 / SAMPLE_RATE as f64;
        let tokens = result
            .tokens
            .iter()
            .zip(&result.frames)
            .zip(&result.log_probs)
            .map(|((&id, &frame), &log_prob)| Token {
                id,
                piece: self.model.tokens().piece(id).to_string(),
                time: start + (frame as f32 * FRAME_SECONDS) as f64,
                log_prob,
            })
            .collect();
        Segment {
            start_sample: range.start,
            end_sample: range.end,
            tokens,
        }
    }

    /// Transcribes a whole stream of 16 kHz chunks; `on_segment` sees each segment as soon
    /// as it is decoded (the CLI prints progress with it).
    ///
    /// Two threads: one reads and cuts (audio decoding, resampling, VAD), this one decodes.
    /// Cutting then costs no time beside decoding, and a bounded queue of cut segments keeps
    /// memory flat when decoding is the slower side.
    pub fn transcribe_chunks(
        &self,
        chunks: impl Iterator<Item = Result<Vec<f32>>> + Send,
        config: &RecognizerConfig,
        mut on_segment: impl FnMut(&Segment),
    ) -> Result<Transcript> {
        tracing::debug!("transcription uses {}", config.method);
        std::thread::scope(|scope| {
            let (cut_segments, to_decode) = mpsc::sync_channel(SEGMENT_QUEUE);
            let cutter = scope.spawn(move || self.cut(chunks, config.segmenter, cut_segments));
            let mut segments = Vec::new();
            for (range, audio) in to_decode {
                let result = self.decode_segment(&audio, &config.method)?;
                let segment = self.segment_from(result, range);
                on_segment(&segment);
                segments.push(segment);
            }
            let total = cutter
                .join()
                .map_err(|_| EngineError::inference("audio cutter", "it panicked"))??;
            Ok(Transcript {
                duration: total as f64 / SAMPLE_RATE as f64,
                segments,
            })
        })
    }

    /// Cuts the stream into segments and queues each with its audio; returns the length.
    /// Stops early, without error, when the decoding side has stopped listening.
    fn cut(
        &self,
        chunks: impl Iterator<Item = Result<Vec<f32>>>,
        segmenter: SegmenterConfig,
        queue: mpsc::SyncSender<(SegmentRange, Vec<f32>)>,
    ) -> Result<usize> {
        let mut cutter = SpeechCutter::new(segmenter, CutMode::WholeWhenShort);
        let send = |cutter: &SpeechCutter, range| {
            queue.send((range, cutter.audio(range).to_vec())).is_ok()
        };
        for chunk in chunks {
            for range in cutter.push(&self.vad, &chunk?)? {
                if !send(&cutter, range) {
                    return Ok(cutter.total());
                }
            }
            cutter.drop_consumed();
        }
        for range in cutter.finish(&self.vad, 0)? {
            send(&cutter, range);
        }
        Ok(cutter.total())
    }

    /// Reads, resamples and transcribes a file.
    pub fn transcribe_file(
        &self,
        path: &Path,
        config: &RecognizerConfig,
        on_segment: impl FnMut(&Segment),
    ) -> Result<Transcript> {
        let mut reader = AudioReader::open(path)?;
        let chunks =
            std::iter::from_fn(move || reader.next_chunk().map_err(Into::into).transpose());
        self.transcribe_chunks(chunks, config, on_segment)
    }
}

/// Encoder output frames for `t` feature frames: `((t - 7) // 2 + 1) // 2` (docs/engine.md,
/// "The model bundle").
pub fn encoder_frames(t: usize) -> usize {
    if t < 7 { 0 } else { ((t - 7) / 2).div_ceil(2) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoder_frame_formula_matches_engine_md() {
        assert_eq!(encoder_frames(8), 0);
        assert_eq!(encoder_frames(9), 1);
        assert_eq!(encoder_frames(2000), 498);
        assert_eq!(encoder_frames(0), 0);
    }
}
