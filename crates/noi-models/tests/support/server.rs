//! A small HTTP/1.1 file server on 127.0.0.1 for download tests, on std only: it honours
//! `Range`, and can be told to answer with an error status, to cut the connection after some
//! bytes, to stall, to go slowly, or to ignore `Range`. Every request is counted.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How the server misbehaves; changeable while it runs.
#[derive(Debug, Clone, Default)]
pub struct Behaviour {
    /// Answer every request with this status and no body.
    pub status: Option<u16>,
    /// Answer with `status` only for the first this-many requests, then normally.
    pub status_times: Option<usize>,
    /// Close the connection once this absolute byte offset of the file has been sent.
    pub cut_at: Option<u64>,
    /// Cut only on the first this-many requests.
    pub cut_times: Option<usize>,
    /// Send headers, then nothing, holding the connection open.
    pub stall: bool,
    /// Send the whole file with 200 whatever Range says.
    pub ignore_range: bool,
    /// Pause between chunks.
    pub chunk_delay: Option<Duration>,
    /// Bytes per chunk (default 16 KiB).
    pub chunk_size: Option<u64>,
}

#[derive(Default)]
struct State {
    files: HashMap<String, Vec<u8>>,
    behaviour: Behaviour,
    /// (path, Range header) of every request, in order.
    requests: Vec<(String, Option<String>)>,
}

pub struct Server {
    pub base: String,
    state: Arc<Mutex<State>>,
    stop: Arc<AtomicBool>,
}

impl Server {
    pub fn start() -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a local port");
        let base = format!("http://{}", listener.local_addr().unwrap());
        let state = Arc::new(Mutex::new(State::default()));
        let stop = Arc::new(AtomicBool::new(false));
        let (s, st) = (state.clone(), stop.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                if st.load(Ordering::Relaxed) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let (s, st) = (s.clone(), st.clone());
                std::thread::spawn(move || serve(stream, &s, &st));
            }
        });
        Server { base, state, stop }
    }

    /// Serves `body` at `path` (starting with '/').
    pub fn add(&self, path: &str, body: Vec<u8>) {
        self.state
            .lock()
            .unwrap()
            .files
            .insert(path.to_string(), body);
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn set(&self, behaviour: Behaviour) {
        self.state.lock().unwrap().behaviour = behaviour;
    }

    pub fn requests(&self) -> Vec<(String, Option<String>)> {
        self.state.lock().unwrap().requests.clone()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect(self.base.trim_start_matches("http://"));
    }
}

struct Request {
    path: String,
    range: Option<String>,
}

fn read_request(stream: &TcpStream) -> Option<Request> {
    let mut reader = BufReader::new(stream.try_clone().ok()?);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let path = line.split_whitespace().nth(1)?.to_string();
    let mut range = None;
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header).ok()? == 0 || header.trim().is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':')
            && name.eq_ignore_ascii_case("range")
        {
            range = Some(value.trim().to_string());
        }
    }
    Some(Request { path, range })
}

/// `bytes=N-` → N (the only form the client sends).
fn range_from(range: &str) -> Option<u64> {
    range
        .strip_prefix("bytes=")?
        .strip_suffix('-')?
        .parse()
        .ok()
}

fn serve(mut stream: TcpStream, state: &Mutex<State>, stop: &AtomicBool) {
    let Some(request) = read_request(&stream) else {
        return;
    };
    let (body, behaviour, nth) = {
        let mut state = state.lock().unwrap();
        state
            .requests
            .push((request.path.clone(), request.range.clone()));
        let nth = state.requests.len();
        (
            state.files.get(&request.path).cloned(),
            state.behaviour.clone(),
            nth,
        )
    };
    if let Some(status) = behaviour
        .status
        .filter(|_| behaviour.status_times.is_none_or(|n| nth <= n))
    {
        let _ = write!(
            stream,
            "HTTP/1.1 {status} Oops\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        );
        return;
    }
    let Some(body) = body else {
        let _ = write!(
            stream,
            "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        );
        return;
    };
    let total = body.len() as u64;
    let from = match request.range.as_deref().and_then(range_from) {
        Some(from) if !behaviour.ignore_range => from,
        _ => 0,
    };
    if from >= total && from > 0 {
        let _ = write!(
            stream,
            "HTTP/1.1 416 Range Not Satisfiable\r\nContent-Range: bytes */{total}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        );
        return;
    }
    let head = if from > 0 {
        format!(
            "HTTP/1.1 206 Partial Content\r\nContent-Range: bytes {from}-{}/{total}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            total - 1,
            total - from
        )
    } else {
        format!(
            "HTTP/1.1 200 OK\r\nContent-Length: {total}\r\nAccept-Ranges: bytes\r\nConnection: close\r\n\r\n"
        )
    };
    if stream.write_all(head.as_bytes()).is_err() {
        return;
    }
    if behaviour.stall {
        // Hold the connection open without sending, until the test ends.
        while !stop.load(Ordering::Relaxed) {
            std::thread::sleep(Duration::from_millis(20));
        }
        return;
    }
    let cut = behaviour
        .cut_at
        .filter(|_| behaviour.cut_times.is_none_or(|n| nth <= n));
    let end = cut.map_or(total, |c| c.clamp(from, total));
    let mut at = from;
    while at < end {
        let next = (at + behaviour.chunk_size.unwrap_or(16 * 1024)).min(end);
        if stream.write_all(&body[at as usize..next as usize]).is_err() {
            return;
        }
        at = next;
        if let Some(delay) = behaviour.chunk_delay {
            stream.flush().ok();
            std::thread::sleep(delay);
        }
    }
    stream.flush().ok();
    // Falling off the end drops the stream: a cut looks like a closed connection.
}
