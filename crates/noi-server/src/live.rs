//! A live transcription for one stream (WebSocket or SSE): a [`DictationStream`] whose
//! events arrive as async messages, and the bookkeeping that turns them into phostt's
//! `partial` and `final` messages (finals never repeat earlier finals).

use std::sync::Arc;

use noi_engine::dictation::{DictationEvent, DictationStream};
use noi_engine::transcript::{Segment, Transcript, Word, text_of};
use noi_text::postprocess;
use serde::Serialize;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use utoipa::ToSchema;

use crate::error::ApiError;
use crate::state::SharedState;

/// A word with its times in seconds from the start of the stream.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WordInfo {
    pub word: String,
    pub start: f64,
    pub end: f64,
    pub confidence: f32,
}

impl From<Word> for WordInfo {
    fn from(w: Word) -> Self {
        WordInfo {
            word: w.word,
            start: round_ms(w.start),
            end: round_ms(w.end),
            confidence: w.confidence,
        }
    }
}

/// How far the engine may fall behind a stream's client before the server stops reading it.
pub const MAX_BACKLOG: std::time::Duration = std::time::Duration::from_secs(3);

pub fn round_ms(seconds: f64) -> f64 {
    (seconds * 1000.0).round() / 1000.0
}

/// A message for the client.
#[derive(Debug, Clone, PartialEq)]
pub enum Update {
    Partial(String),
    Final { text: String, words: Vec<Word> },
}

pub struct LiveTranscription {
    state: SharedState,
    stream: Option<DictationStream>,
    events: mpsc::UnboundedReceiver<DictationEvent>,
    /// The engine's `finish`, once called.
    finishing: Option<JoinHandle<noi_engine::Result<Transcript>>>,
    /// Segments already sent as finals.
    sent: usize,
    last_partial: String,
}

impl LiveTranscription {
    /// Starts the engine's stream for audio at `sample_rate`.
    pub fn start(state: SharedState, sample_rate: u32) -> Result<Self, ApiError> {
        let engine = state.engine()?;
        let config = engine.config.dictation_config();
        let mut stream =
            DictationStream::start(Arc::clone(&engine.recognizer), config, sample_rate)?;
        let events = forward(stream.take_events().expect("events are taken once"));
        Ok(LiveTranscription {
            state,
            stream: Some(stream),
            events,
            finishing: None,
            sent: 0,
            last_partial: String::new(),
        })
    }

    pub fn push(&self, samples: &[f32]) {
        if let Some(stream) = &self.stream {
            stream.push(samples);
        }
    }

    /// True while the engine is more than [`MAX_BACKLOG`] behind what was pushed: the caller
    /// stops reading its client until it catches up (backpressure), so a client sending
    /// faster than real time costs a bounded queue, not memory and CPU after it has left.
    pub fn is_behind(&self) -> bool {
        self.stream
            .as_ref()
            .is_some_and(|stream| stream.backlog() > MAX_BACKLOG)
    }

    /// No more audio: the engine decodes what is open. Keep reading [`Self::next_update`]
    /// until `None`, then [`Self::result`].
    pub fn begin_finish(&mut self) {
        if let Some(stream) = self.stream.take() {
            self.finishing = Some(tokio::task::spawn_blocking(move || stream.finish()));
        }
    }

    /// The next update to send; `None` once the stream has ended (after `begin_finish`:
    /// the last update was the one final for what remained).
    pub async fn next_update(&mut self) -> Option<Update> {
        loop {
            let event = self.events.recv().await?;
            if let Some(update) = self.on_event(event) {
                return Some(update);
            }
        }
    }

    /// The whole transcript, or why the stream failed.
    pub async fn result(mut self) -> Result<Transcript, ApiError> {
        self.begin_finish();
        let finishing = self.finishing.take().expect("finish begun above");
        Ok(finishing.await.map_err(ApiError::internal)??)
    }

    fn on_event(&mut self, event: DictationEvent) -> Option<Update> {
        match event {
            DictationEvent::Segment(segment) => {
                self.sent += 1;
                self.last_partial.clear();
                let update = self.final_of(std::slice::from_ref(&segment));
                // Silence closed with no words: nothing worth a final.
                matches!(&update, Update::Final { text, .. } if !text.is_empty()).then_some(update)
            }
            DictationEvent::Partial { tentative, .. } => {
                let text = postprocess(&tentative, &self.state.text_options());
                if self.finishing.is_some() || text.is_empty() || text == self.last_partial {
                    return None;
                }
                self.last_partial = text.clone();
                Some(Update::Partial(text))
            }
            // Always sent, even empty: the client learns the stream is done.
            DictationEvent::Final(transcript) => {
                let rest = transcript.segments.get(self.sent..).unwrap_or_default();
                Some(self.final_of(rest))
            }
        }
    }

    /// Stops at once without sending anything (the client is gone): audio still queued is
    /// thrown away, not decoded. Returns when the engine's worker has stopped.
    pub async fn discard(mut self) {
        let sent = self.sent;
        if let Some(stream) = self.stream.take() {
            let _ = tokio::task::spawn_blocking(move || stream.cancel()).await;
        } else if let Some(finishing) = self.finishing.take() {
            let _ = finishing.await;
        }
        tracing::info!(
            finals_sent = sent,
            "client left: the stream stopped, its pending audio discarded"
        );
    }

    fn final_of(&self, segments: &[Segment]) -> Update {
        Update::Final {
            text: postprocess(&text_of(segments), &self.state.text_options()),
            words: segments.iter().flat_map(Segment::words).collect(),
        }
    }
}

/// Moves the engine's blocking event channel onto an async one (one small thread per stream;
/// it ends when the stream's worker does).
fn forward(
    events: std::sync::mpsc::Receiver<DictationEvent>,
) -> mpsc::UnboundedReceiver<DictationEvent> {
    let (tx, rx) = mpsc::unbounded_channel();
    let _ = std::thread::Builder::new()
        .name("noi-stream-events".into())
        .spawn(move || {
            for event in events {
                if tx.send(event).is_err() {
                    break;
                }
            }
        });
    rx
}
