//! Helpers for the API tests: a real `noi serve` process on a free loopback port, real HTTP
//! (ureq) and WebSocket (tungstenite) clients, and the test audio.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;
use tungstenite::client::IntoClientRequest;
use tungstenite::stream::MaybeTlsStream;
use tungstenite::{Message, WebSocket};

pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

pub fn tiny_model() -> PathBuf {
    workspace_root().join("crates/noi-engine/tests/data/tiny-model")
}

pub fn engine_audio(name: &str) -> PathBuf {
    workspace_root()
        .join("crates/noi-engine/tests/data/audio")
        .join(name)
}

/// Skips (None) or, with `NOI_REQUIRE_ALL=1` as in `.ci/run`, fails when an input is missing.
pub fn require(path: PathBuf, what: &str) -> Option<PathBuf> {
    if path.exists() {
        return Some(path);
    }
    if std::env::var("NOI_REQUIRE_ALL").is_ok_and(|v| v == "1") {
        panic!("required test input missing: {what} ({})", path.display());
    }
    eprintln!("SKIPPED: {what} not found at {}", path.display());
    None
}

/// A clip made by `scripts/reference/make_test_audio.sh`.
pub fn test_audio(name: &str) -> Option<PathBuf> {
    require(
        workspace_root().join("testdata/audio").join(name),
        "test audio (run scripts/reference/make_test_audio.sh)",
    )
}

pub fn replica(name: &str) -> Option<PathBuf> {
    require(
        workspace_root().join("../shared/models").join(name),
        "replica model (../shared/models)",
    )
}

pub const S_REPLICA: &str = "replica-zipformer-vi-30M-int8-2026-02-09";
pub const M_REPLICA: &str = "replica-zipformer-vi-int8-2025-04-20";

/// A running `noi serve`; killed when dropped.
pub struct Server {
    pub child: Child,
    pub port: u16,
    /// Everything the server wrote to stderr so far.
    pub log: Arc<Mutex<String>>,
}

impl Server {
    /// Starts `noi serve` with the tiny model (fast to load) and `extra` flags.
    pub fn tiny(extra: &[&str]) -> Server {
        Server::start(&tiny_model(), extra)
    }

    pub fn start(model: &Path, extra: &[&str]) -> Server {
        let mut command = Command::new(env!("CARGO_BIN_EXE_noi"));
        command
            .args(["serve", "--port", "0", "--model-dir"])
            .arg(model)
            .args(if extra.contains(&"--threads") {
                &[][..]
            } else {
                &["--threads", "1"][..]
            })
            .args(extra)
            .env("NOI_LOG", "info");
        Server::launch(command)
    }

    /// Starts `command` (a `noi serve --port 0 …`) and waits for the port it prints.
    pub fn launch(mut command: Command) -> Server {
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start noi serve");
        let log = Arc::new(Mutex::new(String::new()));
        let (port_tx, port_rx) = std::sync::mpsc::channel();
        let stderr = child.stderr.take().expect("piped stderr");
        let sink = Arc::clone(&log);
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(port) = line
                    .strip_prefix("noi: listening on http://127.0.0.1:")
                    .and_then(|p| p.trim().parse::<u16>().ok())
                {
                    let _ = port_tx.send(port);
                }
                let mut log = sink.lock().unwrap();
                log.push_str(&line);
                log.push('\n');
            }
        });
        let port = port_rx
            .recv_timeout(Duration::from_secs(60))
            .unwrap_or_else(|_| panic!("noi serve did not start: {}", log.lock().unwrap()));
        Server { child, port, log }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    pub fn ws_url(&self, path_and_query: &str) -> String {
        format!("ws://127.0.0.1:{}{path_and_query}", self.port)
    }

    pub fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    /// Sends a signal and waits (at most `within`) for the process to exit.
    pub fn signal_and_wait(&mut self, signal: i32, within: Duration) -> std::process::ExitStatus {
        unsafe { libc::kill(self.child.id() as i32, signal) };
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return status;
            }
            assert!(
                started.elapsed() < within,
                "server still running {within:?} after signal {signal}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Peak resident memory (VmHWM) of the server process, in MiB.
    pub fn peak_rss_mib(&self) -> f64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .expect("read /proc status");
        let kib: f64 = status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("VmHWM");
        kib / 1024.0
    }

    pub fn assert_healthy(&self) {
        let (status, body) = get(&self.url("/health"), &[]);
        assert_eq!(status, 200, "server unhealthy: {body}");
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(120)))
        .build()
        .into()
}

/// An HTTP answer: status, headers (lower-case names), body.
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

fn answer(response: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> Answer {
    let mut response = response.expect("HTTP request");
    let headers = response
        .headers()
        .iter()
        .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap_or("").to_owned()))
        .collect();
    let mut body = String::new();
    response
        .body_mut()
        .as_reader()
        .read_to_string(&mut body)
        .expect("read body");
    Answer {
        status: response.status().as_u16(),
        headers,
        body,
    }
}

pub fn request(method: &str, url: &str, headers: &[(&str, &str)], body: Option<&[u8]>) -> Answer {
    let mut builder = ureq::http::Request::builder().method(method).uri(url);
    for (k, v) in headers {
        builder = builder.header(*k, *v);
    }
    let agent = agent();
    match body {
        Some(body) => answer(agent.run(builder.body(body.to_vec()).expect("request"))),
        None => answer(agent.run(builder.body(()).expect("request"))),
    }
}

pub fn get(url: &str, headers: &[(&str, &str)]) -> (u16, String) {
    let a = request("GET", url, headers, None);
    (a.status, a.body)
}

pub fn post(url: &str, headers: &[(&str, &str)], body: &[u8]) -> Answer {
    request("POST", url, headers, Some(body))
}

pub type Socket = WebSocket<MaybeTlsStream<TcpStream>>;

/// Opens a WebSocket with optional extra headers; Err carries the HTTP refusal.
pub fn ws_connect(url: &str, headers: &[(&str, &str)]) -> Result<Socket, tungstenite::Error> {
    let mut request = url.into_client_request().expect("ws url");
    for (k, v) in headers {
        request.headers_mut().insert(
            tungstenite::http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
            v.parse().unwrap(),
        );
    }
    let (socket, _) = tungstenite::connect(request)?;
    if let MaybeTlsStream::Plain(stream) = socket.get_ref() {
        stream
            .set_read_timeout(Some(Duration::from_secs(60)))
            .expect("timeout");
    }
    Ok(socket)
}

/// What a server sent: JSON messages, then how it closed.
#[derive(Debug, Default)]
pub struct Received {
    pub messages: Vec<Value>,
    pub close_code: Option<u16>,
}

impl Received {
    pub fn of_type(&self, kind: &str) -> Vec<&Value> {
        self.messages.iter().filter(|m| m["type"] == kind).collect()
    }
}

/// Reads until the server closes (or the socket ends).
pub fn read_until_close(socket: &mut Socket) -> Received {
    let mut received = Received::default();
    loop {
        match socket.read() {
            Ok(Message::Text(text)) => received
                .messages
                .push(serde_json::from_str(text.as_str()).expect("JSON message")),
            Ok(Message::Close(frame)) => {
                received.close_code = frame.map(|f| u16::from(f.code));
                // Complete the closing handshake.
                let _ = socket.flush();
                while socket.read().is_ok() {}
                return received;
            }
            Ok(_) => {}
            Err(_) => return received,
        }
    }
}

/// Next JSON text message.
pub fn read_json(socket: &mut Socket) -> Value {
    loop {
        match socket.read().expect("read a message") {
            Message::Text(text) => return serde_json::from_str(text.as_str()).expect("JSON"),
            Message::Close(frame) => panic!("closed early: {frame:?}"),
            _ => {}
        }
    }
}

pub fn send_json(socket: &mut Socket, value: Value) {
    socket
        .send(Message::Text(value.to_string().into()))
        .expect("send text");
}

pub fn send_pcm(socket: &mut Socket, bytes: &[u8]) {
    socket
        .send(Message::Binary(bytes.to_vec().into()))
        .expect("send audio");
}

/// 16-bit PCM little-endian of samples in [-1, 1].
pub fn pcm16(samples: &[f32]) -> Vec<u8> {
    samples
        .iter()
        .flat_map(|s| ((s.clamp(-1.0, 1.0) * 32767.0).round() as i16).to_le_bytes())
        .collect()
}

/// The raw bytes of a RIFF chunk.
fn find_chunk<'a>(wav: &'a [u8], id: &[u8; 4]) -> Option<&'a [u8]> {
    let mut at = 12;
    while at + 8 <= wav.len() {
        let size = u32::from_le_bytes(wav[at + 4..at + 8].try_into().ok()?) as usize;
        if &wav[at..at + 4] == id {
            return wav.get(at + 8..(at + 8 + size).min(wav.len()));
        }
        at += 8 + size + (size & 1);
    }
    None
}

/// The raw PCM16 bytes of a 16-bit mono WAV.
pub fn wav_pcm_bytes(path: &Path) -> Vec<u8> {
    let bytes = std::fs::read(path).expect("read wav");
    find_chunk(&bytes, b"data").expect("data chunk").to_vec()
}

/// A 16-bit mono 16 kHz WAV around raw PCM bytes.
pub fn wav_bytes_16k(pcm: &[u8]) -> Vec<u8> {
    let mut wav = Vec::new();
    let len = pcm.len() as u32;
    wav.extend_from_slice(b"RIFF");
    wav.extend_from_slice(&(36 + len).to_le_bytes());
    wav.extend_from_slice(b"WAVEfmt ");
    wav.extend_from_slice(&16u32.to_le_bytes());
    wav.extend_from_slice(&1u16.to_le_bytes());
    wav.extend_from_slice(&1u16.to_le_bytes());
    wav.extend_from_slice(&16000u32.to_le_bytes());
    wav.extend_from_slice(&32000u32.to_le_bytes());
    wav.extend_from_slice(&2u16.to_le_bytes());
    wav.extend_from_slice(&16u16.to_le_bytes());
    wav.extend_from_slice(b"data");
    wav.extend_from_slice(&len.to_le_bytes());
    wav.extend_from_slice(pcm);
    wav
}

/// The bytes of a clip in the engine's test data (crates/noi-engine/tests/data/audio).
pub fn engine_audio_bytes(name: &str) -> Vec<u8> {
    std::fs::read(engine_audio(name)).expect("engine test audio")
}

/// The JSON events of an SSE body (its `data:` lines), in order.
pub fn sse_events(body: &str) -> Vec<Value> {
    body.lines()
        .filter_map(|l| l.strip_prefix("data:"))
        .map(|d| serde_json::from_str(d.trim()).expect("JSON event"))
        .collect()
}

/// Runs a Python script of the project's venv with arguments; returns stdout.
pub fn venv_python(script: &Path, args: &[&str]) -> Option<String> {
    let python = require(
        workspace_root().join(".venv/bin/python"),
        "the .venv (scripts/setup.sh)",
    )?;
    let output = Command::new(python)
        .arg(script)
        .args(args)
        .output()
        .expect("run python");
    assert!(
        output.status.success(),
        "{} failed:\nstdout: {}\nstderr: {}",
        script.display(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    Some(String::from_utf8(output.stdout).expect("utf-8"))
}
