//! The Wayland test harness (`support/wayland.rs`) works, and the facts about a sway session
//! that the app's Wayland code relies on hold: typed Unicode and Ctrl+V reach a native GTK
//! entry, an xterm under XWayland gets typed text and pastes PRIMARY on Shift+Insert, the
//! Wayland and XWayland clipboards are bridged, sway's IPC reports a bound key's press and
//! release with the binding's command, and no tray (StatusNotifierWatcher) runs.

mod support;

use std::time::Duration;

use serde_json::Value;
use support::wayland::{WaylandDesktop, regex_escape, windows};
use support::{App, exclusive, tiny_model};

const PRESS: &str = "nop noi press";
const RELEASE: &str = "nop noi release";

/// The app's planned push-to-talk binding: press without key repeat, and release.
fn hotkey_config() -> String {
    format!(
        "bindsym --no-repeat Ctrl+Mod1+space {PRESS}\n\
         bindsym --release Ctrl+Mod1+space {RELEASE}\n"
    )
}

#[test]
fn the_session_has_one_output_xwayland_a_keyboard_sound_and_no_tray() {
    let _guard = exclusive();
    let Some(desktop) = WaylandDesktop::start() else {
        return;
    };
    assert!(
        desktop
            .runtime_dir
            .path()
            .join(&desktop.wayland_display)
            .exists()
    );
    assert!(desktop.swaysock.exists());
    assert!(desktop.x_display.starts_with(':'), "{}", desktop.x_display);

    let outputs: Value = serde_json::from_str(&desktop.swaymsg(&["-t", "get_outputs"])).unwrap();
    let outputs = outputs.as_array().unwrap();
    assert_eq!(outputs.len(), 1);
    assert_eq!(outputs[0]["rect"]["width"], 1280);
    assert_eq!(outputs[0]["rect"]["height"], 800);
    let inputs = desktop.swaymsg(&["-t", "get_inputs"]);
    assert!(inputs.contains("virtual_keyboard"), "{inputs}");

    // XWayland admits the test's user.
    let mut xhost = desktop.x11_command("xhost");
    xhost.stdout(std::process::Stdio::piped());
    let out = xhost.output().unwrap();
    assert!(
        out.status.success(),
        "X11 clients cannot connect to XWayland"
    );

    let watcher = desktop.run(
        "dbus-send",
        &[
            "--session",
            "--print-reply",
            "--dest=org.freedesktop.DBus",
            "/org/freedesktop/DBus",
            "org.freedesktop.DBus.NameHasOwner",
            "string:org.kde.StatusNotifierWatcher",
        ],
    );
    assert!(watcher.contains("boolean false"), "{watcher}");

    let info = desktop.pactl(&["info"]);
    assert!(info.contains("Default Source: mic.monitor"), "{info}");
    let wav = desktop.dir.path().join("silence.wav");
    std::fs::write(&wav, silent_wav(1600)).unwrap();
    desktop.play(&wav);
}

#[test]
fn unicode_and_ctrl_v_reach_a_native_gtk_entry() {
    let _guard = exclusive();
    let Some(mut desktop) = WaylandDesktop::start() else {
        return;
    };
    let target = desktop.spawn_text_target("noi-wayland-entry");
    assert_eq!(desktop.focused_app_id().as_deref(), Some("text_target.py"));

    // The first character too: the session's keyboard was there before the entry.
    desktop.type_text("Đà Nẵng, xin chào");
    support::wait_for("the typed text", Duration::from_secs(3), || {
        target.text() == "Đà Nẵng, xin chào"
    });

    desktop.set_clipboard(" — dán vào");
    desktop.shortcut(&["ctrl"], "v");
    support::wait_for("the pasted text", Duration::from_secs(3), || {
        target.text() == "Đà Nẵng, xin chào — dán vào"
    });
}

#[test]
fn xterm_under_xwayland_gets_keys_and_the_clipboards_are_bridged() {
    let _guard = exclusive();
    let Some(mut desktop) = WaylandDesktop::start() else {
        return;
    };
    let term = desktop.spawn_xterm("noi-wayland-xterm");
    let focused = desktop.focused().expect("a focused window");
    assert_eq!(focused.shell, "xwayland");
    assert_eq!(desktop.focused_app_id().as_deref(), Some("XTerm"));

    desktop.type_text("Việt");
    support::wait_for("the typed text", Duration::from_secs(3), || {
        term.text() == "Việt"
    });

    // Bridged both ways while an XWayland window has the focus.
    desktop.set_clipboard("từ Wayland");
    support::wait_for("the X CLIPBOARD", Duration::from_secs(3), || {
        desktop.x_selection("clipboard").as_deref() == Some("từ Wayland")
    });
    desktop.set_x_selection("clipboard", "từ X11");
    support::wait_for("the Wayland clipboard", Duration::from_secs(3), || {
        desktop.clipboard().as_deref() == Some("từ X11")
    });

    // xterm pastes PRIMARY on Shift+Insert, and the Wayland primary selection reaches it.
    desktop.set_primary(" chọn");
    desktop.shortcut(&["shift"], "Insert");
    support::wait_for("the pasted selection", Duration::from_secs(3), || {
        term.text() == "Việt chọn"
    });
}

#[test]
fn binding_events_report_press_and_release_with_their_commands() {
    let _guard = exclusive();
    let Some(mut desktop) = WaylandDesktop::start_with_config(&hotkey_config()) else {
        return;
    };
    let target = desktop.spawn_text_target("noi-wayland-hotkey");
    let events = desktop.subscribe_bindings();

    // Held past the key repeat delay (600 ms): one press, then the release.
    desktop.wtype(&[
        "-M", "ctrl", "-M", "alt", "-P", "space", "-s", "800", "-p", "space", "-m", "alt", "-m",
        "ctrl",
    ]);
    assert_eq!(events.wait_for(2, Duration::from_secs(3)), [PRESS, RELEASE]);

    // Modifiers let go before the key: the release still comes.
    desktop.wtype(&[
        "-M", "ctrl", "-M", "alt", "-P", "space", "-s", "100", "-m", "alt", "-m", "ctrl", "-s",
        "100", "-p", "space",
    ]);
    assert_eq!(
        events.wait_for(4, Duration::from_secs(3)),
        [PRESS, RELEASE, PRESS, RELEASE]
    );
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(events.commands().len(), 4, "{:?}", events.commands());
    // The bound key never reaches the focused window.
    assert_eq!(target.text(), "");
}

#[test]
fn the_app_runs_in_the_session_and_answers_its_api() {
    let _guard = exclusive();
    let Some(desktop) = WaylandDesktop::start() else {
        return;
    };
    let mut app = App::start(&desktop, "[api]\nport = 0\n", &tiny_model());
    assert_eq!(app.state(), "idle");
    app.assert_running();
}

#[test]
fn windows_come_from_the_tree_with_their_focus() {
    let tree = serde_json::json!({
        "nodes": [{"nodes": [
            {"app_id": "text_target.py", "name": "entry", "focused": false,
             "shell": "xdg_shell", "nodes": []},
            {"app_id": null, "name": "term", "focused": true, "shell": "xwayland",
             "window_properties": {"class": "XTerm"}, "nodes": []}
        ], "floating_nodes": []}]
    });
    let found = windows(&tree);
    assert_eq!(found.len(), 2);
    let focused: Vec<_> = found.iter().filter(|w| w.focused).collect();
    assert_eq!(focused.len(), 1);
    assert_eq!(focused[0].class.as_deref(), Some("XTerm"));
    assert!(focused[0].is("term") && focused[0].is("XTerm"));
    assert!(found.iter().any(|w| w.is("text_target.py")));
}

#[test]
fn criteria_regexes_match_titles_literally() {
    assert_eq!(regex_escape("a.b (c)"), "a\\.b \\(c\\)");
    assert_eq!(regex_escape("say \"hi\""), "say \\\"hi\\\"");
}

/// A 16 kHz mono 16-bit WAV of `samples` zeros.
fn silent_wav(samples: u32) -> Vec<u8> {
    let data = samples * 2;
    let mut wav = Vec::new();
    wav.extend(b"RIFF");
    wav.extend((36 + data).to_le_bytes());
    wav.extend(b"WAVEfmt ");
    wav.extend(16u32.to_le_bytes());
    wav.extend(1u16.to_le_bytes()); // PCM
    wav.extend(1u16.to_le_bytes()); // mono
    wav.extend(16_000u32.to_le_bytes());
    wav.extend(32_000u32.to_le_bytes()); // bytes per second
    wav.extend(2u16.to_le_bytes()); // block align
    wav.extend(16u16.to_le_bytes()); // bits per sample
    wav.extend(b"data");
    wav.extend(data.to_le_bytes());
    wav.resize(wav.len() + data as usize, 0);
    wav
}
