//! Long audio through the VAD path: segments never exceed the encoder's 20 s, sit in file
//! time, never overlap, and cover all the speech, also when the speaker never pauses.

mod common;

use noi_engine::model::ModelOptions;
use noi_engine::transcript::Transcript;
use noi_engine::vad::WINDOW;
use noi_engine::{Recognizer, RecognizerConfig};

const LIMIT: usize = 20 * 16_000;

fn transcribe(name: &str) -> Option<(Transcript, Vec<f32>)> {
    let path = common::test_audio(name)?;
    let recognizer = Recognizer::load(&common::tiny_model(), ModelOptions { threads: 2 }).unwrap();
    let transcript = recognizer
        .transcribe_file(&path, &RecognizerConfig::default(), |_| {})
        .unwrap();
    Some((transcript, common::read_wav_16k(&path)))
}

fn assert_well_formed(transcript: &Transcript, samples: &[f32]) {
    assert!((transcript.duration - samples.len() as f64 / 16_000.0).abs() < 1e-9);
    for segment in &transcript.segments {
        assert!(segment.end_sample > segment.start_sample);
        assert!(
            segment.end_sample - segment.start_sample <= LIMIT,
            "segment of {} samples",
            segment.end_sample - segment.start_sample
        );
        assert!(segment.end_sample <= samples.len());
        for token in &segment.tokens {
            assert!(
                token.time >= segment.start() && token.time < segment.end(),
                "token time in file time"
            );
        }
    }
    for pair in transcript.segments.windows(2) {
        assert!(
            pair[0].end_sample <= pair[1].start_sample,
            "segments overlap"
        );
    }
}

/// Every 32 ms window holding audible sound lies inside some segment: nothing is lost.
fn assert_covers_sound(transcript: &Transcript, samples: &[f32]) {
    for (i, window) in samples.chunks(WINDOW).enumerate() {
        let loud = window.iter().any(|x| x.abs() > 0.02);
        if !loud {
            continue;
        }
        let (start, end) = (i * WINDOW, i * WINDOW + window.len());
        let covered = transcript
            .segments
            .iter()
            .any(|s| s.start_sample <= start && end <= s.end_sample);
        assert!(
            covered,
            "sound at {:.2}s is in no segment",
            start as f64 / 16_000.0
        );
    }
}

#[test]
fn pauses_cut_a_two_minute_clip() {
    let Some((transcript, samples)) = transcribe("long_2min.wav") else {
        return;
    };
    assert!(transcript.segments.len() >= 6);
    assert_well_formed(&transcript, &samples);
    assert_covers_sound(&transcript, &samples);
}

/// 25 s without a pause longer than 0.1 s: cut at the quietest point, contiguously, so the
/// words at the cut are in exactly one segment (neither lost nor doubled).
#[test]
fn a_speaker_who_never_pauses_is_cut_below_the_limit() {
    let Some((transcript, samples)) = transcribe("packed_25s.wav") else {
        return;
    };
    assert!(transcript.segments.len() >= 2);
    assert_well_formed(&transcript, &samples);
    assert_covers_sound(&transcript, &samples);
    let cuts: Vec<_> = transcript
        .segments
        .windows(2)
        .filter(|p| p[0].end_sample == p[1].start_sample)
        .collect();
    assert!(!cuts.is_empty(), "the cut for length leaves no gap");
    // The cut lands where it is quiet: the 32 ms before it are quieter than the clip's median.
    let energy = |w: &[f32]| w.iter().map(|x| x * x).sum::<f32>() / w.len() as f32;
    let mut energies: Vec<f32> = samples.chunks(WINDOW).map(energy).collect();
    energies.sort_by(f32::total_cmp);
    let median = energies[energies.len() / 2];
    for pair in cuts {
        let at = pair[0].end_sample;
        assert!(
            energy(&samples[at..at + WINDOW]) < median,
            "cut at {:.2}s is not in a quiet spot",
            at as f64 / 16_000.0
        );
    }
}

/// sherpa-onnx fails on this clip (20.1 s > the encoder's limit); we cut it.
#[test]
fn just_over_the_limit_still_works() {
    let Some((transcript, samples)) = transcribe("limit_20p1s.wav") else {
        return;
    };
    assert!(samples.len() > LIMIT);
    assert_well_formed(&transcript, &samples);
    assert_covers_sound(&transcript, &samples);
}

#[test]
fn just_under_the_limit_is_one_piece() {
    let Some((transcript, samples)) = transcribe("limit_20p0s.wav") else {
        return;
    };
    assert!(samples.len() <= LIMIT);
    assert_eq!(transcript.segments.len(), 1);
    assert_eq!(
        (
            transcript.segments[0].start_sample,
            transcript.segments[0].end_sample
        ),
        (0, samples.len())
    );
}
