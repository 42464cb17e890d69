//! `noi serve --hotwords`: a real server biases its REST transcriptions and dictation streams
//! the way `noi transcribe --hotwords` does, and refuses what `noi transcribe` refuses.

mod server;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::json;
use server::*;

fn tiny_bpe() -> String {
    workspace_root()
        .join("crates/noi-engine/tests/data/hotwords/tiny-bpe.model")
        .display()
        .to_string()
}

/// Phrases for the M replica (as in the engine's tests/hotwords.rs): its made-up vocabulary
/// tags pieces with digits, and a random model emits almost only those, so only such "words"
/// can change its output. On vi_02 the bonus pulls "đầu1214" in (0 → 2 with beam search).
const REPLICA_HOTWORDS: &str = "nay422\nđầu1214 :2.0\nbốn1230 cuộc610\n";
const PHRASES: [&str; 3] = ["NAY422", "ĐẦU1214", "BỐN1230 CUỘC610"];

fn hotword_count(text: &str) -> usize {
    PHRASES.iter().map(|p| text.matches(p).count()).sum()
}

fn hotwords_file(dir: &Path, text: &str) -> String {
    let path = dir.join("hotwords.txt");
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

/// What the replica test needs: the model, a clip, and a bpe.model for the replica's
/// tokens.txt made by the reference script (the replica folder has none and is read-only).
struct ReplicaSetup {
    model: PathBuf,
    clip: PathBuf,
    bpe: String,
    hotwords: String,
    _dir: tempfile::TempDir,
}

fn replica_setup() -> Option<ReplicaSetup> {
    let model = replica(M_REPLICA)?;
    let clip = test_audio("vi_02.wav")?;
    let dir = tempfile::tempdir().unwrap();
    let script = workspace_root().join("scripts/reference/make_hotword_models.py");
    let tokens = model.join("tokens.txt").display().to_string();
    let out = dir.path().display().to_string();
    venv_python(
        &script,
        &["from-tokens", "--tokens", &tokens, "--out", &out],
    )?;
    Some(ReplicaSetup {
        bpe: dir.path().join("bpe.model").display().to_string(),
        hotwords: hotwords_file(dir.path(), REPLICA_HOTWORDS),
        model,
        clip,
        _dir: dir,
    })
}

fn transcribe_cli(setup: &ReplicaSetup, extra: &[&str]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_noi"))
        .args([
            "transcribe",
            "--threads",
            "2",
            "--casing",
            "as-is",
            "--model-dir",
        ])
        .arg(&setup.model)
        .arg(&setup.clip)
        .args(extra)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    String::from_utf8(output.stdout)
        .unwrap()
        .trim_end()
        .to_owned()
}

fn rest_text(server: &Server, clip: &Path) -> String {
    let answer = post(
        &server.url("/v1/transcribe"),
        &[],
        &std::fs::read(clip).unwrap(),
    );
    assert_eq!(answer.status, 200, "{}", answer.body);
    answer.json()["text"].as_str().unwrap().to_owned()
}

/// The text of a dictation stream over /v1/ws fed the whole clip (16 kHz PCM16).
fn ws_text(server: &Server, clip: &Path) -> String {
    let mut socket = ws_connect(&server.ws_url("/v1/ws?sample_rate=16000"), &[]).unwrap();
    assert_eq!(read_json(&mut socket)["type"], "ready");
    for frame in wav_pcm_bytes(clip).chunks(3200) {
        send_pcm(&mut socket, frame);
    }
    send_json(&mut socket, json!({"type": "stop"}));
    let received = read_until_close(&mut socket);
    received
        .of_type("final")
        .iter()
        .map(|f| f["text"].as_str().unwrap())
        .filter(|t| !t.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn serve_with_hotwords_biases_rest_and_dictation_like_transcribe() {
    let Some(setup) = replica_setup() else {
        return;
    };
    let hotword_flags = [
        "--decoding",
        "beam",
        "--hotwords",
        &setup.hotwords,
        "--bpe-model",
        &setup.bpe,
    ];
    let common = ["--threads", "2", "--casing", "as-is"];
    let biased = Server::start(&setup.model, &[&hotword_flags[..], &common].concat());
    assert!(
        biased
            .log()
            .contains("decoding with modified beam search (beam 4, hotword graph of"),
        "{}",
        biased.log()
    );
    let plain = Server::start(
        &setup.model,
        &[&["--decoding", "beam"][..], &common].concat(),
    );

    // REST: the same text as `noi transcribe` with the same flags, the hotwords pulled in.
    let rest_biased = rest_text(&biased, &setup.clip);
    assert_eq!(rest_biased, transcribe_cli(&setup, &hotword_flags));
    let rest_plain = rest_text(&plain, &setup.clip);
    assert_eq!(rest_plain, transcribe_cli(&setup, &["--decoding", "beam"]));
    assert!(
        hotword_count(&rest_biased) > hotword_count(&rest_plain),
        "the hotwords gain ground over REST: {} -> {}",
        hotword_count(&rest_plain),
        hotword_count(&rest_biased)
    );

    // Dictation streams search with the hotwords too.
    let ws_biased = ws_text(&biased, &setup.clip);
    let ws_plain = ws_text(&plain, &setup.clip);
    assert!(
        hotword_count(&ws_biased) > hotword_count(&ws_plain),
        "the hotwords gain ground in dictation: {} -> {}",
        hotword_count(&ws_plain),
        hotword_count(&ws_biased)
    );
}

fn serve_exit(extra: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_noi"))
        .args(["serve", "--port", "0", "--threads", "1", "--model-dir"])
        .arg(tiny_model())
        .args(extra)
        .output()
        .unwrap()
}

/// As `noi transcribe` (tests/hotwords.rs): greedy decoding with hotwords is an error that
/// names the flag to add, and the server does not start.
#[test]
fn serve_hotwords_need_beam_decoding_like_transcribe() {
    let dir = tempfile::tempdir().unwrap();
    let file = hotwords_file(dir.path(), "người\n");
    let output = serve_exit(&["--hotwords", &file, "--bpe-model", &tiny_bpe()]);
    assert!(!output.status.success());
    let message = stderr(&output);
    assert!(message.contains("--decoding beam"), "{message}");
    assert!(!message.contains("listening"), "{message}");
}

#[test]
fn serve_names_a_missing_bpe_model_with_the_fix() {
    let dir = tempfile::tempdir().unwrap();
    let file = hotwords_file(dir.path(), "người\n");
    let output = serve_exit(&["--decoding", "beam", "--hotwords", &file]);
    assert!(!output.status.success());
    let message = stderr(&output);
    assert!(message.contains("bpe.model"), "{message}");
    assert!(message.contains("--bpe-model"), "{message}");
}
