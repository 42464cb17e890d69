//! The recording overlay and the sound cues, end to end under Xvfb with the private
//! PulseAudio: what the overlay shows while a clip is spoken (read from the app's view dump,
//! `NOI_TEST_OVERLAY_DUMP`, and seen in screenshots), that it never takes the focus, that it
//! goes after the insertion, its styles and error states, and that the start cue is heard on
//! the output but never reaches the recording.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::Duration;

use noi_desktop_core::history::{History, Recording};
use serde_json::Value;
use support::{App, Desktop, exclusive, test_audio, tiny_model, wait_for, wav_samples};

const HOTKEY: &str = "ctrl+alt+space";
/// The cue's notes (src-tauri/src/sound_cues.rs): C6 and E6.
const CUE_NOTES: [f32; 2] = [1046.5, 1318.5];

fn settings(style: &str, sounds: bool, language: &str) -> String {
    format!(
        r#"
[hotkey]
mode = "hold"

[output]
mode = "paste"

[api]
port = 0

[history]
keep_recordings = true

[general]
language = "{language}"

[overlay]
style = "{style}"

[sounds]
enabled = {sounds}
volume = 0.8
"#
    )
}

/// A clip of about 7 s with a pause in the middle, so a segment closes while speaking.
fn long_clip(desktop: &Desktop) -> Option<PathBuf> {
    let (first, second) = (test_audio("vi_03.wav")?, test_audio("vi_04.wav")?);
    let out = desktop.dir.path().join("long_clip.wav");
    let status = desktop
        .command("sox")
        .arg(&first)
        .args(["-p", "pad", "0", "0.8"])
        .stdout(Stdio::piped())
        .spawn()
        .and_then(|mut pad| {
            let piped = pad.stdout.take().unwrap();
            let status = desktop
                .command("sox")
                .args(["-t", "sox", "-"])
                .arg(&second)
                .arg(&out)
                .stdin(piped)
                .status();
            let _ = pad.wait();
            status
        })
        .expect("sox");
    assert!(status.success(), "sox could not join the clips");
    Some(out)
}

fn dump_path(desktop: &Desktop) -> PathBuf {
    desktop.dir.path().join("overlay-views.jsonl")
}

fn launch(desktop: &Desktop, settings: &str, model: Option<&Path>) -> App {
    let dump = dump_path(desktop);
    let app = App::launch_with(
        desktop,
        settings,
        model,
        &[("NOI_TEST_OVERLAY_DUMP", &dump)],
    );
    if model.is_some() {
        wait_for("the model loaded", Duration::from_secs(60), || {
            app.get("/health").1["status"] == "ok"
        });
    }
    app
}

/// Every view the overlay was sent, in order.
fn views(desktop: &Desktop) -> Vec<Value> {
    std::fs::read_to_string(dump_path(desktop))
        .unwrap_or_default()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

fn overlay_visible(desktop: &Desktop) -> bool {
    !desktop
        .command("xdotool")
        .args(["search", "--onlyvisible", "--name", "^Nói$"])
        .stdout(Stdio::piped())
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default()
        .is_empty()
}

fn focused_window(desktop: &Desktop) -> String {
    desktop.xdotool(&["getwindowfocus"]).trim().to_owned()
}

/// A screenshot kept as an artefact, checked to differ from `empty` (the same screen without
/// the overlay) in at least `min_pixels` pixels. Taken again for up to 2 s while it does not:
/// a state change (recording → error) is reported before the webview has painted it.
fn screenshot_differs(desktop: &Desktop, name: &str, empty: &Path, min_pixels: u64) {
    let deadline = std::time::Instant::now() + Duration::from_secs(2);
    loop {
        let differing = pixels_differing(desktop, name, empty);
        if differing >= min_pixels as f64 || std::time::Instant::now() >= deadline {
            assert!(
                differing >= min_pixels as f64,
                "{name}: only {differing} pixels differ from the screen without the overlay"
            );
            return;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Takes the screenshot `name` (kept in target/test-artifacts) and counts the pixels that
/// differ from `empty`.
fn pixels_differing(desktop: &Desktop, name: &str, empty: &Path) -> f64 {
    let shot = desktop.screenshot(name);
    let output = desktop
        .command("compare")
        .args(["-metric", "AE"])
        .arg(&shot)
        .arg(empty)
        .arg("null:")
        .stderr(Stdio::piped())
        .output()
        .expect("compare (imagemagick)");
    let text = String::from_utf8_lossy(&output.stderr);
    text.split_whitespace()
        .next()
        .unwrap_or("0")
        .parse()
        .unwrap_or(0.0)
}

/// Records the microphone sink's monitor (what was played into it) as raw 16 kHz s16.
fn record_monitor(desktop: &Desktop, out: &Path) -> Child {
    desktop
        .command("parecord")
        .args([
            "--device=mic.monitor",
            "--raw",
            "--format=s16le",
            "--rate=16000",
            "--channels=1",
        ])
        .arg(out)
        .spawn()
        .expect("parecord")
}

/// How many 40 ms windows of `samples` are a cue note: most of their energy at one of the
/// cue's frequencies (speech spreads its energy over many).
fn cue_windows(samples: &[i16]) -> usize {
    let rate = 16_000.0f32;
    let window = 640;
    samples
        .chunks(window)
        .filter(|chunk| chunk.len() == window)
        .filter(|chunk| {
            let signal: Vec<f32> = chunk.iter().map(|&s| f32::from(s) / 32768.0).collect();
            let total: f32 = signal.iter().map(|x| x * x).sum();
            total > 1e-3
                && CUE_NOTES.iter().any(|&f| {
                    let omega = 2.0 * std::f32::consts::PI * f / rate;
                    let (mut s1, mut s2) = (0.0f32, 0.0f32);
                    for &x in &signal {
                        let s0 = x + 2.0 * omega.cos() * s1 - s2;
                        s2 = s1;
                        s1 = s0;
                    }
                    let power = s1 * s1 + s2 * s2 - 2.0 * omega.cos() * s1 * s2;
                    2.0 * power / (signal.len() as f32 * total) > 0.6
                })
        })
        .count()
}

fn history(desktop: &Desktop) -> History {
    History::open(desktop.dir.path().join("data/history.sqlite3")).unwrap()
}

fn last_recording(desktop: &Desktop) -> Vec<i16> {
    let history = history(desktop);
    let last = history.last().unwrap().expect("a history entry");
    match history.recording(last.id).unwrap() {
        Some(Recording::Wav(bytes)) => wav_samples(&bytes),
        other => panic!("no recording kept: {other:?}"),
    }
}

#[test]
fn the_live_overlay_shows_the_words_keeps_the_focus_and_goes_after_insertion() {
    let _guard = exclusive();
    let Some(mut desktop) = Desktop::start() else {
        return;
    };
    let Some(clip) = long_clip(&desktop) else {
        return;
    };
    let app = launch(&desktop, &settings("live", true, "en"), Some(&tiny_model()));
    let target = desktop.text_target("noi-target-overlay");
    let focus_before = focused_window(&desktop);
    let empty = desktop.screenshot("overlay-empty.png");
    let monitor = desktop.dir.path().join("monitor.raw");
    let mut recorder = record_monitor(&desktop, &monitor);

    desktop.xdotool(&["keydown", HOTKEY]);
    // Listening (after the start cue): the overlay says so.
    wait_for("listening", Duration::from_secs(5), || {
        views(&desktop).iter().any(|v| v["phase"] == "listening")
    });
    let player = {
        let mut command = desktop.command("paplay");
        command.args(["--device=mic"]).arg(&clip);
        command.spawn().expect("paplay")
    };
    // While speaking: the overlay is up, the focus stays, screenshots show it.
    wait_for("the overlay", Duration::from_secs(5), || {
        overlay_visible(&desktop)
    });
    std::thread::sleep(Duration::from_millis(2500));
    assert_eq!(
        focused_window(&desktop),
        focus_before,
        "the overlay took the focus"
    );
    screenshot_differs(&desktop, "overlay-live-1.png", &empty, 2000);
    std::thread::sleep(Duration::from_millis(3000));
    screenshot_differs(&desktop, "overlay-live-2.png", &empty, 2000);
    let mut player = player;
    player.wait().unwrap();
    std::thread::sleep(Duration::from_millis(300));
    desktop.xdotool(&["keyup", HOTKEY]);

    let entry = {
        wait_for("the text inserted", Duration::from_secs(10), || {
            !target.text().is_empty()
        });
        app.wait_state("idle", Duration::from_secs(10));
        history(&desktop).last().unwrap().expect("saved to history")
    };
    assert_eq!(
        target.text(),
        entry.text,
        "the text landed in the focused app"
    );
    assert_eq!(focused_window(&desktop), focus_before, "the focus moved");
    screenshot_differs(&desktop, "overlay-inserted.png", &empty, 500);
    wait_for("the overlay gone", Duration::from_secs(4), || {
        !overlay_visible(&desktop)
    });
    let _ = recorder.kill();
    let _ = recorder.wait();

    // What it showed while listening: words, written as the final text begins.
    let views = views(&desktop);
    let listening: Vec<&Value> = views.iter().filter(|v| v["phase"] == "listening").collect();
    // The clock and meter move four times a second, words when they change: over ~7 s of
    // speech that is well above ten frames.
    assert!(
        listening.len() >= 10,
        "{} listening redraws",
        listening.len()
    );
    let with_words: Vec<&&Value> = listening
        .iter()
        .filter(|v| {
            !v["committed"].as_str().unwrap().is_empty()
                || !v["tentative"].as_str().unwrap().is_empty()
        })
        .collect();
    assert!(!with_words.is_empty(), "no live words while speaking");
    let settled: Vec<&str> = listening
        .iter()
        .map(|v| v["committed"].as_str().unwrap())
        .filter(|c| !c.is_empty())
        .collect();
    assert!(!settled.is_empty(), "no words settled at the pause");
    for words in &settled {
        assert!(
            entry.text.starts_with(words),
            "live words {words:?} are not how the final {:?} begins",
            entry.text
        );
    }
    assert!(views.iter().any(|v| v["phase"] == "transcribing"));
    let last = views.last().unwrap();
    assert_eq!(last["phase"], "inserted");
    assert_eq!(
        last["committed"],
        entry.text.as_str(),
        "the final replaced the live text"
    );
    assert!(
        views.iter().any(|v| v["level"].as_f64().unwrap() > 0.01),
        "the level never moved"
    );
    // At most 15 redraws a second (phase changes aside).
    let span = listening.last().unwrap()["elapsed_ms"].as_u64().unwrap()
        - listening.first().unwrap()["elapsed_ms"].as_u64().unwrap();
    assert!(
        listening.len() as u64 <= span * 15 / 1000 + 3,
        "{} redraws in {span} ms",
        listening.len()
    );

    // The start cue was played (it is on the sink's monitor) but never recorded.
    let played: Vec<i16> = std::fs::read(&monitor)
        .unwrap()
        .chunks_exact(2)
        .map(|b| i16::from_le_bytes([b[0], b[1]]))
        .collect();
    assert!(cue_windows(&played) >= 2, "no cue heard on the output");
    assert_eq!(
        cue_windows(&last_recording(&desktop)),
        0,
        "the cue reached the recording"
    );
}

#[test]
fn minimal_shows_no_words_and_off_shows_nothing_and_plays_nothing() {
    let _guard = exclusive();
    let (Some(mut desktop), Some(clip)) = (Desktop::start(), test_audio("vi_01.wav")) else {
        return;
    };
    let target_title = "noi-target-styles";
    for (style, sounds) in [("minimal", true), ("off", false)] {
        let _ = std::fs::remove_file(dump_path(&desktop));
        let app = launch(
            &desktop,
            &settings(style, sounds, "vi"),
            Some(&tiny_model()),
        );
        let target = desktop.text_target(&format!("{target_title}-{style}"));
        let empty = desktop.screenshot(&format!("overlay-{style}-empty.png"));
        let monitor = desktop.dir.path().join(format!("monitor-{style}.raw"));
        let mut recorder = record_monitor(&desktop, &monitor);
        desktop.xdotool(&["keydown", HOTKEY]);
        app.wait_state("recording", Duration::from_secs(5));
        desktop.play(&clip);
        if style == "minimal" {
            assert!(overlay_visible(&desktop), "minimal: no overlay");
            screenshot_differs(&desktop, "overlay-vi-minimal.png", &empty, 2000);
        } else {
            assert!(!overlay_visible(&desktop), "off: an overlay");
        }
        desktop.xdotool(&["keyup", HOTKEY]);
        wait_for("the text inserted", Duration::from_secs(10), || {
            !target.text().is_empty()
        });
        app.wait_state("idle", Duration::from_secs(10));
        let _ = recorder.kill();
        let _ = recorder.wait();
        let views = views(&desktop);
        match style {
            "minimal" => {
                assert!(!views.is_empty(), "minimal: nothing shown");
                assert!(
                    views
                        .iter()
                        .all(|v| v["committed"] == "" && v["tentative"] == "")
                );
                assert!(views.iter().all(|v| v["lang"] == "vi"));
            }
            _ => {
                assert!(views.is_empty(), "off: {} views shown", views.len());
                let played: Vec<i16> = std::fs::read(&monitor)
                    .unwrap()
                    .chunks_exact(2)
                    .map(|b| i16::from_le_bytes([b[0], b[1]]))
                    .collect();
                assert_eq!(cue_windows(&played), 0, "sounds off, yet a cue played");
            }
        }
        drop(app);
    }
}

#[test]
fn errors_show_their_reason_in_the_overlay() {
    let _guard = exclusive();
    let Some(desktop) = Desktop::start() else {
        return;
    };
    // No model installed: the dictation fails and the overlay says why.
    let app = launch(&desktop, &settings("live", true, "en"), None);
    let empty = desktop.screenshot("overlay-error-empty.png");
    assert_eq!(app.post("/v1/dictation/start").0, 200);
    wait_for("the error shown", Duration::from_secs(10), || {
        views(&desktop).iter().any(|v| v["phase"] == "error")
    });
    let error = views(&desktop)
        .into_iter()
        .find(|v| v["phase"] == "error")
        .unwrap();
    assert!(
        error["reason"].as_str().unwrap().contains("model"),
        "the reason: {error}"
    );
    wait_for("the overlay up", Duration::from_secs(5), || {
        overlay_visible(&desktop)
    });
    std::thread::sleep(Duration::from_millis(300)); // drawn
    screenshot_differs(&desktop, "overlay-error-no-model.png", &empty, 2000);
    wait_for("the error overlay gone", Duration::from_secs(6), || {
        !overlay_visible(&desktop)
    });
    drop(app);

    // The microphone vanishes mid-dictation: error, no crash.
    let _ = std::fs::remove_file(dump_path(&desktop));
    let mut app = launch(
        &desktop,
        &settings("live", false, "vi"),
        Some(&tiny_model()),
    );
    assert_eq!(app.post("/v1/dictation/start").0, 200);
    app.wait_state("recording", Duration::from_secs(5));
    let modules = desktop.pactl(&["list", "short", "modules"]);
    let sink = modules
        .lines()
        .find(|l| l.contains("module-null-sink"))
        .and_then(|l| l.split_whitespace().next())
        .expect("the microphone's module")
        .to_owned();
    desktop.pactl(&["unload-module", &sink]);
    wait_for("the error shown", Duration::from_secs(15), || {
        views(&desktop).iter().any(|v| v["phase"] == "error")
    });
    screenshot_differs(&desktop, "overlay-vi-error-microphone.png", &empty, 1000);
    app.assert_running();
}

/// The overlay's screens in both languages: listening with live words, and "copied" (copy-only
/// output), each saved as an artefact and checked to differ from the screen without it.
#[test]
fn the_overlay_speaks_both_languages() {
    let _guard = exclusive();
    let (Some(desktop), Some(clip)) = (Desktop::start(), test_audio("vi_06.wav")) else {
        return;
    };
    for language in ["en", "vi"] {
        let _ = std::fs::remove_file(dump_path(&desktop));
        let settings =
            settings("live", false, language).replace("mode = \"paste\"", "mode = \"copy_only\"");
        let app = launch(&desktop, &settings, Some(&tiny_model()));
        let empty = desktop.screenshot(&format!("overlay-{language}-empty.png"));
        assert_eq!(app.post("/v1/dictation/start").0, 200);
        wait_for("listening", Duration::from_secs(5), || {
            views(&desktop).iter().any(|v| v["phase"] == "listening")
        });
        desktop.play(&clip);
        wait_for("live words", Duration::from_secs(5), || {
            views(&desktop).iter().any(|v| {
                v["phase"] == "listening" && (v["tentative"] != "" || v["committed"] != "")
            })
        });
        screenshot_differs(
            &desktop,
            &format!("overlay-{language}-listening.png"),
            &empty,
            2000,
        );
        assert_eq!(app.post("/v1/dictation/stop").0, 200);
        wait_for("copied", Duration::from_secs(10), || {
            views(&desktop).iter().any(|v| v["phase"] == "copied")
        });
        screenshot_differs(
            &desktop,
            &format!("overlay-{language}-copied.png"),
            &empty,
            2000,
        );
        assert!(views(&desktop).iter().all(|v| v["lang"] == language));
        wait_for("the overlay gone", Duration::from_secs(4), || {
            !overlay_visible(&desktop)
        });
        drop(app);
    }
}
