//! What the settings window (ui/) may ask of the app: typed commands in, events out.
//!
//! - [`preferences`]: the settings themselves (read, change, hotkey check, API token), the UI
//!   language, and the watcher that pushes every change (the tray's included) to the window.
//! - [`devices`]: the microphone list and the live level meter.
//! - [`model_manager`]: the catalog with installed state; downloads with progress and cancel,
//!   installs from a local file, removal.
//! - [`history_view`]: recent transcripts, copy, delete, clear.
//! - [`recorder`]: the global hotkey let go while the hotkey recorder listens.
//!
//! Long work (downloads, installs) runs on its own thread and reports through events, so a
//! command never keeps the window waiting. Events go to the settings window only.

pub mod devices;
pub mod history_view;
pub mod model_manager;
pub mod preferences;
pub mod recorder;

use serde::Serialize;
use tauri::{AppHandle, Emitter, Wry};

use crate::settings_window;

/// Event names, shared with ui/app.js.
pub mod events {
    /// The settings changed (here, in the tray, or by a download): payload `Settings`.
    pub const SETTINGS_CHANGED: &str = "settings:changed";
    /// A transcript was added or removed: no payload; the window asks for the list again.
    pub const HISTORY_CHANGED: &str = "settings:history-changed";
    /// The microphone's level while the meter runs: payload [`super::devices::Level`].
    pub const LEVEL: &str = "settings:level";
    /// A model install's progress: payload [`super::model_manager::Progress`].
    pub const MODEL_PROGRESS: &str = "settings:model-progress";
    /// A model install ended: payload [`super::model_manager::Finished`].
    pub const MODEL_FINISHED: &str = "settings:model-finished";
}

/// Every command the window may call, for the builder's `invoke_handler`.
pub fn handler() -> impl Fn(tauri::ipc::Invoke<Wry>) -> bool + Send + Sync + 'static {
    tauri::generate_handler![
        preferences::get_settings,
        preferences::update_settings,
        preferences::ui_info,
        preferences::check_hotkey,
        preferences::regenerate_token,
        preferences::set_replacements,
        preferences::replacements_text,
        preferences::export_words,
        recorder::set_recorder_listening,
        devices::list_devices,
        devices::start_level_meter,
        devices::stop_level_meter,
        model_manager::list_models,
        model_manager::download_model,
        model_manager::cancel_download,
        model_manager::install_model_file,
        model_manager::remove_model,
        history_view::list_history,
        history_view::copy_history_entry,
        history_view::delete_history_entry,
        history_view::clear_history,
    ]
}

/// Sends an event to the settings window (nobody else listens).
fn emit<T: Serialize + Clone>(app: &AppHandle, event: &str, payload: T) {
    if let Err(error) = app.emit_to(settings_window::LABEL, event, payload) {
        tracing::debug!("event {event} not delivered: {error}");
    }
}
