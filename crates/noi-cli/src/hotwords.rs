//! `--hotwords FILE`: contextual biasing of beam search (see `noi_engine::hotwords`).

use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::Args;
use noi_engine::Recognizer;
use noi_engine::hotwords::{DEFAULT_HOTWORDS_SCORE, Hotwords, HotwordsError};
use noi_engine::search::SearchMethod;

#[derive(Args)]
pub struct HotwordArgs {
    /// Bias beam search towards these phrases: one per line, in ordinary Vietnamese, optionally
    /// ending in `:SCORE` (e.g. `Hà Nội :2.0`). Needs `--decoding beam` and the model's bpe.model.
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
    /// `method` with the hotword graph attached, or unchanged without `--hotwords`.
    pub fn apply(
        &self,
        method: SearchMethod,
        recognizer: &Recognizer,
    ) -> anyhow::Result<SearchMethod> {
        let Some(file) = &self.hotwords else {
            return Ok(method);
        };
        let SearchMethod::ModifiedBeam { beam, .. } = method else {
            bail!(
                "--hotwords needs beam search: add --decoding beam (hotwords bias the paths of modified beam search; greedy search keeps only one)"
            );
        };
        let bpe_model = self
            .bpe_model
            .clone()
            .unwrap_or_else(|| recognizer.model().files().dir.join("bpe.model"));
        let tokens = recognizer.model().tokens();
        let hotwords = Hotwords::load(file, &bpe_model, tokens, self.hotwords_score)
            .map_err(|e| match e {
                HotwordsError::BpeModelMissing(_) => {
                    anyhow::anyhow!("{e}; or pass --bpe-model FILE")
                }
                other => other.into(),
            })
            .with_context(|| format!("cannot use the hotwords in {}", file.display()))?;
        if hotwords.encoded.is_empty() {
            tracing::warn!("no usable hotword in {}", file.display());
        }
        Ok(SearchMethod::ModifiedBeam {
            beam,
            hotwords: Some(hotwords.graph),
        })
    }
}
