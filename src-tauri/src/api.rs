//! The loopback API inside the app: the same `noi-server` as `noi serve`, sharing the app's
//! loaded model, with dictation control wired to the coordinator. It listens on the settings'
//! port (9876) or the next free one, and `api.json` (port, token, pid; mode 0600) tells local
//! tools where it is.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use noi_desktop_core::api_discovery::{self, ApiInfo};
use noi_desktop_core::coordinator::{Command, Status};
use noi_server::state::{DictationControl, DictationStatus};
use noi_server::{AppState, OriginPolicy, ServerConfig};

use noi_desktop_core::settings::Settings;
use tokio::sync::Notify;

use crate::coordinator_loop::command_and_wait;
use crate::core::AppCore;

/// The running server: its address and how to stop it.
pub struct RunningApi {
    pub api_file: Option<PathBuf>,
    shutdown: Arc<Notify>,
}

impl RunningApi {
    /// Stops the server (open streams get their finals) and removes `api.json` if ours.
    pub fn stop(&self) {
        self.shutdown.notify_one();
        if let Some(path) = &self.api_file {
            let _ = api_discovery::remove_if_ours(path, std::process::id());
        }
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
        origins: OriginPolicy {
            allowed: settings.api.allowed_origins.clone(),
            allow_any: false,
        },
        ..ServerConfig::default()
    };
    AppState::new(None, config)
}

/// Binds (the settings' port or the next free one), connects dictation control, writes
/// `api.json` and serves on the Tauri (tokio) runtime.
pub fn start(core: &Arc<AppCore>) -> anyhow::Result<RunningApi> {
    let settings = core.settings();
    let token = settings.api.token.clone().unwrap_or_default();
    let (_, listener) =
        api_discovery::bind_loopback(settings.api.port).context("cannot start the local API")?;
    // Port 0 in the settings (tests) lets the system pick; the real one goes into api.json.
    let port = listener.local_addr()?.port();
    listener.set_nonblocking(true)?;
    core.server
        .set_dictation(Arc::new(CoordinatorControl(Arc::clone(core))));
    let api_file = write_api_file(port, &token);
    let shutdown = Arc::new(Notify::new());
    let state = Arc::clone(&core.server);
    let stop = Arc::clone(&shutdown);
    tauri::async_runtime::spawn(async move {
        let listener = match tokio::net::TcpListener::from_std(listener) {
            Ok(listener) => listener,
            Err(error) => {
                tracing::error!("local API: {error}");
                return;
            }
        };
        let stopped = async move { stop.notified().await };
        if let Err(error) = noi_server::serve(listener, state, stopped).await {
            tracing::error!("local API stopped: {error}");
        }
    });
    tracing::info!("local API on http://127.0.0.1:{port}");
    Ok(RunningApi { api_file, shutdown })
}

fn write_api_file(port: u16, token: &str) -> Option<PathBuf> {
    let path = api_discovery::default_path()
        .map_err(|e| tracing::warn!("{e}"))
        .ok()?;
    let info = ApiInfo {
        port,
        token: token.to_owned(),
        pid: std::process::id(),
    };
    match api_discovery::write(&path, &info) {
        Ok(()) => Some(path),
        Err(error) => {
            tracing::warn!("{error}");
            None
        }
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
            state: status_name(status).to_owned(),
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
        self.view(self.0.status().status)
    }
}

/// The API's four states (API.md): starting counts as recording, injecting as finishing.
pub fn status_name(status: Status) -> &'static str {
    match status {
        Status::Idle => "idle",
        Status::Starting | Status::Recording => "recording",
        Status::Finishing | Status::Injecting => "finishing",
        Status::Error => "error",
    }
}
