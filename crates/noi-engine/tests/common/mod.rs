//! Shared helpers for the integration tests: where the replica models, the generated test
//! audio and the reference decoder (sherpa-onnx in the project's venv) are, and how to skip
//! clearly when one is absent. With `NOI_REQUIRE_ALL=1` (set by `.ci/run`) a missing piece
//! fails the test instead of skipping it.

#![allow(dead_code)]

pub mod log_capture;

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("workspace root")
}

/// Skips (returns None) or, when everything is required, panics with the reason.
pub fn require<T>(what: Option<T>, reason: &str) -> Option<T> {
    if what.is_none() {
        if std::env::var("NOI_REQUIRE_ALL").is_ok_and(|v| v == "1") {
            panic!("required test input missing: {reason}");
        }
        eprintln!("SKIPPED: {reason}");
    }
    what
}

/// `../shared/models/<name>` beside the repository (or `$NOI_SHARED_MODELS/<name>`).
pub fn replica(name: &str) -> Option<PathBuf> {
    let base = std::env::var_os("NOI_SHARED_MODELS")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("../shared/models"));
    let dir = base.join(name);
    require(
        dir.is_dir().then_some(dir),
        &format!("replica model {name} not found under {}", base.display()),
    )
}

pub const M_REPLICA: &str = "replica-zipformer-vi-int8-2025-04-20";
pub const S_REPLICA: &str = "replica-zipformer-vi-30M-int8-2026-02-09";

pub fn tiny_model() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/tiny-model")
}

/// The espeak-ng clips made by `scripts/reference/make_test_audio.sh`.
pub fn test_audio_dir() -> Option<PathBuf> {
    let dir = workspace_root().join("testdata/audio");
    require(
        dir.join("manifest.json").is_file().then_some(dir),
        "testdata/audio missing: run scripts/reference/make_test_audio.sh",
    )
}

pub fn test_audio(name: &str) -> Option<PathBuf> {
    test_audio_dir().map(|d| d.join(name))
}

/// The 16 kHz speech clips (mono ones and the stereo one) for token parity.
pub fn parity_clips() -> Option<Vec<PathBuf>> {
    let dir = test_audio_dir()?;
    let manifest: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("manifest.json")).ok()?).ok()?;
    let clips = manifest["files"]
        .as_array()?
        .iter()
        .filter(|f| f["sample_rate"] == 16000)
        .filter_map(|f| f["file"].as_str())
        .filter(|name| name.starts_with("vi_"))
        .map(|name| dir.join(name))
        .collect();
    Some(clips)
}

fn reference_python() -> Option<PathBuf> {
    let python = workspace_root().join(".venv/bin/python");
    require(
        python.is_file().then_some(python),
        "the reference venv (.venv) is missing: run scripts/setup.sh test",
    )
}

/// One decoded stream as the reference reports it.
#[derive(Debug, Clone)]
pub struct Reference {
    pub file: String,
    pub segment: Option<[usize; 2]>,
    /// Token ids (the script maps sherpa's pieces back through tokens.txt).
    pub tokens: Vec<u32>,
    pub frames: Vec<u32>,
    pub log_probs: Vec<f32>,
}

/// Runs `scripts/reference/sherpa_decode.py` (sherpa-onnx 2.0.1) with `args`.
pub fn run_reference(
    model_dir: &Path,
    method: &str,
    threads: usize,
    args: &[String],
) -> Option<Vec<Reference>> {
    let python = reference_python()?;
    let script = workspace_root().join("scripts/reference/sherpa_decode.py");
    let output = Command::new(python)
        .arg(script)
        .arg("--model-dir")
        .arg(model_dir)
        .args(["--method", method, "--threads", &threads.to_string()])
        .args(args)
        .output()
        .expect("run the reference decoder");
    assert!(
        output.status.success(),
        "reference decoder failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8(output.stdout).expect("utf-8");
    Some(stdout.lines().map(parse_reference).collect())
}

fn parse_reference(line: &str) -> Reference {
    let v: Value = serde_json::from_str(line).expect("reference JSON line");
    let floats = |key: &str| -> Vec<f64> {
        v[key]
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_f64).collect())
            .unwrap_or_default()
    };
    Reference {
        file: v["file"].as_str().unwrap_or_default().to_string(),
        segment: v["segment"].as_array().map(|s| {
            [
                s[0].as_u64().unwrap() as usize,
                s[1].as_u64().unwrap() as usize,
            ]
        }),
        tokens: v["token_ids"]
            .as_array()
            .expect("token_ids")
            .iter()
            .map(|x| x.as_u64().unwrap() as u32)
            .collect(),
        frames: floats("timestamps")
            .iter()
            .map(|t| (t / 0.04).round() as u32)
            .collect(),
        log_probs: floats("ys_log_probs").iter().map(|&x| x as f32).collect(),
    }
}

/// Reads a 16-bit PCM WAV as sherpa's reference script does (int16 / 32768, channels averaged).
pub fn read_wav_16k(path: &Path) -> Vec<f32> {
    let (samples, info) = noi_engine::audio::read_all(path).expect("read test audio");
    assert_eq!(info.sample_rate, 16000, "{} is not 16 kHz", path.display());
    samples
}
