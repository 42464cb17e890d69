//! Hotwords: phrases split into pieces exactly as python `sentencepiece` splits them
//! (goldens from scripts/reference/make_hotword_models.py), biased beam search against
//! sherpa-onnx 2.0.1 on the M replica, a hotword pulling its pieces in, and an empty hotword
//! list changing nothing.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use common::*;
use noi_engine::Recognizer;
use noi_engine::hotwords::{
    ContextGraph, DEFAULT_HOTWORDS_SCORE, Hotwords, SentencePieceBpe, normalise, parse_hotwords,
};
use noi_engine::model::ModelOptions;
use noi_engine::search::{SearchMethod, SearchResult};
use serde_json::Value;

fn hotword_data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/hotwords")
}

fn beam(graph: Option<Arc<ContextGraph>>) -> SearchMethod {
    SearchMethod::ModifiedBeam {
        beam: 4,
        hotwords: graph,
    }
}

fn decode(recognizer: &Recognizer, samples: &[f32], method: &SearchMethod) -> SearchResult {
    recognizer.decode_segment(samples, method).expect("decode")
}

/// (a) Our BPE split == python sentencepiece's, for phrases typed in any case and form.
#[test]
fn encoding_matches_sentencepiece() {
    let golden: Value = serde_json::from_str(
        &std::fs::read_to_string(hotword_data().join("encoding.json")).unwrap(),
    )
    .unwrap();
    let mut checked = 0;
    for (model, cases) in golden["models"].as_object().unwrap() {
        let bpe = SentencePieceBpe::load(&hotword_data().join(model)).unwrap();
        for case in cases.as_array().unwrap() {
            let phrase = case["phrase"].as_str().unwrap();
            let expected: Vec<&str> = case["pieces"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p.as_str().unwrap())
                .collect();
            assert_eq!(
                bpe.encode(&normalise(phrase)),
                expected,
                "{model}: {phrase:?}"
            );
            checked += 1;
        }
    }
    assert!(checked >= 20, "only {checked} phrases in the goldens");
}

fn tiny() -> Recognizer {
    Recognizer::load(&tiny_model(), ModelOptions { threads: 1 }).expect("load the tiny model")
}

fn tiny_hotwords(text: &str, score: f32) -> Hotwords {
    let bpe = SentencePieceBpe::load(&hotword_data().join("tiny-bpe.model")).unwrap();
    let recognizer = tiny();
    Hotwords::build(
        &parse_hotwords(text).unwrap(),
        &bpe,
        recognizer.model().tokens(),
        score,
    )
}

fn speech() -> Vec<f32> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/audio/speech_vi_22k05.wav");
    let (samples, _) = noi_engine::audio::read_all(&path).expect("read");
    let mut resampler = noi_engine::resample::Resampler::new(22_050, 16_000).unwrap();
    let mut out = Vec::new();
    resampler.process(&samples, &mut out);
    resampler.flush(&mut out);
    out
}

/// (c) An empty list, or one whose only phrase the vocabulary cannot spell, changes nothing:
/// same tokens, frames and log-probabilities as the search without hotwords.
#[test]
fn an_empty_hotword_list_changes_nothing() {
    let recognizer = tiny();
    let samples = speech();
    let plain = decode(&recognizer, &samples, &beam(None));
    assert!(!plain.tokens.is_empty());
    for text in ["", "\n  \n", "Huế\n"] {
        let hotwords = tiny_hotwords(text, DEFAULT_HOTWORDS_SCORE);
        assert!(hotwords.graph.is_empty(), "{text:?}");
        let biased = decode(&recognizer, &samples, &beam(Some(hotwords.graph)));
        assert_eq!(biased, plain, "hotwords {text:?}");
    }
}

fn count_phrase(tokens: &[u32], phrase: &[u32]) -> usize {
    tokens
        .windows(phrase.len())
        .filter(|w| *w == phrase)
        .count()
}

/// A `bpe.model` (+ sherpa's `bpe.vocab`) for a replica's tokens.txt, made by the reference
/// script in a temporary directory (the replica folder is read-only and has none).
fn replica_bpe(model_dir: &Path, out: &Path) -> Option<()> {
    let python = workspace_root().join(".venv/bin/python");
    require(
        python.is_file().then_some(()),
        "the reference venv (.venv) is missing: run scripts/setup.sh test",
    )?;
    let status = Command::new(python)
        .arg(workspace_root().join("scripts/reference/make_hotword_models.py"))
        .args(["from-tokens", "--tokens"])
        .arg(model_dir.join("tokens.txt"))
        .arg("--out")
        .arg(out)
        .status()
        .expect("run make_hotword_models.py");
    assert!(
        status.success(),
        "make_hotword_models.py from-tokens failed"
    );
    Some(())
}

/// Phrases for the replicas. Their made-up vocabulary tags most pieces with digits and a
/// random model emits almost only those, so only such "words" can change its output.
const REPLICA_HOTWORDS: &str = "nay422\nđầu1214 :2.0\nbốn1230 cuộc610\n";
const REPLICA_CLIPS: [&str; 3] = ["vi_01.wav", "vi_02.wav", "vi_05.wav"];

struct ReplicaSetup {
    _dir: tempfile::TempDir,
    hotwords_file: PathBuf,
    bpe_vocab: PathBuf,
    recognizer: Recognizer,
    hotwords: Hotwords,
    clips: Vec<PathBuf>,
}

fn replica_setup() -> Option<ReplicaSetup> {
    let model_dir = replica(M_REPLICA)?;
    let clips: Vec<PathBuf> = REPLICA_CLIPS
        .iter()
        .map(|c| test_audio(c))
        .collect::<Option<_>>()?;
    let dir = tempfile::tempdir().unwrap();
    replica_bpe(&model_dir, dir.path())?;
    let hotwords_file = dir.path().join("hotwords.txt");
    std::fs::write(&hotwords_file, REPLICA_HOTWORDS).unwrap();
    let recognizer = Recognizer::load(&model_dir, ModelOptions { threads: 2 }).unwrap();
    let hotwords = Hotwords::load(
        &hotwords_file,
        &dir.path().join("bpe.model"),
        recognizer.model().tokens(),
        DEFAULT_HOTWORDS_SCORE,
    )
    .unwrap();
    assert!(hotwords.skipped.is_empty(), "{:?}", hotwords.skipped);
    Some(ReplicaSetup {
        bpe_vocab: dir.path().join("bpe.vocab"),
        _dir: dir,
        hotwords_file,
        recognizer,
        hotwords,
        clips,
    })
}

/// (c) A hotword pulls its pieces into the result: each phrase appears at least as often
/// with the bonus as without, and more often on at least one clip.
#[test]
fn a_hotword_pulls_its_pieces_in() {
    let Some(setup) = replica_setup() else {
        return;
    };
    let (mut before, mut after) = (0, 0);
    for clip in &setup.clips {
        let samples = read_wav_16k(clip);
        let plain = decode(&setup.recognizer, &samples, &beam(None));
        let graph = Some(setup.hotwords.graph.clone());
        let biased = decode(&setup.recognizer, &samples, &beam(graph));
        for (phrase, ids) in &setup.hotwords.encoded {
            let (b, a) = (
                count_phrase(&plain.tokens, ids),
                count_phrase(&biased.tokens, ids),
            );
            eprintln!("{}: {phrase:?} {b} -> {a}", clip.display());
            assert!(a >= b, "{phrase:?} lost ground on {}", clip.display());
            before += b;
            after += a;
        }
    }
    assert!(
        after > before,
        "hotwords changed nothing: {before} -> {after}"
    );
}

/// (b) Biased beam search against sherpa-onnx 2.0.1 (`hotwords_file`, `bpe_vocab`,
/// `modeling_unit="bpe"`), token for token.
///
/// Ignored: with the sherpa-onnx 2.0.1 wheel, hotwords change nothing on the replicas or the
/// tiny model, even at a score of 1000 and with per-stream hotwords, while the algorithm of
/// its published source (which this engine follows) does; so there is no biased reference
/// output to compare with yet. Run with `--ignored` to see the comparison.
#[test]
#[ignore = "sherpa-onnx 2.0.1 applies no hotword bonus on these models (see the doc comment)"]
fn biased_decoding_matches_sherpa() {
    let Some(setup) = replica_setup() else {
        return;
    };
    let model_dir = replica(M_REPLICA).unwrap();
    let mut args: Vec<String> = vec![
        "--hotwords-file".into(),
        setup.hotwords_file.display().to_string(),
        "--bpe-vocab".into(),
        setup.bpe_vocab.display().to_string(),
        "--hotwords-score".into(),
        DEFAULT_HOTWORDS_SCORE.to_string(),
    ];
    args.extend(setup.clips.iter().map(|c| c.display().to_string()));
    let Some(references) = run_reference(&model_dir, "modified_beam_search", 2, &args) else {
        return;
    };
    let mut failures = Vec::new();
    for (clip, reference) in setup.clips.iter().zip(&references) {
        let samples = read_wav_16k(clip);
        let graph = Some(setup.hotwords.graph.clone());
        let ours = decode(&setup.recognizer, &samples, &beam(graph));
        if ours.tokens != reference.tokens || ours.frames != reference.frames {
            failures.push(format!("{}: tokens differ", clip.display()));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
