//! Kaldi log-mel filterbank ("fbank") features, numerically matching kaldi-native-fbank, the
//! library sherpa-onnx uses, with the options sherpa-onnx sets (see docs/engine.md, "Features").
//!
//! The models were trained on these exact features, so every step below mirrors knf's C++ and
//! its `f32` arithmetic, operation for operation, down to the FFT (kissfft, see [`crate::fft`]).
//! Golden matrices from the PyPI `kaldi-native-fbank` package check the result
//! (`tests/fbank_golden.rs`, made by `scripts/reference/make_fbank_goldens.py`).

use std::fmt;

use ndarray::Array2;

use crate::fft::{FftScratch, RealFft};
use crate::model_input::SAMPLE_RATE;

/// Options for [`Fbank`]. [`Default`] gives exactly what sherpa-onnx uses for the Zipformer
/// transducers. Dither is always 0 and the window is always Povey's, so neither is an option.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FbankOptions {
    /// Sample rate of the input in Hz.
    pub sample_rate: u32,
    /// Number of triangular mel bins (the feature dimension).
    pub num_bins: usize,
    /// Frame length in milliseconds; the FFT size is this many samples rounded up to a power of 2.
    pub frame_length_ms: f32,
    /// Frame shift in milliseconds.
    pub frame_shift_ms: f32,
    /// Pre-emphasis coefficient (0 disables it).
    pub preemph_coeff: f32,
    /// Subtract each frame's mean before pre-emphasis.
    pub remove_dc_offset: bool,
    /// `false`: `(n + shift/2) / shift` frames centred on multiples of the shift, with samples
    /// past either end reflected back in. `true`: only frames that fit inside the signal.
    pub snip_edges: bool,
    /// Lowest frequency covered by the mel bins, in Hz.
    pub low_freq: f32,
    /// Highest frequency covered by the mel bins in Hz; zero or negative counts from Nyquist.
    pub high_freq: f32,
}

impl Default for FbankOptions {
    fn default() -> Self {
        Self {
            sample_rate: SAMPLE_RATE as u32,
            num_bins: 80,
            frame_length_ms: 25.0,
            frame_shift_ms: 10.0,
            preemph_coeff: 0.97,
            remove_dc_offset: true,
            snip_edges: false,
            low_freq: 20.0,
            high_freq: -400.0,
        }
    }
}

impl FbankOptions {
    /// Frame length in samples, truncated the way knf's `WindowSize()` does (in `f32`).
    fn frame_length(&self) -> usize {
        (self.sample_rate as f32 * 0.001 * self.frame_length_ms) as usize
    }

    /// Frame shift in samples, truncated the way knf's `WindowShift()` does (in `f32`).
    fn frame_shift(&self) -> usize {
        (self.sample_rate as f32 * 0.001 * self.frame_shift_ms) as usize
    }
}

/// A fbank extractor: window, mel filters and FFT plan are built once in [`Fbank::new`], and
/// [`Fbank::compute`] takes `&self`, so one instance can serve many threads.
pub struct Fbank {
    opts: FbankOptions,
    frame_length: usize,
    frame_shift: usize,
    /// Povey window, one weight per frame sample.
    window: Vec<f32>,
    mel_banks: Vec<MelBin>,
    fft: RealFft,
}

impl fmt::Debug for Fbank {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Fbank")
            .field("opts", &self.opts)
            .field("fft_len", &self.fft.len())
            .finish_non_exhaustive()
    }
}

/// One triangular mel filter: its weights over consecutive FFT bins starting at `offset`.
#[derive(Debug, Clone, PartialEq)]
struct MelBin {
    offset: usize,
    weights: Vec<f32>,
}

impl MelBin {
    /// Weighted sum of the power spectrum, accumulated in order in `f32` as knf does.
    fn energy(&self, power: &[f32]) -> f32 {
        self.weights
            .iter()
            .zip(&power[self.offset..])
            .fold(0.0, |acc, (w, p)| acc + w * p)
    }
}

/// Per-call work buffers, allocated once per [`Fbank::compute`] and reused for every frame.
struct Scratch {
    frame: Vec<f32>,
    fft_in: Vec<f32>,
    fft: FftScratch,
    power: Vec<f32>,
}

impl Fbank {
    /// Builds the extractor.
    ///
    /// # Panics
    ///
    /// If the options are unusable, as knf would abort: a frame shorter than 2 samples, a zero
    /// shift, fewer than 3 mel bins, a frequency range outside `[0, Nyquist]`, or so many bins
    /// that one covers no FFT bin. These are programming errors, not input errors.
    pub fn new(opts: FbankOptions) -> Self {
        let frame_length = opts.frame_length();
        let frame_shift = opts.frame_shift();
        assert!(
            frame_length >= 2,
            "fbank frame must span at least 2 samples"
        );
        assert!(
            frame_shift >= 1,
            "fbank frame shift must be at least 1 sample"
        );
        let fft_len = frame_length.next_power_of_two();
        let mel_banks = mel_banks(&opts, fft_len);
        Self {
            opts,
            frame_length,
            frame_shift,
            window: povey_window(frame_length),
            mel_banks,
            fft: RealFft::new(fft_len),
        }
    }

    /// The options this extractor was built with.
    pub fn options(&self) -> &FbankOptions {
        &self.opts
    }

    /// Feature dimension: the number of mel bins.
    pub fn num_bins(&self) -> usize {
        self.mel_banks.len()
    }

    /// Number of frames [`Fbank::compute`] returns for `num_samples` samples.
    pub fn num_frames(&self, num_samples: usize) -> usize {
        num_frames(
            num_samples,
            self.frame_length,
            self.frame_shift,
            self.opts.snip_edges,
        )
    }

    /// Log-mel features of `samples` (mono, at the configured rate, scaled to [-1, 1]), shape
    /// `(num_frames, num_bins)`. Input too short for any frame gives 0 rows.
    pub fn compute(&self, samples: &[f32]) -> Array2<f32> {
        let num_frames = self.num_frames(samples.len());
        let mut out = Array2::zeros((num_frames, self.num_bins()));
        if num_frames == 0 {
            return out;
        }
        let mut scratch = self.scratch();
        for (index, mut row) in out.rows_mut().into_iter().enumerate() {
            self.extract_frame(samples, index, &mut scratch.frame);
            self.condition_frame(&mut scratch.frame);
            self.power_spectrum(&mut scratch);
            for (value, bin) in row.iter_mut().zip(&self.mel_banks) {
                // knf floors at FLT_EPSILON so digital silence gives ln(eps), not -inf.
                *value = bin.energy(&scratch.power).max(f32::EPSILON).ln();
            }
        }
        out
    }

    fn scratch(&self) -> Scratch {
        Scratch {
            frame: vec![0.0; self.frame_length],
            fft_in: vec![0.0; self.fft.len()],
            fft: FftScratch::default(),
            power: vec![0.0; self.fft.len() / 2 + 1],
        }
    }

    /// Copies frame `index` into `out`, reflecting at the signal's ends like knf's ExtractWindow.
    fn extract_frame(&self, samples: &[f32], index: usize, out: &mut [f32]) {
        let start = first_sample_of_frame(
            index,
            self.frame_length,
            self.frame_shift,
            self.opts.snip_edges,
        );
        let inside = usize::try_from(start)
            .ok()
            .and_then(|s| samples.get(s..s + self.frame_length));
        match inside {
            Some(slice) => out.copy_from_slice(slice),
            None => {
                for (k, value) in out.iter_mut().enumerate() {
                    *value = samples[reflect_index(start + k as i64, samples.len())];
                }
            }
        }
    }

    /// DC removal, pre-emphasis and windowing, in knf's order and precision.
    fn condition_frame(&self, frame: &mut [f32]) {
        if self.opts.remove_dc_offset {
            remove_dc_offset(frame);
        }
        preemphasize(frame, self.opts.preemph_coeff);
        for (x, w) in frame.iter_mut().zip(&self.window) {
            *x *= w;
        }
    }

    /// Zero-padded real FFT of `scratch.frame` into `scratch.power` (|X_k|^2, `f32`).
    fn power_spectrum(&self, scratch: &mut Scratch) {
        let (head, padding) = scratch.fft_in.split_at_mut(self.frame_length);
        head.copy_from_slice(&scratch.frame);
        padding.fill(0.0);
        self.fft
            .power_spectrum(&scratch.fft_in, &mut scratch.fft, &mut scratch.power);
    }
}

/// Frame count: knf's `NumFrames` with `flush = true` (all input has arrived).
fn num_frames(num_samples: usize, length: usize, shift: usize, snip_edges: bool) -> usize {
    if snip_edges {
        if num_samples < length {
            0
        } else {
            1 + (num_samples - length) / shift
        }
    } else {
        (num_samples + shift / 2) / shift
    }
}

/// Index of frame `index`'s first sample; negative when it starts before the signal.
fn first_sample_of_frame(index: usize, length: usize, shift: usize, snip_edges: bool) -> i64 {
    let begin = (index * shift) as i64;
    if snip_edges {
        begin
    } else {
        // Centre the frame on the middle of its shift interval.
        begin + (shift / 2) as i64 - (length / 2) as i64
    }
}

/// Maps a possibly out-of-range index into `0..n` by mirroring at both ends (-1 -> 0,
/// n -> n-1), repeatedly if needed, as knf's ExtractWindow loop does. Mirroring at both ends
/// is periodic with period 2n, so one remainder replaces the loop. `n` must be > 0.
fn reflect_index(index: i64, n: usize) -> usize {
    let n = n as i64;
    let folded = index.rem_euclid(2 * n);
    (if folded < n {
        folded
    } else {
        2 * n - 1 - folded
    }) as usize
}

/// Povey's window, `(0.5 - 0.5 cos(2 pi i / (N - 1)))^0.85`: computed in `f64`, stored in `f32`.
fn povey_window(length: usize) -> Vec<f32> {
    let a = std::f64::consts::TAU / (length - 1) as f64;
    (0..length)
        .map(|i| (0.5 - 0.5 * (a * i as f64).cos()).powf(0.85) as f32)
        .collect()
}

/// Subtracts the frame mean, summed in order in `f32` like knf.
fn remove_dc_offset(frame: &mut [f32]) {
    let sum = frame.iter().fold(0.0f32, |acc, x| acc + x);
    let mean = sum / frame.len() as f32;
    for x in frame.iter_mut() {
        *x -= mean;
    }
}

/// `x[i] -= c * x[i-1]` from the end backwards, and `x[0] -= c * x[0]` (Kaldi's convention).
fn preemphasize(frame: &mut [f32], coeff: f32) {
    if coeff == 0.0 {
        return;
    }
    for i in (1..frame.len()).rev() {
        frame[i] -= coeff * frame[i - 1];
    }
    if let Some(first) = frame.first_mut() {
        *first -= coeff * *first;
    }
}

/// HTK mel scale in `f32`, as knf's `MelBanks::MelScale`.
fn mel_scale(freq: f32) -> f32 {
    1127.0 * (1.0 + freq / 700.0).ln()
}

/// Kaldi's triangular mel filters over the first `fft_len / 2` FFT bins (the Nyquist bin is
/// never used), computed step for step like knf's `InitKaldiMelBanks` in `f32`.
fn mel_banks(opts: &FbankOptions, fft_len: usize) -> Vec<MelBin> {
    let sample_freq = opts.sample_rate as f32;
    let nyquist = 0.5 * sample_freq;
    let low_freq = opts.low_freq;
    let high_freq = if opts.high_freq > 0.0 {
        opts.high_freq
    } else {
        nyquist + opts.high_freq
    };
    assert!(opts.num_bins >= 3, "fbank needs at least 3 mel bins");
    assert!(
        (0.0..nyquist).contains(&low_freq) && high_freq > low_freq && high_freq <= nyquist,
        "fbank frequency range {low_freq}..{high_freq} Hz does not fit under Nyquist {nyquist} Hz"
    );
    let fft_bin_width = sample_freq / fft_len as f32;
    let mel_low = mel_scale(low_freq);
    let mel_delta = (mel_scale(high_freq) - mel_low) / (opts.num_bins + 1) as f32;
    let bin_mels: Vec<f32> = (0..fft_len / 2)
        .map(|i| mel_scale(fft_bin_width * i as f32))
        .collect();
    (0..opts.num_bins)
        .map(|bin| {
            let left = mel_low + bin as f32 * mel_delta;
            let center = mel_low + (bin + 1) as f32 * mel_delta;
            let right = mel_low + (bin + 2) as f32 * mel_delta;
            triangle(&bin_mels, left, center, right)
                .unwrap_or_else(|| panic!("mel bin {bin} covers no FFT bin: too many mel bins"))
        })
        .collect()
}

/// The FFT bins strictly between `left` and `right` (in mel) with their triangle weights.
fn triangle(bin_mels: &[f32], left: f32, center: f32, right: f32) -> Option<MelBin> {
    let first = bin_mels.iter().position(|&m| m > left && m < right)?;
    let weights: Vec<f32> = bin_mels[first..]
        .iter()
        .take_while(|&&m| m > left && m < right)
        .map(|&m| {
            if m <= center {
                (m - left) / (center - left)
            } else {
                (right - m) / (right - center)
            }
        })
        .collect();
    Some(MelBin {
        offset: first,
        weights,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// knf's ExtractWindow reflection loop, verbatim, to check the closed form against.
    fn reflect_like_kaldi(mut index: i64, n: usize) -> usize {
        let n = n as i64;
        while index < 0 || index >= n {
            index = if index < 0 {
                -index - 1
            } else {
                2 * n - 1 - index
            };
        }
        index as usize
    }

    #[test]
    fn default_frame_geometry() {
        let opts = FbankOptions::default();
        assert_eq!(opts.frame_length(), 400);
        assert_eq!(opts.frame_shift(), 160);
        let fbank = Fbank::new(opts);
        assert_eq!(fbank.fft.len(), 512);
        assert_eq!(fbank.num_bins(), 80);
    }

    #[test]
    fn frame_count_rounds_to_nearest_shift() {
        let fbank = Fbank::new(FbankOptions::default());
        let cases = [
            (0, 0),
            (79, 0),
            (80, 1),
            (100, 1),
            (239, 1),
            (240, 2),
            (300, 2),
            (399, 2),
            (400, 3),
            (16_000, 100),
            (48_000, 300),
        ];
        for (samples, frames) in cases {
            assert_eq!(fbank.num_frames(samples), frames, "{samples} samples");
        }
    }

    #[test]
    fn frame_count_with_snip_edges() {
        assert_eq!(num_frames(399, 400, 160, true), 0);
        assert_eq!(num_frames(400, 400, 160, true), 1);
        assert_eq!(num_frames(559, 400, 160, true), 1);
        assert_eq!(num_frames(560, 400, 160, true), 2);
    }

    #[test]
    fn frames_are_centred_on_their_shift() {
        assert_eq!(first_sample_of_frame(0, 400, 160, false), -120);
        assert_eq!(first_sample_of_frame(1, 400, 160, false), 40);
        assert_eq!(first_sample_of_frame(2, 400, 160, true), 320);
    }

    #[test]
    fn reflection_mirrors_at_both_ends() {
        assert_eq!(reflect_index(-1, 10), 0);
        assert_eq!(reflect_index(-2, 10), 1);
        assert_eq!(reflect_index(10, 10), 9);
        assert_eq!(reflect_index(11, 10), 8);
        assert_eq!(reflect_index(5, 10), 5);
        // 100 samples, frame 0 spans -120..280: both ends, more than once.
        assert_eq!(reflect_index(-120, 100), 80);
        assert_eq!(reflect_index(279, 100), 79);
    }

    #[test]
    fn reflection_matches_kaldi_loop() {
        for n in 1..=12 {
            for index in -50..50 {
                assert_eq!(
                    reflect_index(index, n),
                    reflect_like_kaldi(index, n),
                    "index {index}, n {n}"
                );
            }
        }
    }

    #[test]
    fn povey_window_shape() {
        let w = povey_window(400);
        assert_eq!(w.len(), 400);
        assert_eq!(w[0], 0.0);
        assert!(w[399] < 1e-6);
        assert!(w.iter().all(|&x| (0.0..=1.0).contains(&x)));
        for i in 0..200 {
            assert!((w[i] - w[399 - i]).abs() < 1e-6, "asymmetric at {i}");
        }
        for i in 1..200 {
            assert!(w[i] > w[i - 1], "not rising at {i}");
        }
        assert!(w[199] > 0.9999);
        // Spot value: (0.5 - 0.5 cos(2 pi 100 / 399))^0.85.
        let expected = (0.5 - 0.5 * (std::f64::consts::TAU * 100.0 / 399.0).cos()).powf(0.85);
        assert_eq!(w[100], expected as f32);
    }

    #[test]
    fn mel_banks_cover_low_to_high_freq() {
        let banks = mel_banks(&FbankOptions::default(), 512);
        assert_eq!(banks.len(), 80);
        // 31.25 Hz per FFT bin: 20 Hz excludes bin 0, 7600 Hz ends before bin 244.
        assert_eq!(banks[0].offset, 1);
        let last = &banks[79];
        assert!(last.offset + last.weights.len() <= 244);
        for (i, bank) in banks.iter().enumerate() {
            assert!(!bank.weights.is_empty(), "bin {i} empty");
            assert!(bank.weights.iter().all(|&w| w > 0.0 && w <= 1.0));
        }
        for pair in banks.windows(2) {
            assert!(pair[1].offset >= pair[0].offset);
        }
    }

    #[test]
    fn preemphasis_follows_kaldi_convention() {
        let mut frame = [1.0f32, 2.0, 4.0];
        preemphasize(&mut frame, 0.5);
        assert_eq!(frame, [0.5, 1.5, 3.0]);
    }

    #[test]
    fn empty_and_too_short_input_give_no_rows() {
        let fbank = Fbank::new(FbankOptions::default());
        assert_eq!(fbank.compute(&[]).dim(), (0, 80));
        assert_eq!(fbank.compute(&[0.1; 79]).dim(), (0, 80));
    }

    #[test]
    fn silence_and_dc_hit_the_log_floor() {
        let fbank = Fbank::new(FbankOptions::default());
        let floor = f32::EPSILON.ln();
        for level in [0.0, 0.25] {
            let feats = fbank.compute(&[level; 1_600]);
            assert_eq!(feats.dim(), (10, 80));
            assert!(feats.iter().all(|&x| x == floor), "level {level}");
        }
    }

    #[test]
    fn tone_peaks_in_the_right_bin() {
        let fbank = Fbank::new(FbankOptions::default());
        let samples: Vec<f32> = (0..16_000)
            .map(|i| 0.5 * (std::f32::consts::TAU * 1_000.0 * i as f32 / 16_000.0).sin())
            .collect();
        let feats = fbank.compute(&samples);
        let row = feats.row(50);
        let peak = (0..80).max_by(|&a, &b| row[a].total_cmp(&row[b]));
        let center_mel = |bin: usize| {
            let delta = (mel_scale(7_600.0) - mel_scale(20.0)) / 81.0;
            mel_scale(20.0) + (bin + 1) as f32 * delta
        };
        let peak = peak.map(center_mel);
        let target = mel_scale(1_000.0);
        assert!(peak.is_some_and(|m| (m - target).abs() < 40.0), "{peak:?}");
    }

    #[test]
    fn is_send_and_sync() {
        fn shared<T: Send + Sync>() {}
        shared::<Fbank>();
    }
}
