//! Nói's loopback API (docs/api.md): phostt's routes and messages with its known defects fixed,
//! an OpenAI-compatible transcription endpoint, and dictation control for the desktop app.
//!
//! One engine is shared by every request: whole files take one of a bounded number of slots,
//! streams borrow the engine per decode, so many clients can stream at once.
//!
//! Module map: `config` (flags and limits), `policy` (pure access rules), `middleware`
//! (request id, CORS/origin, token, rate limit), `routes` (one module per group of routes),
//! `jobs` (whole-file transcription), `live` (a stream's engine side), `protocol` (phostt's
//! messages), `pcm` (PCM16 frames), `metrics`, `error`.

pub mod config;
pub mod error;
#[doc(hidden)]
pub mod fuzzing;
mod jobs;
mod listen;
pub mod live;
pub mod metrics;
mod middleware;
mod parse_errors;
pub mod pcm;
pub mod policy;
pub mod protocol;
pub mod routes;
pub mod state;

use std::future::Future;
use std::sync::Arc;

use tokio::net::TcpListener;

pub use config::{Limits, ServerConfig};
pub use error::ApiError;
pub use policy::OriginPolicy;
pub use state::{Access, AppState, DictationControl, DictationStatus, Engine, SharedState};

/// Accepts on `listener` until `stop_listening` resolves (or the server shuts down), then
/// stops accepting; connections already open carry on. The desktop app uses it to move the
/// API to another port, or turn it off, while it runs.
pub async fn serve_listener(
    listener: TcpListener,
    state: SharedState,
    stop_listening: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let shutdown = state.shutdown.clone();
    let app = routes::router(Arc::clone(&state));
    listen::serve(listener, app, async move {
        tokio::select! {
            _ = stop_listening => {}
            _ = shutdown.cancelled() => {}
        }
    })
    .await
}

/// Serves until `shutdown` resolves, then stops accepting, lets every open stream send its
/// final (within the drain window) and returns.
pub async fn serve(
    listener: TcpListener,
    state: SharedState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let token = state.shutdown.clone();
    tokio::spawn(async move {
        shutdown.await;
        token.cancel();
    });
    let app = routes::router(Arc::clone(&state));
    let serving = listen::serve(listener, app, state.shutdown.clone().cancelled_owned());
    tokio::pin!(serving);
    tokio::select! {
        result = &mut serving => return result,
        _ = state.shutdown.cancelled() => {}
    }
    tracing::info!("shutting down: finishing open streams");
    state.streams.close();
    let drain = state
        .config
        .limits
        .shutdown_drain
        .max(std::time::Duration::from_secs(1));
    let deadline = tokio::time::Instant::now() + drain;
    let mut finishing = std::pin::pin!(async {
        let result = serving.await;
        state.streams.wait().await;
        result
    });
    // Whole-file requests still decoding when the window is nearly over answer 503
    // `shutting_down` in its last part, so no client is left with a closed connection.
    let finished =
        match tokio::time::timeout_at(deadline - answer_window(drain), &mut finishing).await {
            Ok(result) => Ok(result),
            Err(_) => {
                state.drain_ending.cancel();
                tokio::time::timeout_at(deadline, &mut finishing).await
            }
        };
    match finished {
        Ok(result) => result,
        Err(_) => {
            tracing::warn!(
                streams = state.streams.len(),
                "drain window over; closing what is still open"
            );
            Ok(())
        }
    }
}

/// The end of the drain window kept for answering requests that could not finish: a quarter
/// of it, at most 1 s.
fn answer_window(drain: std::time::Duration) -> std::time::Duration {
    (drain / 4).min(std::time::Duration::from_secs(1))
}

/// Resolves on SIGINT (Ctrl-C) or SIGTERM (service managers, `kill`).
pub async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut terminate =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                .expect("installing a SIGTERM handler cannot fail on Unix");
        tokio::select! {
            _ = interrupt => {}
            _ = terminate.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = interrupt.await;
    }
}
