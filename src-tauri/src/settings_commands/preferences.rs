//! The settings as the window edits them.
//!
//! The window sends *patches* (`{"output": {"mode": "type"}}`), not whole settings: a patch is
//! merged into the app's current settings, so a change made in the tray a moment earlier is
//! never overwritten by the window's older copy. The merged value goes through
//! [`crate::app::apply_settings`], which saves it and carries it out (hotkey, tray, start at
//! login, model).
//!
//! The tray changes settings without telling anyone but the coordinator, so a watcher thread
//! (alive while the window exists) compares the settings and the newest history entry every
//! [`WATCH_INTERVAL`] and pushes changes to the window. When the window is gone it brings back
//! a hotkey the recorder let go.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use noi_desktop_core::api_discovery;
use noi_desktop_core::hotkey::{Accelerator, conflicts};
use noi_desktop_core::settings::{Settings, UiLanguage};
use serde::Serialize;
use serde_json::Value;
use tauri::{AppHandle, Manager, State};

use super::{emit, events};
use crate::core::AppCore;
use crate::settings_window;

/// How often the watcher looks for changes made elsewhere (the tray, a dictation).
const WATCH_INTERVAL: Duration = Duration::from_millis(400);

/// The app's current settings (and, the first time, the watcher starts).
#[tauri::command(async)]
pub fn get_settings(app: AppHandle, core: State<'_, Arc<AppCore>>) -> Settings {
    start_watcher(&app);
    core.settings()
}

/// Merges `patch` into the current settings, applies and saves the result, and returns the
/// settings now in force. An error names what did not apply (the rest did).
#[tauri::command(async)]
pub fn update_settings(
    app: AppHandle,
    core: State<'_, Arc<AppCore>>,
    patch: Value,
) -> Result<Settings, String> {
    let new = patched(&core.settings(), patch)?;
    validate(&new)?;
    let applied = crate::app::apply_settings(&app, new);
    applied.map(|()| core.settings())
}

/// `current` with `patch` merged in (objects key by key, anything else replaced).
pub fn patched(current: &Settings, patch: Value) -> Result<Settings, String> {
    let mut value = serde_json::to_value(current).map_err(|e| e.to_string())?;
    merge(&mut value, patch);
    serde_json::from_value(value).map_err(|e| format!("invalid setting: {e}"))
}

fn merge(into: &mut Value, patch: Value) {
    match (into, patch) {
        (Value::Object(into), Value::Object(patch)) => {
            for (key, value) in patch {
                merge(into.entry(key).or_insert(Value::Null), value);
            }
        }
        (into, patch) => *into = patch,
    }
}

/// What the types alone do not rule out.
fn validate(settings: &Settings) -> Result<(), String> {
    if settings.api.port != 0 && settings.api.port < 1024 {
        return Err(format!(
            "port {} needs administrator rights: choose one from 1024 to 65535",
            settings.api.port
        ));
    }
    if settings.output.paste_delay_ms > 5_000 {
        return Err("a paste delay over 5000 ms would feel broken: choose 0–5000 ms".into());
    }
    for origin in &settings.api.allowed_origins {
        if !(origin.starts_with("http://") || origin.starts_with("https://")) {
            return Err(format!(
                "\"{origin}\" is not an origin: write it as https://example.org"
            ));
        }
    }
    Ok(())
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
}

#[tauri::command(async)]
pub fn ui_info(core: State<'_, Arc<AppCore>>) -> UiInfo {
    let locale = system_locale();
    let language = match core.settings().general.language.resolve(locale.as_deref()) {
        UiLanguage::Vi => "vi",
        _ => "en",
    };
    let api_port = api_discovery::default_path()
        .ok()
        .and_then(|path| api_discovery::read(&path).ok().flatten())
        .map(|info| info.port);
    UiInfo {
        language,
        system_locale: locale,
        settings_file: core.store.path().display().to_string(),
        api_port,
        version: env!("CARGO_PKG_VERSION"),
    }
}

/// The locale the way POSIX decides it: `LC_ALL`, then `LC_MESSAGES`, then `LANG`.
fn system_locale() -> Option<String> {
    ["LC_ALL", "LC_MESSAGES", "LANG"]
        .iter()
        .filter_map(|name| std::env::var(name).ok())
        .find(|value| !value.is_empty())
}

/// A combination the recorder captured, in its canonical form, with the reasons not to use it.
#[derive(Debug, Clone, Serialize)]
pub struct HotkeyCheck {
    pub accelerator: String,
    pub conflicts: Vec<String>,
}

/// Parses `accelerator` (e.g. "Ctrl+Alt+KeyR", the recorder's spelling) and lists conflicts.
#[tauri::command(async)]
pub fn check_hotkey(accelerator: String) -> Result<HotkeyCheck, String> {
    let parsed: Accelerator = accelerator.parse().map_err(|e| format!("{e}"))?;
    Ok(HotkeyCheck {
        accelerator: parsed.to_string(),
        conflicts: conflicts(&parsed).iter().map(ToString::to_string).collect(),
    })
}

/// A new API token, saved and in force at once: the old one stops working.
#[tauri::command(async)]
pub fn regenerate_token(app: AppHandle, core: State<'_, Arc<AppCore>>) -> Result<Settings, String> {
    let token = api_discovery::generate_token().map_err(|e| e.to_string())?;
    let mut new = core.settings();
    new.api.token = Some(token);
    crate::app::apply_settings(&app, new).map(|()| core.settings())
}

/// Writes the replacements or the hotwords as plain text (the formats `noi --replacements`
/// and `--hotwords` read) and returns the file's path.
#[tauri::command(async)]
pub fn export_words(core: State<'_, Arc<AppCore>>, kind: String) -> Result<String, String> {
    let settings = core.settings();
    let (name, text) = match kind.as_str() {
        "replacements" => (
            "noi-replacements.txt",
            noi_engine::text::format_replacements(&settings.text.options.replacements),
        ),
        "hotwords" => ("noi-hotwords.txt", hotwords_text(&settings.text.hotwords)),
        other => return Err(format!("unknown word list \"{other}\"")),
    };
    let path = export_dir().join(name);
    std::fs::write(&path, text)
        .map_err(|e| format!("cannot write {}: {e}; check the folder", path.display()))?;
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
/// the engine's own parser so an error names the line.
#[tauri::command(async)]
pub fn set_replacements(
    app: AppHandle,
    core: State<'_, Arc<AppCore>>,
    text: String,
) -> Result<Settings, String> {
    let rules = noi_engine::text::parse_replacements(&text).map_err(|e| e.to_string())?;
    let mut new = core.settings();
    new.text.options.replacements = rules;
    crate::app::apply_settings(&app, new).map(|()| core.settings())
}

/// The replacements as plain text, as [`set_replacements`] reads them.
#[tauri::command(async)]
pub fn replacements_text(core: State<'_, Arc<AppCore>>) -> String {
    noi_engine::text::format_replacements(&core.settings().text.options.replacements)
}

/// One watcher at a time; it ends with the window.
static WATCHING: AtomicBool = AtomicBool::new(false);

fn start_watcher(app: &AppHandle) {
    if WATCHING.swap(true, Ordering::SeqCst) {
        return;
    }
    let app = app.clone();
    std::thread::Builder::new()
        .name("noi-settings-watch".into())
        .spawn(move || {
            watch(&app);
            WATCHING.store(false, Ordering::SeqCst);
        })
        .map_err(|e| tracing::warn!("cannot watch the settings: {e}"))
        .ok();
}

fn watch(app: &AppHandle) {
    let Some(core) = app.try_state::<Arc<AppCore>>().map(|c| Arc::clone(&c)) else {
        return;
    };
    let mut seen = core.settings();
    let mut newest = super::history_view::newest_id(&core);
    while app.get_webview_window(settings_window::LABEL).is_some() {
        std::thread::sleep(WATCH_INTERVAL);
        let now = core.settings();
        if now != seen {
            emit(app, events::SETTINGS_CHANGED, now.clone());
            seen = now;
        }
        let latest = super::history_view::newest_id(&core);
        if latest != newest {
            emit(app, events::HISTORY_CHANGED, ());
            newest = latest;
        }
    }
    // Closed while the recorder listened: the hotkey must not stay let go.
    if let Err(error) = super::recorder::resume(app) {
        tracing::warn!("hotkey: {error}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use noi_desktop_core::injection_rules::OutputMode;
    use serde_json::json;

    #[test]
    fn a_patch_changes_only_what_it_names() {
        let mut current = Settings::default();
        current.microphone.device = Some("USB".into());
        let new = patched(&current, json!({"output": {"mode": "type"}})).unwrap();
        assert_eq!(new.output.mode, OutputMode::Type);
        assert_eq!(new.microphone.device.as_deref(), Some("USB"));
        assert_eq!(new.output.paste_delay_ms, current.output.paste_delay_ms);
    }

    #[test]
    fn a_bad_hotkey_in_a_patch_is_an_error_naming_it() {
        let error = patched(
            &Settings::default(),
            json!({"hotkey": {"accelerator": "Ctrl+Hyper"}}),
        )
        .unwrap_err();
        assert!(error.contains("Hyper"), "{error}");
    }

    #[test]
    fn privileged_ports_and_bare_origins_are_refused() {
        let low = patched(&Settings::default(), json!({"api": {"port": 80}})).unwrap();
        assert!(validate(&low).unwrap_err().contains("1024"));
        let origin = patched(
            &Settings::default(),
            json!({"api": {"allowed_origins": ["example.org"]}}),
        )
        .unwrap();
        assert!(validate(&origin).unwrap_err().contains("https://"));
    }

    #[test]
    fn the_recorder_spelling_is_normalised_and_conflicts_named() {
        let check = check_hotkey("Ctrl+Alt+KeyR".into()).unwrap();
        assert_eq!(check.accelerator, "Ctrl+Alt+R");
        assert!(check.conflicts.is_empty());
        let taken = check_hotkey("Ctrl+KeyV".into()).unwrap();
        assert_eq!(taken.conflicts.len(), 1, "{:?}", taken.conflicts);
        assert!(check_hotkey("Ctrl+Alt".into()).is_err());
    }
}
