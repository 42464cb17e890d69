//! SIGTERM and SIGINT: the server stops accepting, every open stream gets its final and a
//! Close 1001, then the process exits cleanly within the drain window.

mod server;

use std::sync::mpsc;
use std::time::{Duration, Instant};

use server::*;

/// Opens a stream, sends some speech, and reports what it received until the close.
fn open_stream(
    server: &Server,
    pcm: Vec<u8>,
    streaming: mpsc::Sender<()>,
) -> std::thread::JoinHandle<Received> {
    let url = server.ws_url("/v1/ws?sample_rate=16000");
    std::thread::spawn(move || {
        let mut socket = ws_connect(&url, &[]).unwrap();
        assert_eq!(read_json(&mut socket)["type"], "ready");
        for frame in pcm.chunks(3200) {
            send_pcm(&mut socket, frame);
        }
        streaming.send(()).unwrap();
        read_until_close(&mut socket)
    })
}

fn shutdown_with(signal: i32) {
    let Some(clip) = test_audio("vi_03.wav") else {
        return;
    };
    let mut server = Server::tiny(&["--shutdown-drain-secs", "5"]);
    let pcm = wav_pcm_bytes(&clip);
    let (tx, rx) = mpsc::channel();
    let clients: Vec<_> = (0..3)
        .map(|_| open_stream(&server, pcm.clone(), tx.clone()))
        .collect();
    for _ in 0..3 {
        rx.recv_timeout(Duration::from_secs(30)).unwrap();
    }
    // An SSE request in flight as well.
    let sse_url = server.url("/v1/transcribe/stream");
    let long = test_audio("long_2min.wav").map(|p| std::fs::read(p).unwrap());
    let sse = long.map(|body| std::thread::spawn(move || post(&sse_url, &[], &body)));
    std::thread::sleep(Duration::from_millis(300));

    let started = Instant::now();
    let status = server.signal_and_wait(signal, Duration::from_secs(8));
    assert!(status.success(), "exit status {status:?}\n{}", server.log());
    assert!(started.elapsed() < Duration::from_secs(7));
    for client in clients {
        let received = client.join().unwrap();
        let last = received.messages.last().expect("a message");
        assert_eq!(last["type"], "final", "{:?}", received.messages);
        assert!(
            !last["text"].as_str().unwrap().is_empty(),
            "the open utterance was decoded"
        );
        assert_eq!(received.close_code, Some(1001));
    }
    if let Some(sse) = sse {
        let answer = sse.join().unwrap();
        assert_eq!(answer.status, 200);
        let events = sse_events(&answer.body);
        let last = events.last().expect("SSE events");
        assert_eq!(last["type"], "final", "SSE ends with its final: {last}");
    }
    assert!(server.log().contains("noi: stopped"));
}

#[test]
fn sigterm_drains_open_streams() {
    shutdown_with(libc::SIGTERM);
}

#[test]
fn sigint_drains_open_streams() {
    shutdown_with(libc::SIGINT);
}
