//! Third-party clients against `noi serve`: OpenAI's official Python client, phostt's client
//! flow with the `websockets` package, and schemathesis checking `/openapi.json` against the
//! live server. They run from the project's venv (scripts/setup.sh installs them).

mod server;

use serde_json::Value;
use server::*;

fn clients_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/clients")
}

#[test]
fn openai_python_client_gets_every_response_format() {
    let Some(clip) = test_audio("vi_01.wav") else {
        return;
    };
    let server = Server::tiny(&[]);
    let Some(out) = venv_python(
        &clients_dir().join("openai_client.py"),
        &[&server.url("/v1"), clip.to_str().unwrap()],
    ) else {
        return;
    };
    let out: Value = serde_json::from_str(&out).unwrap();
    let text = out["json"].as_str().unwrap();
    assert!(!text.is_empty());
    // The same text as the phostt route.
    let rest = post(
        &server.url("/v1/transcribe"),
        &[],
        &std::fs::read(&clip).unwrap(),
    )
    .json();
    assert_eq!(text, rest["text"]);
    assert_eq!(out["text"].as_str().unwrap(), format!("{text}\n"));
    let srt = out["srt"].as_str().unwrap();
    assert!(srt.starts_with("1\n00:00:00,000 --> "), "{srt}");
    let vtt = out["vtt"].as_str().unwrap();
    assert!(vtt.starts_with("WEBVTT\n\n00:00:00.000 --> "), "{vtt}");
    let verbose = &out["verbose_json"];
    assert_eq!(verbose["text"], text);
    assert_eq!(verbose["language"], "vietnamese");
    assert!((verbose["duration"].as_f64().unwrap() - 4.01).abs() < 0.01);
    let words = verbose["words"].as_array().unwrap();
    assert_eq!(words.len(), rest["words"].as_array().unwrap().len());
    assert!(
        words
            .windows(2)
            .all(|w| w[0]["start"].as_f64() <= w[1]["start"].as_f64())
    );
    assert!(!verbose["segments"].as_array().unwrap().is_empty());
    assert_eq!(out["bad_audio"]["status"], 415, "{}", out["bad_audio"]);
    assert_eq!(out["bad_audio"]["code"], "unsupported_media_type");
}

#[test]
fn phostt_client_flow_with_websockets_and_plain_http() {
    let Some(clip) = test_audio("vi_05.wav") else {
        return;
    };
    let server = Server::tiny(&[]);
    let Some(out) = venv_python(
        &clients_dir().join("phostt_client.py"),
        &[&server.url(""), &server.ws_url(""), clip.to_str().unwrap()],
    ) else {
        return;
    };
    let out: Value = serde_json::from_str(&out).unwrap();
    let ws = &out["ws"];
    assert_eq!(ws["ready"]["type"], "ready");
    assert_eq!(ws["close_code"], 1000);
    let messages = ws["messages"].as_array().unwrap();
    let last = messages.last().unwrap();
    assert_eq!(last["type"], "final");
    let ws_text: Vec<&str> = messages
        .iter()
        .filter(|m| m["type"] == "final")
        .filter_map(|m| m["text"].as_str())
        .filter(|t| !t.is_empty())
        .collect();
    assert!(!ws_text.is_empty());
    let rest = &out["rest"];
    assert_eq!(rest["health"]["status"], "ok");
    assert_eq!(rest["models"]["sample_rate"], 16000);
    assert!(!rest["transcribe"]["text"].as_str().unwrap().is_empty());
    assert!(
        rest["sse_content_type"]
            .as_str()
            .unwrap()
            .starts_with("text/event-stream")
    );
    let sse_text: Vec<&str> = rest["sse"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["type"] == "final")
        .filter_map(|m| m["text"].as_str())
        .filter(|t| !t.is_empty())
        .collect();
    assert_eq!(ws_text, sse_text, "the WebSocket and SSE doors agree");
}

#[test]
fn openapi_document_matches_the_live_server() {
    let server = Server::tiny(&["--metrics", "--token", "t0ken"]);
    let Some(schemathesis) = require(
        workspace_root().join(".venv/bin/schemathesis"),
        "schemathesis in the .venv (scripts/setup.sh)",
    ) else {
        return;
    };
    // Bounded: a fixed seed and a few examples per operation. Random bytes are valid
    // `application/octet-stream` yet not audio, so rejecting them is right: that check is off.
    let output = std::process::Command::new(schemathesis)
        .args(["run", &server.url("/openapi.json")])
        .args([
            "--checks",
            "all",
            "--exclude-checks",
            "positive_data_acceptance",
        ])
        .args(["--max-examples", "25", "--seed", "1", "--no-color"])
        .args(["-H", "Authorization: Bearer t0ken"])
        // It keeps a cache folder in its working directory.
        .current_dir(std::env::temp_dir())
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "schemathesis found problems:\n{report}"
    );
    assert!(report.contains("passed"), "{report}");
    server.assert_healthy();
}
