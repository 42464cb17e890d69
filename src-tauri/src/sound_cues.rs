//! Short sounds when a dictation starts, stops and fails, on the default output device.
//!
//! The cues are synthesised here (pure tones with a raised-cosine envelope: no sound files,
//! nothing to credit or license): start is two rising notes, stop the same falling, error two
//! low pulses. Each plays on its own short-lived thread with its own cpal output stream, so a
//! cue never waits for, or delays, the dictation.
//!
//! The start cue must never reach the transcript: the microphone opens together with it and
//! drops whatever it hears until [`start_cue_quiet_at`] (the cue's length plus the output
//! device's latency).

use std::f32::consts::PI;
use std::time::{Duration, Instant};

use cpal::traits::{DeviceTrait, HostTrait, StreamTrait};

/// Which cue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cue {
    Start,
    Stop,
    Error,
}

/// The notes of the cues: (frequency in Hz, length). C6 and E6 sit above most of a voice's
/// energy, so they are easy to hear over speech and easy to find in a recording.
const HIGH: f32 = 1318.5;
const LOW: f32 = 1046.5;
const NOTE: Duration = Duration::from_millis(70);
const ERROR_TONE: f32 = 330.0;
const ERROR_PULSE: Duration = Duration::from_millis(110);

/// How long the output device may hold a cue's sound before it is heard (PulseAudio's and
/// PipeWire's default latencies are well under this).
const OUTPUT_LATENCY: Duration = Duration::from_millis(250);

fn notes(cue: Cue) -> Vec<(f32, Duration)> {
    match cue {
        Cue::Start => vec![(LOW, NOTE), (HIGH, NOTE)],
        Cue::Stop => vec![(HIGH, NOTE), (LOW, NOTE)],
        Cue::Error => vec![
            (ERROR_TONE, ERROR_PULSE),
            (0.0, Duration::from_millis(60)),
            (ERROR_TONE, ERROR_PULSE),
        ],
    }
}

/// The length of a cue.
pub fn length(cue: Cue) -> Duration {
    notes(cue).iter().map(|(_, d)| *d).sum()
}

/// When the start cue, played now, is surely over (what the microphone ignores until then).
pub fn start_cue_quiet_at(now: Instant) -> Instant {
    now + length(Cue::Start) + OUTPUT_LATENCY
}

/// The cue's samples at `rate`, mono, peak `volume` (0–1).
pub fn samples(cue: Cue, rate: u32, volume: f32) -> Vec<f32> {
    let volume = volume.clamp(0.0, 1.0);
    let mut out = Vec::new();
    for (frequency, length) in notes(cue) {
        let count = (length.as_secs_f32() * rate as f32) as usize;
        out.extend((0..count).map(|i| {
            // Raised cosine over the note: no click at either end.
            let envelope = 0.5 - 0.5 * (2.0 * PI * i as f32 / count as f32).cos();
            let phase = 2.0 * PI * frequency * i as f32 / rate as f32;
            volume * envelope * phase.sin()
        }));
    }
    out
}

/// Plays `cue` on the default output device at `volume`, on its own thread. Failing to play
/// (no output device) is logged and otherwise ignored: a cue is a courtesy.
pub fn play(cue: Cue, volume: f32) {
    let spawned = std::thread::Builder::new()
        .name("noi-sound-cue".into())
        .spawn(move || {
            if let Err(error) = play_now(cue, volume) {
                tracing::debug!("sound cue not played: {error}");
            }
        });
    if let Err(error) = spawned {
        tracing::debug!("sound cue not played: {error}");
    }
}

fn play_now(cue: Cue, volume: f32) -> Result<(), String> {
    let device = cpal::default_host()
        .default_output_device()
        .ok_or("no output device")?;
    let config = device.default_output_config().map_err(|e| e.to_string())?;
    let channels = usize::from(config.channels());
    let rate = config.sample_rate().0;
    let sound = samples(cue, rate, volume);
    let total = sound.len();
    let on_error = |error| tracing::debug!("sound cue: {error}");
    let stream = match config.sample_format() {
        cpal::SampleFormat::F32 => device.build_output_stream(
            &config.config(),
            feeder(sound, channels, |s| s),
            on_error,
            None,
        ),
        cpal::SampleFormat::I16 => device.build_output_stream(
            &config.config(),
            feeder(sound, channels, |s| (s * f32::from(i16::MAX)) as i16),
            on_error,
            None,
        ),
        other => return Err(format!("{other} output is not supported")),
    }
    .map_err(|e| e.to_string())?;
    stream.play().map_err(|e| e.to_string())?;
    let seconds = total as f32 / rate as f32;
    std::thread::sleep(Duration::from_secs_f32(seconds) + OUTPUT_LATENCY);
    Ok(())
}

/// An output call-back that plays `sound` on every channel, then silence.
fn feeder<T: Copy + Default + Send + 'static>(
    sound: Vec<f32>,
    channels: usize,
    convert: impl Fn(f32) -> T + Send + 'static,
) -> impl FnMut(&mut [T], &cpal::OutputCallbackInfo) + Send + 'static {
    let mut at = 0usize;
    move |data: &mut [T], _| {
        for frame in data.chunks_mut(channels.max(1)) {
            let sample = sound.get(at).map_or_else(T::default, |&s| convert(s));
            frame.fill(sample);
            at += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The share of a signal's energy at `frequency` (Goertzel), 0–1.
    fn energy_share(signal: &[f32], rate: u32, frequency: f32) -> f32 {
        let omega = 2.0 * PI * frequency / rate as f32;
        let (mut s1, mut s2) = (0.0f32, 0.0f32);
        for &x in signal {
            let s0 = x + 2.0 * omega.cos() * s1 - s2;
            s2 = s1;
            s1 = s0;
        }
        let power = s1 * s1 + s2 * s2 - 2.0 * omega.cos() * s1 * s2;
        let total: f32 = signal.iter().map(|x| x * x).sum();
        2.0 * power / (signal.len() as f32 * total)
    }

    #[test]
    fn cues_are_the_notes_they_claim_at_the_volume_asked() {
        let rate = 16_000;
        let start = samples(Cue::Start, rate, 0.5);
        assert_eq!(start.len(), (0.14 * rate as f32) as usize);
        // A raised-cosine (Hann) envelope puts 2/3 of a note's energy in its own frequency
        // bin and none in the other note's.
        let half = start.len() / 2;
        assert!(energy_share(&start[..half], rate, LOW) > 0.6);
        assert!(energy_share(&start[..half], rate, HIGH) < 0.01);
        assert!(energy_share(&start[half..], rate, HIGH) > 0.6);
        assert!(energy_share(&start[half..], rate, LOW) < 0.01);
        let peak = start.iter().fold(0.0f32, |m, s| m.max(s.abs()));
        assert!((0.45..=0.5).contains(&peak), "peak {peak}");
        let stop = samples(Cue::Stop, rate, 1.0);
        assert!(energy_share(&stop[..half], rate, HIGH) > 0.6);
        assert_eq!(
            samples(Cue::Error, rate, 0.0)
                .iter()
                .fold(0.0f32, |m, s| m.max(s.abs())),
            0.0
        );
    }

    #[test]
    fn cues_start_and_end_silent() {
        for cue in [Cue::Start, Cue::Stop, Cue::Error] {
            let sound = samples(cue, 48_000, 1.0);
            assert!(sound[0].abs() < 1e-3 && sound[sound.len() - 1].abs() < 1e-2);
        }
    }

    #[test]
    fn the_microphone_waits_for_the_whole_cue_and_the_latency() {
        let now = Instant::now();
        assert!(start_cue_quiet_at(now) >= now + length(Cue::Start) + Duration::from_millis(200));
    }
}
