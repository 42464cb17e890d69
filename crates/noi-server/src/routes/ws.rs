//! `GET /v1/ws` (and the deprecated `/ws`): phostt's streaming protocol (docs/api.md,
//! "WebSocket protocol") over a [`LiveTranscription`].

use std::time::Duration;

use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{RawQuery, State};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use tokio::time::{Instant, sleep_until};
use utoipa::IntoParams;

use crate::config::{DEFAULT_STREAM_RATE, SUPPORTED_RATES};
use crate::error::ApiError;
use crate::live::{LiveTranscription, Update};
use crate::pcm::Pcm16Decoder;
use crate::policy::query_values;
use crate::protocol::{ClientMessage, PROTOCOL_VERSION, ServerMessage, parse_client_text};
use crate::state::SharedState;

/// How often a session that stopped reading checks whether the engine caught up.
const BACKLOG_POLL: Duration = Duration::from_millis(20);

/// Close codes (RFC 6455).
const NORMAL: u16 = 1000;
const GOING_AWAY: u16 = 1001;
const INVALID_DATA: u16 = 1007;
const POLICY: u16 = 1008;
const TOO_BIG: u16 = 1009;
const INTERNAL: u16 = 1011;

#[derive(Debug, Deserialize, IntoParams)]
pub struct StreamQuery {
    /// Input rate of the PCM16 frames (default 48000); `configure` can change it later.
    pub sample_rate: Option<u32>,
    /// The API token, for clients that cannot set an `Authorization` header.
    pub token: Option<String>,
}

/// Streaming transcription over WebSocket (phostt protocol).
#[utoipa::path(get, path = "/v1/ws", tag = "streaming", params(StreamQuery),
    responses((status = 101, description = "WebSocket upgrade"),
              (status = 400, body = crate::error::ErrorBody), (status = 401, body = crate::error::ErrorBody),
              (status = 403, body = crate::error::ErrorBody), (status = 503, body = crate::error::ErrorBody)))]
pub async fn ws(
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
    State(state): State<SharedState>,
    RawQuery(query): RawQuery,
) -> Response {
    accept(upgrade, state, query).unwrap_or_else(IntoResponse::into_response)
}

/// The old path: works, and says where to go.
pub async fn ws_legacy(
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
    State(state): State<SharedState>,
    RawQuery(query): RawQuery,
) -> Response {
    let mut response = accept(upgrade, state, query).unwrap_or_else(IntoResponse::into_response);
    let headers = response.headers_mut();
    headers.insert("deprecation", HeaderValue::from_static("true"));
    headers.insert(
        "link",
        HeaderValue::from_static("</v1/ws>; rel=\"successor-version\""),
    );
    response
}

fn accept(
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
    state: SharedState,
    query: Option<String>,
) -> Result<Response, ApiError> {
    // Rejections as JSON like every other error (axum's own are plain text).
    let upgrade = upgrade.map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "websocket_upgrade_required",
            format!("{}: connect with a WebSocket client", e.body_text()),
        )
    })?;
    let rate = stream_rate(query.as_deref().unwrap_or_default())?;
    state.engine()?;
    if state.shutdown.is_cancelled() {
        return Err(ApiError::shutting_down());
    }
    // Frames up to twice the cap reach us, so an oversize one is answered with 1009.
    let transport_cap = state.config.limits.ws_frame_max_bytes.saturating_mul(2);
    let tracker = state.streams.clone();
    Ok(upgrade
        .max_message_size(transport_cap)
        .max_frame_size(transport_cap)
        .on_upgrade(move |socket| tracker.track_future(Session::new(socket, state, rate).run())))
}

/// The `sample_rate` of the URL (other parameters, such as `token`, are not ours to judge).
fn stream_rate(query: &str) -> Result<u32, ApiError> {
    let bad =
        |message: String| ApiError::new(StatusCode::BAD_REQUEST, "invalid_sample_rate", message);
    let rate = match query_values(query, "sample_rate").as_slice() {
        [] => DEFAULT_STREAM_RATE,
        [one] => one
            .parse::<u32>()
            .map_err(|_| bad(format!("sample_rate {one:?} is not a whole number of Hz")))?,
        _ => return Err(bad("give sample_rate once".into())),
    };
    if SUPPORTED_RATES.contains(&rate) {
        Ok(rate)
    } else {
        Err(invalid_rate(rate))
    }
}

fn invalid_rate(rate: u32) -> ApiError {
    ApiError::new(
        StatusCode::BAD_REQUEST,
        "invalid_sample_rate",
        format!("sample rate {rate} Hz is not supported; use one of {SUPPORTED_RATES:?}"),
    )
}

/// How a session ends.
enum End {
    /// Send the final, then Close with this code.
    Close(u16, &'static str),
    /// The client is gone: nothing to send.
    ClientGone,
}

struct Session {
    socket: WebSocket,
    state: SharedState,
    rate: u32,
    pcm: Pcm16Decoder,
    live: Option<LiveTranscription>,
    /// A non-empty binary frame arrived: the rate is fixed from now on.
    audio_started: bool,
    /// Samples received so far (at `rate`), for the session's audio cap.
    received: u64,
}

impl Session {
    fn new(socket: WebSocket, state: SharedState, rate: u32) -> Self {
        Session {
            socket,
            state,
            rate,
            pcm: Pcm16Decoder::default(),
            live: None,
            audio_started: false,
            received: 0,
        }
    }

    async fn run(mut self) {
        self.state.metrics.active_streams.inc();
        let ready = ServerMessage::Ready {
            model: self.state.model_id(),
            sample_rate: self.rate,
            version: PROTOCOL_VERSION.into(),
            supported_rates: SUPPORTED_RATES.to_vec(),
        };
        let end = if self.send(&ready).await {
            self.serve().await
        } else {
            End::ClientGone
        };
        match end {
            End::Close(code, reason) => self.close(code, reason).await,
            End::ClientGone => {
                if let Some(live) = self.live.take() {
                    live.discard().await;
                }
            }
        }
        self.state.metrics.active_streams.dec();
    }

    async fn serve(&mut self) -> End {
        let limits = self.state.config.limits.clone();
        let mut idle_deadline = Instant::now() + limits.idle_timeout;
        let session_deadline = limits.max_session.map(|d| Instant::now() + d);
        let shutdown = self.state.shutdown.clone();
        loop {
            // Backpressure: while the engine is behind, the socket is not read, so TCP stops
            // the client; the idle clock does not run meanwhile.
            let behind = self.live.as_ref().is_some_and(LiveTranscription::is_behind);
            if behind {
                idle_deadline = Instant::now() + limits.idle_timeout;
            }
            tokio::select! {
                biased;
                _ = shutdown.cancelled() => return End::Close(GOING_AWAY, "server shutting down"),
                _ = sleep_until(idle_deadline) => return End::Close(NORMAL, "idle timeout"),
                _ = sleep_until_some(session_deadline) => {
                    let msg = ServerMessage::error("max_session_duration_exceeded", format!(
                        "the session reached the server's limit of {} s; open a new one",
                        limits.max_session.unwrap_or_default().as_secs()));
                    self.send(&msg).await;
                    return End::Close(POLICY, "session too long");
                }
                update = next_update(&mut self.live) => match update {
                    Some(update) => { self.send(&ServerMessage::from_update(update)).await; }
                    None => return End::Close(INTERNAL, "transcription failed"),
                },
                _ = tokio::time::sleep(BACKLOG_POLL), if behind => {}
                message = self.socket.recv(), if !behind => {
                    idle_deadline = Instant::now() + limits.idle_timeout;
                    if let Some(end) = self.on_message(message).await {
                        return end;
                    }
                }
            }
        }
    }

    async fn on_message(&mut self, message: Option<Result<Message, axum::Error>>) -> Option<End> {
        match message {
            Some(Ok(Message::Binary(bytes))) => self.on_audio(&bytes).await,
            Some(Ok(Message::Text(text))) => self.on_text(text.as_str()).await,
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => None,
            Some(Ok(Message::Close(_))) | None => Some(End::ClientGone),
            Some(Err(err)) if is_capacity(&err) => Some(End::Close(TOO_BIG, "frame too large")),
            Some(Err(err)) if is_invalid_utf8(&err) => {
                Some(End::Close(INVALID_DATA, "text frame is not UTF-8"))
            }
            Some(Err(_)) => Some(End::ClientGone),
        }
    }

    async fn on_audio(&mut self, bytes: &[u8]) -> Option<End> {
        if bytes.len() > self.state.config.limits.ws_frame_max_bytes {
            return Some(End::Close(TOO_BIG, "frame too large"));
        }
        self.audio_started |= !bytes.is_empty();
        let samples = self.pcm.decode(bytes);
        if samples.is_empty() {
            return None;
        }
        self.received += samples.len() as u64;
        let max_secs = self.state.config.limits.max_audio_secs;
        if self.received > max_secs.saturating_mul(u64::from(self.rate)) {
            let message = format!(
                "the session sent more than the server's limit of {max_secs} s of audio; \
                 open a new session, or start the server with a larger --max-audio-secs"
            );
            self.send(&ServerMessage::error("payload_too_large", message))
                .await;
            return Some(End::Close(POLICY, "audio too long"));
        }
        if self.live.is_none() {
            match LiveTranscription::start(self.state.clone(), self.rate) {
                Ok(live) => self.live = Some(live),
                Err(err) => {
                    self.send(&ServerMessage::error(err.code, err.message))
                        .await;
                    return Some(End::Close(INTERNAL, "cannot start transcription"));
                }
            }
        }
        if let Some(live) = &self.live {
            live.push(&samples);
        }
        None
    }

    async fn on_text(&mut self, text: &str) -> Option<End> {
        match parse_client_text(text) {
            ClientMessage::Stop => Some(End::Close(NORMAL, "stopped")),
            ClientMessage::Configure { sample_rate } => {
                self.configure(sample_rate).await;
                None
            }
            ClientMessage::Invalid { code, message } => {
                self.send(&ServerMessage::error(code, message)).await;
                None
            }
            // Unknown or malformed messages are ignored (docs/api.md, "WebSocket protocol").
            ClientMessage::Unknown => None,
        }
    }

    async fn configure(&mut self, sample_rate: Option<u32>) {
        let Some(rate) = sample_rate else { return };
        let error = if self.audio_started {
            ServerMessage::error(
                "configure_too_late",
                "configure must come before the first audio frame; the rate stays as it was",
            )
        } else if SUPPORTED_RATES.contains(&rate) {
            self.rate = rate;
            return;
        } else {
            ServerMessage::error("invalid_sample_rate", invalid_rate(rate).message)
        };
        self.send(&error).await;
    }

    /// Sends the final for what remains, then a Close frame, then waits briefly for the
    /// client's Close so it sees a clean close.
    async fn close(&mut self, code: u16, reason: &'static str) {
        match self.live.take() {
            None => {
                let empty = Update::Final {
                    text: String::new(),
                    words: Vec::new(),
                };
                self.send(&ServerMessage::from_update(empty)).await;
            }
            Some(mut live) => {
                live.begin_finish();
                // After a frame we refused, the socket holds the rest of it: nothing to read.
                let read_meanwhile = !matches!(code, TOO_BIG | INVALID_DATA);
                if !self.send_remaining_updates(&mut live, read_meanwhile).await {
                    live.discard().await;
                    return;
                }
                match live.result().await {
                    Ok(transcript) => {
                        self.state.metrics.audio_seconds.inc_by(transcript.duration);
                    }
                    Err(err) => {
                        self.send(&ServerMessage::error(err.code, err.message))
                            .await;
                    }
                }
            }
        }
        let frame = CloseFrame {
            code,
            reason: reason.into(),
        };
        if self.socket.send(Message::Close(Some(frame))).await.is_ok() {
            let deadline = tokio::time::Instant::now() + Duration::from_secs(1);
            let _ = tokio::time::timeout_at(deadline, async {
                while let Some(Ok(message)) = self.socket.recv().await {
                    if matches!(message, Message::Close(_)) {
                        break;
                    }
                }
            })
            .await;
            // After an oversize frame the rest of it is still unread: closing a TCP socket
            // with unread data sends a reset, which can destroy our Close frame in the
            // client's buffer before it reads it. Keep the socket for the rest of the window.
            if code == TOO_BIG {
                tokio::time::sleep_until(deadline).await;
            }
        }
    }

    /// Sends the updates of a finishing stream until its last one, reading the socket
    /// meanwhile: the client's pings are answered as they are read (the last seconds of audio
    /// can take a while on a busy machine, and clients give up on a ping unanswered for 20 s).
    /// Audio that comes after `stop` is dropped. False when the client went away.
    async fn send_remaining_updates(
        &mut self,
        live: &mut LiveTranscription,
        read_meanwhile: bool,
    ) -> bool {
        loop {
            tokio::select! {
                update = live.next_update() => match update {
                    Some(update) => if !self.send(&ServerMessage::from_update(update)).await {
                        return false;
                    },
                    None => return true,
                },
                message = self.socket.recv(), if read_meanwhile => match message {
                    Some(Ok(Message::Close(_))) | Some(Err(_)) | None => return false,
                    Some(Ok(_)) => {}
                },
            }
        }
    }

    /// Sends a message; false when the client is gone.
    async fn send(&mut self, message: &ServerMessage) -> bool {
        self.socket
            .send(Message::Text(message.to_json().into()))
            .await
            .is_ok()
    }
}

async fn next_update(live: &mut Option<LiveTranscription>) -> Option<Update> {
    match live {
        Some(live) => live.next_update().await,
        None => std::future::pending().await,
    }
}

async fn sleep_until_some(deadline: Option<Instant>) {
    match deadline {
        Some(deadline) => sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}

fn is_invalid_utf8(err: &axum::Error) -> bool {
    let text = err.to_string().to_ascii_lowercase();
    text.contains("utf-8") || text.contains("utf8")
}

fn is_capacity(err: &axum::Error) -> bool {
    let text = err.to_string().to_ascii_lowercase();
    text.contains("capacity") || text.contains("too long") || text.contains("too big")
}
