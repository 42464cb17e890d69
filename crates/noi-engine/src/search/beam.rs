//! Modified beam search, as sherpa-onnx's `OfflineTransducerModifiedBeamSearchDecoder` does it.
//!
//! Per frame: every active hypothesis is scored in ONE decoder and ONE joiner call (the int8
//! joiner quantises its whole input at once, so the batch must hold the same rows as the
//! reference's for token-exact results), scores are accumulated log-softmax, the top `beam`
//! (hypothesis, token) pairs survive, and equal token sequences merge by log-add. The final
//! pick is length-normalised with the context ids counted, as sherpa-onnx does.
//!
//! With hotwords, each emitted token also walks the hypothesis through the [`ContextGraph`]
//! and the bonus joins its score (in `f32`, as sherpa-onnx adds it); unfinished matches are
//! cancelled before the final pick. Without hotwords none of that runs, so results are
//! bit-identical to the plain search.

use std::collections::HashMap;

use ndarray::{Array2, ArrayView2, Axis};

use super::{Scorer, SearchResult, initial_context, is_blank_like, log_softmax};
use crate::error::Result;
use crate::hotwords::{ContextGraph, ROOT, StateId};

#[derive(Debug, Clone)]
struct Hypothesis {
    /// Context prefix followed by the emitted ids.
    ys: Vec<i64>,
    /// Accumulated log-probability; f64 like sherpa-onnx's `Hypothesis::log_prob`.
    log_prob: f64,
    frames: Vec<u32>,
    token_log_probs: Vec<f32>,
    /// Where the path stands in the hotword graph (the root without hotwords).
    context_state: StateId,
}

pub fn modified_beam_search(
    scorer: &impl Scorer,
    encoder_out: ArrayView2<'_, f32>,
    beam: usize,
    hotwords: Option<&ContextGraph>,
) -> Result<SearchResult> {
    let context_size = scorer.context_size();
    let mut hyps = vec![Hypothesis {
        ys: initial_context(context_size),
        log_prob: 0.0,
        frames: Vec::new(),
        token_log_probs: Vec::new(),
        context_state: ROOT,
    }];
    for (t, frame) in encoder_out.axis_iter(Axis(0)).enumerate() {
        let scores = score_frame(scorer, &hyps, frame)?;
        hyps = expand(scorer, &hyps, &scores, beam, t as u32, hotwords);
    }
    if let Some(graph) = hotwords {
        cancel_unfinished_matches(&mut hyps, graph);
    }
    Ok(best(hyps, context_size))
}

/// sherpa-onnx's `ContextGraph::Finalize` on every surviving path.
fn cancel_unfinished_matches(hyps: &mut [Hypothesis], graph: &ContextGraph) {
    for hyp in hyps {
        hyp.log_prob += graph.finalize(hyp.context_state) as f64;
        hyp.context_state = ROOT;
    }
}

/// Accumulated scores `(hyps, vocab)`: log-softmax of the joiner plus each path's log-prob.
fn score_frame(
    scorer: &impl Scorer,
    hyps: &[Hypothesis],
    frame: ndarray::ArrayView1<'_, f32>,
) -> Result<Array2<f32>> {
    let context_size = scorer.context_size();
    let contexts: Vec<i64> = hyps
        .iter()
        .flat_map(|h| h.ys[h.ys.len() - context_size..].iter().copied())
        .collect();
    let decoder_out = scorer.decoder(&contexts)?;
    let encoder_rows = frame
        .insert_axis(Axis(0))
        .broadcast((hyps.len(), frame.len()))
        .expect("one frame broadcasts to every hypothesis")
        .to_owned();
    let mut scores = scorer.joiner(encoder_rows.view(), decoder_out.view())?;
    for (mut row, hyp) in scores.axis_iter_mut(Axis(0)).zip(hyps) {
        let row = row.as_slice_mut().expect("joiner output is contiguous");
        log_softmax(row);
        // sherpa-onnx adds the f64 path score to the f32 buffer in place.
        row.iter_mut()
            .for_each(|x| *x = (*x as f64 + hyp.log_prob) as f32);
    }
    Ok(scores)
}

/// Keeps the best `beam` (hypothesis, token) pairs and merges equal sequences.
fn expand(
    scorer: &impl Scorer,
    hyps: &[Hypothesis],
    scores: &Array2<f32>,
    beam: usize,
    frame: u32,
    hotwords: Option<&ContextGraph>,
) -> Vec<Hypothesis> {
    let vocab = scorer.vocab_size();
    let flat = scores.as_slice().expect("scores are contiguous");
    let mut next: Vec<Hypothesis> = Vec::with_capacity(beam);
    let mut index: HashMap<Vec<i64>, usize> = HashMap::with_capacity(beam);
    for k in top_k(flat, beam) {
        let (source, token) = (k / vocab, (k % vocab) as u32);
        let mut hyp = hyps[source].clone();
        let mut bonus = 0.0f32;
        if !is_blank_like(token, scorer.unk_id()) {
            let own = flat[k] as f64 - hyps[source].log_prob;
            hyp.ys.push(token as i64);
            hyp.frames.push(frame);
            hyp.token_log_probs.push(own as f32);
            if let Some(graph) = hotwords {
                (bonus, hyp.context_state) = graph.forward_one_step(hyp.context_state, token);
            }
        }
        // sherpa-onnx: `new_hyp.log_prob = p_logprob[k] + context_score`, a float sum.
        hyp.log_prob = match hotwords {
            Some(_) => (flat[k] + bonus) as f64,
            None => flat[k] as f64,
        };
        match index.get(&hyp.ys) {
            Some(&i) => next[i].log_prob = log_add(next[i].log_prob, hyp.log_prob),
            None => {
                index.insert(hyp.ys.clone(), next.len());
                next.push(hyp);
            }
        }
    }
    next
}

/// Indices of the `k` largest values, largest first (earlier index first among equals).
fn top_k(values: &[f32], k: usize) -> Vec<usize> {
    let mut order: Vec<usize> = (0..values.len()).collect();
    let k = k.min(values.len());
    if k < order.len() {
        order.select_nth_unstable_by(k, |&a, &b| descending(values, a, b));
        order.truncate(k);
    }
    order.sort_by(|&a, &b| descending(values, a, b));
    order
}

fn descending(values: &[f32], a: usize, b: usize) -> std::cmp::Ordering {
    values[b].total_cmp(&values[a]).then(a.cmp(&b))
}

/// `log(exp(a) + exp(b))`, as sherpa-onnx's `LogAdd<double>`.
fn log_add(a: f64, b: f64) -> f64 {
    let (larger, diff) = if a < b { (b, a - b) } else { (a, b - a) };
    const MIN_LOG_DIFF: f64 = -36.043_653_389_117_15; // ln(f64::EPSILON)
    if diff >= MIN_LOG_DIFF {
        larger + diff.exp().ln_1p()
    } else {
        larger
    }
}

/// The most probable path, normalised by its length including the context ids.
fn best(hyps: Vec<Hypothesis>, context_size: usize) -> SearchResult {
    let normalised = |h: &Hypothesis| h.log_prob / h.ys.len() as f64;
    let mut best: Option<Hypothesis> = None;
    for h in hyps {
        if best.as_ref().is_none_or(|b| normalised(&h) > normalised(b)) {
            best = Some(h);
        }
    }
    let best = best.expect("the beam always holds a hypothesis");
    SearchResult {
        tokens: best.ys[context_size..].iter().map(|&y| y as u32).collect(),
        frames: best.frames,
        log_probs: best.token_log_probs,
    }
}

#[cfg(test)]
mod tests {
    use super::super::greedy_search;
    use super::super::toy::{ToyScorer, frames};
    use super::*;

    #[test]
    fn top_k_orders_largest_first() {
        assert_eq!(top_k(&[0.1, 0.9, 0.5, 0.9, -1.0], 3), vec![1, 3, 2]);
        assert_eq!(top_k(&[0.1, 0.2], 4), vec![1, 0]);
    }

    #[test]
    fn log_add_is_symmetric_and_exact() {
        let (a, b) = (-1.0f64, -2.0f64);
        let expected = (a.exp() + b.exp()).ln();
        assert!((log_add(a, b) - expected).abs() < 1e-12);
        assert_eq!(log_add(a, b), log_add(b, a));
        assert_eq!(log_add(0.0, -100.0), 0.0);
    }

    /// Greedy takes token 1 (p≈0.45) at frame 0 and is stuck with a poor frame 1; the beam keeps
    /// blank (p≈0.40) alive, whose continuation is far better, so beam and greedy disagree.
    #[test]
    fn beam_finds_a_path_greedy_misses() {
        let ln = |p: f32| p.ln();
        let table = vec![
            vec![vec![ln(0.40), ln(0.45), ln(0.15)]; 3],
            vec![
                vec![ln(0.02), ln(0.01), ln(0.97)], // after blank: token 2 is near certain
                vec![ln(0.34), ln(0.33), ln(0.33)], // after 1: nothing is likely
                vec![ln(0.34), ln(0.33), ln(0.33)],
            ],
        ];
        let scorer = ToyScorer { vocab: 3, table };
        let greedy = greedy_search(&scorer, frames(2).view()).unwrap();
        let beam = modified_beam_search(&scorer, frames(2).view(), 4, None).unwrap();
        assert_eq!(greedy.tokens, vec![1]);
        assert_eq!(beam.tokens, vec![2]);
        assert_eq!(beam.frames, vec![1]);
        assert!((beam.log_probs[0] - ln(0.97)).abs() < 1e-4);
    }

    /// Two paths reaching the same sequence merge: their probabilities add.
    #[test]
    fn equal_sequences_merge() {
        let ln = |p: f32| p.ln();
        // Frame 0: blank 0.5 or token 1 0.5. Frame 1: after blank emit 1 (0.5) or blank; after 1 blank.
        let table = vec![
            vec![vec![ln(0.5), ln(0.5), ln(1e-6)]; 3],
            vec![
                vec![ln(0.5), ln(0.5), ln(1e-6)],
                vec![ln(0.999), ln(0.0005), ln(0.0005)],
                vec![ln(0.5), ln(0.5), ln(1e-6)],
            ],
        ];
        let scorer = ToyScorer { vocab: 3, table };
        let r = modified_beam_search(&scorer, frames(2).view(), 4, None).unwrap();
        assert_eq!(r.tokens, vec![1]);
    }
}
