//! `noi bench`: the engine side of the committed benchmarks (`scripts/bench/engine_bench.py`,
//! `scripts/bench/files_bench.py`). Prints JSON lines: the model load time, then per file the
//! fastest of `--repeat` whole transcriptions (file read, resampling, VAD, features, encoder and
//! search) and the segment boundaries, so the reference can decode exactly the same segments;
//! with `--profile`, the fastest run's time per stage.

use std::process::ExitCode;
use std::time::Instant;

use noi_engine::config::HotwordConfig;
use noi_engine::pipeline::StageTimes;
use serde_json::json;

use crate::BenchArgs;
use crate::transcribe::load;

pub fn run(args: BenchArgs) -> anyhow::Result<ExitCode> {
    let parallelism = args.jobs.parallelism(&args.model);
    let mut engine = args.model.engine_config(HotwordConfig::default());
    engine.threads = parallelism.threads;
    let started = Instant::now();
    let recognizer = load(&args.model, &engine, parallelism)?;
    out!(
        "{}",
        json!({"event": "load", "seconds": started.elapsed().as_secs_f64(),
               "jobs": parallelism.jobs, "threads": parallelism.threads})
    );
    let config = crate::hotwords::resolve(&engine, &recognizer)?.recognizer_config();
    for file in &args.files {
        let mut best = f64::INFINITY;
        let mut last = None;
        let mut profile = None;
        for _ in 0..args.repeat.max(1) {
            let times = StageTimes::default();
            let started = Instant::now();
            let mut outcome = None;
            recognizer.transcribe_files(
                std::slice::from_ref(file),
                &config,
                Some(&times),
                |_, result| outcome = Some(result),
            );
            let transcript = outcome.expect("one file, one outcome")?;
            let seconds = started.elapsed().as_secs_f64();
            if seconds < best {
                best = seconds;
                profile = Some(times.seconds());
            }
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
                "profile": args.profile.then_some(profile),
            })
        );
    }
    Ok(ExitCode::SUCCESS)
}
