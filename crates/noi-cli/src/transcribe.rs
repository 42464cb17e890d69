//! `noi transcribe`: the files go through the engine as one stream of work (the next file is
//! read while the last one decodes) and are printed in the order given; a failing file is
//! reported and the others still run.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Context;
use noi_engine::Recognizer;
use noi_engine::config::EngineConfig;
use noi_engine::parallelism::Parallelism;

use crate::TranscribeArgs;
use crate::output::render;

pub fn run(args: TranscribeArgs) -> anyhow::Result<ExitCode> {
    let text_options = args.text.options()?;
    let parallelism = args.jobs.parallelism(&args.model);
    let mut engine = args.model.engine_config(args.hotwords.config());
    engine.threads = parallelism.threads;
    let recognizer = load(&args.model, &engine, parallelism)?;
    let config = crate::hotwords::resolve(&engine, &recognizer)?.recognizer_config();
    let mut failed = false;
    let mut write_error = None;
    let mut stdout = std::io::stdout().lock();
    recognizer.transcribe_files(&args.files, &config, None, |i, result| {
        let file = &args.files[i];
        match result {
            Ok(transcript) if write_error.is_none() => {
                let written =
                    render(args.format, file, &transcript, &text_options).and_then(|text| {
                        stdout
                            .write_all(text.as_bytes())
                            .context("cannot write to standard output")
                    });
                stdout.flush().ok();
                write_error = written.err();
            }
            Ok(_) => {}
            Err(error) => {
                failed = true;
                say!("noi: error: {}", with_file(&error.to_string(), file));
            }
        }
    });
    if let Some(error) = write_error {
        return Err(error);
    }
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// Loads the model with a copy of its sessions per decode that runs at once.
pub fn load(
    model: &crate::ModelArgs,
    engine: &EngineConfig,
    parallelism: Parallelism,
) -> anyhow::Result<Recognizer> {
    // No context on this one: "no model installed" already says what to run.
    let resolved = model.resolve()?;
    tracing::info!(
        model = resolved.id,
        dir = %resolved.dir.display(),
        jobs = parallelism.jobs,
        threads = parallelism.threads,
        "loading the model"
    );
    Recognizer::load_with_jobs(&resolved.dir, engine.model_options(), parallelism.jobs)
        .with_context(|| format!("cannot load the model in {}", resolved.dir.display()))
}

/// Names the file in a per-file error, unless the message already does.
fn with_file(message: &str, file: &std::path::Path) -> String {
    let name = file.display().to_string();
    if message.contains(&name) {
        message.to_string()
    } else {
        format!("{name}: {message}")
    }
}
