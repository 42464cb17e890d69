//! `noi_engine::config` on the real tiny model: what a door's choices turn into (search method,
//! hotword graph, dictation settings) and the errors a user can meet. The expected graphs are
//! built by the hotwords module's own path (tests/hotwords.rs checks that path against python
//! sentencepiece and sherpa-onnx), so these check the wiring and the rules.

mod common;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use common::*;
use noi_engine::Recognizer;
use noi_engine::config::{
    ConfigError, Decoding, EngineConfig, HotwordConfig, HotwordSource, ResolvedConfig,
};
use noi_engine::dictation::{DictationConfig, DictationStream};
use noi_engine::hotwords::{
    ContextGraph, DEFAULT_HOTWORDS_SCORE, Hotwords, HotwordsError, SentencePieceBpe, parse_hotwords,
};
use noi_engine::model::ModelOptions;
use noi_engine::search::SearchMethod;

fn tiny_bpe() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/hotwords/tiny-bpe.model")
}

fn tiny() -> Recognizer {
    Recognizer::load(&tiny_model(), ModelOptions { threads: 1 }).expect("load the tiny model")
}

/// The graph the hotwords module builds for `text` (a hotwords file's content).
fn expected_graph(recognizer: &Recognizer, text: &str) -> Arc<ContextGraph> {
    let bpe = SentencePieceBpe::load(&tiny_bpe()).unwrap();
    let phrases = parse_hotwords(text).unwrap();
    let tokens = recognizer.model().tokens();
    Hotwords::build(&phrases, &bpe, tokens, DEFAULT_HOTWORDS_SCORE).graph
}

/// The desktop's choice: a settings list, no search switch.
fn desktop(phrases: &[&str], bpe_model: Option<PathBuf>) -> EngineConfig {
    EngineConfig {
        hotwords: HotwordConfig {
            bpe_model,
            ..HotwordConfig::from_phrases(phrases.iter().map(|p| p.to_string()).collect())
        },
        threads: 1,
        ..EngineConfig::default()
    }
}

#[test]
fn a_settings_hotword_list_turns_on_beam_search_4_with_its_graph() {
    // The tiny vocabulary spells few words through its BPE: "người" and "Nga" it can.
    let recognizer = tiny();
    let config = desktop(&["người", "  người Nga :2.5 "], Some(tiny_bpe()));
    let resolved = config.resolve(&recognizer).unwrap();
    let graph = expected_graph(&recognizer, "người\nngười Nga :2.5\n");
    assert!(!graph.is_empty());
    let expected = SearchMethod::ModifiedBeam {
        beam: 4,
        hotwords: Some(graph),
    };
    assert_eq!(resolved.method, expected);
    let dictation = resolved.dictation_config();
    assert_eq!(dictation.method, expected);
    assert_eq!(dictation.segmenter, DictationConfig::default().segmenter);
    assert_eq!(resolved.recognizer_config().method, expected);
}

#[test]
fn an_empty_list_keeps_greedy_search_and_needs_no_bpe_model() {
    // The tiny model has no bpe.model: nothing may try to read it.
    let recognizer = tiny();
    for phrases in [&[][..], &["", "   "][..]] {
        let resolved = desktop(phrases, None).resolve(&recognizer).unwrap();
        assert_eq!(resolved.method, SearchMethod::Greedy, "{phrases:?}");
    }
}

#[test]
fn a_model_without_bpe_model_is_a_clear_error() {
    let recognizer = tiny();
    let error = desktop(&["Hà Nội"], None).resolve(&recognizer).unwrap_err();
    let expected_path = tiny_model().join("bpe.model");
    assert!(
        matches!(&error, ConfigError::BpeModel(HotwordsError::BpeModelMissing(p)) if *p == expected_path),
        "{error:?}"
    );
    let message = error.to_string();
    assert!(message.contains("bpe.model"), "{message}");
    assert!(message.contains("does not exist"), "{message}");
}

#[test]
fn a_hotwords_file_gives_the_same_graph_as_the_list_and_keeps_the_beam_width() {
    let recognizer = tiny();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("hotwords.txt");
    std::fs::write(&file, "người\nngười Nga :2.5\n").unwrap();
    let config = EngineConfig {
        decoding: Decoding::ModifiedBeam { beam: 6 },
        hotwords: HotwordConfig {
            bpe_model: Some(tiny_bpe()),
            ..HotwordConfig::from_file(&file)
        },
        threads: 1,
        segmenter: None,
    };
    let resolved = config.resolve(&recognizer).unwrap();
    let expected = SearchMethod::ModifiedBeam {
        beam: 6,
        hotwords: Some(expected_graph(&recognizer, "người\nngười Nga :2.5\n")),
    };
    assert_eq!(resolved.method, expected);

    let greedy = EngineConfig {
        decoding: Decoding::Greedy,
        ..config
    };
    let error = greedy.resolve(&recognizer).unwrap_err();
    assert!(matches!(error, ConfigError::HotwordsNeedBeam), "{error}");
}

#[test]
fn phrases_the_model_cannot_spell_leave_plain_beam_search() {
    // "Huế" has pieces outside the tiny vocabulary: skipped with a warning.
    let recognizer = tiny();
    let resolved = desktop(&["Huế"], Some(tiny_bpe()))
        .resolve(&recognizer)
        .unwrap();
    assert_eq!(resolved.method, SearchMethod::modified_beam(4));
}

#[test]
fn a_dictation_stream_logs_its_search_method_at_debug() {
    let recognizer = Arc::new(tiny());
    let config = desktop(&["người"], Some(tiny_bpe()));
    let resolved = config.resolve(&recognizer).unwrap();
    let log = log_capture::log_during(|| {
        let stream =
            DictationStream::start(Arc::clone(&recognizer), resolved.dictation_config(), 16_000)
                .unwrap();
        stream.cancel();
    });
    assert!(
        log.contains("DEBUG")
            && log.contains("dictation stream uses modified beam search (beam 4, hotword graph of"),
        "{log}"
    );
    let greedy = ResolvedConfig {
        method: SearchMethod::Greedy,
        segmenter: None,
    };
    let log = log_capture::log_during(|| {
        let stream =
            DictationStream::start(Arc::clone(&recognizer), greedy.dictation_config(), 16_000)
                .unwrap();
        stream.cancel();
    });
    assert!(log.contains("dictation stream uses greedy search"), "{log}");
}

#[test]
fn the_source_default_is_no_hotwords() {
    let config = EngineConfig::default();
    assert_eq!(config.hotwords.source, HotwordSource::None);
    assert_eq!(config.decoding, Decoding::Auto);
    assert_eq!(config.hotwords.score, DEFAULT_HOTWORDS_SCORE);
}
