//! The global hotkey and Escape, through Tauri's global-shortcut plugin. Presses and releases
//! go to the coordinator as they come, with the time they arrived; debouncing and the deferred
//! release against X11 auto-repeat are the coordinator's (pure, tested) business.
//!
//! Escape is grabbed only while recording, so it is not stolen from other apps.
//! On Wayland there is no global grab: registration "succeeds" and nothing arrives; the README
//! says to bind a desktop shortcut to `noi-desktop --toggle` there.

use std::sync::Mutex;
use std::time::Instant;

use noi_desktop_core::coordinator::Message;
use noi_desktop_core::hotkey::Accelerator;
use tauri::{AppHandle, Manager};
use tauri_plugin_global_shortcut::{GlobalShortcutExt, Shortcut, ShortcutEvent, ShortcutState};

use crate::core::{AppCore, Event};

pub struct Hotkeys {
    app: AppHandle,
    /// The registered dictation hotkey, if any.
    current: Mutex<Option<Shortcut>>,
    escape: Shortcut,
}

impl Hotkeys {
    pub fn new(app: &AppHandle) -> Hotkeys {
        Hotkeys {
            app: app.clone(),
            current: Mutex::new(None),
            escape: "Escape".parse().expect("Escape is a valid shortcut"),
        }
    }

    /// Registers `accelerator` in place of the current hotkey. On failure the old one is
    /// kept registered and the error (for the tray and settings) returned.
    pub fn set_hotkey(&self, accelerator: &Accelerator) -> Result<(), String> {
        let shortcut = to_shortcut(accelerator)?;
        let mut current = self.current.lock().unwrap_or_else(|e| e.into_inner());
        if current.as_ref() == Some(&shortcut) {
            return Ok(());
        }
        let manager = self.app.global_shortcut();
        manager
            .register(shortcut)
            .map_err(|e| format!("{e} (another app may use {accelerator}; choose another)"))?;
        if let Some(old) = current.replace(shortcut) {
            let _ = manager.unregister(old);
        }
        tracing::info!("hotkey {accelerator} registered");
        Ok(())
    }

    /// "Pause hotkey": unregisters it until [`Hotkeys::set_hotkey`] is called again.
    pub fn pause(&self) {
        let mut current = self.current.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(old) = current.take() {
            let _ = self.app.global_shortcut().unregister(old);
        }
    }

    pub fn set_escape(&self, registered: bool) {
        let manager = self.app.global_shortcut();
        let result = if registered {
            manager.register(self.escape)
        } else {
            manager.unregister(self.escape)
        };
        if let Err(error) = result {
            tracing::debug!("Escape (un)registration: {error}");
        }
    }

    fn is_hotkey(&self, shortcut: &Shortcut) -> bool {
        self.current
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
            == Some(shortcut)
    }
}

/// The plugin's handler: every hotkey event becomes a coordinator message.
pub fn on_shortcut(app: &AppHandle, shortcut: &Shortcut, event: ShortcutEvent) {
    let at = Instant::now();
    let (Some(core), Some(hotkeys)) = (
        app.try_state::<std::sync::Arc<AppCore>>(),
        app.try_state::<std::sync::Arc<Hotkeys>>(),
    ) else {
        return;
    };
    let message = if *shortcut == hotkeys.escape {
        (event.state == ShortcutState::Pressed).then_some(Message::Escape)
    } else if hotkeys.is_hotkey(shortcut) {
        Some(match event.state {
            ShortcutState::Pressed => Message::HotkeyPressed { at },
            ShortcutState::Released => Message::HotkeyReleased { at },
        })
    } else {
        None
    };
    if let Some(message) = message {
        core.send(Event::Coordinator(message));
    }
}

/// Our accelerator ("Ctrl+Alt+Space") as the plugin's shortcut type.
pub fn to_shortcut(accelerator: &Accelerator) -> Result<Shortcut, String> {
    accelerator
        .to_string()
        .parse()
        .map_err(|e| format!("{accelerator} cannot be registered as a global shortcut: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accelerators_convert_to_plugin_shortcuts() {
        for text in ["Ctrl+Alt+Space", "Ctrl+Shift+F9", "Super+D", "Alt+Shift+R"] {
            let accelerator: Accelerator = text.parse().unwrap();
            to_shortcut(&accelerator).unwrap_or_else(|e| panic!("{text}: {e}"));
        }
    }
}
