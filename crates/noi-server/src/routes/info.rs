//! `GET /health`, `/v1/models`, `/metrics`, `/openapi.json`.

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::{OpenApi, ToSchema};

use crate::config::SUPPORTED_RATES;
use crate::error::{ApiError, ErrorBody};
use crate::state::SharedState;

/// Containers the reader decodes (`opus`: Ogg/Opus; `webm`: Opus in WebM, as browsers record).
pub const SUPPORTED_FORMATS: [&str; 7] = ["wav", "flac", "mp3", "ogg", "opus", "webm", "m4a"];

#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// `ok`, or `degraded` when no model is loaded.
    pub status: &'static str,
    pub model: String,
    pub version: &'static str,
}

/// Liveness; open to every caller (no origin check, token or rate limit).
#[utoipa::path(get, path = "/health", tag = "info", responses((status = 200, body = Health)))]
pub async fn health(State(state): State<SharedState>) -> Json<Health> {
    Json(Health {
        status: if state.current_engine().is_some() {
            "ok"
        } else {
            "degraded"
        },
        model: state.model_id(),
        version: env!("CARGO_PKG_VERSION"),
    })
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ModelsResponse {
    pub id: String,
    pub name: String,
    /// `int8` or `fp32`.
    pub encoder: &'static str,
    pub vocab_size: usize,
    pub sample_rate: u32,
    pub pool_size: usize,
    pub pool_available: usize,
    pub supported_formats: Vec<&'static str>,
    pub supported_rates: Vec<u32>,
    pub diarization: bool,
    /// Ids of the models installed on this machine.
    pub installed: Vec<String>,
    /// The loaded model's id.
    pub active: String,
}

/// The loaded model and what the server accepts.
#[utoipa::path(get, path = "/v1/models", tag = "info",
    responses((status = 200, body = ModelsResponse), (status = 503, body = ErrorBody)))]
pub async fn models(State(state): State<SharedState>) -> Result<Json<ModelsResponse>, ApiError> {
    let engine = state.engine()?;
    Ok(Json(ModelsResponse {
        id: engine.info.id.clone(),
        name: engine.info.name.clone(),
        encoder: if engine.info.int8 { "int8" } else { "fp32" },
        vocab_size: engine.info.vocab_size,
        sample_rate: 16000,
        pool_size: state.config.limits.pool_size,
        pool_available: state.slots.available_permits(),
        supported_formats: SUPPORTED_FORMATS.to_vec(),
        supported_rates: SUPPORTED_RATES.to_vec(),
        diarization: false,
        installed: state.installed(),
        active: engine.info.id.clone(),
    }))
}

/// Prometheus metrics, when the server runs with `--metrics`.
#[utoipa::path(get, path = "/metrics", tag = "info",
    responses((status = 200, content_type = "text/plain", body = String), (status = 404, body = ErrorBody)))]
pub async fn metrics(State(state): State<SharedState>) -> Result<Response, ApiError> {
    if !state.config.metrics {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "metrics_disabled",
            "metrics are off; start the server with --metrics",
        ));
    }
    Ok((
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        state.metrics.render(),
    )
        .into_response())
}

/// This API's OpenAPI 3 description.
#[utoipa::path(get, path = "/openapi.json", tag = "info", responses((status = 200, description = "OpenAPI document")))]
pub async fn openapi() -> impl IntoResponse {
    Json(super::ApiDoc::openapi())
}
