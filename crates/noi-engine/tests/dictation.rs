//! The dictation stream: live partials, a final equal to the offline decode of the same
//! segments, nothing dropped, no segment over the encoder's limit.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use noi_engine::Recognizer;
use noi_engine::dictation::{DictationConfig, DictationEvent, DictationStream};
use noi_engine::model::ModelOptions;
use noi_engine::search::SearchMethod;
use noi_engine::transcript::{Segment, Transcript};
use noi_engine::vad::WINDOW;

fn recognizer(dir: &std::path::Path) -> Arc<Recognizer> {
    Arc::new(Recognizer::load(dir, ModelOptions { threads: 2 }).unwrap())
}

/// Pushes `samples` in uneven chunks (5 ms to 300 ms), as fast as possible.
fn dictate(recognizer: &Arc<Recognizer>, config: &DictationConfig, samples: &[f32]) -> Transcript {
    let stream = DictationStream::start(recognizer.clone(), config.clone(), 16_000).unwrap();
    let sizes = [80, 4_800, 1_234, 320, 2_000, 16, 3_333];
    let mut at = 0;
    for size in sizes.iter().cycle() {
        if at >= samples.len() {
            break;
        }
        let end = (at + size).min(samples.len());
        stream.push(&samples[at..end]);
        at = end;
    }
    stream.finish().unwrap()
}

/// A segment's audio as the encoder saw it. The segment still open at release ends past the
/// input: its own end (speech end plus padding, or the last sample) is followed by the
/// release padding as silence.
fn segment_audio(samples: &[f32], config: &DictationConfig, segment: &Segment) -> Vec<f32> {
    if segment.end_sample <= samples.len() {
        return samples[segment.start_sample..segment.end_sample].to_vec();
    }
    let padding = (config.tail_padding.as_secs_f64() * 16_000.0) as usize;
    let own_end = segment.end_sample - padding;
    let mut audio = samples[segment.start_sample..own_end].to_vec();
    audio.resize(segment.end_sample - segment.start_sample, 0.0);
    audio
}

fn assert_final_equals_offline(
    recognizer: &Recognizer,
    config: &DictationConfig,
    samples: &[f32],
    transcript: &Transcript,
) {
    assert!(!transcript.segments.is_empty());
    for segment in &transcript.segments {
        let audio = segment_audio(samples, config, segment);
        let offline = recognizer.decode_segment(&audio, &config.method).unwrap();
        let streamed: Vec<u32> = segment.tokens.iter().map(|t| t.id).collect();
        assert_eq!(
            streamed,
            offline.tokens,
            "segment {:.2}-{:.2}s",
            segment.start(),
            segment.end()
        );
    }
}

fn assert_nothing_dropped(transcript: &Transcript, samples: &[f32]) {
    for (i, window) in samples.chunks(WINDOW).enumerate() {
        if window.iter().all(|x| x.abs() <= 0.02) {
            continue;
        }
        let (start, end) = (i * WINDOW, i * WINDOW + window.len());
        assert!(
            transcript
                .segments
                .iter()
                .any(|s| s.start_sample <= start && end <= s.end_sample),
            "sound at {:.2}s is in no segment",
            start as f64 / 16_000.0
        );
    }
    for segment in &transcript.segments {
        assert!(segment.end_sample - segment.start_sample <= 20 * 16_000);
    }
    for pair in transcript.segments.windows(2) {
        assert!(pair[0].end_sample <= pair[1].start_sample);
    }
}

#[test]
fn final_equals_offline_decode_tiny_model() {
    let Some(path) = common::test_audio("long_2min.wav") else {
        return;
    };
    let samples = common::read_wav_16k(&path);
    let recognizer = recognizer(&common::tiny_model());
    for method in [SearchMethod::Greedy, SearchMethod::modified_beam(4)] {
        let config = DictationConfig {
            method,
            ..Default::default()
        };
        let transcript = dictate(&recognizer, &config, &samples);
        assert!(transcript.segments.len() >= 6, "pauses close segments");
        assert_final_equals_offline(&recognizer, &config, &samples, &transcript);
        assert_nothing_dropped(&transcript, &samples);
    }
}

#[test]
fn final_equals_offline_decode_m_replica() {
    let (Some(model), Some(path)) = (
        common::replica(common::M_REPLICA),
        common::test_audio("long_2min.wav"),
    ) else {
        return;
    };
    let samples = common::read_wav_16k(&path);
    let samples = &samples[..60 * 16_000];
    let recognizer = recognizer(&model);
    let config = DictationConfig::default();
    let transcript = dictate(&recognizer, &config, samples);
    assert_final_equals_offline(&recognizer, &config, samples, &transcript);
}

/// A speaker who never pauses: cut below 20 s at a quiet point, contiguously, so the words
/// at the cut are neither lost nor doubled.
#[test]
fn nonstop_speech_is_cut_without_losing_or_doubling() {
    let Some(path) = common::test_audio("packed_25s.wav") else {
        return;
    };
    let samples = common::read_wav_16k(&path);
    let recognizer = recognizer(&common::tiny_model());
    let config = DictationConfig::default();
    let transcript = dictate(&recognizer, &config, &samples);
    assert_nothing_dropped(&transcript, &samples);
    assert!(
        transcript
            .segments
            .windows(2)
            .any(|p| p[0].end_sample == p[1].start_sample),
        "a contiguous cut"
    );
    assert_final_equals_offline(&recognizer, &config, &samples, &transcript);
}

/// Speech from the very first sample keeps its first syllable, and a release in the middle
/// of a word decodes that word with the release padding.
#[test]
fn leading_and_trailing_audio_are_kept() {
    let Some(path) = common::test_audio("vi_01.wav") else {
        return;
    };
    let samples = common::read_wav_16k(&path);
    let samples = &samples[..2 * 16_000];
    let recognizer = recognizer(&common::tiny_model());
    let config = DictationConfig::default();
    let transcript = dictate(&recognizer, &config, samples);
    assert_nothing_dropped(&transcript, samples);
    let last = transcript.segments.last().unwrap();
    assert_eq!(
        last.end_sample,
        samples.len() + (config.tail_padding.as_secs_f64() * 16_000.0) as usize,
        "the open tail runs through the padding"
    );
}

/// A release during a pause too short to close the segment: the tail's end is known (speech
/// end plus padding) and the stream may have decoded it ahead; either way the final equals
/// the offline decode of the same segment, padding after the segment's own end.
#[test]
fn release_in_a_short_pause_gives_the_offline_result() {
    let Some(path) = common::test_audio("vi_03.wav") else {
        return;
    };
    let mut speech = common::read_wav_16k(&path);
    // Without the clip's own 0.3 s of trailing silence, which alone closes the segment.
    speech.truncate(speech.len() - 4_800);
    let recognizer = recognizer(&common::tiny_model());
    let config = DictationConfig::default();
    let mut tails_before_the_end = 0;
    for pause_ms in (0..=600).step_by(20) {
        let mut samples = speech.clone();
        samples.resize(speech.len() + pause_ms * 16, 0.0);
        let transcript = dictate(&recognizer, &config, &samples);
        assert_final_equals_offline(&recognizer, &config, &samples, &transcript);
        let padding = (config.tail_padding.as_secs_f64() * 16_000.0) as usize;
        let last = transcript.segments.last().unwrap();
        if last.end_sample > samples.len() && last.end_sample - padding < samples.len() {
            tails_before_the_end += 1;
        }
    }
    assert!(
        tails_before_the_end > 0,
        "some release fell in a settled pause"
    );
}

/// Pushed at real-time pace, partials arrive while "speaking": committed text at pauses and
/// tentative text for the open segment.
#[test]
fn partials_arrive_while_speaking() {
    let Some(path) = common::test_audio("long_2min.wav") else {
        return;
    };
    let samples = common::read_wav_16k(&path);
    let samples = &samples[..12 * 16_000];
    let recognizer = recognizer(&common::tiny_model());
    let mut stream =
        DictationStream::start(recognizer, DictationConfig::default(), 16_000).unwrap();
    let events = stream.take_events().unwrap();
    let started = Instant::now();
    for (i, chunk) in samples.chunks(1_600).enumerate() {
        let due = started + Duration::from_millis(100 * i as u64);
        std::thread::sleep(due.saturating_duration_since(Instant::now()));
        stream.push(chunk);
    }
    let transcript = stream.finish().unwrap();
    let received: Vec<DictationEvent> = events.try_iter().collect();
    let committed = received
        .iter()
        .filter(|e| matches!(e, DictationEvent::Partial { committed, .. } if !committed.is_empty()))
        .count();
    let tentative = received
        .iter()
        .filter(|e| matches!(e, DictationEvent::Partial { tentative, .. } if !tentative.is_empty()))
        .count();
    assert!(committed >= 2, "committed partials: {committed}");
    assert!(tentative >= 3, "tentative partials: {tentative}");
    assert!(matches!(received.last(), Some(DictationEvent::Final(t)) if *t == transcript));
}

/// Any input rate: 48 kHz audio is resampled inside the stream.
#[test]
fn other_rates_are_resampled() {
    let Some(path) = common::test_audio("vi_10_44k.wav") else {
        return;
    };
    // read_all gives 16 kHz; take it back to 44.1 kHz to feed the stream.
    let (samples, _) = noi_engine::audio::read_all(&path).unwrap();
    let mut resampler = noi_engine::resample::Resampler::new(16_000, 44_100).unwrap();
    let mut input = Vec::new();
    resampler.process(&samples, &mut input);
    resampler.flush(&mut input);
    let recognizer = recognizer(&common::tiny_model());
    let stream = DictationStream::start(recognizer, DictationConfig::default(), 44_100).unwrap();
    for chunk in input.chunks(441) {
        stream.push(chunk);
    }
    let transcript = stream.finish().unwrap();
    let expected = samples.len() as f64 / 16_000.0;
    assert!(
        (transcript.duration - expected).abs() < 0.01,
        "{} vs {expected}",
        transcript.duration
    );
    assert!(!transcript.segments.is_empty());
}

#[test]
fn cancel_and_drop_return_promptly() {
    let recognizer = recognizer(&common::tiny_model());
    let stream =
        DictationStream::start(recognizer.clone(), DictationConfig::default(), 16_000).unwrap();
    stream.push(&vec![0.1; 16_000]);
    stream.cancel();
    let stream = DictationStream::start(recognizer, DictationConfig::default(), 16_000).unwrap();
    stream.push(&vec![0.1; 16_000]);
    drop(stream);
}

/// Audio pushed faster than the worker takes it in shows as a backlog (what the API's
/// backpressure watches), and cancelling throws that queue away instead of decoding it.
#[test]
fn cancel_drops_queued_audio_and_backlog_measures_it() {
    let (Some(model), Some(path)) = (
        common::replica(common::S_REPLICA),
        common::test_audio("long_2min.wav"),
    ) else {
        return;
    };
    let samples = common::read_wav_16k(&path);
    let recognizer = recognizer(&model);
    let stream = DictationStream::start(recognizer, DictationConfig::default(), 16_000).unwrap();
    for chunk in samples.chunks(1600) {
        stream.push(chunk);
    }
    let backlog = stream.backlog();
    assert!(
        backlog > Duration::from_secs(60),
        "two minutes pushed at once are mostly still queued: {backlog:?}"
    );
    let started = Instant::now();
    stream.cancel();
    let took = started.elapsed();
    // Decoding the queued minutes would take tens of seconds; stopping takes at most the
    // chunk in hand.
    assert!(took < Duration::from_secs(2), "cancel took {took:?}");
}
