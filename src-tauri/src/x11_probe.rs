//! What the injector needs to know from the X server: the focused window (terminal or not, and
//! which window, for spacing between dictations), which modifier keys are physically down, and
//! whether anybody owns the clipboard. Wayland hides all of it; there the probe is absent and
//! the rules fall back to their "unknown" answers.

use noi_desktop_core::hotkey::{Modifier, Modifiers};
use x11rb::connection::Connection;
use x11rb::protocol::xproto::{AtomEnum, ConnectionExt, KeyButMask, Window};
use x11rb::rust_connection::RustConnection;

/// The focused top-level window.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FocusedWindow {
    /// The X window id, as text (stable while the window lives).
    pub id: String,
    /// `WM_CLASS` class part (e.g. "XTerm").
    pub class: String,
    /// `WM_CLASS` instance part (e.g. "xterm").
    pub instance: String,
    /// An X11 window (on X11, or through XWayland): XTest reaches it.
    pub x11: bool,
}

pub struct X11Probe {
    conn: RustConnection,
    root: Window,
}

impl X11Probe {
    /// Connects to `$DISPLAY`; `None` without an X server (Wayland, headless).
    pub fn connect() -> Option<X11Probe> {
        std::env::var_os("DISPLAY")?;
        let (conn, screen) = x11rb::connect(None).ok()?;
        let root = conn.setup().roots.get(screen)?.root;
        Some(X11Probe { conn, root })
    }

    /// The modifiers now held, from the core pointer's key mask.
    pub fn held_modifiers(&self) -> Modifiers {
        let Some(reply) = self
            .conn
            .query_pointer(self.root)
            .ok()
            .and_then(|c| c.reply().ok())
        else {
            return Modifiers::NONE;
        };
        let mask = reply.mask;
        [
            (KeyButMask::CONTROL, Modifier::Ctrl),
            (KeyButMask::MOD1, Modifier::Alt),
            (KeyButMask::SHIFT, Modifier::Shift),
            (KeyButMask::MOD4, Modifier::Super),
        ]
        .into_iter()
        .filter(|(bit, _)| mask.contains(*bit))
        .map(|(_, modifier)| modifier)
        .collect()
    }

    /// Whether some client owns the CLIPBOARD selection (it may hold a format we cannot read).
    pub fn clipboard_has_owner(&self) -> bool {
        let Some(atom) = self.atom(b"CLIPBOARD") else {
            return false;
        };
        self.conn
            .get_selection_owner(atom)
            .ok()
            .and_then(|c| c.reply().ok())
            .is_some_and(|r| r.owner != x11rb::NONE)
    }

    /// The active window (EWMH `_NET_ACTIVE_WINDOW`, else the input focus) and its class.
    pub fn focused_window(&self) -> Option<FocusedWindow> {
        let window = self.active_window().or_else(|| self.input_focus())?;
        let (instance, class) = self.wm_class_up_the_tree(window).unwrap_or_default();
        Some(FocusedWindow {
            id: window.to_string(),
            class,
            instance,
            x11: true,
        })
    }

    fn atom(&self, name: &[u8]) -> Option<u32> {
        Some(self.conn.intern_atom(false, name).ok()?.reply().ok()?.atom)
    }

    fn active_window(&self) -> Option<Window> {
        let atom = self.atom(b"_NET_ACTIVE_WINDOW")?;
        let reply = self
            .conn
            .get_property(false, self.root, atom, AtomEnum::WINDOW, 0, 1)
            .ok()?
            .reply()
            .ok()?;
        reply.value32()?.next().filter(|&w| w != x11rb::NONE)
    }

    fn input_focus(&self) -> Option<Window> {
        let focus = self.conn.get_input_focus().ok()?.reply().ok()?.focus;
        (focus > 1).then_some(focus)
    }

    /// `WM_CLASS` of the window or its nearest ancestor that has one (the focus is often a
    /// child of the client window).
    fn wm_class_up_the_tree(&self, mut window: Window) -> Option<(String, String)> {
        for _ in 0..8 {
            if let Some(class) = self.wm_class(window) {
                return Some(class);
            }
            let tree = self.conn.query_tree(window).ok()?.reply().ok()?;
            if tree.parent == x11rb::NONE || tree.parent == tree.root {
                return None;
            }
            window = tree.parent;
        }
        None
    }

    fn wm_class(&self, window: Window) -> Option<(String, String)> {
        let reply = self
            .conn
            .get_property(false, window, AtomEnum::WM_CLASS, AtomEnum::STRING, 0, 256)
            .ok()?
            .reply()
            .ok()?;
        let mut parts = reply
            .value
            .split(|&b| b == 0)
            .map(|p| String::from_utf8_lossy(p).into_owned());
        let instance = parts.next().filter(|s| !s.is_empty())?;
        let class = parts.next().unwrap_or_default();
        Some((instance, class))
    }
}
