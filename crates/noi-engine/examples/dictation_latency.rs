//! Dictation latency (issue 4), driven by `scripts/bench/dictation_bench.py`.
//!
//!     dictation_latency --model-dir DIR [--threads 2] UTTERANCE.wav...
//!
//! For each 16 kHz mono WAV: feeds it to a `DictationStream` in 20 ms chunks at real-time pace
//! (as a microphone would), then times `finish()` — release to final text. Then times the
//! naive approach on the same audio: decoding the whole utterance only at release, as offline
//! dictation apps do. Prints one JSON line per utterance.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use noi_engine::dictation::{DictationConfig, DictationStream};
use noi_engine::model::ModelOptions;
use noi_engine::{Recognizer, RecognizerConfig};

const CHUNK: usize = 320; // 20 ms at 16 kHz

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (model_dir, threads, files) = parse_args()?;
    let recognizer = Arc::new(Recognizer::load(&model_dir, ModelOptions { threads })?);
    for file in files {
        let (samples, info) = noi_engine::audio::read_all(&file)?;
        assert_eq!(
            info.sample_rate,
            16000,
            "{}: make it 16 kHz",
            file.display()
        );
        let (final_secs, segments, text) = streamed(&recognizer, &samples)?;
        let (naive_secs, naive_text) = naive(&recognizer, &samples)?;
        println!(
            "{}",
            serde_json::json!({
                "file": file.display().to_string(),
                "audio_secs": samples.len() as f64 / 16000.0,
                "final_secs": final_secs,
                "naive_secs": naive_secs,
                "segments": segments,
                "same_text": text == naive_text,
            })
        );
    }
    Ok(())
}

/// Real-time feed, then the time from `finish()` to the final transcript.
fn streamed(
    recognizer: &Arc<Recognizer>,
    samples: &[f32],
) -> Result<(f64, usize, String), Box<dyn std::error::Error>> {
    let stream = DictationStream::start(Arc::clone(recognizer), DictationConfig::default(), 16000)?;
    let began = Instant::now();
    for (n, chunk) in samples.chunks(CHUNK).enumerate() {
        let due = began + Duration::from_secs_f64((n * CHUNK) as f64 / 16000.0);
        std::thread::sleep(due.saturating_duration_since(Instant::now()));
        stream.push(chunk);
    }
    // Release happens when the last sample has been spoken.
    let spoken = began + Duration::from_secs_f64(samples.len() as f64 / 16000.0);
    std::thread::sleep(spoken.saturating_duration_since(Instant::now()));
    let released = Instant::now();
    let transcript = stream.finish()?;
    Ok((
        released.elapsed().as_secs_f64(),
        transcript.segments.len(),
        transcript.text(),
    ))
}

/// The whole utterance decoded at release (cut at pauses only where it exceeds 20 s, which
/// the encoder cannot take in one piece).
fn naive(
    recognizer: &Recognizer,
    samples: &[f32],
) -> Result<(f64, String), Box<dyn std::error::Error>> {
    let started = Instant::now();
    let chunks = samples.chunks(16000).map(|c| Ok(c.to_vec()));
    let transcript = recognizer.transcribe_chunks(chunks, &RecognizerConfig::default(), |_| {})?;
    Ok((started.elapsed().as_secs_f64(), transcript.text()))
}

fn parse_args() -> Result<(PathBuf, usize, Vec<PathBuf>), String> {
    let mut args = std::env::args().skip(1);
    let (mut model_dir, mut threads, mut files) = (None, 2, Vec::new());
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--model-dir" => model_dir = args.next().map(PathBuf::from),
            "--threads" => {
                threads = args
                    .next()
                    .and_then(|t| t.parse().ok())
                    .ok_or("--threads N")?
            }
            _ => files.push(PathBuf::from(arg)),
        }
    }
    let model_dir =
        model_dir.ok_or("usage: dictation_latency --model-dir DIR [--threads N] FILE...")?;
    Ok((model_dir, threads, files))
}
