//! `POST /v1/audio/transcriptions`: OpenAI's transcription endpoint, so its clients (e.g. the
//! `openai` Python package with `base_url=http://127.0.0.1:9876/v1`) work unchanged.

use axum::Json;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use noi_engine::subtitle::{cues, to_srt, to_vtt};
use noi_engine::transcript::Transcript;
use noi_text::postprocess;
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::ApiError;
use crate::jobs::{open_audio, transcribe, with_idle_timeout};
use crate::live::round_ms;
use crate::state::SharedState;

/// The multipart form OpenAI's clients send.
#[derive(Debug, Default, ToSchema)]
#[allow(dead_code)] // fields are read from the multipart stream, the type documents them
pub struct TranscriptionForm {
    /// The audio file.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
    /// Ignored: the loaded model answers.
    model: Option<String>,
    /// Ignored: the models are Vietnamese.
    language: Option<String>,
    /// Ignored.
    prompt: Option<String>,
    /// `json` (default), `text`, `srt`, `vtt` or `verbose_json`.
    response_format: Option<String>,
    /// `word` and/or `segment` (verbose_json).
    #[schema(rename = "timestamp_granularities[]")]
    timestamp_granularities: Option<Vec<String>>,
    /// Ignored.
    temperature: Option<f32>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OpenAiTranscription {
    pub text: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OpenAiVerboseTranscription {
    pub task: &'static str,
    pub language: &'static str,
    pub duration: f64,
    pub text: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub segments: Option<Vec<OpenAiSegment>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub words: Option<Vec<OpenAiWord>>,
    /// Nói's addition: problems with the file that were worked around (absent when none).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OpenAiSegment {
    pub id: usize,
    pub seek: usize,
    pub start: f64,
    pub end: f64,
    pub text: String,
    pub tokens: Vec<u32>,
    pub temperature: f32,
    pub avg_logprob: f32,
    pub compression_ratio: f32,
    pub no_speech_prob: f32,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OpenAiWord {
    pub word: String,
    pub start: f64,
    pub end: f64,
}

/// OpenAI's error shape: `{"error": {"message", "type", "param", "code"}}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct OpenAiErrorBody {
    pub error: OpenAiError,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OpenAiError {
    pub message: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub param: Option<String>,
    pub code: String,
}

/// An [`ApiError`] answered in OpenAI's error shape.
pub struct OpenAiFailure(ApiError);

impl IntoResponse for OpenAiFailure {
    fn into_response(self) -> Response {
        let ApiError {
            status,
            code,
            message,
            ..
        } = self.0;
        let kind = if status.is_server_error() {
            "server_error"
        } else {
            "invalid_request_error"
        };
        let body = OpenAiErrorBody {
            error: OpenAiError {
                message,
                kind,
                param: None,
                code: code.to_owned(),
            },
        };
        (status, Json(body)).into_response()
    }
}

impl From<ApiError> for OpenAiFailure {
    fn from(err: ApiError) -> Self {
        OpenAiFailure(err)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ResponseFormat {
    Json,
    Text,
    Srt,
    Vtt,
    VerboseJson,
}

impl ResponseFormat {
    fn parse(value: Option<&str>) -> Result<Self, ApiError> {
        Ok(match value.unwrap_or("json") {
            "json" => Self::Json,
            "text" => Self::Text,
            "srt" => Self::Srt,
            "vtt" => Self::Vtt,
            "verbose_json" => Self::VerboseJson,
            other => {
                return Err(ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "invalid_response_format",
                    format!(
                        "response_format {other:?} is not supported; use json, text, srt, vtt \
                         or verbose_json"
                    ),
                ));
            }
        })
    }
}

/// OpenAI-compatible transcription.
#[utoipa::path(post, path = "/v1/audio/transcriptions", tag = "openai",
    request_body(content = TranscriptionForm, content_type = "multipart/form-data"),
    responses((status = 200, body = OpenAiTranscription, description = "json; text/srt/vtt as text/plain; verbose_json as OpenAiVerboseTranscription"),
              (status = 400, body = OpenAiErrorBody), (status = 413, body = OpenAiErrorBody),
              (status = 415, body = OpenAiErrorBody), (status = 422, body = OpenAiErrorBody),
              (status = 503, body = OpenAiErrorBody)))]
pub async fn transcriptions(
    State(state): State<SharedState>,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Response, OpenAiFailure> {
    let multipart = multipart.map_err(|e| invalid_form(&e.body_text()))?;
    state.engine()?;
    let form = read_form(state.config.limits.body_limit_bytes, multipart).await?;
    let format = ResponseFormat::parse(form.response_format.as_deref())?;
    let reader = open_audio(form.file.into(), form.hint).await?;
    let (transcript, warnings) = transcribe(&state, reader).await?;
    let options = &state.text_options();
    Ok(match format {
        ResponseFormat::Json => Json(OpenAiTranscription {
            text: postprocess(&transcript.text(), options),
        })
        .into_response(),
        ResponseFormat::Text => plain(format!("{}\n", postprocess(&transcript.text(), options))),
        ResponseFormat::Srt => plain(to_srt(&processed_cues(&transcript, &state))),
        ResponseFormat::Vtt => plain(to_vtt(&processed_cues(&transcript, &state))),
        ResponseFormat::VerboseJson => {
            let mut verbose = verbose(&transcript, &state, &form.granularities);
            verbose.warnings = warnings;
            Json(verbose).into_response()
        }
    })
}

fn invalid_form(detail: &str) -> ApiError {
    ApiError::new(
        StatusCode::BAD_REQUEST,
        "invalid_form",
        format!("{detail}: send multipart/form-data with a `file` part"),
    )
}

/// The parts of the form we use.
#[derive(Debug)]
pub struct Form {
    pub file: Vec<u8>,
    pub hint: Option<String>,
    pub response_format: Option<String>,
    pub granularities: Vec<String>,
}

/// Reads the form; `limit` is the body limit (for the 413's message).
pub async fn read_form(limit: usize, mut multipart: Multipart) -> Result<Form, ApiError> {
    let bad = |e: axum::extract::multipart::MultipartError| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::payload_too_large(limit)
        } else {
            invalid_form(&e.body_text())
        }
    };
    let mut form = Form {
        file: Vec::new(),
        hint: None,
        response_format: None,
        granularities: Vec::new(),
    };
    let mut has_file = false;
    while let Some(mut field) = with_idle_timeout(multipart.next_field())
        .await?
        .map_err(bad)?
    {
        match field.name().unwrap_or_default() {
            "file" => {
                form.hint = field
                    .file_name()
                    .and_then(|n| n.rsplit_once('.'))
                    .map(|(_, ext)| ext.to_ascii_lowercase())
                    .or_else(|| {
                        field
                            .content_type()
                            .and_then(crate::routes::transcribe::extension_for_mime)
                            .map(str::to_owned)
                    });
                while let Some(chunk) = with_idle_timeout(field.chunk()).await?.map_err(bad)? {
                    form.file.extend_from_slice(&chunk);
                }
                has_file = true;
            }
            "response_format" => {
                form.response_format = Some(with_idle_timeout(field.text()).await?.map_err(bad)?)
            }
            "timestamp_granularities[]" | "timestamp_granularities" => form
                .granularities
                .push(with_idle_timeout(field.text()).await?.map_err(bad)?),
            _ => {}
        }
    }
    if !has_file {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_form",
            "the form has no `file` part: attach the audio as `file`",
        ));
    }
    if form.file.is_empty() {
        return Err(ApiError::empty_body());
    }
    Ok(form)
}

fn plain(body: String) -> Response {
    ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], body).into_response()
}

fn processed_cues(transcript: &Transcript, state: &SharedState) -> Vec<noi_engine::subtitle::Cue> {
    let mut cues = cues(transcript);
    for cue in &mut cues {
        cue.text = postprocess(&cue.text, &state.text_options());
    }
    cues.retain(|cue| !cue.text.is_empty());
    cues
}

fn verbose(
    transcript: &Transcript,
    state: &SharedState,
    granularities: &[String],
) -> OpenAiVerboseTranscription {
    let want = |g: &str| granularities.iter().any(|x| x == g);
    // OpenAI gives segments by default and words only when asked.
    let segments = (granularities.is_empty() || want("segment")).then(|| {
        transcript
            .segments
            .iter()
            .enumerate()
            .map(|(id, s)| OpenAiSegment {
                id,
                seek: 0,
                start: round_ms(s.start()),
                end: round_ms(s.end()),
                text: postprocess(&s.text(), &state.text_options()),
                tokens: s.tokens.iter().map(|t| t.id).collect(),
                temperature: 0.0,
                avg_logprob: average_log_prob(s),
                compression_ratio: 1.0,
                no_speech_prob: 0.0,
            })
            .collect()
    });
    let words = want("word").then(|| {
        transcript
            .words()
            .into_iter()
            .map(|w| OpenAiWord {
                word: w.word,
                start: round_ms(w.start),
                end: round_ms(w.end),
            })
            .collect()
    });
    OpenAiVerboseTranscription {
        task: "transcribe",
        language: "vietnamese",
        duration: round_ms(transcript.duration),
        text: postprocess(&transcript.text(), &state.text_options()),
        segments,
        words,
        warnings: Vec::new(),
    }
}

fn average_log_prob(segment: &noi_engine::transcript::Segment) -> f32 {
    if segment.tokens.is_empty() {
        return 0.0;
    }
    segment.tokens.iter().map(|t| t.log_prob).sum::<f32>() / segment.tokens.len() as f32
}
