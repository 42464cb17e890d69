//! The settings window's live level meter, so the user sees that the chosen microphone hears
//! them.
//!
//! Privacy: the meter opens the device only while the window asks for it (the microphone
//! section is shown), and closes it when the window says stop, hides, or closes: its thread
//! checks every [`WINDOW_CHECK`] that the window is still visible. Samples never leave the
//! meter's thread; only two numbers per frame do.
//!
//! The dictation's `Microphone` (capture.rs) feeds a dictation stream and has no level tap,
//! so the meter opens its own cpal input stream on the same device choice (chosen, else the
//! default), which sound servers allow alongside a dictation.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use cpal::traits::{DeviceTrait, HostTrait, StreamTrait};
use noi_desktop_core::messages::Problem;
use serde::Serialize;
use tauri::AppHandle;

use crate::settings_window::{self, events};

/// Levels sent per second at most (a meter needs no more; the IPC is spared).
const FRAME: Duration = Duration::from_millis(50);
/// How often the meter makes sure the window is still there to see it.
const WINDOW_CHECK: Duration = Duration::from_millis(250);

/// One meter frame: the loudest sample and the RMS since the last frame, 0–1.
#[derive(Debug, Clone, Copy, Serialize, PartialEq)]
pub struct Level {
    pub peak: f32,
    pub rms: f32,
    /// Samples measured (to weigh buffers when frames are merged); not sent.
    #[serde(skip)]
    pub frames: usize,
}

/// The running meter: its stop flag and thread.
struct Running {
    stop: Arc<AtomicBool>,
    thread: std::thread::JoinHandle<()>,
}

/// At most one meter: starting another stops the first.
#[derive(Default)]
pub struct LevelMeter {
    running: Mutex<Option<Running>>,
}

impl LevelMeter {
    /// Opens `device` (a name; none: the default one) and sends [`events::LEVEL`] until
    /// stopped. An error names why the device cannot be opened.
    pub fn start(&self, app: &AppHandle, device: Option<String>) -> Result<String, Problem> {
        self.stop();
        let stop = Arc::new(AtomicBool::new(false));
        let (on_open, opened) = mpsc::channel();
        let flag = Arc::clone(&stop);
        let app = app.clone();
        let thread = std::thread::Builder::new()
            .name("noi-level-meter".into())
            .spawn(move || run_meter(&app, device, &flag, &on_open))
            .map_err(|e| Problem::MicrophoneFailed {
                device: String::new(),
                detail: e.to_string(),
            })?;
        let result = opened
            .recv_timeout(Duration::from_secs(5))
            .unwrap_or(Err(Problem::MicrophoneTimeout));
        *self.running.lock().unwrap_or_else(|e| e.into_inner()) = Some(Running { stop, thread });
        result
    }

    /// Closes the meter's device (the window left the microphone section, hid or closed).
    pub fn stop(&self) {
        let running = self
            .running
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        if let Some(running) = running {
            running.stop.store(true, Ordering::SeqCst);
            let _ = running.thread.join();
        }
    }
}

/// The meter's thread: owns the cpal stream (not `Send` everywhere) until told to stop or the
/// window goes away. Reports the opened device's name (or why not) on `opened`.
fn run_meter(
    app: &AppHandle,
    device: Option<String>,
    stop: &AtomicBool,
    opened: &mpsc::Sender<Result<String, Problem>>,
) {
    let (samples, levels) = mpsc::channel::<Level>();
    let stream = match open_stream(device.as_deref(), samples) {
        Ok((stream, name)) => {
            let _ = opened.send(Ok(name));
            stream
        }
        Err(error) => {
            let _ = opened.send(Err(error));
            return;
        }
    };
    let mut frame = Level {
        peak: 0.0,
        rms: 0.0,
        frames: 0,
    };
    let mut sum_squares = 0.0f32;
    let mut last_sent = Instant::now();
    let mut last_check = Instant::now();
    while !stop.load(Ordering::SeqCst) {
        match levels.recv_timeout(FRAME) {
            Ok(chunk) => {
                frame.peak = frame.peak.max(chunk.peak);
                sum_squares += chunk.rms * chunk.rms * chunk.frames as f32;
                frame.frames += chunk.frames;
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => break,
        }
        if last_sent.elapsed() >= FRAME {
            frame.rms = (sum_squares / frame.frames.max(1) as f32).sqrt();
            settings_window::emit(app, events::LEVEL, frame);
            (frame.peak, frame.frames, sum_squares) = (0.0, 0, 0.0);
            last_sent = Instant::now();
        }
        if last_check.elapsed() >= WINDOW_CHECK {
            if !window_visible(app) {
                break;
            }
            last_check = Instant::now();
        }
    }
    drop(stream);
    tracing::debug!("level meter closed");
}

fn window_visible(app: &AppHandle) -> bool {
    settings_window::is_visible(app)
}

/// An input stream on the named device (else the default) whose callback sends one [`Level`]
/// per buffer.
fn open_stream(
    choice: Option<&str>,
    levels: mpsc::Sender<Level>,
) -> Result<(cpal::Stream, String), Problem> {
    let host = cpal::default_host();
    let chosen = choice.and_then(|name| {
        host.input_devices()
            .ok()?
            .find(|d| d.name().is_ok_and(|n| n == name))
    });
    let device = chosen
        .or_else(|| host.default_input_device())
        .ok_or(Problem::NoMicrophone)?;
    let name = device.name().unwrap_or_else(|_| "microphone".into());
    let failed = |detail: String| Problem::MicrophoneFailed {
        device: name.clone(),
        detail,
    };
    let config = device
        .default_input_config()
        .map_err(|e| failed(e.to_string()))?;
    let format = config.sample_format();
    let config = config.config();
    let on_error = |error: cpal::StreamError| tracing::warn!("level meter: {error}");
    let stream = match format {
        cpal::SampleFormat::F32 => device.build_input_stream(
            &config,
            move |data: &[f32], _: &_| {
                let _ = levels.send(measure(data.iter().copied()));
            },
            on_error,
            None,
        ),
        cpal::SampleFormat::I16 => device.build_input_stream(
            &config,
            move |data: &[i16], _: &_| {
                let _ = levels.send(measure(data.iter().map(|&s| f32::from(s) / 32768.0)));
            },
            on_error,
            None,
        ),
        other => return Err(failed(format!("{other} samples are not supported"))),
    }
    .map_err(|e| failed(e.to_string()))?;
    stream.play().map_err(|e| failed(e.to_string()))?;
    Ok((stream, name))
}

/// Peak and RMS of one buffer (all channels alike: a meter does not care which).
pub fn measure(samples: impl Iterator<Item = f32>) -> Level {
    let (mut peak, mut squares, mut count) = (0.0f32, 0.0f32, 0usize);
    for sample in samples {
        peak = peak.max(sample.abs());
        squares += sample * sample;
        count += 1;
    }
    Level {
        peak: peak.min(1.0),
        rms: (squares / count.max(1) as f32).sqrt().min(1.0),
        frames: count,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn silence_is_zero_and_a_full_square_wave_is_one() {
        let silence = measure([0.0f32; 64].into_iter());
        assert_eq!((silence.peak, silence.rms), (0.0, 0.0));
        let square = measure((0..64).map(|i| if i % 2 == 0 { 1.0 } else { -1.0 }));
        assert_eq!((square.peak, square.rms, square.frames), (1.0, 1.0, 64));
        let half = measure([0.5f32, -0.5].into_iter());
        assert!((half.rms - 0.5).abs() < 1e-6);
    }
}
