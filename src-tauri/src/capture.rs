//! The microphone: opened for one dictation and closed after it (the privacy indicator must go
//! off when idle).
//!
//! One thread per open microphone owns the cpal stream (cpal streams are not `Send` on every
//! platform) and does everything but the driver's callback: mixing to mono, resampling to
//! 16 kHz with one stateful resampler for the whole session, keeping the recording, feeding the
//! dictation stream, and recovering from errors.
//!
//! - **Format**: a 16 kHz mono configuration is preferred when the device offers one (no
//!   resampling at all: the samples are the device's own), else the device's default, converted.
//! - **Pre-roll**: audio that arrives before the dictation stream is attached is kept (up to
//!   [`PRE_ROLL_LIMIT`]) and handed over first, so the first syllable survives however the
//!   device start and the stream start interleave.
//! - **Start**: "recording" is reported at the first real callback, not when the stream is
//!   built.
//! - **Errors**: a stream error or a device that stops delivering ([`STALL_TIMEOUT`]) rebuilds
//!   the stream, on the chosen device if it is back, else the default one, keeping the user's
//!   choice in the settings untouched; when no device can be opened the session is reported
//!   failed, and what was captured so far is kept.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use cpal::traits::{DeviceTrait, HostTrait, StreamTrait};
use cpal::{SampleFormat, SampleRate, StreamConfig};
use noi_engine::dictation::DictationInput;
use noi_engine::resample::Resampler;
use thiserror::Error;

/// The engine's rate.
pub const TARGET_RATE: u32 = noi_engine::SAMPLE_RATE as u32;
/// The most audio kept before the dictation stream is attached (it normally is within
/// milliseconds; this only bounds memory if it never is).
pub const PRE_ROLL_LIMIT: Duration = Duration::from_secs(30);
/// A device that delivers nothing for this long while open is treated as gone.
pub const STALL_TIMEOUT: Duration = Duration::from_millis(1500);

#[derive(Debug, Error)]
pub enum CaptureError {
    #[error("no microphone found: connect one, or check the sound settings")]
    NoDevice,
    #[error("cannot open the microphone \"{device}\": {reason}")]
    Open { device: String, reason: String },
    #[error("the microphone stopped: {0}")]
    Lost(String),
}

/// What the capture thread tells the coordinator's side.
#[derive(Debug, Clone, PartialEq)]
pub enum CaptureReport {
    /// The first real callback of the session.
    Started { device: String },
    /// The device failed and no other could be opened.
    Failed(String),
    /// The device was replaced after an error (the dictation goes on).
    Recovered { device: String },
}

/// An input device as the tray and the settings show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceInfo {
    pub name: String,
    pub is_default: bool,
}

/// The input devices now present (costs tens of milliseconds: call when a menu opens).
pub fn list_devices() -> Vec<DeviceInfo> {
    let host = cpal::default_host();
    let default = host.default_input_device().and_then(|d| d.name().ok());
    let Ok(devices) = host.input_devices() else {
        return Vec::new();
    };
    devices
        .filter_map(|d| d.name().ok())
        .map(|name| DeviceInfo {
            is_default: default.as_deref() == Some(name.as_str()),
            name,
        })
        .collect()
}

/// What the capture thread hears from the driver callbacks and from its owner. Driver
/// messages carry their stream's id: after a rebuild, late ones from the old stream are
/// recognised and dropped.
enum Input {
    Audio { stream: u64, samples: Vec<f32> },
    StreamError { stream: u64, reason: String },
    Attach(DictationInput),
    Stop,
}

/// Rebuild attempts after a failure before the session is reported failed.
const REBUILD_ATTEMPTS: u32 = 4;

/// An open microphone. [`Microphone::close`] drains it and returns the session's audio.
pub struct Microphone {
    control: Sender<Input>,
    thread: Option<JoinHandle<Vec<f32>>>,
    /// The RMS of the latest buffer (f32 bits), for the overlay's level meter.
    level: Arc<AtomicU32>,
}

impl Microphone {
    /// Opens `choice` (a device name; `None` or absent: the default device) and starts
    /// capturing. Reports go to `reports`; the first is `Started` or `Failed`.
    ///
    /// Audio that arrives before `ignore_until` is dropped (the start cue plays meanwhile and
    /// must not reach the recording), and "started" is reported only after it.
    pub fn open(
        choice: Option<String>,
        ignore_until: Option<Instant>,
        reports: impl Fn(CaptureReport) + Send + 'static,
    ) -> Microphone {
        let (control, inputs) = mpsc::channel();
        let sender = control.clone();
        let level = Arc::new(AtomicU32::new(0));
        let tap = Arc::clone(&level);
        let thread = std::thread::Builder::new()
            .name("noi-capture".into())
            .spawn(move || {
                let mut capture = CaptureThread::new(choice, sender, Box::new(reports));
                capture.ignore_until = ignore_until;
                capture.level = tap;
                capture.run(inputs)
            })
            .expect("spawn the capture thread");
        Microphone {
            control,
            thread: Some(thread),
            level,
        }
    }

    /// Where the input level (RMS of the latest buffer, 0–1, as f32 bits) can be read.
    pub fn level_tap(&self) -> Arc<AtomicU32> {
        Arc::clone(&self.level)
    }

    /// Feeds the dictation stream from now on (the pre-roll first).
    pub fn attach(&self, input: DictationInput) {
        let _ = self.control.send(Input::Attach(input));
    }

    /// Stops the device, pushes what it had delivered into the stream, and returns everything
    /// captured this session at 16 kHz (for history's recordings).
    pub fn close(mut self) -> Vec<f32> {
        let _ = self.control.send(Input::Stop);
        self.thread
            .take()
            .and_then(|t| t.join().ok())
            .unwrap_or_default()
    }
}

impl Drop for Microphone {
    fn drop(&mut self) {
        if let Some(thread) = self.thread.take() {
            let _ = self.control.send(Input::Stop);
            let _ = thread.join();
        }
    }
}

/// A built stream and how to convert what it delivers.
struct OpenStream {
    id: u64,
    stream: cpal::Stream,
    device: String,
    resampler: Option<Resampler>,
}

struct CaptureThread {
    choice: Option<String>,
    sender: Sender<Input>,
    reports: Box<dyn Fn(CaptureReport) + Send>,
    sink: Option<DictationInput>,
    /// Everything captured, 16 kHz mono.
    recording: Vec<f32>,
    started: bool,
    last_audio: Instant,
    /// Audio before this is dropped (the start cue is playing).
    ignore_until: Option<Instant>,
    /// Where the latest buffer's RMS goes (the overlay's meter).
    level: Arc<AtomicU32>,
    /// Ids for streams, so messages from a replaced one are told apart.
    next_stream_id: u64,
}

/// The capture thread's device state.
enum DeviceState {
    Open(OpenStream),
    /// Rebuilt after a failure, not yet delivering: confirmed by its first audio.
    Reopened(OpenStream),
    /// Broken; the next rebuild attempt is due at `retry_at`.
    Broken {
        retry_at: Instant,
    },
}

impl CaptureThread {
    fn new(
        choice: Option<String>,
        sender: Sender<Input>,
        reports: Box<dyn Fn(CaptureReport) + Send>,
    ) -> Self {
        CaptureThread {
            choice,
            sender,
            reports,
            sink: None,
            recording: Vec::new(),
            started: false,
            last_audio: Instant::now(),
            ignore_until: None,
            level: Arc::new(AtomicU32::new(0)),
            next_stream_id: 0,
        }
    }

    fn run(mut self, inputs: Receiver<Input>) -> Vec<f32> {
        let mut device = match self.open_any() {
            Ok(stream) => DeviceState::Open(stream),
            Err(error) => {
                (self.reports)(CaptureReport::Failed(error.to_string()));
                return self.wait_for_stop(inputs);
            }
        };
        let mut failures = 0;
        self.last_audio = Instant::now();
        loop {
            match inputs.recv_timeout(Duration::from_millis(100)) {
                Ok(Input::Audio { stream, samples }) => {
                    if let DeviceState::Reopened(open) = &device
                        && open.id == stream
                    {
                        (self.reports)(CaptureReport::Recovered {
                            device: open.device.clone(),
                        });
                        failures = 0;
                        device = match device {
                            DeviceState::Reopened(open) => DeviceState::Open(open),
                            other => other,
                        };
                    }
                    if let DeviceState::Open(open) = &mut device
                        && open.id == stream
                    {
                        self.take_audio(&samples, open);
                    }
                }
                Ok(Input::Attach(sink)) => self.attach(sink),
                Ok(Input::StreamError { stream, reason }) => {
                    if current_id(&device) == Some(stream) {
                        tracing::warn!("microphone stream error: {reason}");
                        device = self.broken(&mut failures);
                    }
                }
                Ok(Input::Stop) | Err(RecvTimeoutError::Disconnected) => {
                    return self.close(device, &inputs);
                }
                Err(RecvTimeoutError::Timeout) => {}
            }
            if current_id(&device).is_some() && self.last_audio.elapsed() >= STALL_TIMEOUT {
                tracing::warn!("microphone delivered nothing for {STALL_TIMEOUT:?}");
                device = self.broken(&mut failures);
            }
            if let DeviceState::Broken { retry_at } = device
                && Instant::now() >= retry_at
            {
                if failures > REBUILD_ATTEMPTS {
                    (self.reports)(CaptureReport::Failed(
                        CaptureError::Lost(
                            "no microphone delivers audio; check that it is connected".into(),
                        )
                        .to_string(),
                    ));
                    return self.wait_for_stop(inputs);
                }
                device = match self.open_any() {
                    Ok(stream) => {
                        self.last_audio = Instant::now();
                        DeviceState::Reopened(stream)
                    }
                    Err(error) => {
                        tracing::warn!("{error}");
                        self.broken(&mut failures)
                    }
                };
            }
        }
    }

    /// The stream is gone (dropped with the old state); schedules the next rebuild, backing
    /// off a little each time so a reconnecting device has a moment.
    fn broken(&mut self, failures: &mut u32) -> DeviceState {
        *failures += 1;
        DeviceState::Broken {
            retry_at: Instant::now() + Duration::from_millis(200 * u64::from(*failures)),
        }
    }

    /// The owner's stop: what the device already delivered still belongs to the dictation.
    fn close(mut self, device: DeviceState, inputs: &Receiver<Input>) -> Vec<f32> {
        if let DeviceState::Open(mut open) = device {
            let _ = open.stream.pause();
            while let Ok(input) = inputs.try_recv() {
                if let Input::Audio { stream, samples } = input
                    && stream == open.id
                {
                    self.take_audio(&samples, &mut open);
                }
            }
        }
        self.recording
    }

    /// After a failure: nothing more to capture, but the owner still closes us.
    fn wait_for_stop(self, inputs: Receiver<Input>) -> Vec<f32> {
        loop {
            match inputs.recv() {
                Ok(Input::Stop) | Err(_) => return self.recording,
                Ok(_) => {}
            }
        }
    }

    /// The chosen device if present, else the default one.
    fn open_any(&mut self) -> Result<OpenStream, CaptureError> {
        let host = cpal::default_host();
        let chosen = self.choice.as_deref().and_then(|name| {
            host.input_devices()
                .ok()?
                .find(|d| d.name().is_ok_and(|n| n == name))
        });
        if let Some(name) = self.choice.as_deref()
            && chosen.is_none()
        {
            tracing::info!("the chosen microphone \"{name}\" is absent; using the default one");
        }
        let device = chosen
            .or_else(|| host.default_input_device())
            .ok_or(CaptureError::NoDevice)?;
        self.build(&device)
    }

    fn build(&mut self, device: &cpal::Device) -> Result<OpenStream, CaptureError> {
        self.next_stream_id += 1;
        let id = self.next_stream_id;
        let name = device.name().unwrap_or_else(|_| "microphone".into());
        let open_error = |reason: String| CaptureError::Open {
            device: name.clone(),
            reason,
        };
        let (config, format) = choose_config(device).map_err(open_error)?;
        let channels = usize::from(config.channels.max(1));
        let audio = self.sender.clone();
        let errors = self.sender.clone();
        let on_error = move |error: cpal::StreamError| {
            let _ = errors.send(Input::StreamError {
                stream: id,
                reason: error.to_string(),
            });
        };
        let stream = match format {
            SampleFormat::I16 => device.build_input_stream(
                &config,
                move |data: &[i16], _: &_| {
                    let samples = mix_to_mono(data, channels, |s| f32::from(s) / 32768.0);
                    let _ = audio.send(Input::Audio {
                        stream: id,
                        samples,
                    });
                },
                on_error,
                None,
            ),
            SampleFormat::F32 => device.build_input_stream(
                &config,
                move |data: &[f32], _: &_| {
                    let samples = mix_to_mono(data, channels, |s| s);
                    let _ = audio.send(Input::Audio {
                        stream: id,
                        samples,
                    });
                },
                on_error,
                None,
            ),
            other => return Err(open_error(format!("unsupported sample format {other}"))),
        }
        .map_err(|e| open_error(e.to_string()))?;
        stream.play().map_err(|e| open_error(e.to_string()))?;
        let rate = config.sample_rate.0;
        let resampler = if rate == TARGET_RATE {
            None
        } else {
            Some(Resampler::new(rate, TARGET_RATE).map_err(|e| open_error(e.to_string()))?)
        };
        tracing::info!(
            "microphone \"{name}\" open: {rate} Hz, {channels} channel(s), {format}{}",
            if resampler.is_some() {
                ", resampled to 16 kHz"
            } else {
                ""
            }
        );
        Ok(OpenStream {
            id,
            stream,
            device: name,
            resampler,
        })
    }

    fn take_audio(&mut self, samples: &[f32], stream: &mut OpenStream) {
        self.last_audio = Instant::now();
        if self
            .ignore_until
            .is_some_and(|until| self.last_audio < until)
        {
            return;
        }
        if !self.started {
            self.started = true;
            (self.reports)(CaptureReport::Started {
                device: stream.device.clone(),
            });
        }
        let converted = match stream.resampler.as_mut() {
            Some(resampler) => {
                let mut out = Vec::with_capacity(samples.len());
                resampler.process(samples, &mut out);
                out
            }
            None => samples.to_vec(),
        };
        self.deliver(&converted);
    }

    fn deliver(&mut self, samples: &[f32]) {
        let rms = (samples.iter().map(|s| s * s).sum::<f32>() / samples.len().max(1) as f32).sqrt();
        self.level.store(rms.min(1.0).to_bits(), Ordering::Relaxed);
        self.recording.extend_from_slice(samples);
        match &self.sink {
            Some(sink) => sink.push(samples),
            None => {
                let limit = PRE_ROLL_LIMIT.as_secs() as usize * TARGET_RATE as usize;
                if self.recording.len() > limit {
                    let excess = self.recording.len() - limit;
                    self.recording.drain(..excess);
                }
            }
        }
    }

    fn attach(&mut self, sink: DictationInput) {
        if !self.recording.is_empty() {
            sink.push(&self.recording);
        }
        self.sink = Some(sink);
    }
}

/// The id of the stream in use, if one is.
fn current_id(device: &DeviceState) -> Option<u64> {
    match device {
        DeviceState::Open(open) | DeviceState::Reopened(open) => Some(open.id),
        DeviceState::Broken { .. } => None,
    }
}

/// A 16 kHz mono configuration when the device has one, else its default.
fn choose_config(device: &cpal::Device) -> Result<(StreamConfig, SampleFormat), String> {
    let wanted = SampleRate(TARGET_RATE);
    if let Ok(ranges) = device.supported_input_configs() {
        let mut exact: Vec<_> = ranges
            .filter(|r| r.channels() == 1)
            .filter(|r| matches!(r.sample_format(), SampleFormat::I16 | SampleFormat::F32))
            .filter(|r| r.min_sample_rate() <= wanted && wanted <= r.max_sample_rate())
            .collect();
        // i16 first: it is what microphones produce, so nothing is converted twice.
        exact.sort_by_key(|r| r.sample_format() != SampleFormat::I16);
        if let Some(range) = exact.into_iter().next() {
            let format = range.sample_format();
            return Ok((range.with_sample_rate(wanted).config(), format));
        }
    }
    let default = device.default_input_config().map_err(|e| e.to_string())?;
    Ok((default.config(), default.sample_format()))
}

/// Averages interleaved channels into one, converting each sample with `to_f32`.
pub fn mix_to_mono<T: Copy>(data: &[T], channels: usize, to_f32: impl Fn(T) -> f32) -> Vec<f32> {
    if channels <= 1 {
        return data.iter().map(|&s| to_f32(s)).collect();
    }
    data.chunks(channels)
        .map(|frame| frame.iter().map(|&s| to_f32(s)).sum::<f32>() / frame.len() as f32)
        .collect()
}

/// The names in `/dev/snd`, sorted; `None` where there is no such folder. A cheap sign that
/// a sound device came or went (listing devices through cpal opens every ALSA device).
pub fn sound_device_nodes() -> Option<Vec<String>> {
    let mut names: Vec<String> = std::fs::read_dir("/dev/snd")
        .ok()?
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    Some(names)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mono_passes_through_exactly() {
        let data = [0i16, 1, -1, 32767, -32768];
        let mono = mix_to_mono(&data, 1, |s| f32::from(s) / 32768.0);
        let back: Vec<i16> = mono.iter().map(|&s| (s * 32768.0) as i16).collect();
        assert_eq!(back, data);
    }

    #[test]
    fn stereo_is_averaged() {
        let data = [1.0f32, 0.0, 0.5, 0.5, -1.0, 1.0];
        assert_eq!(mix_to_mono(&data, 2, |s| s), vec![0.5, 0.5, 0.0]);
    }
}
