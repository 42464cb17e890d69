//! `/v1/ws` as phostt's clients use it, with a real WebSocket client against `noi serve`.

mod server;

use std::time::{Duration, Instant};

use serde_json::json;
use server::*;
use tungstenite::Message;

/// Streams PCM16 in frames of `frame_bytes` (odd sizes split samples across frames).
fn stream_pcm(socket: &mut Socket, pcm: &[u8], frame_bytes: usize) {
    for frame in pcm.chunks(frame_bytes) {
        send_pcm(socket, frame);
    }
}

/// The whole flow: connect, configure, stream, stop; returns what came back.
fn transcribe_over_ws(
    server: &Server,
    query: &str,
    pcm: &[u8],
    frame_bytes: usize,
    configure: Option<u32>,
) -> Received {
    let mut socket = ws_connect(&server.ws_url(&format!("/v1/ws{query}")), &[]).unwrap();
    let ready = read_json(&mut socket);
    assert_eq!(ready["type"], "ready");
    if let Some(rate) = configure {
        send_json(
            &mut socket,
            json!({"type": "configure", "sample_rate": rate}),
        );
    }
    stream_pcm(&mut socket, pcm, frame_bytes);
    send_json(&mut socket, json!({"type": "stop"}));
    read_until_close(&mut socket)
}

fn finals_text(received: &Received) -> String {
    received
        .of_type("final")
        .iter()
        .map(|f| f["text"].as_str().unwrap())
        .filter(|t| !t.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn phostt_flow_ready_configure_stream_stop_final_close() {
    let Some(clip) = test_audio("long_2min.wav") else {
        return;
    };
    let server = Server::tiny(&[]);
    let mut socket = ws_connect(&server.ws_url("/v1/ws"), &[]).unwrap();
    let ready = read_json(&mut socket);
    assert_eq!(
        ready,
        json!({"type": "ready", "model": "tiny-model", "sample_rate": 48000, "version": "1.0",
               "supported_rates": [8000, 16000, 24000, 44100, 48000]})
    );
    send_json(
        &mut socket,
        json!({"type": "configure", "sample_rate": 16000, "diarization": false}),
    );
    // Unknown and malformed text messages are ignored.
    send_json(&mut socket, json!({"type": "dance"}));
    socket.send(Message::Text("not json".into())).unwrap();
    let pcm = wav_pcm_bytes(&clip);
    stream_pcm(&mut socket, &pcm[..pcm.len() / 2], 3201);
    send_json(&mut socket, json!({"type": "stop"}));
    let received = read_until_close(&mut socket);
    assert_eq!(received.close_code, Some(1000));
    let last = received.messages.last().expect("messages");
    assert_eq!(
        last["type"], "final",
        "the last message is the final: {last}"
    );
    let finals = received.of_type("final");
    assert!(finals.len() >= 3, "finals at pauses, got {}", finals.len());
    assert!(
        received.of_type("error").is_empty(),
        "{:?}",
        received.messages
    );
    for f in &finals {
        assert!(f["timestamp"].as_f64().unwrap() > 1.7e9);
        if let Some(words) = f["words"].as_array() {
            assert!(!words.is_empty(), "empty words are omitted, not sent");
            let end = words.last().unwrap()["end"].as_f64().unwrap();
            assert!(end <= 60.5, "word times are stream times: {end}");
        }
    }
    // Finals never repeat: the same audio as one SSE request gives the same text.
    let half = wav_bytes_16k(&pcm[..pcm.len() / 2]);
    let sse = post(&server.url("/v1/transcribe/stream"), &[], &half);
    let sse_text: Vec<String> = sse_events(&sse.body)
        .into_iter()
        .filter(|e| e["type"] == "final" && e["text"] != "")
        .map(|e| e["text"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(finals_text(&received), sse_text.join(" "));
}

#[test]
fn resampling_is_stateful_across_frames() {
    // 44.1 kHz speech: one frame, or 1 001-byte frames (samples split across frames), must
    // give the same text (phostt reset its resampler per frame).
    let Some(clip) = test_audio("vi_10_44k.wav") else {
        return;
    };
    let server = Server::tiny(&[]);
    let pcm = wav_pcm_bytes(&clip);
    assert!(pcm.len() < 512 * 1024);
    let whole = transcribe_over_ws(&server, "?sample_rate=44100", &pcm, pcm.len(), None);
    let split = transcribe_over_ws(&server, "", &pcm, 1001, Some(44100));
    assert_eq!(whole.close_code, Some(1000));
    let text = finals_text(&whole);
    assert!(!text.is_empty());
    assert_eq!(finals_text(&split), text);
    let words = |r: &Received| -> Vec<serde_json::Value> {
        r.of_type("final")
            .iter()
            .flat_map(|f| f["words"].as_array().cloned().unwrap_or_default())
            .collect()
    };
    assert_eq!(words(&split), words(&whole), "same word times");
}

#[test]
fn configure_rules() {
    let server = Server::tiny(&[]);
    let mut socket = ws_connect(&server.ws_url("/v1/ws?sample_rate=16000"), &[]).unwrap();
    assert_eq!(read_json(&mut socket)["sample_rate"], 16000);
    send_json(
        &mut socket,
        json!({"type": "configure", "sample_rate": 12345}),
    );
    let error = read_json(&mut socket);
    assert_eq!(error["type"], "error");
    assert_eq!(error["code"], "invalid_sample_rate");
    send_json(
        &mut socket,
        json!({"type": "configure", "sample_rate": 8000}),
    );
    send_pcm(&mut socket, &pcm16(&vec![0.0; 8000]));
    send_json(
        &mut socket,
        json!({"type": "configure", "sample_rate": 16000}),
    );
    let error = read_json(&mut socket);
    assert_eq!(error["code"], "configure_too_late");
    send_json(&mut socket, json!({"type": "stop"}));
    let received = read_until_close(&mut socket);
    assert_eq!(
        received.of_type("final").len(),
        1,
        "{:?}",
        received.messages
    );
    assert_eq!(received.close_code, Some(1000));

    // A bad rate on the URL is refused before the upgrade.
    let refused = ws_connect(&server.ws_url("/v1/ws?sample_rate=1234"), &[]).unwrap_err();
    assert!(matches!(refused, tungstenite::Error::Http(ref r) if r.status() == 400));
}

#[test]
fn stop_without_audio_still_gets_one_final() {
    let server = Server::tiny(&[]);
    let mut socket = ws_connect(&server.ws_url("/v1/ws"), &[]).unwrap();
    read_json(&mut socket);
    send_json(&mut socket, json!({"type": "stop"}));
    let received = read_until_close(&mut socket);
    assert_eq!(received.messages, vec![received.messages[0].clone()]);
    assert_eq!(received.messages[0]["type"], "final");
    assert_eq!(received.messages[0]["text"], "");
    assert_eq!(received.close_code, Some(1000));
}

#[test]
fn oversize_frame_closes_with_1009() {
    let server = Server::tiny(&["--ws-frame-max-bytes", "4096"]);
    for size in [5000, 100_000] {
        let mut socket = ws_connect(&server.ws_url("/v1/ws?sample_rate=16000"), &[]).unwrap();
        read_json(&mut socket);
        send_pcm(&mut socket, &vec![0u8; 1000]);
        let _ = socket.send(Message::Binary(vec![0u8; size].into()));
        let received = read_until_close(&mut socket);
        assert_eq!(
            received.close_code,
            Some(1009),
            "{size} bytes: {:?}",
            received.messages
        );
        server.assert_healthy();
    }
}

#[test]
fn idle_timeout_sends_the_final_and_closes() {
    let server = Server::tiny(&["--idle-timeout-secs", "1"]);
    let mut socket = ws_connect(&server.ws_url("/v1/ws?sample_rate=16000"), &[]).unwrap();
    read_json(&mut socket);
    send_pcm(&mut socket, &pcm16(&vec![0.0; 4000]));
    let started = Instant::now();
    let received = read_until_close(&mut socket);
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(received.of_type("final").len(), 1);
    assert_eq!(received.close_code, Some(1000));
}

#[test]
fn session_cap_reports_an_error_then_the_final() {
    let server = Server::tiny(&["--max-session-secs", "1"]);
    let mut socket = ws_connect(&server.ws_url("/v1/ws?sample_rate=16000"), &[]).unwrap();
    read_json(&mut socket);
    send_pcm(&mut socket, &pcm16(&vec![0.0; 4000]));
    let received = read_until_close(&mut socket);
    let kinds: Vec<&str> = received
        .messages
        .iter()
        .map(|m| m["type"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["error", "final"]);
    assert_eq!(
        received.messages[0]["code"],
        "max_session_duration_exceeded"
    );
    assert_eq!(received.close_code, Some(1008));
}

#[test]
fn a_vanishing_client_leaves_the_server_serving_and_logs_no_text() {
    let Some(clip) = test_audio("vi_02.wav") else {
        return;
    };
    let server = Server::tiny(&[]);
    let pcm = wav_pcm_bytes(&clip);
    {
        let mut socket = ws_connect(&server.ws_url("/v1/ws?sample_rate=16000"), &[]).unwrap();
        read_json(&mut socket);
        stream_pcm(&mut socket, &pcm, 3200);
        // Dropped without a Close frame: the TCP connection just ends.
        if let tungstenite::stream::MaybeTlsStream::Plain(tcp) = socket.get_mut() {
            tcp.shutdown(std::net::Shutdown::Both).unwrap();
        }
    }
    let deadline = Instant::now() + Duration::from_secs(20);
    while !server.log().contains("discarded") {
        assert!(
            Instant::now() < deadline,
            "no discard logged:\n{}",
            server.log()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    server.assert_healthy();
    // The same audio from a client that stays: a real text, which the log never shows.
    let received = transcribe_over_ws(&server, "?sample_rate=16000", &pcm, 3200, None);
    let text = finals_text(&received);
    assert!(!text.is_empty());
    let log = server.log();
    for word in text.split_whitespace().filter(|w| w.chars().count() > 2) {
        assert!(
            !log.to_lowercase().contains(&word.to_lowercase()),
            "{word:?} in the info log:\n{log}"
        );
    }
}

#[test]
fn legacy_path_works_and_points_to_the_new_one() {
    let server = Server::tiny(&[]);
    let request =
        tungstenite::client::IntoClientRequest::into_client_request(server.ws_url("/ws")).unwrap();
    let (mut socket, response) = tungstenite::connect(request).unwrap();
    assert_eq!(response.headers()["deprecation"], "true");
    assert_eq!(
        response.headers()["link"],
        "</v1/ws>; rel=\"successor-version\""
    );
    let ready = match socket.read().unwrap() {
        Message::Text(t) => serde_json::from_str::<serde_json::Value>(t.as_str()).unwrap(),
        other => panic!("{other:?}"),
    };
    assert_eq!(ready["type"], "ready");
}
