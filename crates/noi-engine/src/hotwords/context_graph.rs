//! The Aho-Corasick context graph of hotword token sequences, as sherpa-onnx's `ContextGraph`
//! builds and walks it (non-strict mode, which its offline modified beam search uses).
//!
//! Every token that extends a partial match earns its phrase's score; when a match fails, the
//! path falls back along the failure links and gives back what the abandoned part earned; a
//! completed phrase keeps its bonus and restarts at the root; at the end of the utterance an
//! unfinished match is cancelled ([`ContextGraph::finalize`]). All sums are `f32` in sherpa's
//! order, so scores are bit-identical to the reference.

use std::collections::HashMap;

/// A state of the graph; `0` is the root, the state every hypothesis starts in.
pub type StateId = u32;

pub const ROOT: StateId = 0;

#[derive(Debug, Clone, PartialEq)]
struct State {
    /// Token that leads here (-1 at the root).
    token: i64,
    /// Bonus for taking this arc.
    token_score: f32,
    /// Bonus accumulated from the root to here.
    node_score: f32,
    /// What reaching this state completes: its own score if it ends a phrase, plus that of
    /// the phrase ending at its output link.
    output_score: f32,
    is_end: bool,
    next: HashMap<u32, StateId>,
    fail: StateId,
    /// The nearest state along the failure links that ends a phrase.
    output: Option<StateId>,
}

impl State {
    fn new(token: i64, token_score: f32, node_score: f32, output_score: f32, is_end: bool) -> Self {
        State {
            token,
            token_score,
            node_score,
            output_score,
            is_end,
            next: HashMap::new(),
            fail: ROOT,
            output: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ContextGraph {
    states: Vec<State>,
}

impl ContextGraph {
    /// Builds the graph from phrases (token ids, score). A score of `None` or `0` means
    /// `default_score`, as in sherpa-onnx (`PHRASE :0` is the default score).
    pub fn new(phrases: &[(Vec<u32>, Option<f32>)], default_score: f32) -> Self {
        let mut graph = ContextGraph {
            states: vec![State::new(-1, 0.0, 0.0, 0.0, false)],
        };
        for (tokens, score) in phrases {
            let score = score.filter(|&s| s != 0.0).unwrap_or(default_score);
            graph.insert(tokens, score);
        }
        graph.fill_fail_output();
        graph
    }

    /// Number of states (the root included); 1 for a graph without phrases.
    pub fn len(&self) -> usize {
        self.states.len()
    }

    /// True when the graph holds no phrase: it then biases nothing.
    pub fn is_empty(&self) -> bool {
        self.states.len() == 1
    }

    /// Adds one phrase. A shared prefix keeps the larger per-token score, and only the node
    /// itself is re-scored, not its existing descendants: sherpa-onnx's `Build` does the same.
    fn insert(&mut self, tokens: &[u32], score: f32) {
        let mut node = ROOT;
        for (j, &token) in tokens.iter().enumerate() {
            let last = j + 1 == tokens.len();
            let parent_score = self.states[node as usize].node_score;
            node = match self.states[node as usize].next.get(&token).copied() {
                None => {
                    let node_score = parent_score + score;
                    let output = if last { node_score } else { 0.0 };
                    let id = self.states.len() as StateId;
                    let state = State::new(token as i64, score, node_score, output, last);
                    self.states.push(state);
                    self.states[node as usize].next.insert(token, id);
                    id
                }
                Some(id) => {
                    let state = &mut self.states[id as usize];
                    state.token_score = state.token_score.max(score);
                    state.node_score = parent_score + state.token_score;
                    state.is_end |= last;
                    state.output_score = if state.is_end { state.node_score } else { 0.0 };
                    id
                }
            };
        }
    }

    /// Breadth-first: failure links and output links, then output scores along them.
    fn fill_fail_output(&mut self) {
        let mut queue: std::collections::VecDeque<StateId> = self.children(ROOT).collect();
        while let Some(current) = queue.pop_front() {
            let children: Vec<(u32, StateId)> = self.sorted_next(current);
            for (token, child) in children {
                let fail = self.fail_target(self.states[current as usize].fail, token);
                let output = self.end_along_fail(fail);
                let extra = output.map_or(0.0, |o| self.states[o as usize].output_score);
                let state = &mut self.states[child as usize];
                state.fail = fail;
                state.output = output;
                state.output_score += extra;
                queue.push_back(child);
            }
        }
    }

    fn children(&self, state: StateId) -> impl Iterator<Item = StateId> + '_ {
        self.sorted_next(state).into_iter().map(|(_, child)| child)
    }

    /// Arcs in a fixed order, so building is deterministic (the result does not depend on it).
    fn sorted_next(&self, state: StateId) -> Vec<(u32, StateId)> {
        let mut next: Vec<(u32, StateId)> = self.states[state as usize]
            .next
            .iter()
            .map(|(&t, &s)| (t, s))
            .collect();
        next.sort_unstable();
        next
    }

    /// Where `token` leads from `from`, following failure links up to the root.
    fn fail_target(&self, from: StateId, token: u32) -> StateId {
        let mut node = from;
        if let Some(&next) = self.states[node as usize].next.get(&token) {
            return next;
        }
        node = self.states[node as usize].fail;
        while !self.states[node as usize].next.contains_key(&token) {
            node = self.states[node as usize].fail;
            if node == ROOT {
                break;
            }
        }
        self.states[node as usize]
            .next
            .get(&token)
            .copied()
            .unwrap_or(node)
    }

    /// The first state that ends a phrase on the failure chain starting at `state`.
    fn end_along_fail(&self, mut state: StateId) -> Option<StateId> {
        while !self.states[state as usize].is_end {
            state = self.states[state as usize].fail;
            if state == ROOT {
                return None;
            }
        }
        Some(state)
    }

    /// Takes `token` from `state`: the bonus (negative when a partial match is abandoned) and
    /// the next state. A completed phrase keeps its bonus and goes back to the root
    /// (sherpa-onnx's `ForwardOneStep` with `strict_mode = false`).
    pub fn forward_one_step(&self, state: StateId, token: u32) -> (f32, StateId) {
        let current = &self.states[state as usize];
        let (node, score) = match current.next.get(&token) {
            Some(&next) => (next, self.states[next as usize].token_score),
            None => {
                let node = self.fail_target(current.fail, token);
                (
                    node,
                    self.states[node as usize].node_score - current.node_score,
                )
            }
        };
        let reached = &self.states[node as usize];
        if reached.output_score != 0.0 {
            let output_score = if reached.is_end {
                reached.node_score
            } else {
                reached
                    .output
                    .map_or(reached.node_score, |o| self.states[o as usize].node_score)
            };
            return (score + output_score - reached.node_score, ROOT);
        }
        (score + reached.output_score, node)
    }

    /// Cancels an unfinished match at the end of the utterance: the bonus to give back.
    pub fn finalize(&self, state: StateId) -> f32 {
        -self.states[state as usize].node_score
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Walks `tokens` from the root; returns every step's bonus and the final state.
    fn walk(graph: &ContextGraph, tokens: &[u32]) -> (Vec<f32>, StateId) {
        let mut state = ROOT;
        let mut scores = Vec::new();
        for &t in tokens {
            let (s, next) = graph.forward_one_step(state, t);
            scores.push(s);
            state = next;
        }
        (scores, state)
    }

    fn total(graph: &ContextGraph, tokens: &[u32]) -> f32 {
        let (scores, state) = walk(graph, tokens);
        scores.iter().sum::<f32>() + graph.finalize(state)
    }

    #[test]
    fn a_completed_phrase_keeps_its_bonus_and_restarts() {
        let graph = ContextGraph::new(&[(vec![1, 2, 3], None)], 1.5);
        let (scores, state) = walk(&graph, &[1, 2, 3]);
        assert_eq!(scores, vec![1.5, 1.5, 1.5]);
        assert_eq!(state, ROOT);
        assert_eq!(total(&graph, &[1, 2, 3]), 4.5);
        assert_eq!(total(&graph, &[1, 2, 3, 1, 2, 3]), 9.0);
    }

    #[test]
    fn a_failed_partial_match_is_cancelled() {
        let graph = ContextGraph::new(&[(vec![1, 2, 3], None)], 1.5);
        let (scores, state) = walk(&graph, &[1, 2, 4]);
        assert_eq!(scores, vec![1.5, 1.5, -3.0]);
        assert_eq!(state, ROOT);
        assert_eq!(total(&graph, &[1, 2, 4]), 0.0);
    }

    #[test]
    fn an_unfinished_match_is_cancelled_at_the_end() {
        let graph = ContextGraph::new(&[(vec![1, 2, 3], None)], 1.5);
        let (scores, state) = walk(&graph, &[5, 1, 2]);
        assert_eq!(scores, vec![0.0, 1.5, 1.5]);
        assert_eq!(graph.finalize(state), -3.0);
        assert_eq!(total(&graph, &[5, 1, 2]), 0.0);
    }

    /// "1 2 1 2 3": the failed match falls back to the suffix "1 2", which goes on to complete.
    #[test]
    fn failure_links_keep_an_overlapping_match() {
        let graph = ContextGraph::new(&[(vec![1, 2, 1, 3], None)], 1.0);
        // 1 2 1 (3 points), then 2 fails: back to state "1 2" (2 points) → -1.
        let (scores, _) = walk(&graph, &[1, 2, 1, 2]);
        assert_eq!(scores, vec![1.0, 1.0, 1.0, -1.0]);
        assert_eq!(total(&graph, &[1, 2, 1, 2, 1, 3]), 4.0);
    }

    #[test]
    fn per_phrase_scores_and_shared_prefixes() {
        let graph = ContextGraph::new(&[(vec![1, 2], Some(2.0)), (vec![1, 3], None)], 1.0);
        // The shared first token keeps the larger score.
        assert_eq!(walk(&graph, &[1, 2]).0, vec![2.0, 2.0]);
        assert_eq!(walk(&graph, &[1, 3]).0, vec![2.0, 1.0]);
        // A zero score means the default, as in sherpa-onnx.
        let zero = ContextGraph::new(&[(vec![7], Some(0.0))], 1.25);
        assert_eq!(walk(&zero, &[7]).0, vec![1.25]);
    }

    /// A phrase that is a suffix of another completes through the output link.
    #[test]
    fn a_shorter_phrase_inside_a_longer_one_counts() {
        let graph = ContextGraph::new(&[(vec![1, 2, 3], None), (vec![2], Some(4.0))], 1.0);
        let (scores, state) = walk(&graph, &[1, 2]);
        // At "1 2" the output link ("2") fires: the path gets "2"'s score and restarts.
        assert_eq!(state, ROOT);
        assert_eq!(scores, vec![1.0, 1.0 + 4.0 - 2.0]);
    }

    #[test]
    fn an_empty_graph_biases_nothing() {
        let graph = ContextGraph::new(&[], 1.5);
        assert!(graph.is_empty());
        assert_eq!(walk(&graph, &[1, 2, 3]), (vec![0.0, 0.0, 0.0], ROOT));
        assert_eq!(graph.finalize(ROOT), 0.0);
    }
}
