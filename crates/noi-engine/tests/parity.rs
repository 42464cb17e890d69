//! Token parity with the reference, sherpa-onnx 2.0.1: the same token pieces at the same
//! encoder frames, greedy and modified beam search, on both replicas of the real models
//! (random weights make the output sensitive to every detail of features and search), on
//! the espeak-ng Vietnamese clips (one stereo), and segment by segment on a 2-minute clip
//! that goes through the VAD path, one decode at a time and two at once (`--jobs 2`: the
//! encoder session runs two segments concurrently, each must give what it gives alone).

mod common;

use std::path::{Path, PathBuf};

use common::*;
use noi_engine::model::ModelOptions;
use noi_engine::search::SearchMethod;
use noi_engine::transcript::Segment;
use noi_engine::{Recognizer, RecognizerConfig};

const THREADS: usize = 2;

fn method_of(name: &str) -> SearchMethod {
    match name {
        "greedy_search" => SearchMethod::Greedy,
        _ => SearchMethod::modified_beam(4),
    }
}

fn load(model_dir: &Path) -> Recognizer {
    Recognizer::load(model_dir, ModelOptions { threads: THREADS }).expect("load model")
}

/// The largest difference between our per-token log-probabilities and sherpa-onnx's.
fn log_prob_gap(segment: &Segment, reference: &Reference) -> f32 {
    assert_eq!(
        reference.log_probs.len(),
        reference.tokens.len(),
        "sherpa-onnx reports a log-prob per token"
    );
    segment
        .tokens
        .iter()
        .zip(&reference.log_probs)
        .map(|(t, &r)| (t.log_prob - r).abs())
        .fold(0.0, f32::max)
}

/// Token ids and frames of our segment, in the reference's terms (frames relative to the segment).
fn ours(segment: &Segment) -> (Vec<u32>, Vec<u32>) {
    let pieces = segment.tokens.iter().map(|t| t.id).collect();
    let frames = segment
        .tokens
        .iter()
        .map(|t| ((t.time - segment.start()) / 0.04).round() as u32)
        .collect();
    (pieces, frames)
}

/// Where our tokens first differ from the reference's, if they do.
fn first_difference(ours: &(Vec<u32>, Vec<u32>), reference: &Reference) -> Option<String> {
    let (ids, frames) = ours;
    let i = (0..ids.len().max(reference.tokens.len())).find(|&i| {
        ids.get(i) != reference.tokens.get(i) || frames.get(i) != reference.frames.get(i)
    })?;
    Some(format!(
        "first difference at token {i}: ours {:?}@{:?}, sherpa-onnx {:?}@{:?} ({} vs {} tokens)",
        ids.get(i),
        frames.get(i),
        reference.tokens.get(i),
        reference.frames.get(i),
        ids.len(),
        reference.tokens.len()
    ))
}

/// Collects every mismatch, then fails listing them all (one clip's failure hides no other).
#[derive(Default)]
struct Mismatches {
    checked: usize,
    failures: Vec<String>,
}

impl Mismatches {
    fn check(&mut self, what: String, segment: &Segment, reference: &Reference) {
        let ours = ours(segment);
        assert!(
            !ours.0.is_empty() || !reference.tokens.is_empty(),
            "{what}: no tokens on either side; the comparison would be empty"
        );
        self.checked += 1;
        if let Some(difference) = first_difference(&ours, reference) {
            self.failures.push(format!("{what}: {difference}"));
        } else if log_prob_gap(segment, reference) > 1e-4 {
            self.failures.push(format!(
                "{what}: token log-probabilities differ by {}",
                log_prob_gap(segment, reference)
            ));
        }
    }

    fn assert_none(self, label: &str) {
        eprintln!(
            "{label}: {} of {} identical to sherpa-onnx",
            self.checked - self.failures.len(),
            self.checked
        );
        assert!(
            self.failures.is_empty(),
            "{label}:\n{}",
            self.failures.join("\n")
        );
    }
}

/// Whole clips (each ≤ 20 s, so decoded in one piece by both sides).
fn whole_clip_parity(model_dir: Option<PathBuf>, method: &str) {
    let (Some(model_dir), Some(clips)) = (model_dir, parity_clips()) else {
        return;
    };
    assert!(
        clips.len() >= 10,
        "expected at least 10 clips, found {}",
        clips.len()
    );
    let args: Vec<String> = clips.iter().map(|c| c.display().to_string()).collect();
    let Some(references) = run_reference(&model_dir, method, THREADS, &args) else {
        return;
    };
    let recognizer = load(&model_dir);
    let config = RecognizerConfig {
        method: method_of(method),
        ..Default::default()
    };
    let label = format!(
        "{} {method}",
        model_dir.file_name().unwrap().to_string_lossy()
    );
    let mut mismatches = Mismatches::default();
    for (clip, reference) in clips.iter().zip(&references) {
        let transcript = recognizer
            .transcribe_file(clip, &config, |_| {})
            .expect("transcribe");
        assert_eq!(
            transcript.segments.len(),
            1,
            "a short clip is decoded whole"
        );
        let name = clip.file_name().unwrap().to_string_lossy().to_string();
        mismatches.check(name, &transcript.segments[0], reference);
    }
    mismatches.assert_none(&label);
}

/// The 2-minute clip goes through the VAD with `jobs` decodes at once; sherpa-onnx decodes
/// each of our segments.
fn segmented_parity(model_dir: Option<PathBuf>, method: &str, jobs: usize) {
    let (Some(model_dir), Some(clip)) = (model_dir, test_audio("long_2min.wav")) else {
        return;
    };
    let recognizer =
        Recognizer::load_with_jobs(&model_dir, ModelOptions { threads: THREADS }, jobs)
            .expect("load model");
    assert_eq!(recognizer.jobs(), jobs);
    let config = RecognizerConfig {
        method: method_of(method),
        ..Default::default()
    };
    let transcript = recognizer
        .transcribe_file(&clip, &config, |_| {})
        .expect("transcribe");
    assert!(
        transcript.segments.len() >= 6,
        "the pauses should cut the clip: {} segments",
        transcript.segments.len()
    );
    let ranges: Vec<[usize; 2]> = transcript
        .segments
        .iter()
        .map(|s| [s.start_sample, s.end_sample])
        .collect();
    assert!(ranges.iter().all(|r| r[1] - r[0] <= 20 * 16_000));
    let spec = serde_json::json!([{ "wav": clip, "segments": ranges }]);
    let dir = tempfile::tempdir().unwrap();
    let spec_path = dir.path().join("segments.json");
    std::fs::write(&spec_path, spec.to_string()).unwrap();
    let args = vec!["--segments".to_string(), spec_path.display().to_string()];
    let Some(references) = run_reference(&model_dir, method, THREADS, &args) else {
        return;
    };
    assert_eq!(references.len(), transcript.segments.len());
    let mut mismatches = Mismatches::default();
    for (segment, reference) in transcript.segments.iter().zip(&references) {
        assert_eq!(
            reference.segment,
            Some([segment.start_sample, segment.end_sample])
        );
        let name = format!("segment {:.2}-{:.2}s", segment.start(), segment.end());
        mismatches.check(name, segment, reference);
    }
    let label = format!(
        "{} {method} jobs {jobs} long_2min.wav",
        model_dir.file_name().unwrap().to_string_lossy()
    );
    mismatches.assert_none(&label);
}

#[test]
fn m_replica_greedy_matches_sherpa_onnx() {
    whole_clip_parity(replica(M_REPLICA), "greedy_search");
}

#[test]
fn m_replica_beam_matches_sherpa_onnx() {
    whole_clip_parity(replica(M_REPLICA), "modified_beam_search");
}

#[test]
fn s_replica_greedy_matches_sherpa_onnx() {
    whole_clip_parity(replica(S_REPLICA), "greedy_search");
}

#[test]
fn s_replica_beam_matches_sherpa_onnx() {
    whole_clip_parity(replica(S_REPLICA), "modified_beam_search");
}

#[test]
fn tiny_model_matches_sherpa_onnx_both_methods() {
    whole_clip_parity(Some(tiny_model()), "greedy_search");
    whole_clip_parity(Some(tiny_model()), "modified_beam_search");
}

#[test]
fn m_replica_segments_match_sherpa_onnx_greedy() {
    segmented_parity(replica(M_REPLICA), "greedy_search", 1);
}

#[test]
fn m_replica_segments_match_sherpa_onnx_beam() {
    segmented_parity(replica(M_REPLICA), "modified_beam_search", 1);
}

#[test]
fn s_replica_segments_match_sherpa_onnx_greedy() {
    segmented_parity(replica(S_REPLICA), "greedy_search", 1);
}

#[test]
fn m_replica_segments_two_at_once_match_sherpa_onnx_greedy() {
    segmented_parity(replica(M_REPLICA), "greedy_search", 2);
}

#[test]
fn m_replica_segments_two_at_once_match_sherpa_onnx_beam() {
    segmented_parity(replica(M_REPLICA), "modified_beam_search", 2);
}

#[test]
fn s_replica_segments_two_at_once_match_sherpa_onnx_greedy() {
    segmented_parity(replica(S_REPLICA), "greedy_search", 2);
}

#[test]
fn s_replica_segments_two_at_once_match_sherpa_onnx_beam() {
    segmented_parity(replica(S_REPLICA), "modified_beam_search", 2);
}
