//! The settings as the window edits them.
//!
//! The window sends *patches* (`{"output": {"mode": "type"}}`); `noi-desktop-core`'s
//! `settings_patch` merges one into the current settings and checks it, and the controller's
//! `apply_settings` saves and carries it out (hotkey, tray, start at login, API, model) and
//! tells the window, which is also how the window hears of changes made in the tray.

use std::path::PathBuf;
use std::sync::Arc;

use noi_desktop_core::api_discovery;
use noi_desktop_core::hotkey::{Accelerator, conflicts};
use noi_desktop_core::messages::{Localize, Problem, system_locale};
use noi_desktop_core::settings::Settings;
use noi_desktop_core::settings_patch::apply_patch;
use serde::Serialize;
use serde_json::Value;
use tauri::State;

use super::{said, said_all, window_lang};
use crate::desktop::Desktop;

#[tauri::command(async)]
pub fn get_settings(desktop: State<'_, Arc<Desktop>>) -> Settings {
    desktop.settings()
}

/// Merges `patch` into the current settings, applies and saves the result, and returns the
/// settings now in force. An error names what did not apply (the rest did).
#[tauri::command(async)]
pub fn update_settings(desktop: State<'_, Arc<Desktop>>, patch: Value) -> Result<Settings, String> {
    let new = apply_patch(&desktop.settings(), patch)
        .map_err(|problem| said(&desktop, problem.into()))?;
    apply(&desktop, new)
}

/// Applies `new`; the settings in force, or what did not apply.
fn apply(desktop: &Desktop, new: Settings) -> Result<Settings, String> {
    desktop
        .apply_settings(new)
        .map(|()| desktop.settings())
        .map_err(|problems| said_all(desktop, problems))
}

/// What the window needs besides the settings.
#[derive(Debug, Clone, Serialize)]
pub struct UiInfo {
    /// "vi" or "en": the window's language, the system locale deciding when set to System.
    pub language: &'static str,
    pub system_locale: Option<String>,
    pub settings_file: String,
    /// The port the API really listens on (the next free one when the chosen one was taken).
    pub api_port: Option<u16>,
    pub version: &'static str,
    /// On Wayland: the backends in use and what to do about missing ones.
    pub session: Vec<String>,
}

#[tauri::command(async)]
pub fn ui_info(desktop: State<'_, Arc<Desktop>>) -> UiInfo {
    UiInfo {
        language: window_lang(&desktop).code(),
        system_locale: system_locale(),
        settings_file: desktop.core.settings_file().display().to_string(),
        api_port: desktop.api_port(),
        version: env!("CARGO_PKG_VERSION"),
        session: desktop.session_lines(window_lang(&desktop)),
    }
}

/// A combination the recorder captured, in its canonical form, with the reasons not to use it.
#[derive(Debug, Clone, Serialize)]
pub struct HotkeyCheck {
    pub accelerator: String,
    pub conflicts: Vec<String>,
}

/// Parses `accelerator` (e.g. "Ctrl+Alt+KeyR", the recorder's spelling) and lists conflicts,
/// in the window's language.
#[tauri::command(async)]
pub fn check_hotkey(
    desktop: State<'_, Arc<Desktop>>,
    accelerator: String,
) -> Result<HotkeyCheck, String> {
    let lang = window_lang(&desktop);
    let parsed: Accelerator = accelerator
        .parse()
        .map_err(|e| Problem::Hotkey(e).localized(lang))?;
    Ok(HotkeyCheck {
        accelerator: parsed.to_string(),
        conflicts: conflicts(&parsed)
            .iter()
            .map(|c| c.localized(lang))
            .collect(),
    })
}

/// A new API token, saved and in force at once: the old one stops working.
#[tauri::command(async)]
pub fn regenerate_token(desktop: State<'_, Arc<Desktop>>) -> Result<Settings, String> {
    let token = api_discovery::generate_token()
        .map_err(|e| said(&desktop, Problem::Token(e.to_string())))?;
    let mut new = desktop.settings();
    new.api.token = Some(token);
    apply(&desktop, new)
}

/// Writes the replacements or the hotwords as plain text (the formats `noi --replacements`
/// and `--hotwords` read) and returns the file's path.
#[tauri::command(async)]
pub fn export_words(desktop: State<'_, Arc<Desktop>>, kind: String) -> Result<String, String> {
    let settings = desktop.settings();
    let (name, text) = match kind.as_str() {
        "replacements" => (
            "noi-replacements.txt",
            noi_text::format_replacements(&settings.text.options.replacements),
        ),
        "hotwords" => ("noi-hotwords.txt", hotwords_text(&settings.text.hotwords)),
        _ => return Err(said(&desktop, Problem::UnknownWordList(kind))),
    };
    let path = export_dir().join(name);
    std::fs::write(&path, text).map_err(|e| {
        let problem = Problem::Export {
            path: path.display().to_string(),
            detail: e.to_string(),
        };
        said(&desktop, problem)
    })?;
    Ok(path.display().to_string())
}

fn hotwords_text(hotwords: &[String]) -> String {
    let mut text = String::new();
    for line in hotwords {
        text.push_str(line);
        text.push('\n');
    }
    text
}

/// `$XDG_DOCUMENTS_DIR`-less and dependency-free: the home folder, else the temp folder.
fn export_dir() -> PathBuf {
    std::env::var_os("HOME")
        .map(PathBuf::from)
        .filter(|home| home.is_dir())
        .unwrap_or_else(std::env::temp_dir)
}

/// Replaces the replacements with the rules in `text` (one a line, `a | b => C`), checked by
/// the text pipeline's own parser so an error names the line.
#[tauri::command(async)]
pub fn set_replacements(
    desktop: State<'_, Arc<Desktop>>,
    text: String,
) -> Result<Settings, String> {
    let rules = noi_text::parse_replacements(&text)
        .map_err(|e| said(&desktop, Problem::Replacements(e.to_string())))?;
    let mut new = desktop.settings();
    new.text.options.replacements = rules;
    apply(&desktop, new)
}

/// The replacements as plain text, as [`set_replacements`] reads them.
#[tauri::command(async)]
pub fn replacements_text(desktop: State<'_, Arc<Desktop>>) -> String {
    noi_text::format_replacements(&desktop.settings().text.options.replacements)
}
