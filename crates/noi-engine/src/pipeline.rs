//! Long audio at full throughput: one thread reads and cuts the streams (audio decoding,
//! resampling, VAD) while `jobs` workers decode the cut segments, one per session copy of the
//! model ([`crate::model::Transducer::copies`]).
//!
//! ```text
//!  streams ─▶ cutter thread ──(bounded queue of cut segments)──▶ worker 1..jobs ─┐
//!                  │                                                             ▼
//!                  └──────────── "stream i ended: n segments" ────────▶ caller's thread
//!                                                                  (puts segments in order)
//! ```
//!
//! The queue holds at most `jobs` segments (each ≤ 20 s, 1.3 MB), so memory stays flat however
//! long the audio, and a worker finds the next segment waiting whenever the VAD is ahead. The
//! cutter goes on to the next stream as soon as it has cut the last one, so the workers stay
//! busy across file boundaries. Segments may finish out of order; the caller's thread puts
//! them back in order and hands each stream's transcript over in stream order.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use crate::cutter::{CutMode, SpeechCutter};
use crate::error::{EngineError, Result};
use crate::model_input::SAMPLE_RATE;
use crate::recognizer::{Recognizer, RecognizerConfig};
use crate::segment::{SegmentRange, SegmenterConfig};
use crate::transcript::{Segment, Transcript};

/// A stream's 16 kHz chunks.
pub type Chunks<'a> = Box<dyn Iterator<Item = Result<Vec<f32>>> + Send + 'a>;

/// Opens a stream when the cutter gets to it (a file is opened only when its turn comes).
pub type OpenStream<'a> = Box<dyn FnOnce() -> Result<Chunks<'a>> + Send + 'a>;

/// Where the time of a transcription goes, summed over its threads (for `noi bench
/// --profile` and BENCHMARKS.md). Every field is a total over all streams.
#[derive(Debug, Default)]
pub struct StageTimes {
    /// Cutter thread: reading, decoding and resampling the audio.
    pub(crate) read: AtomicU64,
    /// Cutter thread: Silero VAD and the segmenter.
    pub(crate) vad: AtomicU64,
    /// Cutter thread: waiting for room in the queue (decoding is the slower side).
    pub(crate) cutter_blocked: AtomicU64,
    /// Workers: fbank features.
    pub(crate) features: AtomicU64,
    /// Workers: waiting for the engine (another stream's decode holds it).
    pub(crate) gate_wait: AtomicU64,
    /// Workers: the encoder.
    pub(crate) encoder: AtomicU64,
    /// Workers: greedy or beam search (decoder and joiner).
    pub(crate) search: AtomicU64,
    /// Workers: waiting for a cut segment (the VAD is behind).
    pub(crate) worker_idle: AtomicU64,
}

/// [`StageTimes`] read out, in seconds.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct StageSeconds {
    pub read: f64,
    pub vad: f64,
    pub cutter_blocked: f64,
    pub features: f64,
    pub gate_wait: f64,
    pub encoder: f64,
    pub search: f64,
    pub worker_idle: f64,
}

impl StageTimes {
    pub fn seconds(&self) -> StageSeconds {
        let s = |a: &AtomicU64| a.load(Ordering::Relaxed) as f64 / 1e9;
        StageSeconds {
            read: s(&self.read),
            vad: s(&self.vad),
            cutter_blocked: s(&self.cutter_blocked),
            features: s(&self.features),
            gate_wait: s(&self.gate_wait),
            encoder: s(&self.encoder),
            search: s(&self.search),
            worker_idle: s(&self.worker_idle),
        }
    }
}

impl StageTimes {
    pub(crate) fn add_gate_wait(&self, waited: Duration) {
        add(&self.gate_wait, waited);
    }
}

/// Runs `f`, adding its wall time to `total`.
pub(crate) fn timed<T>(total: &AtomicU64, f: impl FnOnce() -> T) -> T {
    let started = Instant::now();
    let out = f();
    add(total, started.elapsed());
    out
}

fn add(total: &AtomicU64, elapsed: Duration) {
    total.fetch_add(elapsed.as_nanos() as u64, Ordering::Relaxed);
}

/// A cut segment waiting to be decoded.
struct Work {
    stream: usize,
    index: usize,
    range: SegmentRange,
    audio: Vec<f32>,
}

/// What the caller's thread hears about.
enum Event {
    Decoded {
        stream: usize,
        index: usize,
        result: Result<Segment>,
    },
    /// The cutter is done with a stream: `segments` were queued, `total` samples read.
    Cut {
        stream: usize,
        segments: usize,
        total: usize,
    },
    Failed {
        stream: usize,
        error: EngineError,
    },
}

/// One stream's segments as they come back, and how it ends.
#[derive(Default)]
struct Assembly {
    decoded: BTreeMap<usize, Segment>,
    /// Segments handed to `on_segment` so far (they are in `done`).
    next: usize,
    done: Vec<Segment>,
    cut: Option<(usize, usize)>,
    error: Option<EngineError>,
}

impl Assembly {
    fn finished(&self) -> bool {
        self.error.is_some() || self.cut.is_some_and(|(segments, _)| self.next == segments)
    }

    fn into_result(self) -> Result<Transcript> {
        if let Some(error) = self.error {
            return Err(error);
        }
        let total = self.cut.map_or(0, |(_, total)| total);
        Ok(Transcript {
            duration: total as f64 / SAMPLE_RATE as f64,
            segments: self.done,
        })
    }
}

/// Sees each segment of stream `i`, in order, as soon as it and those before it are decoded.
pub type OnSegment<'a> = Box<dyn FnMut(usize, &Segment) + 'a>;
/// Gets each stream's transcript (or error), in stream order.
pub type OnStream<'a> = Box<dyn FnMut(usize, Result<Transcript>) + 'a>;

/// Callbacks of [`Recognizer::transcribe_streams`].
pub struct Listener<'a> {
    pub on_segment: OnSegment<'a>,
    pub on_stream: OnStream<'a>,
}

impl Recognizer {
    /// Transcribes `streams` one after the other through the pipeline described in this
    /// module, with [`Recognizer::jobs`] decodes at a time. A failing stream is reported
    /// through `on_stream` and the others still run. `times`, when given, adds up where the
    /// time went.
    pub fn transcribe_streams(
        &self,
        streams: Vec<OpenStream<'_>>,
        config: &RecognizerConfig,
        times: Option<&StageTimes>,
        mut listener: Listener<'_>,
    ) {
        let count = streams.len();
        let unused = StageTimes::default();
        let times = times.unwrap_or(&unused);
        let failed: Vec<AtomicBool> = (0..count).map(|_| AtomicBool::new(false)).collect();
        let jobs = self.jobs();
        tracing::debug!(
            "transcription uses {}, {jobs} decode(s) at a time",
            config.method
        );
        std::thread::scope(|scope| {
            let (events, heard) = mpsc::channel();
            let (queue, to_decode) = mpsc::sync_channel::<Work>(jobs);
            let to_decode = Arc::new(Mutex::new(to_decode));
            for _ in 0..jobs {
                let (to_decode, events) = (Arc::clone(&to_decode), events.clone());
                let failed = &failed;
                scope.spawn(move || self.decode_queued(&to_decode, config, failed, times, events));
            }
            drop(to_decode);
            let failed = &failed;
            let segmenter = config.segmenter;
            scope.spawn(move || self.cut_streams(streams, segmenter, failed, times, queue, events));
            collect(heard, count, failed, &mut listener);
        });
    }

    /// A worker: decodes queued segments until the queue closes.
    fn decode_queued(
        &self,
        to_decode: &Mutex<mpsc::Receiver<Work>>,
        config: &RecognizerConfig,
        failed: &[AtomicBool],
        times: &StageTimes,
        events: mpsc::Sender<Event>,
    ) {
        loop {
            let next = timed(&times.worker_idle, || {
                to_decode.lock().unwrap_or_else(|p| p.into_inner()).recv()
            });
            let Ok(work) = next else { return };
            if failed[work.stream].load(Ordering::Relaxed) {
                continue;
            }
            let result = self
                .decode_segment_timed(&work.audio, &config.method, times)
                .map(|r| self.segment_from(r, work.range));
            let event = Event::Decoded {
                stream: work.stream,
                index: work.index,
                result,
            };
            if events.send(event).is_err() {
                return;
            }
        }
    }

    /// The cutter thread: each stream in turn, its segments into the queue.
    fn cut_streams(
        &self,
        streams: Vec<OpenStream<'_>>,
        segmenter: SegmenterConfig,
        failed: &[AtomicBool],
        times: &StageTimes,
        queue: mpsc::SyncSender<Work>,
        events: mpsc::Sender<Event>,
    ) {
        for (stream, open) in streams.into_iter().enumerate() {
            let cut = self.cut_stream(stream, open, segmenter, &failed[stream], times, &queue);
            let event = match cut {
                Ok(Some((segments, total))) => Event::Cut {
                    stream,
                    segments,
                    total,
                },
                // Already failed (a segment did not decode): that error is reported.
                Ok(None) => continue,
                Err(error) => Event::Failed { stream, error },
            };
            if events.send(event).is_err() {
                return;
            }
        }
    }

    /// Cuts one stream; returns (segments queued, samples read), or `None` when the stream
    /// failed elsewhere meanwhile or nobody decodes any more.
    fn cut_stream(
        &self,
        stream: usize,
        open: OpenStream<'_>,
        segmenter: SegmenterConfig,
        failed: &AtomicBool,
        times: &StageTimes,
        queue: &mpsc::SyncSender<Work>,
    ) -> Result<Option<(usize, usize)>> {
        let mut chunks = timed(&times.read, open)?;
        let mut cutter = SpeechCutter::new(segmenter, CutMode::WholeWhenShort);
        let mut queued = 0;
        let mut send = |cutter: &SpeechCutter, range: SegmentRange| {
            let work = Work {
                stream,
                index: queued,
                range,
                audio: cutter.audio(range).to_vec(),
            };
            queued += 1;
            timed(&times.cutter_blocked, || queue.send(work)).is_ok()
        };
        while let Some(chunk) = timed(&times.read, || chunks.next()) {
            let ranges = timed(&times.vad, || cutter.push(self.vad(), &chunk?))?;
            for range in ranges {
                if !send(&cutter, range) {
                    return Ok(None);
                }
            }
            cutter.drop_consumed();
            if failed.load(Ordering::Relaxed) {
                return Ok(None);
            }
        }
        for range in timed(&times.vad, || cutter.finish(self.vad(), 0))? {
            if !send(&cutter, range) {
                return Ok(None);
            }
        }
        Ok(Some((queued, cutter.total())))
    }
}

/// The caller's thread: puts segments back in order and hands streams over in order.
fn collect(
    heard: mpsc::Receiver<Event>,
    count: usize,
    failed: &[AtomicBool],
    listener: &mut Listener<'_>,
) {
    let mut streams: Vec<Option<Assembly>> =
        (0..count).map(|_| Some(Assembly::default())).collect();
    let mut next_stream = 0;
    for event in heard {
        let stream = match event {
            Event::Decoded {
                stream,
                index,
                result,
            } => {
                let Some(assembly) = streams[stream].as_mut().filter(|a| a.error.is_none()) else {
                    continue;
                };
                match result {
                    Ok(segment) => {
                        assembly.decoded.insert(index, segment);
                        while let Some(segment) = assembly.decoded.remove(&assembly.next) {
                            (listener.on_segment)(stream, &segment);
                            assembly.done.push(segment);
                            assembly.next += 1;
                        }
                    }
                    Err(error) => fail(assembly, &failed[stream], error),
                }
                stream
            }
            Event::Cut {
                stream,
                segments,
                total,
            } => {
                if let Some(assembly) = streams[stream].as_mut() {
                    assembly.cut = Some((segments, total));
                }
                stream
            }
            Event::Failed { stream, error } => {
                if let Some(assembly) = streams[stream].as_mut() {
                    fail(assembly, &failed[stream], error);
                }
                stream
            }
        };
        if stream == next_stream {
            next_stream = hand_over(&mut streams, next_stream, listener);
        }
    }
    // Every thread has ended: a stream still open lost a worker to a panic.
    for (stream, slot) in streams.iter_mut().enumerate().skip(next_stream) {
        if let Some(mut assembly) = slot.take() {
            if !assembly.finished() {
                assembly.error = Some(EngineError::inference("file pipeline", "a thread panicked"));
            }
            (listener.on_stream)(stream, assembly.into_result());
        }
    }
}

fn fail(assembly: &mut Assembly, flag: &AtomicBool, error: EngineError) {
    flag.store(true, Ordering::Relaxed);
    assembly.error.get_or_insert(error);
    assembly.decoded.clear();
}

/// Hands over every finished stream from `next` on, in order; returns the first unfinished.
fn hand_over(
    streams: &mut [Option<Assembly>],
    mut next: usize,
    listener: &mut Listener<'_>,
) -> usize {
    while next < streams.len() && streams[next].as_ref().is_some_and(Assembly::finished) {
        let assembly = streams[next].take().expect("checked above");
        (listener.on_stream)(next, assembly.into_result());
        next += 1;
    }
    next
}
