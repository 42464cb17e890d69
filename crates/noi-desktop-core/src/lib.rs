//! The desktop app's decisions and persistence, without a display.
//!
//! `noi-desktop` (src-tauri) is the OS integration: tray, global hotkey, microphone, typing and
//! pasting, the settings window. Everything in it that *decides* or *stores* lives here instead:
//! the dictation state machine, hotkey parsing and conflict checks, injection rules, the
//! settings file, history, and API discovery.
//!
//! Why a separate crate: these are the parts with the tricky cases (auto-repeat races, cancel
//! while finishing, corrupt settings files, clipboard restore rules), and they test in
//! milliseconds with plain `cargo test`, with no GTK, WebKitGTK or display to build or run.
//! The shell executes what this crate decides (docs/architecture.md, "Crates, one job each"
//! and "The desktop app's event flow").
//!
//! Modules, one job each:
//! - [`coordinator`]: the one owner of Idle → Recording → Finishing (→ Error); a pure
//!   transition function from messages to effects.
//! - [`hotkey`]: accelerator strings, conflicts with Vietnamese input-method keys, which
//!   modifiers must be up before injecting.
//! - [`injection_rules`]: paste, type or copy; Ctrl+Shift+V in terminals; clipboard restore;
//!   spacing between dictations.
//! - [`settings`]: the typed settings file (`~/.config/noi/settings.toml`).
//! - [`settings_patch`]: the settings window's edits merged into the settings and checked.
//! - [`tray_status`]: the tray's status line and icon.
//! - [`messages`]: errors and conflicts in the window's language (English or Vietnamese).
//! - [`overlay`]: what the recording overlay shows, how often it redraws, when it goes.
//! - [`session`]: X11 or Wayland, which desktop, and the hotkey / keystroke / clipboard
//!   backends chosen from what the session offers.
//! - [`desktop_shortcut`]: the hotkey as sway, Hyprland, GNOME and KDE spell it, and the
//!   commands that add and remove it where there is no portal.
//! - [`history`]: transcripts in SQLite (`~/.local/share/noi/history.sqlite3`).
//! - [`api_discovery`]: `api.json` (port, token, pid) for local clients, port choice, tokens.
//!
//! Environment: `NOI_CONFIG_DIR` replaces the config dir, `NOI_DATA_DIR` the data dir (as in
//! noi-models).

pub mod api_discovery;
pub mod coordinator;
pub mod desktop_shortcut;
mod fsutil;
pub mod history;
pub mod hotkey;
pub mod injection_rules;
pub mod messages;
pub mod overlay;
pub mod session;
pub mod settings;
pub mod settings_patch;
pub mod tray_status;
