//! The router: every route of docs/api.md behind the [`crate::middleware::guard`] layer.

pub mod dictation;
pub mod info;
pub mod openai;
pub mod transcribe;
pub mod ws;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use axum::http::{Method, StatusCode};

use crate::error::ApiError;
use crate::state::SharedState;

#[derive(OpenApi)]
#[openapi(
    info(title = "Nói local API", description = "On-device Vietnamese speech recognition on loopback: phostt-compatible routes plus an OpenAI-compatible transcription endpoint."),
    paths(
        info::health, info::models, info::metrics, info::openapi,
        transcribe::transcribe_file, transcribe::transcribe_stream,
        openai::transcriptions, ws::ws,
        dictation::start, dictation::stop, dictation::cancel, dictation::status,
    ),
    modifiers(&BearerAuth),
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

pub fn router(state: SharedState) -> Router {
    // The body limit is enforced by the handlers themselves (JSON 413); this only lifts
    // axum's 2 MB default for multipart forms to the same limit.
    let body_limit = DefaultBodyLimit::max(state.config.limits.body_limit_bytes);
    Router::new()
        .route("/health", get(info::health))
        .route("/v1/models", get(info::models))
        .route("/metrics", get(info::metrics))
        .route("/openapi.json", get(info::openapi))
        .route("/v1/transcribe", post(transcribe::transcribe_file))
        .route("/v1/transcribe/stream", post(transcribe::transcribe_stream))
        .route("/v1/audio/transcriptions", post(openai::transcriptions))
        .route("/v1/ws", get(ws::ws))
        .route("/ws", get(ws::ws_legacy))
        .route("/v1/dictation/start", post(dictation::start))
        .route("/v1/dictation/stop", post(dictation::stop))
        .route("/v1/dictation/cancel", post(dictation::cancel))
        .route("/v1/dictation/status", get(dictation::status))
        // axum's own answers have empty bodies; every error is JSON (docs/api.md, "Errors").
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(body_limit)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::middleware::guard,
        ))
        .with_state(state)
}

async fn not_found(uri: axum::http::Uri) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "not_found",
        format!("no route {}; see /openapi.json for the routes", uri.path()),
    )
}

async fn method_not_allowed(method: Method, uri: axum::http::Uri) -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        format!(
            "{} does not take {method}; see /openapi.json for its methods",
            uri.path()
        ),
    )
}
