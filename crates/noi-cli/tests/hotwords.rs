//! `noi transcribe --hotwords`: the real binary on the tiny test model.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn engine_data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../noi-engine/tests/data")
}

fn transcribe(extra: &[&str]) -> Output {
    let data = engine_data();
    let clip = data.join("audio/speech_vi_22k05.wav");
    let model = data.join("tiny-model");
    Command::new(env!("CARGO_BIN_EXE_noi"))
        .arg("transcribe")
        .arg(clip)
        .arg("--model-dir")
        .arg(model)
        .args(["--threads", "1", "--format", "json"])
        .args(extra)
        .output()
        .expect("run noi")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn hotwords_file(dir: &Path, text: &str) -> String {
    let path = dir.join("hotwords.txt");
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

#[test]
fn hotwords_need_beam_search() {
    let dir = tempfile::tempdir().unwrap();
    let file = hotwords_file(dir.path(), "Hà Nội\n");
    let output = transcribe(&["--hotwords", &file]);
    assert!(!output.status.success());
    assert!(
        stderr(&output).contains("--decoding beam"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn a_bundle_without_bpe_model_is_named_with_the_fix() {
    let dir = tempfile::tempdir().unwrap();
    let file = hotwords_file(dir.path(), "Hà Nội\n");
    let output = transcribe(&["--decoding", "beam", "--hotwords", &file]);
    assert!(!output.status.success());
    let message = stderr(&output);
    assert!(message.contains("bpe.model"), "{message}");
    assert!(message.contains("--bpe-model"), "{message}");
}

#[test]
fn a_bad_hotwords_line_is_reported_with_its_number() {
    let dir = tempfile::tempdir().unwrap();
    let file = hotwords_file(dir.path(), "Hà Nội\n:2.0 Huế\n");
    let bpe = engine_data().join("hotwords/tiny-bpe.model");
    let bpe = bpe.display().to_string();
    let output = transcribe(&[
        "--decoding",
        "beam",
        "--hotwords",
        &file,
        "--bpe-model",
        &bpe,
    ]);
    assert!(!output.status.success());
    assert!(stderr(&output).contains("line 2"), "{}", stderr(&output));
}

/// Phrases the vocabulary cannot spell are skipped with a warning; the result is then the
/// plain beam search's.
#[test]
fn unusable_hotwords_warn_and_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let file = hotwords_file(dir.path(), "Huế :3\n");
    let bpe = engine_data().join("hotwords/tiny-bpe.model");
    let bpe = bpe.display().to_string();
    let plain = transcribe(&["--decoding", "beam"]);
    assert!(plain.status.success(), "{}", stderr(&plain));
    let biased = transcribe(&[
        "--decoding",
        "beam",
        "--hotwords",
        &file,
        "--bpe-model",
        &bpe,
    ]);
    assert!(biased.status.success(), "{}", stderr(&biased));
    assert!(stderr(&biased).contains("skipped"), "{}", stderr(&biased));
    assert_eq!(plain.stdout, biased.stdout);
}
