//! The engine's front door: a loaded model plus the VAD and feature extractor, shared by all
//! threads, turning 16 kHz audio into a [`Transcript`].
//!
//! Audio up to the encoder's limit is decoded in one piece (exactly what sherpa-onnx does with
//! a whole clip). Longer audio is cut at pauses by the VAD into segments that never exceed the
//! limit and decoded segment by segment while the audio streams in, so memory stays flat
//! (the threads that do it are in [`crate::pipeline`]).

use std::path::{Path, PathBuf};

use ndarray::Array2;

use crate::audio::AudioReader;
use crate::cutter::SpeechCutter;
use crate::error::{EngineError, Result};
use crate::features::{Fbank, FbankOptions};
use crate::gate::{DecodeCancel, DecodeGate};
use crate::model::{ModelOptions, Transducer};
use crate::model_input::{MAX_SEGMENT_SAMPLES, SAMPLE_RATE};
use crate::pipeline::{Chunks, Listener, OpenStream, StageTimes, timed};
use crate::search::{SearchMethod, SearchResult, search};
use crate::segment::{SegmentRange, SegmenterConfig};
use crate::transcript::{FRAME_SECONDS, Segment, Token, Transcript};
use crate::vad::{VadModel, WINDOW};

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

    /// Loads the model with `jobs` copies of its sessions, so that files decode `jobs`
    /// segments at a time (see [`crate::pipeline`]); `load` is `jobs` = 1.
    pub fn load_with_jobs(model_dir: &Path, options: ModelOptions, jobs: usize) -> Result<Self> {
        let files = crate::model::ModelFiles::discover(model_dir)?;
        Ok(Self::new(
            Transducer::load_copies(files, options, jobs)?,
            VadModel::load()?,
        ))
    }

    pub fn new(model: Transducer, vad: VadModel) -> Self {
        let gate = DecodeGate::with_slots(model.copies());
        Recognizer {
            model,
            vad,
            fbank: Fbank::new(FbankOptions::default()),
            gate,
        }
    }

    /// Segments decoded at a time in files (the model's session copies).
    pub fn jobs(&self) -> usize {
        self.model.copies()
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

    /// [`Self::decode_segment`], adding the time of each step to `times`.
    pub(crate) fn decode_segment_timed(
        &self,
        samples: &[f32],
        method: &SearchMethod,
        times: &StageTimes,
    ) -> Result<SearchResult> {
        let features = timed(&times.features, || self.segment_features(samples));
        let waited = std::time::Instant::now();
        self.gate.run(|| {
            times.add_gate_wait(waited.elapsed());
            if encoder_frames(features.nrows()) == 0 {
                return Ok(SearchResult::default());
            }
            let encoded = timed(&times.encoder, || self.model.encode(features.view()))?;
            timed(&times.search, || {
                search(&self.model, encoded.view(), method)
            })
        })
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
    /// as it and those before it are decoded (the CLI prints progress with it).
    ///
    /// One thread reads and cuts (audio decoding, resampling, VAD) while [`Self::jobs`]
    /// others decode, through a bounded queue of cut segments ([`crate::pipeline`]).
    pub fn transcribe_chunks(
        &self,
        chunks: impl Iterator<Item = Result<Vec<f32>>> + Send,
        config: &RecognizerConfig,
        mut on_segment: impl FnMut(&Segment),
    ) -> Result<Transcript> {
        let chunks: Chunks<'_> = Box::new(chunks);
        let open: OpenStream<'_> = Box::new(move || Ok(chunks));
        let mut outcome = None;
        self.transcribe_streams(
            vec![open],
            config,
            None,
            Listener {
                on_segment: Box::new(|_, segment| on_segment(segment)),
                on_stream: Box::new(|_, result| outcome = Some(result)),
            },
        );
        outcome.unwrap_or_else(|| Err(EngineError::inference("file pipeline", "no result")))
    }

    /// Reads, resamples and transcribes a file.
    pub fn transcribe_file(
        &self,
        path: &Path,
        config: &RecognizerConfig,
        on_segment: impl FnMut(&Segment),
    ) -> Result<Transcript> {
        let chunks = file_chunks(path.to_path_buf())()?;
        self.transcribe_chunks(chunks, config, on_segment)
    }

    /// Transcribes several files as one stream of work, so decoding never pauses between
    /// files (the next file is read and cut while the last one's segments decode).
    /// `on_file` gets each file's index and transcript (or error) in the order given; a
    /// failing file does not stop the others. `times`, when given, adds up where the time went.
    pub fn transcribe_files(
        &self,
        paths: &[PathBuf],
        config: &RecognizerConfig,
        times: Option<&StageTimes>,
        on_file: impl FnMut(usize, Result<Transcript>),
    ) {
        let streams = paths.iter().map(|p| file_chunks(p.clone())).collect();
        self.transcribe_streams(
            streams,
            config,
            times,
            Listener {
                on_segment: Box::new(|_, _| {}),
                on_stream: Box::new(on_file),
            },
        );
    }
}

/// Opens a file when called and yields its 16 kHz chunks.
fn file_chunks<'a>(path: PathBuf) -> OpenStream<'a> {
    Box::new(move || {
        let mut reader = AudioReader::open(&path)?;
        let chunks =
            std::iter::from_fn(move || reader.next_chunk().map_err(Into::into).transpose());
        Ok(Box::new(chunks) as Chunks<'a>)
    })
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
