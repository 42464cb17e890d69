//! Which desktop session Nói runs in and, from that, which backends carry the hotkey, the
//! clipboard and the keystrokes. Pure: the shell reads the environment and probes what the
//! session offers ([`Capabilities`]); [`choose_backends`] decides.
//!
//! Why it matters: on X11 one global key grab, XTest and the X clipboard work everywhere. A
//! Wayland session has none of them for a background app; each compositor family offers its own
//! way (the GlobalShortcuts portal, a compositor's IPC, the virtual-keyboard protocol, the
//! data-control clipboard), and where none is offered the app must say so and still lose nothing
//! (docs/desktop.md, "Wayland").

use std::fmt;

use crate::messages::Lang;

/// The kind of graphical session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionKind {
    X11,
    Wayland,
    /// Windows and macOS: one native way for everything.
    Native,
}

/// The desktop family, as far as it changes which backends exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DesktopFamily {
    Gnome,
    Kde,
    Sway,
    Hyprland,
    Other,
}

/// The session as the environment describes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Session {
    pub kind: SessionKind,
    pub desktop: DesktopFamily,
    /// A Wayland session with XWayland (`DISPLAY` set): X11 apps run there, and the X clipboard
    /// and XTest reach them.
    pub xwayland: bool,
}

impl Session {
    /// Reads `XDG_SESSION_TYPE`, `WAYLAND_DISPLAY`, `DISPLAY`, `XDG_CURRENT_DESKTOP`, `SWAYSOCK`
    /// and `HYPRLAND_INSTANCE_SIGNATURE` through `var` (the process environment in the app).
    pub fn from_env(native_platform: bool, var: impl Fn(&str) -> Option<String>) -> Session {
        let set = |name: &str| var(name).is_some_and(|v| !v.trim().is_empty());
        let session_type = var("XDG_SESSION_TYPE").unwrap_or_default().to_lowercase();
        let kind = if native_platform {
            SessionKind::Native
        } else if session_type == "wayland" || (set("WAYLAND_DISPLAY") && session_type != "x11") {
            SessionKind::Wayland
        } else {
            SessionKind::X11
        };
        Session {
            kind,
            desktop: desktop_family(&var("XDG_CURRENT_DESKTOP").unwrap_or_default(), &set),
            xwayland: kind == SessionKind::Wayland && set("DISPLAY"),
        }
    }
}

/// `XDG_CURRENT_DESKTOP` is a colon-separated list ("ubuntu:GNOME", "KDE", "sway"); the
/// compositors' own sockets decide when it is missing (sway started from a TTY sets none).
fn desktop_family(current: &str, set: &impl Fn(&str) -> bool) -> DesktopFamily {
    for name in current.split(':').map(str::to_lowercase) {
        match name.as_str() {
            "gnome" | "gnome-classic" | "unity" | "pop" => return DesktopFamily::Gnome,
            "kde" | "plasma" => return DesktopFamily::Kde,
            "sway" => return DesktopFamily::Sway,
            "hyprland" => return DesktopFamily::Hyprland,
            _ => {}
        }
    }
    if set("SWAYSOCK") {
        DesktopFamily::Sway
    } else if set("HYPRLAND_INSTANCE_SIGNATURE") {
        DesktopFamily::Hyprland
    } else {
        DesktopFamily::Other
    }
}

/// What the shell found the session to offer (probed once at start).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Capabilities {
    /// xdg-desktop-portal's GlobalShortcuts interface answers on the session bus.
    pub global_shortcuts_portal: bool,
    /// The compositor offers `zwp_virtual_keyboard_manager_v1`.
    pub virtual_keyboard: bool,
    /// The compositor offers a data-control clipboard (`zwlr_data_control_manager_v1` or
    /// `ext_data_control_manager_v1`).
    pub data_control: bool,
    /// The compositor's IPC socket (sway's `SWAYSOCK`, Hyprland's) answers.
    pub compositor_ipc: bool,
}

/// How the dictation hotkey reaches the app.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HotkeyBackend {
    /// The system's global key grab (X11, Windows, macOS), press and release.
    Grab,
    /// xdg-desktop-portal GlobalShortcuts: Activated/Deactivated give press and release.
    Portal,
    /// A binding added through sway's IPC; its press and release come back as IPC events.
    SwayBinding,
    /// A binding added through Hyprland's IPC that runs `noi-desktop --start` / `--stop`.
    HyprlandBinding,
    /// A desktop shortcut (GNOME custom keybinding, KDE service shortcut) that runs
    /// `noi-desktop --toggle`; added when the user asks (one click), press only.
    DesktopShortcut(DesktopFamily),
    /// Nothing global: the API and `noi-desktop --toggle` still work.
    None,
}

/// How keystrokes (the paste chord, or typed text) reach the focused app.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeystrokeBackend {
    /// XTest on X11, SendInput on Windows, CGEvent on macOS.
    System,
    /// The Wayland virtual-keyboard protocol, spoken in-process.
    VirtualKeyboard,
    /// XTest through XWayland: reaches X11 windows only.
    XWaylandOnly,
    None,
}

/// Where the clipboard is read and written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClipboardBackend {
    System,
    /// The Wayland clipboard through the data-control protocol.
    WaylandDataControl,
    /// XWayland's CLIPBOARD, which the compositor bridges to Wayland apps.
    XWaylandBridge,
    None,
}

/// Where the focused window's identity (terminal or not) comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FocusSource {
    X11,
    SwayIpc,
    HyprlandIpc,
    /// Only XWayland windows are known (the X server's active window); native ones are not.
    XWaylandOnly,
    Unknown,
}

/// The backends in use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backends {
    pub session: Session,
    pub hotkey: HotkeyBackend,
    pub keystrokes: KeystrokeBackend,
    pub clipboard: ClipboardBackend,
    pub focus: FocusSource,
}

/// The best backend of each kind this session offers (the portal first, then the compositor's
/// own way, except on sway, whose bindings come first; paste keys through the virtual
/// keyboard, XTest only for XWayland).
pub fn choose_backends(session: Session, caps: Capabilities) -> Backends {
    if session.kind != SessionKind::Wayland {
        return Backends {
            session,
            hotkey: HotkeyBackend::Grab,
            keystrokes: KeystrokeBackend::System,
            clipboard: ClipboardBackend::System,
            focus: if session.kind == SessionKind::X11 {
                FocusSource::X11
            } else {
                FocusSource::Unknown
            },
        };
    }
    let ipc = |family| session.desktop == family && caps.compositor_ipc;
    // sway first: no portal implements GlobalShortcuts for sway (xdg-desktop-portal-wlr does
    // not), so one that answers there is another desktop's backend (KDE's, when installed),
    // which may bind nothing; sway's own bindings always work and give press and release.
    let hotkey = if ipc(DesktopFamily::Sway) {
        HotkeyBackend::SwayBinding
    } else if caps.global_shortcuts_portal {
        HotkeyBackend::Portal
    } else if ipc(DesktopFamily::Hyprland) {
        HotkeyBackend::HyprlandBinding
    } else if matches!(session.desktop, DesktopFamily::Gnome | DesktopFamily::Kde) {
        HotkeyBackend::DesktopShortcut(session.desktop)
    } else {
        HotkeyBackend::None
    };
    let keystrokes = if caps.virtual_keyboard {
        KeystrokeBackend::VirtualKeyboard
    } else if session.xwayland {
        KeystrokeBackend::XWaylandOnly
    } else {
        KeystrokeBackend::None
    };
    let clipboard = if caps.data_control {
        ClipboardBackend::WaylandDataControl
    } else if session.xwayland {
        ClipboardBackend::XWaylandBridge
    } else {
        ClipboardBackend::None
    };
    let focus = if ipc(DesktopFamily::Sway) {
        FocusSource::SwayIpc
    } else if ipc(DesktopFamily::Hyprland) {
        FocusSource::HyprlandIpc
    } else if session.xwayland {
        FocusSource::XWaylandOnly
    } else {
        FocusSource::Unknown
    };
    Backends {
        session,
        hotkey,
        keystrokes,
        clipboard,
        focus,
    }
}

/// How the recording overlay can be shown without taking the focus (the text must go to the
/// app the user was in, not to the overlay).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OverlayPlacement {
    /// A window the app positions and marks unfocusable (X11, Windows, macOS).
    Window,
    /// sway: a `for_window` rule (by our pid) makes it floating, sticky and never focused.
    SwayRule,
    /// Other Wayland desktops: a plain window could be focused when it maps, and its
    /// position cannot be chosen, so there is no overlay (the sound cues and tray remain).
    None,
}

impl Backends {
    /// Where the overlay can go in this session.
    pub fn overlay_placement(&self) -> OverlayPlacement {
        match (self.session.kind, self.focus) {
            (SessionKind::Wayland, FocusSource::SwayIpc) => OverlayPlacement::SwayRule,
            (SessionKind::Wayland, _) => OverlayPlacement::None,
            _ => OverlayPlacement::Window,
        }
    }

    /// Whether keys can reach the focused window: `target_is_x11` is whether it is an X11 /
    /// XWayland window (`None`: not known).
    pub fn can_send_keys(&self, target_is_x11: Option<bool>) -> bool {
        match self.keystrokes {
            KeystrokeBackend::System | KeystrokeBackend::VirtualKeyboard => true,
            KeystrokeBackend::XWaylandOnly => target_is_x11 == Some(true),
            KeystrokeBackend::None => false,
        }
    }

    /// Whether the hotkey gives a release too (hold-to-talk), or only presses (toggle).
    pub fn hotkey_has_release(&self) -> bool {
        matches!(
            self.hotkey,
            HotkeyBackend::Grab
                | HotkeyBackend::Portal
                | HotkeyBackend::SwayBinding
                | HotkeyBackend::HyprlandBinding
        )
    }

    /// What the tray and the settings window show about the session (Wayland only): the
    /// backends, what to do about a missing one, and a missing tray (`tray`: a tray host runs).
    pub fn lines(&self, tray: bool, lang: Lang) -> Vec<String> {
        if self.session.kind != SessionKind::Wayland {
            return Vec::new();
        }
        let mut lines = vec![self.summary(lang)];
        lines.extend(self.advice(lang));
        if !tray {
            lines.push(match lang {
                Lang::En => "No tray on this desktop: on GNOME install the AppIndicator \
                             extension; on sway run a bar with a tray (swaybar, waybar). The \
                             hotkey works without it."
                    .to_owned(),
                Lang::Vi => "Môi trường này không có khay hệ thống: trên GNOME hãy cài tiện ích \
                             AppIndicator; trên sway hãy chạy thanh có khay (swaybar, waybar). \
                             Phím tắt vẫn hoạt động."
                    .to_owned(),
            });
        }
        lines
    }

    /// One line for the tray and the settings window: the session and the backends in use.
    pub fn summary(&self, lang: Lang) -> String {
        let session = match (self.session.kind, lang) {
            (SessionKind::X11, _) => "X11".to_owned(),
            (SessionKind::Native, _) => return String::new(),
            (SessionKind::Wayland, _) => format!("Wayland ({})", self.session.desktop),
        };
        let hotkey = hotkey_name(self.hotkey, lang);
        let keys = keystroke_name(self.keystrokes, lang);
        match lang {
            Lang::En => format!("{session}: hotkey {hotkey}; text {keys}"),
            Lang::Vi => format!("{session}: phím tắt {hotkey}; văn bản {keys}"),
        }
    }

    /// What the user can do about each missing backend, one sentence each (empty when nothing
    /// is missing).
    pub fn advice(&self, lang: Lang) -> Vec<String> {
        let mut advice = Vec::new();
        match (self.hotkey, lang) {
            (HotkeyBackend::None, Lang::En) => advice.push(
                "No global hotkey on this desktop: bind a key to `noi-desktop --toggle` in its \
                 keyboard settings."
                    .to_owned(),
            ),
            (HotkeyBackend::None, Lang::Vi) => advice.push(
                "Môi trường này không có phím tắt toàn cục: hãy gán một phím cho \
                 `noi-desktop --toggle` trong phần cài đặt bàn phím."
                    .to_owned(),
            ),
            (HotkeyBackend::DesktopShortcut(_), Lang::En) => advice.push(
                "The hotkey works once added as a desktop shortcut: use \"Add desktop shortcut\" \
                 (it runs `noi-desktop --toggle`: press to start, press again to stop)."
                    .to_owned(),
            ),
            (HotkeyBackend::DesktopShortcut(_), Lang::Vi) => advice.push(
                "Phím tắt hoạt động sau khi thêm làm phím tắt của môi trường: bấm \"Thêm phím tắt\" \
                 (nó chạy `noi-desktop --toggle`: bấm để bắt đầu, bấm lần nữa để dừng)."
                    .to_owned(),
            ),
            _ => {}
        }
        match (self.keystrokes, lang) {
            (KeystrokeBackend::None, Lang::En) => advice.push(
                "This desktop lets no app send keys: the text is copied; press Ctrl+V to paste it."
                    .to_owned(),
            ),
            (KeystrokeBackend::None, Lang::Vi) => advice.push(
                "Môi trường này không cho ứng dụng gửi phím: văn bản được chép; nhấn Ctrl+V để dán."
                    .to_owned(),
            ),
            (KeystrokeBackend::XWaylandOnly, Lang::En) => advice.push(
                "Keys reach X11 apps only here: in other apps the text is copied; press Ctrl+V \
                 to paste it."
                    .to_owned(),
            ),
            (KeystrokeBackend::XWaylandOnly, Lang::Vi) => advice.push(
                "Ở đây chỉ gửi được phím tới ứng dụng X11: ở ứng dụng khác văn bản được chép; \
                 nhấn Ctrl+V để dán."
                    .to_owned(),
            ),
            _ => {}
        }
        advice
    }
}

fn hotkey_name(hotkey: HotkeyBackend, lang: Lang) -> &'static str {
    match (hotkey, lang) {
        (HotkeyBackend::Grab, Lang::En) => "by global grab",
        (HotkeyBackend::Grab, Lang::Vi) => "bắt phím toàn cục",
        (HotkeyBackend::Portal, Lang::En) => "through the desktop portal",
        (HotkeyBackend::Portal, Lang::Vi) => "qua cổng desktop portal",
        (HotkeyBackend::SwayBinding, Lang::En) => "through sway's key bindings",
        (HotkeyBackend::SwayBinding, Lang::Vi) => "qua phím gán của sway",
        (HotkeyBackend::HyprlandBinding, Lang::En) => "through Hyprland's key bindings",
        (HotkeyBackend::HyprlandBinding, Lang::Vi) => "qua phím gán của Hyprland",
        (HotkeyBackend::DesktopShortcut(_), Lang::En) => "as a desktop shortcut",
        (HotkeyBackend::DesktopShortcut(_), Lang::Vi) => "qua phím tắt của môi trường",
        (HotkeyBackend::None, Lang::En) => "unavailable",
        (HotkeyBackend::None, Lang::Vi) => "không có",
    }
}

fn keystroke_name(keys: KeystrokeBackend, lang: Lang) -> &'static str {
    match (keys, lang) {
        (KeystrokeBackend::System, Lang::En) => "pasted by keystrokes",
        (KeystrokeBackend::System, Lang::Vi) => "dán bằng phím",
        (KeystrokeBackend::VirtualKeyboard, Lang::En) => "pasted through a virtual keyboard",
        (KeystrokeBackend::VirtualKeyboard, Lang::Vi) => "dán qua bàn phím ảo",
        (KeystrokeBackend::XWaylandOnly, Lang::En) => "pasted into X11 apps, copied elsewhere",
        (KeystrokeBackend::XWaylandOnly, Lang::Vi) => "dán vào ứng dụng X11, nơi khác thì chép",
        (KeystrokeBackend::None, Lang::En) => "copied (press Ctrl+V)",
        (KeystrokeBackend::None, Lang::Vi) => "được chép (nhấn Ctrl+V)",
    }
}

impl fmt::Display for DesktopFamily {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DesktopFamily::Gnome => "GNOME",
            DesktopFamily::Kde => "KDE Plasma",
            DesktopFamily::Sway => "sway",
            DesktopFamily::Hyprland => "Hyprland",
            DesktopFamily::Other => "other",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(vars: &[(&str, &str)]) -> Session {
        Session::from_env(false, |name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_owned())
        })
    }

    const ALL: Capabilities = Capabilities {
        global_shortcuts_portal: true,
        virtual_keyboard: true,
        data_control: true,
        compositor_ipc: true,
    };
    const NONE: Capabilities = Capabilities {
        global_shortcuts_portal: false,
        virtual_keyboard: false,
        data_control: false,
        compositor_ipc: false,
    };

    #[test]
    fn the_session_kind_follows_the_environment() {
        assert_eq!(session(&[("DISPLAY", ":0")]).kind, SessionKind::X11);
        let wayland = session(&[("WAYLAND_DISPLAY", "wayland-1"), ("DISPLAY", ":1")]);
        assert_eq!(wayland.kind, SessionKind::Wayland);
        assert!(wayland.xwayland);
        // An X11 session that exports a nested compositor's socket stays X11.
        let x11 = session(&[
            ("XDG_SESSION_TYPE", "x11"),
            ("WAYLAND_DISPLAY", "wayland-1"),
            ("DISPLAY", ":0"),
        ]);
        assert_eq!(x11.kind, SessionKind::X11);
        assert!(!x11.xwayland);
        assert_eq!(
            session(&[("XDG_SESSION_TYPE", "wayland")]).kind,
            SessionKind::Wayland
        );
        assert!(!session(&[("WAYLAND_DISPLAY", "w")]).xwayland);
        assert_eq!(Session::from_env(true, |_| None).kind, SessionKind::Native);
    }

    #[test]
    fn the_desktop_family_comes_from_current_desktop_or_the_sockets() {
        let family = |vars: &[(&str, &str)]| session(vars).desktop;
        assert_eq!(
            family(&[("XDG_CURRENT_DESKTOP", "ubuntu:GNOME")]),
            DesktopFamily::Gnome
        );
        assert_eq!(
            family(&[("XDG_CURRENT_DESKTOP", "KDE")]),
            DesktopFamily::Kde
        );
        assert_eq!(
            family(&[("XDG_CURRENT_DESKTOP", "sway")]),
            DesktopFamily::Sway
        );
        assert_eq!(
            family(&[("XDG_CURRENT_DESKTOP", "Hyprland")]),
            DesktopFamily::Hyprland
        );
        assert_eq!(
            family(&[("SWAYSOCK", "/run/sway.sock")]),
            DesktopFamily::Sway
        );
        assert_eq!(
            family(&[("HYPRLAND_INSTANCE_SIGNATURE", "abc")]),
            DesktopFamily::Hyprland
        );
        assert_eq!(
            family(&[("XDG_CURRENT_DESKTOP", "XFCE")]),
            DesktopFamily::Other
        );
    }

    fn wayland(desktop: &str) -> Session {
        session(&[
            ("WAYLAND_DISPLAY", "wayland-1"),
            ("DISPLAY", ":1"),
            ("XDG_CURRENT_DESKTOP", desktop),
        ])
    }

    #[test]
    fn x11_and_native_sessions_use_the_system_backends() {
        let x11 = choose_backends(session(&[("DISPLAY", ":0")]), NONE);
        assert_eq!(x11.hotkey, HotkeyBackend::Grab);
        assert_eq!(x11.keystrokes, KeystrokeBackend::System);
        assert_eq!(x11.clipboard, ClipboardBackend::System);
        assert_eq!(x11.focus, FocusSource::X11);
        let native = choose_backends(Session::from_env(true, |_| None), NONE);
        assert_eq!(native.hotkey, HotkeyBackend::Grab);
        assert_eq!(native.focus, FocusSource::Unknown);
    }

    #[test]
    fn the_portal_comes_first_wherever_it_answers_but_on_sway() {
        assert_eq!(
            choose_backends(wayland("sway"), ALL).hotkey,
            HotkeyBackend::SwayBinding
        );
        let no_ipc = Capabilities {
            compositor_ipc: false,
            ..ALL
        };
        assert_eq!(
            choose_backends(wayland("sway"), no_ipc).hotkey,
            HotkeyBackend::Portal
        );
        for desktop in ["KDE", "GNOME", "Hyprland", "river"] {
            assert_eq!(
                choose_backends(wayland(desktop), ALL).hotkey,
                HotkeyBackend::Portal,
                "{desktop}"
            );
        }
    }

    #[test]
    fn without_the_portal_each_desktop_gets_its_own_way() {
        let ipc = Capabilities {
            compositor_ipc: true,
            ..NONE
        };
        let hotkey = |desktop, caps| choose_backends(wayland(desktop), caps).hotkey;
        assert_eq!(hotkey("sway", ipc), HotkeyBackend::SwayBinding);
        assert_eq!(hotkey("Hyprland", ipc), HotkeyBackend::HyprlandBinding);
        assert_eq!(
            hotkey("GNOME", NONE),
            HotkeyBackend::DesktopShortcut(DesktopFamily::Gnome)
        );
        assert_eq!(
            hotkey("KDE", NONE),
            HotkeyBackend::DesktopShortcut(DesktopFamily::Kde)
        );
        // sway whose socket does not answer, and unknown compositors: nothing global.
        assert_eq!(hotkey("sway", NONE), HotkeyBackend::None);
        assert_eq!(hotkey("river", ipc), HotkeyBackend::None);
    }

    #[test]
    fn keys_go_through_the_virtual_keyboard_else_xwayland_else_nowhere() {
        let vk = Capabilities {
            virtual_keyboard: true,
            ..NONE
        };
        let sway = choose_backends(wayland("sway"), vk);
        assert_eq!(sway.keystrokes, KeystrokeBackend::VirtualKeyboard);
        assert!(sway.can_send_keys(None));
        let gnome = choose_backends(wayland("GNOME"), NONE);
        assert_eq!(gnome.keystrokes, KeystrokeBackend::XWaylandOnly);
        assert!(gnome.can_send_keys(Some(true)));
        assert!(!gnome.can_send_keys(Some(false)));
        assert!(!gnome.can_send_keys(None));
        let bare = choose_backends(
            session(&[("WAYLAND_DISPLAY", "w"), ("XDG_CURRENT_DESKTOP", "GNOME")]),
            NONE,
        );
        assert_eq!(bare.keystrokes, KeystrokeBackend::None);
        assert!(!bare.can_send_keys(Some(true)));
    }

    #[test]
    fn the_clipboard_is_data_control_else_the_xwayland_bridge() {
        let dc = Capabilities {
            data_control: true,
            ..NONE
        };
        assert_eq!(
            choose_backends(wayland("sway"), dc).clipboard,
            ClipboardBackend::WaylandDataControl
        );
        assert_eq!(
            choose_backends(wayland("GNOME"), NONE).clipboard,
            ClipboardBackend::XWaylandBridge
        );
        let bare = session(&[("WAYLAND_DISPLAY", "w")]);
        assert_eq!(
            choose_backends(bare, NONE).clipboard,
            ClipboardBackend::None
        );
    }

    #[test]
    fn the_focused_window_comes_from_the_compositor_where_it_tells() {
        let ipc = Capabilities {
            compositor_ipc: true,
            ..NONE
        };
        assert_eq!(
            choose_backends(wayland("sway"), ipc).focus,
            FocusSource::SwayIpc
        );
        assert_eq!(
            choose_backends(wayland("Hyprland"), ipc).focus,
            FocusSource::HyprlandIpc
        );
        assert_eq!(
            choose_backends(wayland("KDE"), ipc).focus,
            FocusSource::XWaylandOnly
        );
    }

    #[test]
    fn the_overlay_shows_where_it_cannot_take_the_focus() {
        let ipc = Capabilities {
            compositor_ipc: true,
            ..NONE
        };
        let placement = |session, caps| choose_backends(session, caps).overlay_placement();
        assert_eq!(
            placement(session(&[("DISPLAY", ":0")]), NONE),
            OverlayPlacement::Window
        );
        assert_eq!(placement(wayland("sway"), ipc), OverlayPlacement::SwayRule);
        assert_eq!(placement(wayland("sway"), NONE), OverlayPlacement::None);
        assert_eq!(placement(wayland("GNOME"), ALL), OverlayPlacement::None);
    }

    #[test]
    fn the_session_lines_are_for_wayland_and_name_a_missing_tray() {
        let x11 = choose_backends(session(&[("DISPLAY", ":0")]), NONE);
        assert!(x11.lines(false, Lang::En).is_empty());
        let sway = choose_backends(wayland("sway"), ALL);
        assert_eq!(sway.lines(true, Lang::En).len(), 1);
        let lines = sway.lines(false, Lang::Vi);
        assert_eq!(lines.len(), 2);
        assert!(lines[1].contains("AppIndicator"));
        let gnome = choose_backends(wayland("GNOME"), NONE);
        assert_eq!(gnome.lines(false, Lang::En).len(), 4);
    }

    #[test]
    fn press_only_backends_are_told_apart() {
        let gnome = choose_backends(wayland("GNOME"), NONE);
        assert!(!gnome.hotkey_has_release());
        let sway = choose_backends(
            wayland("sway"),
            Capabilities {
                compositor_ipc: true,
                ..NONE
            },
        );
        assert!(sway.hotkey_has_release());
    }

    #[test]
    fn the_summary_and_advice_name_what_is_missing_in_both_languages() {
        let gnome = choose_backends(wayland("GNOME"), NONE);
        assert_eq!(
            gnome.summary(Lang::En),
            "Wayland (GNOME): hotkey as a desktop shortcut; text pasted into X11 apps, copied \
             elsewhere"
        );
        assert!(
            gnome
                .summary(Lang::Vi)
                .starts_with("Wayland (GNOME): phím tắt")
        );
        let advice = gnome.advice(Lang::En);
        assert_eq!(advice.len(), 2);
        assert!(advice[0].contains("Add desktop shortcut"));
        assert!(advice[1].contains("Ctrl+V"));
        assert_eq!(gnome.advice(Lang::Vi).len(), 2);
        let sway = choose_backends(wayland("sway"), ALL);
        assert!(sway.advice(Lang::En).is_empty());
        let x11 = choose_backends(session(&[("DISPLAY", ":0")]), NONE);
        assert_eq!(
            x11.summary(Lang::En),
            "X11: hotkey by global grab; text pasted by keystrokes"
        );
    }
}
