//! Hotwords (contextual biasing) for modified beam search, with sherpa-onnx's semantics.
//!
//! Users write phrases in ordinary Vietnamese, one per line, optionally ending in `:SCORE`
//! (sherpa-onnx's hotwords-file syntax). Each phrase is normalised (NFKC, upper case: the
//! vocabularies are upper case), split into the model's pieces with the bundle's `bpe.model`
//! ([`sentencepiece`]), mapped to token ids, and added to a [`ContextGraph`] that the beam
//! search consults on every emitted token.
//!
//! One deliberate difference from sherpa-onnx 2.0.1: it splits hotwords with
//! simple-sentencepiece, a best-total-score segmentation over `bpe.vocab`, which can split a
//! word differently from the SentencePiece BPE the model was trained on (and so emits). We use
//! SentencePiece BPE itself; where the two splits agree, decoding is token-for-token the same
//! (tests/hotwords.rs checks both). And a phrase with a piece missing from `tokens.txt` is
//! skipped whole with a warning, where sherpa-onnx would keep the remaining pieces.

mod context_graph;
pub mod sentencepiece;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use thiserror::Error;
use unicode_normalization::UnicodeNormalization;

pub use context_graph::{ContextGraph, ROOT, StateId};
pub use sentencepiece::SentencePieceBpe;

use crate::tokens::Tokens;

/// sherpa-onnx's default `hotwords_score`: the bonus per matched token.
pub const DEFAULT_HOTWORDS_SCORE: f32 = 1.5;

#[derive(Debug, Error)]
pub enum HotwordsError {
    #[error("cannot read the hotwords file {path}: {reason}")]
    Read { path: PathBuf, reason: String },

    #[error("hotwords file line {line}: {reason}")]
    Syntax { line: usize, reason: String },

    #[error(
        "hotwords need the model's bpe.model to split phrases into its pieces, and {0} does not exist; sherpa-onnx model archives include it: copy it into the model directory or give its path"
    )]
    BpeModelMissing(PathBuf),

    #[error("{path} is not a usable SentencePiece BPE model: {reason}")]
    BpeModel { path: PathBuf, reason: String },
}

/// One line of a hotwords file.
#[derive(Debug, Clone, PartialEq)]
pub struct Hotword {
    /// As the user wrote it (whitespace collapsed).
    pub phrase: String,
    /// `:SCORE` at the end of the line; `None` (or 0) means the default score.
    pub score: Option<f32>,
}

/// Parses sherpa-onnx's hotwords format: one phrase per line, words separated by spaces, an
/// optional `:SCORE` last. Blank lines are skipped.
pub fn parse_hotwords(text: &str) -> Result<Vec<Hotword>, HotwordsError> {
    let mut hotwords = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let syntax = |reason: String| HotwordsError::Syntax {
            line: index + 1,
            reason,
        };
        let mut words = Vec::new();
        let mut score = None;
        for word in line.split_whitespace() {
            if let Some(value) = word.strip_prefix(':') {
                let parsed = value.parse::<f32>().ok().filter(|s| s.is_finite());
                score = Some(parsed.ok_or_else(|| {
                    syntax(format!(
                        "{word:?} is not a score (write e.g. `Hà Nội :2.0`)"
                    ))
                })?);
            } else if score.is_some() {
                return Err(syntax(
                    "the score must come after the phrase (e.g. `Hà Nội :2.0`)".into(),
                ));
            } else {
                words.push(word);
            }
        }
        if !words.is_empty() {
            hotwords.push(Hotword {
                phrase: words.join(" "),
                score,
            });
        }
    }
    Ok(hotwords)
}

/// What the model's vocabulary looks like: NFKC (what SentencePiece's default normaliser
/// applies; for Vietnamese letters the same as NFC) and upper case.
pub fn normalise(phrase: &str) -> String {
    let composed: String = phrase.nfkc().collect();
    composed.to_uppercase().nfkc().collect()
}

/// A phrase left out of the graph because the model cannot spell it.
#[derive(Debug, Clone, PartialEq)]
pub struct SkippedHotword {
    pub phrase: String,
    pub pieces: Vec<String>,
    /// The pieces that are not in `tokens.txt`.
    pub missing: Vec<String>,
}

/// The graph built from a hotwords list, and what could not go into it.
#[derive(Debug, Clone)]
pub struct Hotwords {
    pub graph: Arc<ContextGraph>,
    /// Phrases kept, with their token ids.
    pub encoded: Vec<(String, Vec<u32>)>,
    pub skipped: Vec<SkippedHotword>,
}

impl Hotwords {
    /// Encodes `hotwords` into `tokens` ids with `bpe` and builds the graph. Phrases with a
    /// piece outside the vocabulary are skipped with a warning.
    pub fn build(
        hotwords: &[Hotword],
        bpe: &SentencePieceBpe,
        tokens: &Tokens,
        default_score: f32,
    ) -> Self {
        let mut phrases = Vec::new();
        let mut encoded = Vec::new();
        let mut skipped = Vec::new();
        for hotword in hotwords {
            let pieces = bpe.encode(&normalise(&hotword.phrase));
            let ids: Vec<Option<u32>> = pieces.iter().map(|p| tokens.id_of(p)).collect();
            if ids.iter().all(Option::is_some) && !ids.is_empty() {
                let ids: Vec<u32> = ids.into_iter().flatten().collect();
                phrases.push((ids.clone(), hotword.score));
                encoded.push((hotword.phrase.clone(), ids));
            } else {
                let missing = pieces
                    .iter()
                    .zip(&ids)
                    .filter(|(_, id)| id.is_none())
                    .map(|(p, _)| p.clone())
                    .collect();
                let skip = SkippedHotword {
                    phrase: hotword.phrase.clone(),
                    pieces,
                    missing,
                };
                tracing::warn!(
                    "hotword {:?} skipped: pieces {:?} are not in the model's tokens.txt",
                    skip.phrase,
                    skip.missing
                );
                skipped.push(skip);
            }
        }
        Hotwords {
            graph: Arc::new(ContextGraph::new(&phrases, default_score)),
            encoded,
            skipped,
        }
    }

    /// Reads a hotwords file and a `bpe.model` and builds the graph for `tokens`.
    pub fn load(
        hotwords_file: &Path,
        bpe_model: &Path,
        tokens: &Tokens,
        default_score: f32,
    ) -> Result<Self, HotwordsError> {
        let text = std::fs::read_to_string(hotwords_file).map_err(|e| HotwordsError::Read {
            path: hotwords_file.to_path_buf(),
            reason: e.to_string(),
        })?;
        let hotwords = parse_hotwords(&text)?;
        let bpe = SentencePieceBpe::load(bpe_model)?;
        Ok(Self::build(&hotwords, &bpe, tokens, default_score))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_phrases_and_scores() {
        let parsed = parse_hotwords("Hà Nội\n\n  thành   phố :2.5\nxin chào :0\n").unwrap();
        assert_eq!(
            parsed,
            vec![
                Hotword {
                    phrase: "Hà Nội".into(),
                    score: None
                },
                Hotword {
                    phrase: "thành phố".into(),
                    score: Some(2.5)
                },
                Hotword {
                    phrase: "xin chào".into(),
                    score: Some(0.0)
                },
            ]
        );
    }

    #[test]
    fn rejects_misplaced_or_bad_scores() {
        let err = parse_hotwords("ok\n:2.0 Hà Nội\n").unwrap_err();
        assert!(
            matches!(err, HotwordsError::Syntax { line: 2, .. }),
            "{err}"
        );
        let err = parse_hotwords("Hà Nội :abc\n").unwrap_err();
        assert!(err.to_string().contains(":abc"), "{err}");
    }

    #[test]
    fn normalises_case_and_composition() {
        let decomposed = "ha\u{300} n\u{1ed9}i"; // "hà nội" with a combining grave
        assert_eq!(normalise(decomposed), "HÀ NỘI");
        assert_eq!(normalise("đường Phố"), "ĐƯỜNG PHỐ");
    }

    #[test]
    fn skips_phrases_the_vocabulary_cannot_spell() {
        use sentencepiece::{ModelPiece, PieceType};
        let piece = |p: &str, score: f32, kind| ModelPiece {
            piece: p.into(),
            score,
            kind,
        };
        let bpe = SentencePieceBpe::from_pieces(vec![
            piece("<unk>", 0.0, PieceType::Unknown),
            piece("▁HÀ", -1.0, PieceType::Normal),
            piece("HÀ", -2.0, PieceType::Normal),
            piece("▁NỘI", -3.0, PieceType::Normal),
            piece("NỘI", -4.0, PieceType::Normal),
            piece("NỘ", -5.0, PieceType::Normal),
        ])
        .unwrap();
        let tokens = Tokens::parse("<blk> 0\n<unk> 1\n▁HÀ 2\n▁NỘI 3\n").unwrap();
        let hotwords = parse_hotwords("Hà Nội :2\nHuế\n").unwrap();
        let built = Hotwords::build(&hotwords, &bpe, &tokens, 1.5);
        assert_eq!(built.encoded, vec![("Hà Nội".to_string(), vec![2, 3])]);
        assert_eq!(built.skipped.len(), 1);
        assert_eq!(built.skipped[0].phrase, "Huế");
        assert!(!built.graph.is_empty());
    }
}
