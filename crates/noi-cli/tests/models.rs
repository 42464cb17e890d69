//! `noi models …` and `noi transcribe --model` as a user runs them: the real binary, a real
//! local HTTP server as the mirror, archives built from the tiny model, a data dir in a tempdir.

#[path = "../../noi-models/tests/support/mod.rs"]
mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use support::server::{Behaviour, Server};
use support::{Archive, Entry, catalog_toml, sherpa_archive, tiny_model};

const ARCHIVE: &str = "sherpa-onnx-tiny-2026-01-01.tar.bz2";

/// A data dir, a mirror serving the tiny model's archive, and a catalog file pinning it twice:
/// as `tiny` (the default) and as `tiny-nc` with a non-commercial licence.
struct Setup {
    data: tempfile::TempDir,
    catalog: PathBuf,
    server: Server,
    archive: Archive,
}

impl Setup {
    fn new() -> Setup {
        let data = tempfile::tempdir().unwrap();
        let archive = sherpa_archive(&tiny_model(), "sherpa-onnx-tiny-2026-01-01");
        let server = Server::start();
        server.add(&format!("/asr-models/{ARCHIVE}"), archive.bytes.clone());
        let mut nc = Entry::new("tiny-nc", ARCHIVE, &archive);
        nc.license = "CC-BY-NC-ND-4.0";
        nc.license_note = Some("non-commercial use only");
        let text = catalog_toml(&[Entry::new("tiny", ARCHIVE, &archive), nc]);
        let catalog = data.path().join("catalog.toml");
        std::fs::write(&catalog, text).unwrap();
        Setup {
            data,
            catalog,
            server,
            archive,
        }
    }

    fn data_dir(&self) -> PathBuf {
        self.data.path().join("noi")
    }

    /// `noi` with this setup's environment and short network timeouts.
    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_noi"));
        command
            .args(args)
            .env(noi_models::DATA_DIR_ENV, self.data_dir())
            .env("NOI_CATALOG", &self.catalog)
            .env("NOI_MODEL_MIRROR", &self.server.base)
            .env("NOI_STALL_TIMEOUT_MS", "500")
            .env("NOI_BACKOFF_MS", "10")
            .env("NOI_DOWNLOAD_RETRIES", "2");
        command
    }

    fn noi(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("run noi")
    }

    fn partial(&self, id: &str) -> PathBuf {
        self.data_dir()
            .join(format!("models/.partial/{id}.tar.bz2"))
    }

    fn archive_requests(&self) -> Vec<Option<String>> {
        let path = format!("/asr-models/{ARCHIVE}");
        let requests = self.server.requests().into_iter();
        requests
            .filter(|(p, _)| *p == path)
            .map(|(_, r)| r)
            .collect()
    }
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).unwrap()
}

fn assert_ok(output: &Output) {
    assert!(output.status.success(), "noi failed: {}", stderr(output));
}

fn speech() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../noi-engine/tests/data/audio/speech_vi_22k05.wav")
}

fn list_json(setup: &Setup) -> Vec<Value> {
    let out = setup.noi(&["models", "list", "--json"]);
    assert_ok(&out);
    serde_json::from_str::<Value>(&stdout(&out))
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

#[test]
fn list_shows_the_catalog_with_licences() {
    let setup = Setup::new();
    let models = list_json(&setup);
    assert_eq!(models.len(), 2);
    let tiny = &models[0];
    assert_eq!(tiny["id"], "tiny");
    assert_eq!(tiny["default"], true);
    assert_eq!(tiny["installed"], false);
    assert_eq!(tiny["path"], Value::Null);
    assert_eq!(tiny["license"], "Apache-2.0");
    let size: u64 = setup.archive.files.iter().map(|f| f.size).sum();
    assert_eq!(tiny["size"], size);
    assert_eq!(tiny["download_size"], setup.archive.bytes.len());
    for key in ["name", "description", "in_catalog", "license_note"] {
        assert!(tiny.get(key).is_some(), "no {key}");
    }
    assert_eq!(models[1]["license_note"], "non-commercial use only");
    let text = setup.noi(&["models", "list"]);
    assert_ok(&text);
    assert!(
        stdout(&text).contains("CC-BY-NC-ND-4.0 (non-commercial use only)"),
        "{}",
        stdout(&text)
    );
    assert!(stdout(&text).contains("noi models download tiny"));
}

#[test]
fn download_verify_transcribe_remove() {
    let setup = Setup::new();
    let out = setup.noi(&["models", "download", "tiny"]);
    assert_ok(&out);
    let dir = setup.data_dir().join("models/tiny");
    assert!(
        stdout(&out).contains(&format!("installed tiny in {}", dir.display())),
        "{}",
        stdout(&out)
    );
    assert!(!setup.partial("tiny").exists());

    let listed = list_json(&setup);
    assert_eq!(listed[0]["installed"], true);
    assert_eq!(listed[0]["path"], dir.display().to_string());

    let out = setup.noi(&["models", "verify", "tiny"]);
    assert_ok(&out);
    assert!(
        stdout(&out).contains("all 4 files match"),
        "{}",
        stdout(&out)
    );

    let file = speech().display().to_string();
    let by_id = setup.noi(&["transcribe", &file, "--model", "tiny", "--threads", "1"]);
    assert_ok(&by_id);
    assert!(!stdout(&by_id).trim().is_empty());
    // No --model: the default installed model.
    let by_default = setup.noi(&["transcribe", &file, "--threads", "1"]);
    assert_ok(&by_default);
    assert_eq!(stdout(&by_default), stdout(&by_id));

    // Downloading again finds it installed.
    let again = setup.noi(&["models", "download", "tiny"]);
    assert_ok(&again);
    assert!(stdout(&again).contains("already installed"));
    assert_eq!(setup.archive_requests().len(), 1);

    let out = setup.noi(&["models", "remove", "tiny"]);
    assert_ok(&out);
    assert!(!dir.exists());
    let gone = setup.noi(&["transcribe", &file, "--model", "tiny"]);
    assert_eq!(gone.status.code(), Some(1));
    assert!(
        stderr(&gone).contains("noi models download tiny"),
        "{}",
        stderr(&gone)
    );
}

#[test]
fn licence_note_is_shown_when_downloading() {
    let setup = Setup::new();
    let out = setup.noi(&["models", "download", "tiny-nc"]);
    assert_ok(&out);
    assert!(
        stderr(&out).contains("CC-BY-NC-ND-4.0 (non-commercial use only)"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn catalog_flag_and_download_errors() {
    let setup = Setup::new();
    // --catalog wins over NOI_CATALOG.
    let other = setup.data.path().join("other.toml");
    let text = std::fs::read_to_string(&setup.catalog)
        .unwrap()
        .replace("\"tiny\"", "\"flagged\"");
    std::fs::write(&other, text).unwrap();
    let out = setup.noi(&[
        "models",
        "list",
        "--json",
        "--catalog",
        other.to_str().unwrap(),
    ]);
    assert_ok(&out);
    assert!(stdout(&out).contains("\"flagged\""));

    setup.server.set(Behaviour {
        status: Some(404),
        ..Default::default()
    });
    let out = setup.noi(&["models", "download", "tiny"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("HTTP 404"), "{}", stderr(&out));
    let out = setup.noi(&["models", "download", "nope"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("noi models list"), "{}", stderr(&out));
    assert!(!setup.data_dir().join("models/tiny").exists());
}

#[test]
fn install_an_archive_and_an_unlisted_folder() {
    let setup = Setup::new();
    let archive = setup.data.path().join("downloaded.tar.bz2");
    setup.archive.write_to(&archive);
    let out = setup.noi(&["models", "install", archive.to_str().unwrap()]);
    assert_ok(&out);
    assert!(
        stdout(&out).contains("installed tiny"),
        "matched by hash: {}",
        stdout(&out)
    );
    assert!(setup.server.requests().is_empty(), "offline");

    // With the built-in catalog the tiny model is unknown: loaded to validate it.
    let mut command = setup.command(&["models", "install"]);
    command.arg(tiny_model()).env_remove("NOI_CATALOG");
    let out = command.output().unwrap();
    assert_ok(&out);
    assert!(
        stdout(&out).contains("installed tiny-model"),
        "{}",
        stdout(&out)
    );

    let file = speech().display().to_string();
    let out = setup.noi(&[
        "transcribe",
        &file,
        "--model",
        "tiny-model",
        "--threads",
        "1",
    ]);
    assert_ok(&out);

    // Not a model: refused with the reason, nothing installed.
    let bad = tempfile::tempdir().unwrap();
    std::fs::write(bad.path().join("encoder.onnx"), "junk").unwrap();
    let out = setup.noi(&[
        "models",
        "install",
        bad.path().to_str().unwrap(),
        "--id",
        "bad",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("is not a usable model"),
        "{}",
        stderr(&out)
    );
    assert!(!setup.data_dir().join("models/bad").exists());
}

#[test]
fn with_no_model_installed_every_command_names_the_fix() {
    let setup = Setup::new();
    let file = speech().display().to_string();
    let mut command = setup.command(&["transcribe", &file]);
    command.env_remove("NOI_CATALOG");
    let out = command.output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let message = stderr(&out);
    assert!(message.contains("no model installed"), "{message}");
    assert!(
        message.contains("noi models download zipformer-vi-int8"),
        "{message}"
    );
    assert!(message.contains("noi models install FILE"), "{message}");
    assert_eq!(message.lines().count(), 1, "one clear line: {message}");

    let out = setup.noi(&["models", "verify", "tiny"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("noi models download tiny"),
        "{}",
        stderr(&out)
    );
    let out = setup.noi(&["transcribe", &file, "--model", "tiny", "--model-dir", "x"]);
    assert!(!out.status.success(), "--model and --model-dir conflict");
}

#[test]
fn ctrl_c_leaves_a_resumable_partial() {
    let setup = Setup::new();
    let total = setup.archive.bytes.len() as u64;
    // About two seconds for the whole archive.
    let chunk = 4096;
    let chunks = total.div_ceil(chunk);
    let delay = Duration::from_millis(2000 / chunks);
    setup.server.set(Behaviour {
        chunk_size: Some(chunk),
        chunk_delay: Some(delay),
        ..Default::default()
    });
    let child = setup
        .command(&["models", "download", "tiny"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let partial = setup.partial("tiny");
    let started = Instant::now();
    while std::fs::metadata(&partial).map_or(0, |m| m.len()) < 2 * chunk {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the download never started"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    // SAFETY: kill(2) on our own child's pid.
    assert_eq!(unsafe { libc::kill(child.id() as i32, libc::SIGINT) }, 0);
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(130), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("run the same command again to resume"),
        "{}",
        stderr(&out)
    );
    let kept = std::fs::metadata(&partial).unwrap().len();
    assert!(kept >= 2 * chunk && kept < total, "kept {kept} of {total}");
    assert!(!setup.data_dir().join("models/tiny").exists());

    setup.server.set(Behaviour::default());
    let out = setup.noi(&["models", "download", "tiny"]);
    assert_ok(&out);
    assert!(
        stderr(&out).contains("resuming the download"),
        "{}",
        stderr(&out)
    );
    assert_eq!(setup.archive_requests()[1], Some(format!("bytes={kept}-")));
    assert_ok(&setup.noi(&["models", "verify", "tiny"]));
}
