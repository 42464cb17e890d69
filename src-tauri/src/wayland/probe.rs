//! What this Wayland session offers, probed once at start: the compositor's globals (virtual
//! keyboard, data control), its IPC, the GlobalShortcuts portal.

use noi_desktop_core::session::{Capabilities, DesktopFamily, Session};
use wayland_client::Connection;
use wayland_client::globals::{GlobalListContents, registry_queue_init};
use wayland_client::protocol::wl_registry;

use super::{hyprland, portal, sway};

/// Test hook: globals (comma-separated interface names) the probe acts as if the compositor
/// did not offer, for the tests of desktops that lack them (sway cannot withhold a global).
const HIDE_GLOBALS_ENV: &str = "NOI_TEST_HIDE_WAYLAND_GLOBALS";

pub fn capabilities(session: &Session) -> Capabilities {
    let globals = wayland_globals().unwrap_or_else(|error| {
        tracing::warn!("could not list the compositor's globals: {error}");
        Vec::new()
    });
    let hidden = std::env::var(HIDE_GLOBALS_ENV).unwrap_or_default();
    let has = |name: &str| {
        globals.iter().any(|g| g == name) && !hidden.split(',').any(|h| h.trim() == name)
    };
    let portal = portal::global_shortcuts_version();
    match &portal {
        Ok(version) => tracing::info!("GlobalShortcuts portal, version {version}"),
        Err(error) => tracing::info!("no GlobalShortcuts portal: {error}"),
    }
    Capabilities {
        global_shortcuts_portal: portal.is_ok(),
        virtual_keyboard: has("zwp_virtual_keyboard_manager_v1"),
        data_control: has("zwlr_data_control_manager_v1") || has("ext_data_control_manager_v1"),
        compositor_ipc: match session.desktop {
            DesktopFamily::Sway => sway::available(),
            DesktopFamily::Hyprland => hyprland::available(),
            _ => false,
        },
    }
}

/// The interface names the compositor advertises.
fn wayland_globals() -> Result<Vec<String>, String> {
    let connection = Connection::connect_to_env().map_err(|e| e.to_string())?;
    let (globals, _queue) =
        registry_queue_init::<Registry>(&connection).map_err(|e| e.to_string())?;
    Ok(globals
        .contents()
        .clone_list()
        .into_iter()
        .map(|g| g.interface)
        .collect())
}

struct Registry;

impl wayland_client::Dispatch<wl_registry::WlRegistry, GlobalListContents> for Registry {
    fn event(
        _: &mut Registry,
        _: &wl_registry::WlRegistry,
        _: wl_registry::Event,
        _: &GlobalListContents,
        _: &Connection,
        _: &wayland_client::QueueHandle<Registry>,
    ) {
    }
}
