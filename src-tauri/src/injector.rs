//! Puts a final text into the focused app: paste (clipboard + Ctrl+V / Ctrl+Shift+V), type
//! (Unicode keystrokes) or copy only. The decisions are `noi_desktop_core::injection_rules` and
//! `noi_desktop_core::session` (which keystroke backend); this module only carries them out with
//! arboard (X11, Wayland data control) and enigo (XTest, Windows, macOS) or the Wayland
//! virtual keyboard. Where no key reaches the focused app, the text is copied and the user told.
//!
//! One `arboard::Clipboard` lives as long as the app: on X11 the clipboard's content is served
//! by its owner, and a dropped owner takes its text with it before the target has pasted.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use enigo::{Direction, Enigo, Key, Keyboard};
use noi_desktop_core::hotkey::{Accelerator, modifiers_to_release};
use noi_desktop_core::injection_rules::{
    ClipboardContent, Method, OutputMode, PasteKeys, Window, choose_method, clipboard_still_ours,
    mode_for_keys,
};
use noi_desktop_core::session::{Backends, KeystrokeBackend};
use thiserror::Error;

use crate::focus::FocusProbe;
use crate::x11_probe::FocusedWindow;

/// How long injection waits for the user to let go of the hotkey's modifiers.
pub const MODIFIER_WAIT: Duration = Duration::from_secs(3);

#[derive(Debug, Error)]
pub enum InjectError {
    #[error(
        "the clipboard is not available ({0}); the text is in history: use \"Copy last transcript\""
    )]
    Clipboard(String),
    #[error("cannot send keystrokes ({0}); the text is in history: use \"Copy last transcript\"")]
    Keyboard(String),
    #[error(
        "the hotkey's keys were still held after {0:?}; the text is in history: use \"Copy last transcript\""
    )]
    ModifiersHeld(Duration),
}

/// What the user had on the clipboard, kept to put back.
#[derive(Debug, Clone)]
enum SavedClipboard {
    Text { text: String, html: Option<String> },
    Image(arboard::ImageData<'static>),
}

/// A restore waiting for its delay (the target must have read our text first).
struct PendingRestore {
    ours: String,
    /// The user's clipboard, when there was one to put back.
    saved: Option<SavedClipboard>,
    /// The user's PRIMARY selection, when the paste went through it (xterm, urxvt).
    primary: Option<String>,
    due: Instant,
}

pub struct Injector {
    clipboard: Mutex<Option<arboard::Clipboard>>,
    keyboard: Mutex<Keystrokes>,
    probe: FocusProbe,
    backends: Backends,
    pending: Mutex<Option<PendingRestore>>,
}

impl Injector {
    pub fn new(backends: Backends) -> Arc<Injector> {
        let clipboard = arboard::Clipboard::new()
            .map_err(|e| tracing::warn!("clipboard unavailable: {e}"))
            .ok();
        let mut keyboard = Keystrokes::new(backends.keystrokes);
        if let Err(error) = keyboard.ready() {
            tracing::warn!("{error}");
        }
        Arc::new(Injector {
            clipboard: Mutex::new(clipboard),
            keyboard: Mutex::new(keyboard),
            probe: FocusProbe::new(backends.focus),
            backends,
            pending: Mutex::new(None),
        })
    }

    pub fn focused_window(&self) -> Option<FocusedWindow> {
        self.probe.focused_window()
    }

    /// Waits until none of the hotkey's modifiers is held (else Ctrl+V arrives as
    /// Ctrl+Alt+V). Without an X server there is nothing to ask, so it returns at once; a
    /// Wayland virtual keyboard carries its own modifier state, so held keys do not mix in.
    pub fn wait_for_modifiers_up(&self, hotkey: &Accelerator) -> Result<(), InjectError> {
        let Some(probe) = self.probe.x11() else {
            return Ok(());
        };
        let deadline = Instant::now() + MODIFIER_WAIT;
        while !modifiers_to_release(hotkey, probe.held_modifiers()).is_empty() {
            if Instant::now() >= deadline {
                return Err(InjectError::ModifiersHeld(MODIFIER_WAIT));
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        Ok(())
    }

    /// Delivers `text` by `mode` into `target`. Paste schedules the clipboard restore after
    /// `restore_delay` on its own thread; the caller is not held up by it.
    pub fn deliver(
        self: &Arc<Self>,
        text: &str,
        mode: OutputMode,
        target: Option<&FocusedWindow>,
        paste_delay: Duration,
        restore_delay: Duration,
    ) -> Result<Method, InjectError> {
        // A restore still pending from the last dictation happens now, so this one saves the
        // user's clipboard and not our previous text.
        self.restore_now();
        let mode = mode_for_keys(mode, self.backends.can_send_keys(target.map(|w| w.x11)));
        let saved = if mode == OutputMode::Paste {
            self.save_clipboard()?
        } else {
            None
        };
        let previous = match (&saved, self.clipboard_unreadable_but_owned()) {
            (Some(SavedClipboard::Text { .. }), _) => ClipboardContent::Text,
            (Some(SavedClipboard::Image(_)), _) => ClipboardContent::Image,
            (None, true) if mode == OutputMode::Paste => ClipboardContent::Unsavable,
            (None, _) => ClipboardContent::Empty,
        };
        let window = target.map(|w| Window {
            class: &w.class,
            name: &w.instance,
        });
        let method = choose_method(mode, window, previous);
        match method {
            Method::Type => self.type_text(text)?,
            Method::CopyOnly => self.set_clipboard(text)?,
            Method::Paste {
                keys,
                restore_clipboard,
            } => {
                self.set_clipboard(text)?;
                let primary = match keys {
                    PasteKeys::ShiftInsertPrimary => Some(self.set_primary(text)?),
                    _ => None,
                };
                // Some targets read the clipboard lazily: give the new owner a moment to
                // register before the keys arrive.
                std::thread::sleep(paste_delay);
                self.press_paste(keys)?;
                let saved = saved.filter(|_| restore_clipboard);
                let primary = primary.flatten();
                if saved.is_some() || primary.is_some() {
                    self.schedule_restore(text, saved, primary, restore_delay);
                }
            }
        }
        Ok(method)
    }

    /// Puts `text` on the clipboard (tray "Copy last transcript").
    pub fn set_clipboard(&self, text: &str) -> Result<(), InjectError> {
        let mut clipboard = self.clipboard.lock().unwrap_or_else(|e| e.into_inner());
        let clipboard = clipboard
            .as_mut()
            .ok_or_else(|| InjectError::Clipboard("no clipboard on this session".into()))?;
        clipboard
            .set_text(text)
            .map_err(|e| InjectError::Clipboard(e.to_string()))
    }

    /// Puts `text` on the PRIMARY selection too (what Shift+Insert pastes in the X terminals
    /// that paste no clipboard); returns what the selection held before, to put back.
    fn set_primary(&self, text: &str) -> Result<Option<String>, InjectError> {
        let mut clipboard = self.clipboard.lock().unwrap_or_else(|e| e.into_inner());
        let clipboard = clipboard
            .as_mut()
            .ok_or_else(|| InjectError::Clipboard("no clipboard on this session".into()))?;
        let before = primary::get(clipboard);
        primary::set(clipboard, text).map_err(|e| InjectError::Clipboard(e.to_string()))?;
        Ok(before)
    }

    fn save_clipboard(&self) -> Result<Option<SavedClipboard>, InjectError> {
        let mut clipboard = self.clipboard.lock().unwrap_or_else(|e| e.into_inner());
        let clipboard = clipboard
            .as_mut()
            .ok_or_else(|| InjectError::Clipboard("no clipboard on this session".into()))?;
        if let Ok(text) = clipboard.get_text() {
            let html = clipboard.get().html().ok();
            return Ok(Some(SavedClipboard::Text { text, html }));
        }
        Ok(clipboard.get_image().ok().map(SavedClipboard::Image))
    }

    /// Somebody owns the clipboard, yet it held neither text nor an image we could read.
    fn clipboard_unreadable_but_owned(&self) -> bool {
        self.probe.x11().is_some_and(|p| p.clipboard_has_owner())
    }

    fn schedule_restore(
        self: &Arc<Self>,
        ours: &str,
        saved: Option<SavedClipboard>,
        primary: Option<String>,
        delay: Duration,
    ) {
        let due = Instant::now() + delay;
        *self.pending.lock().unwrap_or_else(|e| e.into_inner()) = Some(PendingRestore {
            ours: ours.to_owned(),
            saved,
            primary,
            due,
        });
        let injector = Arc::clone(self);
        std::thread::spawn(move || {
            std::thread::sleep(delay);
            injector.restore_due();
        });
    }

    fn restore_due(&self) {
        let mut pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        if pending.as_ref().is_some_and(|p| p.due <= Instant::now()) {
            let restore = pending.take().expect("checked");
            drop(pending);
            self.restore(restore);
        }
    }

    fn restore_now(&self) {
        let restore = self
            .pending
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        if let Some(restore) = restore {
            self.restore(restore);
        }
    }

    /// Puts the user's clipboard (and PRIMARY selection) back, unless something else was
    /// copied (or selected) meanwhile.
    fn restore(&self, restore: PendingRestore) {
        let mut clipboard = self.clipboard.lock().unwrap_or_else(|e| e.into_inner());
        let Some(clipboard) = clipboard.as_mut() else {
            return;
        };
        if let Some(before) = restore.primary {
            let current = primary::get(clipboard);
            if clipboard_still_ours(current.as_deref(), &restore.ours)
                && let Err(error) = primary::set(clipboard, &before)
            {
                tracing::warn!("could not restore the primary selection: {error}");
            }
        }
        let Some(saved) = restore.saved else {
            return;
        };
        let current = clipboard.get_text().ok();
        if !clipboard_still_ours(current.as_deref(), &restore.ours) {
            tracing::debug!("clipboard changed since the paste; not restoring it");
            return;
        }
        let result = match saved {
            SavedClipboard::Text {
                text,
                html: Some(html),
            } => clipboard.set_html(html, Some(text)),
            SavedClipboard::Text { text, html: None } => clipboard.set_text(text),
            SavedClipboard::Image(image) => clipboard.set_image(image),
        };
        if let Err(error) = result {
            tracing::warn!("could not restore the clipboard: {error}");
        }
    }

    fn type_text(&self, text: &str) -> Result<(), InjectError> {
        self.keyboard
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .type_text(text)
    }

    fn press_paste(&self, keys: PasteKeys) -> Result<(), InjectError> {
        self.keyboard
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .paste(keys)
    }
}

/// The keystroke backend the session chose, connected on first use and again after a failure
/// (the display may come up after the app, at login).
enum Keystrokes {
    /// Boxed: enigo's connection is large and this is one value for the app's life.
    System(Option<Box<Enigo>>),
    #[cfg(target_os = "linux")]
    Virtual(Option<crate::wayland::virtual_keyboard::VirtualKeyboard>),
    None,
}

impl Keystrokes {
    fn new(backend: KeystrokeBackend) -> Keystrokes {
        match backend {
            KeystrokeBackend::System | KeystrokeBackend::XWaylandOnly => Keystrokes::System(None),
            #[cfg(target_os = "linux")]
            KeystrokeBackend::VirtualKeyboard => Keystrokes::Virtual(None),
            _ => Keystrokes::None,
        }
    }

    /// Connects the backend if it is not yet.
    fn ready(&mut self) -> Result<(), InjectError> {
        match self {
            Keystrokes::System(enigo @ None) => {
                *enigo = Some(Box::new(
                    Enigo::new(&enigo::Settings::default())
                        .map_err(|e| InjectError::Keyboard(e.to_string()))?,
                ));
            }
            #[cfg(target_os = "linux")]
            Keystrokes::Virtual(keyboard @ None) => {
                *keyboard = Some(
                    crate::wayland::virtual_keyboard::VirtualKeyboard::connect()
                        .map_err(|e| InjectError::Keyboard(e.to_string()))?,
                );
            }
            Keystrokes::None => {
                return Err(InjectError::Keyboard(
                    "no keystrokes can be sent on this desktop".into(),
                ));
            }
            _ => {}
        }
        Ok(())
    }

    fn type_text(&mut self, text: &str) -> Result<(), InjectError> {
        self.ready()?;
        let result = match self {
            Keystrokes::System(Some(enigo)) => enigo.text(text).map_err(|e| e.to_string()),
            #[cfg(target_os = "linux")]
            Keystrokes::Virtual(Some(keyboard)) => {
                keyboard.type_text(text).map_err(|e| e.to_string())
            }
            _ => Ok(()),
        };
        self.forget_on_error(result)
    }

    fn paste(&mut self, keys: PasteKeys) -> Result<(), InjectError> {
        self.ready()?;
        let result = match self {
            Keystrokes::System(Some(enigo)) => {
                press_paste_keys(enigo, keys).map_err(|e| e.to_string())
            }
            #[cfg(target_os = "linux")]
            Keystrokes::Virtual(Some(keyboard)) => keyboard.paste(keys).map_err(|e| e.to_string()),
            _ => Ok(()),
        };
        self.forget_on_error(result)
    }

    /// A failed connection is dropped, to be made anew next time.
    fn forget_on_error(&mut self, result: Result<(), String>) -> Result<(), InjectError> {
        if result.is_err() {
            match self {
                Keystrokes::System(enigo) => *enigo = None,
                #[cfg(target_os = "linux")]
                Keystrokes::Virtual(keyboard) => *keyboard = None,
                Keystrokes::None => {}
            }
        }
        result.map_err(InjectError::Keyboard)
    }
}

/// The paste chord through enigo (XTest, SendInput, CGEvent).
fn press_paste_keys(enigo: &mut Enigo, keys: PasteKeys) -> enigo::InputResult<()> {
    if keys == PasteKeys::ShiftInsertPrimary {
        return press_shift_insert(enigo);
    }
    enigo.key(Key::Control, Direction::Press)?;
    if keys == PasteKeys::CtrlShiftV {
        enigo.key(Key::Shift, Direction::Press)?;
    }
    let pressed = enigo.key(Key::Unicode('v'), Direction::Click);
    if keys == PasteKeys::CtrlShiftV {
        enigo.key(Key::Shift, Direction::Release)?;
    }
    enigo.key(Key::Control, Direction::Release)?;
    pressed
}

/// Shift+Insert: xterm's and urxvt's paste of the PRIMARY selection.
#[cfg(any(target_os = "windows", all(unix, not(target_os = "macos"))))]
fn press_shift_insert(enigo: &mut Enigo) -> enigo::InputResult<()> {
    enigo.key(Key::Shift, Direction::Press)?;
    let pressed = enigo.key(Key::Insert, Direction::Click);
    enigo.key(Key::Shift, Direction::Release)?;
    pressed
}

/// No Insert key to send here; the X terminals that need it do not run on macOS.
#[cfg(target_os = "macos")]
fn press_shift_insert(_: &mut Enigo) -> enigo::InputResult<()> {
    Ok(())
}

/// The X11 PRIMARY selection (what the terminals' Shift+Insert pastes).
#[cfg(all(unix, not(target_os = "macos")))]
mod primary {
    use arboard::{Clipboard, GetExtLinux, LinuxClipboardKind, SetExtLinux};

    pub fn get(clipboard: &mut Clipboard) -> Option<String> {
        clipboard
            .get()
            .clipboard(LinuxClipboardKind::Primary)
            .text()
            .ok()
    }

    pub fn set(clipboard: &mut Clipboard, text: &str) -> Result<(), arboard::Error> {
        clipboard
            .set()
            .clipboard(LinuxClipboardKind::Primary)
            .text(text.to_owned())
    }
}

/// Other systems have no PRIMARY selection; the terminals that need it are X11 ones.
#[cfg(not(all(unix, not(target_os = "macos"))))]
mod primary {
    use arboard::Clipboard;

    pub fn get(_: &mut Clipboard) -> Option<String> {
        None
    }

    pub fn set(_: &mut Clipboard, _: &str) -> Result<(), arboard::Error> {
        Ok(())
    }
}
