//! What the settings window (ui/) may ask of the app: typed commands in; events out go through
//! `settings_window::emit`. Every command reaches the app through the [`Desktop`] controller
//! in Tauri's managed state.
//!
//! - [`preferences`]: the settings themselves (read, change, hotkey check, API token) and the
//!   UI language.
//! - [`devices`]: the microphone list and the live level meter.
//! - [`model_manager`]: the catalog with installed state; downloads with progress and cancel,
//!   installs from a local file, removal (all through the one model service).
//! - [`history_view`]: recent transcripts, copy, delete, clear.
//! - [`recorder`]: the global hotkey let go while the hotkey recorder listens.
//!
//! Errors are typed ([`Problem`]) up to here; a command's answer carries them as text in the
//! window's language. Long work (downloads, installs) runs on its own thread and reports
//! through events, so a command never keeps the window waiting.

pub mod devices;
pub mod history_view;
pub mod model_manager;
pub mod preferences;
pub mod recorder;

use noi_desktop_core::messages::{Lang, Localize, Problem};
use tauri::Wry;

use crate::desktop::Desktop;

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

/// The window's language: the settings' choice, the system locale deciding when asked to.
pub fn window_lang(desktop: &Desktop) -> Lang {
    Lang::for_choice(desktop.settings().general.language)
}

/// A command's error as the window shows it.
pub fn said(desktop: &Desktop, problem: Problem) -> String {
    problem.localized(window_lang(desktop))
}

/// Several problems (an apply where some parts did not take), as one message.
pub fn said_all(desktop: &Desktop, problems: Vec<Problem>) -> String {
    let lang = window_lang(desktop);
    let texts: Vec<String> = problems.iter().map(|p| p.localized(lang)).collect();
    texts.join("; ")
}
