//! The loopback API inside the app (docs/api.md): the same `noi-server` as `noi serve`, sharing the app's
//! loaded model, with dictation control wired to the coordinator. It listens on the settings'
//! port (9876) or the next free one, and `api.json` (port, token, pid; mode 0600) tells local
//! tools where it is. Settings changes apply while it runs: a new token or origin list at the
//! next request, a new port or on/off by moving (or closing) the listener.

use std::sync::{Arc, Mutex};

use anyhow::Context;
use noi_desktop_core::api_discovery::{self, ApiInfo};
use noi_desktop_core::coordinator::{Command, Status};
use noi_server::state::{DictationControl, DictationStatus};
use noi_server::{Access, AppState, OriginPolicy, ServerConfig};

use noi_desktop_core::settings::Settings;
use tokio::sync::Notify;

use crate::coordinator_loop::command_and_wait;
use crate::core::AppCore;

/// The listening socket: its port, and how to stop accepting on it.
pub struct RunningApi {
    pub port: u16,
    stop_listening: Arc<Notify>,
}

/// The API as the settings want it: started, moved to another port, turned off, given a new
/// token or origins, all while the app runs. Lives in Tauri's managed state.
pub struct ApiServer {
    core: Arc<AppCore>,
    running: Mutex<Option<RunningApi>>,
}

impl ApiServer {
    pub fn new(core: Arc<AppCore>) -> ApiServer {
        core.server
            .set_dictation(Arc::new(CoordinatorControl(Arc::clone(&core))));
        ApiServer {
            core,
            running: Mutex::new(None),
        }
    }

    /// Listens as the settings say (or not, when the API is off).
    pub fn start(&self) {
        let settings = self.core.settings();
        let mut running = self.running.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(old) = running.take() {
            old.stop_listening.notify_one();
        }
        remove_api_file();
        if !settings.api.enabled {
            tracing::info!("local API off");
            return;
        }
        match listen(&self.core, settings.api.port) {
            Ok(api) => {
                write_api_file(api.port, &settings.api.token.clone().unwrap_or_default());
                *running = Some(api);
            }
            Err(error) => tracing::error!("{error:#}"),
        }
    }

    /// The port in use, if the API runs.
    pub fn port(&self) -> Option<u16> {
        let running = self.running.lock().unwrap_or_else(|e| e.into_inner());
        running.as_ref().map(|r| r.port)
    }

    /// Carries out an API settings change: access and text options at once, the listener when
    /// its port or the on/off switch changed.
    pub fn apply(&self, old: &Settings, new: &Settings) {
        if old.api.token != new.api.token || old.api.allowed_origins != new.api.allowed_origins {
            self.core.server.set_access(access(new));
            if let Some(port) = self.port() {
                write_api_file(port, &new.api.token.clone().unwrap_or_default());
            }
        }
        if old.api.port != new.api.port || old.api.enabled != new.api.enabled {
            self.start();
        }
        if old.text.options != new.text.options {
            self.core.server.set_text_options(new.text.options.clone());
        }
    }

    /// Quit: stop accepting, tell open streams to finish, remove `api.json`.
    pub fn stop(&self) {
        if let Some(old) = self
            .running
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
        {
            old.stop_listening.notify_one();
        }
        self.core.server.shutdown.cancel();
        remove_api_file();
    }
}

/// The API token from the settings, or a fresh one written into `settings` (kept, so clients
/// configured once keep working after a restart).
pub fn ensure_token(settings: &mut Settings) -> anyhow::Result<String> {
    match settings.api.token.clone() {
        Some(token) if !token.is_empty() => Ok(token),
        _ => {
            let token = api_discovery::generate_token()?;
            settings.api.token = Some(token.clone());
            Ok(token)
        }
    }
}

/// The server's state: the token is always required (the API can start the microphone), the
/// allowed origins come from the settings.
pub fn server_state(settings: &Settings, token: String) -> AppState {
    let config = ServerConfig {
        token: Some(token),
        origins: access(settings).origins,
        // The API writes text as dictation does: the app's casing, punctuation, replacements
        // and written-Vietnamese settings.
        text: settings.text.options.clone(),
        ..ServerConfig::default()
    };
    AppState::new(None, config)
}

fn access(settings: &Settings) -> Access {
    Access {
        token: settings.api.token.clone().filter(|t| !t.is_empty()),
        origins: OriginPolicy {
            allowed: settings.api.allowed_origins.clone(),
            allow_any: false,
        },
    }
}

/// Binds the port (or the next free one) and serves on the Tauri (tokio) runtime.
fn listen(core: &Arc<AppCore>, preferred: u16) -> anyhow::Result<RunningApi> {
    let (_, listener) =
        api_discovery::bind_loopback(preferred).context("cannot start the local API")?;
    // Port 0 in the settings (tests) lets the system pick; the real one goes into api.json.
    let port = listener.local_addr()?.port();
    listener.set_nonblocking(true)?;
    let stop_listening = Arc::new(Notify::new());
    let state = Arc::clone(&core.server);
    let stop = Arc::clone(&stop_listening);
    tauri::async_runtime::spawn(async move {
        let listener = match tokio::net::TcpListener::from_std(listener) {
            Ok(listener) => listener,
            Err(error) => {
                tracing::error!("local API: {error}");
                return;
            }
        };
        let stopped = async move { stop.notified().await };
        if let Err(error) = noi_server::serve_listener(listener, state, stopped).await {
            tracing::error!("local API stopped: {error}");
        }
    });
    tracing::info!("local API on http://127.0.0.1:{port}");
    Ok(RunningApi {
        port,
        stop_listening,
    })
}

fn remove_api_file() {
    if let Ok(path) = api_discovery::default_path() {
        let _ = api_discovery::remove_if_ours(&path, std::process::id());
    }
}

fn write_api_file(port: u16, token: &str) {
    let info = ApiInfo {
        port,
        token: token.to_owned(),
        pid: std::process::id(),
    };
    let written = api_discovery::default_path().and_then(|path| api_discovery::write(&path, &info));
    if let Err(error) = written {
        tracing::warn!("{error}");
    }
}

/// `/v1/dictation/*` as messages to the coordinator.
struct CoordinatorControl(Arc<AppCore>);

impl CoordinatorControl {
    fn send(&self, command: Command) -> Result<DictationStatus, String> {
        command_and_wait(&self.0, command)
            .map(|status| self.view(status))
            .ok_or_else(|| "the app is busy or quitting; try again".to_owned())
    }

    fn view(&self, status: Status) -> DictationStatus {
        DictationStatus {
            state: status.api_name().to_owned(),
            last_text: self.0.last_transcript().map(|e| e.text),
        }
    }
}

impl DictationControl for CoordinatorControl {
    fn start(&self) -> Result<DictationStatus, String> {
        self.send(Command::Start)
    }

    fn stop(&self) -> Result<DictationStatus, String> {
        self.send(Command::Stop)
    }

    fn cancel(&self) -> Result<DictationStatus, String> {
        self.send(Command::Cancel)
    }

    fn status(&self) -> DictationStatus {
        self.view(self.0.status())
    }
}
