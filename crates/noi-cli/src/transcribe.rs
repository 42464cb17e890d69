//! `noi transcribe`: each file in turn; a failing file is reported and the others still run.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Context;
use noi_engine::Recognizer;
use noi_engine::config::EngineConfig;

use crate::TranscribeArgs;
use crate::output::render;

pub fn run(args: TranscribeArgs) -> anyhow::Result<ExitCode> {
    let text_options = args.text.options()?;
    let engine = args.model.engine_config(args.hotwords.config());
    let recognizer = load(&args.model, &engine)?;
    let config = crate::hotwords::resolve(&engine, &recognizer)?.recognizer_config();
    let mut failed = false;
    let mut stdout = std::io::stdout().lock();
    for file in &args.files {
        match recognizer.transcribe_file(file, &config, |_| {}) {
            Ok(transcript) => {
                let text = render(args.format, file, &transcript, &text_options)?;
                stdout
                    .write_all(text.as_bytes())
                    .context("cannot write to standard output")?;
                stdout.flush().ok();
            }
            Err(error) => {
                failed = true;
                say!("noi: error: {}", with_file(&error.to_string(), file));
            }
        }
    }
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

pub fn load(model: &crate::ModelArgs, engine: &EngineConfig) -> anyhow::Result<Recognizer> {
    // No context on this one: "no model installed" already says what to run.
    let resolved = model.resolve()?;
    tracing::info!(model = resolved.id, dir = %resolved.dir.display(), "loading the model");
    Recognizer::load(&resolved.dir, engine.model_options())
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
