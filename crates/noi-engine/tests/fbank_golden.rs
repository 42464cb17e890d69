//! Golden test: `noi_engine::features` against kaldi-native-fbank configured as sherpa-onnx does.
//!
//! The WAVs and `.fbank` matrices in `tests/data/fbank/` come from
//! `scripts/reference/make_fbank_goldens.py`; see that script for the `.fbank` layout.

use std::path::{Path, PathBuf};

use ndarray::Array2;
use noi_engine::features::{Fbank, FbankOptions};

/// Largest allowed |ours - knf| on any feature value (natural-log mel energies). The issue
/// asks for 1e-3; the front end reproduces knf's arithmetic (see `src/fft.rs`), so on x86-64
/// with glibc the values are identical, and this bound only leaves room for a libm whose
/// `sin`/`cos` round a twiddle factor differently.
const TOLERANCE: f32 = 1e-5;

fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/fbank")
}

fn u16_at(bytes: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([bytes[at], bytes[at + 1]])
}

fn u32_at(bytes: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
}

/// Reads a 16 kHz mono PCM16 WAV, scaled by 1/32768 exactly like the script does.
fn read_wav(path: &Path) -> Vec<f32> {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert!(
        &bytes[0..4] == b"RIFF" && &bytes[8..12] == b"WAVE",
        "not a WAV"
    );
    let mut at = 12;
    let mut format_ok = false;
    while at + 8 <= bytes.len() {
        let id = &bytes[at..at + 4];
        let size = u32_at(&bytes, at + 4) as usize;
        let body = &bytes[at + 8..at + 8 + size];
        if id == b"fmt " {
            let (format, channels) = (u16_at(body, 0), u16_at(body, 2));
            let (rate, bits) = (u32_at(body, 4), u16_at(body, 14));
            assert_eq!(
                (format, channels, rate, bits),
                (1, 1, 16_000, 16),
                "{path:?}"
            );
            format_ok = true;
        } else if id == b"data" {
            assert!(format_ok, "data before fmt in {path:?}");
            return body
                .chunks_exact(2)
                .map(|b| f32::from(i16::from_le_bytes([b[0], b[1]])) / 32768.0)
                .collect();
        }
        // RIFF chunks are padded to an even length.
        at += 8 + size + (size & 1);
    }
    panic!("no data chunk in {path:?}");
}

/// Reads `b"NOIFBANK"`, u32 rows, u32 cols, then rows * cols little-endian f32.
fn read_golden(path: &Path) -> Array2<f32> {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert_eq!(&bytes[0..8], b"NOIFBANK", "bad magic in {path:?}");
    let rows = u32_at(&bytes, 8) as usize;
    let cols = u32_at(&bytes, 12) as usize;
    let values: Vec<f32> = bytes[16..]
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect();
    Array2::from_shape_vec((rows, cols), values).expect("golden size matches its header")
}

/// Largest |diff| and where it is, over the values `include` accepts.
#[derive(Debug, Default, Clone, Copy)]
struct Worst {
    diff: f32,
    frame: usize,
    bin: usize,
}

impl Worst {
    fn update(&mut self, diff: f32, frame: usize, bin: usize) {
        if diff.is_nan() || diff > self.diff {
            *self = Self { diff, frame, bin };
        }
    }
}

/// The worst difference over every value, and how many values are bit-identical.
fn compare(actual: &Array2<f32>, expected: &Array2<f32>) -> (Worst, usize) {
    let mut worst = Worst::default();
    let mut identical = 0;
    for (frame, (got, want)) in actual.rows().into_iter().zip(expected.rows()).enumerate() {
        for (bin, (&g, &w)) in got.iter().zip(want.iter()).enumerate() {
            worst.update((g - w).abs(), frame, bin);
            identical += usize::from(g.to_bits() == w.to_bits());
        }
    }
    (worst, identical)
}

fn check_clip(name: &str) {
    let dir = data_dir();
    let samples = read_wav(&dir.join(format!("{name}.wav")));
    let expected = read_golden(&dir.join(format!("{name}.fbank")));
    let fbank = Fbank::new(FbankOptions::default());
    let actual = fbank.compute(&samples);

    assert_eq!(fbank.num_frames(samples.len()), expected.nrows(), "{name}");
    assert_eq!(actual.dim(), expected.dim(), "{name}: frame count or dim");

    let (worst, identical) = compare(&actual, &expected);
    println!(
        "{name}: {} samples, {} frames, max |diff| {:e} (frame {}, bin {}), {identical} of {} values bit-identical",
        samples.len(),
        actual.nrows(),
        worst.diff,
        worst.frame,
        worst.bin,
        actual.len()
    );
    assert!(worst.diff <= TOLERANCE, "{name}: {worst:?}");
}

#[test]
fn vietnamese_speech() {
    check_clip("vi_speech");
}

#[test]
fn upsampled_from_8k() {
    check_clip("vi_8k_upsampled");
}

#[test]
fn shorter_than_one_frame() {
    check_clip("short_300");
}

#[test]
fn tiny_clip_reflected_twice() {
    check_clip("tiny_100");
}

#[test]
fn silence_dc_and_clipping() {
    check_clip("silence_clipping");
}
