//! Cutting a stream of audio into segments the encoder can take: at pauses, and never longer
//! than the encoder's limit (20.0 s; docs/engine.md, "The 20-second encoder limit"), also
//! when the speaker never pauses.
//!
//! Pure logic over per-window VAD probabilities and energies, so it is unit-tested without a
//! model. Windows are [`crate::vad::WINDOW`] samples; segments are sample ranges. Segments never
//! overlap; a segment cut for length is followed by one starting exactly at the cut, so no
//! audio is lost or decoded twice at the cut.

use std::collections::VecDeque;

use crate::model_input::{MAX_SEGMENT_SECS, SAMPLE_RATE};
use crate::vad::WINDOW;

/// Sample rate everything here is counted in.
const RATE: f32 = SAMPLE_RATE as f32;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SegmenterConfig {
    /// Probability at which silence turns into speech.
    pub threshold: f32,
    /// Probability under which speech turns into silence (hysteresis).
    pub neg_threshold: f32,
    /// A pause this long closes the segment.
    pub min_pause_secs: f32,
    /// Audio kept before speech starts.
    pub pad_secs: f32,
    /// Audio kept after speech ends (the VAD's own hangover already trails the speech).
    pub end_pad_secs: f32,
    /// Hard upper bound on a segment (the encoder fails past 20.0 s).
    pub max_segment_secs: f32,
}

impl Default for SegmenterConfig {
    fn default() -> Self {
        SegmenterConfig {
            threshold: 0.5,
            neg_threshold: 0.35,
            min_pause_secs: 0.3,
            pad_secs: 0.25,
            end_pad_secs: 0.25,
            max_segment_secs: MAX_SEGMENT_SECS as f32,
        }
    }
}

/// A closed segment: samples `[start, end)` of the stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SegmentRange {
    pub start: usize,
    pub end: usize,
}

impl SegmentRange {
    pub fn len(&self) -> usize {
        self.end - self.start
    }
    pub fn is_empty(&self) -> bool {
        self.end <= self.start
    }
}

/// Streaming segmenter: feed one (probability, energy) pair per window.
#[derive(Debug, Clone)]
pub struct Segmenter {
    config: SegmenterConfig,
    pad_windows: usize,
    end_pad_windows: usize,
    pause_windows: usize,
    max_windows: usize,
    /// Windows seen so far.
    windows: usize,
    in_speech: bool,
    silence_run: usize,
    /// Nothing before this window may go into a new segment (it was already emitted).
    floor: usize,
    open: Option<OpenSegment>,
    /// Energies of windows `energy_base..windows`, kept for pre-roll and quietest-cut search.
    energies: VecDeque<f32>,
    energy_base: usize,
}

#[derive(Debug, Clone, Copy)]
struct OpenSegment {
    start: usize,
    speech_end: usize,
}

impl Segmenter {
    pub fn new(config: SegmenterConfig) -> Self {
        let windows = |secs: f32| (secs * RATE / WINDOW as f32).ceil() as usize;
        let max_windows = ((config.max_segment_secs * RATE) as usize / WINDOW).max(2);
        Segmenter {
            config,
            pad_windows: windows(config.pad_secs),
            end_pad_windows: windows(config.end_pad_secs),
            pause_windows: windows(config.min_pause_secs).max(1),
            max_windows,
            windows: 0,
            in_speech: false,
            silence_run: 0,
            floor: 0,
            open: None,
            energies: VecDeque::new(),
            energy_base: 0,
        }
    }

    /// True while a segment is open (speech has started and not yet been closed).
    pub fn is_open(&self) -> bool {
        self.open.is_some()
    }

    /// First sample of the open segment, if any.
    pub fn open_start(&self) -> Option<usize> {
        self.open.map(|o| o.start * WINDOW)
    }

    /// Where the open segment will end if no more speech comes: once speech has been over
    /// for the padding, its end can no longer move (unless speech resumes). `None` while
    /// speech goes on or nothing is open.
    pub fn settled_end(&self) -> Option<usize> {
        let open = self.open?;
        let end_window = open.speech_end + self.end_pad_windows;
        (!self.in_speech && end_window <= self.windows).then_some(end_window * WINDOW)
    }

    /// The earliest sample a future segment can still need; callers may drop audio before it.
    pub fn keep_from(&self) -> usize {
        let window = match self.open {
            Some(open) => open.start,
            None => self
                .windows
                .saturating_sub(self.pad_windows)
                .max(self.floor),
        };
        window * WINDOW
    }

    /// Feeds the next window; returns a segment when one closes.
    pub fn push(&mut self, probability: f32, energy: f32) -> Option<SegmentRange> {
        let i = self.windows;
        self.windows += 1;
        self.energies.push_back(energy);
        let speech = if self.in_speech {
            probability >= self.config.neg_threshold
        } else {
            probability >= self.config.threshold
        };
        self.in_speech = speech;
        let closed = if speech {
            self.on_speech(i);
            None
        } else {
            self.on_silence()
        };
        let cut = closed.or_else(|| self.cut_if_too_long());
        self.trim_energies();
        cut
    }

    /// Ends the stream after `total_samples`; returns the last segment if one is open.
    pub fn finish(&mut self, total_samples: usize) -> Option<SegmentRange> {
        let open = self.open.take()?;
        let end_window = (open.speech_end + self.end_pad_windows).min(self.windows);
        let end = (end_window * WINDOW).min(total_samples);
        // A partial window at the end belongs to the segment when speech ran to the end.
        let end = if end_window == self.windows {
            total_samples
        } else {
            end
        };
        self.floor = end_window;
        let start = open.start * WINDOW;
        (end > start).then_some(SegmentRange { start, end })
    }

    fn on_speech(&mut self, i: usize) {
        self.silence_run = 0;
        match &mut self.open {
            Some(open) => open.speech_end = i + 1,
            None => {
                let start = i.saturating_sub(self.pad_windows).max(self.floor);
                self.open = Some(OpenSegment {
                    start,
                    speech_end: i + 1,
                });
            }
        }
    }

    fn on_silence(&mut self) -> Option<SegmentRange> {
        let open = self.open?;
        self.silence_run += 1;
        if self.silence_run < self.pause_windows {
            return None;
        }
        let end = (open.speech_end + self.end_pad_windows).min(self.windows);
        Some(self.close(open.start, end))
    }

    fn close(&mut self, start: usize, end: usize) -> SegmentRange {
        self.open = None;
        self.floor = end;
        SegmentRange {
            start: start * WINDOW,
            end: end * WINDOW,
        }
    }

    /// At the length limit, cut at the quietest window of the segment's second half.
    fn cut_if_too_long(&mut self) -> Option<SegmentRange> {
        let open = self.open?;
        if self.windows - open.start < self.max_windows {
            return None;
        }
        let search_from = open.start + self.max_windows / 2;
        let cut = quietest_window(&self.energies, self.energy_base, search_from, self.windows);
        // The segment ends where the quietest window starts; the rest stays open.
        let range = SegmentRange {
            start: open.start * WINDOW,
            end: cut * WINDOW,
        };
        self.floor = cut;
        self.open = Some(OpenSegment {
            start: cut,
            speech_end: open.speech_end.max(cut),
        });
        Some(range)
    }

    fn trim_energies(&mut self) {
        let keep_from = self.keep_from() / WINDOW;
        while self.energy_base < keep_from && !self.energies.is_empty() {
            self.energies.pop_front();
            self.energy_base += 1;
        }
    }

    pub fn config(&self) -> &SegmenterConfig {
        &self.config
    }
}

/// Index of the quietest window in `[from, to)`; the later one among equals, so the segment
/// before the cut is as long as it can be.
fn quietest_window(energies: &VecDeque<f32>, base: usize, from: usize, to: usize) -> usize {
    let mut best = to - 1;
    for window in (from.max(base)..to).rev() {
        if energies[window - base] < energies[best - base] {
            best = window;
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(config: SegmenterConfig, probs: &[f32], energies: &[f32]) -> Vec<SegmentRange> {
        let mut s = Segmenter::new(config);
        let mut out: Vec<_> = probs
            .iter()
            .zip(energies)
            .filter_map(|(&p, &e)| s.push(p, e))
            .collect();
        out.extend(s.finish(probs.len() * WINDOW));
        out
    }

    fn secs_to_windows(secs: f32) -> usize {
        (secs * RATE / WINDOW as f32).round() as usize
    }

    #[test]
    fn two_utterances_split_at_the_pause_with_padding() {
        let cfg = SegmenterConfig::default();
        let mut probs = vec![0.0; 20];
        probs.extend(vec![0.9; 50]);
        probs.extend(vec![0.0; 30]);
        probs.extend(vec![0.9; 40]);
        probs.extend(vec![0.0; 20]);
        let energies = vec![1.0; probs.len()];
        let segs = run(cfg, &probs, &energies);
        assert_eq!(segs.len(), 2);
        let pad = (0.25 * RATE / WINDOW as f32).ceil() as usize;
        assert_eq!(segs[0].start, (20 - pad) * WINDOW);
        assert_eq!(segs[0].end, (70 + pad) * WINDOW);
        assert_eq!(segs[1].start, (100 - pad) * WINDOW);
        assert!(segs[0].end <= segs[1].start, "segments never overlap");
    }

    #[test]
    fn short_pause_does_not_split() {
        let cfg = SegmenterConfig::default();
        let mut probs = vec![0.9; 40];
        probs.extend(vec![0.0; 3]); // ~0.1 s
        probs.extend(vec![0.9; 40]);
        let segs = run(cfg, &probs, &vec![1.0; probs.len()]);
        assert_eq!(
            segs,
            vec![SegmentRange {
                start: 0,
                end: 83 * WINDOW
            }]
        );
    }

    #[test]
    fn hysteresis_keeps_speech_between_thresholds() {
        let cfg = SegmenterConfig::default();
        let mut probs = vec![0.9; 10];
        probs.extend(vec![0.4; 30]); // above neg_threshold: still speech
        probs.extend(vec![0.0; 30]);
        let segs = run(cfg, &probs, &vec![1.0; probs.len()]);
        assert_eq!(segs.len(), 1);
        assert!(segs[0].end >= 40 * WINDOW);
    }

    #[test]
    fn nonstop_speech_is_cut_at_the_quietest_point_without_gaps() {
        let cfg = SegmenterConfig::default();
        let n = secs_to_windows(50.0);
        let probs = vec![0.9; n];
        // Loud everywhere except two quiet dips.
        let mut energies = vec![1.0; n];
        energies[500] = 0.01;
        energies[900] = 0.02;
        let segs = run(cfg, &probs, &energies);
        let max = (20.0 * RATE) as usize;
        assert!(segs.iter().all(|s| s.len() <= max), "{segs:?}");
        assert_eq!(segs[0].start, 0);
        assert_eq!(segs[0].end, 500 * WINDOW, "cut at the quietest window");
        for pair in segs.windows(2) {
            assert_eq!(pair[0].end, pair[1].start, "no gap, no overlap at a cut");
        }
        assert_eq!(segs.last().unwrap().end, n * WINDOW, "everything covered");
    }

    #[test]
    fn cut_point_falls_in_second_half() {
        let cfg = SegmenterConfig::default();
        let n = secs_to_windows(25.0);
        let mut energies = vec![1.0; n];
        energies[10] = 0.0; // too early to be a useful cut
        let segs = run(cfg, &vec![0.9; n], &energies);
        assert!(segs[0].len() >= (10.0 * RATE) as usize);
        assert!(segs[0].len() <= (20.0 * RATE) as usize);
    }

    #[test]
    fn silence_only_gives_no_segment() {
        let segs = run(SegmenterConfig::default(), &[0.1; 100], &[0.0; 100]);
        assert!(segs.is_empty());
    }

    #[test]
    fn speech_to_the_end_keeps_the_partial_last_window() {
        let mut s = Segmenter::new(SegmenterConfig::default());
        for _ in 0..10 {
            s.push(0.9, 1.0);
        }
        let seg = s.finish(10 * WINDOW + 100).unwrap();
        assert_eq!(
            seg,
            SegmentRange {
                start: 0,
                end: 10 * WINDOW + 100
            }
        );
    }

    #[test]
    fn keep_from_never_passes_the_open_start() {
        let mut s = Segmenter::new(SegmenterConfig::default());
        for _ in 0..30 {
            s.push(0.0, 0.0);
        }
        s.push(0.9, 1.0);
        let start = s.open_start().unwrap();
        assert!(s.keep_from() <= start);
        assert_eq!(start, (30 - 8) * WINDOW);
    }
}
