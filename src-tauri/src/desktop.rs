//! The controller: one `Desktop`, held once in Tauri's managed state, owns every part of the
//! running app (the shared core, the tray, the hotkeys, the embedded API, the model service,
//! the level meter) and has a method for each thing the app does: apply settings, tray menu
//! actions, switch or load a model, react to installed models, pause the hotkey, quit.
//!
//! Every settings change, from the tray or the window, goes through [`Desktop::apply_settings`],
//! which saves it, carries it out and tells the window. The coordinator loop (its own thread)
//! owns the dictation; it hears of changes as events and shows its state through [`LoopUi`].

use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Weak};
use std::time::Duration;

use anyhow::Context;
use noi_desktop_core::coordinator::{Indicator, Notice};
use noi_desktop_core::history::History;
use noi_desktop_core::hotkey::conflicts;
use noi_desktop_core::injection_rules::OutputMode;
use noi_desktop_core::messages::{Lang, Problem};
use noi_desktop_core::overlay::Phase as OverlayPhase;
use noi_desktop_core::session::{Backends, HotkeyBackend};
use noi_desktop_core::settings::{Settings, SettingsStore};
use noi_desktop_core::tray_status::{DownloadProgress, ModelState, TrayStatus};
use tauri::AppHandle;
use tauri_plugin_autostart::ManagerExt;

use crate::api::{self, ApiServer};
use crate::capture;
use crate::coordinator_loop::CoordinatorLoop;
use crate::core::{AppCore, CoreParts, Event, Ui};
use crate::hotkeys::Hotkeys;
use crate::injector::Injector;
use crate::launch_args::{self, LaunchArgs};
use crate::level_meter::LevelMeter;
use crate::model_service::{JobEvent, ModelService};
use crate::models;
use crate::overlay::{Overlay, OverlayOptions};
use crate::settings_window::{self, events};
use crate::sound_cues::{self, Cue};
use crate::tray::{OnMenu, Tray, TrayModel, ids};

pub struct Desktop {
    app: AppHandle,
    pub core: Arc<AppCore>,
    tray: Arc<Tray>,
    hotkeys: Arc<Hotkeys>,
    api: ApiServer,
    pub models: Arc<ModelService>,
    pub meter: LevelMeter,
    /// The settings window's hotkey recorder let the hotkey go, and so must bring it back.
    recorder_let_go: AtomicBool,
    /// The session's backends (hotkey, keystrokes, clipboard), chosen at start.
    pub backends: Backends,
    /// Whether the desktop shows a tray (a Wayland session without a StatusNotifierWatcher
    /// does not: the settings window opens at start instead).
    pub has_tray: bool,
    this: Weak<Desktop>,
}

impl Desktop {
    /// Starts every part in an order where each finds what it needs (settings → server state
    /// → history → coordinator loop → tray → API → hotkey → model). `on_menu` is what a tray
    /// click does (the wiring hands it in).
    pub fn start(
        app: &AppHandle,
        args: &LaunchArgs,
        on_menu: OnMenu,
    ) -> anyhow::Result<Arc<Desktop>> {
        let store = SettingsStore::open_default()?;
        let settings = initial_settings(&store)?;
        let token = settings.api.token.clone().unwrap_or_default();
        let (events, inbox) = mpsc::channel();
        let backends = crate::desktop_session::detect();
        let has_tray = crate::desktop_session::has_tray(&backends);
        let core = Arc::new(AppCore::new(CoreParts {
            store,
            settings: settings.clone(),
            server: Arc::new(api::server_state(&settings, token)),
            history: open_history(&settings),
            injector: Injector::new(backends),
            events: events.clone(),
            model_dir: args.model_dir.clone(),
        }));
        let hotkeys = Arc::new(Hotkeys::new(app, events, backends.hotkey));
        let tray = Tray::build(app, initial_tray(&settings, &backends), on_menu)?;
        let desktop = Arc::new_cyclic(|this: &Weak<Desktop>| {
            let observer = this.clone();
            Desktop {
                app: app.clone(),
                core: Arc::clone(&core),
                tray: Arc::clone(&tray),
                hotkeys: Arc::clone(&hotkeys),
                api: ApiServer::new(Arc::clone(&core)),
                models: ModelService::new(Box::new(move |event| {
                    if let Some(desktop) = observer.upgrade() {
                        desktop.on_job_event(event);
                    }
                })),
                meter: LevelMeter::default(),
                recorder_let_go: AtomicBool::new(false),
                backends,
                has_tray,
                this: this.clone(),
            }
        });
        let ui = Arc::new(LoopUi {
            app: app.clone(),
            tray,
            hotkeys,
            overlay: Overlay::new(app, backends.overlay_placement()),
        });
        std::thread::Builder::new()
            .name("noi-coordinator".into())
            .spawn(move || CoordinatorLoop::new(core, ui).run(inbox))
            .context("cannot start the coordinator")?;
        desktop.api.start();
        // A failure is shown in the tray and logged; the app runs on without a hotkey.
        let _ = desktop.register_hotkey(&settings);
        desktop.sync_autostart(settings.general.autostart);
        desktop.load_model_then(args.command());
        spawn_device_watch(Arc::clone(&desktop.tray));
        if !has_tray {
            // Nowhere else to say what the app is doing: the window says it (and how to get a
            // tray); the hotkey works without it.
            tracing::warn!("no tray host (StatusNotifierWatcher) on this session");
            desktop.open_settings();
        }
        Ok(desktop)
    }

    pub fn settings(&self) -> Settings {
        self.core.settings()
    }

    /// What the window says about the session (Wayland: backends, advice, a missing tray).
    pub fn session_lines(&self, lang: Lang) -> Vec<String> {
        self.backends.lines(self.has_tray, lang)
    }

    /// Puts a whole new settings value in force: saves it, and carries every change out at
    /// once (hotkey, tray, start at login, API, model, the coordinator's mode), then tells
    /// the settings window. What could not apply is returned; the rest did.
    pub fn apply_settings(&self, new: Settings) -> Result<(), Vec<Problem>> {
        let old = self.core.settings();
        let mut problems = Vec::new();
        if let Err(error) = self.core.replace_settings(new.clone()) {
            tracing::warn!("{error}");
            problems.push(Problem::NotSaved(error.to_string()));
        }
        if old.hotkey.accelerator != new.hotkey.accelerator {
            problems.extend(self.register_hotkey(&new).err());
        }
        if old.general.autostart != new.general.autostart {
            self.sync_autostart(new.general.autostart);
        }
        self.api.apply(&old, &new);
        if old.model.active != new.model.active && new.model.active.is_some() {
            self.load_model_then(None);
        } else if old.text.hotwords != new.text.hotwords {
            let core = Arc::clone(&self.core);
            std::thread::spawn(move || models::apply_hotwords(&core));
        }
        self.tray.update(|m| {
            m.output = new.output.mode;
            m.device_choice = new.microphone.device.clone();
        });
        settings_window::emit(&self.app, events::SETTINGS_CHANGED, new);
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems)
        }
    }

    /// The current settings with `change` made, applied.
    pub fn edit_settings(&self, change: impl FnOnce(&mut Settings)) -> Result<(), Vec<Problem>> {
        let mut settings = self.core.settings();
        change(&mut settings);
        self.apply_settings(settings)
    }

    /// A tray menu click.
    pub fn on_menu(&self, id: &str) {
        let result = match id {
            ids::QUIT => {
                self.app.exit(0);
                Ok(())
            }
            ids::SETTINGS | ids::DOWNLOAD_MODELS => {
                self.open_settings();
                Ok(())
            }
            ids::COPY_LAST => self.copy_last().map_err(|p| vec![p]),
            ids::DOWNLOAD_DEFAULT => self.download_default().map_err(|p| vec![p]),
            ids::ADD_DESKTOP_SHORTCUT => self
                .hotkeys
                .add_desktop_shortcut(&self.core.settings().hotkey.accelerator)
                .map_err(|p| vec![p]),
            ids::PAUSE_HOTKEY => {
                self.toggle_pause();
                Ok(())
            }
            ids::DEVICE_DEFAULT => self.edit_settings(|s| s.microphone.device = None),
            _ => self.on_menu_choice(id),
        };
        if let Err(problems) = result {
            for problem in problems {
                tracing::warn!("{problem}");
            }
        }
    }

    /// The menu's radio items and per-item actions, whose ids carry a value.
    fn on_menu_choice(&self, id: &str) -> Result<(), Vec<Problem>> {
        if let Some(model) = id.strip_prefix(ids::MODEL_PREFIX) {
            self.switch_model(model)
        } else if let Some(job) = id.strip_prefix(ids::CANCEL_DOWNLOAD_PREFIX) {
            self.models.cancel(job);
            Ok(())
        } else if let Some(device) = id.strip_prefix(ids::DEVICE_PREFIX) {
            let device = device.to_owned();
            self.edit_settings(|s| s.microphone.device = Some(device))
        } else if let Some(mode) = id.strip_prefix(ids::OUTPUT_PREFIX) {
            let mode = match mode {
                "type" => OutputMode::Type,
                "copy_only" => OutputMode::CopyOnly,
                _ => OutputMode::Paste,
            };
            self.edit_settings(|s| s.output.mode = mode)
        } else {
            Ok(())
        }
    }

    pub fn open_settings(&self) {
        let this = self.this.clone();
        settings_window::open(&self.app, move || {
            if let Some(desktop) = this.upgrade() {
                desktop.settings_window_closed();
            }
        });
    }

    /// The window is gone: its meter closes, a hotkey its recorder let go comes back.
    fn settings_window_closed(&self) {
        self.meter.stop();
        if let Err(problem) = self.resume_after_recorder() {
            tracing::warn!("hotkey: {problem}");
        }
    }

    /// A second `noi-desktop` launch: its flags are a command; a bare launch opens the
    /// settings.
    pub fn on_second_launch(&self, argv: &[String]) {
        match launch_args::parse(argv) {
            Ok(args) => match args.command() {
                Some(command) => self.core.send(Event::Command(command, None)),
                None => self.open_settings(),
            },
            Err(error) => tracing::warn!("ignored a second launch: {error}"),
        }
    }

    /// Makes `id` the active model; it loads when the choice changed (`apply_settings`), or
    /// here when it was already chosen but is not the one loaded (its files came back).
    pub fn switch_model(&self, id: &str) -> Result<(), Vec<Problem>> {
        let already_chosen = self.core.settings().model.active.as_deref() == Some(id);
        let loaded = self.core.server.current_engine().map(|e| e.info.id.clone());
        let result = self.edit_settings(|s| s.model.active = Some(id.to_owned()));
        if already_chosen && loaded.as_deref() != Some(id) {
            self.load_model_then(None);
        }
        result
    }

    /// Loads the active model on its own thread; then runs `command` (a `noi-desktop
    /// --toggle` given when the app was not running yet).
    fn load_model_then(&self, command: Option<noi_desktop_core::coordinator::Command>) {
        self.tray.update(|m| m.status.model = ModelState::Loading);
        let (core, tray) = (Arc::clone(&self.core), Arc::clone(&self.tray));
        std::thread::spawn(move || {
            let state = models::load_active(&core);
            let installed = core.server.installed();
            tray.update(|m| {
                m.status.model = state;
                m.installed = installed;
            });
            if let Some(command) = command {
                core.send(Event::Command(command, None));
            }
        });
    }

    /// After a model was installed or removed: the tray's and the API's lists follow, and
    /// with no model loaded the new one is loaded.
    pub fn models_changed(&self) {
        let installed = models::installed_ids();
        self.core.server.set_installed(installed.clone());
        self.tray.update(|m| m.installed = installed);
        if self.core.server.current_engine().is_none() {
            self.load_model_then(None);
        }
    }

    /// Deletes installed model `id`. When it was in use, the next installed one (if any)
    /// becomes active, so dictation keeps working.
    pub fn remove_model(&self, id: &str) -> Result<(), Vec<Problem>> {
        self.models.remove(id).map_err(|p| vec![p])?;
        let in_use = self.core.settings().model.active.as_deref() == Some(id)
            || self
                .core
                .server
                .current_engine()
                .is_some_and(|e| e.info.id == id);
        let result = match models::installed_ids().into_iter().next() {
            Some(next) if in_use => {
                self.core.server.set_engine(None);
                self.switch_model(&next)
            }
            _ => Ok(()),
        };
        self.models_changed();
        result
    }

    fn download_default(&self) -> Result<(), Problem> {
        match models::default_offer() {
            Some(offer) => self.models.download(&offer.id),
            None => Ok(()),
        }
    }

    /// A model job's progress or end: the tray and the window both show it. A model
    /// installed while none is loaded becomes the active one.
    fn on_job_event(&self, event: JobEvent) {
        match event {
            JobEvent::Progress(progress) => {
                let shown = DownloadProgress {
                    id: progress.id.clone(),
                    percent: progress.percent,
                };
                self.tray.update(|m| m.status.download = Some(shown));
                settings_window::emit(&self.app, events::MODEL_PROGRESS, progress);
            }
            JobEvent::Finished(finished) => {
                self.tray.update(|m| {
                    if m.status
                        .download
                        .as_ref()
                        .is_some_and(|d| d.id == finished.id)
                    {
                        m.status.download = None;
                    }
                });
                if finished.cancelled {
                    self.tray
                        .say(&format!("download of {} cancelled", finished.id));
                }
                if let Some(installed) = &finished.installed {
                    self.on_model_installed(installed);
                }
                settings_window::emit(&self.app, events::MODEL_FINISHED, finished);
            }
        }
    }

    fn on_model_installed(&self, id: &str) {
        if self.core.server.current_engine().is_some() {
            return self.models_changed();
        }
        let installed = models::installed_ids();
        self.core.server.set_installed(installed.clone());
        self.tray.update(|m| m.installed = installed);
        // Nothing to dictate with yet (first run): the new model becomes the active one.
        if let Err(problems) = self.switch_model(id) {
            problems.iter().for_each(|p| tracing::warn!("{p}"));
        }
    }

    fn copy_last(&self) -> Result<(), Problem> {
        match self.core.last_transcript() {
            Some(entry) => self
                .core
                .injector
                .set_clipboard(&entry.text)
                .map_err(|e| Problem::Clipboard(e.to_string())),
            None => {
                tracing::info!("no transcript yet");
                Ok(())
            }
        }
    }

    fn toggle_pause(&self) {
        if self.tray.snapshot().status.hotkey_paused {
            self.register_hotkey(&self.core.settings()).ok();
        } else {
            self.hotkeys.pause();
            self.tray.update(|m| m.status.hotkey_paused = true);
        }
    }

    /// Registers the settings' hotkey, reporting a failure in the tray (and the log).
    fn register_hotkey(&self, settings: &Settings) -> Result<(), Problem> {
        let accelerator = &settings.hotkey.accelerator;
        for conflict in conflicts(accelerator) {
            tracing::warn!("hotkey {accelerator}: {conflict}");
        }
        let result = self.hotkeys.set_hotkey(accelerator);
        if let Err(problem) = &result {
            tracing::error!("hotkey: {problem}");
        }
        self.tray.update(|m| {
            m.status.hotkey = match &result {
                Ok(described) => described.clone(),
                Err(_) => accelerator.to_string(),
            };
            m.status.hotkey_error = result.as_ref().err().map(ToString::to_string);
            m.status.hotkey_paused = false;
        });
        result.map(|_| ())
    }

    /// The hotkey recorder listens (the hotkey is let go, so the current combination can be
    /// recorded) or stops (it comes back). A hotkey paused from the tray stays paused.
    pub fn set_recorder_listening(&self, listening: bool) -> Result<(), Problem> {
        if !listening {
            return self.resume_after_recorder();
        }
        let paused = self.tray.snapshot().status.hotkey_paused;
        if !paused && !self.recorder_let_go.swap(true, Ordering::SeqCst) {
            self.hotkeys.pause();
            tracing::debug!("hotkey let go while the recorder listens");
        }
        Ok(())
    }

    fn resume_after_recorder(&self) -> Result<(), Problem> {
        if !self.recorder_let_go.swap(false, Ordering::SeqCst) {
            return Ok(());
        }
        self.hotkeys
            .set_hotkey(&self.core.settings().hotkey.accelerator)
            .map(|_| ())
    }

    fn sync_autostart(&self, wanted: bool) {
        let launcher = self.app.autolaunch();
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

    /// The port the API listens on now, if it runs.
    pub fn api_port(&self) -> Option<u16> {
        self.api.port()
    }

    /// Quit: stop the API (removing api.json), the meter, and the coordinator loop (closing
    /// the microphone).
    pub fn shut_down(&self) {
        self.api.stop();
        self.meter.stop();
        self.core.send(Event::Quit);
        tracing::info!("quit");
    }
}

/// The settings from the file (or defaults, the problem logged), with an API token made and
/// saved on first run.
fn initial_settings(store: &SettingsStore) -> anyhow::Result<Settings> {
    let (mut settings, problem) = store.load_or_default();
    if let Some(problem) = &problem {
        tracing::warn!("settings: {problem}");
    }
    let token_before = settings.api.token.clone();
    api::ensure_token(&mut settings)?;
    if settings.api.token != token_before
        && let Err(error) = store.save(&settings)
    {
        tracing::warn!("cannot save the settings: {error}");
    }
    Ok(settings)
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

fn initial_tray(settings: &Settings, backends: &Backends) -> TrayModel {
    let lang = Lang::for_choice(settings.general.language);
    let session_lines = backends.lines(true, lang);
    TrayModel {
        status: TrayStatus {
            indicator: Indicator::Idle,
            detail: String::new(),
            model: ModelState::Loading,
            download: None,
            hotkey: settings.hotkey.accelerator.to_string(),
            hotkey_error: None,
            hotkey_paused: false,
            copied_not_pasted: false,
        },
        installed: Vec::new(),
        devices: capture::list_devices(),
        device_choice: settings.microphone.device.clone(),
        output: settings.output.mode,
        session_lines,
        offer_desktop_shortcut: matches!(backends.hotkey, HotkeyBackend::DesktopShortcut(_)),
    }
}

/// Keeps the tray's device list current. Linux trays give no "menu opening" event to refresh
/// on, and enumerating opens every ALSA device, so it is not done on a timer: the watch reads
/// `/dev/snd` (a directory listing, nearly free) every 2 s and enumerates only when a sound
/// device came or went. Elsewhere it enumerates every 10 s.
fn spawn_device_watch(tray: Arc<Tray>) {
    std::thread::spawn(move || {
        let mut seen = capture::sound_device_nodes();
        loop {
            if cfg!(target_os = "linux") {
                std::thread::sleep(Duration::from_secs(2));
                let now = capture::sound_device_nodes();
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

/// The coordinator loop's view of the app: the tray shows its state, the hotkeys take
/// Escape, the settings window hears of history changes.
struct LoopUi {
    app: AppHandle,
    tray: Arc<Tray>,
    hotkeys: Arc<Hotkeys>,
    overlay: Arc<Overlay>,
}

impl Ui for LoopUi {
    fn show_state(&self, indicator: Indicator, detail: &str) {
        self.tray.update(|m| {
            if indicator == Indicator::Recording {
                m.status.copied_not_pasted = false;
            }
            m.status.indicator = indicator;
            m.status.detail = detail.to_owned();
        });
    }

    fn copied_not_pasted(&self) {
        self.tray.update(|m| m.status.copied_not_pasted = true);
    }

    fn set_escape_registered(&self, registered: bool) {
        self.hotkeys.set_escape(registered);
    }

    fn notify(&self, notice: &Notice) {
        let text = match notice {
            Notice::Busy => return,
            Notice::NothingHeard => "Nothing heard".to_owned(),
            Notice::CaptureFailed(r) => format!("Microphone: {r}"),
            Notice::EngineFailed(r) => format!("Recognition failed: {r}"),
            Notice::InjectionFailed(r) => format!("Not inserted: {r}"),
        };
        self.tray.say(&text);
    }

    fn history_changed(&self) {
        settings_window::emit(&self.app, events::HISTORY_CHANGED, ());
    }

    fn play_cue(&self, cue: Cue, volume: f32) {
        sound_cues::play(cue, volume);
    }

    fn overlay_begin(&self, options: OverlayOptions, level: Arc<AtomicU32>) {
        self.overlay.begin(options, level);
    }

    fn overlay_phase(&self, phase: OverlayPhase) {
        self.overlay.phase(phase);
    }

    fn overlay_fail(&self, options: OverlayOptions, reason: String) {
        self.overlay.fail(options, reason);
    }

    fn overlay_text(&self, committed: String, tentative: String) {
        self.overlay.text(committed, tentative);
    }
}
