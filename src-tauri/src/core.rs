//! What the coordinator loop and the controller share: the settings (read by all, replaced only
//! through `Desktop::apply_settings`), the loaded model (through the embedded server's state,
//! so the API and dictation use the same one) and whether it is still loading, history, the
//! injector, and the channel into the coordinator loop.

use std::path::PathBuf;
use std::sync::atomic::AtomicU32;
use std::sync::mpsc::Sender;
use std::sync::{Arc, Mutex, RwLock};

use noi_desktop_core::coordinator::{Command, Indicator, Message, Notice, Session, Status};
use noi_desktop_core::history::{Entry, History};
use noi_desktop_core::overlay::Phase as OverlayPhase;
use noi_desktop_core::settings::{Settings, SettingsError, SettingsStore};
use noi_server::AppState;

use crate::capture::CaptureReport;
use crate::injector::{InjectError, Injector};
use crate::overlay::OverlayOptions;
use crate::sound_cues::Cue;
use crate::x11_probe::FocusedWindow;

/// Everything the coordinator loop reacts to.
pub enum Event {
    /// A message for the pure coordinator.
    Coordinator(Message),
    /// A command from the API, the tray or a second launch; `reply` gets the status after it.
    Command(Command, Option<Sender<Status>>),
    Capture(Session, CaptureReport),
    /// The stream's text, decoded and post-processed for `target`.
    Decoded {
        session: Session,
        raw: String,
        text: String,
        target: Option<FocusedWindow>,
    },
    /// The text reached the target (or failed to).
    Delivered {
        session: Session,
        result: Result<DeliveredHow, InjectError>,
    },
    /// The settings changed: re-read what the loop uses.
    SettingsChanged,
    /// A model finished loading, or failed to: a dictation waiting for it can go on.
    EngineChanged,
    Quit,
}

/// How a delivered text arrived, for history.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveredHow {
    Injected,
    Copied,
}

/// Whether dictation has a model to run on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EngineAvailability {
    /// A model is being loaded; audio is kept until it is ready.
    Loading,
    Ready,
    /// No model can be loaded, and why (none installed, a broken one…).
    Unavailable(String),
}

/// What the loop shows and says, without knowing who draws it (tray, overlay, settings
/// window, speakers).
pub trait Ui: Send + Sync {
    fn show_state(&self, indicator: Indicator, detail: &str);
    /// The text went to the clipboard only: the user must paste it (tray line).
    fn copied_not_pasted(&self);
    fn set_escape_registered(&self, registered: bool);
    fn notify(&self, notice: &Notice);
    /// A transcript was added or its delivery recorded.
    fn history_changed(&self);
    fn play_cue(&self, cue: Cue, volume: f32);
    /// The microphone delivers: the overlay shows, reading the level from `level`.
    fn overlay_begin(&self, options: OverlayOptions, level: Arc<AtomicU32>);
    fn overlay_phase(&self, phase: OverlayPhase);
    /// A failure to show, whether or not the overlay is up yet.
    fn overlay_fail(&self, options: OverlayOptions, reason: String);
    /// The words so far (settled, changing), written as the final will be.
    fn overlay_text(&self, committed: String, tentative: String);
}

pub struct AppCore {
    store: SettingsStore,
    settings: RwLock<Settings>,
    /// The embedded server's state: its engine slot is the app's loaded model.
    pub server: Arc<AppState>,
    pub history: Mutex<Option<History>>,
    pub injector: Arc<Injector>,
    pub events: Sender<Event>,
    status: Mutex<Status>,
    engine: Mutex<EngineAvailability>,
    /// `--model-dir DIR`: use this folder instead of the installed models.
    pub model_dir: Option<PathBuf>,
}

/// What [`AppCore::new`] is made of.
pub struct CoreParts {
    pub store: SettingsStore,
    pub settings: Settings,
    pub server: Arc<AppState>,
    pub history: Option<History>,
    pub injector: Arc<Injector>,
    pub events: Sender<Event>,
    pub model_dir: Option<PathBuf>,
}

impl AppCore {
    pub fn new(parts: CoreParts) -> AppCore {
        AppCore {
            store: parts.store,
            settings: RwLock::new(parts.settings),
            server: parts.server,
            history: Mutex::new(parts.history),
            injector: parts.injector,
            events: parts.events,
            status: Mutex::new(Status::Idle),
            engine: Mutex::new(EngineAvailability::Loading),
            model_dir: parts.model_dir,
        }
    }

    pub fn settings(&self) -> Settings {
        self.settings
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    pub fn settings_file(&self) -> PathBuf {
        self.store.path().to_path_buf()
    }

    /// Puts `new` in force, tells the loop, and saves it. A failed save is returned and the
    /// change still applies for this run. Only the controller's apply path calls this.
    pub fn replace_settings(&self, new: Settings) -> Result<(), SettingsError> {
        *self.settings.write().unwrap_or_else(|e| e.into_inner()) = new.clone();
        self.send(Event::SettingsChanged);
        self.store.save(&new)
    }

    pub fn send(&self, event: Event) {
        let _ = self.events.send(event);
    }

    pub fn last_transcript(&self) -> Option<Entry> {
        let history = self.history.lock().unwrap_or_else(|e| e.into_inner());
        history.as_ref()?.last().ok().flatten()
    }

    /// The coordinator's state, for `/v1/dictation/status`.
    pub fn status(&self) -> Status {
        *self.status.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn publish_status(&self, status: Status) {
        *self.status.lock().unwrap_or_else(|e| e.into_inner()) = status;
    }

    pub fn engine_availability(&self) -> EngineAvailability {
        self.engine
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Records whether a model is usable and wakes a dictation that waits for one.
    pub fn set_engine_availability(&self, availability: EngineAvailability) {
        *self.engine.lock().unwrap_or_else(|e| e.into_inner()) = availability;
        self.send(Event::EngineChanged);
    }
}
