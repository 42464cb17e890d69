//! Decoding every fixture of scripts/make_audio_fixtures.sh, and the resampler's accuracy.
//!
//! Figures are printed with `--nocapture`, e.g.
//! `cargo test -p noi-engine --test audio_decode -- --nocapture`.

use std::f64::consts::PI;
use std::path::PathBuf;

mod common;

use common::log_capture::log_during;
use noi_engine::audio::{AudioError, AudioReader, TARGET_RATE, read_all, read_all_bytes};
use noi_engine::resample::{Resampler, expected_len};

const TONE_HZ: f64 = 440.0;
const TONE_AMP: f64 = 0.5;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/audio")
        .join(name)
}

fn decode(name: &str) -> (Vec<f32>, noi_engine::audio::AudioInfo) {
    read_all(&fixture(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn decode_err(name: &str) -> AudioError {
    match read_all(&fixture(name)) {
        Ok((s, _)) => panic!("{name}: decoded {} samples, expected an error", s.len()),
        Err(e) => e,
    }
}

/// Channels and interleaved samples of a 16-bit PCM WAV, read directly (no symphonia).
fn raw_pcm16(name: &str) -> (usize, Vec<i16>) {
    let bytes = std::fs::read(fixture(name)).unwrap();
    let (mut pos, mut channels, mut data) = (12, 0, Vec::new());
    while pos + 8 <= bytes.len() {
        let id = &bytes[pos..pos + 4];
        let len = u32::from_le_bytes(bytes[pos + 4..pos + 8].try_into().unwrap()) as usize;
        let body = &bytes[pos + 8..(pos + 8 + len).min(bytes.len())];
        match id {
            b"fmt " => channels = u16::from_le_bytes([body[2], body[3]]) as usize,
            b"data" => data = body.to_vec(),
            _ => {}
        }
        pos += 8 + len + (len & 1);
    }
    let samples = data
        .chunks_exact(2)
        .map(|b| i16::from_le_bytes([b[0], b[1]]));
    (channels, samples.collect())
}

fn bits(samples: &[f32]) -> Vec<u32> {
    samples.iter().map(|s| s.to_bits()).collect()
}

/// Signal-to-error ratio in dB of `got` against `want`, over `want`'s length.
fn snr_db(got: &[f32], want: &[f64]) -> f64 {
    let signal: f64 = want.iter().map(|w| w * w).sum();
    let error: f64 = got
        .iter()
        .zip(want)
        .map(|(&g, w)| (f64::from(g) - w).powi(2))
        .sum();
    10.0 * (signal / error.max(1e-300)).log10()
}

/// `f(t)` sampled at `rate` for `n` samples.
fn sampled(rate: u32, n: usize, f: impl Fn(f64) -> f64) -> Vec<f64> {
    (0..n).map(|i| f(i as f64 / f64::from(rate))).collect()
}

fn tone(t: f64) -> f64 {
    TONE_AMP * (2.0 * PI * TONE_HZ * t).sin()
}

/// SNR of decoded 16 kHz output against the fixtures' 440 Hz tone, skipping 20 ms at each
/// end where lossy codecs and the resampler have edge effects.
fn tone_snr_db(samples: &[f32]) -> f64 {
    let edge = 320;
    let want = sampled(TARGET_RATE, samples.len(), tone);
    let end = samples.len() - edge;
    snr_db(&samples[edge..end], &want[edge..end])
}

// ---------------------------------------------------------------------------------------------
// Formats

struct Case {
    name: &'static str,
    rate: u32,
    channels: usize,
    frames: u64,
    /// Minimum SNR against the 440 Hz tone, for the files that hold it.
    min_snr_db: Option<f64>,
}

const fn case(name: &'static str, rate: u32, channels: usize, frames: u64, snr: f64) -> Case {
    let min_snr_db = if snr > 0.0 { Some(snr) } else { None };
    Case {
        name,
        rate,
        channels,
        frames,
        min_snr_db,
    }
}

/// Every decodable fixture, its true rate, channel count and length in frames. The SNR floors
/// sit below what each format measures (printed by the test): 8-bit PCM is ~50 dB by nature,
/// lossy codecs at 64 kb/s are well above 30 dB on a pure tone.
const CASES: &[Case] = &[
    case("s16_16k_mono.wav", 16_000, 1, 16_000, 90.0),
    case("u8_16k_mono.wav", 16_000, 1, 8_000, 40.0),
    case("s24_16k_mono.wav", 16_000, 1, 8_000, 130.0),
    case("s32_16k_mono.wav", 16_000, 1, 8_000, 130.0),
    case("f32_16k_mono.wav", 16_000, 1, 8_000, 130.0),
    case("s16_8k_mono.wav", 8_000, 1, 4_000, 85.0),
    case("s16_44k1_mono.wav", 44_100, 1, 17_640, 85.0),
    case("s16_48k_mono.wav", 48_000, 1, 19_200, 85.0),
    case("stereo_16k.wav", 16_000, 2, 8_000, 0.0),
    case("six_ch_16k.wav", 16_000, 6, 4_000, 0.0),
    case("tone_44k1.flac", 44_100, 1, 22_050, 85.0),
    case("six_ch_48k.flac", 48_000, 6, 9_600, 85.0),
    case("tone_44k1.mp3", 44_100, 1, 44_100, 20.0),
    case("tone_48k.ogg", 48_000, 1, 48_000, 30.0),
    case("tone_44k1.m4a", 44_100, 1, 44_100, 30.0),
    case("tone_16k.opus", 48_000, 1, 48_000, 30.0),
    case("speech_vi_22k05.wav", 22_050, 1, 22_050, 0.0),
];

#[test]
fn every_format_decodes_to_16k_with_its_duration() {
    for case in CASES {
        let (samples, info) = decode(case.name);
        let want = expected_len(case.frames, case.rate, TARGET_RATE) as i64;
        println!(
            "{:22} {:6} Hz {} ch: {} samples (want {want}), duration {:?}",
            case.name,
            info.sample_rate,
            info.channels,
            samples.len(),
            info.duration_secs
        );
        assert_eq!(info.sample_rate, case.rate, "{}", case.name);
        assert_eq!(info.channels, case.channels, "{}", case.name);
        assert!((samples.len() as i64 - want).abs() <= 1, "{}", case.name);
        let secs = case.frames as f64 / f64::from(case.rate);
        let declared = info.duration_secs.unwrap_or(secs);
        assert!(
            (declared - secs).abs() <= 1.0 / f64::from(case.rate),
            "{}",
            case.name
        );
    }
}

#[test]
fn tone_fixtures_match_the_analytic_tone() {
    for case in CASES {
        let Some(min) = case.min_snr_db else { continue };
        let (samples, _) = decode(case.name);
        let snr = tone_snr_db(&samples);
        let (lag, fine) = xcorr_peak(&samples, &sampled(TARGET_RATE, samples.len(), tone), 15);
        println!(
            "{:22} SNR vs 440 Hz tone: {snr:6.1} dB, lag {lag} ({fine:+.3})",
            case.name
        );
        assert!(snr >= min, "{}: {snr:.1} dB < {min} dB", case.name);
        assert_eq!(lag, 0, "{}: the tone is shifted", case.name);
    }
}

#[test]
fn int16_at_16k_is_bit_exact() {
    let (_, raw) = raw_pcm16("s16_16k_mono.wav");
    let want: Vec<f32> = raw.iter().map(|&s| f32::from(s) / 32768.0).collect();
    let (from_file, _) = decode("s16_16k_mono.wav");
    assert_eq!(bits(&from_file), bits(&want));
    let bytes = std::fs::read(fixture("s16_16k_mono.wav")).unwrap();
    let (from_bytes, _) = read_all_bytes(bytes, Some("wav")).unwrap();
    assert_eq!(bits(&from_bytes), bits(&want));
}

#[test]
fn channels_are_averaged() {
    for name in ["stereo_16k.wav", "six_ch_16k.wav"] {
        let (channels, raw) = raw_pcm16(name);
        let want: Vec<f32> = raw
            .chunks_exact(channels)
            .map(|frame| {
                let sum = frame
                    .iter()
                    .fold(0.0f32, |acc, &s| acc + f32::from(s) / 32768.0);
                sum / channels as f32
            })
            .collect();
        let (got, _) = decode(name);
        assert_eq!(bits(&got), bits(&want), "{name}");
    }
}

#[test]
fn chunks_are_bounded_and_add_up_to_read_all() {
    for name in [
        "s16_48k_mono.wav",
        "tone_44k1.mp3",
        "tone_48k.ogg",
        "six_ch_48k.flac",
    ] {
        let mut reader = AudioReader::open(&fixture(name)).unwrap();
        let mut joined = Vec::new();
        while let Some(chunk) = reader.next_chunk().unwrap() {
            assert!(
                !chunk.is_empty() && chunk.len() <= 16_000,
                "{name}: {}",
                chunk.len()
            );
            joined.extend_from_slice(&chunk);
        }
        assert_eq!(reader.next_chunk().unwrap(), None, "{name}: stays ended");
        assert_eq!(bits(&joined), bits(&decode(name).0), "{name}");
    }
}

#[test]
fn chained_ogg_with_a_rate_change_decodes_both_parts() {
    let (samples, info) = decode("chained_48k_22k05.ogg");
    assert_eq!(info.sample_rate, 48_000);
    let want = expected_len(48_000, 48_000, 16_000) + expected_len(11_025, 22_050, 16_000);
    assert!(
        (samples.len() as i64 - want as i64).abs() <= 2,
        "{}",
        samples.len()
    );
}

// ---------------------------------------------------------------------------------------------
// Broken inputs

#[test]
fn truncated_wav_keeps_the_audio_before_the_cut() {
    // 16045 bytes: a 44-byte header claiming 1 s, then 8000 samples and half of another.
    let (samples, info) = decode("truncated.wav");
    assert_eq!(info.sample_rate, 16_000);
    assert_eq!(samples.len(), 8_000);
    let (full, _) = decode("s16_16k_mono.wav");
    assert_eq!(bits(&samples), bits(&full[..8_000]));
}

#[test]
fn cut_files_warn_and_keep_their_audio() {
    let log = log_during(|| assert_eq!(decode("truncated.wav").0.len(), 8_000));
    assert!(log.contains("WARN") && log.contains("cut short"), "{log}");
    for name in [
        "tone_44k1.mp3",
        "tone_48k.ogg",
        "tone_44k1.flac",
        "tone_16k.opus",
    ] {
        // Three quarters in: past the codec headers (3.2 kB of a 5.6 kB Vorbis file).
        let mut bytes = std::fs::read(fixture(name)).unwrap();
        bytes.truncate(bytes.len() * 3 / 4);
        let mut got = 0;
        let log = log_during(|| got = read_all_bytes(bytes, None).unwrap().0.len());
        let full = decode(name).0.len();
        println!("{name} cut at 3/4: {got} of {full} samples; {}", log.trim());
        assert!(got > full / 5 && got < full, "{name}: {got} of {full}");
        assert!(log.contains("WARN"), "{name}: no warning");
    }
}

#[test]
fn wav_cut_inside_its_header_is_an_error() {
    let bytes = std::fs::read(fixture("s16_16k_mono.wav")).unwrap();
    for len in [4, 12, 20, 30, 43] {
        let err = read_all_bytes(bytes[..len].to_vec(), Some("wav")).unwrap_err();
        println!("{len} bytes: {err}");
        assert!(
            matches!(err, AudioError::Corrupt { .. }) || len < 12,
            "{err:?}"
        );
    }
}

#[test]
fn empty_inputs_say_so() {
    for err in [
        decode_err("empty.wav"),
        decode_err("no_samples.wav"),
        read_all_bytes(Vec::new(), None).unwrap_err(),
    ] {
        let msg = err.to_string();
        assert!(matches!(err, AudioError::Empty { .. }), "{err:?}");
        assert!(
            msg.contains("is empty") && msg.contains("no audio"),
            "{msg}"
        );
    }
}

#[test]
fn non_audio_is_unsupported_with_the_list_of_formats() {
    let random = std::fs::read(fixture("random.bin")).unwrap();
    for err in [
        decode_err("text.wav"),
        decode_err("random.bin"),
        read_all_bytes(random.clone(), Some("mp3")).unwrap_err(),
        read_all_bytes(random, Some("wav")).unwrap_err(),
    ] {
        let msg = err.to_string();
        println!("{msg}");
        assert!(matches!(err, AudioError::Unsupported { .. }), "{err:?}");
        assert!(msg.contains("not an audio file we can read"), "{msg}");
        assert!(msg.contains("supported formats are WAV"), "{msg}");
    }
}

#[test]
fn header_without_data_is_truncated_or_corrupt() {
    let err = decode_err("header_only.wav");
    let msg = err.to_string();
    assert!(matches!(err, AudioError::Corrupt { .. }), "{err:?}");
    assert!(
        msg.contains("truncated or corrupt") && msg.contains("header_only.wav"),
        "{msg}"
    );
}

#[test]
fn zero_channels_and_zero_rate_are_rejected() {
    let err = decode_err("zero_channels.wav");
    println!("{err}");
    assert!(
        matches!(
            err,
            AudioError::NoChannels { .. } | AudioError::Corrupt { .. }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("zero_channels.wav"));
    let err = decode_err("zero_rate.wav");
    println!("{err}");
    assert!(
        matches!(
            err,
            AudioError::NoSampleRate { .. } | AudioError::Corrupt { .. }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("zero_rate.wav"));
}

#[test]
fn missing_file_and_directory_name_the_path() {
    let missing = fixture("no_such_file.wav");
    let err = read_all(&missing).unwrap_err();
    assert!(matches!(err, AudioError::Open { .. }), "{err:?}");
    assert!(err.to_string().contains("no_such_file.wav"), "{err}");
    let dir = fixture("");
    let err = read_all(&dir).unwrap_err();
    assert!(matches!(err, AudioError::Open { .. }), "{err:?}");
}

/// Every fixture cut at many points: each must decode or give a typed error, never panic, and
/// a cut file that decodes must not claim more audio than the whole one.
#[test]
fn cut_files_never_panic() {
    for case in CASES {
        let bytes = std::fs::read(fixture(case.name)).unwrap();
        let full = decode(case.name).0.len();
        let ext = case.name.rsplit('.').next();
        for k in 1..12 {
            let cut = bytes[..bytes.len() * k / 12].to_vec();
            if let Ok((samples, _)) = read_all_bytes(cut, ext) {
                assert!(samples.len() <= full + 1, "{} cut at {k}/12", case.name);
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Resampler

fn resample_all(from: u32, input: &[f32]) -> Vec<f32> {
    let mut r = Resampler::new(from, TARGET_RATE).unwrap();
    let mut out = Vec::new();
    r.process(input, &mut out);
    r.flush(&mut out);
    out
}

fn as_f32(x: &[f64]) -> Vec<f32> {
    x.iter().map(|&v| v as f32).collect()
}

/// SNR of `f` resampled from `from` to 16 kHz against `f` sampled at 16 kHz, over the middle
/// (the first and last 50 ms see the signal switch on and off, which no filter can follow).
fn resampled_snr_db(from: u32, secs: f64, f: impl Fn(f64) -> f64) -> f64 {
    let n_in = (secs * f64::from(from)) as usize;
    let out = resample_all(from, &as_f32(&sampled(from, n_in, &f)));
    assert_eq!(
        out.len() as u64,
        expected_len(n_in as u64, from, TARGET_RATE)
    );
    let want = sampled(TARGET_RATE, out.len(), &f);
    let edge = 800;
    snr_db(&out[edge..out.len() - edge], &want[edge..out.len() - edge])
}

/// Highest frequency the resampler keeps flat from `from`: 90 % of the lower Nyquist.
fn band_top(from: u32) -> f64 {
    0.9 * f64::from(from.min(TARGET_RATE)) / 2.0
}

#[test]
fn resampled_sines_match_the_analytic_sine() {
    for from in [
        8_000, 11_025, 22_050, 32_000, 44_100, 48_000, 96_000, 192_000,
    ] {
        for frac in [0.01, 0.1, 0.3, 0.6, 0.9] {
            let freq = band_top(from) * frac;
            let snr = resampled_snr_db(from, 0.5, |t| 0.5 * (2.0 * PI * freq * t + 0.3).sin());
            println!("{from:6} Hz -> 16 kHz, {freq:7.1} Hz sine: SNR {snr:6.1} dB");
            assert!(snr >= 60.0, "{from} Hz, {freq:.1} Hz: {snr:.1} dB");
        }
    }
}

#[test]
fn resampled_sweep_matches_the_analytic_sweep() {
    for from in [8_000, 22_050, 44_100, 48_000] {
        let (f0, f1, secs) = (50.0, band_top(from), 1.0);
        let k = (f1 - f0) / secs;
        let chirp = |t: f64| 0.5 * (2.0 * PI * (f0 * t + 0.5 * k * t * t)).sin();
        let snr = resampled_snr_db(from, secs, chirp);
        println!("{from:6} Hz -> 16 kHz, sweep {f0}..{f1:.0} Hz: SNR {snr:6.1} dB");
        assert!(snr >= 60.0, "{from} Hz sweep: {snr:.1} dB");
    }
}

/// Deterministic pseudo-random numbers (xorshift), so failures replay.
fn xorshift(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

#[test]
fn chunked_resampling_equals_one_shot() {
    let mut seed = 0x9e37_79b9_7f4a_7c15;
    let input: Vec<f32> = (0..96_001)
        .map(|_| (xorshift(&mut seed) >> 40) as f32 / (1u64 << 24) as f32 - 0.5)
        .collect();
    for from in [8_000, 22_050, 44_100, 48_000, 192_000] {
        let whole = resample_all(from, &input);
        let mut r = Resampler::new(from, TARGET_RATE).unwrap();
        let (mut out, mut pos) = (Vec::new(), 0);
        while pos < input.len() {
            // Lengths 0..5000, with many tiny ones.
            let len = (xorshift(&mut seed) % 5000) as usize >> (xorshift(&mut seed) % 8);
            let end = (pos + len).min(input.len());
            r.process(&input[pos..end], &mut out);
            pos = end;
        }
        r.flush(&mut out);
        assert_eq!(bits(&out), bits(&whole), "{from} Hz");
    }
}

#[test]
fn output_length_is_rounded_input_length() {
    for from in [
        8_000, 11_025, 16_000, 22_050, 44_100, 48_000, 88_200, 192_000,
    ] {
        for n in [
            0, 1, 3, 17, 441, 1_000, 4_095, 4_096, 4_097, 12_345, 100_003,
        ] {
            let out = resample_all(from, &vec![0.25; n]);
            let want = (n as f64 * 16_000.0 / f64::from(from)).round() as i64;
            assert!(
                (out.len() as i64 - want).abs() <= 1,
                "{n} frames at {from} Hz"
            );
        }
    }
}

/// Lag (in output samples, sub-sample by parabolic interpolation) where `got` best matches
/// `want`, searched over ±`span`.
fn xcorr_peak(got: &[f32], want: &[f64], span: i64) -> (i64, f64) {
    let corr = |lag: i64| -> f64 {
        (0..want.len() as i64)
            .filter_map(|i| {
                let j = i + lag;
                (0..got.len() as i64)
                    .contains(&j)
                    .then(|| f64::from(got[j as usize]) * want[i as usize])
            })
            .sum()
    };
    let best = (-span..=span)
        .max_by(|&a, &b| corr(a).total_cmp(&corr(b)))
        .unwrap();
    let (l, c, r) = (corr(best - 1), corr(best), corr(best + 1));
    (best, best as f64 + 0.5 * (l - r) / (l - 2.0 * c + r))
}

#[test]
fn output_is_time_aligned_with_input() {
    // A Gaussian pulse (sigma 0.25 ms: nothing above -150 dB past 4 kHz) at an instant that
    // falls between samples at every rate.
    let (t0, sigma) = (0.123_456_7, 0.000_25);
    let pulse = |t: f64| (-0.5 * ((t - t0) / sigma).powi(2)).exp();
    for from in [8_000, 11_025, 22_050, 44_100, 48_000, 96_000, 192_000] {
        let n_in = (0.25 * f64::from(from)) as usize;
        let out = resample_all(from, &as_f32(&sampled(from, n_in, pulse)));
        let want = sampled(TARGET_RATE, out.len(), pulse);
        let (lag, fine) = xcorr_peak(&out, &want, 20);
        println!("{from:6} Hz -> 16 kHz: cross-correlation peak at lag {lag} ({fine:+.5})");
        assert_eq!(lag, 0, "{from} Hz");
        assert!(fine.abs() < 0.005, "{from} Hz: {fine}");
    }
}

#[test]
fn equal_rates_pass_through_exactly() {
    let input: Vec<f32> = (0..10_000).map(|i| (i as f32 * 0.37).sin() * 0.9).collect();
    assert_eq!(bits(&resample_all(16_000, &input)), bits(&input));
}

/// A minute at 48 kHz, decoded in bounded chunks: what a 2-hour file does 120 times over.
#[test]
fn long_input_streams_in_bounded_chunks() {
    let (rate, secs) = (48_000u32, 60usize);
    let n = rate as usize * secs;
    let mut wav = wav_header_pcm16(rate, n);
    for i in 0..n {
        let s = (tone(i as f64 / f64::from(rate)) * 32767.0) as i16;
        wav.extend_from_slice(&s.to_le_bytes());
    }
    let started = std::time::Instant::now();
    let mut reader = AudioReader::from_bytes(wav, Some("wav")).unwrap();
    let (mut total, mut largest) = (0, 0);
    while let Some(chunk) = reader.next_chunk().unwrap() {
        total += chunk.len();
        largest = largest.max(chunk.len());
    }
    let elapsed = started.elapsed().as_secs_f64();
    println!("{secs} s at 48 kHz: {elapsed:.2} s to decode+resample, largest chunk {largest}");
    assert_eq!(total, secs * 16_000);
    assert!(largest <= 16_000, "{largest}");
}

fn wav_header_pcm16(rate: u32, frames: usize) -> Vec<u8> {
    let data_len = (frames * 2) as u32;
    let mut h = Vec::with_capacity(44 + frames * 2);
    h.extend_from_slice(b"RIFF");
    h.extend_from_slice(&(36 + data_len).to_le_bytes());
    h.extend_from_slice(b"WAVEfmt ");
    h.extend_from_slice(&16u32.to_le_bytes());
    h.extend_from_slice(&1u16.to_le_bytes()); // PCM
    h.extend_from_slice(&1u16.to_le_bytes()); // mono
    h.extend_from_slice(&rate.to_le_bytes());
    h.extend_from_slice(&(rate * 2).to_le_bytes());
    h.extend_from_slice(&2u16.to_le_bytes());
    h.extend_from_slice(&16u16.to_le_bytes());
    h.extend_from_slice(b"data");
    h.extend_from_slice(&data_len.to_le_bytes());
    h
}

/// A WAVE_FORMAT_EXTENSIBLE file of `channels` 16-bit channels at 16 kHz, channel c holding
/// the constant (c + 1) × 1000, with no speaker positions (a mask cannot name more than 18).
fn many_channel_wav(channels: u16, frames: usize) -> Vec<u8> {
    let data_len = frames * 2 * usize::from(channels);
    let mut wav = Vec::new();
    wav.extend_from_slice(b"RIFF");
    wav.extend_from_slice(&((4 + 8 + 40 + 8 + data_len) as u32).to_le_bytes());
    wav.extend_from_slice(b"WAVEfmt ");
    wav.extend_from_slice(&40u32.to_le_bytes());
    wav.extend_from_slice(&0xFFFEu16.to_le_bytes());
    wav.extend_from_slice(&channels.to_le_bytes());
    wav.extend_from_slice(&16_000u32.to_le_bytes());
    wav.extend_from_slice(&(32_000 * u32::from(channels)).to_le_bytes());
    wav.extend_from_slice(&(2 * channels).to_le_bytes());
    wav.extend_from_slice(&16u16.to_le_bytes());
    wav.extend_from_slice(&22u16.to_le_bytes());
    wav.extend_from_slice(&16u16.to_le_bytes());
    wav.extend_from_slice(&0u32.to_le_bytes());
    // KSDATAFORMAT_SUBTYPE_PCM
    wav.extend_from_slice(&[
        1, 0, 0, 0, 0, 0, 0x10, 0, 0x80, 0, 0, 0xaa, 0, 0x38, 0x9b, 0x71,
    ]);
    wav.extend_from_slice(b"data");
    wav.extend_from_slice(&(data_len as u32).to_le_bytes());
    for _ in 0..frames {
        for c in 0..channels {
            wav.extend_from_slice(&((i16::try_from(c).unwrap() + 1) * 1000).to_le_bytes());
        }
    }
    wav
}

/// More channels than a speaker mask can name (issue 17): read, and averaged like any other,
/// up to 26; more get a clear refusal, not "corrupt".
#[test]
fn wav_with_more_than_18_channels_is_read_and_averaged() {
    let err = read_all_bytes(many_channel_wav(27, 160), None).unwrap_err();
    assert!(matches!(err, AudioError::Unsupported { .. }), "{err}");
    assert!(err.to_string().contains("27 channels"), "{err}");
    for channels in [19u16, 20, 26] {
        let wav = many_channel_wav(channels, 1600);
        // The mean of (c + 1) × 1000 over c < n is (n + 1) × 500.
        let expected = f32::from(channels + 1) * 500.0 / 32768.0;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("many.wav");
        std::fs::write(&path, &wav).unwrap();
        for (samples, info) in [
            read_all(&path).unwrap_or_else(|e| panic!("{channels} channels: {e}")),
            read_all_bytes(wav.clone(), None).unwrap(),
        ] {
            assert_eq!(info.channels, usize::from(channels));
            assert_eq!(samples.len(), 1600);
            assert!(
                samples.iter().all(|s| (s - expected).abs() < 1e-4),
                "{channels} channels: {} ≠ {expected}",
                samples[100]
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Opus

/// Opus decodes at 48 kHz whatever the source rate (these were encoded from 16 kHz), lands on
/// the analytic tone once its pre-skip is dropped (312 frames = 104 output samples, nearly
/// three periods of 440 Hz: a missing or doubled pre-skip puts the tone out of phase), and
/// lasts as long as its source.
#[test]
fn opus_decodes_to_the_analytic_tone() {
    // (file, samples it may have past the 1 s source: WebM's end padding is not cut, see
    // docs/engine.md).
    for (name, extra_ms) in [("tone_16k.opus", 0.0), ("tone_16k_opus.webm", 20.0)] {
        let (samples, info) = decode(name);
        let snr = tone_snr_db(&samples);
        let want = sampled(TARGET_RATE, samples.len(), tone);
        let (lag, fine) = xcorr_peak(&samples, &want, 15);
        let excess_ms = (samples.len() as f64 - 16_000.0) / 16.0;
        println!(
            "{name:22} {} Hz {} ch: {} samples ({excess_ms:+.2} ms), SNR {snr:.1} dB, lag {lag} \
             ({fine:+.3}), declared {:?}",
            info.sample_rate,
            info.channels,
            samples.len(),
            info.duration_secs,
        );
        assert_eq!(info.sample_rate, 48_000, "{name}");
        assert_eq!(info.channels, 1, "{name}");
        assert!(snr >= 20.0, "{name}: {snr:.1} dB");
        assert_eq!(lag, 0, "{name}: the tone is shifted");
        assert!(fine.abs() < 0.1, "{name}: shifted by {fine} samples");
        assert!(
            (-1.0..=extra_ms + 1.0).contains(&excess_ms),
            "{name}: {excess_ms:+.2} ms against the 1 s source"
        );
    }
}

/// Stereo Opus (left 440 Hz, right 1000 Hz) comes out as the mean of its channels, not as
/// either one.
#[test]
fn stereo_opus_is_averaged() {
    let (samples, info) = decode("stereo_48k.opus");
    assert_eq!((info.sample_rate, info.channels), (48_000, 2));
    let left = |t: f64| TONE_AMP * (2.0 * PI * 440.0 * t).sin();
    let right = |t: f64| TONE_AMP * (2.0 * PI * 1000.0 * t).sin();
    let edge = 320..samples.len() - 320;
    let snr_against = |f: &dyn Fn(f64) -> f64| {
        let want = sampled(TARGET_RATE, samples.len(), f);
        snr_db(&samples[edge.clone()], &want[edge.clone()])
    };
    let mean = snr_against(&|t| 0.5 * (left(t) + right(t)));
    let (only_left, only_right) = (snr_against(&left), snr_against(&right));
    println!(
        "stereo_48k.opus: {} samples; SNR vs mean {mean:.1} dB, vs left {only_left:.1} dB, \
         vs right {only_right:.1} dB",
        samples.len()
    );
    assert!(
        (samples.len() as i64 - 8_000).abs() <= 1,
        "{}",
        samples.len()
    );
    assert!(mean >= 20.0, "{mean:.1} dB");
    // The true mean scores 3 dB against either channel (the other one is the error).
    assert!(only_left < 6.0 && only_right < 6.0, "one channel won");
}

/// A WebM written live (as MediaRecorder does) declares no length: it ends where its data
/// does, so a whole one decodes without a warning, and a cut one keeps its audio up to the cut
/// (without a warning: nothing says it was longer). A cut WebM with sized elements is refused
/// by symphonia's reader (its Segment overruns the data): see docs/engine.md.
#[test]
fn live_webm_ends_where_its_data_does() {
    let mut full = 0;
    let log = log_during(|| full = decode("speech_vi_opus.webm").0.len());
    assert!(!log.contains("WARN"), "a whole recording warned: {log}");
    let bytes = std::fs::read(fixture("speech_vi_opus.webm")).unwrap();
    for k in [3, 6, 9] {
        let cut = bytes[..bytes.len() * k / 12].to_vec();
        let (samples, _) = read_all_bytes(cut, Some("webm")).unwrap();
        let share = samples.len() as f64 / full as f64;
        println!("speech_vi_opus.webm cut at {k}/12: {share:.3} of the samples");
        assert!(
            (share - k as f64 / 12.0).abs() < 0.1,
            "cut at {k}/12: {share:.3}"
        );
    }
}

/// A WebM/Opus clip as MediaRecorder writes it (48 kHz, live: unknown sizes, no duration)
/// lines up with the lossless source it was encoded from (64 kb/s: measured -0.01 samples off,
/// 28.8 dB). The bound is half a sample: a lost or doubled pre-skip would be 104.
#[test]
fn webm_recording_matches_its_lossless_source() {
    let (opus, info) = decode("speech_vi_opus.webm");
    let (source, _) = decode("speech_vi_16k.flac");
    let source: Vec<f64> = source.iter().map(|&s| f64::from(s)).collect();
    let (lag, fine) = xcorr_peak(&opus, &source, 40);
    let snr = snr_db(&opus[..source.len()], &source);
    println!(
        "speech_vi_opus.webm: {} samples vs {} in the source, declared {:?}, lag {lag} \
         ({fine:+.3}), SNR {snr:.1} dB",
        opus.len(),
        source.len(),
        info.duration_secs
    );
    assert_eq!(info.sample_rate, 48_000);
    assert_eq!(lag, 0, "the recording is shifted");
    assert!(
        fine.abs() < 0.5,
        "the recording is shifted by {fine} samples"
    );
    assert!(snr >= 20.0, "{snr:.1} dB");
    let excess = opus.len() as i64 - source.len() as i64;
    assert!(
        (0..=320).contains(&excess),
        "{excess} samples past the source"
    );
}
