//! Subtitle cues (SRT and WebVTT) from a transcript's words.

use crate::transcript::{Transcript, Word};

/// A cue is closed once it would run longer than this…
const MAX_CUE_SECONDS: f64 = 7.0;
/// …or hold more characters than fit on two subtitle lines…
const MAX_CUE_CHARS: usize = 84;
/// …or when the speaker pauses this long.
const PAUSE_SECONDS: f64 = 1.0;

#[derive(Debug, Clone, PartialEq)]
pub struct Cue {
    pub start: f64,
    pub end: f64,
    pub text: String,
}

/// Groups words into cues; a cue never spans two segments.
pub fn cues(transcript: &Transcript) -> Vec<Cue> {
    let mut cues = Vec::new();
    for segment in &transcript.segments {
        let words = segment.words();
        let mut current: Vec<&Word> = Vec::new();
        for word in &words {
            if let (Some(first), Some(last)) = (current.first(), current.last()) {
                let chars: usize = current.iter().map(|w| w.word.chars().count() + 1).sum();
                let too_long = word.end - first.start > MAX_CUE_SECONDS
                    || chars + word.word.chars().count() > MAX_CUE_CHARS;
                if too_long || word.start - last.end > PAUSE_SECONDS {
                    cues.push(cue_of(&current));
                    current.clear();
                }
            }
            current.push(word);
        }
        if !current.is_empty() {
            cues.push(cue_of(&current));
        }
    }
    cues
}

fn cue_of(words: &[&Word]) -> Cue {
    Cue {
        start: words[0].start,
        end: words[words.len() - 1].end,
        text: words
            .iter()
            .map(|w| w.word.as_str())
            .collect::<Vec<_>>()
            .join(" "),
    }
}

pub fn to_srt(cues: &[Cue]) -> String {
    let mut out = String::new();
    for (i, cue) in cues.iter().enumerate() {
        out.push_str(&format!(
            "{}\n{} --> {}\n{}\n\n",
            i + 1,
            timestamp(cue.start, ','),
            timestamp(cue.end, ','),
            cue.text
        ));
    }
    out
}

pub fn to_vtt(cues: &[Cue]) -> String {
    let mut out = String::from("WEBVTT\n\n");
    for cue in cues {
        out.push_str(&format!(
            "{} --> {}\n{}\n\n",
            timestamp(cue.start, '.'),
            timestamp(cue.end, '.'),
            cue.text
        ));
    }
    out
}

/// `HH:MM:SS,mmm` (SRT) or `HH:MM:SS.mmm` (WebVTT).
pub fn timestamp(seconds: f64, separator: char) -> String {
    let millis = (seconds.max(0.0) * 1000.0).round() as u64;
    let (h, m, s, ms) = (
        millis / 3_600_000,
        millis / 60_000 % 60,
        millis / 1000 % 60,
        millis % 1000,
    );
    format!("{h:02}:{m:02}:{s:02}{separator}{ms:03}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transcript::{Segment, Token};

    fn transcript(words: &[(&str, f64)]) -> Transcript {
        let tokens = words
            .iter()
            .map(|(w, t)| Token {
                id: 1,
                piece: format!("▁{w}"),
                time: *t,
                log_prob: 0.0,
            })
            .collect();
        Transcript {
            duration: 100.0,
            segments: vec![Segment {
                start_sample: 0,
                end_sample: 100 * 16_000,
                tokens,
            }],
        }
    }

    #[test]
    fn timestamps_format() {
        assert_eq!(timestamp(3725.5, ','), "01:02:05,500");
        assert_eq!(timestamp(0.0404, '.'), "00:00:00.040");
    }

    #[test]
    fn cues_split_at_pauses_and_length() {
        let t = transcript(&[("XIN", 0.0), ("CHÀO", 0.5), ("BẠN", 3.0), ("NHÉ", 11.0)]);
        let c = cues(&t);
        assert_eq!(c.len(), 3, "{c:?}");
        assert_eq!(c[0].text, "XIN CHÀO");
        assert_eq!(c[1].text, "BẠN");
    }

    #[test]
    fn srt_and_vtt_shapes() {
        let c = vec![Cue {
            start: 1.0,
            end: 2.5,
            text: "XIN CHÀO".into(),
        }];
        assert_eq!(to_srt(&c), "1\n00:00:01,000 --> 00:00:02,500\nXIN CHÀO\n\n");
        assert!(to_vtt(&c).starts_with("WEBVTT\n\n00:00:01.000 --> 00:00:02.500\nXIN CHÀO"));
    }
}
