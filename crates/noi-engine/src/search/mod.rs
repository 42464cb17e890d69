//! Transducer search: turns encoder frames into tokens with sherpa-onnx's semantics.
//!
//! The algorithms only see a [`Scorer`] (decoder + joiner), so they are tested on toy
//! scorers without ONNX Runtime; [`crate::model::Transducer`] is the real one.

mod beam;
mod greedy;

pub use beam::modified_beam_search;
pub use greedy::greedy_search;

use std::sync::Arc;

use ndarray::{Array2, ArrayView2};

use crate::error::Result;
use crate::hotwords::ContextGraph;
use crate::model::Transducer;

/// Blank is id 0 in every icefall/sherpa-onnx transducer.
pub const BLANK_ID: u32 = 0;

/// How to search. Cheap to clone: the hotword graph is shared.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum SearchMethod {
    #[default]
    Greedy,
    /// sherpa-onnx's `modified_beam_search`: at most one symbol per frame, `beam` active
    /// paths, optionally biased towards hotwords (see [`crate::hotwords`]).
    ModifiedBeam {
        beam: usize,
        hotwords: Option<Arc<ContextGraph>>,
    },
}

impl SearchMethod {
    /// Modified beam search without hotwords.
    pub fn modified_beam(beam: usize) -> Self {
        SearchMethod::ModifiedBeam {
            beam,
            hotwords: None,
        }
    }
}

/// Names the search for logs: "greedy search", "modified beam search (beam 4, hotword graph
/// of 57 states)".
impl std::fmt::Display for SearchMethod {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SearchMethod::Greedy => write!(f, "greedy search"),
            SearchMethod::ModifiedBeam {
                beam,
                hotwords: None,
            } => write!(f, "modified beam search (beam {beam}, no hotwords)"),
            SearchMethod::ModifiedBeam {
                beam,
                hotwords: Some(graph),
            } => write!(
                f,
                "modified beam search (beam {beam}, hotword graph of {} states)",
                graph.len()
            ),
        }
    }
}

/// Tokens as the search emitted them, with the encoder frame and log-probability of each.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SearchResult {
    pub tokens: Vec<u32>,
    pub frames: Vec<u32>,
    pub log_probs: Vec<f32>,
}

/// Decoder and joiner of a transducer.
pub trait Scorer {
    fn vocab_size(&self) -> usize;
    fn context_size(&self) -> usize;
    /// Ids treated as blank besides 0 (sherpa-onnx treats `<unk>` so).
    fn unk_id(&self) -> Option<u32>;
    /// `contexts` holds `n` rows of `context_size` ids; returns `(n, dim)`.
    fn decoder(&self, contexts: &[i64]) -> Result<Array2<f32>>;
    /// Matching rows of encoder and decoder output to `(n, vocab_size)` logits.
    fn joiner(
        &self,
        encoder_out: ArrayView2<'_, f32>,
        decoder_out: ArrayView2<'_, f32>,
    ) -> Result<Array2<f32>>;
}

impl Scorer for Transducer {
    fn vocab_size(&self) -> usize {
        self.dims().vocab_size
    }
    fn context_size(&self) -> usize {
        self.dims().context_size
    }
    fn unk_id(&self) -> Option<u32> {
        self.tokens().unk_id().map(|id| id as u32)
    }
    fn decoder(&self, contexts: &[i64]) -> Result<Array2<f32>> {
        self.run_decoder(contexts)
    }
    fn joiner(
        &self,
        encoder_out: ArrayView2<'_, f32>,
        decoder_out: ArrayView2<'_, f32>,
    ) -> Result<Array2<f32>> {
        self.run_joiner(encoder_out, decoder_out)
    }
}

/// Runs the chosen search over `(frames, dim)` encoder output.
pub fn search(
    scorer: &impl Scorer,
    encoder_out: ArrayView2<'_, f32>,
    method: &SearchMethod,
) -> Result<SearchResult> {
    match method {
        SearchMethod::Greedy => greedy_search(scorer, encoder_out),
        SearchMethod::ModifiedBeam { beam, hotwords } => {
            modified_beam_search(scorer, encoder_out, (*beam).max(1), hotwords.as_deref())
        }
    }
}

/// The context a fresh hypothesis starts from: `[-1, …, -1, blank]` (-1 embeds to zeros).
pub(crate) fn initial_context(context_size: usize) -> Vec<i64> {
    let mut ys = vec![-1; context_size];
    if let Some(last) = ys.last_mut() {
        *last = BLANK_ID as i64;
    }
    ys
}

/// True for ids that do not produce a token.
pub(crate) fn is_blank_like(id: u32, unk_id: Option<u32>) -> bool {
    id == BLANK_ID || Some(id) == unk_id
}

/// In-place log-softmax, computed as sherpa-onnx computes it (f32, max-shifted).
pub(crate) fn log_softmax(row: &mut [f32]) {
    let max = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let sum: f32 = row.iter().map(|&x| (x - max).exp()).sum();
    let offset = max + sum.ln();
    row.iter_mut().for_each(|x| *x -= offset);
}

/// Index of the first maximum, as `std::max_element` picks it.
pub(crate) fn argmax(row: &[f32]) -> usize {
    let mut best = 0;
    for (i, &x) in row.iter().enumerate() {
        if x > row[best] {
            best = i;
        }
    }
    best
}

#[cfg(test)]
pub(crate) mod toy {
    //! A transducer small enough to reason about: logits are a fixed table per
    //! (frame, last token), so expected outputs can be worked out by hand.

    use super::*;

    pub struct ToyScorer {
        pub vocab: usize,
        /// `table[frame][last_token]` = logits over the vocabulary.
        pub table: Vec<Vec<Vec<f32>>>,
    }

    impl Scorer for ToyScorer {
        fn vocab_size(&self) -> usize {
            self.vocab
        }
        fn context_size(&self) -> usize {
            2
        }
        fn unk_id(&self) -> Option<u32> {
            None
        }
        /// The "embedding" is just the last id, carried in column 0.
        fn decoder(&self, contexts: &[i64]) -> Result<Array2<f32>> {
            let rows: Vec<f32> = contexts.chunks(2).map(|c| c[1] as f32).collect();
            Ok(Array2::from_shape_vec((rows.len(), 1), rows).unwrap())
        }
        /// Encoder rows carry the frame index in column 0.
        fn joiner(
            &self,
            enc: ArrayView2<'_, f32>,
            dec: ArrayView2<'_, f32>,
        ) -> Result<Array2<f32>> {
            let mut out = Array2::zeros((enc.nrows(), self.vocab));
            for r in 0..enc.nrows() {
                let frame = enc[[r, 0]] as usize;
                let last = dec[[r, 0]] as usize;
                for v in 0..self.vocab {
                    out[[r, v]] = self.table[frame][last][v];
                }
            }
            Ok(out)
        }
    }

    pub fn frames(n: usize) -> Array2<f32> {
        Array2::from_shape_fn((n, 1), |(r, _)| r as f32)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_method_for_logs() {
        assert_eq!(SearchMethod::Greedy.to_string(), "greedy search");
        assert_eq!(
            SearchMethod::modified_beam(4).to_string(),
            "modified beam search (beam 4, no hotwords)"
        );
        // One phrase of two tokens: root, two states.
        let graph = ContextGraph::new(&[(vec![5, 6], None)], 1.5);
        let method = SearchMethod::ModifiedBeam {
            beam: 4,
            hotwords: Some(Arc::new(graph)),
        };
        assert_eq!(
            method.to_string(),
            "modified beam search (beam 4, hotword graph of 3 states)"
        );
    }

    #[test]
    fn log_softmax_normalises() {
        let mut row = vec![1.0, 2.0, 3.0];
        log_softmax(&mut row);
        let total: f32 = row.iter().map(|x| x.exp()).sum();
        assert!((total - 1.0).abs() < 1e-6);
        assert!(row[2] > row[1] && row[1] > row[0]);
    }

    #[test]
    fn argmax_takes_first_of_ties() {
        assert_eq!(argmax(&[0.0, 5.0, 5.0, 1.0]), 1);
    }

    #[test]
    fn initial_context_is_minus_one_then_blank() {
        assert_eq!(initial_context(2), vec![-1, 0]);
        assert_eq!(initial_context(3), vec![-1, -1, 0]);
    }
}
