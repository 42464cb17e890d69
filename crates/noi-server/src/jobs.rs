//! Whole-file transcription for the REST routes: body limits, a bounded number of files at
//! once, audio-length limit, the decode itself off the async threads.

use std::time::Instant;

use axum::body::{Body, Bytes};
use http_body_util::BodyExt;
use noi_engine::EngineError;
use noi_engine::SAMPLE_RATE;
use noi_engine::audio::AudioReader;
use noi_engine::transcript::Transcript;
use tokio::sync::OwnedSemaphorePermit;
use tokio_util::sync::CancellationToken;

use crate::error::ApiError;
use crate::state::SharedState;

/// Reads a request body up to the configured limit. A larger body is read to its end and
/// discarded (not kept) before the 413, so the client gets the answer instead of a broken
/// pipe while it is still sending.
pub async fn read_body(state: &SharedState, body: Body) -> Result<Bytes, ApiError> {
    let limit = state.config.limits.body_limit_bytes;
    let mut body = body;
    let mut kept = Vec::new();
    let mut total = 0usize;
    while let Some(frame) = with_idle_timeout(body.frame()).await? {
        let Ok(frame) = frame else {
            return Err(ApiError::new(
                axum::http::StatusCode::BAD_REQUEST,
                "empty_body",
                "the request body could not be read to its end; send it again",
            ));
        };
        let Ok(data) = frame.into_data() else {
            continue;
        };
        total = total.saturating_add(data.len());
        if total > DISCARD_CAP.max(limit) {
            break;
        }
        if total <= limit {
            kept.extend_from_slice(&data);
        }
    }
    if total > limit {
        return Err(ApiError::payload_too_large(limit));
    }
    if kept.is_empty() {
        return Err(ApiError::empty_body());
    }
    Ok(Bytes::from(kept))
}

/// How long a request body may send nothing before the request is answered 408: a client
/// that stops mid-body must not hold its connection (and the bytes it sent) forever.
pub const BODY_IDLE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// Awaits one step of reading a body, at most [`BODY_IDLE_TIMEOUT`].
pub async fn with_idle_timeout<T>(
    step: impl std::future::Future<Output = T>,
) -> Result<T, ApiError> {
    tokio::time::timeout(BODY_IDLE_TIMEOUT, step)
        .await
        .map_err(|_| ApiError::request_timeout(BODY_IDLE_TIMEOUT.as_secs()))
}

/// How much of an oversize body is read and thrown away before the connection is dropped.
const DISCARD_CAP: usize = 1 << 30;

/// Waits for a transcription slot, at most the queue timeout.
pub async fn acquire_slot(state: &SharedState) -> Result<OwnedSemaphorePermit, ApiError> {
    if state.shutdown.is_cancelled() {
        return Err(ApiError::shutting_down());
    }
    let timeout = state.config.limits.queue_timeout;
    state.metrics.queue_depth.inc();
    let permit =
        tokio::time::timeout(timeout, std::sync::Arc::clone(&state.slots).acquire_owned()).await;
    state.metrics.queue_depth.dec();
    match permit {
        Ok(Ok(permit)) => Ok(permit),
        Ok(Err(_)) => Err(ApiError::shutting_down()),
        Err(_) => Err(ApiError::busy(timeout.as_secs())),
    }
}

/// Opens audio held in memory (checks its format before any decoding work).
pub async fn open_audio(bytes: Bytes, hint: Option<String>) -> Result<AudioReader, ApiError> {
    tokio::task::spawn_blocking(move || AudioReader::from_bytes(bytes.to_vec(), hint.as_deref()))
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::from)
}

/// Transcribes a whole file the way `noi transcribe` does.
///
/// When the client goes away, the server drops this future: the decode is then cancelled
/// (the reader stops handing out audio), and the slot stays taken until the decode has really
/// stopped, so `--pool-size` bounds the work running, not just the requests waiting.
/// Also returns the reader's warnings: problems worked around (a file cut short, damaged
/// packets), so the client learns the transcript covers only part of what it sent.
pub async fn transcribe(
    state: &SharedState,
    reader: AudioReader,
) -> Result<(Transcript, Vec<String>), ApiError> {
    let engine = state.engine()?;
    let slot = acquire_slot(state).await?;
    let config = engine.config.recognizer_config();
    let max_secs = state.config.limits.max_audio_secs;
    let started = Instant::now();
    let client_gone = CancellationToken::new();
    let _cancel_when_dropped = client_gone.clone().drop_guard();
    let decoding = tokio::task::spawn_blocking(move || {
        let _slot = slot;
        let mut chunks = LimitedChunks::new(reader, max_secs).cancelled_by(client_gone);
        let result = engine
            .recognizer
            .transcribe_chunks(chunks.by_ref(), &config, |_| {});
        if chunks.too_long {
            return Err(ApiError::audio_too_long(max_secs));
        }
        let warnings = chunks.warnings().to_vec();
        result.map(|t| (t, warnings)).map_err(ApiError::from)
    });
    let (transcript, warnings) = tokio::select! {
        decoded = decoding => decoded.map_err(ApiError::internal)??,
        // Dropping `_cancel_when_dropped` on the way out stops the decode.
        _ = state.drain_ending.cancelled() => return Err(ApiError::shutting_down()),
    };
    state
        .metrics
        .inference_seconds
        .observe(started.elapsed().as_secs_f64());
    state.metrics.audio_seconds.inc_by(transcript.duration);
    Ok((transcript, warnings))
}

/// The reader's 16 kHz chunks, ending early (and saying so) past the audio-length limit,
/// so a long file costs no more than the limit; and ending in an error once the request is
/// cancelled, so the decode stops without finishing what is open.
pub struct LimitedChunks {
    reader: AudioReader,
    max_samples: usize,
    seen: usize,
    pub too_long: bool,
    cancel: Option<CancellationToken>,
}

impl LimitedChunks {
    pub fn new(reader: AudioReader, max_secs: u64) -> Self {
        LimitedChunks {
            reader,
            max_samples: max_secs as usize * SAMPLE_RATE,
            seen: 0,
            too_long: false,
            cancel: None,
        }
    }

    /// What the reader worked around so far (see [`AudioReader::warnings`]).
    pub fn warnings(&self) -> &[String] {
        self.reader.warnings()
    }

    /// Stops with an error at the next chunk once `cancel` is cancelled.
    pub fn cancelled_by(mut self, cancel: CancellationToken) -> Self {
        self.cancel = Some(cancel);
        self
    }
}

/// What the chunks end with when the request was cancelled (nobody reads it).
fn cancelled() -> EngineError {
    EngineError::Inference {
        part: "request",
        reason: "cancelled: the client left".into(),
    }
}

impl Iterator for LimitedChunks {
    type Item = noi_engine::Result<Vec<f32>>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.too_long {
            return None;
        }
        if self
            .cancel
            .as_ref()
            .is_some_and(CancellationToken::is_cancelled)
        {
            return Some(Err(cancelled()));
        }
        match self.reader.next_chunk() {
            Ok(Some(chunk)) => {
                self.seen += chunk.len();
                if self.seen > self.max_samples {
                    self.too_long = true;
                    return None;
                }
                Some(Ok(chunk))
            }
            Ok(None) => None,
            Err(err) => Some(Err(err.into())),
        }
    }
}
