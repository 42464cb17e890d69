//! Greedy search, as sherpa-onnx's `OfflineTransducerGreedySearchDecoder` does it: one joiner
//! call per frame, at most one symbol per frame, the decoder re-run only after an emission.

use ndarray::{ArrayView2, Axis};

use super::{Scorer, SearchResult, argmax, initial_context, is_blank_like, log_softmax};
use crate::error::Result;

pub fn greedy_search(
    scorer: &impl Scorer,
    encoder_out: ArrayView2<'_, f32>,
) -> Result<SearchResult> {
    let context_size = scorer.context_size();
    let unk = scorer.unk_id();
    let mut history = initial_context(context_size);
    let mut decoder_out = scorer.decoder(&history)?;
    let mut result = SearchResult::default();
    for (t, frame) in encoder_out.axis_iter(Axis(0)).enumerate() {
        let frame = frame.insert_axis(Axis(0));
        let mut logits = scorer.joiner(frame, decoder_out.view())?;
        let row = logits.as_slice_mut().expect("joiner output is contiguous");
        let y = argmax(row);
        if is_blank_like(y as u32, unk) {
            continue;
        }
        log_softmax(row);
        result.tokens.push(y as u32);
        result.frames.push(t as u32);
        result.log_probs.push(row[y]);
        history.push(y as i64);
        decoder_out = scorer.decoder(&history[history.len() - context_size..])?;
    }
    Ok(result)
}

#[cfg(test)]
mod tests {
    use super::super::toy::{ToyScorer, frames};
    use super::*;

    /// Frame 0 emits 1, frame 1 emits 2 only after 1, frame 2 is blank.
    #[test]
    fn emits_at_most_one_symbol_per_frame_and_conditions_on_history() {
        let blank = vec![5.0, 0.0, 0.0];
        let table = vec![
            vec![
                vec![0.0, 5.0, 0.0],
                vec![0.0, 5.0, 0.0],
                vec![0.0, 5.0, 0.0],
            ],
            vec![blank.clone(), vec![0.0, 0.0, 5.0], blank.clone()],
            vec![blank.clone(), blank.clone(), blank.clone()],
        ];
        let scorer = ToyScorer { vocab: 3, table };
        let r = greedy_search(&scorer, frames(3).view()).unwrap();
        assert_eq!(r.tokens, vec![1, 2]);
        assert_eq!(r.frames, vec![0, 1]);
        assert!(r.log_probs.iter().all(|&p| p < 0.0 && p > -0.1));
    }
}
