//! Dictation latency (issue 4), driven by `scripts/bench/dictation_bench.py`.
//!
//!     dictation_latency --model-dir DIR [--threads 2]
//!         [--hotwords FILE --bpe-model FILE] UTTERANCE.wav...
//!
//! For each 16 kHz mono WAV: feeds it to a `DictationStream` in 20 ms chunks at real-time pace
//! (as a microphone would), then times `finish()` — release to final text. Then times the
//! naive approach on the same audio: decoding the whole utterance only at release, as offline
//! dictation apps do. Prints one JSON line per utterance.
//!
//! With `--hotwords`, both search as the desktop app does with a hotword list: the engine
//! configuration's rule (`noi_engine::config`, `Decoding::Auto`) picks modified beam search
//! with the hotword graph.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use noi_engine::Recognizer;
use noi_engine::config::{EngineConfig, HotwordConfig, ResolvedConfig};
use noi_engine::dictation::DictationStream;

const CHUNK: usize = 320; // 20 ms at 16 kHz

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let config = parse_args()?;
    let recognizer = Arc::new(Recognizer::load(
        &config.model_dir,
        config.engine.model_options(),
    )?);
    let resolved = config.engine.resolve(&recognizer)?;
    eprintln!("searching with {}", resolved.method);
    for file in config.files {
        let (samples, info) = noi_engine::audio::read_all(&file)?;
        assert_eq!(
            info.sample_rate,
            16000,
            "{}: make it 16 kHz",
            file.display()
        );
        let (final_secs, segments, text) = streamed(&recognizer, &resolved, &samples)?;
        let (naive_secs, naive_text) = naive(&recognizer, &resolved, &samples)?;
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
    resolved: &ResolvedConfig,
    samples: &[f32],
) -> Result<(f64, usize, String), Box<dyn std::error::Error>> {
    let config = resolved.dictation_config();
    let stream = DictationStream::start(Arc::clone(recognizer), config, 16000)?;
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
    resolved: &ResolvedConfig,
    samples: &[f32],
) -> Result<(f64, String), Box<dyn std::error::Error>> {
    let config = resolved.recognizer_config();
    let started = Instant::now();
    let chunks = samples.chunks(16000).map(|c| Ok(c.to_vec()));
    let transcript = recognizer.transcribe_chunks(chunks, &config, |_| {})?;
    Ok((started.elapsed().as_secs_f64(), transcript.text()))
}

struct Args {
    model_dir: PathBuf,
    engine: EngineConfig,
    files: Vec<PathBuf>,
}

fn parse_args() -> Result<Args, String> {
    let mut args = std::env::args().skip(1);
    let (mut model_dir, mut files) = (None, Vec::new());
    let mut engine = EngineConfig {
        threads: 2,
        ..EngineConfig::default()
    };
    while let Some(arg) = args.next() {
        let mut path = || args.next().map(PathBuf::from).ok_or(format!("{arg} FILE"));
        match arg.as_str() {
            "--model-dir" => model_dir = Some(path()?),
            "--hotwords" => engine.hotwords.source = HotwordConfig::from_file(path()?).source,
            "--bpe-model" => engine.hotwords.bpe_model = Some(path()?),
            "--threads" => {
                engine.threads = args
                    .next()
                    .and_then(|t| t.parse().ok())
                    .ok_or("--threads N")?
            }
            _ => files.push(PathBuf::from(arg)),
        }
    }
    let model_dir = model_dir.ok_or(
        "usage: dictation_latency --model-dir DIR [--threads N] [--hotwords FILE --bpe-model FILE] FILE...",
    )?;
    Ok(Args {
        model_dir,
        engine,
        files,
    })
}
