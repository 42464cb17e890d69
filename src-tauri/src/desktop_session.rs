//! The session this app runs in and the backends chosen for it, decided once at start
//! (`noi_desktop_core::session`); the probes of what a Wayland compositor offers are in
//! `wayland::probe`.

use noi_desktop_core::messages::Lang;
use noi_desktop_core::session::{Backends, Capabilities, Session, SessionKind, choose_backends};

pub fn detect() -> Backends {
    let native = cfg!(any(target_os = "windows", target_os = "macos"));
    let session = Session::from_env(native, |name| std::env::var(name).ok());
    let capabilities = if session.kind == SessionKind::Wayland {
        probe(&session)
    } else {
        Capabilities::default()
    };
    let backends = choose_backends(session, capabilities);
    tracing::info!("session: {}", backends.summary(Lang::En));
    backends
}

#[cfg(target_os = "linux")]
fn probe(session: &Session) -> Capabilities {
    crate::wayland::probe::capabilities(session)
}

#[cfg(not(target_os = "linux"))]
fn probe(_: &Session) -> Capabilities {
    Capabilities::default()
}

/// Whether a tray host (StatusNotifierWatcher) is on the session bus. X11 trays also take the
/// older XEmbed icons, so only a Wayland session without a watcher has no tray at all.
pub fn has_tray(backends: &Backends) -> bool {
    backends.session.kind != SessionKind::Wayland || status_notifier_watcher()
}

#[cfg(target_os = "linux")]
fn status_notifier_watcher() -> bool {
    let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    else {
        return false;
    };
    runtime.block_on(async {
        let Ok(connection) = zbus::Connection::session().await else {
            return false;
        };
        let Ok(bus) = zbus::fdo::DBusProxy::new(&connection).await else {
            return false;
        };
        let name = zbus::names::BusName::try_from("org.kde.StatusNotifierWatcher")
            .expect("a valid bus name");
        bus.name_has_owner(name).await.unwrap_or(false)
    })
}

#[cfg(not(target_os = "linux"))]
fn status_notifier_watcher() -> bool {
    true
}
