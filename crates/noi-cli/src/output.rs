//! Output formats of `noi transcribe`.

use std::path::Path;

use noi_engine::subtitle::{Cue, cues, to_srt, to_vtt};
use noi_engine::transcript::Transcript;
use noi_text::{TextOptions, postprocess};
use serde::Serialize;

use crate::Format;

/// One line of `--format json`. `tokens`/`timestamps`/`words` are exactly what the decoder
/// emitted; `text` and segment texts are post-processed (casing, punctuation, custom words).
#[derive(Serialize)]
struct JsonLine<'a> {
    file: String,
    duration: f64,
    text: String,
    tokens: Vec<&'a str>,
    timestamps: Vec<f64>,
    words: Vec<noi_engine::transcript::Word>,
    segments: Vec<JsonSegment>,
}

#[derive(Serialize)]
struct JsonSegment {
    start: f64,
    end: f64,
    text: String,
}

pub fn render(
    format: Format,
    file: &Path,
    transcript: &Transcript,
    options: &TextOptions,
) -> anyhow::Result<String> {
    Ok(match format {
        Format::Text => format!("{}\n", postprocess(&transcript.text(), options)),
        Format::Json => format!(
            "{}\n",
            serde_json::to_string(&json_line(file, transcript, options))?
        ),
        Format::Srt => to_srt(&processed_cues(transcript, options)),
        Format::Vtt => to_vtt(&processed_cues(transcript, options)),
    })
}

/// Subtitle cues with each cue's text post-processed on its own.
fn processed_cues(transcript: &Transcript, options: &TextOptions) -> Vec<Cue> {
    let mut cues = cues(transcript);
    for cue in &mut cues {
        cue.text = postprocess(&cue.text, options);
    }
    cues.retain(|cue| !cue.text.is_empty());
    cues
}

fn json_line<'a>(file: &Path, transcript: &'a Transcript, options: &TextOptions) -> JsonLine<'a> {
    JsonLine {
        file: file.display().to_string(),
        duration: transcript.duration,
        text: postprocess(&transcript.text(), options),
        tokens: transcript.tokens().map(|t| t.piece.as_str()).collect(),
        timestamps: transcript.tokens().map(|t| round_time(t.time)).collect(),
        words: transcript.words(),
        segments: transcript
            .segments
            .iter()
            .map(|s| JsonSegment {
                start: s.start(),
                end: s.end(),
                text: postprocess(&s.text(), options),
            })
            .collect(),
    }
}

/// Times are multiples of 40 ms plus a sample-exact offset; six decimals hide f32 noise.
fn round_time(seconds: f64) -> f64 {
    (seconds * 1e6).round() / 1e6
}
