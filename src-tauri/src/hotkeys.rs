//! The dictation hotkey and Escape, by the route the session offers
//! (`noi_desktop_core::session::HotkeyBackend`): Tauri's global-shortcut plugin (X11, Windows,
//! macOS), the GlobalShortcuts portal, sway's IPC bindings, Hyprland's bindings, or a desktop
//! shortcut the user adds with one click (GNOME, KDE). Presses and releases go to the
//! coordinator as they come, with the time they arrived; debouncing and the deferred release
//! against X11 auto-repeat are the coordinator's (pure, tested) business.
//!
//! Escape is grabbed only while recording, so it is not stolen from other apps.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Sender;
use std::time::Instant;

use noi_desktop_core::coordinator::Message;
use noi_desktop_core::hotkey::Accelerator;
use noi_desktop_core::messages::Problem;
use noi_desktop_core::session::HotkeyBackend;
use tauri::AppHandle;
use tauri_plugin_global_shortcut::{GlobalShortcutExt, Shortcut, ShortcutEvent, ShortcutState};

use crate::core::Event;

/// The dictation hotkey and Escape. Each registration carries its own handler, which turns
/// the key's events into coordinator messages on the loop's channel.
pub struct Hotkeys {
    app: AppHandle,
    events: Sender<Event>,
    route: HotkeyBackend,
    /// The registered dictation hotkey, if any.
    current: Mutex<Option<Registered>>,
    /// The user added a desktop shortcut (GNOME, KDE) this session: a new hotkey replaces it.
    desktop_shortcut_added: AtomicBool,
    escape: Shortcut,
}

/// What holds a registered hotkey.
enum Registered {
    Grab(Shortcut),
    #[cfg(target_os = "linux")]
    Portal {
        accelerator: Accelerator,
        /// Held for its session (dropping it closes the portal session); it also holds the
        /// portal's description of the trigger.
        session: crate::wayland::portal::PortalHotkey,
    },
    /// Bound through the compositor's IPC (sway, Hyprland); removed by the same route.
    Compositor(Accelerator),
    /// Nothing is registered by the app: a desktop shortcut runs `noi-desktop --toggle`.
    External(Accelerator),
}

impl Hotkeys {
    pub fn new(app: &AppHandle, events: Sender<Event>, route: HotkeyBackend) -> Hotkeys {
        #[cfg(target_os = "linux")]
        if route == HotkeyBackend::SwayBinding
            && let Err(error) = crate::wayland::sway::listen(forward_to(events.clone()))
        {
            tracing::warn!("cannot hear sway's bindings: {error}");
        }
        Hotkeys {
            app: app.clone(),
            events,
            route,
            current: Mutex::new(None),
            desktop_shortcut_added: AtomicBool::new(false),
            escape: "Escape".parse().expect("Escape is a valid shortcut"),
        }
    }

    /// Registers `accelerator` in place of the current hotkey. On failure the old one is
    /// kept registered and the error (for the tray and settings) returned. The answer is what
    /// the hotkey is to be called: the portal's own description of the trigger it bound (the
    /// user may have chosen another key in its dialog), else the accelerator.
    pub fn set_hotkey(&self, accelerator: &Accelerator) -> Result<String, Problem> {
        let mut current = self.current.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(registered) = current.as_ref().filter(|r| r.accelerator_is(accelerator)) {
            return Ok(registered.described(accelerator));
        }
        let unavailable = |detail: String| Problem::HotkeyUnavailable {
            combo: accelerator.to_string(),
            detail,
        };
        let registered = match self.route {
            HotkeyBackend::Grab => Registered::Grab(self.grab(accelerator)?),
            #[cfg(target_os = "linux")]
            HotkeyBackend::Portal => {
                let bound = crate::wayland::portal::bind(accelerator, forward_to(self.sender()))
                    .map_err(unavailable)?;
                tracing::info!("the portal bound the hotkey as \"{}\"", bound.trigger);
                Registered::Portal {
                    accelerator: *accelerator,
                    session: bound,
                }
            }
            #[cfg(target_os = "linux")]
            HotkeyBackend::SwayBinding => {
                if let Some(Registered::Compositor(old)) = current.as_ref() {
                    crate::wayland::sway::unbind(old);
                }
                crate::wayland::sway::bind(accelerator).map_err(unavailable)?;
                tracing::info!(
                    "to keep the hotkey at every login, add to ~/.config/sway/config: {}",
                    noi_desktop_core::desktop_shortcut::sway_config_line(accelerator, &own_exe())
                );
                Registered::Compositor(*accelerator)
            }
            #[cfg(target_os = "linux")]
            HotkeyBackend::HyprlandBinding => {
                if let Some(Registered::Compositor(old)) = current.as_ref() {
                    crate::wayland::hyprland::unbind(old);
                }
                crate::wayland::hyprland::bind(accelerator, &own_exe()).map_err(unavailable)?;
                Registered::Compositor(*accelerator)
            }
            #[cfg(target_os = "linux")]
            HotkeyBackend::DesktopShortcut(family)
                if self.desktop_shortcut_added.load(Ordering::SeqCst) =>
            {
                crate::wayland::desktop_shortcut::set(family, Some(accelerator), &own_exe())
                    .map_err(unavailable)?;
                Registered::External(*accelerator)
            }
            _ => Registered::External(*accelerator),
        };
        let described = registered.described(accelerator);
        if let Some(Registered::Grab(old)) = current.replace(registered) {
            let _ = self.app.global_shortcut().unregister(old);
        }
        tracing::info!("hotkey {accelerator} registered ({:?})", self.route);
        Ok(described)
    }

    /// "Add desktop shortcut": GNOME's custom keybinding or KDE's service shortcut running
    /// `noi-desktop --toggle`.
    pub fn add_desktop_shortcut(&self, accelerator: &Accelerator) -> Result<(), Problem> {
        let HotkeyBackend::DesktopShortcut(_family) = self.route else {
            return Ok(());
        };
        #[cfg(target_os = "linux")]
        crate::wayland::desktop_shortcut::set(_family, Some(accelerator), &own_exe()).map_err(
            |detail| Problem::HotkeyUnavailable {
                combo: accelerator.to_string(),
                detail,
            },
        )?;
        self.desktop_shortcut_added.store(true, Ordering::SeqCst);
        tracing::info!("desktop shortcut {accelerator} added");
        Ok(())
    }

    fn grab(&self, accelerator: &Accelerator) -> Result<Shortcut, Problem> {
        let shortcut = to_shortcut(accelerator)?;
        let events = self.sender();
        self.app
            .global_shortcut()
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
        Ok(shortcut)
    }

    /// "Pause hotkey", or the recorder listening: unregisters it until
    /// [`Hotkeys::set_hotkey`] is called again.
    pub fn pause(&self) {
        let mut current = self.current.lock().unwrap_or_else(|e| e.into_inner());
        match current.take() {
            Some(Registered::Grab(old)) => {
                let _ = self.app.global_shortcut().unregister(old);
            }
            #[cfg(target_os = "linux")]
            Some(Registered::Compositor(old)) => match self.route {
                HotkeyBackend::SwayBinding => crate::wayland::sway::unbind(&old),
                _ => crate::wayland::hyprland::unbind(&old),
            },
            // Dropping the portal's hotkey closes its session.
            _ => {}
        }
    }

    pub fn set_escape(&self, registered: bool) {
        #[cfg(target_os = "linux")]
        if self.route == HotkeyBackend::SwayBinding {
            crate::wayland::sway::set_escape(registered);
            return;
        }
        if self.route != HotkeyBackend::Grab {
            // No way to take Escape alone on this desktop; the tray's Cancel still works.
            return;
        }
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

impl Registered {
    /// The name to show for the hotkey: the portal's description when it gave one.
    fn described(&self, accelerator: &Accelerator) -> String {
        match self {
            #[cfg(target_os = "linux")]
            Registered::Portal { session, .. } if !session.trigger.is_empty() => {
                session.trigger.clone()
            }
            _ => accelerator.to_string(),
        }
    }

    fn accelerator_is(&self, accelerator: &Accelerator) -> bool {
        match self {
            Registered::Grab(shortcut) => {
                to_shortcut(accelerator).is_ok_and(|wanted| wanted == *shortcut)
            }
            Registered::Compositor(current) | Registered::External(current) => {
                current == accelerator
            }
            #[cfg(target_os = "linux")]
            Registered::Portal {
                accelerator: current,
                ..
            } => current == accelerator,
        }
    }
}

/// A hotkey message's way onto the loop's channel; false once the loop is gone.
fn forward_to(events: Sender<Event>) -> impl Fn(Message) -> bool + Send + 'static {
    move |message| events.send(Event::Coordinator(message)).is_ok()
}

/// This program's path, for bindings that run it (`noi-desktop --start`).
pub fn own_exe() -> String {
    std::env::current_exe()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|_| "noi-desktop".to_owned())
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
