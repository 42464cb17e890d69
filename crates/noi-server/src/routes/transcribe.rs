//! `POST /v1/transcribe` (whole file → JSON) and `POST /v1/transcribe/stream` (whole file →
//! server-sent events: partials while decoding, a final at each pause).

use std::convert::Infallible;
use std::time::Duration;

use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::Stream;
use noi_engine::SAMPLE_RATE;
use noi_text::postprocess;
use serde::Serialize;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use utoipa::ToSchema;

use crate::error::{ApiError, ErrorBody};
use crate::jobs::{LimitedChunks, acquire_slot, open_audio, read_body, transcribe};
use crate::live::{LiveTranscription, WordInfo, round_ms};
use crate::protocol::{ServerMessage, word_infos};
use crate::state::SharedState;

#[derive(Debug, Serialize, ToSchema)]
pub struct TranscribeResponse {
    pub text: String,
    pub words: Vec<WordInfo>,
    /// Seconds of audio.
    pub duration: f64,
    /// Problems with the file that were worked around, e.g. "the file ends after 3.20 s but
    /// its header says 10.00 s": the transcript covers only part of it. Absent when none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

/// Transcribes a whole audio file (WAV, FLAC, MP3, OGG/Vorbis, M4A/AAC).
#[utoipa::path(post, path = "/v1/transcribe", tag = "transcription",
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "an audio file"),
    responses((status = 200, body = TranscribeResponse),
              (status = 400, body = ErrorBody), (status = 413, body = ErrorBody),
              (status = 415, body = ErrorBody), (status = 422, body = ErrorBody),
              (status = 503, body = ErrorBody)))]
pub async fn transcribe_file(
    State(state): State<SharedState>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<TranscribeResponse>, ApiError> {
    state.engine()?;
    let bytes = read_body(&state, body).await?;
    let reader = open_audio(bytes, format_hint(&headers)).await?;
    let (transcript, warnings) = transcribe(&state, reader).await?;
    Ok(Json(TranscribeResponse {
        text: postprocess(&transcript.text(), &state.text_options()),
        words: word_infos(transcript.words()),
        duration: round_ms(transcript.duration),
        warnings,
    }))
}

/// Transcribes a whole audio file, streaming `partial` and `final` events as it goes.
#[utoipa::path(post, path = "/v1/transcribe/stream", tag = "transcription",
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "an audio file"),
    responses((status = 200, content_type = "text/event-stream",
               description = "`data:` lines of {\"type\":\"partial\"|\"final\"|\"error\", ...}"),
              (status = 400, body = ErrorBody), (status = 413, body = ErrorBody),
              (status = 415, body = ErrorBody), (status = 422, body = ErrorBody),
              (status = 503, body = ErrorBody)))]
pub async fn transcribe_stream(
    State(state): State<SharedState>,
    headers: HeaderMap,
    body: Body,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    state.engine()?;
    let bytes = read_body(&state, body).await?;
    let reader = open_audio(bytes, format_hint(&headers)).await?;
    let slot = acquire_slot(&state).await?;
    let live = LiveTranscription::start(state.clone(), SAMPLE_RATE as u32)?;
    let (events, stream) = mpsc::channel(16);
    let task = stream_file(state.clone(), reader, live, events);
    state.streams.spawn(async move {
        task.await;
        drop(slot);
    });
    Ok(Sse::new(ReceiverStream::new(stream))
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(10))))
}

/// Feeds the file into the live transcription and turns its updates into events.
async fn stream_file(
    state: SharedState,
    reader: noi_engine::audio::AudioReader,
    mut live: LiveTranscription,
    events: mpsc::Sender<Result<Event, Infallible>>,
) {
    state.metrics.active_streams.inc();
    let max_secs = state.config.limits.max_audio_secs;
    let (chunk_tx, mut chunks) = mpsc::channel(4);
    let reading = tokio::task::spawn_blocking(move || {
        let mut limited = LimitedChunks::new(reader, max_secs);
        for chunk in limited.by_ref() {
            if chunk_tx.blocking_send(chunk).is_err() {
                return FileRead::default();
            }
        }
        FileRead {
            too_long: limited.too_long,
            warnings: limited.warnings().to_vec(),
        }
    });
    let send = |message: ServerMessage| {
        let events = events.clone();
        async move {
            events
                .send(Ok(Event::default().data(message.to_sse_json())))
                .await
                .is_ok()
        }
    };
    let mut reading_done = false;
    let mut client_gone = false;
    loop {
        // Backpressure: the file is read no faster than the engine decodes it.
        let behind = live.is_behind();
        tokio::select! {
            _ = events.closed() => { client_gone = true; break; }
            _ = state.shutdown.cancelled(), if !reading_done => { reading_done = true; live.begin_finish(); }
            _ = tokio::time::sleep(BACKLOG_POLL), if behind && !reading_done => {}
            chunk = chunks.recv(), if !reading_done && !behind => match chunk {
                Some(Ok(samples)) => live.push(&samples),
                Some(Err(err)) => {
                    let err = ApiError::from(err);
                    send(ServerMessage::error(err.code, err.message)).await;
                    reading_done = true;
                    live.begin_finish();
                }
                None => { reading_done = true; live.begin_finish(); }
            },
            update = live.next_update() => match update {
                Some(update) => {
                    if !send(ServerMessage::from_update(update)).await {
                        client_gone = true;
                        break;
                    }
                }
                None => break,
            },
        }
    }
    drop(chunks);
    if client_gone {
        // Nobody will read the rest: stop decoding now (the slot is released after this).
        let _ = reading.await;
        live.discard().await;
        state.metrics.active_streams.dec();
        return;
    }
    let read = reading.await.unwrap_or_default();
    if read.too_long {
        let err = ApiError::audio_too_long(max_secs);
        send(ServerMessage::error(err.code, err.message)).await;
    }
    for message in read.warnings {
        send(ServerMessage::Warning { message }).await;
    }
    match live.result().await {
        Ok(transcript) => {
            state.metrics.audio_seconds.inc_by(transcript.duration);
        }
        Err(err) => {
            send(ServerMessage::error(err.code, err.message)).await;
        }
    }
    state.metrics.active_streams.dec();
}

/// How reading a streamed file ended.
#[derive(Default)]
struct FileRead {
    /// It passed the audio-length limit; the rest was not read.
    too_long: bool,
    /// Problems with the file that were worked around (a cut file, damaged packets).
    warnings: Vec<String>,
}

/// How often a stream that stopped reading its file checks whether the engine caught up.
const BACKLOG_POLL: Duration = Duration::from_millis(20);

/// A container hint from the Content-Type, for formats that are hard to sniff.
pub fn format_hint(headers: &HeaderMap) -> Option<String> {
    let content_type = headers.get(header::CONTENT_TYPE)?.to_str().ok()?;
    extension_for_mime(content_type).map(str::to_owned)
}

pub fn extension_for_mime(mime: &str) -> Option<&'static str> {
    let essence = mime.split(';').next()?.trim().to_ascii_lowercase();
    Some(match essence.as_str() {
        "audio/wav" | "audio/wave" | "audio/x-wav" | "audio/vnd.wave" => "wav",
        "audio/flac" | "audio/x-flac" => "flac",
        "audio/mpeg" | "audio/mp3" => "mp3",
        // `audio/ogg; codecs=opus` too: the Ogg reader finds the codec in the stream.
        "audio/ogg" | "application/ogg" => "ogg",
        "audio/opus" => "opus",
        "audio/mp4" | "audio/m4a" | "audio/x-m4a" | "audio/aac" => "m4a",
        "audio/webm" | "video/webm" => "webm",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mime_hints() {
        assert_eq!(extension_for_mime("audio/wav"), Some("wav"));
        assert_eq!(extension_for_mime("Audio/MPEG; charset=x"), Some("mp3"));
        assert_eq!(extension_for_mime("application/octet-stream"), None);
    }

    /// What browsers' MediaRecorder and Opus tools label their recordings with.
    #[test]
    fn opus_mime_types_hint_their_containers() {
        assert_eq!(extension_for_mime("audio/webm"), Some("webm"));
        assert_eq!(extension_for_mime("audio/webm;codecs=opus"), Some("webm"));
        assert_eq!(
            extension_for_mime("video/webm; codecs=\"opus\""),
            Some("webm")
        );
        assert_eq!(extension_for_mime("audio/ogg; codecs=opus"), Some("ogg"));
        assert_eq!(extension_for_mime("audio/opus"), Some("opus"));
    }
}
