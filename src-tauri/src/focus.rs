//! Which window has the focus (a terminal pastes with Ctrl+Shift+V; XTest reaches X11 windows
//! only), from the source the session offers: the X server, sway's or Hyprland's IPC, or
//! XWayland's active window.

use noi_desktop_core::session::FocusSource;

use crate::x11_probe::{FocusedWindow, X11Probe};

pub enum FocusProbe {
    X11(X11Probe),
    #[cfg(target_os = "linux")]
    Sway,
    #[cfg(target_os = "linux")]
    Hyprland,
    /// Under Wayland, XWayland's active window is set only while an X11 window has the focus.
    XWayland(X11Probe),
    Unknown,
}

impl FocusProbe {
    pub fn new(source: FocusSource) -> FocusProbe {
        let x11 = X11Probe::connect;
        match source {
            FocusSource::X11 => x11().map_or(FocusProbe::Unknown, FocusProbe::X11),
            #[cfg(target_os = "linux")]
            FocusSource::SwayIpc => FocusProbe::Sway,
            #[cfg(target_os = "linux")]
            FocusSource::HyprlandIpc => FocusProbe::Hyprland,
            FocusSource::XWaylandOnly => x11().map_or(FocusProbe::Unknown, FocusProbe::XWayland),
            _ => FocusProbe::Unknown,
        }
    }

    pub fn focused_window(&self) -> Option<FocusedWindow> {
        match self {
            FocusProbe::X11(probe) | FocusProbe::XWayland(probe) => probe.focused_window(),
            #[cfg(target_os = "linux")]
            FocusProbe::Sway => crate::wayland::sway::focused_window(),
            #[cfg(target_os = "linux")]
            FocusProbe::Hyprland => crate::wayland::hyprland::focused_window(),
            FocusProbe::Unknown => None,
        }
    }

    /// The X server, where the keyboard state and the clipboard owner can be asked (X11 only:
    /// under Wayland the physical keyboard's state is not visible to other apps).
    pub fn x11(&self) -> Option<&X11Probe> {
        match self {
            FocusProbe::X11(probe) => Some(probe),
            _ => None,
        }
    }
}
