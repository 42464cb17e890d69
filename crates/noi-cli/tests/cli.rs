//! The `noi` binary as a user runs it: real process, real files, the tiny test model.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn engine_data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../noi-engine/tests/data")
}

fn tiny_model() -> PathBuf {
    engine_data().join("tiny-model")
}

fn audio(name: &str) -> PathBuf {
    engine_data().join("audio").join(name)
}

fn noi(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_noi"))
        .args(args)
        .output()
        .expect("run noi")
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).expect("utf-8 stdout")
}

fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).expect("utf-8 stderr")
}

fn transcribe(files: &[&Path], model: &Path, extra: &[&str]) -> Output {
    let mut args = vec!["transcribe"];
    let files: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
    args.extend(files.iter().map(String::as_str));
    let model = model.display().to_string();
    args.extend(["--model-dir", &model, "--threads", "1"]);
    args.extend(extra);
    noi(&args)
}

#[test]
fn version_and_help() {
    let version = noi(&["--version"]);
    assert!(version.status.success());
    // The version and the commit it was built from (issue 16: one version, with the commit;
    // tests/version.rs checks the commit itself).
    let printed = stdout(&version);
    let printed = printed.trim();
    let expected = format!("noi {} (", env!("CARGO_PKG_VERSION"));
    assert!(
        printed.starts_with(&expected) && printed.ends_with(')'),
        "{printed:?}"
    );
    let help = noi(&["--help"]);
    assert!(help.status.success());
    assert!(stdout(&help).contains("transcribe"));
    let help = noi(&["transcribe", "--help"]);
    for flag in [
        "--model-dir",
        "--decoding",
        "--beam",
        "--threads",
        "--format",
    ] {
        assert!(
            stdout(&help).contains(flag),
            "transcribe --help lacks {flag}"
        );
    }
}

#[test]
fn json_lines_have_the_documented_fields() {
    let files = [audio("speech_vi_22k05.wav"), audio("stereo_16k.wav")];
    let out = transcribe(
        &[&files[0], &files[1]],
        &tiny_model(),
        &["--format", "json", "--casing", "as-is"],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let lines: Vec<Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2, "one line per file");
    let speech = &lines[0];
    assert_eq!(speech["file"], files[0].display().to_string());
    let duration = speech["duration"].as_f64().unwrap();
    assert!(duration > 0.5, "duration {duration}");
    let tokens = speech["tokens"].as_array().unwrap();
    let times = speech["timestamps"].as_array().unwrap();
    assert!(!tokens.is_empty(), "the tiny model emits tokens on speech");
    assert_eq!(tokens.len(), times.len());
    let times: Vec<f64> = times.iter().map(|t| t.as_f64().unwrap()).collect();
    assert!(
        times.windows(2).all(|w| w[0] < w[1]),
        "one token per frame, increasing"
    );
    assert!(
        times
            .iter()
            .all(|&t| (t / 0.04 - (t / 0.04).round()).abs() < 1e-3),
        "40 ms frames"
    );
    assert!(*times.last().unwrap() < duration);
    for word in speech["words"].as_array().unwrap() {
        let (start, end) = (
            word["start"].as_f64().unwrap(),
            word["end"].as_f64().unwrap(),
        );
        let confidence = word["confidence"].as_f64().unwrap();
        assert!(start <= end && end <= duration + 1e-6);
        assert!(confidence > 0.0 && confidence <= 1.0);
        assert!(!word["word"].as_str().unwrap().is_empty());
    }
    let segments = speech["segments"].as_array().unwrap();
    assert_eq!(segments.len(), 1, "a short file is one segment");
    assert_eq!(segments[0]["text"], speech["text"]);
    // The text is the pieces joined, ▁ starting words.
    let joined: String = tokens.iter().map(|t| t.as_str().unwrap()).collect();
    assert_eq!(
        speech["text"].as_str().unwrap(),
        joined.replace('▁', " ").trim()
    );
}

#[test]
fn text_srt_and_vtt() {
    let file = audio("speech_vi_22k05.wav");
    let json = transcribe(&[&file], &tiny_model(), &["--format", "json"]);
    let expected: Value = serde_json::from_str(stdout(&json).lines().next().unwrap()).unwrap();
    let text = transcribe(&[&file], &tiny_model(), &[]);
    assert!(text.status.success());
    assert_eq!(stdout(&text).trim_end(), expected["text"].as_str().unwrap());

    let as_is = ["--casing", "as-is"];
    let srt = stdout(&transcribe(
        &[&file],
        &tiny_model(),
        &["--format", "srt", as_is[0], as_is[1]],
    ));
    let first: Vec<&str> = srt.lines().take(3).collect();
    assert_eq!(first[0], "1");
    assert!(
        first[1].contains(" --> ") && first[1].contains(','),
        "{srt}"
    );
    let vtt = stdout(&transcribe(
        &[&file],
        &tiny_model(),
        &["--format", "vtt", as_is[0], as_is[1]],
    ));
    assert!(vtt.starts_with("WEBVTT\n\n"));
    let srt_words: Vec<&str> = srt
        .lines()
        .filter(|l| !l.contains("-->") && l.parse::<u32>().is_err())
        .flat_map(|l| l.split_whitespace())
        .collect();
    let json_words: Vec<&str> = expected["words"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["word"].as_str().unwrap())
        .collect();
    assert_eq!(srt_words, json_words, "subtitles carry every word once");
}

#[test]
fn greedy_and_beam_both_run() {
    let file = audio("speech_vi_22k05.wav");
    for decoding in ["greedy", "beam"] {
        let out = transcribe(
            &[&file],
            &tiny_model(),
            &["--decoding", decoding, "--beam", "3"],
        );
        assert!(out.status.success(), "{decoding}: {}", stderr(&out));
    }
}

/// One failing file does not stop the others; the exit status says something failed.
#[test]
fn a_bad_file_is_reported_and_the_rest_still_run() {
    let (good, bad) = (audio("s16_16k_mono.wav"), audio("text.wav"));
    let out = transcribe(&[&bad, &good], &tiny_model(), &["--format", "json"]);
    assert!(!out.status.success());
    assert_eq!(
        stdout(&out).lines().count(),
        1,
        "the good file is still transcribed"
    );
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "one line per problem: {err}");
    assert!(err.contains("text.wav"), "{err}");
}

fn assert_one_line_error(out: &Output, needles: &[&str]) {
    assert!(!out.status.success());
    let err = stderr(out);
    assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
    for needle in needles {
        assert!(err.contains(needle), "{needle:?} not in {err}");
    }
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn missing_and_undecodable_inputs() {
    let missing = Path::new("/nonexistent/speech.wav");
    assert_one_line_error(
        &transcribe(&[missing], &tiny_model(), &[]),
        &["/nonexistent/speech.wav"],
    );
    for name in ["empty.wav", "random.bin", "text.wav", "header_only.wav"] {
        assert_one_line_error(&transcribe(&[&audio(name)], &tiny_model(), &[]), &[name]);
    }
}

/// A copy of the tiny model to break in one way.
fn model_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(tiny_model()).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), dir.path().join(entry.file_name())).unwrap();
    }
    dir
}

#[test]
fn broken_models_name_the_file_and_the_fix() {
    let file = audio("s16_16k_mono.wav");
    assert_one_line_error(
        &transcribe(&[&file], Path::new("/nonexistent/model"), &[]),
        &["/nonexistent/model"],
    );

    let no_joiner = model_copy();
    std::fs::remove_file(no_joiner.path().join("joiner.onnx")).unwrap();
    assert_one_line_error(&transcribe(&[&file], no_joiner.path(), &[]), &["joiner"]);

    let truncated = model_copy();
    let encoder = truncated.path().join("encoder.onnx");
    let bytes = std::fs::read(&encoder).unwrap();
    std::fs::write(&encoder, &bytes[..bytes.len() / 2]).unwrap();
    assert_one_line_error(
        &transcribe(&[&file], truncated.path(), &[]),
        &["encoder.onnx", "download or install the model again"],
    );

    let short_tokens = model_copy();
    let tokens = short_tokens.path().join("tokens.txt");
    let text = std::fs::read_to_string(&tokens).unwrap();
    let fewer: String = text.lines().take(40).map(|l| format!("{l}\n")).collect();
    std::fs::write(&tokens, fewer).unwrap();
    assert_one_line_error(
        &transcribe(&[&file], short_tokens.path(), &[]),
        &["tokens.txt", "vocab_size is 50"],
    );

    let swapped = model_copy();
    std::fs::copy(
        swapped.path().join("joiner.onnx"),
        swapped.path().join("decoder.onnx"),
    )
    .unwrap();
    assert_one_line_error(
        &transcribe(&[&file], swapped.path(), &[]),
        &["decoder.onnx"],
    );
}

#[test]
fn bad_arguments_are_rejected_by_the_parser() {
    let out = noi(&[
        "transcribe",
        "x.wav",
        "--model-dir",
        "m",
        "--format",
        "docx",
    ]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("docx"));
    let out = noi(&["transcribe", "x.wav", "--model-dir", "m", "--threads", "0"]);
    assert!(!out.status.success());
}

#[test]
fn a_missing_onnx_runtime_says_how_to_get_it() {
    let out = Command::new(env!("CARGO_BIN_EXE_noi"))
        .args(["transcribe", "x.wav", "--model-dir"])
        .arg(tiny_model())
        .env("ORT_DYLIB_PATH", "/nonexistent/libonnxruntime.so")
        .output()
        .unwrap();
    assert_one_line_error(
        &out,
        &[
            "ORT_DYLIB_PATH",
            "/nonexistent/libonnxruntime.so",
            "scripts/run.sh",
        ],
    );
}

/// Post-processing: sentence case by default, lower case on request, custom words applied
/// with Vietnamese-aware whole-word matching; tokens stay exactly as the decoder emitted them.
#[test]
fn text_clean_up_options() {
    let file = audio("speech_vi_22k05.wav");
    let line = |extra: &[&str]| -> Value {
        let mut args = vec!["--format", "json"];
        args.extend(extra);
        let out = transcribe(&[&file], &tiny_model(), &args);
        assert!(out.status.success(), "{}", stderr(&out));
        serde_json::from_str(stdout(&out).trim()).unwrap()
    };
    let raw = line(&["--casing", "as-is"]);
    let raw_text = raw["text"].as_str().unwrap().to_string();
    assert_eq!(
        raw_text,
        raw_text.to_uppercase(),
        "the model writes upper case"
    );

    let sentence = line(&[]);
    let text = sentence["text"].as_str().unwrap();
    let mut chars = text.chars();
    let first = chars.next().unwrap();
    assert!(
        first.is_uppercase() && chars.as_str() == chars.as_str().to_lowercase(),
        "{text}"
    );
    assert_eq!(
        sentence["tokens"], raw["tokens"],
        "tokens are never cleaned up"
    );

    let lower = line(&["--casing", "lower"]);
    assert_eq!(lower["text"].as_str().unwrap(), raw_text.to_lowercase());

    let first_word = raw_text.split_whitespace().next().unwrap().to_string();
    let rules = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(
        rules.path(),
        format!("# test rule\n{} => Nói\n", first_word.to_lowercase()),
    )
    .unwrap();
    let replaced = line(&["--replacements", rules.path().to_str().unwrap()]);
    assert!(
        replaced["text"].as_str().unwrap().starts_with("Nói"),
        "{}",
        replaced["text"]
    );

    std::fs::write(rules.path(), "no arrow here\n").unwrap();
    let out = transcribe(
        &[&file],
        &tiny_model(),
        &["--replacements", rules.path().to_str().unwrap()],
    );
    assert_one_line_error(&out, &["line 1"]);
}

/// `--itn off` keeps the model's words: with casing as-is the text is exactly the decoder's
/// words, joined, as before ITN existed. `--itn` takes only on/off.
#[test]
fn itn_off_keeps_the_models_words() {
    let file = audio("speech_vi_22k05.wav");
    let out = transcribe(
        &[&file],
        &tiny_model(),
        &["--format", "json", "--casing", "as-is", "--itn", "off"],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let line: Value = serde_json::from_str(stdout(&out).trim()).unwrap();
    let words: Vec<&str> = line["words"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["word"].as_str().unwrap())
        .collect();
    assert!(!words.is_empty());
    assert_eq!(line["text"].as_str().unwrap(), words.join(" "));

    let out = transcribe(&[&file], &tiny_model(), &["--itn", "yes"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("--itn"), "{}", stderr(&out));
}

/// `noi bench`'s first line: the decodes at once and threads each that the flags chose.
fn chosen_parallelism(flags: &[&str]) -> (u64, u64) {
    let model = tiny_model().display().to_string();
    let file = audio("speech_vi_22k05.wav").display().to_string();
    let mut args = vec!["bench", &file, "--model-dir", &model, "--repeat", "1"];
    args.extend(flags);
    let out = noi(&args);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let load: Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    assert_eq!(load["event"], "load");
    (
        load["jobs"].as_u64().unwrap(),
        load["threads"].as_u64().unwrap(),
    )
}

#[test]
fn spare_cores_go_to_more_decodes() {
    // The rule of `noi transcribe --help`, written out for this machine's cores.
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get()) as u64;
    assert_eq!(
        chosen_parallelism(&["--threads", "1"]),
        (cores.min(4), 1),
        "one decode per core left by --threads 1"
    );
    assert_eq!(
        chosen_parallelism(&["--threads", &cores.to_string()]),
        (cores.min(2), cores),
        "--threads on every core: still two decodes (one leaves the cores idle at times)"
    );
    assert_eq!(
        chosen_parallelism(&[]),
        (cores.min(4), (cores / cores.min(4)).clamp(1, 4)),
        "neither set: a decode per core, the rest as threads"
    );
    assert_eq!(
        chosen_parallelism(&["--jobs", "3"]),
        (3, (cores / 3).clamp(1, 4)),
        "--jobs alone shares the cores out"
    );
    assert_eq!(
        chosen_parallelism(&["--jobs", "3", "--threads", "2"]),
        (3, 2)
    );
}
