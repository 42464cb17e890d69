//! The API under careless and hostile clients (issue 17), against a real `noi serve`: work
//! stops when its client leaves, a WebSocket client sending faster than real time is slowed
//! down (not queued without bound), and shutdown answers requests it cannot finish.
//!
//! CPU is the server process's own (user + system time from /proc), so other load on the
//! machine does not change it; the checks leave wide margins between "stopped" (well under
//! half a core-second in the window) and "still decoding" (about a core-second per second).

mod server;

use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::json;
use server::*;
use tungstenite::Message;
use tungstenite::stream::MaybeTlsStream;

/// CPU seconds (user + system) the process has used so far.
fn cpu_secs(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("read /proc stat");
    // Fields after the command name, which is in parentheses and may hold spaces.
    let after = &stat[stat.rfind(')').expect("comm") + 2..];
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks: f64 = fields[11].parse::<f64>().unwrap() + fields[12].parse::<f64>().unwrap();
    ticks / unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64
}

/// CPU the server uses during `window`, starting after `settle`.
fn cpu_after(server: &Server, settle: Duration, window: Duration) -> f64 {
    std::thread::sleep(settle);
    let before = cpu_secs(server.child.id());
    std::thread::sleep(window);
    cpu_secs(server.child.id()) - before
}

/// Sends a whole POST request on a raw connection and returns it unread.
fn send_post(server: &Server, path: &str, body: &[u8]) -> TcpStream {
    let mut stream = TcpStream::connect(("127.0.0.1", server.port)).expect("connect");
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: audio/wav\r\n\
         Content-Length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(body).unwrap();
    stream
}

/// Speech at 16 kHz, PCM16: the test clips one after another until `secs` is reached.
fn speech_pcm(secs: usize) -> Option<Vec<u8>> {
    let mut clips = Vec::new();
    for i in 1..=9 {
        clips.push(wav_pcm_bytes(&test_audio(&format!("vi_0{i}.wav"))?));
    }
    let want = secs * 32_000;
    let mut pcm = Vec::with_capacity(want);
    for clip in clips.iter().cycle() {
        if pcm.len() >= want {
            break;
        }
        pcm.extend_from_slice(clip);
    }
    pcm.truncate(want);
    Some(pcm)
}

fn abandoned_posts_stop_decoding(path: &str) {
    let (Some(model), Some(long)) = (replica(S_REPLICA), test_audio("long_8min.wav")) else {
        return;
    };
    let server = Server::start(&model, &["--pool-size", "1"]);
    let body = std::fs::read(long).unwrap();
    // Three clients in a row each post 8 minutes and leave after 1.5 s.
    for _ in 0..3 {
        let stream = send_post(&server, path, &body);
        std::thread::sleep(Duration::from_millis(1500));
        stream.shutdown(Shutdown::Both).unwrap();
    }
    let used = cpu_after(&server, Duration::from_secs(3), Duration::from_secs(3));
    assert!(
        used < 0.5,
        "{path}: the server used {used:.2} CPU-s in 3 s after its clients left\n{}",
        server.log()
    );
    // And it still serves.
    let clip = std::fs::read(test_audio("vi_03.wav").unwrap()).unwrap();
    let answer = post(&server.url("/v1/transcribe"), &[], &clip);
    assert_eq!(answer.status, 200, "{}", answer.body);
}

#[test]
fn an_abandoned_transcription_stops_decoding() {
    abandoned_posts_stop_decoding("/v1/transcribe");
}

#[test]
fn an_abandoned_sse_transcription_stops_decoding() {
    abandoned_posts_stop_decoding("/v1/transcribe/stream");
}

/// While a decode runs for a client that left, its slot stays taken: with one slot, the next
/// request waits until the decode has stopped (not just until the client left), and then runs.
#[test]
fn the_slot_is_held_until_the_decode_has_stopped() {
    let (Some(model), Some(long)) = (replica(S_REPLICA), test_audio("long_8min.wav")) else {
        return;
    };
    let server = Server::start(&model, &["--pool-size", "1"]);
    let body = std::fs::read(long).unwrap();
    let stream = send_post(&server, "/v1/transcribe", &body);
    std::thread::sleep(Duration::from_millis(1500));
    stream.shutdown(Shutdown::Both).unwrap();
    let clip = std::fs::read(test_audio("vi_03.wav").unwrap()).unwrap();
    let answer = post(&server.url("/v1/transcribe"), &[], &clip);
    assert_eq!(answer.status, 200, "{}", answer.body);
    let used = cpu_after(&server, Duration::from_millis(500), Duration::from_secs(2));
    assert!(
        used < 0.4,
        "still decoding for nobody: {used:.2} CPU-s in 2 s"
    );
}

/// A client pushing 20 minutes of speech as fast as it can is slowed down to the engine's
/// pace; the server stops decoding soon after it resets the connection, and serves another
/// client meanwhile.
#[test]
fn a_websocket_client_faster_than_real_time_gets_backpressure() {
    let (Some(model), Some(pcm)) = (replica(S_REPLICA), speech_pcm(20 * 60)) else {
        return;
    };
    let server = Server::start(&model, &[]);
    let mut socket = ws_connect(&server.ws_url("/v1/ws?sample_rate=16000"), &[]).unwrap();
    assert_eq!(read_json(&mut socket)["type"], "ready");
    let MaybeTlsStream::Plain(tcp) = socket.get_ref() else {
        unreachable!("plain ws://")
    };
    let tcp = tcp.try_clone().unwrap();
    let sent = Arc::new(AtomicUsize::new(0));
    let finished = Arc::new(AtomicBool::new(false));
    let total = pcm.len();
    let writer = {
        let (sent, finished) = (Arc::clone(&sent), Arc::clone(&finished));
        std::thread::spawn(move || {
            for frame in pcm.chunks(32_000) {
                if socket.send(Message::Binary(frame.to_vec().into())).is_err() {
                    return;
                }
                sent.fetch_add(frame.len(), Ordering::SeqCst);
            }
            finished.store(true, Ordering::SeqCst);
        })
    };
    std::thread::sleep(Duration::from_secs(5));
    let accepted_secs = sent.load(Ordering::SeqCst) as f64 / 32_000.0;
    assert!(
        !finished.load(Ordering::SeqCst),
        "all {} s were accepted within 5 s",
        total / 32_000
    );

    // Another client is served meanwhile.
    let mut other = ws_connect(&server.ws_url("/v1/ws?sample_rate=16000"), &[]).unwrap();
    assert_eq!(read_json(&mut other)["type"], "ready");
    let clip = wav_pcm_bytes(&test_audio("vi_03.wav").unwrap());
    for frame in clip.chunks(3200) {
        send_pcm(&mut other, frame);
    }
    send_json(&mut other, json!({"type": "stop"}));
    let received = read_until_close(&mut other);
    let last = received.messages.last().expect("a final");
    assert_eq!(last["type"], "final", "{:?}", received.messages);
    assert_eq!(received.close_code, Some(1000));

    // The fast client resets its connection: the work stops.
    tcp.shutdown(Shutdown::Both).unwrap();
    drop(tcp);
    writer.join().unwrap();
    let used = cpu_after(&server, Duration::from_secs(3), Duration::from_secs(3));
    assert!(
        used < 0.5,
        "the server used {used:.2} CPU-s in 3 s after the client left (it had sent \
         {accepted_secs:.0} s in the first 5 s)\n{}",
        server.log()
    );
    server.assert_healthy();
}

/// After `stop`, the audio the engine is still behind on can take a while to decode (longer on
/// a busy machine): the client's pings are answered meanwhile, so its keepalive does not give
/// up on a stream that is about to send its final.
#[test]
fn pings_are_answered_while_the_last_audio_decodes() {
    let (Some(model), Some(pcm)) = (replica(S_REPLICA), speech_pcm(30)) else {
        return;
    };
    let server = Server::start(&model, &[]);
    let mut socket = ws_connect(&server.ws_url("/v1/ws?sample_rate=16000"), &[]).unwrap();
    assert_eq!(read_json(&mut socket)["type"], "ready");
    // As fast as the server reads: it reads only while less than 3 s behind, so the stream
    // is still seconds behind when `stop` arrives.
    for frame in pcm.chunks(32_000) {
        send_pcm(&mut socket, frame);
    }
    send_json(&mut socket, json!({"type": "stop"}));
    socket
        .send(Message::Ping(b"still there?".to_vec().into()))
        .unwrap();
    let mut order = Vec::new();
    loop {
        match socket.read() {
            Ok(Message::Pong(_)) => order.push("pong".to_string()),
            Ok(Message::Text(text)) => {
                let message: serde_json::Value = serde_json::from_str(text.as_str()).unwrap();
                order.push(message["type"].as_str().unwrap_or_default().to_string());
            }
            Ok(Message::Close(_)) | Err(_) => break,
            Ok(_) => {}
        }
    }
    let pong = order.iter().position(|kind| kind == "pong");
    let last = order.iter().rposition(|kind| kind == "final");
    assert!(
        matches!((pong, last), (Some(pong), Some(last)) if pong < last),
        "the pong must come before the last final: {order:?}"
    );
}

/// A session's audio is capped like a REST request's: past `--max-audio-secs` it gets an
/// error and a final for what it sent, then Close 1008.
#[test]
fn a_websocket_session_is_capped_at_the_audio_limit() {
    let Some(pcm) = speech_pcm(8) else {
        return;
    };
    let server = Server::tiny(&["--max-audio-secs", "5"]);
    let mut socket = ws_connect(&server.ws_url("/v1/ws?sample_rate=16000"), &[]).unwrap();
    assert_eq!(read_json(&mut socket)["type"], "ready");
    for frame in pcm.chunks(3200) {
        if socket.send(Message::Binary(frame.to_vec().into())).is_err() {
            break;
        }
    }
    let received = read_until_close(&mut socket);
    let errors = received.of_type("error");
    assert_eq!(errors.len(), 1, "{:?}", received.messages);
    assert_eq!(errors[0]["code"], "payload_too_large");
    assert!(errors[0]["message"].as_str().unwrap().contains("5 s"));
    assert_eq!(received.messages.last().unwrap()["type"], "final");
    assert_eq!(received.close_code, Some(1008));
}

/// SIGTERM while a long transcription runs: when the drain window ends, the client gets a 503
/// `shutting_down` with Retry-After, not a closed connection.
#[test]
fn shutdown_answers_requests_it_cannot_finish() {
    let (Some(model), Some(long)) = (replica(S_REPLICA), test_audio("long_8min.wav")) else {
        return;
    };
    let mut server = Server::start(&model, &["--shutdown-drain-secs", "2"]);
    let mut stream = send_post(&server, "/v1/transcribe", &std::fs::read(long).unwrap());
    std::thread::sleep(Duration::from_millis(1500));
    let signalled = Instant::now();
    let status = server.signal_and_wait(libc::SIGTERM, Duration::from_secs(6));
    assert!(status.success(), "{status:?}\n{}", server.log());
    assert!(signalled.elapsed() < Duration::from_secs(4));
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    assert!(
        answer.starts_with("HTTP/1.1 503"),
        "no 503 answer: {answer:?}\n{}",
        server.log()
    );
    let lower = answer.to_ascii_lowercase();
    assert!(lower.contains("\r\nretry-after: 1\r\n"), "{answer}");
    assert!(answer.contains(r#""code":"shutting_down""#), "{answer}");
}
