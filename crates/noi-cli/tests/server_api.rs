//! `noi serve` over HTTP, as local tools call it: a real server process and a real HTTP
//! client. Policies (request ids, origins, CORS, token, rate limit, metrics) and bad input.

mod server;

use std::process::Command;

use noi_models::DATA_DIR_ENV;
use server::*;

#[test]
fn health_models_and_request_ids() {
    let server = Server::tiny(&[]);
    let health = request("GET", &server.url("/health"), &[], None);
    assert_eq!(health.status, 200);
    assert_eq!(health.json()["status"], "ok");
    assert_eq!(health.json()["model"], "tiny-model");
    let generated = health.header("x-request-id").expect("a request id");
    assert_eq!(generated.len(), 36, "a UUID: {generated}");

    let echoed = request(
        "GET",
        &server.url("/health"),
        &[("x-request-id", "abc-42")],
        None,
    );
    assert_eq!(echoed.header("x-request-id"), Some("abc-42"));
    let hostile = request(
        "GET",
        &server.url("/health"),
        &[("x-request-id", "a b<script>")],
        None,
    );
    assert_ne!(hostile.header("x-request-id"), Some("a b<script>"));

    let models = request("GET", &server.url("/v1/models"), &[], None);
    let m = models.json();
    assert_eq!(models.status, 200);
    assert_eq!(m["id"], "tiny-model");
    assert_eq!(m["encoder"], "fp32");
    assert_eq!(m["vocab_size"], 50);
    assert_eq!(m["sample_rate"], 16000);
    assert_eq!(
        m["supported_rates"],
        serde_json::json!([8000, 16000, 24000, 44100, 48000])
    );
    assert_eq!(m["pool_size"], 4);
    assert_eq!(m["pool_available"], 4);
    assert_eq!(m["diarization"], false);
    assert_eq!(m["active"], "tiny-model");
}

#[test]
fn rest_transcription_matches_the_cli() {
    let Some(clip) = test_audio("vi_01.wav") else {
        return;
    };
    let server = Server::tiny(&[]);
    let answer = post(
        &server.url("/v1/transcribe"),
        &[("content-type", "audio/wav")],
        &std::fs::read(&clip).unwrap(),
    );
    assert_eq!(answer.status, 200, "{}", answer.body);
    let body = answer.json();
    let cli = Command::new(env!("CARGO_BIN_EXE_noi"))
        .args(["transcribe", "--threads", "1", "--model-dir"])
        .arg(tiny_model())
        .arg(&clip)
        .output()
        .unwrap();
    let cli_text = String::from_utf8(cli.stdout).unwrap();
    assert!(!cli_text.trim().is_empty());
    assert_eq!(body["text"].as_str().unwrap(), cli_text.trim_end());
    let duration = body["duration"].as_f64().unwrap();
    assert!((duration - 4.01).abs() < 0.05, "duration {duration}");
    let words = body["words"].as_array().unwrap();
    assert!(!words.is_empty());
    for w in words {
        let (start, end) = (w["start"].as_f64().unwrap(), w["end"].as_f64().unwrap());
        assert!(0.0 <= start && start < end && end <= duration + 0.01, "{w}");
        assert!(w["confidence"].as_f64().unwrap() > 0.0);
    }
}

#[test]
fn sse_stream_sends_finals_at_pauses_with_words() {
    let Some(clip) = test_audio("long_2min.wav") else {
        return;
    };
    let server = Server::tiny(&[]);
    let answer = post(
        &server.url("/v1/transcribe/stream"),
        &[],
        &std::fs::read(&clip).unwrap(),
    );
    assert_eq!(answer.status, 200);
    assert!(
        answer
            .header("content-type")
            .unwrap()
            .starts_with("text/event-stream")
    );
    let events = sse_events(&answer.body);
    let finals: Vec<_> = events.iter().filter(|e| e["type"] == "final").collect();
    assert!(finals.len() >= 5, "a final per pause, got {}", finals.len());
    for e in &events {
        assert!(e["type"] == "final" || e["type"] == "partial", "{e}");
        assert!(e["words"].is_array(), "words always present in SSE: {e}");
        assert!(e["timestamp"].as_f64().unwrap() > 1.7e9);
    }
    // Word times are stream times and only move forward from one final to the next.
    let starts: Vec<f64> = finals
        .iter()
        .flat_map(|f| f["words"].as_array().unwrap().iter())
        .map(|w| w["start"].as_f64().unwrap())
        .collect();
    assert!(starts.windows(2).all(|p| p[0] <= p[1]));
    assert!(*starts.last().unwrap() > 60.0, "words late in the file");
}

#[test]
fn origins_and_cors() {
    let server = Server::tiny(&["--allow-origin", "https://app.example.com"]);
    let models = server.url("/v1/models");
    let none = request("GET", &models, &[], None);
    assert_eq!(none.status, 200);
    assert!(none.header("access-control-allow-origin").is_none());
    assert_eq!(none.header("vary"), Some("Origin"));

    for allowed in [
        "http://localhost:5173",
        "https://app.example.com",
        "http://[::1]",
    ] {
        let a = request("GET", &models, &[("origin", allowed)], None);
        assert_eq!(a.status, 200, "{allowed}");
        assert_eq!(a.header("access-control-allow-origin"), Some(allowed));
        assert_eq!(
            a.header("access-control-expose-headers"),
            Some("x-request-id")
        );
    }
    let foreign = request(
        "GET",
        &models,
        &[("origin", "http://localhost.evil.com")],
        None,
    );
    assert_eq!(foreign.status, 403);
    assert_eq!(foreign.json()["code"], "origin_denied");
    assert!(foreign.header("access-control-allow-origin").is_none());

    // Preflight is answered (phostt answered 405).
    let preflight = request(
        "OPTIONS",
        &server.url("/v1/transcribe"),
        &[
            ("origin", "http://localhost:3000"),
            ("access-control-request-method", "POST"),
        ],
        None,
    );
    assert_eq!(preflight.status, 204);
    assert_eq!(
        preflight.header("access-control-allow-origin"),
        Some("http://localhost:3000")
    );
    assert!(
        preflight
            .header("access-control-allow-methods")
            .unwrap()
            .contains("POST")
    );
    let denied = request(
        "OPTIONS",
        &server.url("/v1/transcribe"),
        &[("origin", "https://evil.example")],
        None,
    );
    assert_eq!(denied.status, 403);

    // WebSocket upgrades obey the same policy; /health is exempt.
    let err = ws_connect(
        &server.ws_url("/v1/ws"),
        &[("origin", "https://evil.example")],
    )
    .unwrap_err();
    assert!(
        matches!(err, tungstenite::Error::Http(ref r) if r.status() == 403),
        "{err:?}"
    );
    let mut ok = ws_connect(
        &server.ws_url("/v1/ws"),
        &[("origin", "http://127.0.0.1:8000")],
    )
    .unwrap();
    assert_eq!(read_json(&mut ok)["type"], "ready");
    let health = request(
        "GET",
        &server.url("/health"),
        &[("origin", "https://evil.example")],
        None,
    );
    assert_eq!(health.status, 200);
}

#[test]
fn token_is_required_when_configured() {
    let server = Server::tiny(&["--token", "s3cret-token"]);
    let models = server.url("/v1/models");
    let missing = request("GET", &models, &[], None);
    assert_eq!(missing.status, 401);
    assert_eq!(missing.json()["code"], "unauthorized");
    let wrong = request(
        "GET",
        &models,
        &[("authorization", "Bearer s3cret-tokem")],
        None,
    );
    assert_eq!(wrong.status, 401);
    let right = request(
        "GET",
        &models,
        &[("authorization", "Bearer s3cret-token")],
        None,
    );
    assert_eq!(right.status, 200);
    assert_eq!(
        request("GET", &server.url("/health"), &[], None).status,
        200
    );

    let refused = ws_connect(&server.ws_url("/v1/ws"), &[]).unwrap_err();
    assert!(matches!(refused, tungstenite::Error::Http(ref r) if r.status() == 401));
    let mut by_query = ws_connect(&server.ws_url("/v1/ws?token=s3cret-token"), &[]).unwrap();
    assert_eq!(read_json(&mut by_query)["type"], "ready");
    let mut by_header = ws_connect(
        &server.ws_url("/v1/ws"),
        &[("authorization", "Bearer s3cret-token")],
    )
    .unwrap();
    assert_eq!(read_json(&mut by_header)["type"], "ready");

    // Dictation control: token needed; `noi serve` has no microphone to drive.
    let status = server.url("/v1/dictation/status");
    assert_eq!(request("GET", &status, &[], None).status, 401);
    let no_mic = request(
        "GET",
        &status,
        &[("authorization", "Bearer s3cret-token")],
        None,
    );
    assert_eq!(no_mic.status, 404);
    assert_eq!(no_mic.json()["code"], "dictation_unavailable");
}

#[test]
fn dictation_control_needs_a_token_even_without_one_configured() {
    let server = Server::tiny(&[]);
    let start = post(&server.url("/v1/dictation/start"), &[], b"");
    assert_eq!(start.status, 401);
    assert_eq!(start.json()["code"], "unauthorized");
}

#[test]
fn bad_input_gets_a_clear_answer_and_the_server_stays_up() {
    let server = Server::tiny(&["--max-audio-secs", "3"]);
    let url = server.url("/v1/transcribe");
    let expect = |answer: Answer, status: u16, code: &str| {
        assert_eq!(answer.status, status, "{}", answer.body);
        let body = answer.json();
        assert_eq!(body["code"], code, "{body}");
        assert!(
            body["error"].as_str().unwrap().len() > 20,
            "a helpful message: {body}"
        );
        server.assert_healthy();
    };
    expect(post(&url, &[], b""), 400, "empty_body");
    let oversize = vec![0u8; 60 * 1024 * 1024];
    expect(post(&url, &[], &oversize), 413, "payload_too_large");
    for (file, status, code) in [
        ("random.bin", 415, "unsupported_media_type"),
        ("text.wav", 415, "unsupported_media_type"),
        ("header_only.wav", 422, "transcription_error"),
        ("no_samples.wav", 422, "transcription_error"),
        ("zero_rate.wav", 422, "transcription_error"),
    ] {
        expect(post(&url, &[], &engine_audio_bytes(file)), status, code);
    }
    // Longer than --max-audio-secs 3 (a 4 s clip).
    if let Some(clip) = test_audio("vi_01.wav") {
        let long = std::fs::read(clip).unwrap();
        expect(post(&url, &[], &long), 413, "payload_too_large");
    }
    // A WAV cut short is transcribed up to the cut, like the CLI does.
    let truncated = post(&url, &[], &engine_audio_bytes("truncated.wav"));
    assert_eq!(truncated.status, 200, "{}", truncated.body);
    assert!((truncated.json()["duration"].as_f64().unwrap() - 0.5).abs() < 0.01);
    // The same rules through the SSE route, before any event is sent.
    expect(
        post(&server.url("/v1/transcribe/stream"), &[], b""),
        400,
        "empty_body",
    );
    expect(
        post(
            &server.url("/v1/transcribe/stream"),
            &[],
            &engine_audio_bytes("random.bin"),
        ),
        415,
        "unsupported_media_type",
    );
}

#[test]
fn metrics_only_when_enabled() {
    let off = Server::tiny(&[]);
    let answer = request("GET", &off.url("/metrics"), &[], None);
    assert_eq!(answer.status, 404);
    assert_eq!(answer.json()["code"], "metrics_disabled");
    drop(off);

    let on = Server::tiny(&["--metrics"]);
    let audio = engine_audio_bytes("s16_16k_mono.wav");
    assert_eq!(post(&on.url("/v1/transcribe"), &[], &audio).status, 200);
    let (status, text) = get(&on.url("/metrics"), &[]);
    assert_eq!(status, 200);
    for family in [
        "noi_audio_seconds_processed_total",
        "noi_inference_seconds_bucket",
        "noi_active_streams",
        "noi_queue_depth",
    ] {
        assert!(text.contains(family), "{family} missing:\n{text}");
    }
    let processed: f64 = text
        .lines()
        .find_map(|l| l.strip_prefix("noi_audio_seconds_processed_total "))
        .unwrap()
        .parse()
        .unwrap();
    assert!(processed > 0.99, "counted the 1 s clip: {processed}");
}

#[test]
fn rate_limit_keys_on_the_peer_unless_a_proxy_is_trusted() {
    let limited = |extra: &[&str]| {
        let mut args = vec!["--rate-limit-per-minute", "1", "--rate-limit-burst", "2"];
        args.extend(extra);
        Server::tiny(&args)
    };
    let server = limited(&[]);
    let models = server.url("/v1/models");
    for _ in 0..2 {
        assert_eq!(request("GET", &models, &[], None).status, 200);
    }
    let third = request("GET", &models, &[], None);
    assert_eq!(third.status, 429);
    assert_eq!(third.json()["code"], "rate_limited");
    assert!(third.json()["retry_after_ms"].as_u64().unwrap() > 0);
    assert!(third.header("retry-after").is_some());
    // A made-up forwarding header does not buy a new budget...
    let spoofed = request("GET", &models, &[("x-forwarded-for", "203.0.113.9")], None);
    assert_eq!(spoofed.status, 429);
    // ... and /health is never limited.
    assert_eq!(
        request("GET", &server.url("/health"), &[], None).status,
        200
    );
    drop(server);

    let proxied = limited(&["--trust-proxy"]);
    let models = proxied.url("/v1/models");
    for _ in 0..2 {
        let a = request("GET", &models, &[("x-forwarded-for", "203.0.113.1")], None);
        assert_eq!(a.status, 200);
    }
    let a = request("GET", &models, &[("x-forwarded-for", "203.0.113.1")], None);
    assert_eq!(a.status, 429);
    let b = request("GET", &models, &[("x-forwarded-for", "203.0.113.2")], None);
    assert_eq!(
        b.status, 200,
        "another client behind the proxy has its own budget"
    );
}

#[test]
fn non_loopback_address_needs_bind_all() {
    let output = Command::new(env!("CARGO_BIN_EXE_noi"))
        .args(["serve", "--host", "0.0.0.0", "--port", "0", "--model-dir"])
        .arg(tiny_model())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("--bind-all") && stderr.contains("0.0.0.0"),
        "{stderr}"
    );
}

#[test]
fn port_in_use_is_named_with_the_fix() {
    let server = Server::tiny(&[]);
    let output = Command::new(env!("CARGO_BIN_EXE_noi"))
        .args(["serve", "--port", &server.port.to_string(), "--model-dir"])
        .arg(tiny_model())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("--port") && stderr.contains(&server.port.to_string()),
        "{stderr}"
    );
    server.assert_healthy();
}

#[test]
fn openapi_document_lists_every_route() {
    let server = Server::tiny(&[]);
    let (status, body) = get(&server.url("/openapi.json"), &[]);
    assert_eq!(status, 200);
    let doc: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    for path in [
        "/health",
        "/v1/models",
        "/v1/transcribe",
        "/v1/transcribe/stream",
        "/v1/audio/transcriptions",
        "/v1/ws",
        "/metrics",
        "/openapi.json",
        "/v1/dictation/start",
        "/v1/dictation/status",
    ] {
        assert!(
            doc["paths"][path].is_object(),
            "{path} missing from /openapi.json"
        );
    }
}

#[test]
fn without_a_model_the_server_still_answers_and_says_how_to_get_one() {
    let data = tempfile::tempdir().unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_noi"));
    command
        .args(["serve", "--port", "0"])
        .env(DATA_DIR_ENV, data.path());
    let server = Server::launch(command);
    let seen = server.log();
    assert!(
        seen.contains("noi models download zipformer-vi-int8"),
        "the fix is named at start: {seen}"
    );
    let url = |path: &str| server.url(path);
    let health = request("GET", &url("/health"), &[], None);
    assert_eq!(health.status, 200);
    assert_eq!(health.json()["status"], "degraded");
    for answer in [
        post(
            &url("/v1/transcribe"),
            &[],
            &engine_audio_bytes("s16_16k_mono.wav"),
        ),
        request("GET", &url("/v1/models"), &[], None),
    ] {
        assert_eq!(answer.status, 503);
        assert_eq!(answer.json()["code"], "model_not_loaded");
        assert!(
            answer.json()["error"]
                .as_str()
                .unwrap()
                .contains("noi models download")
        );
    }
    let refused = ws_connect(&server.ws_url("/v1/ws"), &[]).unwrap_err();
    assert!(matches!(refused, tungstenite::Error::Http(ref r) if r.status() == 503));
}
