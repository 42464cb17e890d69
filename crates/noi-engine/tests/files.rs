//! Several files through one pipeline (`noi transcribe a.wav b.wav …`): each file's transcript
//! is exactly what transcribing it alone gives, they come back in the order given, and a file
//! that fails is reported without stopping the others.

mod common;

use std::path::PathBuf;

use noi_engine::model::ModelOptions;
use noi_engine::pipeline::StageTimes;
use noi_engine::transcript::Transcript;
use noi_engine::{Recognizer, RecognizerConfig};

/// Token ids and segment ranges: what must not change.
fn shape(t: &Transcript) -> (Vec<[usize; 2]>, Vec<u32>) {
    (
        t.segments
            .iter()
            .map(|s| [s.start_sample, s.end_sample])
            .collect(),
        t.tokens().map(|t| t.id).collect(),
    )
}

#[test]
fn several_files_decode_two_at_once_in_order_and_as_alone() {
    let names = ["long_2min.wav", "vi_01.wav", "packed_25s.wav", "vi_02.wav"];
    let Some(existing) = names
        .iter()
        .map(|n| common::test_audio(n))
        .collect::<Option<Vec<_>>>()
    else {
        return;
    };
    let missing = PathBuf::from("/nonexistent/never.wav");
    // A failing file in the middle, between a long and a short one.
    let mut files = existing.clone();
    files.insert(2, missing.clone());

    let options = ModelOptions { threads: 1 };
    let alone = Recognizer::load(&common::tiny_model(), options).unwrap();
    let together = Recognizer::load_with_jobs(&common::tiny_model(), options, 2).unwrap();
    let config = RecognizerConfig::default();

    let times = StageTimes::default();
    let mut seen = Vec::new();
    together.transcribe_files(&files, &config, Some(&times), |i, result| {
        seen.push((i, result))
    });
    let order: Vec<usize> = seen.iter().map(|(i, _)| *i).collect();
    assert_eq!(
        order,
        vec![0, 1, 2, 3, 4],
        "files come back in the order given"
    );

    let mut expected = existing.iter();
    for (i, result) in seen {
        if files[i] == missing {
            let error = result.expect_err("a missing file fails").to_string();
            assert!(error.contains("never.wav"), "{error}");
            continue;
        }
        let file = expected.next().unwrap();
        let one = alone.transcribe_file(file, &config, |_| {}).unwrap();
        let got = result.unwrap();
        assert_eq!(shape(&got), shape(&one), "{}", file.display());
        assert_eq!(got.duration, one.duration);
    }
    let spent = times.seconds();
    assert!(
        spent.vad > 0.0 && spent.encoder > 0.0 && spent.search > 0.0,
        "{spent:?}"
    );
}

#[test]
fn a_file_that_is_not_audio_fails_alone() {
    let Some(good) = common::test_audio("vi_03.wav") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("notes.wav");
    std::fs::write(&bad, b"these are not samples").unwrap();
    let recognizer =
        Recognizer::load_with_jobs(&common::tiny_model(), ModelOptions { threads: 1 }, 2).unwrap();
    let mut results = Vec::new();
    recognizer.transcribe_files(
        &[bad, good.clone()],
        &RecognizerConfig::default(),
        None,
        |_, r| results.push(r),
    );
    assert!(results[0].is_err());
    let alone = recognizer
        .transcribe_file(&good, &RecognizerConfig::default(), |_| {})
        .unwrap();
    assert_eq!(shape(results[1].as_ref().unwrap()), shape(&alone));
}
