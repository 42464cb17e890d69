//! The microphone section: the devices present, and a level meter so the user sees that the
//! chosen one hears them.
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
use serde::Serialize;
use tauri::{AppHandle, Manager};

use super::{emit, events};
use crate::capture;
use crate::settings_window;

/// Levels sent per second at most (a meter needs no more; the IPC is spared).
const FRAME: Duration = Duration::from_millis(50);
/// How often the meter makes sure the window is still there to see it.
const WINDOW_CHECK: Duration = Duration::from_millis(250);

#[derive(Debug, Clone, Serialize)]
pub struct Device {
    pub name: String,
    pub is_default: bool,
}

#[tauri::command(async)]
pub fn list_devices() -> Vec<Device> {
    capture::list_devices()
        .into_iter()
        .map(|d| Device {
            name: d.name,
            is_default: d.is_default,
        })
        .collect()
}

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
struct Meter {
    stop: Arc<AtomicBool>,
    thread: std::thread::JoinHandle<()>,
}

/// At most one meter: starting another stops the first.
static METER: Mutex<Option<Meter>> = Mutex::new(None);

/// Opens `device` (a name; none: the default one) and sends [`events::LEVEL`] until stopped.
/// An error names why the device cannot be opened.
#[tauri::command(async)]
pub fn start_level_meter(app: AppHandle, device: Option<String>) -> Result<String, String> {
    stop_level_meter();
    let stop = Arc::new(AtomicBool::new(false));
    let (on_open, opened) = mpsc::channel();
    let flag = Arc::clone(&stop);
    let thread = std::thread::Builder::new()
        .name("noi-level-meter".into())
        .spawn(move || run_meter(&app, device, &flag, &on_open))
        .map_err(|e| e.to_string())?;
    let result = opened
        .recv_timeout(Duration::from_secs(5))
        .unwrap_or_else(|_| Err("the microphone did not open within 5 s".into()));
    *METER.lock().unwrap_or_else(|e| e.into_inner()) = Some(Meter { stop, thread });
    result
}

/// Closes the meter's device (the window left the microphone section, or hid).
#[tauri::command(async)]
pub fn stop_level_meter() {
    let meter = METER.lock().unwrap_or_else(|e| e.into_inner()).take();
    if let Some(meter) = meter {
        meter.stop.store(true, Ordering::SeqCst);
        let _ = meter.thread.join();
    }
}

/// The meter's thread: owns the cpal stream (not `Send` everywhere) until told to stop or the
/// window goes away. Reports the opened device's name (or why not) on `opened`.
fn run_meter(
    app: &AppHandle,
    device: Option<String>,
    stop: &AtomicBool,
    opened: &mpsc::Sender<Result<String, String>>,
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
            emit(app, events::LEVEL, frame);
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
    app.get_webview_window(settings_window::LABEL)
        .and_then(|w| w.is_visible().ok())
        .unwrap_or(false)
}

/// An input stream on the named device (else the default) whose callback sends one [`Level`]
/// per buffer.
fn open_stream(
    choice: Option<&str>,
    levels: mpsc::Sender<Level>,
) -> Result<(cpal::Stream, String), String> {
    let host = cpal::default_host();
    let chosen = choice.and_then(|name| {
        host.input_devices()
            .ok()?
            .find(|d| d.name().is_ok_and(|n| n == name))
    });
    let device = chosen
        .or_else(|| host.default_input_device())
        .ok_or("no microphone found: connect one, or check the sound settings")?;
    let name = device.name().unwrap_or_else(|_| "microphone".into());
    let config = device
        .default_input_config()
        .map_err(|e| format!("cannot open \"{name}\": {e}"))?;
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
        other => {
            return Err(format!(
                "\"{name}\" delivers {other} samples, not supported"
            ));
        }
    }
    .map_err(|e| format!("cannot open \"{name}\": {e}"))?;
    stream
        .play()
        .map_err(|e| format!("cannot start \"{name}\": {e}"))?;
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
