//! Dictation with an offline model: text while the user speaks, and a final result that does
//! not wait for the whole utterance to be decoded after release.
//!
//! A worker thread owns the stream. It resamples what the caller pushes, runs the VAD, and
//! decodes every segment as soon as a pause closes it. The segment still open is re-decoded
//! on a cadence for tentative text, less often when decoding is slow, so the worker never
//! falls behind real time. On [`DictationStream::finish`] only the open tail is left: it is
//! padded with silence (so the last word survives) and decoded once. Every segment is decoded
//! exactly as a file segment is, so the final text equals the offline decode of the same
//! segments.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::cutter::{CutMode, SpeechCutter};
use crate::error::{EngineError, Result};
use crate::gate::DecodeCancel;
use crate::model_input::SAMPLE_RATE;
use crate::recognizer::Recognizer;
use crate::resample::Resampler;
use crate::search::SearchMethod;
use crate::segment::{SegmentRange, SegmenterConfig};
use crate::transcript::{Segment, Transcript, text_of};

#[derive(Debug, Clone)]
pub struct DictationConfig {
    pub method: SearchMethod,
    pub segmenter: SegmenterConfig,
    /// How often the open segment is re-decoded for tentative text (at the least).
    pub cadence: Duration,
    /// Silence appended after release before the last decode.
    pub tail_padding: Duration,
}

impl Default for DictationConfig {
    fn default() -> Self {
        DictationConfig {
            method: SearchMethod::Greedy,
            segmenter: SegmenterConfig {
                // Less audio after the VAD's speech end (whose hangover already trails the
                // voice): the tail's end is known sooner, so it is often decoded before the
                // user lets go.
                end_pad_secs: 0.15,
                ..SegmenterConfig::default()
            },
            cadence: Duration::from_millis(400),
            tail_padding: Duration::from_millis(500),
        }
    }
}

/// What the stream reports while it runs. Texts are the model's raw text; doors turn them
/// into written text with the `noi-text` crate.
#[derive(Debug, Clone, PartialEq)]
pub enum DictationEvent {
    /// `committed`: text of closed segments (will not change); `tentative`: the open segment's
    /// current reading (may change).
    Partial {
        committed: String,
        tentative: String,
    },
    /// A segment closed at a pause while audio still streams in, decoded for good (sent
    /// before the `Partial` that includes it in `committed`). Segments closed by `finish`
    /// are not announced: they arrive in `Final`. Doors that report utterance by utterance
    /// use it.
    Segment(Segment),
    /// Everything, after `finish`.
    Final(Transcript),
}

enum Command {
    Audio(Vec<f32>),
    Finish,
    Cancel,
}

/// Pushes audio into a [`DictationStream`] (see [`DictationStream::input`]).
#[derive(Clone)]
pub struct DictationInput {
    commands: Sender<Command>,
    queue: Arc<Queue>,
}

impl DictationInput {
    /// Queues audio; never blocks and never drops it while the stream runs.
    pub fn push(&self, samples: &[f32]) {
        self.queue.push(&self.commands, samples);
    }
}

/// What the caller and the worker share about the audio between them.
struct Queue {
    /// Input samples pushed and not yet taken in by the worker: how far it is behind.
    pending: AtomicUsize,
    /// Set by `cancel` (and drop): the worker stops at once, throwing away queued audio.
    abandoned: AtomicBool,
}

impl Queue {
    fn push(&self, commands: &Sender<Command>, samples: &[f32]) {
        self.pending.fetch_add(samples.len(), Ordering::SeqCst);
        // A send only fails when the worker has stopped, which `finish` reports.
        if commands.send(Command::Audio(samples.to_vec())).is_err() {
            self.pending.fetch_sub(samples.len(), Ordering::SeqCst);
        }
    }

    fn taken(&self, samples: usize) {
        self.pending.fetch_sub(samples, Ordering::SeqCst);
    }

    fn is_abandoned(&self) -> bool {
        self.abandoned.load(Ordering::SeqCst)
    }
}

/// One dictation. Dropping it without `finish` cancels it.
pub struct DictationStream {
    commands: Sender<Command>,
    /// Stops the worker's tentative decodes the moment the user lets go or cancels.
    tentative: Arc<DecodeCancel>,
    events: Option<Receiver<DictationEvent>>,
    worker: Option<JoinHandle<Result<Transcript>>>,
    queue: Arc<Queue>,
    sample_rate: u32,
}

impl DictationStream {
    /// Starts a stream taking mono audio at `sample_rate`.
    pub fn start(
        recognizer: Arc<Recognizer>,
        config: DictationConfig,
        sample_rate: u32,
    ) -> Result<Self> {
        let resampler = Resampler::new(sample_rate, SAMPLE_RATE as u32)?;
        // The desktop's tests read this to see that its hotword list reached the search.
        tracing::debug!("dictation stream uses {}", config.method);
        let (commands, command_rx) = mpsc::channel();
        let (event_tx, events) = mpsc::channel();
        let tentative = Arc::new(DecodeCancel::new()?);
        let queue = Arc::new(Queue {
            pending: AtomicUsize::new(0),
            abandoned: AtomicBool::new(false),
        });
        let worker = Worker::new(
            recognizer,
            config,
            resampler,
            event_tx,
            Arc::clone(&tentative),
            Arc::clone(&queue),
        );
        let worker = std::thread::Builder::new()
            .name("noi-dictation".into())
            .spawn(move || worker.run(command_rx))
            .map_err(|e| EngineError::inference("dictation worker", e))?;
        Ok(DictationStream {
            commands,
            tentative,
            events: Some(events),
            worker: Some(worker),
            queue,
            sample_rate,
        })
    }

    /// Queues audio; never blocks and never drops it. A caller fed faster than real time
    /// (a network client) watches [`Self::backlog`] and stops reading while it is long.
    pub fn push(&self, samples: &[f32]) {
        self.queue.push(&self.commands, samples);
    }

    /// How much pushed audio the worker has not taken in yet.
    pub fn backlog(&self) -> Duration {
        let pending = self.queue.pending.load(Ordering::SeqCst);
        Duration::from_secs_f64(pending as f64 / f64::from(self.sample_rate))
    }

    /// A handle that pushes audio into this stream from another thread (a microphone's), while
    /// the stream itself stays with whoever will finish or cancel it. Audio pushed after
    /// `finish` or `cancel` is ignored.
    pub fn input(&self) -> DictationInput {
        DictationInput {
            commands: self.commands.clone(),
            queue: Arc::clone(&self.queue),
        }
    }

    /// The events, for a consumer on another thread (taken once).
    pub fn take_events(&mut self) -> Option<Receiver<DictationEvent>> {
        self.events.take()
    }

    /// Next event without waiting, when the events were not taken.
    pub fn try_event(&self) -> Option<DictationEvent> {
        self.events.as_ref()?.try_recv().ok()
    }

    /// Ends the dictation: pads, decodes the open tail and returns the whole transcript
    /// (also sent as [`DictationEvent::Final`]).
    pub fn finish(mut self) -> Result<Transcript> {
        self.tentative.cancel();
        let _ = self.commands.send(Command::Finish);
        self.join()
    }

    /// Stops without a final decode, throwing away audio still queued (a client that left
    /// must not cost the decoding of what it had sent ahead).
    pub fn cancel(mut self) {
        self.abandon();
        let _ = self.join();
    }

    fn abandon(&self) {
        self.queue.abandoned.store(true, Ordering::SeqCst);
        self.tentative.cancel();
        let _ = self.commands.send(Command::Cancel);
    }

    fn join(&mut self) -> Result<Transcript> {
        let worker = self.worker.take().expect("joined once");
        worker
            .join()
            .unwrap_or_else(|_| Err(EngineError::inference("dictation worker", "it panicked")))
    }
}

impl Drop for DictationStream {
    fn drop(&mut self) {
        if self.worker.is_some() {
            self.abandon();
            let _ = self.join();
        }
    }
}

/// The thread that does the work; see the module docs.
struct Worker {
    recognizer: Arc<Recognizer>,
    config: DictationConfig,
    resampler: Resampler,
    cutter: SpeechCutter,
    committed: Vec<Segment>,
    events: Sender<DictationEvent>,
    /// Audio arrived since the open segment was last decoded.
    open_changed: bool,
    last_tentative: Instant,
    tentative_interval: Duration,
    scratch: Vec<f32>,
    tentative: Arc<DecodeCancel>,
    /// The open segment decoded ahead, as `finish` would decode it, once speech paused
    /// (see [`Worker::speculate`]).
    speculation: Option<Segment>,
    queue: Arc<Queue>,
}

impl Worker {
    fn new(
        recognizer: Arc<Recognizer>,
        config: DictationConfig,
        resampler: Resampler,
        events: Sender<DictationEvent>,
        tentative: Arc<DecodeCancel>,
        queue: Arc<Queue>,
    ) -> Self {
        Worker {
            recognizer,
            resampler,
            cutter: SpeechCutter::new(config.segmenter, CutMode::Always),
            committed: Vec::new(),
            events,
            open_changed: false,
            last_tentative: Instant::now(),
            tentative_interval: config.cadence,
            scratch: Vec::new(),
            config,
            tentative,
            speculation: None,
            queue,
        }
    }

    fn run(mut self, commands: Receiver<Command>) -> Result<Transcript> {
        loop {
            let command = match self.tentative_due_in() {
                Some(wait) => commands.recv_timeout(wait),
                None => commands.recv().map_err(|_| RecvTimeoutError::Disconnected),
            };
            if self.queue.is_abandoned() {
                return Ok(Transcript::default());
            }
            match command {
                Ok(Command::Audio(samples)) => {
                    let taken = self.ingest(&samples);
                    self.queue.taken(samples.len());
                    taken?;
                }
                // Pending audio first: a tentative decode only when nothing is queued.
                Err(RecvTimeoutError::Timeout) => self.decode_open()?,
                Ok(Command::Finish) => return self.finish(),
                Ok(Command::Cancel) | Err(RecvTimeoutError::Disconnected) => {
                    return Ok(Transcript::default());
                }
            }
        }
    }

    /// How long until the open segment should be re-decoded; None when it need not be.
    fn tentative_due_in(&self) -> Option<Duration> {
        (self.open_changed && self.cutter.open_range().is_some()).then(|| {
            self.tentative_interval
                .saturating_sub(self.last_tentative.elapsed())
        })
    }

    fn ingest(&mut self, samples: &[f32]) -> Result<()> {
        self.scratch.clear();
        self.resampler.process(samples, &mut self.scratch);
        let audio = std::mem::take(&mut self.scratch);
        let result = self.cut_and_decode(&audio);
        self.scratch = audio;
        result?;
        self.speculate()
    }

    /// Once the speaker pauses, the open segment's final extent is known (speech end plus
    /// padding) even though the pause is not yet long enough to close it: the user often
    /// lets go right then. Decoding it now, exactly as `finish` would, means the release
    /// finds its final text ready. Optional work: skipped when the engine is busy.
    fn speculate(&mut self) -> Result<()> {
        let padding = self.padding_samples();
        let Some((range, audio)) = self.cutter.settled_tail(padding) else {
            return Ok(());
        };
        let same = |s: &Segment| (s.start_sample, s.end_sample) == (range.start, range.end);
        if self.speculation.as_ref().is_some_and(same) {
            return Ok(());
        }
        let decoded = self
            .recognizer
            .try_decode_samples(&audio, range, &self.config.method);
        if let Some(segment) = decoded.transpose()? {
            self.open_changed = false;
            self.send_partial(segment.text());
            self.speculation = Some(segment);
        }
        Ok(())
    }

    fn padding_samples(&self) -> usize {
        (self.config.tail_padding.as_secs_f64() * SAMPLE_RATE as f64) as usize
    }

    fn cut_and_decode(&mut self, audio: &[f32]) -> Result<()> {
        let closed = self.cutter.push(self.recognizer.vad(), audio)?;
        self.open_changed |= !audio.is_empty();
        if !closed.is_empty() {
            // A pause closed the open segment: what was decoded ahead is moot.
            self.speculation = None;
            for range in closed {
                self.commit(range, true)?;
            }
            self.send_partial(String::new());
        }
        self.cutter.drop_consumed();
        Ok(())
    }

    fn commit(&mut self, range: SegmentRange, announce: bool) -> Result<()> {
        let segment = self
            .recognizer
            .decode_range(&self.cutter, range, &self.config.method)?;
        if announce {
            let _ = self.events.send(DictationEvent::Segment(segment.clone()));
        }
        self.committed.push(segment);
        Ok(())
    }

    /// Re-decodes the open segment for tentative text, and slows the cadence when that
    /// decode is expensive so it never takes more than half the worker's time. Tentative
    /// text is optional work: when the shared engine is busy with decodes someone waits for
    /// (other streams' segments, a file), it is skipped until the next tick.
    fn decode_open(&mut self) -> Result<()> {
        let Some(range) = self.cutter.open_range() else {
            return Ok(());
        };
        let started = Instant::now();
        let decoded = self.recognizer.try_decode_range(
            &self.cutter,
            range,
            &self.config.method,
            &self.tentative,
        );
        self.last_tentative = Instant::now();
        let Some(segment) = decoded.transpose()? else {
            return Ok(());
        };
        self.tentative_interval = self.config.cadence.max(started.elapsed() * 2);
        self.open_changed = false;
        self.send_partial(segment.text());
        Ok(())
    }

    fn send_partial(&self, tentative: String) {
        let committed = text_of(&self.committed);
        let _ = self.events.send(DictationEvent::Partial {
            committed,
            tentative,
        });
    }

    /// Flushes the resampler, pads silence, closes the open segment at the very end and
    /// decodes what is left.
    fn finish(mut self) -> Result<Transcript> {
        let mut tail = Vec::new();
        self.resampler.flush(&mut tail);
        self.cut_and_decode(&tail)?;
        let spoken = self.cutter.total();
        let padding = self.padding_samples();
        for range in self.cutter.finish(self.recognizer.vad(), padding)? {
            match self.speculation.take() {
                // Decoded ahead from exactly this audio: the same result, already there.
                Some(ready)
                    if (ready.start_sample, ready.end_sample) == (range.start, range.end) =>
                {
                    self.committed.push(ready);
                }
                _ => self.commit(range, false)?,
            }
        }
        let transcript = Transcript {
            // The audio the user gave, without the padding.
            duration: spoken as f64 / SAMPLE_RATE as f64,
            segments: std::mem::take(&mut self.committed),
        };
        let _ = self.events.send(DictationEvent::Final(transcript.clone()));
        Ok(transcript)
    }
}
