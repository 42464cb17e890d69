//! `noi` with inputs and outputs that are not plain files (issue 17): standard input (`-`),
//! named pipes and `/dev/stdin` are read as streams; a reader that stops early or a closed
//! stderr gives a proper exit status instead of a panic.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn engine_data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../noi-engine/tests/data")
}

/// Speech in the engine's committed test data (22.05 kHz WAV).
fn speech() -> PathBuf {
    engine_data().join("audio/speech_vi_22k05.wav")
}

fn noi_transcribe(input: &str) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_noi"));
    let model = engine_data().join("tiny-model");
    command
        .args(["transcribe", input, "--threads", "1", "--model-dir"])
        .arg(model);
    command
}

fn text(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn errors(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn from_file() -> String {
    let output = noi_transcribe(speech().to_str().unwrap()).output().unwrap();
    assert!(output.status.success(), "{}", errors(&output));
    let text = text(&output);
    assert!(!text.trim().is_empty());
    text
}

/// Runs `command` with `bytes` on its standard input (written from another thread).
fn with_stdin(mut command: Command, bytes: Vec<u8>) -> Output {
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&bytes);
    });
    let output = child.wait_with_output().unwrap();
    writer.join().unwrap();
    output
}

#[test]
fn standard_input_and_dev_stdin_read_as_a_stream() {
    let expected = from_file();
    let bytes = std::fs::read(speech()).unwrap();
    for input in ["-", "/dev/stdin"] {
        let output = with_stdin(noi_transcribe(input), bytes.clone());
        assert!(output.status.success(), "{input}: {}", errors(&output));
        assert_eq!(text(&output), expected, "{input}");
    }
}

#[test]
fn a_named_pipe_reads_as_a_stream() {
    let expected = from_file();
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("audio.wav");
    let path = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    assert_eq!(unsafe { libc::mkfifo(path.as_ptr(), 0o600) }, 0);
    let bytes = std::fs::read(speech()).unwrap();
    let writer = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::write(fifo, bytes))
    };
    let output = noi_transcribe(fifo.to_str().unwrap()).output().unwrap();
    writer.join().unwrap().unwrap();
    assert!(output.status.success(), "{}", errors(&output));
    assert_eq!(text(&output), expected);
}

#[test]
fn an_empty_stream_is_reported_as_empty() {
    let output = with_stdin(noi_transcribe("-"), Vec::new());
    assert_eq!(output.status.code(), Some(1));
    assert!(
        errors(&output).contains("standard input is empty"),
        "{}",
        errors(&output)
    );
}

#[test]
fn a_reader_that_stops_early_ends_noi_like_sigpipe() {
    let mut child = noi_transcribe(speech().to_str().unwrap())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The reader goes away before the transcript is written.
    drop(child.stdout.take());
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(141), "{}", errors(&output));
    assert!(!errors(&output).contains("panicked"), "{}", errors(&output));
}

#[test]
fn a_closed_stderr_does_not_panic() {
    let mut child = noi_transcribe("/nonexistent/audio.wav")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stderr.take());
    let status = child.wait().unwrap();
    // The failure is still told by the status (not 101, a panic).
    assert_eq!(status.code(), Some(1));
}
