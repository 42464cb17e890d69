//! Sample-rate conversion to the engine's 16 kHz, streaming and time-aligned.
//!
//! [`Resampler`] wraps rubato's asynchronous sinc resampler so that callers can push input in
//! chunks of any length and get exactly what one call over the whole signal would give: rubato
//! always sees the same fixed-size chunks, whatever the caller's chunking. The filter's delay
//! is removed, so output sample `k` is the input signal at time `k / to_rate`, and
//! [`Resampler::flush`] ends the stream at `round(n_in * to / from)` samples.

use rubato::audioadapter_buffers::direct::SequentialSlice;
use rubato::{
    Adjustable, Async, FixedAsync, Indexing, Resampler as _, SincInterpolationParameters,
    SincInterpolationType, WindowFunction,
};

/// Lowest sample rate accepted, in Hz: below it nothing speech-like survives anyway.
pub const MIN_RATE: u32 = 1_000;
/// Highest sample rate accepted, in Hz: twice the highest rate in common use (192 kHz).
pub const MAX_RATE: u32 = 384_000;

/// Sinc length for upsampling; downsampling scales it by the ratio so the transition band stays
/// as narrow relative to the output band (about 5 % of 8 kHz at 16 kHz out).
const BASE_SINC_LEN: usize = 256;
/// Points per input sample in the sinc table. Linear interpolation between table rows at this
/// density errs by about (pi / 512)^2 / 8, near -106 dB: far below 16-bit audio's noise floor,
/// at half the cost of cubic interpolation (2 dot products per output sample instead of 4).
const OVERSAMPLING: usize = 512;
/// Input frames per rubato call when upsampling; downsampling multiplies it by the (rounded up)
/// factor, so that a call yields about 1024 output frames whatever the input rate.
const BASE_CHUNK: usize = 1024;
/// Headroom for the step nudge made while aligning (see [`SincStage::align_start`]), which
/// is under 0.1 % given the chunk sizes above.
const MAX_RELATIVE_RATIO: f64 = 1.01;

/// Why a [`Resampler`] could not be built.
#[derive(Debug, thiserror::Error)]
pub enum ResampleError {
    /// One of the rates is outside [`MIN_RATE`]..=[`MAX_RATE`].
    #[error(
        "sample rate {rate} Hz is not supported: rates from {MIN_RATE} to {MAX_RATE} Hz are; \
         convert the audio to a common rate such as 16000, 44100 or 48000 Hz first"
    )]
    UnsupportedRate {
        /// The offending rate, in Hz.
        rate: u32,
    },
    /// rubato refused the parameters (a bug here, since the rates were checked).
    #[error("could not build a resampler from {from} Hz to {to} Hz: {source}")]
    Construction {
        /// Input rate, in Hz.
        from: u32,
        /// Output rate, in Hz.
        to: u32,
        /// rubato's reason.
        #[source]
        source: rubato::ResamplerConstructionError,
    },
}

/// Streaming mono resampler from `from_rate` to `to_rate`.
///
/// Feed input with [`process`](Self::process) in chunks of any length, then call
/// [`flush`](Self::flush) once at the end of the stream. After a flush the resampler starts
/// over, ready for an unrelated stream.
pub struct Resampler {
    /// `None` when the rates are equal: samples are passed through untouched.
    stage: Option<SincStage>,
}

impl std::fmt::Debug for Resampler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.stage {
            None => f.write_str("Resampler(pass-through)"),
            Some(s) => write!(f, "Resampler({} Hz -> {} Hz)", s.from, s.to),
        }
    }
}

impl Resampler {
    /// Builds a resampler; equal rates give an exact pass-through with no filtering.
    pub fn new(from_rate: u32, to_rate: u32) -> Result<Self, ResampleError> {
        for rate in [from_rate, to_rate] {
            if !(MIN_RATE..=MAX_RATE).contains(&rate) {
                return Err(ResampleError::UnsupportedRate { rate });
            }
        }
        let stage = if from_rate == to_rate {
            None
        } else {
            Some(SincStage::new(from_rate, to_rate)?)
        };
        Ok(Self { stage })
    }

    /// Resamples `input` and appends what is ready to `out`. Input that does not yet fill a
    /// filter chunk is kept for the next call.
    pub fn process(&mut self, input: &[f32], out: &mut Vec<f32>) {
        match &mut self.stage {
            None => out.extend_from_slice(input),
            Some(stage) => stage.process(input, out),
        }
    }

    /// Ends the stream: appends the remaining output so that the total is
    /// `round(n_in * to / from)` samples, then resets for a new stream.
    pub fn flush(&mut self, out: &mut Vec<f32>) {
        if let Some(stage) = &mut self.stage {
            stage.flush(out);
        }
    }
}

/// The real conversion, with its input buffer and output bookkeeping.
struct SincStage {
    from: u32,
    to: u32,
    /// `f32` throughout: about twice as fast as `f64`. Its one cost is that rubato normalises
    /// the `f32` sinc table with a little rounding, a uniform gain error of -78 dB (192 kHz in)
    /// to -93 dB (48 kHz in), measured: irrelevant to recognition.
    rubato: Async<f32>,
    /// Input frames per rubato call.
    chunk: usize,
    /// Length of the sinc filter, in input frames (a multiple of 8, as rubato uses it).
    sinc_len: usize,
    /// Input received but not yet a full chunk (always shorter than `chunk`).
    pending: Vec<f32>,
    /// rubato's output for one call.
    scratch: Vec<f32>,
    /// Leading outputs still to drop: the filter delay.
    to_skip: usize,
    /// Input frames received since the stream started.
    n_in: u64,
    /// Output frames emitted since the stream started.
    n_out: u64,
}

impl SincStage {
    fn new(from: u32, to: u32) -> Result<Self, ResampleError> {
        let t_ratio = f64::from(from) / f64::from(to);
        let down = t_ratio.max(1.0);
        let sinc_len = (BASE_SINC_LEN as f64 * down / 8.0).ceil() as usize * 8;
        let chunk = BASE_CHUNK * down.ceil() as usize;
        let params = SincInterpolationParameters::new(sinc_len, WindowFunction::BlackmanHarris2)
            .oversampling_factor(OVERSAMPLING)
            .interpolation(SincInterpolationType::Linear);
        let rubato = Async::<f32>::new_sinc(
            ratio(from, to),
            MAX_RELATIVE_RATIO,
            &params,
            chunk,
            1,
            FixedAsync::Input,
        )
        .map_err(|source| ResampleError::Construction { from, to, source })?;
        let scratch = vec![0.0; rubato.output_frames_max()];
        let mut stage = Self {
            from,
            to,
            rubato,
            chunk,
            sinc_len,
            pending: Vec::with_capacity(chunk),
            scratch,
            to_skip: 0,
            n_in: 0,
            n_out: 0,
        };
        stage.align_start();
        Ok(stage)
    }

    /// Makes output frame `to_skip` after this call land exactly on input frame 0.
    ///
    /// rubato evaluates its output frame `k` at input time `(k + 1) * t - L / 2 + 1 / F`
    /// (t = from / to, L = sinc length, F = oversampling; derived from rubato 5.1's index
    /// convention and checked by the alignment tests). Dropping whole output frames can only
    /// shift that grid by multiples of `t`, and `L / 2 - 1 / F` is rarely one, so rubato's own
    /// integer `output_delay()` leaves up to half a sample of shift. Instead one chunk of
    /// silence is run first with a slightly longer step, which moves the grid by the remainder;
    /// its output is silence and is dropped with the rest of the delay.
    fn align_start(&mut self) {
        let t = 1.0 / ratio(self.from, self.to);
        // Stream time of our input frame 0, after the silent chunk.
        let target = self.chunk as f64 + self.sinc_len as f64 / 2.0 - 1.0 / OVERSAMPLING as f64;
        let first_real = (target / t).floor() as usize - 1;
        let shift = target - (first_real + 1) as f64 * t;
        let warmup_out = self.nudge_step(t, shift);
        let silence = Indexing::new().partial_len(0);
        let (_, produced) = self.run_chunk(&[], Some(&silence));
        debug_assert_eq!(produced, warmup_out);
        self.rubato
            .set_resample_ratio(ratio(self.from, self.to), false)
            .expect("the original ratio is always within bounds");
        self.to_skip = first_real - produced;
    }

    /// Sets the step for the next chunk so that its outputs advance `shift` input frames more
    /// than at the normal step `t`; returns how many outputs that chunk will give.
    fn nudge_step(&mut self, t: f64, shift: f64) -> usize {
        let mut frames = self.rubato.output_frames_next();
        // The frame count depends on the step only at the margin: settle it in a few rounds.
        for _ in 0..4 {
            let step = t + shift / frames as f64;
            self.rubato
                .set_resample_ratio(1.0 / step, false)
                .expect("a nudge of at most one step per chunk is within bounds");
            let next = self.rubato.output_frames_next();
            if next == frames {
                break;
            }
            frames = next;
        }
        frames
    }

    fn process(&mut self, mut input: &[f32], out: &mut Vec<f32>) {
        self.n_in += input.len() as u64;
        if !self.pending.is_empty() {
            let take = (self.chunk - self.pending.len()).min(input.len());
            self.pending.extend_from_slice(&input[..take]);
            input = &input[take..];
            if self.pending.len() < self.chunk {
                return;
            }
            let full = std::mem::take(&mut self.pending);
            self.resample_chunk(&full, None, out);
            self.pending = full;
            self.pending.clear();
        }
        // Whole chunks straight from the caller's slice: no copy, and `pending` stays small.
        let mut blocks = input.chunks_exact(self.chunk);
        for block in &mut blocks {
            self.resample_chunk(block, None, out);
        }
        self.pending.extend_from_slice(blocks.remainder());
    }

    fn flush(&mut self, out: &mut Vec<f32>) {
        let total = expected_len(self.n_in, self.from, self.to);
        let tail = std::mem::take(&mut self.pending);
        let partial = Indexing::new().partial_len(tail.len());
        self.resample_chunk(&tail, Some(&partial), out);
        let silence = Indexing::new().partial_len(0);
        while self.n_out < total {
            self.resample_chunk(&[], Some(&silence), out);
        }
        let excess = (self.n_out - total) as usize;
        out.truncate(out.len() - excess);
        self.restart(tail);
    }

    /// Back to the state of a new stream, keeping the allocations.
    fn restart(&mut self, mut pending: Vec<f32>) {
        pending.clear();
        self.pending = pending;
        self.n_in = 0;
        self.n_out = 0;
        self.rubato.reset();
        self.align_start();
    }

    /// Runs one rubato call on `input` and appends its output, minus any delay still to drop.
    fn resample_chunk(&mut self, input: &[f32], indexing: Option<&Indexing>, out: &mut Vec<f32>) {
        let (_, produced) = self.run_chunk(input, indexing);
        let skip = self.to_skip.min(produced);
        self.to_skip -= skip;
        out.extend_from_slice(&self.scratch[skip..produced]);
        self.n_out += (produced - skip) as u64;
    }

    /// One rubato call into `scratch`; returns (input frames used, output frames written).
    fn run_chunk(&mut self, input: &[f32], indexing: Option<&Indexing>) -> (usize, usize) {
        let frames_in = input.len();
        let frames_out = self.scratch.len();
        let adapter_in = SequentialSlice::new(input, 1, frames_in).expect("mono slice");
        let mut adapter_out =
            SequentialSlice::new_mut(&mut self.scratch, 1, frames_out).expect("mono slice");
        self.rubato
            .process_into_buffer(&adapter_in, &mut adapter_out, indexing)
            .expect("chunk sizes follow rubato's input_frames_next/output_frames_max")
    }
}

/// Output/input ratio, computed one way everywhere so that restoring it is exact.
fn ratio(from: u32, to: u32) -> f64 {
    f64::from(to) / f64::from(from)
}

/// `round(n_in * to / from)` in exact integer arithmetic (halves round up).
pub fn expected_len(n_in: u64, from: u32, to: u32) -> u64 {
    let num = u128::from(n_in) * u128::from(to) * 2 + u128::from(from);
    (num / (u128::from(from) * 2)) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Deterministic pseudo-random numbers (xorshift), so failures replay.
    fn xorshift(state: &mut u64) -> u64 {
        *state ^= *state << 13;
        *state ^= *state >> 7;
        *state ^= *state << 17;
        *state
    }

    fn noise(n: usize, seed: u64) -> Vec<f32> {
        let mut s = seed;
        (0..n)
            .map(|_| (xorshift(&mut s) >> 40) as f32 / (1u64 << 24) as f32 - 0.5)
            .collect()
    }

    fn one_shot(from: u32, to: u32, input: &[f32]) -> Vec<f32> {
        let mut r = Resampler::new(from, to).unwrap();
        let mut out = Vec::new();
        r.process(input, &mut out);
        r.flush(&mut out);
        out
    }

    #[test]
    fn equal_rates_pass_through_bit_identical() {
        let input = noise(10_000, 1);
        let out = one_shot(16_000, 16_000, &input);
        assert_eq!(
            out.iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
            input.iter().map(|x| x.to_bits()).collect::<Vec<_>>()
        );
    }

    #[test]
    fn chunked_input_equals_one_shot() {
        let input = noise(50_000, 2);
        for from in [8_000, 44_100, 48_000] {
            let whole = one_shot(from, 16_000, &input);
            let mut r = Resampler::new(from, 16_000).unwrap();
            let (mut out, mut pos, mut seed) = (Vec::new(), 0, u64::from(from));
            while pos < input.len() {
                let len = (xorshift(&mut seed) % 3000) as usize;
                let end = (pos + len).min(input.len());
                r.process(&input[pos..end], &mut out);
                pos = end;
            }
            r.flush(&mut out);
            assert_eq!(out, whole, "{from} Hz");
        }
    }

    #[test]
    fn flush_gives_rounded_length() {
        for from in [8_000, 11_025, 22_050, 44_100, 48_000, 96_000, 192_000] {
            for n in [0, 1, 2, 7, 100, 1_023, 1_024, 1_025, 4_410, 30_001] {
                let out = one_shot(from, 16_000, &noise(n, 3));
                let want = expected_len(n as u64, from, 16_000);
                assert_eq!(out.len() as u64, want, "{n} frames at {from} Hz");
            }
        }
    }

    #[test]
    fn flush_restarts_the_stream() {
        let input = noise(5_000, 4);
        let mut r = Resampler::new(44_100, 16_000).unwrap();
        let mut first = Vec::new();
        r.process(&input, &mut first);
        r.flush(&mut first);
        let mut second = Vec::new();
        r.process(&input, &mut second);
        r.flush(&mut second);
        assert_eq!(first, second);
    }

    #[test]
    fn extreme_and_non_16k_rates_work() {
        let pairs = [
            (1_000, 16_000),
            (384_000, 16_000),
            (44_100, 48_000),
            (16_000, 8_000),
        ];
        for (from, to) in pairs {
            let n = from as usize / 10;
            let out = one_shot(from, to, &noise(n, 5));
            assert_eq!(
                out.len() as u64,
                expected_len(n as u64, from, to),
                "{from} -> {to}"
            );
        }
    }

    #[test]
    fn rejects_rates_out_of_range() {
        for (from, to) in [(0, 16_000), (16_000, 0), (500, 16_000), (1_000_000, 16_000)] {
            let err = Resampler::new(from, to).unwrap_err();
            assert!(err.to_string().contains("not supported"), "{err}");
        }
    }

    #[test]
    fn expected_len_rounds_half_up() {
        assert_eq!(expected_len(3, 48_000, 16_000), 1);
        assert_eq!(expected_len(441, 44_100, 16_000), 160);
        assert_eq!(expected_len(1, 32_000, 16_000), 1);
        assert_eq!(expected_len(u64::MAX / 4, 8_000, 16_000), u64::MAX / 2 - 1);
    }
}
