//! `--hotwords FILE`: contextual biasing of beam search (see `noi_engine::hotwords`), for
//! `noi transcribe` and `noi serve`. The rules are the engine's (`noi_engine::config`); this
//! only maps the flags and names them in errors.

use std::path::PathBuf;

use clap::Args;
use noi_engine::Recognizer;
use noi_engine::config::{ConfigError, EngineConfig, HotwordConfig, HotwordSource, ResolvedConfig};
use noi_engine::hotwords::{DEFAULT_HOTWORDS_SCORE, HotwordsError};

#[derive(Args)]
pub struct HotwordArgs {
    /// Bias beam search towards these phrases: one per line, in ordinary Vietnamese, optionally
    /// ending in `:SCORE` (e.g. `Hà Nội :2.0`). Needs `--decoding beam` (with greedy decoding
    /// it is an error) and the model's bpe.model.
    #[arg(long, value_name = "FILE")]
    hotwords: Option<PathBuf>,
    /// Bonus per matched token for phrases without their own `:SCORE`.
    #[arg(long, value_name = "SCORE", default_value_t = DEFAULT_HOTWORDS_SCORE)]
    hotwords_score: f32,
    /// The SentencePiece model that splits hotwords into the model's pieces
    /// (default: bpe.model in the model directory).
    #[arg(long, value_name = "FILE")]
    bpe_model: Option<PathBuf>,
}

impl HotwordArgs {
    pub fn config(&self) -> HotwordConfig {
        HotwordConfig {
            source: self
                .hotwords
                .clone()
                .map_or(HotwordSource::None, HotwordSource::File),
            score: self.hotwords_score,
            bpe_model: self.bpe_model.clone(),
        }
    }
}

/// The engine's configuration for this model, with errors that name the flags to change.
pub fn resolve(config: &EngineConfig, recognizer: &Recognizer) -> anyhow::Result<ResolvedConfig> {
    config.resolve(recognizer).map_err(|error| match error {
        ConfigError::HotwordsNeedBeam => anyhow::anyhow!(
            "--hotwords needs beam search: add --decoding beam (hotwords bias the paths of \
             modified beam search; greedy search keeps only one)"
        ),
        ConfigError::BpeModel(HotwordsError::BpeModelMissing(_)) => {
            anyhow::anyhow!("{error}; or pass --bpe-model FILE")
        }
        other => other.into(),
    })
}
