//! xdg-desktop-portal's GlobalShortcuts: the hotkey offered to the portal, which asks the user
//! and answers with the trigger it bound; Activated / Deactivated are the press and release.

use std::time::{Duration, Instant};

use ashpd::desktop::global_shortcuts::{GlobalShortcuts, NewShortcut};
use futures_util::StreamExt;
use noi_desktop_core::coordinator::Message;
use noi_desktop_core::desktop_shortcut::portal_trigger;
use noi_desktop_core::hotkey::Accelerator;

/// The shortcut's id in the portal's session.
const SHORTCUT_ID: &str = "dictate";
/// Why a portal that answered with no shortcut leaves the app without a hotkey.
const NOTHING_BOUND: &str = "the desktop portal bound no key to the shortcut; set one for Nói \
     in the desktop's shortcut settings, or bind a key to `noi-desktop --toggle`";
/// How long the probe waits for the portal to answer (it may be D-Bus activated).
const PROBE_TIMEOUT: Duration = Duration::from_secs(3);

fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
}

/// The portal on a connection of this runtime's own. Not ashpd's shared connection: zbus runs
/// a connection's reader on the tokio runtime it was made in, and the probe's runtime is gone
/// by the time the hotkey is bound on another.
async fn global_shortcuts() -> Result<GlobalShortcuts, ashpd::Error> {
    let connection = zbus::Connection::session().await?;
    GlobalShortcuts::with_connection(connection).await
}

/// Whether the session's portal has the GlobalShortcuts interface (and which version).
pub fn global_shortcuts_version() -> Result<u32, String> {
    let runtime = runtime().map_err(|e| e.to_string())?;
    runtime.block_on(async {
        match tokio::time::timeout(PROBE_TIMEOUT, global_shortcuts()).await {
            Ok(Ok(portal)) => Ok(portal.version()),
            Ok(Err(error)) => Err(error.to_string()),
            Err(_) => Err("the portal did not answer".to_owned()),
        }
    })
}

/// A bound shortcut; dropping it closes the portal session.
pub struct PortalHotkey {
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    /// What the portal says the trigger is (e.g. "Ctrl+Alt+Space"), for the tray and window.
    pub trigger: String,
}

impl Drop for PortalHotkey {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Offers `accelerator` to the portal and forwards its presses and releases, on a thread that
/// holds the session. Returns once the portal has answered the binding.
pub fn bind(
    accelerator: &Accelerator,
    deliver: impl Fn(Message) -> bool + Send + 'static,
) -> Result<PortalHotkey, String> {
    let trigger = portal_trigger(accelerator);
    let (answer_tx, answer_rx) = std::sync::mpsc::channel();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel();
    std::thread::Builder::new()
        .name("portal-shortcuts".into())
        .spawn(move || {
            let runtime = match runtime() {
                Ok(runtime) => runtime,
                Err(error) => {
                    let _ = answer_tx.send(Err(error.to_string()));
                    return;
                }
            };
            runtime.block_on(hold_session(trigger, deliver, answer_tx, stop_rx));
        })
        .map_err(|e| e.to_string())?;
    // The portal may show the user a dialog; give them time to answer it.
    let trigger = answer_rx
        .recv_timeout(Duration::from_secs(120))
        .map_err(|_| "the portal gave no answer".to_owned())??;
    Ok(PortalHotkey {
        stop: Some(stop_tx),
        trigger,
    })
}

async fn hold_session(
    trigger: String,
    deliver: impl Fn(Message) -> bool,
    answer: std::sync::mpsc::Sender<Result<String, String>>,
    mut stop: tokio::sync::oneshot::Receiver<()>,
) {
    let session = async {
        let portal = global_shortcuts().await?;
        let session = portal.create_session(Default::default()).await?;
        let shortcut =
            NewShortcut::new(SHORTCUT_ID, "Nói: dictate").preferred_trigger(Some(trigger.as_str()));
        let bound = portal
            .bind_shortcuts(&session, &[shortcut], None, Default::default())
            .await?
            .response()?;
        let described = bound
            .shortcuts()
            .iter()
            .find(|s| s.id() == SHORTCUT_ID)
            .map(|s| s.trigger_description().to_owned());
        let activated = portal.receive_activated().await?;
        let deactivated = portal.receive_deactivated().await?;
        Ok::<_, ashpd::Error>((portal, session, described, activated, deactivated))
    };
    let (_portal, session, described, activated, deactivated) = match session.await {
        Ok(parts) => parts,
        Err(error) => {
            let _ = answer.send(Err(error.to_string()));
            return;
        }
    };
    // A portal that binds nothing gives no key events at all: say so rather than show a
    // hotkey that does nothing (Plasma 5.27 answers so for an app without a desktop app id).
    let Some(described) = described else {
        let _ = answer.send(Err(NOTHING_BOUND.to_owned()));
        let _ = session.close().await;
        return;
    };
    let _ = answer.send(Ok(described));
    let mut activated = std::pin::pin!(activated);
    let mut deactivated = std::pin::pin!(deactivated);
    loop {
        let message = tokio::select! {
            Some(event) = activated.next() => (event.shortcut_id() == SHORTCUT_ID)
                .then(|| Message::HotkeyPressed { at: Instant::now() }),
            Some(event) = deactivated.next() => (event.shortcut_id() == SHORTCUT_ID)
                .then(|| Message::HotkeyReleased { at: Instant::now() }),
            _ = &mut stop => break,
            else => break,
        };
        if let Some(message) = message
            && !deliver(message)
        {
            break;
        }
    }
    let _ = session.close().await;
}
