//! The API's error answers: `{"error": "...", "code": "...", "retry_after_ms"?}` (docs/api.md,
//! "Errors").

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use noi_engine::EngineError;
use noi_engine::audio::AudioError;
use serde::Serialize;
use utoipa::ToSchema;

/// Body of every REST error.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ErrorBody {
    /// What went wrong and what to do about it, for people.
    pub error: String,
    /// Stable machine code (e.g. `payload_too_large`).
    pub code: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_after_ms: Option<u64>,
}

/// An error answer: HTTP status, machine code, human message.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub retry_after_ms: Option<u64>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            retry_after_ms: None,
        }
    }

    pub fn retry_after(mut self, millis: u64) -> Self {
        self.retry_after_ms = Some(millis);
        self
    }

    pub fn empty_body() -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "empty_body",
            "the request body is empty: send the audio file as the body",
        )
    }

    pub fn payload_too_large(limit: usize) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!(
                "the body is larger than the server's limit of {} MiB: split the audio, or \
                 start the server with a larger --body-limit-bytes",
                limit / (1024 * 1024)
            ),
        )
    }

    pub fn audio_too_long(max_secs: u64) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!(
                "the audio is longer than the server's limit of {max_secs} s per request: split \
                 it, stream it over /v1/ws, or start the server with a larger --max-audio-secs"
            ),
        )
    }

    pub fn model_not_loaded() -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "model_not_loaded",
            "no speech model is loaded: install one with `noi models download zipformer-vi-int8` \
             (or `noi models install FILE`) and restart the server",
        )
    }

    pub fn busy(wait_secs: u64) -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "timeout",
            format!("the server was busy for {wait_secs} s with other transcriptions; retry later"),
        )
        .retry_after(1000)
    }

    pub fn shutting_down() -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "shutting_down",
            "the server is shutting down; retry against the next instance",
        )
        .retry_after(1000)
    }

    pub fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "missing or wrong token: send `Authorization: Bearer <token>` (WebSocket: also \
             `?token=`); the desktop app writes its token to api.json in its config folder",
        )
    }

    pub fn request_timeout(idle_secs: u64) -> Self {
        Self::new(
            StatusCode::REQUEST_TIMEOUT,
            "request_timeout",
            format!("the request body stopped arriving for {idle_secs} s; send it again"),
        )
    }

    pub fn host_denied(host: &str) -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "host_denied",
            format!(
                "this server answers to loopback names (localhost, 127.0.0.1), not {host:?}; \
                 start it with --allow-host NAME to accept another name"
            ),
        )
    }

    pub fn origin_denied(origin: &str) -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "origin_denied",
            format!(
                "origin {origin:?} may not call this server; start it with --allow-origin {origin} \
                 to allow it"
            ),
        )
    }

    pub fn rate_limited(retry_ms: u64) -> Self {
        Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            "too many requests from this address; slow down",
        )
        .retry_after(retry_ms)
    }

    pub fn internal(what: impl std::fmt::Display) -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            what.to_string(),
        )
    }

    pub fn body(&self) -> ErrorBody {
        ErrorBody {
            error: self.message.clone(),
            code: self.code.to_owned(),
            retry_after_ms: self.retry_after_ms,
        }
    }
}

impl From<EngineError> for ApiError {
    fn from(err: EngineError) -> Self {
        match err {
            EngineError::Audio(audio) => audio.into(),
            EngineError::Resample(e) => Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "transcription_error",
                e.to_string(),
            ),
            other => Self::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "inference_error",
                other.to_string(),
            ),
        }
    }
}

impl From<AudioError> for ApiError {
    fn from(err: AudioError) -> Self {
        match err {
            AudioError::Empty { .. } => Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "transcription_error",
                err.to_string(),
            ),
            AudioError::Unsupported { .. } => Self::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                err.to_string(),
            ),
            _ => Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "transcription_error",
                err.to_string(),
            ),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status, axum::Json(self.body())).into_response();
        if let Some(ms) = self.retry_after_ms {
            let secs = ms.div_ceil(1000).max(1);
            if let Ok(value) = HeaderValue::from_str(&secs.to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
        }
        response
    }
}
