//! The settings window (ui/): opening it, and the events the app sends it. Nobody else
//! listens to these events; the window asks for data through `settings_commands`.

use serde::Serialize;
use tauri::{AppHandle, Emitter, Manager, WebviewUrl, WebviewWindowBuilder, WindowEvent};

pub const LABEL: &str = "settings";

/// Event names, shared with ui/app.js.
pub mod events {
    /// The settings changed (in the window, the tray, or by a download): payload `Settings`.
    pub const SETTINGS_CHANGED: &str = "settings:changed";
    /// A transcript was added, delivered or removed: no payload; the window asks again.
    pub const HISTORY_CHANGED: &str = "settings:history-changed";
    /// The microphone's level while the meter runs: payload `level_meter::Level`.
    pub const LEVEL: &str = "settings:level";
    /// A model job's progress: payload `model_service::Progress`.
    pub const MODEL_PROGRESS: &str = "settings:model-progress";
    /// A model job ended: payload `model_service::Finished`.
    pub const MODEL_FINISHED: &str = "settings:model-finished";
}

/// Shows the window, creating it when needed. `on_closed` runs when the user closes it.
pub fn open(app: &AppHandle, on_closed: impl Fn() + Send + Sync + 'static) {
    if let Some(window) = app.get_webview_window(LABEL) {
        let _ = window.show();
        let _ = window.set_focus();
        return;
    }
    let built = WebviewWindowBuilder::new(app, LABEL, WebviewUrl::App("index.html".into()))
        .title("Nói — Settings")
        .inner_size(760.0, 640.0)
        .build();
    match built {
        Ok(window) => window.on_window_event(move |event| {
            if matches!(event, WindowEvent::Destroyed) {
                on_closed();
            }
        }),
        Err(error) => tracing::error!("cannot open the settings window: {error}"),
    }
}

/// Whether the window exists and is shown (the level meter runs only then).
pub fn is_visible(app: &AppHandle) -> bool {
    app.get_webview_window(LABEL)
        .and_then(|w| w.is_visible().ok())
        .unwrap_or(false)
}

/// Sends an event to the settings window, if it is open.
pub fn emit<T: Serialize + Clone>(app: &AppHandle, event: &str, payload: T) {
    if app.get_webview_window(LABEL).is_none() {
        return;
    }
    if let Err(error) = app.emit_to(LABEL, event, payload) {
        tracing::debug!("event {event} not delivered: {error}");
    }
}
