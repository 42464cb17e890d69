//! The settings window end to end, through WebDriver: `settings_window/driver.py` (Python
//! selenium) drives the real window of the real app through `tauri-driver` and
//! `WebKitWebDriver`, inside this harness's private desktop (Xvfb, PulseAudio, D-Bus). It
//! changes every setting and checks the settings file and the behaviour (new hotkey records,
//! old one does not; output mode decides what reaches a GTK entry), downloads a replica model
//! from a local HTTP server watching the progress bar (and cancels one), installs a model
//! folder by path and deletes it, sees a choice made in the tray appear in the open window,
//! copies the last dictation from history, and saves a screenshot of each section (English
//! and Vietnamese) in target/test-artifacts.
//!
//! Here: the desktop, the inputs, and what must hold once the driver is done.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use noi_desktop_core::settings::SettingsStore;
use support::{Desktop, exclusive, replica, require, test_audio, tiny_model, workspace_root};

const SECTIONS: &[&str] = &[
    "hotkey",
    "microphone",
    "models",
    "output",
    "text",
    "api",
    "general",
    "history",
];

/// The settings the app starts with: API on a free port (tests run side by side).
const START_SETTINGS: &str = "[api]\nport = 0\n";

/// `tauri-driver` on PATH or where `cargo install` puts it.
fn tauri_driver() -> Option<PathBuf> {
    let on_path = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join("tauri-driver"))
            .find(|candidate| candidate.is_file())
    });
    let cargo_home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")));
    let installed = cargo_home.map(|home| home.join("bin/tauri-driver"));
    let found = on_path
        .or(installed)
        .unwrap_or_else(|| PathBuf::from("tauri-driver"));
    require(
        found,
        "tauri-driver (cargo install tauri-driver --locked; scripts/test.sh does it)",
    )
}

/// The repository's venv Python, with selenium in it.
fn selenium_python() -> Option<PathBuf> {
    let python = require(
        workspace_root().join(".venv/bin/python"),
        "the test venv (scripts/test.sh makes .venv)",
    )?;
    let has_selenium = Command::new(&python)
        .args(["-c", "import selenium"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if has_selenium {
        Some(python)
    } else {
        unavailable("selenium in .venv (scripts/test.sh installs it)")
    }
}

/// As `support::require` for inputs that are not a path: a skip, or with `NOI_REQUIRE_ALL=1`
/// (`.ci/run`) a failure.
fn unavailable<T>(what: &str) -> Option<T> {
    if std::env::var("NOI_REQUIRE_ALL").is_ok_and(|v| v == "1") {
        panic!("required test input missing: {what}");
    }
    eprintln!("SKIPPED: {what}");
    None
}

#[test]
fn every_setting_applies_persists_and_behaves_through_the_real_window() {
    let _guard = exclusive();
    let Some(desktop) = Desktop::start() else {
        return;
    };
    let inputs = (
        tauri_driver(),
        selenium_python(),
        replica("replica-zipformer-vi-30M-int8-2026-02-09"),
        test_audio("vi_01.wav"),
        require(
            PathBuf::from("/usr/bin/WebKitWebDriver"),
            "WebKitWebDriver (webkit2gtk-driver)",
        ),
    );
    let (Some(driver), Some(python), Some(replica), Some(clip), Some(_)) = inputs else {
        return;
    };
    let config = desktop.dir.path().join("config");
    std::fs::write(config.join("settings.toml"), START_SETTINGS).unwrap();
    let artifacts = workspace_root().join("target/test-artifacts");
    for section in SECTIONS {
        let _ = std::fs::remove_file(artifacts.join(format!("settings-{section}.png")));
    }
    let work = desktop.dir.path().join("work");
    std::fs::create_dir_all(&work).unwrap();

    let status = desktop
        .command(&python)
        .arg(workspace_root().join("src-tauri/tests/settings_window/driver.py"))
        .arg("--app")
        .arg(env!("CARGO_BIN_EXE_noi-desktop"))
        .arg("--tauri-driver")
        .arg(&driver)
        .arg("--replica")
        .arg(&replica)
        .arg("--tiny-model")
        .arg(tiny_model())
        .arg("--clip")
        .arg(&clip)
        .arg("--artifacts")
        .arg(&artifacts)
        .arg("--text-target")
        .arg(workspace_root().join("src-tauri/tests/support/text_target.py"))
        .arg("--work")
        .arg(&work)
        .env(
            "NOI_LOG",
            std::env::var("NOI_LOG").unwrap_or_else(|_| "info".into()),
        )
        .stdout(Stdio::inherit())
        .stderr(Stdio::inherit())
        .status()
        .expect("run the WebDriver client (.venv python)");
    assert!(
        status.success(),
        "the WebDriver checks failed ({status}); tauri-driver's log: {}",
        read(&work.join("tauri-driver.log"))
    );

    // What the window left in the settings file, read the way the app reads it.
    let settings = SettingsStore::in_dir(&config).load().unwrap();
    assert_eq!(settings.hotkey.accelerator.to_string(), "Ctrl+Alt+R");
    assert_eq!(
        settings.model.active.as_deref(),
        Some("zipformer-vi-30m-int8")
    );
    assert_eq!(settings.api.port, 9911);
    assert_eq!(settings.history.retention_days, 7);
    assert_eq!(settings.text.hotwords, ["Sài Gòn"]);
    for section in SECTIONS {
        for language in ["", "vi-"] {
            let shot = artifacts.join(format!("settings-{language}{section}.png"));
            let size = std::fs::metadata(&shot).map_or(0, |m| m.len());
            assert!(
                size > 1000,
                "no screenshot of the {section} section at {}",
                shot.display()
            );
        }
    }
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}
