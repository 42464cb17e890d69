//! `noi`: Nói's headless door. Transcribes files with the on-device engine.

#[macro_use]
mod console;
mod bench;
mod hotwords;
mod models;
mod output;
mod serve;
mod text;
mod transcribe;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Parser, Subcommand, ValueEnum};
use noi_engine::config::{Decoding, EngineConfig, HotwordConfig};
use noi_engine::model::default_threads;
use noi_text::{Casing, ItnOptions, TextOptions, parse_replacements};

#[derive(Parser)]
#[command(
    name = "noi",
    // The workspace version and the git commit (build/git_commit.rs via build.rs).
    version = concat!(env!("CARGO_PKG_VERSION"), " (", env!("NOI_GIT_COMMIT"), ")"),
    about = "On-device Vietnamese speech recognition",
    long_about = None
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Transcribe audio files (WAV, FLAC, MP3, OGG/Vorbis, Opus in Ogg or WebM, M4A/AAC; any
    /// rate, any channels).
    Transcribe(TranscribeArgs),
    /// Time model loading and transcription (for BENCHMARKS.md); prints JSON lines.
    Bench(BenchArgs),
    /// List, download, install, verify and remove models.
    Models(models::ModelsArgs),
    /// Serve the loopback API (phostt-compatible HTTP/SSE/WebSocket, OpenAI-compatible
    /// transcriptions) until SIGINT or SIGTERM.
    Serve(serve::ServeArgs),
    /// Clean up text as `transcribe` does, without audio: reads lines of raw model text (or
    /// any text) on standard input, prints each cleaned up.
    Text(TextArgs),
}

/// Options shared by every command that loads a model.
#[derive(Args, Clone)]
struct ModelArgs {
    /// Model bundle directory (encoder/decoder/joiner ONNX files and tokens.txt).
    #[arg(long, value_name = "DIR", conflicts_with = "model")]
    model_dir: Option<PathBuf>,
    /// Installed model to use (`noi models list`). Default: the default installed model.
    #[arg(long, value_name = "ID")]
    model: Option<String>,
    /// Search method.
    #[arg(long, value_enum, default_value_t = DecodingArg::Greedy)]
    decoding: DecodingArg,
    /// Active paths for beam search.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=64))]
    beam: u16,
    /// ONNX Runtime intra-op threads per decode (default: the number of cores, at most 4; for
    /// files, the cores shared out among --jobs).
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..=64))]
    threads: Option<u16>,
}

/// How many segments decode at once in files.
#[derive(Args, Clone, Copy)]
struct JobsArg {
    /// Segments (of one file or the next) decoded at once, sharing the model. Default: one
    /// per --threads cores (the cores it leaves go to more decodes), one per core without
    /// --threads; at least 2 on 2 cores or more (one decode leaves cores idle in its
    /// single-threaded steps); at most 4. Without --threads, the cores are shared out among
    /// the jobs.
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..=16))]
    jobs: Option<u16>,
}

#[derive(Args)]
struct TranscribeArgs {
    /// Audio files to transcribe (decoded as one stream of work, printed in this order).
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
    #[command(flatten)]
    model: ModelArgs,
    #[command(flatten)]
    jobs: JobsArg,
    #[command(flatten)]
    hotwords: hotwords::HotwordArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    #[command(flatten)]
    text: TextArgs,
}

/// How the model's upper-case, unpunctuated text is cleaned up.
#[derive(Args)]
struct TextArgs {
    /// Casing of the text: sentence ("Xin chào các bạn. Hôm nay…"), lower, or as the model gave it.
    #[arg(long, value_enum, default_value_t = CasingArg::Sentence)]
    casing: CasingArg,
    /// Turn spoken punctuation into marks ("phẩy" → ",", "chấm hỏi" → "?", "xuống dòng" → new line…).
    #[arg(long)]
    spoken_punctuation: bool,
    /// Custom words: one rule per line, `from | other spelling => written form`.
    #[arg(long, value_name = "FILE")]
    replacements: Option<PathBuf>,
    /// Write numbers, dates, times, money… as a Vietnamese writer does ("hai triệu rưỡi đồng"
    /// → "2,5 triệu đồng"); `off` keeps the model's words.
    #[arg(long, value_enum, default_value_t = OnOff::On)]
    itn: OnOff,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum OnOff {
    On,
    Off,
}

#[derive(Clone, Copy, ValueEnum)]
enum CasingArg {
    Sentence,
    Lower,
    AsIs,
}

#[derive(Args)]
struct BenchArgs {
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
    #[command(flatten)]
    model: ModelArgs,
    #[command(flatten)]
    jobs: JobsArg,
    /// Transcribe each file this many times and report the fastest.
    #[arg(long, default_value_t = 3)]
    repeat: u32,
    /// Also report where the time went (read, VAD, features, encoder, search, waits).
    #[arg(long)]
    profile: bool,
}

#[derive(Clone, Copy, ValueEnum)]
enum DecodingArg {
    Greedy,
    Beam,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Text,
    Json,
    Srt,
    Vtt,
}

impl TextArgs {
    /// The post-processing options; reads and checks the replacements file.
    fn options(&self) -> anyhow::Result<TextOptions> {
        let replacements = match &self.replacements {
            None => Vec::new(),
            Some(path) => {
                let text = std::fs::read_to_string(path).with_context(|| {
                    format!("cannot read the replacements file {}", path.display())
                })?;
                parse_replacements(&text).with_context(|| format!("{}", path.display()))?
            }
        };
        Ok(TextOptions {
            casing: match self.casing {
                CasingArg::Sentence => Casing::Sentence,
                CasingArg::Lower => Casing::Lower,
                CasingArg::AsIs => Casing::AsIs,
            },
            spoken_punctuation: self.spoken_punctuation,
            replacements,
            itn: ItnOptions {
                enabled: self.itn == OnOff::On,
                ..ItnOptions::default()
            },
            ..Default::default()
        })
    }
}

impl JobsArg {
    /// Decodes at once and threads each, from these flags and `--threads`.
    fn parallelism(&self, model: &ModelArgs) -> noi_engine::parallelism::Parallelism {
        noi_engine::parallelism::choose_here(
            model.threads.map(usize::from),
            self.jobs.map(usize::from),
        )
    }
}

impl ModelArgs {
    /// The model to load: `--model-dir`, `--model`, or the default installed one.
    fn resolve(&self) -> Result<noi_models::ResolvedModel, noi_models::ModelError> {
        noi_models::resolve_model(self.model_dir.as_deref(), self.model.as_deref())
    }

    /// What these flags choose, with `hotwords` (from `--hotwords` where a command has it).
    fn engine_config(&self, hotwords: HotwordConfig) -> EngineConfig {
        EngineConfig {
            decoding: match self.decoding {
                DecodingArg::Greedy => Decoding::Greedy,
                DecodingArg::Beam => Decoding::ModifiedBeam {
                    beam: usize::from(self.beam),
                },
            },
            hotwords,
            segmenter: None,
            threads: self.threads.map_or_else(default_threads, usize::from),
        }
    }
}

fn main() -> ExitCode {
    init_logging();
    let cli = Cli::parse();
    let outcome = match cli.command {
        Command::Transcribe(args) => transcribe::run(args),
        Command::Bench(args) => bench::run(args),
        Command::Models(args) => models::run(args),
        Command::Serve(args) => serve::run(args),
        Command::Text(args) => text::run(args),
    };
    match outcome {
        Ok(code) => code,
        Err(error) => console::exit_for(&error),
    }
}

/// Logs go to stderr; `NOI_LOG=debug` for more. Transcript text is never logged at `info`.
fn init_logging() {
    use std::io::IsTerminal;
    // symphonia logs its probing failures itself; the engine turns them into one clear error.
    let filter = tracing_subscriber::EnvFilter::try_from_env("NOI_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn,symphonia=off"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
}
