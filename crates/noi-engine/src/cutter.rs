//! Holds a stream's 16 kHz audio while the VAD and the [`Segmenter`] cut it into segments,
//! and frees what no future segment needs, so memory stays flat however long the stream.
//! Shared by file transcription and the dictation stream.

use crate::error::Result;
use crate::model_input::MAX_SEGMENT_SAMPLES;
use crate::segment::{SegmentRange, Segmenter, SegmenterConfig};
use crate::vad::{VadModel, VadState, WINDOW, window_energy};

/// When the VAD starts cutting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CutMode {
    /// Audio that fits one encoder run is decoded whole (exactly what sherpa-onnx does with
    /// a clip); only longer audio is cut. For files.
    WholeWhenShort,
    /// Cut at every pause from the first sample. For dictation, where each closed segment
    /// is decoded while the user still speaks.
    Always,
}

pub struct SpeechCutter {
    segmenter: Segmenter,
    vad_state: VadState,
    buffer: Vec<f32>,
    /// Stream position of `buffer[0]`.
    buffer_start: usize,
    windows_done: usize,
    segmenting: bool,
}

impl SpeechCutter {
    pub fn new(config: SegmenterConfig, mode: CutMode) -> Self {
        SpeechCutter {
            segmenter: Segmenter::new(config),
            vad_state: VadState::default(),
            buffer: Vec::new(),
            buffer_start: 0,
            windows_done: 0,
            segmenting: mode == CutMode::Always,
        }
    }

    /// Samples received so far.
    pub fn total(&self) -> usize {
        self.buffer_start + self.buffer.len()
    }

    /// The audio of a range returned by [`push`](Self::push) or [`finish`](Self::finish), or of
    /// [`open_range`](Self::open_range), valid until the next [`drop_consumed`](Self::drop_consumed).
    pub fn audio(&self, range: SegmentRange) -> &[f32] {
        &self.buffer[range.start - self.buffer_start..range.end - self.buffer_start]
    }

    /// The segment still open (speech not yet followed by a pause), up to the latest sample.
    pub fn open_range(&self) -> Option<SegmentRange> {
        let start = self.segmenter.open_start()?;
        Some(SegmentRange {
            start,
            end: self.total(),
        })
    }

    /// The open segment as `finish(vad, padding)` would return it if the stream ended now
    /// and no more speech came: known once speech has been over for the segment padding.
    /// Returns the range (padding included) and its audio (the padding as zeros).
    pub fn settled_tail(&self, padding: usize) -> Option<(SegmentRange, Vec<f32>)> {
        if !self.segmenting {
            return None;
        }
        let start = self.segmenter.open_start()?;
        let end = self.segmenter.settled_end()?.min(self.total());
        let mut audio = self.buffer[start - self.buffer_start..end - self.buffer_start].to_vec();
        let padded_end = (end + padding).min(start + MAX_SEGMENT_SAMPLES);
        audio.resize(padded_end - start, 0.0);
        Some((
            SegmentRange {
                start,
                end: padded_end,
            },
            audio,
        ))
    }

    /// Adds audio; returns the segments it closed, oldest first.
    pub fn push(&mut self, vad: &VadModel, chunk: &[f32]) -> Result<Vec<SegmentRange>> {
        self.buffer.extend_from_slice(chunk);
        if !self.segmenting && self.total() <= MAX_SEGMENT_SAMPLES {
            return Ok(Vec::new());
        }
        self.segmenting = true;
        let mut closed = Vec::new();
        while (self.windows_done + 1) * WINDOW <= self.total() {
            let at = self.windows_done * WINDOW - self.buffer_start;
            let window = &self.buffer[at..at + WINDOW];
            let probability = vad.probability(&mut self.vad_state, window)?;
            self.windows_done += 1;
            closed.extend(self.segmenter.push(probability, window_energy(window)));
        }
        Ok(closed)
    }

    /// Frees audio no future segment needs. Call after decoding what `push` returned.
    pub fn drop_consumed(&mut self) {
        let keep_from = self.segmenter.keep_from().min(self.windows_done * WINDOW);
        if keep_from > self.buffer_start {
            self.buffer.drain(..keep_from - self.buffer_start);
            self.buffer_start = keep_from;
        }
    }

    /// Ends the stream; returns what is left to decode. With `padding` > 0, a segment still
    /// open is extended by that many samples of silence (dictation pads after release so a
    /// word cut off by the release is not dropped); the padding never reaches the VAD, so it
    /// cannot close the segment early.
    pub fn finish(&mut self, vad: &VadModel, padding: usize) -> Result<Vec<SegmentRange>> {
        let total = self.total();
        if !self.segmenting {
            let whole = SegmentRange {
                start: 0,
                end: total,
            };
            return Ok(if total == 0 { vec![] } else { vec![whole] });
        }
        let mut ranges = Vec::new();
        // The last partial window, zero-padded, still counts for the VAD.
        let at = self.windows_done * WINDOW;
        if at < total {
            let mut window = self.buffer[at - self.buffer_start..].to_vec();
            window.resize(WINDOW, 0.0);
            let probability = vad.probability(&mut self.vad_state, &window)?;
            ranges.extend(self.segmenter.push(probability, window_energy(&window)));
        }
        let open_start = self.segmenter.open_start();
        ranges.extend(self.segmenter.finish(total));
        for range in &mut ranges {
            range.end = range.end.min(total);
        }
        if let (Some(start), Some(last)) = (open_start, ranges.last_mut())
            && padding > 0
            && last.start == start
        {
            // The padding follows the segment's own end (speech end + pad, or the last
            // sample when speech ran to the end), exactly as `padded_tail` lays it out.
            self.buffer.truncate(last.end - self.buffer_start);
            self.buffer.resize(self.buffer.len() + padding, 0.0);
            // Never past the encoder's limit: the padding is silence, losing some is fine.
            last.end = (last.end + padding).min(start + MAX_SEGMENT_SAMPLES);
        }
        ranges.retain(|r| !r.is_empty());
        Ok(ranges)
    }
}
