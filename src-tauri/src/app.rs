//! Wiring: the Tauri app, its plugins, and start-up in an order where each part finds what it
//! needs (settings → server state → history → coordinator loop → tray → API → hotkey → model).

use std::sync::atomic::AtomicBool;
use std::sync::mpsc;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use anyhow::Context;
use noi_desktop_core::coordinator::Indicator;
use noi_desktop_core::history::History;
use noi_desktop_core::hotkey::conflicts;
use noi_desktop_core::injection_rules::OutputMode;
use noi_desktop_core::settings::{Settings, SettingsStore};
use tauri::{AppHandle, Manager, RunEvent};
use tauri_plugin_autostart::{MacosLauncher, ManagerExt};

use crate::api::{self, ApiServer};
use crate::capture;
use crate::coordinator_loop::CoordinatorLoop;
use crate::core::{AppCore, Event, StatusView};
use crate::hotkeys::{self, Hotkeys};
use crate::injector::Injector;
use crate::launch_args::{self, LaunchArgs};
use crate::models::{self, ModelState};
use crate::settings_window;
use crate::tray::{Tray, TrayModel, TrayUi, ids};

/// Builds and runs the app until Quit.
pub fn run(args: LaunchArgs) -> anyhow::Result<()> {
    let app = tauri::Builder::default()
        // First, so a second launch forwards its command before anything else starts.
        .plugin(tauri_plugin_single_instance::init(|app, argv, _cwd| {
            on_second_launch(app, &argv)
        }))
        .plugin(
            tauri_plugin_global_shortcut::Builder::new()
                .with_handler(hotkeys::on_shortcut)
                .build(),
        )
        .plugin(tauri_plugin_autostart::init(
            MacosLauncher::LaunchAgent,
            None,
        ))
        .invoke_handler(crate::settings_commands::handler())
        .setup(move |app| {
            setup(app.handle(), &args)?;
            Ok(())
        })
        .build(tauri::generate_context!("../tauri.conf.json"))
        .context("cannot start the desktop app")?;
    app.run(|app, event| match event {
        // Closing the settings window must not quit a tray app; only Quit (exit code set) does.
        RunEvent::ExitRequested { api, code, .. } if code.is_none() => api.prevent_exit(),
        RunEvent::Exit => shut_down(app),
        _ => {}
    });
    Ok(())
}

fn setup(app: &AppHandle, args: &LaunchArgs) -> anyhow::Result<()> {
    let store = SettingsStore::open_default()?;
    let (mut settings, problem) = store.load_or_default();
    if let Some(problem) = &problem {
        tracing::warn!("settings: {problem}");
    }
    let token_before = settings.api.token.clone();
    let token = api::ensure_token(&mut settings)?;
    if settings.api.token != token_before
        && let Err(error) = store.save(&settings)
    {
        tracing::warn!("cannot save the settings: {error}");
    }
    let server = Arc::new(api::server_state(&settings, token));
    let (events, inbox) = mpsc::channel();
    let core = Arc::new(AppCore {
        store,
        settings: RwLock::new(settings.clone()),
        server,
        history: Mutex::new(open_history(&settings)),
        injector: Injector::new(),
        events,
        status: Mutex::new(StatusView {
            status: noi_desktop_core::coordinator::Status::Idle,
        }),
        model_dir: args.model_dir.clone(),
    });
    app.manage(Arc::clone(&core));

    let hotkeys = Arc::new(Hotkeys::new(app));
    app.manage(Arc::clone(&hotkeys));
    let tray = Tray::build(app, initial_tray(&settings))?;
    app.manage(Arc::clone(&tray));
    let ui = Arc::new(TrayUi {
        tray: Arc::clone(&tray),
        hotkeys: Arc::clone(&hotkeys),
    });
    let loop_core = Arc::clone(&core);
    std::thread::Builder::new()
        .name("noi-coordinator".into())
        .spawn(move || CoordinatorLoop::new(loop_core, ui).run(inbox))?;

    let api_server = Arc::new(ApiServer::new(Arc::clone(&core)));
    api_server.start();
    app.manage(api_server);
    register_hotkey(&hotkeys, &tray, &settings);
    sync_autostart(app, settings.general.autostart);

    let command = args.command();
    let load_core = Arc::clone(&core);
    let load_tray = Arc::clone(&tray);
    std::thread::spawn(move || {
        let state = models::load_active(&load_core);
        let installed = load_core.server.installed();
        load_tray.update(|m| {
            m.model = state;
            m.installed = installed;
        });
        // `noi-desktop --toggle` when the app was not running yet: do it once ready.
        if let Some(command) = command {
            load_core.send(Event::Command(command, None));
        }
    });
    spawn_device_watch(Arc::clone(&tray));
    Ok(())
}

fn open_history(settings: &Settings) -> Option<History> {
    let mut history = match History::open_default() {
        Ok(history) => history,
        Err(error) => {
            tracing::error!("history: {error}");
            return None;
        }
    };
    if let Some(max_age) = settings.history.retention() {
        let _ = history.prune(std::time::SystemTime::now(), max_age);
    }
    Some(history)
}

fn initial_tray(settings: &Settings) -> TrayModel {
    TrayModel {
        indicator: Indicator::Idle,
        detail: String::new(),
        model: ModelState::Failed("loading…".into()),
        installed: Vec::new(),
        devices: capture::list_devices(),
        device_choice: settings.microphone.device.clone(),
        output: settings.output.mode,
        hotkey: settings.hotkey.accelerator.to_string(),
        hotkey_error: None,
        hotkey_paused: false,
    }
}

fn register_hotkey(hotkeys: &Hotkeys, tray: &Tray, settings: &Settings) {
    let accelerator = &settings.hotkey.accelerator;
    for conflict in conflicts(accelerator) {
        tracing::warn!("hotkey {accelerator}: {conflict}");
    }
    let result = hotkeys.set_hotkey(accelerator);
    if let Err(error) = &result {
        tracing::error!("hotkey: {error}");
    }
    tray.update(|m| {
        m.hotkey = accelerator.to_string();
        m.hotkey_error = result.err();
        m.hotkey_paused = false;
    });
}

fn sync_autostart(app: &AppHandle, wanted: bool) {
    let launcher = app.autolaunch();
    if launcher.is_enabled().unwrap_or(false) == wanted {
        return;
    }
    let result = if wanted {
        launcher.enable()
    } else {
        launcher.disable()
    };
    if let Err(error) = result {
        tracing::warn!("start at login: {error}");
    }
}

/// Keeps the tray's device list current. Linux trays give no "menu opening" event to refresh
/// on, and enumerating opens every ALSA device, so it is not done on a timer: the watch reads
/// `/dev/snd` (a directory listing, nearly free) every 2 s and enumerates only when a sound
/// device came or went. Elsewhere it enumerates every 10 s.
fn spawn_device_watch(tray: Arc<Tray>) {
    std::thread::spawn(move || {
        let mut seen = sound_device_nodes();
        loop {
            if cfg!(target_os = "linux") {
                std::thread::sleep(Duration::from_secs(2));
                let now = sound_device_nodes();
                if now == seen {
                    continue;
                }
                seen = now;
            } else {
                std::thread::sleep(Duration::from_secs(10));
            }
            let devices = capture::list_devices();
            tray.update(|m| m.devices = devices);
        }
    });
}

/// The names in `/dev/snd`, sorted; `None` where there is no such folder.
fn sound_device_nodes() -> Option<Vec<String>> {
    let mut names: Vec<String> = std::fs::read_dir("/dev/snd")
        .ok()?
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    Some(names)
}

/// A second `noi-desktop` launch: its flags are a command; a bare launch opens the settings.
fn on_second_launch(app: &AppHandle, argv: &[String]) {
    let Some(core) = app.try_state::<Arc<AppCore>>() else {
        return;
    };
    match launch_args::parse(argv) {
        Ok(args) => match args.command() {
            Some(command) => core.send(Event::Command(command, None)),
            None => settings_window::open(app),
        },
        Err(error) => tracing::warn!("ignored a second launch: {error}"),
    }
}

/// Tray menu clicks.
pub fn on_menu(app: &AppHandle, id: &str) {
    let (Some(core), Some(tray)) = (
        app.try_state::<Arc<AppCore>>(),
        app.try_state::<Arc<Tray>>(),
    ) else {
        return;
    };
    let core = Arc::clone(&core);
    let tray = Arc::clone(&tray);
    match id {
        ids::QUIT => app.exit(0),
        ids::SETTINGS | ids::DOWNLOAD_MODELS => settings_window::open(app),
        ids::COPY_LAST => copy_last(&core),
        ids::DOWNLOAD_DEFAULT => start_default_download(core, tray),
        ids::PAUSE_HOTKEY => toggle_pause(app, &core, &tray),
        ids::DEVICE_DEFAULT => {
            save(&core, |s| s.microphone.device = None);
            tray.update(|m| m.device_choice = None);
        }
        _ => {
            if let Some(model) = id.strip_prefix(ids::MODEL_PREFIX) {
                switch_model(core, tray, model.to_owned());
            } else if let Some(device) = id.strip_prefix(ids::DEVICE_PREFIX) {
                let device = device.to_owned();
                save(&core, |s| s.microphone.device = Some(device.clone()));
                tray.update(|m| m.device_choice = Some(device));
            } else if let Some(mode) = id.strip_prefix(ids::OUTPUT_PREFIX) {
                let mode = match mode {
                    "type" => OutputMode::Type,
                    "copy_only" => OutputMode::CopyOnly,
                    _ => OutputMode::Paste,
                };
                save(&core, |s| s.output.mode = mode);
                tray.update(|m| m.output = mode);
            }
        }
    }
}

/// Applies a whole new settings value (the settings window's edits): saves it, and carries
/// every change out at once: hotkey re-registered, tray mirrored, start at login, model
/// loaded, the coordinator's mode. Errors name what did not apply; the rest still did.
pub fn apply_settings(app: &AppHandle, new: Settings) -> Result<(), String> {
    let (Some(core), Some(tray), Some(hotkeys)) = (
        app.try_state::<Arc<AppCore>>(),
        app.try_state::<Arc<Tray>>(),
        app.try_state::<Arc<Hotkeys>>(),
    ) else {
        return Err("the app is still starting".into());
    };
    let old = core.settings();
    let saved = core.update_settings(|s| *s = new.clone());
    let mut problems: Vec<String> = saved.err().into_iter().collect();
    if old.hotkey.accelerator != new.hotkey.accelerator {
        let result = hotkeys.set_hotkey(&new.hotkey.accelerator);
        tray.update(|m| {
            m.hotkey = new.hotkey.accelerator.to_string();
            m.hotkey_error = result.clone().err();
            m.hotkey_paused = false;
        });
        problems.extend(result.err());
    }
    if old.general.autostart != new.general.autostart {
        sync_autostart(app, new.general.autostart);
    }
    if let Some(api_server) = app.try_state::<Arc<ApiServer>>() {
        api_server.apply(&old, &new);
    }
    if old.model.active != new.model.active
        && let Some(id) = new.model.active.clone()
    {
        switch_model(Arc::clone(&core), Arc::clone(&tray), id);
    }
    tray.update(|m| {
        m.output = new.output.mode;
        m.device_choice = new.microphone.device.clone();
    });
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("; "))
    }
}

/// After a model was installed or removed (settings window): the tray's and the API's lists
/// follow, and with no model loaded yet the new one is loaded.
pub fn models_changed(app: &AppHandle) {
    let (Some(core), Some(tray)) = (
        app.try_state::<Arc<AppCore>>(),
        app.try_state::<Arc<Tray>>(),
    ) else {
        return;
    };
    let installed = models::installed_ids();
    core.server.set_installed(installed.clone());
    tray.update(|m| m.installed = installed);
    if core.server.current_engine().is_none() {
        let (core, tray) = (Arc::clone(&core), Arc::clone(&tray));
        std::thread::spawn(move || {
            let state = models::load_active(&core);
            tray.update(|m| m.model = state);
        });
    }
}

fn save(core: &AppCore, change: impl FnOnce(&mut Settings)) {
    if let Err(error) = core.update_settings(change) {
        tracing::warn!("cannot save the settings: {error}");
    }
}

fn copy_last(core: &AppCore) {
    match core.last_transcript() {
        Some(entry) => {
            if let Err(error) = core.injector.set_clipboard(&entry.text) {
                tracing::warn!("{error}");
            }
        }
        None => tracing::info!("no transcript yet"),
    }
}

fn toggle_pause(app: &AppHandle, core: &AppCore, tray: &Tray) {
    let Some(hotkeys) = app.try_state::<Arc<Hotkeys>>() else {
        return;
    };
    if tray.snapshot().hotkey_paused {
        register_hotkey(&hotkeys, tray, &core.settings());
    } else {
        hotkeys.pause();
        tray.update(|m| m.hotkey_paused = true);
    }
}

fn switch_model(core: Arc<AppCore>, tray: Arc<Tray>, id: String) {
    save(&core, |s| s.model.active = Some(id));
    std::thread::spawn(move || {
        let state = models::load_active(&core);
        tray.update(|m| m.model = state);
    });
}

fn start_default_download(core: Arc<AppCore>, tray: Arc<Tray>) {
    let Some(offer) = models::default_offer() else {
        return;
    };
    std::thread::spawn(move || {
        let cancel = Arc::new(AtomicBool::new(false));
        let progress_tray = Arc::clone(&tray);
        let state = models::download_and_activate(&core, &offer.id, cancel, &|state| {
            progress_tray.update(|m| m.model = state);
        });
        let installed = core.server.installed();
        tray.update(|m| {
            m.model = state;
            m.installed = installed;
        });
    });
}

/// Quit: stop the API (removing api.json) and the coordinator loop (closing the microphone).
fn shut_down(app: &AppHandle) {
    if let Some(api_server) = app.try_state::<Arc<ApiServer>>() {
        api_server.stop();
    }
    if let Some(core) = app.try_state::<Arc<AppCore>>() {
        core.send(Event::Quit);
    }
    tracing::info!("quit");
}
