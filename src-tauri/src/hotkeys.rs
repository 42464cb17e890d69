//! The global hotkey and Escape, through Tauri's global-shortcut plugin. Presses and releases
//! go to the coordinator as they come, with the time they arrived; debouncing and the deferred
//! release against X11 auto-repeat are the coordinator's (pure, tested) business.
//!
//! Escape is grabbed only while recording, so it is not stolen from other apps.
//! On Wayland there is no global grab: registration "succeeds" and nothing arrives; the README
//! says to bind a desktop shortcut to `noi-desktop --toggle` there.

use std::sync::Mutex;
use std::sync::mpsc::Sender;
use std::time::Instant;

use noi_desktop_core::coordinator::Message;
use noi_desktop_core::hotkey::Accelerator;
use noi_desktop_core::messages::Problem;
use tauri::AppHandle;
use tauri_plugin_global_shortcut::{GlobalShortcutExt, Shortcut, ShortcutEvent, ShortcutState};

use crate::core::Event;

/// The dictation hotkey and Escape. Each registration carries its own handler, which turns
/// the key's events into coordinator messages on the loop's channel.
pub struct Hotkeys {
    app: AppHandle,
    events: Sender<Event>,
    /// The registered dictation hotkey, if any.
    current: Mutex<Option<Shortcut>>,
    escape: Shortcut,
}

impl Hotkeys {
    pub fn new(app: &AppHandle, events: Sender<Event>) -> Hotkeys {
        Hotkeys {
            app: app.clone(),
            events,
            current: Mutex::new(None),
            escape: "Escape".parse().expect("Escape is a valid shortcut"),
        }
    }

    /// Registers `accelerator` in place of the current hotkey. On failure the old one is
    /// kept registered and the error (for the tray and settings) returned.
    pub fn set_hotkey(&self, accelerator: &Accelerator) -> Result<(), Problem> {
        let shortcut = to_shortcut(accelerator)?;
        let mut current = self.current.lock().unwrap_or_else(|e| e.into_inner());
        if current.as_ref() == Some(&shortcut) {
            return Ok(());
        }
        let manager = self.app.global_shortcut();
        let events = self.sender();
        manager
            .on_shortcut(shortcut, move |_, _, event| {
                let at = Instant::now();
                let message = match event.state {
                    ShortcutState::Pressed => Message::HotkeyPressed { at },
                    ShortcutState::Released => Message::HotkeyReleased { at },
                };
                let _ = events.send(Event::Coordinator(message));
            })
            .map_err(|e| Problem::HotkeyUnavailable {
                combo: accelerator.to_string(),
                detail: e.to_string(),
            })?;
        if let Some(old) = current.replace(shortcut) {
            let _ = manager.unregister(old);
        }
        tracing::info!("hotkey {accelerator} registered");
        Ok(())
    }

    /// "Pause hotkey", or the recorder listening: unregisters it until
    /// [`Hotkeys::set_hotkey`] is called again.
    pub fn pause(&self) {
        let mut current = self.current.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(old) = current.take() {
            let _ = self.app.global_shortcut().unregister(old);
        }
    }

    pub fn set_escape(&self, registered: bool) {
        let manager = self.app.global_shortcut();
        let result = if registered {
            let events = self.sender();
            manager.on_shortcut(self.escape, move |_, _, event: ShortcutEvent| {
                if event.state == ShortcutState::Pressed {
                    let _ = events.send(Event::Coordinator(Message::Escape));
                }
            })
        } else {
            manager.unregister(self.escape)
        };
        if let Err(error) = result {
            tracing::debug!("Escape (un)registration: {error}");
        }
    }

    fn sender(&self) -> Sender<Event> {
        self.events.clone()
    }
}

/// Our accelerator ("Ctrl+Alt+Space") as the plugin's shortcut type.
pub fn to_shortcut(accelerator: &Accelerator) -> Result<Shortcut, Problem> {
    accelerator
        .to_string()
        .parse::<Shortcut>()
        .map_err(|e| Problem::HotkeyUnavailable {
            combo: accelerator.to_string(),
            detail: e.to_string(),
        })
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
