//! What a door (the CLI, the server, the desktop app) chooses about recognition, and the one
//! place those choices become the engine's [`SearchMethod`], [`RecognizerConfig`] and
//! [`DictationConfig`]. Each door maps its flags or settings onto an [`EngineConfig`]; the
//! rules (which search, when hotwords need beam search, where `bpe.model` is) live here only.
//!
//! ```no_run
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use std::sync::Arc;
//! use noi_engine::Recognizer;
//! use noi_engine::config::{EngineConfig, HotwordConfig};
//! use noi_engine::dictation::DictationStream;
//!
//! // The desktop app: a hotword list from its settings, no search switch (Decoding::Auto).
//! let config = EngineConfig {
//!     hotwords: HotwordConfig::from_phrases(vec!["Hà Nội".into(), "Nói :2.0".into()]),
//!     ..EngineConfig::default()
//! };
//! let recognizer = Arc::new(Recognizer::load("model-dir".as_ref(), config.model_options())?);
//! // Again whenever the model changes: the hotword graph is built for its vocabulary.
//! let resolved = config.resolve(&recognizer)?;
//! let stream = DictationStream::start(recognizer, resolved.dictation_config(), 16_000)?;
//! # Ok(()) }
//! ```

use std::path::PathBuf;
use std::sync::Arc;

use thiserror::Error;

use crate::dictation::DictationConfig;
use crate::hotwords::{
    ContextGraph, DEFAULT_HOTWORDS_SCORE, Hotword, Hotwords, HotwordsError, SentencePieceBpe,
    parse_hotwords,
};
use crate::model::{ModelOptions, default_threads};
use crate::recognizer::{Recognizer, RecognizerConfig};
use crate::search::SearchMethod;
use crate::segment::SegmenterConfig;

/// Beam width when a door does not choose one (sherpa-onnx's default `max_active_paths`).
pub const DEFAULT_BEAM: usize = 4;

/// Which search turns the model's scores into tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Decoding {
    /// Greedy search without hotwords, modified beam search of width [`DEFAULT_BEAM`] with
    /// them: the desktop app's rule (its settings have a hotword list and no search switch).
    #[default]
    Auto,
    /// Greedy search. Hotwords with it are an error ([`ConfigError::HotwordsNeedBeam`]): the
    /// user asked for a search that cannot use them.
    Greedy,
    /// sherpa-onnx's modified beam search with `beam` active paths.
    ModifiedBeam { beam: usize },
}

/// Where the hotword phrases come from.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum HotwordSource {
    #[default]
    None,
    /// A hotwords file: one phrase a line, optionally ending in `:SCORE` (sherpa-onnx's syntax).
    File(PathBuf),
    /// Phrases from a settings list, each written as one line of a hotwords file.
    Phrases(Vec<String>),
}

/// Hotwords (contextual biasing) and how they are scored and split into pieces.
#[derive(Debug, Clone, PartialEq)]
pub struct HotwordConfig {
    pub source: HotwordSource,
    /// Bonus per matched token for phrases without their own `:SCORE`.
    pub score: f32,
    /// The SentencePiece model that splits phrases into the model's pieces; `None`: the
    /// `bpe.model` in the model's directory (sherpa-onnx bundles ship one).
    pub bpe_model: Option<PathBuf>,
}

impl Default for HotwordConfig {
    fn default() -> Self {
        HotwordConfig {
            source: HotwordSource::None,
            score: DEFAULT_HOTWORDS_SCORE,
            bpe_model: None,
        }
    }
}

impl HotwordConfig {
    /// Phrases from a hotwords file, with the default score and the model's `bpe.model`.
    pub fn from_file(path: impl Into<PathBuf>) -> Self {
        HotwordConfig {
            source: HotwordSource::File(path.into()),
            ..HotwordConfig::default()
        }
    }

    /// Phrases from a settings list, with the default score and the model's `bpe.model`.
    pub fn from_phrases(phrases: Vec<String>) -> Self {
        HotwordConfig {
            source: HotwordSource::Phrases(phrases),
            ..HotwordConfig::default()
        }
    }

    /// The phrases, parsed; empty when there are none (blank lines and items do not count).
    pub fn phrases(&self) -> Result<Vec<Hotword>, ConfigError> {
        match &self.source {
            HotwordSource::None => Ok(Vec::new()),
            HotwordSource::File(path) => {
                let file_error = |reason| ConfigError::HotwordsFile {
                    path: path.clone(),
                    reason,
                };
                let text = std::fs::read_to_string(path).map_err(|e| {
                    file_error(HotwordsError::Read {
                        path: path.clone(),
                        reason: e.to_string(),
                    })
                })?;
                parse_hotwords(&text).map_err(file_error)
            }
            HotwordSource::Phrases(items) => {
                let mut phrases = Vec::new();
                for (index, item) in items.iter().enumerate() {
                    let parsed = parse_hotwords(item).map_err(|e| ConfigError::HotwordPhrase {
                        number: index + 1,
                        phrase: item.clone(),
                        reason: phrase_reason(e),
                    })?;
                    phrases.extend(parsed);
                }
                Ok(phrases)
            }
        }
    }

    /// The context graph of `phrases` for `recognizer`'s vocabulary, or `None` when none of
    /// them can be spelled with it (each skipped phrase is warned about).
    fn graph(
        &self,
        phrases: &[Hotword],
        recognizer: &Recognizer,
    ) -> Result<Option<Arc<ContextGraph>>, ConfigError> {
        let model = recognizer.model();
        let bpe_path = self
            .bpe_model
            .clone()
            .unwrap_or_else(|| model.files().dir.join("bpe.model"));
        let bpe = SentencePieceBpe::load(&bpe_path)?;
        let hotwords = Hotwords::build(phrases, &bpe, model.tokens(), self.score);
        if hotwords.encoded.is_empty() {
            tracing::warn!(
                "none of the {} hotwords can be spelled with this model's pieces",
                phrases.len()
            );
            return Ok(None);
        }
        Ok(Some(hotwords.graph))
    }
}

/// A syntax error inside one settings item: the item's own line number is noise there.
fn phrase_reason(error: HotwordsError) -> String {
    match error {
        HotwordsError::Syntax { reason, .. } => reason,
        other => other.to_string(),
    }
}

/// What a door chooses about recognition.
#[derive(Debug, Clone, PartialEq)]
pub struct EngineConfig {
    pub decoding: Decoding,
    pub hotwords: HotwordConfig,
    /// How audio is cut at pauses; `None`: each use's own default (files and dictation
    /// differ, see [`DictationConfig::default`]).
    pub segmenter: Option<SegmenterConfig>,
    /// ONNX Runtime encoder threads.
    pub threads: usize,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            decoding: Decoding::Auto,
            hotwords: HotwordConfig::default(),
            segmenter: None,
            threads: default_threads(),
        }
    }
}

/// An [`EngineConfig`] made concrete for one loaded model (the hotword graph is built for its
/// vocabulary). Build it again when the model changes.
#[derive(Debug, Clone)]
pub struct ResolvedConfig {
    pub method: SearchMethod,
    pub segmenter: Option<SegmenterConfig>,
}

impl EngineConfig {
    /// How to load the model.
    pub fn model_options(&self) -> ModelOptions {
        ModelOptions {
            threads: self.threads,
        }
    }

    /// The search method and segmenter for `recognizer`'s model: reads the hotwords and the
    /// `bpe.model` and builds the context graph when there are hotwords.
    pub fn resolve(&self, recognizer: &Recognizer) -> Result<ResolvedConfig, ConfigError> {
        let phrases = self.hotwords.phrases()?;
        let method = match search_kind(self.decoding, !phrases.is_empty())? {
            None => SearchMethod::Greedy,
            Some(beam) if phrases.is_empty() => SearchMethod::modified_beam(beam),
            Some(beam) => SearchMethod::ModifiedBeam {
                beam,
                hotwords: self.hotwords.graph(&phrases, recognizer)?,
            },
        };
        Ok(ResolvedConfig {
            method,
            segmenter: self.segmenter,
        })
    }
}

/// The rule: `None` for greedy search, else the beam width.
fn search_kind(decoding: Decoding, has_hotwords: bool) -> Result<Option<usize>, ConfigError> {
    match decoding {
        Decoding::Greedy if has_hotwords => Err(ConfigError::HotwordsNeedBeam),
        Decoding::Greedy => Ok(None),
        Decoding::Auto => Ok(has_hotwords.then_some(DEFAULT_BEAM)),
        Decoding::ModifiedBeam { beam: 0 } => Err(ConfigError::ZeroBeam),
        Decoding::ModifiedBeam { beam } => Ok(Some(beam)),
    }
}

impl ResolvedConfig {
    /// For whole files ([`Recognizer::transcribe_chunks`]).
    pub fn recognizer_config(&self) -> RecognizerConfig {
        RecognizerConfig {
            method: self.method.clone(),
            segmenter: self.segmenter.unwrap_or_default(),
        }
    }

    /// For dictation streams ([`crate::dictation::DictationStream`]).
    pub fn dictation_config(&self) -> DictationConfig {
        let defaults = DictationConfig::default();
        DictationConfig {
            method: self.method.clone(),
            segmenter: self.segmenter.unwrap_or(defaults.segmenter),
            ..defaults
        }
    }
}

#[derive(Debug, Error)]
pub enum ConfigError {
    #[error(
        "hotwords need beam search: they bias the paths of modified beam search, and greedy search keeps only one"
    )]
    HotwordsNeedBeam,

    #[error("the beam width must be at least 1")]
    ZeroBeam,

    #[error("cannot use the hotwords in {path}: {reason}")]
    HotwordsFile {
        path: PathBuf,
        reason: HotwordsError,
    },

    #[error("hotword {number} ({phrase:?}): {reason}")]
    HotwordPhrase {
        /// 1-based position in the list.
        number: usize,
        phrase: String,
        reason: String,
    },

    /// The `bpe.model` is missing or unusable; the message names it and the fix.
    #[error(transparent)]
    BpeModel(#[from] HotwordsError),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auto_is_greedy_without_hotwords_and_beam_4_with_them() {
        assert_eq!(search_kind(Decoding::Auto, false).unwrap(), None);
        assert_eq!(search_kind(Decoding::Auto, true).unwrap(), Some(4));
    }

    #[test]
    fn greedy_with_hotwords_is_an_error() {
        assert_eq!(search_kind(Decoding::Greedy, false).unwrap(), None);
        let error = search_kind(Decoding::Greedy, true).unwrap_err();
        assert!(matches!(error, ConfigError::HotwordsNeedBeam), "{error}");
    }

    #[test]
    fn beam_keeps_its_width_with_or_without_hotwords() {
        for has_hotwords in [false, true] {
            let kind = search_kind(Decoding::ModifiedBeam { beam: 7 }, has_hotwords);
            assert_eq!(kind.unwrap(), Some(7));
        }
        let zero = search_kind(Decoding::ModifiedBeam { beam: 0 }, false);
        assert!(matches!(zero, Err(ConfigError::ZeroBeam)));
    }

    #[test]
    fn blank_settings_items_are_no_hotwords() {
        let config = HotwordConfig::from_phrases(vec!["".into(), "   ".into()]);
        assert!(config.phrases().unwrap().is_empty());
        assert!(HotwordConfig::default().phrases().unwrap().is_empty());
    }

    #[test]
    fn settings_items_keep_their_scores_and_name_a_bad_one() {
        let config = HotwordConfig::from_phrases(vec!["Hà  Nội :2.5".into(), "Huế".into()]);
        let phrases = config.phrases().unwrap();
        let got: Vec<_> = phrases
            .iter()
            .map(|h| (h.phrase.as_str(), h.score))
            .collect();
        assert_eq!(got, [("Hà Nội", Some(2.5)), ("Huế", None)]);

        let config = HotwordConfig::from_phrases(vec!["Huế".into(), ":2 Đà Nẵng".into()]);
        let error = config.phrases().unwrap_err().to_string();
        assert!(error.starts_with("hotword 2 (\":2 Đà Nẵng\")"), "{error}");
    }

    #[test]
    fn an_unreadable_file_is_named() {
        let config = HotwordConfig::from_file("/nonexistent/hotwords.txt");
        let error = config.phrases().unwrap_err().to_string();
        assert!(
            error.contains("cannot use the hotwords in /nonexistent/hotwords.txt"),
            "{error}"
        );
    }

    #[test]
    fn a_custom_segmenter_reaches_both_uses_and_none_keeps_their_defaults() {
        let resolved = ResolvedConfig {
            method: SearchMethod::Greedy,
            segmenter: None,
        };
        assert_eq!(
            resolved.recognizer_config().segmenter,
            SegmenterConfig::default()
        );
        assert_eq!(
            resolved.dictation_config().segmenter,
            DictationConfig::default().segmenter
        );
        let custom = SegmenterConfig {
            min_pause_secs: 0.8,
            ..SegmenterConfig::default()
        };
        let resolved = ResolvedConfig {
            segmenter: Some(custom),
            ..resolved
        };
        assert_eq!(resolved.recognizer_config().segmenter, custom);
        assert_eq!(resolved.dictation_config().segmenter, custom);
    }
}
