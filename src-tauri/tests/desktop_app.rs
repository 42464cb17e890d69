//! The app as a whole: its tray icon in an XEmbed tray (trayer), the tray menu, Quit; the
//! embedded API with dictation control; a second launch forwarding `--toggle`.

mod support;

use std::time::Duration;

use support::{App, Desktop, exclusive, tiny_model, wait_for};

const SETTINGS: &str = "[api]\nport = 0\n[hotkey]\nmode = \"hold\"\n";

/// The trayer window's child windows (tray icons are embedded as children).
fn tray_icons(desktop: &Desktop) -> Vec<(i32, i32, u32, u32)> {
    let trayer = desktop.window_ids("--class", "trayer");
    let Some(trayer) = trayer.first() else {
        return Vec::new();
    };
    let tree = desktop.run("xwininfo", &["-children", "-id", trayer]);
    tree.lines()
        .filter_map(|line| {
            // "     0x1e00003 (has no name): ()  24x24+0+0  +1258+4"
            let mut fields = line.split_whitespace().rev();
            let absolute = fields.next()?;
            let geometry = fields.next()?;
            let (size, _) = geometry.split_once('+')?;
            let (w, h) = size.split_once('x')?;
            let mut xy = absolute.trim_start_matches('+').split('+');
            Some((
                xy.next()?.parse().ok()?,
                xy.next()?.parse().ok()?,
                w.parse().ok()?,
                h.parse().ok()?,
            ))
        })
        .filter(|&(_, _, w, h)| w > 1 && h > 1)
        .collect()
}

/// Clicks the tray icon and waits for its menu.
fn open_tray_menu(desktop: &Desktop) {
    wait_for("the tray icon in trayer", Duration::from_secs(15), || {
        !tray_icons(desktop).is_empty()
    });
    let (x, y, w, h) = tray_icons(desktop)[0];
    let windows_before = visible_windows(desktop);
    let (cx, cy) = (
        (x + w as i32 / 2).to_string(),
        (y + h as i32 / 2).to_string(),
    );
    desktop.xdotool(&["mousemove", &cx, &cy]);
    desktop.xdotool(&["click", "1"]);
    wait_for("the tray menu", Duration::from_secs(10), || {
        visible_windows(desktop) > windows_before
    });
}

/// Visible top-level windows (the tray menu is one when open).
fn visible_windows(desktop: &Desktop) -> usize {
    desktop
        .run("xwininfo", &["-root", "-children"])
        .lines()
        .filter(|l| l.trim_start().starts_with("0x"))
        .filter(|l| {
            let id = l.split_whitespace().next().unwrap();
            desktop
                .run("xwininfo", &["-id", id])
                .contains("Map State: IsViewable")
        })
        .count()
}

#[test]
fn tray_icon_appears_its_menu_opens_and_quit_quits() {
    let _guard = exclusive();
    let Some(desktop) = Desktop::start() else {
        return;
    };
    let mut app = App::start(&desktop, SETTINGS, &tiny_model());
    wait_for("the tray icon in trayer", Duration::from_secs(15), || {
        !tray_icons(&desktop).is_empty()
    });
    desktop.screenshot("desktop-tray.png");
    open_tray_menu(&desktop);
    desktop.screenshot("desktop-tray-menu.png");

    // Quit is the last item: Up from the top wraps to it.
    desktop.xdotool(&["key", "Up"]);
    desktop.xdotool(&["key", "Return"]);
    let status = app
        .wait_exit(Duration::from_secs(10))
        .unwrap_or_else(|| panic!("Quit did not quit; log:\n{}", app.log()));
    assert!(status.success(), "exit status {status}");
    assert!(
        !desktop.dir.path().join("config/api.json").exists(),
        "api.json left behind"
    );
}

#[test]
fn the_api_and_a_second_launch_drive_dictation() {
    let _guard = exclusive();
    let Some(desktop) = Desktop::start() else {
        return;
    };
    let app = App::start(&desktop, SETTINGS, &tiny_model());

    // api.json is private to the user.
    let api_file = desktop.dir.path().join("config/api.json");
    let mode = std::fs::metadata(&api_file).unwrap().permissions();
    assert_eq!(
        std::os::unix::fs::PermissionsExt::mode(&mode) & 0o777,
        0o600
    );
    // The model is shared with the API.
    let (status, models) = app.get("/v1/models");
    assert_eq!(status, 200);
    assert_eq!(models["id"], "tiny-model");

    // Dictation control needs the token.
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let anonymous = agent
        .post(format!("http://127.0.0.1:{}/v1/dictation/start", app.port))
        .send_empty()
        .unwrap();
    assert_eq!(anonymous.status().as_u16(), 401);
    assert_eq!(app.state(), "idle");

    let (status, body) = app.post("/v1/dictation/start");
    assert_eq!(status, 200, "{body}");
    app.wait_state("recording", Duration::from_secs(5));
    // The microphone is open only now.
    assert_ne!(
        desktop.pactl(&["list", "short", "source-outputs"]).trim(),
        ""
    );
    let (status, _) = app.post("/v1/dictation/cancel");
    assert_eq!(status, 200);
    app.wait_state("idle", Duration::from_secs(5));
    wait_for("the microphone closed", Duration::from_secs(5), || {
        desktop
            .pactl(&["list", "short", "source-outputs"])
            .trim()
            .is_empty()
    });

    // A second launch forwards --toggle to the running app and exits.
    let second = desktop
        .command(env!("CARGO_BIN_EXE_noi-desktop"))
        .arg("--toggle")
        .status()
        .unwrap();
    assert!(second.success());
    app.wait_state("recording", Duration::from_secs(5));
    desktop
        .command(env!("CARGO_BIN_EXE_noi-desktop"))
        .arg("--toggle")
        .status()
        .unwrap();
    app.wait_state("idle", Duration::from_secs(10));
}

#[test]
fn escape_cancels_a_recording_and_nothing_is_inserted() {
    let _guard = exclusive();
    let (Some(mut desktop), Some(clip)) = (Desktop::start(), support::test_audio("vi_05.wav"))
    else {
        return;
    };
    let app = App::start(
        &desktop,
        "[api]\nport = 0\n[hotkey]\nmode = \"toggle\"\n",
        &tiny_model(),
    );
    let target = desktop.text_target("noi-target-escape");
    // Toggle mode: a tap starts recording.
    desktop.xdotool(&["key", "ctrl+alt+space"]);
    app.wait_state("recording", Duration::from_secs(5));
    desktop.play(&clip);
    desktop.xdotool(&["key", "Escape"]);
    app.wait_state("idle", Duration::from_secs(5));
    std::thread::sleep(Duration::from_millis(800));
    assert_eq!(target.text(), "", "a cancelled dictation inserted text");
    let history =
        noi_desktop_core::history::History::open(desktop.dir.path().join("data/history.sqlite3"))
            .unwrap();
    assert!(
        history.last().unwrap().is_none(),
        "a cancelled dictation was saved"
    );
    // Escape is released again: it reaches the focused app once no dictation runs.
    assert!(app.log().contains("hotkey Ctrl+Alt+Space registered"));
}

#[test]
fn a_taken_port_moves_the_api_to_the_next_free_one() {
    let _guard = exclusive();
    let Some(desktop) = Desktop::start() else {
        return;
    };
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let settings = format!("[api]\nport = {port}\n");
    let app = App::start(&desktop, &settings, &tiny_model());
    assert!(
        app.port > port && app.port <= port + 20,
        "{} after {port}",
        app.port
    );
    assert_eq!(app.get("/health").0, 200);
}

#[test]
fn without_a_model_the_app_runs_and_says_so() {
    let _guard = exclusive();
    let Some(desktop) = Desktop::start() else {
        return;
    };
    let app = App::launch(&desktop, SETTINGS, None);
    wait_for("the model check", Duration::from_secs(20), || {
        app.log().contains("No speech model") || app.get("/health").1["status"] == "degraded"
    });
    assert_eq!(app.get("/health").1["status"], "degraded");
    // A dictation is refused with the reason, not a crash.
    let (status, _) = app.post("/v1/dictation/start");
    assert_eq!(status, 200);
    app.wait_state("error", Duration::from_secs(5));
    desktop.screenshot("desktop-no-model.png");
    let mut app = app;
    app.assert_running();
}

#[test]
fn a_hotkey_taken_by_another_app_is_reported_and_the_rest_works() {
    let _guard = exclusive();
    let Some(desktop) = Desktop::start() else {
        return;
    };
    let mut grabber = desktop
        .command("/usr/bin/python3")
        .arg(support::workspace_root().join("src-tauri/tests/support/grab_key.py"))
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(grabber.stdout.take().unwrap()),
        &mut line,
    )
    .unwrap();
    assert_eq!(line.trim(), "grabbed");

    let app = App::start(&desktop, SETTINGS, &tiny_model());
    wait_for(
        "the registration failure in the log",
        Duration::from_secs(10),
        || app.log().contains("hotkey: "),
    );
    let log = app.log();
    assert!(
        log.contains("another app may use Ctrl+Alt+Space; choose another"),
        "the failure names the fix: {log}"
    );
    // The hotkey does nothing, the rest of the app works.
    desktop.xdotool(&["key", "ctrl+alt+space"]);
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(app.state(), "idle");
    assert_eq!(app.post("/v1/dictation/start").0, 200);
    app.wait_state("recording", Duration::from_secs(5));
    app.post("/v1/dictation/cancel");
    app.wait_state("idle", Duration::from_secs(5));
    let _ = grabber.kill();
    let _ = grabber.wait();
}

#[test]
fn first_run_offers_the_default_model_in_the_tray_and_downloads_it() {
    let _guard = exclusive();
    let Some(desktop) = Desktop::start() else {
        return;
    };
    // A model hub on loopback serving the tiny model as the catalog's default.
    let hub = desktop.dir.path().join("hub");
    std::fs::create_dir_all(&hub).unwrap();
    let mut server = desktop
        .command("/usr/bin/python3")
        .arg(support::workspace_root().join("src-tauri/tests/support/serve_catalog.py"))
        .arg(&hub)
        .arg(tiny_model())
        .arg("tiny-vi")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut port = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(server.stdout.take().unwrap()),
        &mut port,
    )
    .unwrap();
    assert!(port.trim().parse::<u16>().is_ok(), "hub port: {port:?}");

    let catalog = hub.join("catalog.toml");
    let app = App::launch_with(&desktop, SETTINGS, None, &[("NOI_CATALOG", &catalog)]);
    wait_for("the offer", Duration::from_secs(20), || {
        app.log()
            .contains("No speech model installed; the tray offers tiny-vi")
    });
    assert_eq!(app.get("/health").1["status"], "degraded");
    open_tray_menu(&desktop);
    desktop.screenshot("desktop-first-run-offer.png");
    // The offer is the first item that can be chosen.
    desktop.xdotool(&["key", "Down"]);
    desktop.xdotool(&["key", "Return"]);
    wait_for(
        "the model downloaded and loaded",
        Duration::from_secs(30),
        || app.get("/health").1["status"] == "ok",
    );
    assert_eq!(app.get("/v1/models").1["id"], "tiny-vi");
    assert!(
        desktop
            .dir
            .path()
            .join("data/models/tiny-vi/tokens.txt")
            .exists()
    );
    let settings =
        std::fs::read_to_string(desktop.dir.path().join("config/settings.toml")).unwrap();
    assert!(settings.contains("active = \"tiny-vi\""), "{settings}");
    let _ = server.kill();
    let _ = server.wait();
}
