//! Load on loopback (issue 3): 16 WebSocket clients stream real-time speech at once to one
//! `noi serve` with the 30M replica on this 2-core machine. All get `ready` at once, none is
//! refused, each gets its final within 1.5 s of `stop`, and the server stays within 400 MB.
//! Bounded: about 12 s of audio per client, paced in real time.

mod server;

use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use serde_json::json;
use server::*;

const CLIENTS: usize = 16;
const FRAME_MS: usize = 100;

struct ClientReport {
    ready_after: Duration,
    final_after_stop: Duration,
    finals: usize,
    errors: Vec<serde_json::Value>,
    close_code: Option<u16>,
    audio_secs: f64,
}

/// Client `i` speaks three different clips with pauses between them.
fn utterance(i: usize, clips: &[Vec<u8>]) -> Vec<u8> {
    let pause = vec![0u8; 2 * 16000 * (300 + 100 * (i % 5)) / 1000];
    let mut pcm = Vec::new();
    for k in 0..3 {
        pcm.extend_from_slice(&clips[(i + 5 * k) % clips.len()]);
        if k < 2 {
            pcm.extend_from_slice(&pause);
        }
    }
    pcm
}

fn run_client(url: String, pcm: Vec<u8>, start: Arc<Barrier>) -> ClientReport {
    start.wait();
    let connecting = Instant::now();
    let mut socket = ws_connect(&url, &[]).expect("connected, not refused");
    let ready = read_json(&mut socket);
    let ready_after = connecting.elapsed();
    assert_eq!(ready["type"], "ready");
    let frame_bytes = 2 * 16 * FRAME_MS;
    let began = Instant::now();
    for (n, frame) in pcm.chunks(frame_bytes).enumerate() {
        // Real-time pace: frame n leaves when its audio would have been spoken.
        let due = began + Duration::from_millis((n * FRAME_MS) as u64);
        std::thread::sleep(due.saturating_duration_since(Instant::now()));
        send_pcm(&mut socket, frame);
    }
    std::thread::sleep(
        (began + Duration::from_millis((pcm.len() / 32) as u64))
            .saturating_duration_since(Instant::now()),
    );
    let stopped = Instant::now();
    send_json(&mut socket, json!({"type": "stop"}));
    let received = read_until_close(&mut socket);
    let final_after_stop = stopped.elapsed();
    ClientReport {
        ready_after,
        final_after_stop,
        finals: received.of_type("final").len(),
        errors: received.of_type("error").into_iter().cloned().collect(),
        close_code: received.close_code,
        audio_secs: pcm.len() as f64 / 32000.0,
    }
}

#[test]
fn sixteen_real_time_streams_on_two_cores() {
    let Some(model) = replica(S_REPLICA) else {
        return;
    };
    let clips: Option<Vec<Vec<u8>>> = (1..=14)
        .map(|i| test_audio(&format!("vi_{i:02}.wav")).map(|p| wav_pcm_bytes(&p)))
        .collect();
    let Some(clips) = clips else { return };
    let server = Server::start(&model, &["--threads", "2"]);
    let url = server.ws_url("/v1/ws?sample_rate=16000");
    let start = Arc::new(Barrier::new(CLIENTS));
    let clients: Vec<_> = (0..CLIENTS)
        .map(|i| {
            let (url, pcm, start) = (url.clone(), utterance(i, &clips), Arc::clone(&start));
            std::thread::spawn(move || run_client(url, pcm, start))
        })
        .collect();
    let reports: Vec<ClientReport> = clients.into_iter().map(|c| c.join().unwrap()).collect();
    let peak = server.peak_rss_mib();

    let mut finals: Vec<f64> = reports
        .iter()
        .map(|r| r.final_after_stop.as_secs_f64())
        .collect();
    finals.sort_by(f64::total_cmp);
    let slowest_ready = reports.iter().map(|r| r.ready_after).max().unwrap();
    eprintln!(
        "{CLIENTS} clients, {:.1}-{:.1} s of audio each: ready within {:?}; final after stop: \
         median {:.3} s, max {:.3} s; server peak RSS {peak:.0} MiB",
        reports
            .iter()
            .map(|r| r.audio_secs)
            .fold(f64::MAX, f64::min),
        reports.iter().map(|r| r.audio_secs).fold(0.0, f64::max),
        slowest_ready,
        finals[CLIENTS / 2],
        finals[CLIENTS - 1],
    );
    for (i, r) in reports.iter().enumerate() {
        assert!(r.errors.is_empty(), "client {i}: {:?}", r.errors);
        assert_eq!(r.close_code, Some(1000), "client {i}");
        assert!(r.finals >= 1, "client {i}");
        assert!(
            r.ready_after < Duration::from_secs(1),
            "client {i} waited {:?} for ready",
            r.ready_after
        );
        assert!(
            r.final_after_stop <= Duration::from_millis(1500),
            "client {i}: final {:?} after stop",
            r.final_after_stop
        );
    }
    assert!(peak <= 400.0, "server peak RSS {peak:.0} MiB");
}
