//! `/v1/dictation/start|stop|cancel|status`: the desktop app's coordinator, driven by local
//! tools. Always needs the token (checked by the middleware).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;

use crate::error::{ApiError, ErrorBody};
use crate::state::{DictationControl, DictationStatus, SharedState};

fn control(state: &SharedState) -> Result<&dyn DictationControl, ApiError> {
    state.dictation().ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "dictation_unavailable",
            "dictation control exists only in the desktop app; `noi serve` has no microphone",
        )
    })
}

fn refused(reason: String) -> ApiError {
    ApiError::new(StatusCode::CONFLICT, "dictation_refused", reason)
}

/// Starts recording, as the hotkey does.
#[utoipa::path(post, path = "/v1/dictation/start", tag = "dictation",
    responses((status = 200, body = DictationStatus), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn start(State(state): State<SharedState>) -> Result<Json<DictationStatus>, ApiError> {
    control(&state)?.start().map(Json).map_err(refused)
}

/// Stops recording; the text goes to the focused app.
#[utoipa::path(post, path = "/v1/dictation/stop", tag = "dictation",
    responses((status = 200, body = DictationStatus), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn stop(State(state): State<SharedState>) -> Result<Json<DictationStatus>, ApiError> {
    control(&state)?.stop().map(Json).map_err(refused)
}

/// Cancels recording; nothing is typed.
#[utoipa::path(post, path = "/v1/dictation/cancel", tag = "dictation",
    responses((status = 200, body = DictationStatus), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn cancel(State(state): State<SharedState>) -> Result<Json<DictationStatus>, ApiError> {
    control(&state)?.cancel().map(Json).map_err(refused)
}

/// The coordinator's state.
#[utoipa::path(get, path = "/v1/dictation/status", tag = "dictation",
    responses((status = 200, body = DictationStatus), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn status(State(state): State<SharedState>) -> Result<Json<DictationStatus>, ApiError> {
    Ok(Json(control(&state)?.status()))
}
