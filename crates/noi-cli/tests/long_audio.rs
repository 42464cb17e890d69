//! A two-hour file through the real binary: it works, nothing is dropped, and memory stays
//! flat (peak RSS of a 2-hour run within a few MB of a 10-minute run). Its own test binary,
//! so the child's resource usage is not mixed with other tests' children.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn engine_data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../noi-engine/tests/data")
}

/// 16 kHz mono PCM16 samples of a WAV written by our own fixtures (44-byte header).
fn read_pcm16(path: &Path) -> Vec<i16> {
    let bytes = std::fs::read(path).unwrap();
    bytes[44..]
        .chunks_exact(2)
        .map(|b| i16::from_le_bytes([b[0], b[1]]))
        .collect()
}

/// Writes `seconds` of audio: the speech clip followed by one second of silence, repeated.
fn write_long_wav(path: &Path, speech: &[i16], seconds: usize) -> usize {
    let total = seconds * 16_000;
    let mut out = BufWriter::new(std::fs::File::create(path).unwrap());
    let data_bytes = (total * 2) as u32;
    out.write_all(b"RIFF").unwrap();
    out.write_all(&(36 + data_bytes).to_le_bytes()).unwrap();
    out.write_all(b"WAVEfmt ").unwrap();
    out.write_all(&16u32.to_le_bytes()).unwrap();
    for v in [1u16, 1] {
        out.write_all(&v.to_le_bytes()).unwrap();
    }
    for v in [16_000u32, 32_000] {
        out.write_all(&v.to_le_bytes()).unwrap();
    }
    for v in [2u16, 16] {
        out.write_all(&v.to_le_bytes()).unwrap();
    }
    out.write_all(b"data").unwrap();
    out.write_all(&data_bytes.to_le_bytes()).unwrap();
    let unit: Vec<i16> = speech
        .iter()
        .copied()
        .chain(std::iter::repeat_n(0, 16_000))
        .collect();
    let mut written = 0;
    let mut units = 0;
    while written < total {
        let take = unit.len().min(total - written);
        for s in &unit[..take] {
            out.write_all(&s.to_le_bytes()).unwrap();
        }
        written += take;
        units += usize::from(take == unit.len());
    }
    out.flush().unwrap();
    units
}

/// Runs `noi transcribe --format json` and returns (the JSON line, the child's peak RSS in KiB).
fn transcribe(file: &Path) -> (Value, i64) {
    // Reaped below with wait4, which also reports the child's peak memory.
    #[allow(clippy::zombie_processes)]
    let child = Command::new(env!("CARGO_BIN_EXE_noi"))
        .args([
            "transcribe",
            "--format",
            "json",
            "--threads",
            "2",
            "--model-dir",
        ])
        .arg(engine_data().join("tiny-model"))
        .arg(file)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id() as libc::pid_t;
    let mut stdout = child.stdout.unwrap();
    let mut text = String::new();
    std::io::Read::read_to_string(&mut stdout, &mut text).unwrap();
    let mut status = 0;
    // SAFETY: plain wait4 on our own child; rusage is a plain C struct we own.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(waited, pid);
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "noi failed"
    );
    (serde_json::from_str(text.trim()).unwrap(), usage.ru_maxrss)
}

#[test]
fn two_hours_work_with_flat_memory() {
    let speech = read_pcm16(&engine_data().join("fbank/vi_speech.wav"));
    let dir = tempfile::tempdir().unwrap();
    let (short, long) = (
        dir.path().join("ten_minutes.wav"),
        dir.path().join("two_hours.wav"),
    );
    write_long_wav(&short, &speech, 600);
    let units = write_long_wav(&long, &speech, 7200);

    let (short_json, short_rss) = transcribe(&short);
    let (long_json, long_rss) = transcribe(&long);
    eprintln!(
        "peak RSS: 10 min {} MiB, 2 h {} MiB",
        short_rss / 1024,
        long_rss / 1024
    );

    assert!((long_json["duration"].as_f64().unwrap() - 7200.0).abs() < 1e-6);
    assert!((short_json["duration"].as_f64().unwrap() - 600.0).abs() < 1e-6);
    let segments = long_json["segments"].as_array().unwrap();
    // Every utterance is found (one segment each, give or take the VAD's view of the edges).
    assert!(
        segments.len() >= units * 95 / 100,
        "{} segments for {units} utterances",
        segments.len()
    );
    let ends: Vec<(f64, f64)> = segments
        .iter()
        .map(|s| (s["start"].as_f64().unwrap(), s["end"].as_f64().unwrap()))
        .collect();
    assert!(ends.iter().all(|(s, e)| s < e && e - s <= 20.0));
    assert!(
        ends.windows(2).all(|w| w[0].1 <= w[1].0),
        "segments in order, never overlapping"
    );
    assert!(
        ends.last().unwrap().1 > 7190.0,
        "times are in file time up to the end"
    );
    assert!(
        long_rss - short_rss < 32 * 1024,
        "memory grew with length: {short_rss} KiB → {long_rss} KiB"
    );
    assert!(long_rss < 300 * 1024);
}
