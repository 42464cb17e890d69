//! `noi bench`: the engine side of the committed benchmark (`scripts/bench/engine.py`).
//! Prints JSON lines: the model load time, then per file the fastest of `--repeat` whole
//! transcriptions (file read, resampling, VAD, features, encoder and search) and the segment
//! boundaries, so the reference can decode exactly the same segments.

use std::process::ExitCode;
use std::time::Instant;

use noi_engine::config::HotwordConfig;
use serde_json::json;

use crate::BenchArgs;
use crate::transcribe::load;

pub fn run(args: BenchArgs) -> anyhow::Result<ExitCode> {
    let engine = args.model.engine_config(HotwordConfig::default());
    let started = Instant::now();
    let recognizer = load(&args.model, &engine)?;
    out!(
        "{}",
        json!({"event": "load", "seconds": started.elapsed().as_secs_f64()})
    );
    let config = crate::hotwords::resolve(&engine, &recognizer)?.recognizer_config();
    for file in &args.files {
        let mut best = f64::INFINITY;
        let mut last = None;
        for _ in 0..args.repeat.max(1) {
            let started = Instant::now();
            let transcript = recognizer.transcribe_file(file, &config, |_| {})?;
            best = best.min(started.elapsed().as_secs_f64());
            last = Some(transcript);
        }
        let transcript = last.expect("at least one run");
        let segments: Vec<[usize; 2]> = transcript
            .segments
            .iter()
            .map(|s| [s.start_sample, s.end_sample])
            .collect();
        out!(
            "{}",
            json!({
                "event": "file",
                "file": file.display().to_string(),
                "duration": transcript.duration,
                "seconds": best,
                "tokens": transcript.tokens().count(),
                "segments": segments,
            })
        );
    }
    Ok(ExitCode::SUCCESS)
}
