//! The real FFT of the feature front end, computing exactly what kaldi-native-fbank computes.
//!
//! knf (≥ 1.22, and the copy inside sherpa-onnx 2.0.1) runs kissfft's real FFT in `f32`, built
//! with `-O3 -ffast-math` by kissfft's CMake. Fast-math lets the compiler regroup the sums in
//! the butterflies, so neither an exact FFT nor kissfft built with other flags reproduces knf's
//! last bits, and those bits matter: the int8 encoders quantise their input per utterance, so a
//! one-ulp feature difference can flip a quantisation step and, on a random-weight replica, a
//! token. This module is our own radix-4 decimation-in-time FFT whose every rounding step is
//! the one the shipped knf binary performs (read off its machine code); `tests/fbank_golden.rs`
//! checks it bit for bit against the PyPI `kaldi-native-fbank` package.

/// A complex value as (re, im).
type Complex = (f32, f32);

/// A real FFT of `len` points, where `len / 2` is a power of 4 (8, 32, 128, 512, 2048, …;
/// the fbank uses 512). Plans are immutable and shared; scratch space is per call.
#[derive(Debug, Clone)]
pub struct RealFft {
    len: usize,
    /// `exp(-2πi k / (len/2))`, k = 0..len/2, for the complex half-size FFT.
    twiddles: Vec<Complex>,
    /// `exp(-πi ((k+1)/(len/2) + 1/2))`, k = 0..len/4, to split the half-size result.
    super_twiddles: Vec<Complex>,
}

impl RealFft {
    /// # Panics
    /// If `len / 2` is not a power of 4 (only radix-4 stages are implemented).
    pub fn new(len: usize) -> Self {
        let half = len / 2;
        assert!(
            half >= 4 && half.is_power_of_two() && half.trailing_zeros().is_multiple_of(2),
            "RealFft needs len/2 to be a power of 4, got len {len}"
        );
        // Phases are formed in the order the reference binary forms them: reciprocal first.
        let step = (1.0 / half as f64) * -std::f64::consts::TAU;
        let twiddles = (0..half).map(|k| unit(k as f64 * step)).collect();
        let inverse_half = 1.0 / half as f64;
        let super_twiddles = (1..=half / 2)
            .map(|k| unit((k as f64 * inverse_half + 0.5) * -std::f64::consts::PI))
            .collect();
        RealFft {
            len,
            twiddles,
            super_twiddles,
        }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Power spectrum `re² + im²` of bins `0..=len/2` of the real signal `input`.
    pub fn power_spectrum(&self, input: &[f32], scratch: &mut FftScratch, power: &mut [f32]) {
        assert_eq!(input.len(), self.len);
        assert_eq!(power.len(), self.len / 2 + 1);
        let spectrum = self.transform(input, scratch);
        for (p, &(re, im)) in power.iter_mut().zip(spectrum) {
            *p = re * re + im * im;
        }
    }

    /// Spectrum bins `0..=len/2` of the real signal `input`.
    pub fn transform<'s>(&self, input: &[f32], scratch: &'s mut FftScratch) -> &'s [Complex] {
        let half = self.len / 2;
        scratch.packed.clear();
        scratch
            .packed
            .extend(input.chunks_exact(2).map(|pair| (pair[0], pair[1])));
        scratch.work.resize(half, (0.0, 0.0));
        self.complex_stage(&mut scratch.work, &scratch.packed, 0, 1, half);
        self.split(&scratch.work, &mut scratch.spectrum);
        &scratch.spectrum
    }

    /// Decimation in time: `out[0..4m]` ← FFT of `input[offset + j·stride]`, j = 0..4m.
    fn complex_stage(
        &self,
        out: &mut [Complex],
        input: &[Complex],
        offset: usize,
        stride: usize,
        n: usize,
    ) {
        let m = n / 4;
        if m == 1 {
            for (q, slot) in out[..4].iter_mut().enumerate() {
                *slot = input[offset + q * stride];
            }
        } else {
            for q in 0..4 {
                self.complex_stage(
                    &mut out[q * m..(q + 1) * m],
                    input,
                    offset + q * stride,
                    stride * 4,
                    m,
                );
            }
        }
        self.butterflies(&mut out[..n], stride, m);
    }

    /// Radix-4 butterflies, grouped exactly as the reference binary groups them.
    fn butterflies(&self, out: &mut [Complex], stride: usize, m: usize) {
        for u in 0..m {
            let w1 = self.twiddles[u * stride];
            let w2 = self.twiddles[2 * u * stride];
            let w3 = self.twiddles[3 * u * stride];
            let (a0, a1, a2, a3) = (out[u], out[u + m], out[u + 2 * m], out[u + 3 * m]);
            let s0 = (w1.0 * a1.0 - w1.1 * a1.1, a1.1 * w1.0 + w1.1 * a1.0);
            let (p2, q2) = (w2.0 * a2.0, w2.1 * a2.1);
            let s1_im = a2.1 * w2.0 + w2.1 * a2.0;
            let (p3, q3) = (w3.0 * a3.0, w3.1 * a3.1);
            let s2_im = a3.1 * w3.0 + w3.1 * a3.0;
            let f0 = ((a0.0 + p2) - q2, a0.1 + s1_im);
            let s5 = ((a0.0 + q2) - p2, a0.1 - s1_im);
            let s3 = ((s0.0 - q3) + p3, s2_im + s0.1);
            let s4_re = (s0.0 - p3) + q3;
            out[u + 2 * m] = (f0.0 - s3.0, f0.1 - s3.1);
            out[u] = (s3.0 + f0.0, s3.1 + f0.1);
            out[u + m] = ((s5.0 + s0.1) - s2_im, s5.1 - s4_re);
            out[u + 3 * m] = ((s5.0 + s2_im) - s0.1, s4_re + s5.1);
        }
    }

    /// Splits the half-size complex FFT of the packed signal into the real signal's spectrum.
    fn split(&self, z: &[Complex], spectrum: &mut Vec<Complex>) {
        let half = z.len();
        spectrum.clear();
        spectrum.resize(half + 1, (0.0, 0.0));
        spectrum[0] = (z[0].0 + z[0].1, 0.0);
        spectrum[half] = (z[0].0 - z[0].1, 0.0);
        for k in 1..=half / 2 {
            let (a, b) = (z[half - k], z[k]);
            let w = self.super_twiddles[k - 1];
            let sum_re = a.0 + b.0;
            let diff_re = b.0 - a.0;
            let sum_im = a.1 + b.1;
            let (p1, p2) = (diff_re * w.0, sum_im * w.1);
            let twisted_im = w.0 * sum_im + diff_re * w.1;
            spectrum[k] = (((sum_re + p1) - p2) * 0.5, ((b.1 - a.1) + twisted_im) * 0.5);
            // At k = half/2 both writes hit one bin; the reference keeps this second one.
            spectrum[half - k] = (((sum_re + p2) - p1) * 0.5, ((a.1 - b.1) + twisted_im) * 0.5);
        }
    }
}

/// Work buffers for [`RealFft`], reused across frames.
#[derive(Debug, Default, Clone)]
pub struct FftScratch {
    packed: Vec<Complex>,
    work: Vec<Complex>,
    spectrum: Vec<Complex>,
}

/// `(cos φ, sin φ)` rounded to `f32`.
fn unit(phase: f64) -> Complex {
    let (sin, cos) = phase.sin_cos();
    (cos as f32, sin as f32)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dft(input: &[f32]) -> Vec<(f64, f64)> {
        let n = input.len();
        (0..=n / 2)
            .map(|k| {
                input
                    .iter()
                    .enumerate()
                    .fold((0.0, 0.0), |(re, im), (j, &x)| {
                        let phase = -std::f64::consts::TAU * (j * k) as f64 / n as f64;
                        (re + x as f64 * phase.cos(), im + x as f64 * phase.sin())
                    })
            })
            .collect()
    }

    #[test]
    fn agrees_with_a_plain_dft() {
        for len in [8, 32, 128, 512] {
            let input: Vec<f32> = (0..len)
                .map(|i| ((i * 7919) % 113) as f32 / 50.0 - 1.1)
                .collect();
            let fft = RealFft::new(len);
            let mut scratch = FftScratch::default();
            let ours = fft.transform(&input, &mut scratch).to_vec();
            for (k, (re, im)) in dft(&input).into_iter().enumerate() {
                let scale = len as f64;
                assert!(
                    (ours[k].0 as f64 - re).abs() < 1e-5 * scale,
                    "len {len} bin {k} re"
                );
                assert!(
                    (ours[k].1 as f64 - im).abs() < 1e-5 * scale,
                    "len {len} bin {k} im"
                );
            }
        }
    }

    #[test]
    fn power_of_a_cosine_sits_in_its_bin() {
        let n = 512;
        let input: Vec<f32> = (0..n)
            .map(|i| (std::f32::consts::TAU * 8.0 * i as f32 / n as f32).cos())
            .collect();
        let mut power = vec![0.0; n / 2 + 1];
        RealFft::new(n).power_spectrum(&input, &mut FftScratch::default(), &mut power);
        let expected = (n as f32 / 2.0).powi(2);
        assert!((power[8] - expected).abs() / expected < 1e-4);
    }

    #[test]
    #[should_panic(expected = "power of 4")]
    fn rejects_sizes_without_radix_4_stages() {
        RealFft::new(256);
    }
}
