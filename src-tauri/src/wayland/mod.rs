//! Wayland sessions: what the compositor offers, and the backends built on it (docs/desktop.md,
//! "Wayland"). The choice among them is `noi_desktop_core::session` (pure); these modules only
//! speak the protocols.

pub mod desktop_shortcut;
pub mod hyprland;
pub mod portal;
pub mod probe;
pub mod sway;
pub mod virtual_keyboard;
