//! What every part of the app shares: the settings, the loaded model (through the embedded
//! server's state, so the API and dictation use the same one), history, the injector, and the
//! channel into the coordinator loop.

use std::path::PathBuf;
use std::sync::mpsc::Sender;
use std::sync::{Arc, Mutex, RwLock};

use noi_desktop_core::coordinator::{Command, Indicator, Message, Notice, Session, Status};
use noi_desktop_core::history::{Entry, History};
use noi_desktop_core::settings::{Settings, SettingsStore};
use noi_server::AppState;

use crate::capture::CaptureReport;
use crate::injector::Injector;
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
        result: Result<DeliveredHow, String>,
    },
    /// The settings changed: re-read what the loop uses.
    SettingsChanged,
    Quit,
}

/// How a delivered text arrived, for history.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveredHow {
    Injected,
    Copied,
}

/// The tray, the hotkey registrations and notifications, as the loop sees them.
pub trait Ui: Send + Sync {
    fn show_state(&self, indicator: Indicator, detail: &str);
    fn set_escape_registered(&self, registered: bool);
    fn notify(&self, notice: &Notice);
}

/// A snapshot for the API's `/v1/dictation/status`.
#[derive(Debug, Clone)]
pub struct StatusView {
    pub status: Status,
}

pub struct AppCore {
    pub store: SettingsStore,
    pub settings: RwLock<Settings>,
    /// The embedded server's state: its engine slot is the app's loaded model.
    pub server: Arc<AppState>,
    pub history: Mutex<Option<History>>,
    pub injector: Arc<Injector>,
    pub events: Sender<Event>,
    pub status: Mutex<StatusView>,
    /// `--model-dir DIR`: use this folder instead of the installed models.
    pub model_dir: Option<PathBuf>,
}

impl AppCore {
    pub fn settings(&self) -> Settings {
        self.settings
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Changes the settings, saves them, and tells the loop. A failed save is reported and
    /// the change still applies for this run.
    pub fn update_settings(&self, change: impl FnOnce(&mut Settings)) -> Result<(), String> {
        let snapshot = {
            let mut settings = self.settings.write().unwrap_or_else(|e| e.into_inner());
            change(&mut settings);
            settings.clone()
        };
        let _ = self.events.send(Event::SettingsChanged);
        self.store.save(&snapshot).map_err(|e| e.to_string())
    }

    pub fn send(&self, event: Event) {
        let _ = self.events.send(event);
    }

    pub fn last_transcript(&self) -> Option<Entry> {
        let history = self.history.lock().unwrap_or_else(|e| e.into_inner());
        history.as_ref()?.last().ok().flatten()
    }

    pub fn status(&self) -> StatusView {
        self.status
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}
