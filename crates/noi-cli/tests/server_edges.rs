//! The HTTP and WebSocket edges a careless or hostile client finds (issue 17), against a real
//! `noi serve`: tokens as browsers and `urlencode` send them, the `Host` check against DNS
//! rebinding, JSON bodies for the router's and hyper's own errors, a text frame that is not UTF-8, and a
//! `configure` whose rate is not a number.

mod server;

use std::io::{Read, Write};
use std::net::TcpStream;

use serde_json::{Value, json};
use server::*;
use tungstenite::Message;
use tungstenite::protocol::frame::Frame;
use tungstenite::protocol::frame::coding::{Data, OpCode};

/// A raw HTTP/1.1 GET with the given Host; returns the status and body.
fn get_with_host(server: &Server, path: &str, host: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    let status = answer[9..12].parse().unwrap();
    let body = answer.split_once("\r\n\r\n").unwrap().1.to_owned();
    (status, body)
}

fn code_of(body: &str) -> String {
    let value: Value = serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body:?}"));
    value["code"].as_str().unwrap_or_default().to_owned()
}

#[test]
fn a_token_with_reserved_characters_works_encoded_and_raw() {
    let server = Server::tiny(&["--token", "a+b/c="]);
    for query in [
        "token=a%2Bb%2Fc%3D",
        "token=a+b/c=",
        "sample_rate=16000&token=a%2bb%2fc%3d",
    ] {
        let mut socket = ws_connect(&server.ws_url(&format!("/v1/ws?{query}")), &[])
            .unwrap_or_else(|e| panic!("{query}: {e}"));
        assert_eq!(read_json(&mut socket)["type"], "ready", "{query}");
        let (status, body) = get(&server.url(&format!("/v1/models?{query}")), &[]);
        assert_eq!(status, 200, "{query}: {body}");
    }
    // A repeated parameter is not a sample-rate problem: the first token counts.
    let answer = request(
        "GET",
        &server.url("/v1/models?token=wrong&token=a%2Bb%2Fc%3D"),
        &[],
        None,
    );
    assert_eq!(answer.status, 401);
    assert_eq!(answer.json()["code"], "unauthorized");
    let (status, _) = get(
        &server.url("/v1/models?token=a%2Bb%2Fc%3D&token=wrong"),
        &[],
    );
    assert_eq!(status, 200);
    let refused = ws_connect(&server.ws_url("/v1/ws?token=x&token=y"), &[]);
    let Err(tungstenite::Error::Http(response)) = refused else {
        panic!("repeated wrong tokens were let in");
    };
    assert_eq!(response.status(), 401);
    let body = String::from_utf8(response.body().clone().unwrap_or_default()).unwrap();
    assert_eq!(code_of(&body), "unauthorized");
}

#[test]
fn only_loopback_and_allowed_host_names_are_served() {
    let server = Server::tiny(&["--allow-host", "mybox.lan"]);
    for host in [
        format!("127.0.0.1:{}", server.port),
        format!("localhost:{}", server.port),
        format!("[::1]:{}", server.port),
        "mybox.lan:9876".to_owned(),
    ] {
        let (status, body) = get_with_host(&server, "/v1/models", &host);
        assert_eq!(status, 200, "{host}: {body}");
    }
    // A page at evil.example whose name was re-pointed at 127.0.0.1 (DNS rebinding).
    for path in ["/v1/models", "/openapi.json", "/metrics", "/health"] {
        let (status, body) = get_with_host(&server, path, "evil.example:9876");
        assert_eq!(status, 403, "{path}: {body}");
        assert_eq!(code_of(&body), "host_denied");
    }
}

#[test]
fn router_errors_are_json() {
    let server = Server::tiny(&[]);
    let answer = request("GET", &server.url("/v1/transcribe"), &[], None);
    assert_eq!(answer.status, 405);
    assert_eq!(answer.json()["code"], "method_not_allowed");
    let answer = request("DELETE", &server.url("/v1/models"), &[], None);
    assert_eq!(answer.status, 405);
    assert_eq!(answer.json()["code"], "method_not_allowed");
    let answer = request("GET", &server.url("/v2/nothing"), &[], None);
    assert_eq!(answer.status, 404);
    assert_eq!(answer.json()["code"], "not_found");
}

/// Sends raw bytes as a request and returns the status, the Content-Type and the body.
fn raw_exchange(server: &Server, request: &[u8]) -> (u16, String, String) {
    let mut stream = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    stream.write_all(request).unwrap();
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    let answer = String::from_utf8_lossy(&answer).into_owned();
    let (head, body) = answer
        .split_once("\r\n\r\n")
        .unwrap_or_else(|| panic!("no answer: {answer:?}"));
    let content_type = head
        .lines()
        .find_map(|line| {
            line.to_ascii_lowercase()
                .strip_prefix("content-type: ")
                .map(str::to_owned)
        })
        .unwrap_or_default();
    (head[9..12].parse().unwrap(), content_type, body.to_owned())
}

/// Requests hyper refuses before any route sees them get the same JSON errors as the rest.
#[test]
fn requests_hyper_cannot_parse_get_json_errors() {
    let server = Server::tiny(&[]);
    let mut flood = String::from("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n");
    for i in 0..150 {
        flood.push_str(&format!("X-Flood-{i}: 1\r\n"));
    }
    flood.push_str("\r\n");
    for (request, status, code) in [
        (flood.into_bytes(), 431, "request_headers_too_large"),
        (b"HELLO THERE\r\n\r\n".to_vec(), 400, "bad_request"),
        (
            b"GET /health HTTP/1.1\r\nHost 127.0.0.1\r\n\r\n".to_vec(),
            400,
            "bad_request",
        ),
    ] {
        let (got, content_type, body) = raw_exchange(&server, &request);
        assert_eq!(got, status, "{body}");
        assert_eq!(content_type, "application/json");
        assert_eq!(code_of(&body), code);
    }
    server.assert_healthy();
}

#[test]
fn a_text_frame_that_is_not_utf8_closes_with_1007() {
    let server = Server::tiny(&[]);
    let mut socket = ws_connect(&server.ws_url("/v1/ws"), &[]).unwrap();
    assert_eq!(read_json(&mut socket)["type"], "ready");
    let frame = Frame::message(vec![0xff, 0xfe, b'{'], OpCode::Data(Data::Text), true);
    socket.send(Message::Frame(frame)).unwrap();
    let received = read_until_close(&mut socket);
    assert_eq!(received.close_code, Some(1007), "{:?}", received.messages);
    server.assert_healthy();
}

#[test]
fn configure_with_a_rate_that_is_not_a_number_is_answered() {
    let server = Server::tiny(&[]);
    let mut socket = ws_connect(&server.ws_url("/v1/ws"), &[]).unwrap();
    assert_eq!(read_json(&mut socket)["type"], "ready");
    send_json(
        &mut socket,
        json!({"type": "configure", "sample_rate": "16000"}),
    );
    let error = read_json(&mut socket);
    assert_eq!(error["type"], "error");
    assert_eq!(error["code"], "invalid_sample_rate");
    send_json(
        &mut socket,
        json!({"type": "configure", "sample_rate": 16000.5}),
    );
    assert_eq!(read_json(&mut socket)["code"], "invalid_sample_rate");
    // The rate stays as it was, and the session goes on.
    send_json(&mut socket, json!({"type": "stop"}));
    let received = read_until_close(&mut socket);
    assert_eq!(received.close_code, Some(1000));
}

/// Whether the server has closed `stream` (EOF or reset) within `wait`.
fn closed_within(stream: &mut TcpStream, wait: std::time::Duration) -> bool {
    stream.set_read_timeout(Some(wait)).unwrap();
    let mut buf = [0u8; 512];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return true,
            // hyper may answer 408 before closing: read on to the end.
            Ok(_) => continue,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return false,
            Err(e) if e.kind() == std::io::ErrorKind::TimedOut => return false,
            Err(_) => return true,
        }
    }
}

/// Clients that never finish their headers (slowloris) are cut off after the header deadline
/// (15 s); one over the connection cap (256) is answered 503 at once.
#[test]
fn slow_clients_are_cut_off_and_connections_are_capped() {
    let server = Server::tiny(&[]);
    let open = |partial: &[u8]| {
        let mut stream = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
        stream.write_all(partial).unwrap();
        stream
    };
    let started = std::time::Instant::now();
    let mut slow: Vec<TcpStream> = (0..20)
        .map(|_| open(b"GET /v1/models HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "))
        .collect();
    // Fill the cap with clients that send nothing yet.
    let mut silent: Vec<TcpStream> = (0..236).map(|_| open(b"")).collect();
    std::thread::sleep(std::time::Duration::from_millis(500));
    let mut over = open(b"");
    let mut answer = String::new();
    over.set_read_timeout(Some(std::time::Duration::from_secs(5)))
        .unwrap();
    let _ = over.read_to_string(&mut answer);
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer:?}");
    assert!(answer.contains(r#""code":"busy""#), "{answer}");
    for stream in slow.iter_mut().chain(silent.iter_mut()) {
        let left = std::time::Duration::from_secs(25).saturating_sub(started.elapsed());
        assert!(
            closed_within(stream, left.max(std::time::Duration::from_millis(10))),
            "a connection was still open {:?} after its headers started",
            started.elapsed()
        );
    }
    assert!(started.elapsed() >= std::time::Duration::from_secs(14));
    server.assert_healthy();
}

/// A file cut short is transcribed up to the cut, and the answer says so (`warnings`); a whole
/// file has no `warnings`.
#[test]
fn a_truncated_file_is_transcribed_with_a_warning() {
    let server = Server::tiny(&[]);
    let answer = post(
        &server.url("/v1/transcribe"),
        &[],
        &engine_audio_bytes("truncated.wav"),
    );
    assert_eq!(answer.status, 200, "{}", answer.body);
    let body = answer.json();
    let warnings = body["warnings"].as_array().expect("warnings");
    assert!(
        warnings
            .iter()
            .any(|w| w.as_str().unwrap().contains("cut short")),
        "{body}"
    );
    let whole = post(
        &server.url("/v1/transcribe"),
        &[],
        &engine_audio_bytes("s16_16k_mono.wav"),
    );
    assert_eq!(whole.status, 200);
    assert!(whole.json().get("warnings").is_none(), "{}", whole.body);

    // The SSE route says it too, after its last final.
    for (name, warned) in [("truncated.wav", true), ("s16_16k_mono.wav", false)] {
        let answer = post(
            &server.url("/v1/transcribe/stream"),
            &[],
            &engine_audio_bytes(name),
        );
        assert_eq!(answer.status, 200, "{}", answer.body);
        let events = sse_events(&answer.body);
        let kinds: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
        let warnings: Vec<&Value> = events.iter().filter(|e| e["type"] == "warning").collect();
        assert_eq!(!warnings.is_empty(), warned, "{name}: {kinds:?}");
        if warned {
            assert!(
                warnings
                    .iter()
                    .any(|w| w["message"].as_str().unwrap().contains("cut short")),
                "{warnings:?}"
            );
            let last_final = kinds.iter().rposition(|k| *k == "final").expect("a final");
            let first_warning = kinds.iter().position(|k| *k == "warning").unwrap();
            assert!(last_final < first_warning, "{kinds:?}");
        }
    }
}
